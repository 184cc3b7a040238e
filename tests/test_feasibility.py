"""Feasibility before solving: certain shortfalls and impossible locked plans, with figures."""
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.prepare.pairs import prepare

from .helpers import row_units, write_instance


def prep_of(tmp_path, config, units):
    return prepare(load_instance(write_instance(tmp_path / "inst", config, units)))


def messages(prep, kind):
    return [f.message for f in prep.findings if f.kind == kind]


def test_floor_above_eligible_land_names_the_rules_and_their_hectares(tmp_path):
    # 6 cells of 10 ha in PV28: 3 in a floodplain, 2 deep polder (u1 is both); housing asks 50 ha of the 20 left
    units = row_units(6, area=10.0, region="PV28", floodplain=[True, True, True, False, False, False],
                      depth=[6, 0, 0, 0, 0, 6])
    config = {"claims": {"housing": {"value_per_ha": 1}},
              "rules": [{"name": "wbs-floodplain", "attr": "floodplain", "op": "==", "value": True, "effect": "exclude"},
                        {"name": "wbs-deep-polder", "attr": "depth", "op": ">", "value": 5, "effect": "exclude"}],
              "demand": [{"level": "province", "region": "PV28", "claim": "housing", "min_ha": 50}]}
    prep = prep_of(tmp_path, config, units)
    [msg] = messages(prep, "floor")
    assert msg == ("PV28 asks 50.0 ha of housing; the hard rules leave 20.0 ha eligible: wbs-floodplain removes 30.0 ha, "
                   "wbs-deep-polder removes 20.0 ha (shortfall at least 30.0 ha)")
    assert not any(f.hard for f in prep.findings)


def test_a_floor_that_fits_gives_no_finding(tmp_path):
    config = {"claims": {"housing": {}}, "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 3}]}
    assert prep_of(tmp_path, config, row_units(3)).findings == []


def test_hard_balance_against_eligible_work_land(tmp_path):
    # housing floor 4 ha needs 0.5 × 4 = 2 ha of work; business is allowed on one 1-ha cell only
    units = row_units(5, biz=[1, 0, 0, 0, 0])
    config = {"claims": {"housing": {}, "business": {}},
              "rules": [{"name": "no-business", "claims": ["business"], "attr": "biz", "op": "==", "value": 0, "effect": "exclude"}],
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 4}],
              "balance": [{"level": "province", "work_claims": ["business"], "housing_claim": "housing", "work_ha_per_housing_ha": 0.5}]}
    [msg] = messages(prep_of(tmp_path, config, units), "balance")
    assert "needs 2.0 ha of work land" in msg and "only 1.0 ha is eligible" in msg and "short by at least 2.0 ha" in msg


def test_locked_plans_that_cannot_hold(tmp_path):
    units = row_units(4, zone="Z", current_use=["business_park", "farm", "farm", "farm"])
    config = {"claims": {"housing": {"sensitive": True}, "industry": {"env_category": "4.1"}},
              "env_zoning": {"distance_m": {"4.1": 150}},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "max_ha": 1}],
              "resources": {"grid": {"zone_attr": "zone", "per_ha": {"industry": 3}, "cap": {"Z": 2}, "unit": "MW"}},
              "locked": [{"unit_id": "u1", "claim": "housing"}, {"unit_id": "u2", "claim": "industry"}, {"unit_id": "u4", "claim": "housing"}]}
    prep = prep_of(tmp_path, config, units)
    locked = messages(prep, "locked")
    assert any("locked industry on unit u2 and locked housing on unit u1" in m for m in locked)
    assert any("locked housing in A comes to 2.0 ha, above the ceiling of 1.0 ha" in m for m in locked)
    assert any("zone Z use 3.0 MW of grid, above its cap of 2.0" in m for m in locked)
    assert all(f.hard for f in prep.findings if f.kind == "locked")


def test_locked_conversion_without_land_to_compensate(tmp_path):
    # u1 (business park) is locked to housing; industry is excluded from the only other cell
    units = row_units(2, current_use=["business_park", "farm"], soil=[0, 1])
    config = {"claims": {"housing": {}, "industry": {}},
              "rules": [{"name": "soil", "claims": ["industry"], "attr": "soil", "op": "==", "value": 1, "effect": "exclude"}],
              "compensation": {"level": "province", "business_use": "business_park", "work_claims": ["industry"]},
              "locked": [{"unit_id": "u1", "claim": "housing"}]}
    [comp] = messages(prep_of(tmp_path, config, units), "compensation")
    assert comp == "A: locked plans convert 1.0 ha of business_park land, but only 0.0 ha of other land is eligible for new work land (no net loss)"
