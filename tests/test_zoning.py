"""Environmental zoning between new pairs (existing uses: test_transformation.py)."""
import pytest

from .helpers import allocated, row_units, solve

DIST = {"4.1": 150, "5.1": 250}


def zoning_config(distance):
    return {
        "claims": {"housing": {"value_per_ha": 10, "sensitive": True}, "industry": {"value_per_ha": 9, "env_category": "4.1"}},
        "env_zoning": {"distance_m": {"4.1": distance}},
        "demand": [{"level": "province", "region": "A", "claim": "industry", "min_ha": 1, "shortfall_penalty": 100}],
    }


def test_new_new_zoning_changes_the_optimum(tmp_path):
    # 3 cells of 100 m in a row. Without zoning: 1 industry + 2 housing = 29.
    # With 150 m: industry anywhere is < 150 m from every other cell (0 or 100 m),
    # so housing and industry cannot mix: all industry 27 beats all housing 30 − 100.
    free = solve(tmp_path, zoning_config(0), row_units(3))
    assert free.result.objective == pytest.approx(29)
    zoned = solve(tmp_path, zoning_config(150), row_units(3))
    assert zoned.result.objective == pytest.approx(27)
    assert {c for _, c in allocated(zoned)} == {"industry"}


@pytest.mark.parametrize("distance,expected", [(200, 19), (201, 9)])
def test_distance_equal_to_guideline_is_allowed(tmp_path, distance, expected):
    # 4 cells; industry worth 9 only on u1, housing worth 10 only on u4, 200 m apart.
    # Guideline 200 m: "not closer than" holds at exactly 200 → both, 19.
    # Guideline 201 m: they conflict → industry alone (9) beats housing alone (10 − 100 shortfall).
    config = zoning_config(distance)
    config["env_zoning"]["distance_m"] = {"4.1": distance}
    config["claims"]["housing"]["suitability_attr"] = "suit_h"
    config["claims"]["industry"]["suitability_attr"] = "suit_i"
    run = solve(tmp_path, config, row_units(4, suit_h=[0, 0, 0, 1], suit_i=[1, 0, 0, 0]))
    assert run.result.objective == pytest.approx(expected)
    assert (("u4", "housing") in allocated(run)) == (distance == 200)


def test_numeric_category_from_csv_means_the_same_spelling(tmp_path):
    # 4.1 read as a number from CSV is category "4.1" (150 m), not 4.0999…; u1 may take no claim
    # (protected), so its category stays and removes housing within 150 m
    config = {"claims": {"housing": {"value_per_ha": 10, "sensitive": True}}, "protected_claims": [],
              "env_zoning": {"distance_m": {"4.1": 150, "5": 500}, "existing_category_attr": "cat"}}
    run = solve(tmp_path, config, row_units(4, cat=[4.1, None, None, None], protected=[True, False, False, False]))
    assert allocated(run) == {("u4", "housing")}  # u1..u3 are within 150 m of u1
