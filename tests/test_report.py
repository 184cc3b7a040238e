"""report.html, the fact sheets, the maps and summary.xlsx: written by solve, rebuilt by `report RUN_DIR`,
in names, with numbers formatted for people."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ruimtepuzzel.cli import main
from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.outputs import numbers as fmt
from ruimtepuzzel.model.outputs.maps import shortfall_map
from ruimtepuzzel.model.outputs.report import instance_of_run

from .fact_check import check_report, statements
from .helpers import row_units, write_instance

ROOT = Path(__file__).resolve().parents[1]


def solved_run(tmp_path, extra=None):
    config = {"claims": {"housing": {"value_per_ha": 10, "label": "Woningbouw"}, "business": {"value_per_ha": 6}},
              "region_names": {"province": {"A": "Amstelland", "B": "Betuwe"}},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 5}], **(extra or {})}
    units = row_units(4) + [dict(u, unit_id=f"b{i}", province="B", y=150.0) for i, u in enumerate(row_units(2))]
    folder = write_instance(tmp_path / "inst", config, units)
    res = CliRunner().invoke(main, ["solve", str(folder), "--out", str(tmp_path / "run"), "--quiet"])
    assert res.exit_code == 0, res.output
    return tmp_path / "run"


def test_solve_writes_the_report_and_fact_sheets_in_names(tmp_path):
    run = solved_run(tmp_path)
    report = (run / "report.html").read_text()
    for part in ("Where demand is not met", "Woningbouw", "Amstelland (A)", "Shadow prices", "What the rules exclude",
                 "map_allocation.png", "map_shortfall.png"):
        assert part in report, part
    assert (run / "map_allocation.png").stat().st_size > 2000 and (run / "map_shortfall.png").stat().st_size > 2000
    sheets = (run / "factsheets.html").read_text()
    assert sheets.count("<section class='sheet'") == 2  # provinces A and B
    text = " | ".join(t for _, t, _ in statements(run / "factsheets.html"))
    assert "1 of the 1 floor of Amstelland (A) is not fully met:" in text  # A asks 5 ha of its 4
    assert "Woningbouw in Amstelland (A): 4.0 ha of 5.0 ha, 1.0 ha short (80.0 % met)." in text
    assert "No demand floor applies to Betuwe (B)." in text
    assert check_report(run, tmp_path / "inst") > 10


def test_report_command_rebuilds_it_and_finds_a_moved_instance(tmp_path):
    run = solved_run(tmp_path)
    (run / "report.html").unlink()
    manifest = json.loads((run / "manifest.json").read_text())  # as a base install leaves it
    manifest["skipped_outputs"] = {"report.html": "report.html needs geopandas, which is not installed"}
    (run / "manifest.json").write_text(json.dumps(manifest))
    res = CliRunner().invoke(main, ["report", str(run)])
    assert res.exit_code == 0 and (run / "report.html").exists()
    assert "report.html" not in json.loads((run / "manifest.json").read_text())["skipped_outputs"]
    assert "factsheets.html" in res.output and "map_shortfall.png" in res.output
    assert CliRunner().invoke(main, ["report", str(tmp_path / "inst")]).exit_code == 1  # not a run folder

    shutil.move(tmp_path / "inst", tmp_path / "moved")
    res = CliRunner().invoke(main, ["report", str(run)])
    assert res.exit_code == 1
    assert f"the instance folder its manifest names, {(tmp_path / 'inst').resolve()}, is not there" in res.output
    assert "--instance" in res.output
    res = CliRunner().invoke(main, ["report", str(run), "--instance", str(tmp_path / "moved")])
    assert res.exit_code == 0, res.output


def test_report_refuses_another_instance_and_falls_back_to_a_built_in_one(tmp_path):
    run = solved_run(tmp_path)
    other = write_instance(tmp_path / "other", {"name": "other", "claims": {"housing": {}}}, row_units(2))
    with pytest.raises(InputError, match="is instance 'other', but .* is a run of 'test'"):
        instance_of_run(run, str(other))
    manifest = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps({**manifest, "instance": "demo", "instance_folder": str(tmp_path / "gone")}))
    instance, warnings = instance_of_run(run)  # a moved built-in instance is found by its name
    assert instance.name == "demo" and any("using the built-in instance demo" in w for w in warnings)


def test_the_workbook_is_formatted_for_policy_staff(tmp_path):
    from openpyxl import load_workbook

    extra = {"demand": [{"level": "province", "region": "A", "claim": "housing", "measure": "dwellings", "min": 100},
                        {"level": "province", "region": "A", "claim": "business", "min_ha": 1}]}
    folder_units = row_units(4, dwellings=30)
    config = {"claims": {"housing": {"value_per_ha": 10, "label": "Woningbouw"}, "business": {"value_per_ha": 6}},
              "region_names": {"province": {"A": "Amstelland"}}, **extra}
    folder = write_instance(tmp_path / "inst", config, folder_units)
    assert CliRunner().invoke(main, ["solve", str(folder), "--out", str(tmp_path / "run"), "--quiet", "--gap", "0"]).exit_code == 0
    book = load_workbook(tmp_path / "run" / "summary.xlsx")
    assert book.sheetnames == ["run", "summary", "transformation", "rules", "duals"]
    run = {r[0]: r[1] for r in book["run"].iter_rows(min_row=2, values_only=True)}
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert run["Instance"] == "test" and run["Status"] == "optimal" and run["Gap"] == manifest["gap"]
    assert run["Date (UTC)"] == manifest["created"] and run["Version of highspy"] == manifest["versions"]["highspy"]
    assert book["run"]["B8"].number_format == "0.00%"  # the gap
    for name in ("summary", "transformation", "rules", "duals"):
        ws = book[name]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(row=1, column=ws.max_column).column_letter}{ws.max_row}"
    ws = book["summary"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["Level", "Region code", "Region", "Claim code", "Claim", "Measure"]
    assert {"Allocated (ha)", "Shortfall (ha)", "Floor (measure)", "Met (% of floor)"} <= set(header)
    rows = {(r[0], r[1], r[3]): i for i, r in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2)}
    housing, business = rows[("province", "A", "housing")], rows[("province", "A", "business")]
    col = {h: i + 1 for i, h in enumerate(header)}
    assert ws.cell(housing, col["Region"]).value == "Amstelland" and ws.cell(housing, col["Claim"]).value == "Woningbouw"
    assert ws.cell(housing, col["Floor (measure)"]).number_format == "#,##0"  # dwellings: whole
    assert ws.cell(business, col["Floor (measure)"]).number_format == "#,##0.0"  # hectares: one decimal
    assert ws.cell(housing, col["Allocated (ha)"]).number_format == "#,##0.0"
    met = ws.cell(housing, col["Met (% of floor)"])
    csv = pd.read_csv(tmp_path / "run" / "summary.csv").set_index(["level", "region", "claim"])
    assert csv.loc[("province", "A", "housing"), "pct_met"] == pytest.approx(100.0)
    assert met.number_format == "0.0%" and met.value == pytest.approx(1.0)  # 100 % as a fraction Excel shows as %
    assert ws.column_dimensions["E"].width >= len("Woningbouw")


def test_the_shortfall_map_of_a_one_province_instance_shows_its_corop_floors(tmp_path):
    # one province; COROP C1 asks 3 ha of its 2 cells, C2 asks 1 ha: the COROP panel shows C1 short, C2 met
    config = {"regions": ["province", "corop"], "claims": {"housing": {"value_per_ha": 10}},
              "demand": [{"level": "corop", "region": "C1", "claim": "housing", "min_ha": 3},
                         {"level": "corop", "region": "C2", "claim": "housing", "min_ha": 1}]}
    units = [dict(u, corop="C1" if i < 2 else "C2") for i, u in enumerate(row_units(4))]
    folder = write_instance(tmp_path / "inst", config, units)
    res = CliRunner().invoke(main, ["solve", str(folder), "--out", str(tmp_path / "run"), "--quiet"])
    assert res.exit_code == 0, res.output
    summary = pd.read_csv(tmp_path / "run" / "summary.csv", dtype={"region": str})
    titles = shortfall_map(load_instance(folder), summary, tmp_path / "map.png")
    assert titles == ["COROP region floors: 1 of 2 COROP regions short of a floor"]

    met = summary.assign(shortfall=0.0)
    assert shortfall_map(load_instance(folder), met, tmp_path / "met.png") == ["COROP region floors: every one met (2 COROP regions with floors)"]
    none = summary.assign(demand_min=float("nan"))
    assert shortfall_map(load_instance(folder), none, tmp_path / "none.png") == ["No region has a demand floor: nothing to fall short of"]


def test_json_output_is_the_manifest_alone_while_progress_goes_to_stderr(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": {"housing": {"value_per_ha": 1}}}, row_units(3))
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "solve", str(folder), "--out", str(tmp_path / "run"), "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "optimal"
    assert "loaded test" in done.stderr and "optimal: objective 3" in done.stderr


def test_numbers_are_formatted_for_people():
    assert fmt.objective(-1.33041e06) == "\u22121,330,410"
    assert fmt.percent(0.008270750979924017) == "0.83 %"
    assert fmt.percent(0.0) == "0 %" and fmt.percent(0.00004) == "< 0.01 %" and fmt.percent(0.01) == "1 %"
    assert fmt.amount(102.75) == "102.8 ha" and fmt.amount(60075, "dwellings") == "60,075 dwellings"
    assert fmt.amount(60, "dwellings") == "60 dwellings" and fmt.amount(12.5, "MW") == "12.5 MW"
    assert fmt.number(-0.0, 1) == "0.0" and fmt.number(-0.04, 1) == "0.0"  # never "−0"
    assert fmt.objective(35797.25) == "35,797" and fmt.objective(0.987654) == "0.9877"
    assert fmt.seconds(0.42) == "0.42 s" and fmt.seconds(12.34) == "12.3 s" and fmt.seconds(125) == "2 min 5 s"
