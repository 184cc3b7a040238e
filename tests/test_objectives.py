"""The four objective senses on instances with known optima."""
import dataclasses
import json

import pytest

from .helpers import allocated, row_units, solve


def two_regions(n_a, n_b, **cols):
    a = row_units(n_a, region="A", **cols)
    b = [dict(u, unit_id=f"b{i + 1}", province="B", x=u["x"] + 5000) for i, u in enumerate(row_units(n_b, **cols))]
    return a + b


def test_min_cost_meets_floors_cheaply(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 10}}, "budget": {"cost_attr": "cost"},
              "objective": {"sense": "min_cost", "shortfall_penalty_per_ha": 1e6},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 2}]}
    run = solve(tmp_path, config, row_units(3, cost=[1, 2, 3]))
    assert run.result.objective == pytest.approx(30_000)
    assert allocated(run) == {("u1", "housing"), ("u2", "housing")}


def test_min_shortfall_spreads_a_tight_budget(tmp_path):
    # budget for 2 units; A asks 2 ha housing, B 1 ha business. Both to A leaves B 100 % short (1.0);
    # one each leaves A 50 % short (0.5) → 0.5
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 1}},
              "budget": {"cost_attr": "cost", "max_eur": 200_000}, "objective": {"sense": "min_shortfall"},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 2},
                         {"level": "province", "region": "B", "claim": "business", "min_ha": 1}]}
    run = solve(tmp_path, config, two_regions(2, 1, cost=10))
    assert run.result.objective == pytest.approx(0.5)


def test_max_min_fulfilment_is_equitable(tmp_path):
    # budget for 2 units; A and B each ask 2 ha housing. max_value alone may give both to one region;
    # the equitable optimum gives one unit to each (t = 0.5), then the best value within that (20)
    config = {"claims": {"housing": {"value_per_ha": 10}}, "budget": {"cost_attr": "cost", "max_eur": 200_000},
              "objective": {"sense": "max_min_fulfilment", "shortfall_penalty_per_ha": 0},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 2},
                         {"level": "province", "region": "B", "claim": "housing", "min_ha": 2}]}
    run = solve(tmp_path, config, two_regions(2, 2, cost=10))
    met = run.summary.query("level == 'province' and claim == 'housing'").set_index("region")["pct_met"]
    assert met.to_dict() == pytest.approx({"A": 50.0, "B": 50.0})
    assert run.result.objective == pytest.approx(20)


def test_min_cost_counts_soft_penalties_and_a_penalised_balance(tmp_path):
    # 1 ha of housing is asked; u1 costs 10 €/m² (100,000 €) but lies on peat (penalty 50,000 per ha), u2 costs
    # 12 €/m² (120,000 €). Without the penalty u1 is cheapest (100,000); with it u2 (120,000 < 150,000).
    # A woon-werk balance (0.5 ha work per ha housing, penalised 30,000 per ha short) adds 15,000: 135,000.
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 1}},
              "budget": {"cost_attr": "cost"},
              "rules": [{"name": "peat", "claims": ["housing"], "attr": "peat", "op": "==", "value": True,
                         "effect": "penalty", "per_ha": 50_000}],
              "balance": [{"level": "province", "work_claims": ["business"], "housing_claim": "housing",
                           "work_ha_per_housing_ha": 0.5, "penalty_per_ha": 30_000}],
              "objective": {"sense": "min_cost", "shortfall_penalty_per_ha": 1e6},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 1}]}
    run = solve(tmp_path, config, row_units(2, cost=[10, 12], peat=[True, False]))
    assert allocated(run) == {("u2", "housing")}
    assert run.result.objective == pytest.approx(135_000)  # business on u1 would cost 100,000 > 15,000


def test_min_shortfall_chooses_by_cost_and_penalties_among_the_least_short(tmp_path):
    # A asks 1 ha housing; u1 and u2 both meet it (shortfall 0). Stage 2 takes the cheaper after penalties:
    # u1 costs 10 €/m² but is on peat (penalty 50,000), u2 costs 12 €/m²: u2 (120,000 < 150,000).
    config = {"claims": {"housing": {"value_per_ha": 10}}, "budget": {"cost_attr": "cost"},
              "rules": [{"name": "peat", "claims": ["housing"], "attr": "peat", "op": "==", "value": True,
                         "effect": "penalty", "per_ha": 50_000}],
              "objective": {"sense": "min_shortfall"},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 1, "max_ha": 1}]}
    run = solve(tmp_path, config, row_units(2, cost=[10, 12], peat=[True, False]))
    assert run.result.objective == pytest.approx(0.0)  # the reported objective is stage 1's
    assert allocated(run) == {("u2", "housing")}


def test_max_min_fulfilment_is_proven_at_gap_0(tmp_path):
    # 22 cells with divisible claims and fractional floors: the held fulfilment must not let the LP bound
    # stay above every allocation (stage 2 then never closes its gap)
    units = two_regions(11, 11, suit=[0.3, 0.5, 0.7, 0.9, 1.1, 1.3, 0.4, 0.6, 0.8, 1.0, 1.2])
    config = {"claims": {"housing": {"value_per_ha": 10, "divisible": True, "suitability_attr": "suit"},
                         "business": {"value_per_ha": 3}, "energy": {"value_per_ha": 1, "divisible": True}},
              "objective": {"sense": "max_min_fulfilment", "shortfall_penalty_per_ha": 1000},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 7.3},
                         {"level": "province", "region": "B", "claim": "housing", "min_ha": 9.1},
                         {"level": "province", "region": "A", "claim": "business", "min_ha": 5.7},
                         {"level": "province", "region": "B", "claim": "energy", "min_ha": 3.3, "max_ha": 3.3},
                         {"level": "national", "claim": "business", "max_ha": 9}]}
    run = solve(tmp_path, config, units)
    assert run.result.status == "optimal" and run.result.gap == pytest.approx(0.0, abs=1e-9)
    # region A has 11 ha for 7.3 ha housing and 5.7 ha business (whole units of 1 ha): with b business units,
    # t ≤ min(b / 5.7, (11 − b) / 7.3), best at b = 5: t = 6 / 7.3 (B allows 11 / 12.4, more)
    floors = run.summary.query("demand_min > 0")
    assert floors["pct_met"].min() == pytest.approx(100 * 6 / 7.3)


def eighteen_units(tmp_path):
    """18 cells in two provinces; housing (10/ha, suitability 0.5–1.3) and business (3/ha); budget for 10 cells."""
    from .helpers import write_instance

    units = two_regions(9, 9, cost=1, suit=[0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3])
    config = {"claims": {"housing": {"value_per_ha": 10, "suitability_attr": "suit"}, "business": {"value_per_ha": 3}},
              "budget": {"cost_attr": "cost", "max_eur": 100_000},
              "objective": {"sense": "max_min_fulfilment", "shortfall_penalty_per_ha": 1000},
              "solver": {"mip_rel_gap": 0.0},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 5},
                         {"level": "province", "region": "B", "claim": "housing", "min_ha": 5},
                         {"level": "province", "region": "B", "claim": "business", "min_ha": 4}]}
    return write_instance(tmp_path / "eighteen", config, units)


def stage_two_stopped(real, found: bool):
    """A solver call whose stage 1 is the real solve and whose stage 2 stops at its limit: with the start it was
    given as its allocation (``found``), or with none; in both cases with stage 2's true optimum as its bound."""
    from ruimtepuzzel.solvers.base import NO_SOLUTION, TIME_LIMIT, SolveResult

    calls = []

    def solve(prob, opts, **kw):
        calls.append(opts)
        if len(calls) == 1:
            return real(prob, opts, **kw)
        best = real(prob, dataclasses.replace(opts, start=None), **kw)  # stage 2 to its end: its optimum is a bound
        if not found:
            return SolveResult(NO_SOLUTION, bound=best.objective, message="time limit reached", times={"solve": 1.0})
        x = opts.start
        return SolveResult(TIME_LIMIT, values=x, objective=float(prob.objective() @ x + prob.offset), bound=best.objective,
                           gap=None, message="time limit reached", times={"solve": 1.0})
    return solve, calls


@pytest.mark.parametrize("found", [True, False])
def test_a_two_stage_solve_whose_second_stage_stops_is_not_called_optimal(tmp_path, monkeypatch, found):
    from ruimtepuzzel import solvers
    from ruimtepuzzel.model.pipeline import solve_instance

    folder = eighteen_units(tmp_path)
    proven = solve_instance(folder, out=tmp_path / "proven", time_limit=30)
    assert proven.result.status == "optimal"
    solve, calls = stage_two_stopped(solvers.solve, found)
    monkeypatch.setattr(solvers, "solve", solve)
    run = solve_instance(folder, out=tmp_path / "stopped", time_limit=30)
    assert len(calls) == 2 and calls[1].start is not None  # stage 2 was given stage 1's allocation, every column
    assert len(calls[1].start) == run.problem.n_cols
    assert run.result.status == "time_limit"
    # the objective is stage 2's (max_value with t held), of the allocation reported, never t
    values = run.result.values
    assert run.result.objective == pytest.approx(float(run.problem.objective() @ values + run.problem.offset))
    assert run.result.bound == pytest.approx(proven.result.objective)  # stage 2's bound, not t's
    assert run.result.objective < proven.result.objective - 1  # stage 1's allocation, well below stage 2's optimum
    assert run.result.gap == pytest.approx(abs(run.result.bound - run.result.objective) / abs(run.result.objective))
    manifest = json.loads((tmp_path / "stopped" / "manifest.json").read_text())
    assert manifest["status"] == "time_limit" and manifest["objective"] == pytest.approx(run.result.objective)
