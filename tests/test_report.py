"""report.html and the fact sheets: written by solve, rebuilt by `report RUN_DIR`, readable in a browser."""
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from ruimtepuzzel.cli import main

from .helpers import row_units, write_instance


def solved_run(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 10, "label": "Woningbouw"}, "business": {"value_per_ha": 6}},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 5}]}
    units = row_units(4) + [dict(u, unit_id=f"b{i}", province="B", y=150.0) for i, u in enumerate(row_units(2))]
    folder = write_instance(tmp_path / "inst", config, units)
    res = CliRunner().invoke(main, ["solve", str(folder), "--out", str(tmp_path / "run"), "--quiet"])
    assert res.exit_code == 0, res.output
    return tmp_path / "run"


def test_solve_writes_the_report_and_fact_sheets(tmp_path):
    run = solved_run(tmp_path)
    report = (run / "report.html").read_text()
    for part in ("Where demand is not met", "province", "housing", "Shadow prices", "What the rules exclude", "map_allocation.png"):
        assert part in report, part
    assert (run / "map_allocation.png").stat().st_size > 2000 and (run / "map_shortfall.png").stat().st_size > 2000
    sheets = (run / "factsheets.html").read_text()
    assert sheets.count("<section class='sheet'") == 2  # provinces A and B
    assert "Falls short by 1.0 ha (housing)" in sheets  # A asks 5 ha of its 4


def test_report_command_rebuilds_it(tmp_path):
    run = solved_run(tmp_path)
    (run / "report.html").unlink()
    res = CliRunner().invoke(main, ["report", str(run)])
    assert res.exit_code == 0 and (run / "report.html").exists()
    assert CliRunner().invoke(main, ["report", str(tmp_path / "inst")]).exit_code == 1


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(tmp_path):
    run = solved_run(tmp_path)
    png = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1000,800", f"--screenshot={png}",
                    (run / "report.html").as_uri()], check=True, capture_output=True, timeout=120)
    assert png.stat().st_size > 10_000
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", (run / "report.html").as_uri()],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    assert "Where demand is not met" in dom and "<img" in dom
