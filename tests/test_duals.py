"""Shadow prices with the integer decisions fixed, on instances where they follow by hand."""
import pytest

from .helpers import row_units, solve


def prices(run):
    return run.duals.set_index(["family", "key"])


def test_grid_cap_and_ceiling_prices_of_a_divisible_claim(tmp_path):
    # energy is divisible, worth 5/ha and uses 2 MW/ha; zone Z has 1 MW: 0.5 ha is built, so one more MW
    # is worth 5/2 = 2.5. The ceiling of 3 ha does not bind: price 0.
    config = {"claims": {"energy": {"value_per_ha": 5, "divisible": True}},
              "demand": [{"level": "province", "region": "A", "claim": "energy", "max_ha": 3}],
              "resources": {"grid": {"zone_attr": "zone", "per_ha": {"energy": 2.0}, "cap": {"Z": 1}, "unit": "MW"}}}
    run = solve(tmp_path, config, row_units(2, zone="Z"))
    p = prices(run)
    assert run.result.objective == pytest.approx(2.5)
    assert p.loc[("resources", "grid Z"), "shadow_price"] == pytest.approx(2.5)
    assert p.loc[("resources", "grid Z"), "unit"] == "value per extra MW of grid capacity"
    assert bool(p.loc[("resources", "grid Z"), "binding"])
    assert p.loc[("demand_ceiling", "province A energy"), "shadow_price"] == 0


def test_binding_ceiling_of_a_divisible_claim(tmp_path):
    # 0.3 ha allowed, each extra ha is worth 5
    config = {"claims": {"energy": {"value_per_ha": 5, "divisible": True}},
              "demand": [{"level": "province", "region": "A", "claim": "energy", "max_ha": 0.3}]}
    run = solve(tmp_path, config, row_units(2))
    assert prices(run).loc[("demand_ceiling", "province A energy"), "shadow_price"] == pytest.approx(5)


def test_a_floor_in_shortfall_costs_its_penalty(tmp_path):
    # housing asks 3 ha of the 2 there are: one more ha demanded costs the shortfall penalty of 1000;
    # business asks 0.5 ha and gets a unit: a met floor has price 0
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 1}},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 3},
                         {"level": "national", "claim": "business", "min_ha": 0.5}]}
    run = solve(tmp_path, config, row_units(3, only=[1, 1, 0]),
                overrides={"rules": [{"name": "x", "claims": ["housing"], "attr": "only", "op": "==", "value": 0}]})
    p = prices(run)
    assert p.loc[("demand_floor", "province A housing"), "shadow_price"] == pytest.approx(-1000)
    assert p.loc[("demand_floor", "province A housing"), "unit"] == "value per extra ha demanded"
    assert p.loc[("demand_floor", "national NL business"), "shadow_price"] == 0


def test_duals_csv_is_written(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 10}}, "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 1}]}
    run = solve(tmp_path, config, row_units(2))
    text = (run.out / "duals.csv").read_text().splitlines()
    assert text[0] == "family,key,level,region,claim,zone,shadow_price,unit,activity,rhs,binding,region_name,claim_name" and len(text) == 2


def test_rule_costs_by_hand(tmp_path):
    # housing asks 3 ha of 3 cells; flood removes u1 from housing, which then takes business (+1):
    # housing 10 − 2 (peat on u2) + 10, shortfall 1 ha (−1000) → −981. Without flood: housing on u1 instead of
    # business, no shortfall: +10 − 1 + 1000 = +1009. The soil rule only keeps business off u2: it costs nothing.
    from ruimtepuzzel.model.pipeline import solve_instance

    from .helpers import write_instance

    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 1}},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 3}],
              "rules": [{"name": "flood", "claims": ["housing"], "attr": "flood", "op": "==", "value": 1},
                        {"name": "soil", "claims": ["business"], "attr": "soil", "op": "==", "value": 1},
                        {"name": "peat", "claims": ["housing"], "attr": "soil", "op": "==", "value": 1, "effect": "penalty", "per_ha": 2}]}
    folder = write_instance(tmp_path / "inst", config, row_units(3, flood=[1, 0, 0], soil=[0, 1, 0]))
    run = solve_instance(folder, out=tmp_path / "run", gap=0.0, with_rule_costs=True)
    costs = run.rule_costs.set_index("rule")
    assert list(costs.index) == ["flood", "soil"]  # hard rules only
    assert run.result.objective == pytest.approx(-981)
    assert costs.loc["flood", "objective_change"] == pytest.approx(1009)
    assert costs.loc["flood", "shortfall_change_ha"] == pytest.approx(-1)
    assert costs.loc["soil", "objective_change"] == pytest.approx(0) and costs.loc["soil", "shortfall_change_ha"] == 0
    assert (run.out / "rule_costs.csv").read_text().startswith("rule,layer,status,objective,objective_change")
