"""Infeasible plans: an irreducible set of constraints, in planner's words, written to infeasibility.txt."""
import pytest

from ruimtepuzzel.model.errors import InfeasibleError
from ruimtepuzzel.model.pipeline import solve_instance

from .helpers import row_units, write_instance


def infeasible(tmp_path, config, units):
    folder = write_instance(tmp_path / "inst", config, units)
    with pytest.raises(InfeasibleError) as err:
        solve_instance(folder, out=tmp_path / "run", time_limit=30)
    return str(err.value), (tmp_path / "run" / "infeasibility.txt").read_text()


def iis_lines(text):
    block = text.split("cannot all hold (an irreducible set: drop any one and the rest can):\n")[1].split("\n\n")[0]
    return sorted(line.strip()[2:] for line in block.splitlines())


def test_locked_units_in_zoning_conflict_and_a_grid_cap(tmp_path):
    # u1 locked to housing, u2 locked to industry 0 m away: zoning conflict. A separate grid cap of 5 MW in zone Z
    # holds (u3 is free), so it must not appear in the irreducible set.
    units = row_units(3, zone="Z")
    config = {"claims": {"housing": {"value_per_ha": 1, "sensitive": True}, "industry": {"value_per_ha": 1, "env_category": "4.1"}},
              "env_zoning": {"distance_m": {"4.1": 150}},
              "resources": {"grid": {"zone_attr": "zone", "per_ha": {"industry": 3}, "cap": {"Z": 5}, "unit": "MW"}},
              "locked": [{"unit_id": "u1", "claim": "housing"}, {"unit_id": "u2", "claim": "industry"}]}
    message, written = infeasible(tmp_path, config, units)
    assert iis_lines(written) == sorted([
        "industry on unit u2 is closer to housing on unit u1 than the guideline distance",
        "unit u1 is locked to housing", "unit u2 is locked to industry"])
    assert "Found before solving:" in written and "locked industry on unit u2 and locked housing on unit u1" in written
    assert message.startswith(written.strip()) and "infeasibility.txt" in message


def test_locked_use_above_a_resource_cap(tmp_path):
    units = row_units(3, zone=["Z", "Z", "Y"])
    config = {"claims": {"industry": {"value_per_ha": 1}},
              "resources": {"grid": {"zone_attr": "zone", "per_ha": {"industry": 3}, "cap": {"Z": 5, "Y": 1}, "unit": "MW"}},
              "locked": [{"unit_id": "u1", "claim": "industry"}, {"unit_id": "u2", "claim": "industry"}]}
    _, written = infeasible(tmp_path, config, units)
    assert iis_lines(written) == sorted(["the grid cap of 5.0 MW in zone Z", "unit u1 is locked to industry", "unit u2 is locked to industry"])


def test_hard_balance_against_locked_housing(tmp_path):
    # housing locked on u1 and u2 (2 ha) needs 1 ha of work; business is excluded everywhere
    units = row_units(3, soil=1)
    config = {"claims": {"housing": {"value_per_ha": 1}, "business": {"value_per_ha": 1}},
              "rules": [{"name": "soil", "claims": ["business"], "attr": "soil", "op": "==", "value": 1, "effect": "exclude"}],
              "balance": [{"level": "province", "work_claims": ["business"], "housing_claim": "housing", "work_ha_per_housing_ha": 0.5}],
              "locked": [{"unit_id": "u1", "claim": "housing"}]}
    _, written = infeasible(tmp_path, config, units)
    assert iis_lines(written) == sorted(["the woon-werk balance in province A (work land keeps pace with housing)",
                                         "unit u1 is locked to housing"])


def test_solves_after_a_diagnosis_do_not_hang(tmp_path):
    # the IIS runs in a forked worker: had HiGHS started its threads in this process, the next
    # forked solve would inherit a thread pool without threads and spin until its time limit
    units = row_units(3, zone="Z")
    config = {"claims": {"industry": {"value_per_ha": 1}},
              "resources": {"grid": {"zone_attr": "zone", "per_ha": {"industry": 3}, "cap": {"Z": 1}}},
              "locked": [{"unit_id": "u1", "claim": "industry"}]}
    infeasible(tmp_path / "a", config, units)
    folder = write_instance(tmp_path / "b", {"claims": {"logistics": {"value_per_ha": 1, "min_site_ha": 2}}}, row_units(6))
    run = solve_instance(folder, out=tmp_path / "b-run", gap=0.0, time_limit=20)
    assert run.result.status == "optimal" and run.result.times["solve"] < 10


def test_housing_locked_next_to_a_park_that_can_only_become_industry(tmp_path):
    # u1 is a park (category 4.1); the only claim allowed on it is industry (4.1 again). Housing locked on u2 needs
    # u1 transformed, and transforming u1 to industry puts new industry 0 m from that housing.
    units = row_units(3, cat=["4.1", None, None], current_use=["business_park", "farm", "farm"], park=[True, False, False])
    config = {"claims": {"housing": {"value_per_ha": 1, "sensitive": True}, "industry": {"value_per_ha": 1, "env_category": "4.1"}},
              "rules": [{"name": "park-industry-only", "claims": ["housing"], "attr": "park", "op": "==", "value": True}],
              "env_zoning": {"distance_m": {"4.1": 150}, "existing_category_attr": "cat"},
              "locked": [{"unit_id": "u2", "claim": "housing"}]}
    _, written = infeasible(tmp_path, config, units)
    assert iis_lines(written) == sorted([
        "industry on unit u1 is closer to housing on unit u2 than the guideline distance",
        "housing on unit u2 is closer to the existing category 4.1 on unit u1 than the guideline distance, "
        "so unit u1 must be transformed",
        "unit u2 is locked to housing"])


def test_housing_locked_next_to_a_park_that_cannot_move(tmp_path):
    # nothing may take u1 (relocation above the threshold): its category removes housing on u2 before solving
    units = row_units(2, cat=["4.1", None], cost=[2000, 10])
    config = {"claims": {"housing": {"value_per_ha": 1, "sensitive": True}},
              "env_zoning": {"distance_m": {"4.1": 150}, "existing_category_attr": "cat"},
              "budget": {"cost_attr": "cost", "max_relocation_eur_per_m2": 1400},
              "locked": [{"unit_id": "u2", "claim": "housing"}]}
    message, written = infeasible(tmp_path, config, units)
    assert "unit 'u2' is locked to 'housing', but that pair is excluded by 'env-zoning-existing'" in written
