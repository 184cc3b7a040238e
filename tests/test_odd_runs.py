"""Smaller things a run says or writes: a phased lock against a ceiling, no shadow prices in words, an infeasible
run found before the solve, and a divisible share drawn as a share in allocation.gpkg."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from ruimtepuzzel.model.errors import InfeasibleError
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.outputs.styles import SHARE_FIELD
from ruimtepuzzel.model.pipeline import NO_PRICES, no_prices_reason, solve_instance
from ruimtepuzzel.model.prepare.pairs import prepare

from .helpers import row_units, write_instance

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = "/usr/bin/python3"


# --------------------------------------------------------------------------- a phased lock against a ceiling

def ceiling_messages(tmp_path: Path, lock_period: int) -> list[str]:
    """Two units locked to housing from ``lock_period``; a housing ceiling of 1 ha in 2030."""
    config = {"claims": {"housing": {"value_per_ha": 1}}, "periods": [2030, 2040],
              "demand": [{"level": "national", "claim": "housing", "max_ha": 1, "period": 2030}],
              "locked": [{"unit_id": u, "claim": "housing", "period": lock_period} for u in ("u1", "u2")]}
    prep = prepare(load_instance(write_instance(tmp_path / f"inst{lock_period}", config, row_units(3))))
    return [f.message for f in prep.findings if "above the ceiling" in f.message]


def test_a_lock_of_a_later_period_is_not_above_an_earlier_ceiling(tmp_path):
    assert ceiling_messages(tmp_path, 2040) == []


def test_a_lock_of_the_ceilings_period_is_above_it(tmp_path):
    [message] = ceiling_messages(tmp_path, 2030)
    assert "2.0 ha, above the ceiling of 1.0 ha" in message


def test_a_later_lock_solves_with_the_earlier_ceiling_held(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 1}}, "periods": [2030, 2040],
              "demand": [{"level": "national", "claim": "housing", "max_ha": 1, "period": 2030}],
              "locked": [{"unit_id": u, "claim": "housing", "period": 2040} for u in ("u1", "u2")]}
    messages = []
    run = solve_instance(write_instance(tmp_path / "inst", config, row_units(3)), out=tmp_path / "run", gap=0,
                         progress=messages.append)
    assert run.result.status == "optimal" and not any("above the ceiling" in m for m in messages)


# --------------------------------------------------------------------------- no shadow prices, in words

def test_no_shadow_prices_says_why_in_words(tmp_path):
    """Whole units and a ceiling only: with the allocation fixed no priced row keeps a continuous variable."""
    config = {"claims": {"housing": {"value_per_ha": 1}}, "demand": [{"level": "national", "claim": "housing", "max_ha": 1.5}]}
    messages = []
    run = solve_instance(write_instance(tmp_path / "inst", config, row_units(3)), out=tmp_path / "run", gap=0,
                         progress=messages.append)
    [warning] = [m for m in messages if "shadow prices" in m]
    assert "(Empty)" not in warning and "continuous variable" in warning and "duals.csv is empty" in warning
    manifest = json.loads((run.out / "manifest.json").read_text())
    assert manifest["shadow_prices"] is False and manifest["shadow_prices_note"] == NO_PRICES["Empty"]


def test_every_solver_ending_without_prices_is_said_in_words():
    for message in ("Empty", "Infeasible", "Time limit reached", "Unknown", "the dual solve was killed"):
        text = no_prices_reason(message)
        assert "allocation fixed" in text and text != message


# --------------------------------------------------------------------------- infeasible before the solve

def test_a_conflict_found_before_the_solve_writes_rules_and_a_solver_log(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 1}},
              "rules": [{"name": "flood", "attr": "flood", "op": "==", "value": True, "effect": "exclude"}],
              "locked": [{"unit_id": "u1", "claim": "housing"}]}
    folder = write_instance(tmp_path / "inst", config, row_units(3, flood=[True, False, True]))
    with pytest.raises(InfeasibleError) as caught:
        solve_instance(folder, out=tmp_path / "run", gap=0)
    run = tmp_path / "run"
    assert "flood" in str(caught.value)
    assert {p.name for p in run.iterdir()} == {"infeasibility.txt", "rules.csv", "solver.log", "manifest.json"}
    rules = (run / "rules.csv").read_text().splitlines()
    assert rules[0].startswith("rule,claim,region,excluded_ha") and any(r.startswith("flood,housing,") for r in rules[1:])
    log = (run / "solver.log").read_text()
    assert log.startswith("No solve was run") and "flood" in log
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "infeasible" and manifest["solver"]["message"] == "no solve was run"


# --------------------------------------------------------------------------- shares in allocation.gpkg

@pytest.fixture
def share_run(tmp_path):
    """1.5 ha of housing on a 100 ha cell (a divisible claim under a ceiling of 1.5 ha) beside a whole business cell."""
    pytest.importorskip("pyogrio")
    config = {"claims": {"housing": {"value_per_ha": 2, "divisible": True}, "business": {"value_per_ha": 1}},
              "demand": [{"level": "national", "claim": "housing", "max_ha": 1.5},
                         {"level": "national", "claim": "business", "max_ha": 100}]}
    units = row_units(2, cell=1000.0, area=100.0)
    return solve_instance(write_instance(tmp_path / "inst", config, units), out=tmp_path / "run", gap=0)


def test_a_share_is_a_column_of_allocation_gpkg_and_styled_as_a_share(share_run):
    import geopandas as gpd

    frame = gpd.read_file(share_run.out / "allocation.gpkg", layer="allocation")
    housing = frame[frame["claim"] == "housing"]
    assert housing[SHARE_FIELD].tolist() == pytest.approx([0.015]) and housing["used_ha"].tolist() == pytest.approx([1.5])
    with sqlite3.connect(share_run.out / "allocation.gpkg") as db:
        [(style,)] = db.execute("SELECT styleQML FROM layer_styles").fetchall()
    assert 'name="fillColor"' in style and f"&quot;{SHARE_FIELD}&quot;" in style and 'labelsEnabled="1"' in style


def qgis_python() -> str | None:
    if not Path(SYSTEM_PYTHON).exists():
        return None
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=120)
    return SYSTEM_PYTHON if probe.returncode == 0 else None


@pytest.mark.skipif(qgis_python() is None, reason="QGIS is not installed for /usr/bin/python3 (Debian: python3-qgis)")
def test_qgis_draws_a_share_faintly_and_labels_it(share_run, tmp_path):
    from PIL import Image

    png = tmp_path / "qgis.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    done = subprocess.run([SYSTEM_PYTHON, str(ROOT / "tests" / "qgis_probe.py"), str(share_run.out / "allocation.gpkg"),
                           "allocation", str(png)], capture_output=True, text=True, timeout=300, env=env)
    found = json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])
    assert found["renderer"] == "categorizedSymbol" and set(found["fill_expressions"]) == {"housing"}
    assert found["labels"] and SHARE_FIELD in found["label_expression"]
    image = Image.open(png).convert("RGB")
    width, height = image.size
    # two 1 km cells side by side, u1 left and u2 right; read above the labels at their centres
    left, right = image.getpixel((width // 4, height // 2 - 60)), image.getpixel((3 * width // 4, height // 2 - 60))
    alloc = share_run.allocation
    share_on_left = alloc.loc[alloc["claim"] == "housing", "unit_id"].item() == "u1"
    share_side, whole_side = (left, right) if share_on_left else (right, left)
    assert whole_side == (117, 107, 177)  # the whole business cell: its claim's own colour
    assert share_side != (230, 85, 13) and min(share_side) > 180  # the 1.5 % housing share: a faint tint, near white
    assert share_side[0] > share_side[2]  # … of housing's orange
