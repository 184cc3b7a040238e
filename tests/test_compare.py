"""compare RUN_A RUN_B: region × claim changes and units that changed claim."""
import pandas as pd
import pytest
from click.testing import CliRunner

from ruimtepuzzel.cli import main

from .helpers import row_units, write_instance


def test_compare_two_runs_by_hand(tmp_path):
    # run A: housing on u1..u3 (3 ha). Run B (scenario): housing capped at 1 ha, business takes the rest.
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 1}}}
    folder = write_instance(tmp_path / "inst", config, row_units(3),
                            scenarios={"capped": {"demand": [{"level": "province", "region": "A", "claim": "housing", "max_ha": 1}]}})
    runner = CliRunner()
    assert runner.invoke(main, ["solve", str(folder), "--out", str(tmp_path / "a"), "--gap", "0", "--quiet"]).exit_code == 0
    assert runner.invoke(main, ["solve", str(folder), "--scenario", "capped", "--out", str(tmp_path / "b"), "--gap", "0", "--quiet"]).exit_code == 0
    res = runner.invoke(main, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "cmp")])
    assert res.exit_code == 0, res.output
    assert "2 units changed claim" in res.output
    assert "province A, housing: allocated 3.0 ha → 1.0 ha (\u22122.0 ha), no floor" in res.output
    assert "warning" not in res.output  # the same instance files, another scenario
    changes = pd.read_csv(tmp_path / "cmp" / "compare_summary.csv").set_index(["level", "region", "claim"])
    assert changes.loc[("province", "A", "business"), "allocated_ha_change"] == pytest.approx(2)
    units = pd.read_csv(tmp_path / "cmp" / "changed_units.csv", keep_default_na=False)
    assert len(units) == 2 and set(units["claims_a"]) == {"housing"} and set(units["claims_b"]) == {"business"}


def test_compare_says_when_the_runs_are_of_different_instances(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 10, "label": "Woningbouw"}}, "region_names": {"province": {"A": "Amstelland"}}}
    first = write_instance(tmp_path / "one", config, row_units(2))
    other = write_instance(tmp_path / "two", {**config, "name": "other"}, row_units(3))
    runner = CliRunner()
    for folder, out in ((first, "a"), (other, "b"), (first, "c")):
        assert runner.invoke(main, ["solve", str(folder), "--out", str(tmp_path / out), "--gap", "0", "--quiet"]).exit_code == 0
    res = runner.invoke(main, ["compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert res.exit_code == 0
    assert f"warning: the runs are of different instances: {tmp_path / 'a'} is 'test', {tmp_path / 'b'} is 'other'" in res.stderr
    assert "province Amstelland (A), Woningbouw: allocated 2.0 ha → 3.0 ha (+1.0 ha)" in res.stdout  # names, not codes
    (tmp_path / "one" / "units.csv").write_text((tmp_path / "one" / "units.csv").read_text() + "\n")  # a changed input byte
    assert runner.invoke(main, ["solve", str(first), "--out", str(tmp_path / "d"), "--gap", "0", "--quiet"]).exit_code == 0
    res = runner.invoke(main, ["compare", str(tmp_path / "c"), str(tmp_path / "d"), "--quiet"])
    assert "the runs are of instance 'test' with different input files (units.csv differ)" in res.stderr


def test_compare_needs_run_folders(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    res = CliRunner().invoke(main, ["compare", str(tmp_path / "x"), str(tmp_path / "y")])
    assert res.exit_code == 1 and "no summary.csv" in res.output


def test_gpkg_carries_a_qgis_style_and_summary_is_a_workbook(tmp_path):
    import sqlite3

    import geopandas as gpd

    config = {"claims": {"housing": {"value_per_ha": 10, "label": "Woningbouw"}, "business": {"value_per_ha": 6}}}
    folder = write_instance(tmp_path / "inst", config, row_units(3, only=[1, 0, 0]))
    assert CliRunner().invoke(main, ["solve", str(folder), "--out", str(tmp_path / "run"), "--quiet"]).exit_code == 0
    run = tmp_path / "run"
    with sqlite3.connect(run / "allocation.gpkg") as db:
        [(table, qml, default)] = db.execute("SELECT f_table_name, styleQML, useAsDefault FROM layer_styles").fetchall()
    assert table == "allocation" and default == 1
    assert 'attr="claim"' in qml and 'value="housing" label="Woningbouw"' in qml and 'value="business" label="business"' in qml
    [(column,)] = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = 'allocation'").fetchall()
    with sqlite3.connect(run / "allocation.gpkg") as db:
        [(registered, stamp)] = db.execute("SELECT f_geometry_column, update_time FROM layer_styles").fetchall()
    assert registered == column == "geom"  # QGIS matches the style by table and geometry column
    assert stamp.endswith("Z") and "T" in stamp  # ISO 8601, as the GeoPackage standard asks
    assert len(gpd.read_file(run / "allocation.gpkg", layer="allocation")) == 3  # the data layer is untouched
    book = pd.read_excel(run / "summary.xlsx", sheet_name=None)
    assert set(book) == {"run", "summary", "transformation", "rules", "duals"}
    assert book["summary"].shape == pd.read_csv(run / "summary.csv").shape
