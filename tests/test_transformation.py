"""Transformation (docs/model.md): existing uses leave when their unit is allocated, and keep
the zoning until then. Hand-checked optima at gap 0; every solution goes through the checker."""
import pytest

from ruimtepuzzel.model.formulation.zoning_existing import FAMILY

from .helpers import allocated, row_units, solve

DIST = {"3.2": 100, "4.1": 150, "5.1": 250}


def zoned(claims, **extra):
    return {"claims": claims, "env_zoning": {"distance_m": DIST, "existing_category_attr": "cat", "sensitive_uses": ["housing"]},
            **extra}


def links_of(run):
    return [b for b in run.problem.blocks if b.family == FAMILY]


def test_an_existing_heavy_use_keeps_housing_away_until_its_unit_is_transformed(tmp_path):
    # 5 cells of 100 m in a row: existing category 5.1 (250 m) on u1, existing housing on u5.
    # Housing on u2..u4 (0, 100, 200 m from u1) needs u1 transformed; industry (4.1, 150 m) on u3, u4
    # (100, 0 m from u5) needs u5 transformed. Housing everywhere transforms u1 (and u5): 5 × 10 = 50.
    claims = {"housing": {"value_per_ha": 10, "sensitive": True},
              "industry": {"value_per_ha": 9, "env_category": "4.1"}, "business": {"value_per_ha": 1}}
    units = row_units(5, cat=["5.1", None, None, None, None], current_use=["industry", "farm", "farm", "farm", "housing"])
    run = solve(tmp_path, zoned(claims), units)
    assert run.result.objective == pytest.approx(50)
    assert allocated(run) == {(f"u{i}", "housing") for i in range(1, 6)}
    labels = links_of(run)[0].labels
    assert set(zip(labels["existing_unit"], labels["side"], labels["unit_id"])) == {
        ("u1", "existing heavy", "u2"), ("u1", "existing heavy", "u3"), ("u1", "existing heavy", "u4"),
        ("u5", "existing sensitive", "u3"), ("u5", "existing sensitive", "u4")}
    assert run.prep.exclusions.query("rule == 'env-zoning-existing'").empty  # nothing is fixed, so nothing is removed


def test_housing_near_a_park_that_may_not_move_is_excluded(tmp_path):
    # u1 may not be allocated at all (protected, and no claim is allowed on protected units): its category
    # stays and removes housing within 250 m (u1..u4); only u5 takes housing.
    claims = {"housing": {"value_per_ha": 10, "sensitive": True}}
    units = row_units(5, cat=["5.1", None, None, None, None], protected=[True, False, False, False, False], current_use="farm")
    run = solve(tmp_path, zoned(claims, protected_claims=[]), units)
    assert allocated(run) == {("u5", "housing")}
    ex = run.prep.exclusions.query("level == 'national' and rule == 'env-zoning-existing'")
    assert ex["excluded_ha"].sum() == pytest.approx(4)
    assert not links_of(run)


def test_a_park_becomes_housing_only_when_its_loss_is_compensated_elsewhere(tmp_path):
    # u1: a business park (category 3.2, 100 m) worth 10 as housing; u2 touches it and takes housing only once the
    # park has left; u3 (300 m from u1) can only take business (1), u2 cannot. No net loss: turning u1 into housing
    # needs 1 ha of new work land on other land. With u3 for it: u1, u2 housing and u3 business = 21.
    claims = {"housing": {"value_per_ha": 10, "sensitive": True}, "business": {"value_per_ha": 1}}
    rules = [{"name": "no-housing", "claims": ["housing"], "attr": "no_housing", "op": "==", "value": True},
             {"name": "no-business", "claims": ["business"], "attr": "no_business", "op": "==", "value": True}]
    config = zoned(claims, rules=rules,
                   compensation={"level": "province", "business_use": "business_park", "work_claims": ["business"]})
    units = row_units(3, cell=300, cat=["3.2", None, None], current_use=["business_park", "farm", "farm"],
                      no_housing=[False, False, True], no_business=[False, True, False])
    run = solve(tmp_path, config, units)
    assert run.result.objective == pytest.approx(21)
    assert allocated(run) == {("u1", "housing"), ("u2", "housing"), ("u3", "business")}
    row = run.summary.query("level == 'province' and region == 'A' and claim == 'housing'").iloc[0]
    assert row["business_park_transformed_ha"] == pytest.approx(1)
    assert run.summary.query("level == 'province' and claim == 'business'")["compensation_ha"].sum() == pytest.approx(1)
    # Without land to compensate on (no business on u3 either), the park cannot become housing: it becomes
    # business itself (a work claim: no loss), which still lets housing onto u2: 1 + 10 = 11.
    units[2]["no_business"] = True
    run = solve(tmp_path, config, units)
    assert run.result.objective == pytest.approx(11)
    assert allocated(run) == {("u1", "business"), ("u2", "housing")}


@pytest.mark.parametrize("cost, n, expected, excluded", [(1300, 3, 30, 0), (1500, 4, 10, 3)])
def test_a_park_above_the_relocation_threshold_stays(tmp_path, cost, n, expected, excluded):
    # u1 is a park (category 4.1, 150 m) whose relocation costs `cost` €/m²; the test is 1,400 €/m².
    # Below it, u1 may move: housing on u1..u3 (30). Above it, no claim may take u1, so its category stays
    # and removes housing on u1, u2 (0 m) and u3 (100 m): housing only on u4 (200 m), 10.
    claims = {"housing": {"value_per_ha": 10, "sensitive": True}}
    units = row_units(n, cat=["4.1"] + [None] * (n - 1), current_use=["business_park"] + ["farm"] * (n - 1),
                      cost_m2=[cost] + [10] * (n - 1))
    run = solve(tmp_path, zoned(claims, budget={"cost_attr": "cost_m2", "max_relocation_eur_per_m2": 1400}), units)
    assert run.result.objective == pytest.approx(expected)
    ex = run.prep.exclusions.query("level == 'national' and rule == 'env-zoning-existing'")
    assert ex["excluded_ha"].sum() == pytest.approx(excluded)


def test_an_existing_house_keeps_industry_away_until_it_is_transformed(tmp_path):
    # u1 is an existing house; industry (4.1, 150 m) is worth 9 on u2 and -9 elsewhere. u2 touches u1, so industry
    # needs u1 transformed. Transforming the house costs 1 (business is worth -1): 9 - 1 = 8 beats leaving it (0).
    claims = {"industry": {"value_per_ha": 9, "env_category": "4.1", "suitability_attr": "s_ind"},
              "business": {"value_per_ha": -1, "suitability_attr": "s_bus"}}
    units = row_units(3, current_use=["housing", "farm", "farm"], cat=None, s_ind=[-1, 1, -1], s_bus=1)
    run = solve(tmp_path, zoned(claims), units)
    assert run.result.objective == pytest.approx(8)
    assert allocated(run) == {("u1", "business"), ("u2", "industry")}
    # When the house cannot be transformed (protected, nothing allowed on it), industry on u2 is excluded.
    units[0]["protected"] = True
    run = solve(tmp_path, zoned(claims, protected_claims=[]), units)
    assert run.result.objective == pytest.approx(0)


def test_an_untransformable_unit_fixes_a_neighbour_that_then_fixes_its_own(tmp_path):
    # u1 (category 5.1, 250 m) may not move, so it removes housing on u1..u4. Housing was the only claim of u4,
    # itself an existing heavy unit (category 4.1, 150 m): u4 can no longer be transformed either, and removes
    # housing on u5 (0 m) and u6 (100 m). The filters repeat until no unit becomes fixed: u7, u8 remain.
    claims = {"housing": {"value_per_ha": 10, "sensitive": True}}
    units = row_units(8, cat=["5.1", None, None, "4.1", None, None, None, None], protected=[True] + [False] * 7,
                      current_use="farm")
    run = solve(tmp_path, zoned(claims, protected_claims=[]), units)
    assert allocated(run) == {("u7", "housing"), ("u8", "housing")}
    ex = run.prep.exclusions.query("level == 'national' and rule == 'env-zoning-existing'")
    assert ex["excluded_ha"].sum() == pytest.approx(6)
    assert not links_of(run)


@pytest.mark.parametrize("form", ["pairwise", "aggregated"])
def test_forms_of_the_links_give_one_optimum(tmp_path, form):
    # a 3 × 3 grid, an existing 5.1 unit in the middle, housing worth more on the ring than the middle's industry
    claims = {"housing": {"value_per_ha": 10, "sensitive": True},
              "industry": {"value_per_ha": 30, "env_category": "4.1", "suitability_attr": "s_ind"}}
    units = []
    for i in range(3):
        for j in range(3):
            units.append({"unit_id": f"c{i}{j}", "area_ha": 1.0, "province": "A", "x": 50 + 100 * i, "y": 50 + 100 * j,
                          "cell_m": 100, "current_use": "farm", "cat": "5.1" if (i, j) == (1, 1) else None, "s_ind": 1 if (i, j) == (1, 1) else -1})
    config = zoned(claims)
    config["env_zoning"]["existing_links"] = form
    run = solve(tmp_path, config, units)
    # industry on the middle (30) keeps housing off the ring (new-new); leaving the middle empty keeps its
    # category (no housing on the ring); housing everywhere transforms it: 90
    assert run.result.objective == pytest.approx(90)
    block = links_of(run)[0]
    assert block.size == (1 if form == "aggregated" else 8)


def test_the_pyomo_path_builds_the_links_too(tmp_path):
    # the existing house of the test above, solved through Pyomo: transforming it pays (8)
    claims = {"industry": {"value_per_ha": 9, "env_category": "4.1", "suitability_attr": "s_ind"},
              "business": {"value_per_ha": -1, "suitability_attr": "s_bus"}}
    units = row_units(3, current_use=["housing", "farm", "farm"], cat=None, s_ind=[-1, 1, -1], s_bus=1)
    run = solve(tmp_path, zoned(claims), units, solver="pyomo-highs")
    assert run.result.objective == pytest.approx(8)
    assert allocated(run) == {("u1", "business"), ("u2", "industry")}


def test_what_keeping_the_existing_uses_costs(tmp_path):
    # the park above the relocation threshold keeps housing off u2 and u3: 10. Without existing uses in the
    # zoning (as if relocated for free) housing takes u2..u4: 30, so keeping them costs 20.
    from ruimtepuzzel.model.pipeline import solve_instance

    from .helpers import write_instance

    units = row_units(4, cat=["4.1", None, None, None], current_use=["business_park"] + ["farm"] * 3, cost_m2=[1500, 10, 10, 10])
    config = zoned({"housing": {"value_per_ha": 10, "sensitive": True}},
                   budget={"cost_attr": "cost_m2", "max_relocation_eur_per_m2": 1400})
    run = solve_instance(write_instance(tmp_path / "inst", config, units), out=tmp_path / "run", gap=0.0, with_rule_costs=True)
    costs = run.rule_costs.set_index("rule")
    assert costs.loc["env-zoning-existing", "objective"] == pytest.approx(30)
    assert costs.loc["env-zoning-existing", "objective_change"] == pytest.approx(20)
