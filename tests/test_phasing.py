"""Phasing (docs/model.md, *Phasing*): one allocation per period, what is allocated stays allocated.

Hand-checked optima at gap 0; every solution goes through the checker, which checks each
period's state and recomputes the phased objective.
"""
import copy
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.pipeline import compute, solve_instance
from ruimtepuzzel.model.solve.stages import solve_options

from .checker import check
from .helpers import row_units, solve, write_instance
from .test_properties import instances


def by_period(run) -> dict:
    return {(r.unit_id, r.claim): r.period for r in run.allocation.itertuples()}


def test_a_2030_ceiling_pushes_a_claim_to_2050(tmp_path):
    # 3 cells; housing (10) may take 1 ha by 2030 and must take 3 by 2050: 10 in 2030 + 30 in 2050
    config = {"claims": {"housing": {"value_per_ha": 10}}, "periods": [2030, 2050],
              "demand": [{"level": "national", "claim": "housing", "max_ha": 1, "period": 2030},
                         {"level": "national", "claim": "housing", "min_ha": 3}]}
    run = solve(tmp_path, config, row_units(3))
    assert run.result.objective == pytest.approx(40)
    assert sorted(by_period(run).values()) == [2030, 2050, 2050]
    national = run.summary.query("level == 'national'").set_index("period")
    assert national["allocated_ha"].to_dict() == {2030: 1.0, 2050: 3.0}
    assert national.loc[2030, "demand_max"] == 1 and national.loc[2050, "demand_min"] == 3


@pytest.mark.parametrize("weight_2030, expected, claim", [(1.0, 20.0, "housing"), (0.2, 14.0, "logistics")])
def test_a_period_weight_makes_an_early_allocation_pay(tmp_path, weight_2030, expected, claim):
    # one cell: housing (10) from 2030, or logistics (14), which 2030 does not allow (ceiling 0). With equal
    # weights, housing earns 10 + 10 = 20 > 14; when 2030 counts 0.2, housing earns 2 + 10 = 12 < 14.
    config = {"claims": {"housing": {"value_per_ha": 10}, "logistics": {"value_per_ha": 14}},
              "periods": [2030, 2050], "objective": {"period_weights": {2030: weight_2030}},
              "demand": [{"level": "national", "claim": "logistics", "max_ha": 0, "period": 2030}]}
    run = solve(tmp_path, config, row_units(1))
    assert run.result.objective == pytest.approx(expected)
    assert by_period(run) == {("u1", claim): 2030 if claim == "housing" else 2050}


def test_zoning_binds_early_housing_once_a_later_claim_arrives(tmp_path):
    # 4 cells of 100 m; industry (4.1, 150 m, worth 5) may only take u1 and must be there by 2050. Housing (10)
    # that came in 2030 would stay, and u2 (0 m) and u3 (100 m) would then sit too close to the 2050 industry:
    # so housing takes only u4 (200 m), from 2030. 2 × 10 + 2 × 5 = 30 (without the 2050 floor: 80).
    config = {"claims": {"housing": {"value_per_ha": 10, "sensitive": True},
                         "industry": {"value_per_ha": 5, "env_category": "4.1"}},
              "rules": [{"name": "industry-u1", "claims": ["industry"], "attr": "site", "op": "==", "value": False}],
              "env_zoning": {"distance_m": {"4.1": 150}}, "periods": [2030, 2050],
              "demand": [{"level": "national", "claim": "industry", "min_ha": 1, "period": 2050, "shortfall_penalty": 1000}]}
    units = row_units(4, site=[True, False, False, False])
    run = solve(tmp_path, config, units)
    assert run.result.objective == pytest.approx(30)
    assert by_period(run) == {("u1", "industry"): 2030, ("u4", "housing"): 2030}
    free = copy.deepcopy(config)
    free["demand"] = []
    assert solve(tmp_path, free, units).result.objective == pytest.approx(80)


@pytest.mark.parametrize("strategy", ["direct", "lp_first"])
def test_a_site_must_be_whole_in_each_period(tmp_path, strategy):
    # logistics (10/ha) needs sites of 2 ha; 2030 allows 1 ha, too small for a site: nothing in 2030, 3 ha in 2050
    # (30). Were sites checked only at the end, 1 ha in 2030 and 3 in 2050 would give 40. LP-first puts the site
    # cuts of each period on that period's columns
    config = {"claims": {"logistics": {"value_per_ha": 10, "min_site_ha": 2}}, "periods": [2030, 2050],
              "demand": [{"level": "national", "claim": "logistics", "max_ha": 1, "period": 2030}],
              "solver": {"strategy": strategy, "mip_rel_gap": 0.0}}
    run = solve(tmp_path, config, row_units(3))
    assert run.result.objective == pytest.approx(30)
    assert set(by_period(run).values()) == {2050}


@pytest.mark.parametrize("period, expected", [(None, -2.0), (2050, -1.0)])
def test_a_locked_pair_holds_from_its_period_on(tmp_path, period, expected):
    lock = {"unit_id": "u1", "claim": "housing", **({"period": period} if period else {})}
    config = {"claims": {"housing": {"value_per_ha": -1}}, "periods": [2030, 2050], "locked": [lock]}
    run = solve(tmp_path, config, row_units(2))
    assert run.result.objective == pytest.approx(expected)
    assert by_period(run) == {("u1", "housing"): period or 2030}


def test_the_budget_of_each_period_and_min_cost_paying_each_pair_once(tmp_path):
    # each cell costs 100,000 € (10 €/m²); the budget allows 1 cell by 2030 and 3 by 2050; housing floors of 1 ha
    # (2030) and 3 ha (2050). min_cost pays the last state once: 300,000.
    config = {"claims": {"housing": {"value_per_ha": 10}}, "periods": [2030, 2050],
              "budget": {"cost_attr": "cost", "max_eur": {2030: 100_000, 2050: 300_000}},
              "objective": {"sense": "min_cost", "shortfall_penalty_per_ha": 1e7},
              "demand": [{"level": "national", "claim": "housing", "min_ha": 1, "period": 2030},
                         {"level": "national", "claim": "housing", "min_ha": 3, "period": 2050}]}
    run = solve(tmp_path, config, row_units(4, cost=10))
    assert run.result.objective == pytest.approx(300_000)
    national = run.summary.query("level == 'national' and demand_min > 0").set_index("period")
    assert national["allocated_ha"].to_dict() == {2030: 1.0, 2050: 3.0}


def test_rows_are_labelled_with_their_period_and_every_family_repeats(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 10, "sensitive": True}, "industry": {"value_per_ha": 9, "env_category": "4.1"}},
              "env_zoning": {"distance_m": {"4.1": 150}}, "periods": [2030, 2040, 2050],
              "demand": [{"level": "national", "claim": "housing", "min_ha": 1, "period": 2040}]}
    run = solve(tmp_path, config, row_units(3))
    blocks = {b.family: b for b in run.problem.blocks}
    single = len(run.prep.zoning)  # new-new conflicts of one period (merged into cliques per period)
    assert set(blocks["env_zoning"].labels["period"]) == {2030, 2040, 2050}
    assert blocks["single_use"].size == 3 * 3
    assert list(blocks["demand_floor"].labels["period"]) == [2040]
    assert blocks["phasing"].size == 2 * len(run.prep.pairs)
    assert blocks["env_zoning"].size % 3 == 0 and blocks["env_zoning"].size <= 3 * single
    assert run.manifest["periods"] == [2030, 2040, 2050]


def test_phasing_errors_name_the_key(tmp_path):
    folder = write_instance(tmp_path / "bad", {"claims": {"housing": {"value_per_ha": 1}}, "periods": [2030, 2050],
                                               "demand": [{"level": "national", "claim": "housing", "min_ha": 1, "period": 2040}]},
                            row_units(2))
    with pytest.raises(InputError, match=r"demand\[0\]\.period: 2040 is not one of periods"):
        load_instance(folder)


def test_the_pyomo_path_solves_a_phased_instance(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 10}}, "periods": [2030, 2050],
              "demand": [{"level": "national", "claim": "housing", "max_ha": 1, "period": 2030}]}
    run = solve(tmp_path, config, row_units(3), solver="pyomo-highs")
    assert run.result.objective == pytest.approx(40)


SETTINGS = settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def optimum(config, units):
    with tempfile.TemporaryDirectory() as tmp:
        inst = load_instance(write_instance(Path(tmp) / "inst", config, units))
        run = compute(inst, solve_options(inst, gap=0.0, time_limit=60))
        assert run.result.status == "optimal"
        check(run.instance, run.allocation, run.summary, run.result.objective)
        return run.result.objective


@SETTINGS
@given(instances(), st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=2, max_size=3))
def test_equal_periods_give_the_single_optimum_times_the_weights(case, weights):
    # every period asks what the single period asks: the optimum allocates in the first period and keeps it,
    # so the phased optimum is the single one times Σ w[t] — exactly so when shortfall penalties, counted once
    # per demand row, are counted by weight too: with weights of 1 per period (T rows, T periods) or no floors
    config, units = case
    config["solver"] = {"aggregate": False}
    years = [2030, 2040, 2050][: len(weights)]
    if any(d.get("min_ha") for d in config["demand"]):
        weights = [1.0] * len(weights)
    single = optimum(config, units)
    phased = copy.deepcopy(config)
    phased["periods"] = years
    phased["objective"]["period_weights"] = dict(zip(years, weights))
    phased["demand"] = [dict(d, period=y) for y in years for d in config["demand"]]
    phased.get("budget", {}).pop("max_eur", None)
    assert optimum(phased, units) == pytest.approx(single * sum(weights), rel=1e-7, abs=1e-6)


def test_a_diagnosis_names_the_periods(tmp_path):
    # housing locked on u1 from 2030 (so in 2050 too), but 2050 allows no housing
    from ruimtepuzzel.model.analysis.diagnose import describe_row
    from ruimtepuzzel.model.errors import InfeasibleError

    config = {"claims": {"housing": {"value_per_ha": 1}}, "periods": [2030, 2050],
              "demand": [{"level": "national", "claim": "housing", "max_ha": 0, "period": 2050}],
              "locked": [{"unit_id": "u1", "claim": "housing"}]}
    folder = write_instance(tmp_path / "inst", config, row_units(2))
    with pytest.raises(InfeasibleError):
        solve_instance(folder, out=tmp_path / "run", time_limit=30)
    text = (tmp_path / "run" / "infeasibility.txt").read_text()
    assert "the ceiling of 0.0 ha for housing in the whole instance (in 2050)" in text
    assert "unit u1 is locked to housing" in text
    config["demand"], config["locked"] = [], []
    run = solve(tmp_path, config, row_units(2))
    kept = next(b for b in run.problem.blocks if b.family == "phasing")
    assert describe_row(kept, 0) == "housing on unit u1, allocated in 2030, stays allocated in 2050"
