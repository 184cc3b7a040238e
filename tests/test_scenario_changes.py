"""Scenario overlays with `changes` in the sweep path language, applied after the merge."""
from __future__ import annotations

import pytest

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.instance import load_instance

from .helpers import row_units, solve, write_instance

CLAIMS = {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}}
CONFIG = {"claims": CLAIMS, "objective": {"shortfall_penalty_per_ha": 100},
          "demand": [{"level": "province", "region": "A", "claim": "business", "min_ha": 1},
                     {"level": "province", "region": "A", "claim": "housing", "max_ha": 3}]}


def test_a_change_moves_one_floor_without_copying_the_list(tmp_path):
    # 4 units × 1 ha: business floor 1 → 3 housing + 1 business = 36; the change raises it to 2 → 2 + 2 = 32
    folder = write_instance(tmp_path / "i", CONFIG, row_units(4), scenarios={
        "more": {"changes": [{"path": "demand[claim=business,region=A].min_ha", "value": 2}]},
        "scaled": {"objective": {"shortfall_penalty_per_ha": 100},
                   "changes": [{"path": "demand[claim=business].min_ha", "factor": 2.0}]},
    })
    base = load_instance(folder)
    more = load_instance(folder, "more")
    assert [d.min_ha for d in more.config.demand] == [2, None] and more.config.demand[1].max_ha == 3
    assert len(base.config.demand) == len(more.config.demand)
    assert load_instance(folder, "scaled").config.demand[0].min_ha == 2
    from ruimtepuzzel.model.pipeline import solve_instance

    run = solve_instance(folder, scenario="more", out=tmp_path / "run", gap=0.0)
    assert run.result.objective == pytest.approx(32)
    assert run.manifest["scenario"] == "more"
    assert solve(tmp_path, CONFIG, row_units(4)).result.objective == pytest.approx(36)


@pytest.mark.parametrize("changes, words", [
    ([{"path": "demand[claim=energy].min_ha", "value": 2}], "no item"),
    ([{"path": "demand[0].min_ha", "value": ".nan"}], "finite"),
    ([{"path": "demand[0].min_ha", "factor": "twice"}], "factor"),
    ([{"path": "demand[0].min_ha"}], "value or factor"),
    ([{"path": "demand[0].min_ha", "value": 1, "note": "x"}], "unknown key"),
    ({"path": "demand[0].min_ha", "value": 1}, "list"),
    ([{"path": "demand[0].min_ha", "value": -5}], "demand"),
])
def test_bad_changes_name_the_file_and_the_path(tmp_path, changes, words):
    folder = write_instance(tmp_path / "i", CONFIG, row_units(2), scenarios={"bad": {"changes": changes}})
    with pytest.raises(InputError, match=words) as err:
        load_instance(folder, "bad")
    assert "bad.yaml" in str(err.value)
