"""Hard and soft layer rules, suitability, protected units, locked plans, relocation limit."""
import pytest

from ruimtepuzzel.model.errors import InfeasibleError

from .helpers import allocated, row_units, solve

CLAIMS = {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}}


def test_hard_rule_removes_pairs_and_is_accounted(tmp_path):
    # flood > 1 excludes housing on u2; u3 has no value (empty cell) and is not excluded
    config = {"claims": CLAIMS, "rules": [{"name": "wbs-flood", "layer": "substrate", "claims": ["housing"],
                                            "attr": "flood_m", "op": ">", "value": 1.0}]}
    run = solve(tmp_path, config, row_units(3, flood_m=[0.5, 2.5, None]))
    assert run.result.objective == pytest.approx(10 + 6 + 10)
    assert ("u2", "business") in allocated(run)
    assert len(run.prep.pairs) == 5  # 6 candidate pairs minus one
    rules = run.prep.exclusions.query("level == 'province'")
    assert rules[["rule", "claim", "region", "excluded_ha"]].values.tolist() == [["wbs-flood", "housing", "A", 1.0]]


def test_rule_without_claims_applies_to_every_claim(tmp_path):
    config = {"claims": CLAIMS, "rules": [{"name": "n2000", "attr": "natura2000", "op": "==", "value": True}]}
    run = solve(tmp_path, config, row_units(2, natura2000=["true", "false"]))
    assert allocated(run) == {("u2", "housing")}


@pytest.mark.parametrize("per_ha,claim", [(3, "housing"), (5, "business")])
def test_soft_rule_penalty(tmp_path, per_ha, claim):
    # peat on u1: housing 10 − per_ha vs business 6
    config = {"claims": CLAIMS, "rules": [{"name": "peat", "claims": ["housing"], "attr": "peat", "op": "==",
                                            "value": True, "effect": "penalty", "per_ha": per_ha}]}
    run = solve(tmp_path, config, row_units(1, peat=["true"]))
    assert allocated(run) == {("u1", claim)}
    assert run.result.objective == pytest.approx(max(10 - per_ha, 6))


def test_string_rule_on_water_soil_class(tmp_path):
    config = {"claims": CLAIMS, "rules": [{"name": "wbs-class-d", "claims": ["housing"], "attr": "wbs_class",
                                            "op": "==", "value": "D"}]}
    run = solve(tmp_path, config, row_units(2, wbs_class=["A", "D"]))
    assert allocated(run) == {("u1", "housing"), ("u2", "business")}


def test_suitability_multiplies_value(tmp_path):
    # housing 10 × suitability (0.5, 1.0) vs business 6 → u1 business (6), u2 housing (10)
    claims = {"housing": {"value_per_ha": 10, "suitability_attr": "suit"}, "business": {"value_per_ha": 6}}
    run = solve(tmp_path, {"claims": claims}, row_units(2, suit=[0.5, 1.0]))
    assert run.result.objective == pytest.approx(16)
    assert allocated(run) == {("u1", "business"), ("u2", "housing")}


def test_protected_units_keep_protected_claims(tmp_path):
    run = solve(tmp_path, {"claims": CLAIMS}, row_units(2, protected=["true", "false"]))
    assert allocated(run) == {("u1", "business"), ("u2", "housing")}
    assert run.prep.exclusions.query("level == 'national'")[["rule", "claim"]].values.tolist() == [["protected", "housing"]]


def test_locked_pair_is_fixed(tmp_path):
    config = {"claims": CLAIMS, "locked": [{"unit_id": "u1", "claim": "business"}]}
    run = solve(tmp_path, config, row_units(2))
    assert run.result.objective == pytest.approx(16)
    assert ("u1", "business") in allocated(run)


def test_locked_pair_on_excluded_land_is_infeasible(tmp_path):
    config = {"claims": CLAIMS, "locked": [{"unit_id": "u1", "claim": "housing"}],
              "rules": [{"name": "wbs-flood", "claims": ["housing"], "attr": "flood_m", "op": ">", "value": 1}]}
    with pytest.raises(InfeasibleError, match="wbs-flood"):
        solve(tmp_path, config, row_units(1, flood_m=[2]))


def test_relocation_limit_removes_the_unit(tmp_path):
    # u1 costs 2000 €/m² > 1400: not allocated at all
    config = {"claims": CLAIMS, "budget": {"cost_attr": "cost", "max_relocation_eur_per_m2": 1400}}
    run = solve(tmp_path, config, row_units(2, cost=[2000, 100]))
    assert allocated(run) == {("u2", "housing")}
