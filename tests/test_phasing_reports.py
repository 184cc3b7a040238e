"""Reports, fact sheets, compare and sweeps of phased runs, on hand-checked instances.

The instance of :func:`two_provinces`: provinces A (u1–u3) and B (bu1–bu3), 1 ha cells; Woningbouw (housing,
10/ha) and logistics (4/ha); periods 2030 and 2050. A may hold at most 1 ha of housing by 2030 and is asked 2 ha
of housing by 2030 (so 1 ha short then); B is asked 2 ha of logistics by 2050. What is allocated stays
allocated, so A's other two cells wait for housing in 2050 (10 in 2050 beats 4 + 4 for logistics from 2030); B
takes 2 ha of logistics and 1 ha of housing from 2030. By hand:

    2030: A housing 1 ha; B housing 1 ha, logistics 2 ha          2050: A housing 3 ha; B as in 2030
    objective: value 76 (A 10·2 + 10·2, B 20 + 16) − 1 ha short × 1,000 = −924
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ruimtepuzzel.cli import main
from ruimtepuzzel.model.analysis.sweep import sweep_instance
from ruimtepuzzel.model.outputs.report import write_report
from ruimtepuzzel.model.pipeline import solve_instance

from .fact_check import check_report, statements
from .helpers import row_units, write_instance

CONFIG = {"claims": {"housing": {"value_per_ha": 10, "label": "Woningbouw"}, "logistics": {"value_per_ha": 4}},
          "region_names": {"province": {"A": "Amstelland", "B": "Bommel"}},
          "periods": [2030, 2050],
          "demand": [{"level": "province", "region": "A", "claim": "housing", "max_ha": 1, "period": 2030},
                     {"level": "province", "region": "A", "claim": "housing", "min_ha": 2, "period": 2030},
                     {"level": "province", "region": "B", "claim": "logistics", "min_ha": 2, "period": 2050}]}
# the scenario lifts A's 2030 ceiling: A takes 2 ha of housing by 2030 (its floor met), so u2 changes in 2030 only
SCENARIOS = {"open": {"demand": [{"level": "province", "region": "A", "claim": "housing", "max_ha": 2, "period": 2030},
                                 {"level": "province", "region": "A", "claim": "housing", "min_ha": 2, "period": 2030},
                                 {"level": "province", "region": "B", "claim": "logistics", "min_ha": 2, "period": 2050}]}}


def units():
    return row_units(3) + [dict(u, unit_id=f"b{u['unit_id']}", province="B", y=150.0) for u in row_units(3)]


def two_provinces(tmp_path, config=None, scenario=None, out="run", with_report=True):
    folder = write_instance(tmp_path / "inst", config or CONFIG, units(), scenarios=SCENARIOS)
    return folder, solve_instance(folder, scenario=scenario, out=tmp_path / out, gap=0.0, with_report=with_report)


def sheet_text(run_dir) -> list[str]:
    return [text for _, text, _ in statements(run_dir / "factsheets.html")]


def test_the_hand_checked_phased_run(tmp_path):
    _, run = two_provinces(tmp_path, with_report=False)
    assert run.result.objective == pytest.approx(-924)
    rows = run.summary[run.summary["level"] == "province"].set_index(["period", "region", "claim"])["allocated_ha"]
    assert rows.to_dict() == {(2030, "A", "housing"): 1, (2030, "A", "logistics"): 0, (2030, "B", "housing"): 1,
                              (2030, "B", "logistics"): 2, (2050, "A", "housing"): 3, (2050, "A", "logistics"): 0,
                              (2050, "B", "housing"): 1, (2050, "B", "logistics"): 2}


# --------------------------------------------------------------------------- maps


def test_a_phased_report_draws_one_allocation_map_per_period(tmp_path):
    import matplotlib.image

    _, run = two_provinces(tmp_path)
    first, last = run.out / "map_allocation_2030.png", run.out / "map_allocation_2050.png"
    assert first.stat().st_size > 2000 and last.stat().st_size > 2000
    assert not (run.out / "map_allocation.png").exists()  # a phased run has a map per period instead
    a, b = matplotlib.image.imread(first), matplotlib.image.imread(last)
    assert a.shape == b.shape and not np.array_equal(a, b)  # A's two cells of housing arrive in 2050
    report = (run.out / "report.html").read_text()
    assert "src='map_allocation_2030.png'" in report and "src='map_allocation_2050.png'" in report
    assert "map_allocation.png" not in report
    headings = [text for tag, text, _ in statements(run.out / "report.html") if tag in ("h2", "h3")]
    assert "Allocated hectares per province and period (used area, ha)" in headings
    assert {"In 2030", "In 2050"} <= set(headings)


def test_the_map_of_a_period_shows_only_that_periods_state(tmp_path, monkeypatch):
    from ruimtepuzzel.model.outputs import report

    drawn = {}

    def fake_map(instance, alloc, path, raster=None, year=None):
        drawn[year] = (path.name, set(zip(alloc["unit_id"], alloc["claim"])))

    monkeypatch.setattr(report, "allocation_map", fake_map)
    _, run = two_provinces(tmp_path, with_report=False)
    write_report(run.out, run.instance)
    alloc = pd.read_csv(run.out / "allocation.csv", dtype={"unit_id": str})
    for year in (2030, 2050):  # the pairs allocated in that period, read from allocation.csv's share_<year>
        state = alloc[alloc[f"share_{year}"] > 0]
        assert drawn[year] == (f"map_allocation_{year}.png", set(zip(state["unit_id"], state["claim"])))
    assert len(drawn[2030][1]) == 4 and len(drawn[2050][1]) == 6 and drawn[2030][1] < drawn[2050][1]
    a_2030 = {pair for pair in drawn[2030][1] if pair[0].startswith("u")}
    assert len(a_2030) == 1 and a_2030.pop()[1] == "housing"  # A's ceiling of 1 ha by 2030


# --------------------------------------------------------------------------- fact sheets


def test_each_sheet_says_what_the_province_has_by_each_period(tmp_path):
    folder, run = two_provinces(tmp_path)
    text = sheet_text(run.out)
    for sentence in ("By 2030, Amstelland (A) has Woningbouw 1.0 ha (used area per claim).",
                     "1 of the 1 floor of 2030 of Amstelland (A) is not fully met:",
                     "Woningbouw in Amstelland (A) (2030): 1.0 ha of 2.0 ha, 1.0 ha short (50.0 % met).",
                     "By 2050, Amstelland (A) has Woningbouw 3.0 ha (used area per claim).",
                     "No demand floor of 2050 applies to Amstelland (A).",
                     "By 2030, Bommel (B) has Woningbouw 1.0 ha; logistics 2.0 ha (used area per claim).",
                     "No demand floor of 2030 applies to Bommel (B).",
                     "Every floor of 2050 of Bommel (B) is met (1 floor)."):
        assert sentence in text, sentence
    assert check_report(run.out, folder) > 20


def test_the_period_sentences_are_true_against_summary_csv(tmp_path):
    # read back every "By <year>, <region> has <claim> <x> ha; …" sentence and find each figure in summary.csv
    folder, run = two_provinces(tmp_path)
    summary = pd.read_csv(run.out / "summary.csv", dtype={"region": str})
    names = {"Amstelland (A)": "A", "Bommel (B)": "B"}
    claims = {"Woningbouw": "housing", "logistics": "logistics"}
    found = 0
    for sentence in sheet_text(run.out):
        m = re.fullmatch(r"By (\d{4}), (.+?) has (.+) \(used area per claim\)\.", sentence)
        if not m:
            continue
        year, region = int(m.group(1)), names[m.group(2)]
        stated = dict(re.fullmatch(r"(.+) ([\d.,]+) ha", part).groups() for part in m.group(3).split("; "))
        rows = summary[(summary["period"] == year) & (summary["level"] == "province") & (summary["region"] == region)]
        actual = {claims_name: float(rows.loc[rows["claim"] == claim, "allocated_ha"].iloc[0]) for claims_name, claim in claims.items()}
        assert {k: float(v) for k, v in stated.items()} == {k: v for k, v in actual.items() if v > 0}
        found += 1
    assert found == 4  # two provinces, two periods


def test_a_period_states_another_measure_beside_the_hectares(tmp_path):
    # housing asks exactly 60 dwellings by 2030 (30 per cell) and 90 by 2050; business (5) takes the fourth cell
    # from 2030, while the third waits for housing (what is allocated stays allocated). The sheet names each
    # period's dwellings beside the hectares, never added to them
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 5}}, "periods": [2030, 2050],
              "demand": [{"level": "province", "region": "A", "claim": "housing", "measure": "dwellings_capacity", "min": 60,
                          "max": 60, "period": 2030},
                         {"level": "province", "region": "A", "claim": "housing", "measure": "dwellings_capacity", "min": 90}]}
    folder = write_instance(tmp_path / "inst", config, row_units(4, dwellings_capacity=30))
    run = solve_instance(folder, out=tmp_path / "run", gap=0.0, with_report=True)
    text = sheet_text(run.out)
    assert "By 2030, A has housing 2.0 ha (60 dwellings); business 1.0 ha (used area per claim)." in text
    assert "By 2050, A has housing 3.0 ha (90 dwellings); business 1.0 ha (used area per claim)." in text
    assert check_report(run.out, folder) > 10


# --------------------------------------------------------------------------- compare


def solve_cli(folder, out, scenario=None):
    args = ["solve", str(folder), "--out", str(out), "--gap", "0", "--quiet", "--no-report"]
    res = CliRunner().invoke(main, args + (["--scenario", scenario] if scenario else []))
    assert res.exit_code == 0, res.output


def test_compare_two_phased_runs_period_by_period(tmp_path):
    folder = write_instance(tmp_path / "inst", CONFIG, units(), scenarios=SCENARIOS)
    solve_cli(folder, tmp_path / "a")
    solve_cli(folder, tmp_path / "b", "open")
    res = CliRunner().invoke(main, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "cmp")])
    assert res.exit_code == 0, res.output
    out = res.stdout.splitlines()
    # 2030: A gets a second ha of housing (its floor met); 2050: nothing changes (A has 3 ha of housing either way)
    assert out == ["in 2030:", "  1 units changed claim",
                   "    the Netherlands, Woningbouw: allocated 2.0 ha → 3.0 ha (+1.0 ha), no floor",
                   "    province Amstelland (A), Woningbouw: allocated 1.0 ha → 2.0 ha (+1.0 ha), shortfall 1.0 ha → 0.0 ha",
                   "in 2050:", "  0 units changed claim"]
    changes = pd.read_csv(tmp_path / "cmp" / "compare_summary.csv", dtype={"region": str}).set_index(["period", "level", "region", "claim"])
    assert changes.loc[(2030, "province", "A", "housing"), "allocated_ha_change"] == pytest.approx(1)
    assert changes.loc[(2050, "province", "A", "housing"), "allocated_ha_change"] == pytest.approx(0)
    assert changes.loc[(2030, "national", "NL", "housing"), "allocated_ha_b"] == pytest.approx(3)
    unit = pd.read_csv(tmp_path / "cmp" / "changed_units.csv", keep_default_na=False)
    assert len(unit) == 1 and unit.iloc[0]["period"] == 2030 and unit.iloc[0]["unit_id"] in {"u1", "u2", "u3"}
    assert (unit.iloc[0]["claims_a"], unit.iloc[0]["claims_b"]) == ("", "housing")


def test_compare_refuses_a_phased_and_a_single_run_unless_given_a_period(tmp_path):
    folder = write_instance(tmp_path / "inst", CONFIG, units(), scenarios=SCENARIOS)
    single = {k: v for k, v in CONFIG.items() if k != "periods"}
    single["demand"] = [dict(d) for d in CONFIG["demand"] if d["period"] == 2030]
    for d in single["demand"]:
        d.pop("period")
    other = write_instance(tmp_path / "single", single, units())
    solve_cli(folder, tmp_path / "phased")
    solve_cli(other, tmp_path / "snapshot")  # 2030 alone: A 1 ha of housing, everything else housing (10 > 4)
    runner = CliRunner()
    res = runner.invoke(main, ["compare", str(tmp_path / "snapshot"), str(tmp_path / "phased")])
    assert res.exit_code == 1
    assert f"{tmp_path / 'phased'} is a phased run (periods 2030, 2050) and {tmp_path / 'snapshot'} has one period" in res.output
    assert "give --period YEAR" in res.output
    res = runner.invoke(main, ["compare", str(tmp_path / "snapshot"), str(tmp_path / "phased"), "--period", "2030",
                               "--out", str(tmp_path / "cmp")])
    assert res.exit_code == 0, res.output
    # the snapshot puts housing on B's three cells and logistics on A's other two; the plan keeps two of B's cells
    # for logistics, which 2050 needs, and A's two cells empty for housing in 2050
    units_changed = pd.read_csv(tmp_path / "cmp" / "changed_units.csv", keep_default_na=False).set_index("unit_id")
    b_cells = units_changed[units_changed.index.str.startswith("b")]
    assert len(b_cells) == 2 and set(b_cells["claims_a"]) == {"housing"} and set(b_cells["claims_b"]) == {"logistics"}
    changes = pd.read_csv(tmp_path / "cmp" / "compare_summary.csv", dtype={"region": str}).set_index(["level", "region", "claim"])
    assert "period" not in changes.columns
    assert changes.loc[("province", "B", "logistics"), "allocated_ha_b"] == pytest.approx(2)
    assert changes.loc[("province", "B", "housing"), "allocated_ha_change"] == pytest.approx(-2)
    assert changes.loc[("province", "A", "logistics"), "allocated_ha_change"] == pytest.approx(-2)
    assert changes.loc[("province", "A", "housing"), "allocated_ha_change"] == pytest.approx(0)
    res = runner.invoke(main, ["compare", str(tmp_path / "snapshot"), str(tmp_path / "phased"), "--period", "2040"])
    assert res.exit_code == 1 and "is a phased run of periods 2030, 2050" in res.output


def test_compare_two_phased_runs_with_other_periods_warns_and_keeps_the_shared_ones(tmp_path):
    folder = write_instance(tmp_path / "inst", CONFIG, units())
    three = {**CONFIG, "name": "test", "periods": [2030, 2040, 2050]}
    other = write_instance(tmp_path / "three", three, units())
    solve_cli(folder, tmp_path / "a")
    solve_cli(other, tmp_path / "b")
    res = CliRunner().invoke(main, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "cmp")])
    assert res.exit_code == 0, res.output
    assert "compared on 2030, 2050 only, not on 2040" in res.stderr
    changes = pd.read_csv(tmp_path / "cmp" / "compare_summary.csv")
    assert set(changes["period"]) == {2030, 2050}


# --------------------------------------------------------------------------- sweeps


def test_a_sweep_of_a_phased_instance_reports_each_period(tmp_path):
    # the 2030 ceiling of A's housing swept over 1 and 2: with 2, A's floor of 2030 is met (hand values above)
    folder = write_instance(tmp_path / "inst", CONFIG, units())
    spec = tmp_path / "spec.yaml"
    spec.write_text("design: grid\nparameters:\n  - path: demand[0].max_ha\n    name: ceiling\n    values: [1, 2]\n")
    outcome = sweep_instance(folder, spec, tmp_path / "sweep", workers=1, quiet=True)
    table = outcome.table.set_index("ceiling")
    assert set(table["path"]) == {"fresh"}  # a phased instance is solved afresh (no kept model)
    assert table.loc[1, "objective"] == pytest.approx(-924) and table.loc[2, "objective"] == pytest.approx(86)
    assert table.loc[1, "allocated_ha:province:A:housing:2030"] == pytest.approx(1)
    assert table.loc[2, "allocated_ha:province:A:housing:2030"] == pytest.approx(2)
    assert table.loc[1, "allocated_ha:province:A:housing:2050"] == pytest.approx(3)
    assert table.loc[1, "shortfall_ha:province:A:housing:2030"] == pytest.approx(1)
    assert table.loc[2, "shortfall_ha:province:A:housing:2030"] == pytest.approx(0)
    assert "allocated_ha:province:A:housing" not in table.columns  # never one column over the periods
    regions = pd.read_csv(outcome.out / "sweep_regions.csv", dtype={"region": str})
    assert set(regions["period"]) == {2030, 2050}
    duals = pd.read_csv(outcome.out / "sweep_duals.csv")
    assert "period" in duals.columns
