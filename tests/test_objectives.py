"""The four objective senses on instances with known optima."""
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
