"""Stacking, woon-werk balance, no net loss, resource caps, budget: hand-computed optima."""
import pytest

from .helpers import allocated, row_units, solve


def test_stacking_needs_a_host_and_uses_a_fraction(tmp_path):
    # housing 7 vs business 6 + rooftop solar 4/ha × 0.5 ha = 8 → business + solar
    claims = {"housing": {"value_per_ha": 7}, "business": {"value_per_ha": 6},
              "solar": {"value_per_ha": 4, "stacks_on": ["business"], "area_factor": 0.5}}
    run = solve(tmp_path, {"claims": claims}, row_units(1))
    assert allocated(run) == {("u1", "business"), ("u1", "solar")}
    assert run.result.objective == pytest.approx(8)
    assert run.allocation.set_index("claim").loc["solar", "used_ha"] == pytest.approx(0.5)


def test_stacking_without_allowed_host_is_removed(tmp_path):
    claims = {"housing": {"value_per_ha": 7}, "business": {"value_per_ha": 6},
              "solar": {"value_per_ha": 40, "stacks_on": ["business"], "area_factor": 0.5}}
    rules = [{"name": "no-business", "claims": ["business"], "attr": "x", "op": ">", "value": 0}]
    run = solve(tmp_path, {"claims": claims, "rules": rules}, row_units(1))
    assert allocated(run) == {("u1", "housing")}
    assert "no-host" in set(run.prep.exclusions["rule"])


@pytest.mark.parametrize("penalty,expected", [(None, 21), (4, 24)])
def test_balance(tmp_path, penalty, expected):
    # 3 units; housing 10, business 1; work ≥ 0.5 × housing.
    # Hard: 3 housing breaks it (0 < 1.5) → 2 housing + 1 business = 21 (1 ≥ 1). Without balance: 30.
    # Penalised at 4/ha: 3 housing = 30 − 4·1.5 = 24 beats 21.
    balance = {"level": "province", "work_claims": ["business"], "housing_claim": "housing", "work_ha_per_housing_ha": 0.5}
    if penalty is not None:
        balance["penalty_per_ha"] = penalty
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 1}}, "balance": [balance]}
    run = solve(tmp_path, config, row_units(3))
    assert run.result.objective == pytest.approx(expected)


def test_compensation(tmp_path):
    # u1 is a business park on which business is not allowed; converting it to housing needs
    # 1 ha of new work elsewhere: u1 housing + u2 business + u3 housing = 27 (unconstrained: 30; u1 idle: 20)
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 7}},
              "rules": [{"name": "bp-full", "claims": ["business"], "attr": "bp_full", "op": "==", "value": True}],
              "compensation": {"level": "province", "business_use": "business_park", "work_claims": ["business"]}}
    units = row_units(3, current_use=["business_park", "farm", "farm"], bp_full=["true", "false", "false"])
    run = solve(tmp_path, config, units)
    assert run.result.objective == pytest.approx(27)
    assert ("u1", "housing") in allocated(run)


def test_resource_cap_with_supplying_claim(tmp_path):
    # zone Z1 cap 1 MW: logistics uses 1 MW/ha, energy supplies 2 MW/ha (per_ha −2).
    # u1..u3 in Z1: 2 logistics + 1 energy (2 − 2 = 0 ≤ 1) = 11; u4 has no zone: logistics 5 → 16
    config = {"claims": {"logistics": {"value_per_ha": 5}, "energy": {"value_per_ha": 1}},
              "resources": {"grid_mw": {"zone_attr": "grid_zone", "per_ha": {"logistics": 1, "energy": -2},
                                        "cap": {"Z1": 1}, "unit": "MW"}}}
    run = solve(tmp_path, config, row_units(4, grid_zone=["Z1", "Z1", "Z1", None]))
    assert run.result.objective == pytest.approx(16)


def test_a_resource_without_zone_attr_is_one_zone_over_every_unit(tmp_path):
    # a national ceiling of 2 ha on new economic land (business and logistics, 1 per ha): of 4 units, 2 economic at 5 and
    # 2 housing at 3 = 16 (no ceiling: 20); u4, with no zone column at all, counts as well
    config = {"claims": {"housing": {"value_per_ha": 3}, "business": {"value_per_ha": 5}, "logistics": {"value_per_ha": 5}},
              "resources": {"economic_land": {"per_ha": {"business": 1, "logistics": 1}, "cap": {"NL": 2}, "unit": "ha"}}}
    run = solve(tmp_path, config, row_units(4))
    assert run.result.objective == pytest.approx(16)
    assert run.allocation["claim"].isin(["business", "logistics"]).sum() == 2


def test_a_resource_without_zone_attr_needs_one_cap(tmp_path):
    from ruimtepuzzel.model.errors import InputError

    config = {"claims": {"business": {"value_per_ha": 5}},
              "resources": {"economic_land": {"per_ha": {"business": 1}, "cap": {"NL": 2, "BE": 3}}}}
    with pytest.raises(InputError, match="cap needs exactly one key"):
        solve(tmp_path, config, row_units(2))


def test_budget(tmp_path):
    # every unit costs 10 €/m² = 100,000 € per ha; budget 150,000 € → one unit of housing
    config = {"claims": {"housing": {"value_per_ha": 10}}, "budget": {"cost_attr": "cost", "max_eur": 150_000}}
    run = solve(tmp_path, config, row_units(3, cost=10))
    assert run.result.objective == pytest.approx(10)
    assert len(run.allocation) == 1
