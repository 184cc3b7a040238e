"""Divisible claims count in the environmental zoning by presence: any share is there, wherever in the unit.

Hand-checked optima at gap 0, on every solve path (direct, LP-first, class aggregation, Pyomo), each solution
through the independent checker (which checks presence-zoning)."""
import numpy as np
import pytest

from ruimtepuzzel.model.analysis import diagnose
from ruimtepuzzel.model.formulation import presence

from .helpers import allocated, row_units, solve

DIST = {"3.2": 100, "4.1": 150, "5.1": 250, "0": 0}
PATHS = {"direct": ({"strategy": "direct"}, "highs"), "lp_first": ({"strategy": "lp_first"}, "highs"),
         "aggregate": ({"aggregate": True}, "highs"), "pyomo": ({}, "pyomo-highs")}


def config(claims, path="direct", **extra):
    solver, _ = PATHS[path]
    return {"claims": claims, "env_zoning": {"distance_m": DIST, "existing_category_attr": "cat", "sensitive_uses": ["housing"]},
            "objective": {"shortfall_penalty_per_ha": 100}, "solver": solver, **extra}


def cells(n: int, **columns):
    """n cells of 1 ha in a row, 100 m apart (neighbours touch), farmland without an existing category by default."""
    return row_units(n, **{"cat": None, "current_use": "farm", **columns})


def share_of(run, unit, claim) -> float:
    rows = run.allocation[(run.allocation["unit_id"] == unit) & (run.allocation["claim"] == claim)]
    return float(rows["share"].sum())


def floors(**ha):
    return [{"level": "province", "region": "A", "claim": k, "min_ha": v} for k, v in ha.items()]


@pytest.mark.parametrize("path", PATHS)
def test_half_a_cell_of_housing_beside_half_a_cell_of_industry_is_not_allowed(tmp_path, path):
    # u1 and u2 touch (distance 0 < 150 m). Housing may only go to u1, industry only to u2; each has a floor of
    # 0.5 ha (penalty 100 per ha short). By share, 0.5 + 0.5 ≤ 1 would meet both (value 10). By presence one of
    # them is absent: 1 ha of housing (10) and 0.5 ha of industry short (−50), or the other way round: −40.
    claims = {"housing": {"value_per_ha": 10, "sensitive": True, "divisible": True},
              "industry": {"value_per_ha": 10, "env_category": "4.1", "divisible": True}}
    rules = [{"name": "h", "claims": ["housing"], "attr": "no_housing", "op": "==", "value": True},
             {"name": "i", "claims": ["industry"], "attr": "no_industry", "op": "==", "value": True}]
    units = cells(2, no_housing=[False, True], no_industry=[True, False], current_use="farm")
    run = solve(tmp_path, config(claims, path, rules=rules, demand=floors(housing=0.5, industry=0.5)), units,
                solver=PATHS[path][1])
    assert run.result.objective == pytest.approx(-40)
    assert len(allocated(run)) == 1
    assert run.allocation["share"].tolist() == pytest.approx([1.0])


def test_the_presence_columns_and_rows_are_labelled(tmp_path):
    claims = {"housing": {"value_per_ha": 10, "sensitive": True, "divisible": True},
              "industry": {"value_per_ha": 10, "env_category": "4.1", "divisible": True}}
    rules = [{"name": "h", "claims": ["housing"], "attr": "no_housing", "op": "==", "value": True},
             {"name": "i", "claims": ["industry"], "attr": "no_industry", "op": "==", "value": True}]
    units = cells(2, no_housing=[False, True], no_industry=[True, False], current_use="farm")
    run = solve(tmp_path, config(claims, rules=rules, demand=floors(housing=0.5, industry=0.5)), units)
    prob = run.problem
    z = prob.group(presence.GROUP)
    assert z.integer and prob.integrality()[z.slice].all()
    assert set(zip(z.labels["unit_id"], z.labels["claim"])) == {("u1", "housing"), ("u2", "industry")}
    rows = [b for b in prob.blocks if b.family == presence.FAMILY][0]
    assert rows.size == 2 and list(rows.upper) == [0.0, 0.0]
    zoning = [b for b in prob.blocks if b.family == "env_zoning"][0]
    assert set(zoning.cols.tolist()) == set(range(z.start, z.start + z.size))  # the zoning row holds z, not x
    text = diagnose.describe_row(rows, 0)
    assert "u1" in text and "housing" in text and "share" in text


@pytest.mark.parametrize("distance, expected", [("4.1", -40), ("0", 10)])
@pytest.mark.parametrize("path", ["direct", "lp_first", "pyomo"])
def test_a_share_of_each_on_one_unit_is_not_allowed_when_the_distance_is_positive(tmp_path, distance, expected, path):
    # One unit; housing and industry both divisible, each with a floor of 0.5 ha. Single use allows 0.5 + 0.5
    # (value 10), and so does a category at distance 0; at 150 m the two shares are at distance 0 < 150: −40.
    claims = {"housing": {"value_per_ha": 10, "sensitive": True, "divisible": True},
              "industry": {"value_per_ha": 10, "env_category": distance, "divisible": True}}
    run = solve(tmp_path, config(claims, path, demand=floors(housing=0.5, industry=0.5)), cells(1, current_use="farm"),
                solver=PATHS[path][1])
    assert run.result.objective == pytest.approx(expected)


@pytest.mark.parametrize("path", PATHS)
def test_against_an_existing_heavy_unit_a_housing_share_needs_it_wholly_transformed(tmp_path, path):
    # u1 carries existing category 4.1 (150 m); u2 touches it. Housing (10/ha, divisible) may go to u2 only, at most
    # 0.5 ha (a ceiling); green (−1/ha, divisible) may go to u1 only and transforms it. By share, 0.5 ha of housing
    # would need 0.5 of u1 transformed (5 − 0.5 = 4.5); by presence u1 must be transformed wholly: 5 − 1 = 4.
    claims = {"housing": {"value_per_ha": 10, "sensitive": True, "divisible": True},
              "green": {"value_per_ha": -1, "divisible": True}}
    rules = [{"name": "h", "claims": ["housing"], "attr": "no_housing", "op": "==", "value": True},
             {"name": "g", "claims": ["green"], "attr": "no_green", "op": "==", "value": True}]
    units = cells(2, cat=["4.1", None], current_use=["industry", "farm"], no_housing=[True, False], no_green=[False, True])
    demand = [{"level": "province", "region": "A", "claim": "housing", "max_ha": 0.5}]
    run = solve(tmp_path, config(claims, path, rules=rules, demand=demand), units, solver=PATHS[path][1])
    assert run.result.objective == pytest.approx(4.0)
    assert share_of(run, "u1", "green") == pytest.approx(1.0)
    assert share_of(run, "u2", "housing") == pytest.approx(0.5)


@pytest.mark.parametrize("path", ["direct", "lp_first"])
def test_a_housing_share_on_the_existing_heavy_unit_itself_needs_the_rest_transformed(tmp_path, path):
    # One unit with existing category 4.1; housing (10/ha) at most 0.5 ha, green (−1/ha). A share of housing on the
    # unit itself transforms only half of it; by presence the other half must leave too: 5 − 0.5 = 4.5.
    claims = {"housing": {"value_per_ha": 10, "sensitive": True, "divisible": True},
              "green": {"value_per_ha": -1, "divisible": True}}
    demand = [{"level": "province", "region": "A", "claim": "housing", "max_ha": 0.5}]
    run = solve(tmp_path, config(claims, path, demand=demand), cells(1, cat="4.1", current_use="industry"))
    assert run.result.objective == pytest.approx(4.5)
    assert share_of(run, "u1", "green") == pytest.approx(0.5)


def test_against_an_existing_house_an_industry_share_needs_it_wholly_transformed(tmp_path):
    # u1 is an existing house (sensitive use); industry (category 4.1, divisible, 10/ha, at most 0.5 ha) may go to u2
    # only; green (−1/ha) to u1 only. 0.5 ha of industry needs all of u1 transformed: 5 − 1 = 4.
    claims = {"industry": {"value_per_ha": 10, "env_category": "4.1", "divisible": True},
              "green": {"value_per_ha": -1, "divisible": True}}
    rules = [{"name": "i", "claims": ["industry"], "attr": "no_industry", "op": "==", "value": True},
             {"name": "g", "claims": ["green"], "attr": "no_green", "op": "==", "value": True}]
    units = cells(2, current_use=["housing", "farm"], no_industry=[True, False], no_green=[False, True])
    demand = [{"level": "province", "region": "A", "claim": "industry", "max_ha": 0.5}]
    run = solve(tmp_path, config(claims, rules=rules, demand=demand), units)
    assert run.result.objective == pytest.approx(4.0)
    assert share_of(run, "u1", "green") == pytest.approx(1.0)


def test_binary_neighbours_keep_the_merged_forms(tmp_path):
    # Binary claims make no presence columns: the model is as it was.
    claims = {"housing": {"value_per_ha": 10, "sensitive": True}, "industry": {"value_per_ha": 9, "env_category": "4.1"}}
    run = solve(tmp_path, config(claims), cells(3, current_use="farm"))
    assert not run.problem.has(presence.GROUP)
    assert run.result.objective == pytest.approx(30)


def test_phased_presence_holds_in_every_period(tmp_path):
    # The first test over two periods (floors in the last): housing 1 ha in both periods (10 + 10), industry 0.5 ha
    # short (−50): −30; the presence columns repeat per period.
    claims = {"housing": {"value_per_ha": 10, "sensitive": True, "divisible": True},
              "industry": {"value_per_ha": 10, "env_category": "4.1", "divisible": True}}
    rules = [{"name": "h", "claims": ["housing"], "attr": "no_housing", "op": "==", "value": True},
             {"name": "i", "claims": ["industry"], "attr": "no_industry", "op": "==", "value": True}]
    units = cells(2, no_housing=[False, True], no_industry=[True, False], current_use="farm")
    run = solve(tmp_path, config(claims, rules=rules, demand=floors(housing=0.5, industry=0.5), periods=[2030, 2040]), units)
    assert run.result.objective == pytest.approx(-30)
    z = run.problem.group(presence.GROUP)
    assert z.size == 4 and sorted(set(z.labels["period"])) == [2030, 2040]


def test_shadow_prices_with_the_presence_fixed(tmp_path):
    # Housing on u1 only with a floor of 0.5 ha, industry (category 4.1) on u2 only with a floor of 0.5 ha: housing
    # takes u1 wholly, industry stays out. With the presence fixed, one more ha of industry demanded costs its penalty
    # (100 per ha), one more ha of housing demanded nothing (u1 holds 1 ha, 0.5 ha above the floor).
    claims = {"housing": {"value_per_ha": 10, "sensitive": True, "divisible": True},
              "industry": {"value_per_ha": 10, "env_category": "4.1", "divisible": True}}
    rules = [{"name": "h", "claims": ["housing"], "attr": "no_housing", "op": "==", "value": True},
             {"name": "i", "claims": ["industry"], "attr": "no_industry", "op": "==", "value": True}]
    units = cells(2, no_housing=[False, True], no_industry=[True, False], current_use="farm")
    run = solve(tmp_path, config(claims, rules=rules, demand=floors(housing=0.5, industry=0.5)), units)
    prices = run.duals.set_index("claim")["shadow_price"]
    assert prices["industry"] == pytest.approx(-100)
    assert prices["housing"] == pytest.approx(0)


def test_settled_sets_each_presence_to_whether_its_share_is_allocated(tmp_path):
    claims = {"housing": {"value_per_ha": 10, "sensitive": True, "divisible": True},
              "industry": {"value_per_ha": 10, "env_category": "4.1", "divisible": True}}
    run = solve(tmp_path, config(claims, demand=floors(housing=0.5, industry=0.5)), cells(2, current_use="farm"))
    prob = run.problem
    z = prob.group(presence.GROUP)
    values = np.zeros(prob.n_cols)
    values[z.slice] = 1.0
    values[0] = 0.3  # pair 0: (u1, housing), the first presence column
    out = presence.settled(prob, values)
    assert out[z.start] == 1.0 and out[z.start + 1:z.start + z.size].sum() == 0.0
    assert out[0] == 0.3


def test_a_conflict_that_needs_presence_is_diagnosed(tmp_path):
    # A hard balance asks 0.5 ha of industry (divisible, 4.1: 150 m) for the 1 ha of housing locked on u5; industry
    # may only go to u1, beside the existing house on u2, which green may transform up to 0.5 ha (a ceiling). By
    # share 0.5 of industry beside 0.5 of u2 transformed would do; by presence u2 must be wholly transformed:
    # impossible. The fractional relaxation is feasible, so the diagnosis names the families, presence among them.
    from ruimtepuzzel.model.errors import InfeasibleError
    from ruimtepuzzel.model.pipeline import solve_instance

    from .helpers import write_instance

    claims = {"industry": {"value_per_ha": 1, "env_category": "4.1", "divisible": True},
              "green": {"value_per_ha": 0, "divisible": True}, "housing": {"value_per_ha": 1}}
    rules = [{"name": k, "claims": [k], "attr": f"no_{k}", "op": "==", "value": True} for k in claims]
    units = cells(5, current_use=["farm", "housing", "farm", "farm", "farm"],
                  no_industry=[False, True, True, True, True], no_green=[True, False, True, True, True],
                  no_housing=[True, True, True, True, False])
    config = {"claims": claims, "rules": rules, "env_zoning": {"distance_m": DIST, "sensitive_uses": ["housing"]},
              "demand": [{"level": "province", "region": "A", "claim": "green", "max_ha": 0.5}],
              "balance": [{"level": "province", "work_claims": ["industry"], "housing_claim": "housing",
                           "work_ha_per_housing_ha": 0.5}],
              "locked": [{"unit_id": "u5", "claim": "housing"}]}
    folder = write_instance(tmp_path / "inst", config, units)
    with pytest.raises(InfeasibleError):
        solve_instance(folder, out=tmp_path / "run", time_limit=30)
    written = (tmp_path / "run" / "infeasibility.txt").read_text()
    assert "presence: a divisible claim counts by its presence in the zoning" in written
    assert "env_zoning_existing" in written and "demand_ceiling" in written and "balance" in written
