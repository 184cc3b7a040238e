"""No net loss with ``compensation.additional``: only new work land beyond the met part of the work floors
compensates. Hand-checked optima at gap 0; every solution goes through the independent checker (which recomputes
the shortfalls the optimum pays and the objective)."""
import numpy as np
import pytest

from ruimtepuzzel.model.formulation import compensation

from .helpers import row_units, solve


def park_case(additional, penalty=100, floor_level="province", sense="max_value", measure=False, periods=None):
    """u1: a business park that housing (10/ha) may take; u2: farmland that business (1/ha) may take; 300 m apart.
    A business floor of 1 ha in province A (or at ``floor_level``)."""
    claims = {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 1}}
    rules = [{"name": "no-housing", "claims": ["housing"], "attr": "no_housing", "op": "==", "value": True},
             {"name": "no-business", "claims": ["business"], "attr": "no_business", "op": "==", "value": True}]
    floor = {"level": "national"} if floor_level == "national" else {"level": "province", "region": "A"}
    floor.update(claim="business", **({"min": 1, "measure": "jobs"} if measure else {"min_ha": 1}))
    config = {"claims": claims, "rules": rules, "demand": [floor],
              "compensation": {"level": "province", "business_use": "business_park", "work_claims": ["business"],
                               "additional": additional},
              "objective": {"sense": sense, "shortfall_penalty_per_ha": penalty}}
    if periods:
        config["periods"] = periods
    units = row_units(2, cell=300, current_use=["business_park", "farm"], no_housing=[False, True],
                      no_business=[True, False], jobs=[0, 1])
    return config, units


def floor_row(run):
    return run.summary.query("level == 'province' and region == 'A' and claim == 'business'").iloc[0]


def test_without_additional_the_growth_land_compensates(tmp_path):
    # u2's hectare of business meets the floor and compensates u1's conversion: 10 + 1 = 11.
    run = solve(tmp_path, *park_case(False))
    assert run.result.objective == pytest.approx(11)
    assert floor_row(run)["shortfall_ha"] == pytest.approx(0)


def test_with_additional_the_growth_land_does_not_compensate(tmp_path):
    # u2's hectare meets the floor and is not on top of it: converting u1 would leave the floor 1 ha short (−100),
    # 11 − 100 = −89; so u1 stays a park: 1.
    run = solve(tmp_path, *park_case(True))
    assert run.result.objective == pytest.approx(1)
    assert set(run.allocation["claim"]) == {"business"}
    row = [b for b in run.problem.blocks if b.family == compensation.FAMILY][0]
    assert list(row.labels["region"]) == ["A"] and list(row.upper) == [-1.0]


def test_a_cheap_floor_is_declared_short_so_its_land_compensates(tmp_path):
    # At 5 per ha short, converting u1 pays: u2's hectare compensates and the floor is 1 ha short:
    # 10 + 1 − 5 = 6; the summary reports the shortfall the objective pays although 1 ha is allocated.
    run = solve(tmp_path, *park_case(True, penalty=5))
    assert run.result.objective == pytest.approx(6)
    row = floor_row(run)
    assert row["allocated_ha"] == pytest.approx(1) and row["shortfall_ha"] == pytest.approx(1) and row["pct_met"] == pytest.approx(0)


@pytest.mark.parametrize("kind", ["national floor", "jobs floor"])
def test_only_hectare_floors_at_the_compensation_level_count(tmp_path, kind):
    # A floor at another level, or in another measure, is not taken out of the compensation: as without additional.
    config, units = park_case(True, floor_level="national" if kind == "national floor" else "province",
                              measure=kind == "jobs floor")
    run = solve(tmp_path, config, units)
    assert run.result.objective == pytest.approx(11)


def test_min_shortfall_counts_the_declared_shortfall(tmp_path):
    # min_shortfall: converting u1 is worth nothing, so the optimum keeps the floor whole: 0.
    run = solve(tmp_path, *park_case(True, sense="min_shortfall"))
    assert run.result.objective == pytest.approx(0)


def test_phased_rows_hold_the_floors_of_their_own_period(tmp_path):
    # Two periods, the floor in 2040 (the last). In 2030 the row has no floor: u1 housing from 2030 needs u2 business
    # from 2030; in 2040 the floor takes u2's hectare, so u1 would be 1 ha short (−100): u1 stays a park, u2 business
    # in both periods: 1 + 1.
    run = solve(tmp_path, *park_case(True, periods=[2030, 2040]))
    assert run.result.objective == pytest.approx(2)
    rows = [b for b in run.problem.blocks if b.family == compensation.FAMILY][0]
    assert list(rows.labels["period"]) == [2030, 2040] and list(rows.upper) == [0.0, -1.0]
    shortfall = run.problem.group("shortfall").start
    assert np.count_nonzero(rows.cols == shortfall) == 1  # the floor's column, in 2040 only


@pytest.mark.parametrize("periods", [None, [2030, 2040]])
@pytest.mark.parametrize("floor", [0.5, 3.0])
def test_a_sweep_that_moves_a_work_floor_moves_the_row_as_a_fresh_formulation_does(tmp_path, periods, floor):
    # The patched problem equals a fresh formulation array by array, the no-net-loss row's right-hand side included.
    from ruimtepuzzel.model.analysis.sweep.patch import patched
    from ruimtepuzzel.model.formulation import formulate
    from ruimtepuzzel.model.inputs.instance import load_instance, with_config
    from ruimtepuzzel.model.prepare.pairs import prepare
    from ruimtepuzzel.solvers.kept import same_structure

    from .helpers import write_instance

    config, units = park_case(True, periods=periods)
    base_instance = load_instance(write_instance(tmp_path / "inst", config, units))
    base_prep = prepare(base_instance)
    base = formulate(base_prep)
    data = base_instance.config.model_dump(exclude_none=True)
    data["demand"][0]["min_ha"] = floor
    new = with_config(base_instance, data, "test").config
    got = patched(base_prep, base, new)
    assert got is not None
    fast = got[1]
    slow = formulate(prepare(with_config(base_instance, data, "test")))
    assert same_structure(fast, slow)
    for a, b in zip(fast.bounds(), slow.bounds()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fast.objective(), slow.objective())
    for x, y in zip(fast.blocks, slow.blocks):
        np.testing.assert_array_equal(x.lower, y.lower)
        np.testing.assert_array_equal(x.upper, y.upper)
    rows = [b for b in fast.blocks if b.family == compensation.FAMILY][0]
    assert rows.upper[-1] == -floor


@pytest.mark.parametrize("additional, expected", [(False, 1), (True, -99)])
def test_a_floor_met_on_existing_business_land_is_not_new_work(tmp_path, additional, expected):
    # Business may only take u1, itself a business park: that is no new work land. Without additional the floor is
    # met (1); with it the row asks the met part of the floor on new work land, so the floor counts 1 ha short: −99.
    config, units = park_case(additional)
    units[0]["no_business"], units[1]["no_business"] = False, True
    units[0]["no_housing"] = True
    run = solve(tmp_path, config, units)
    assert run.result.objective == pytest.approx(expected)
    assert floor_row(run)["allocated_ha"] == pytest.approx(1)
