"""Planners' own files (docs/instances.md, *Reading values*): every value read as written, or refused by name.

Each input here once gave a wrong answer with exit 0, a traceback, or a half-written
folder; each test states the right value. The generated spellings are in
test_spellings.py.
"""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs import cells
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.pipeline import solve_instance
from ruimtepuzzel.model.prepare.feasibility import floor_findings
from ruimtepuzzel.model.prepare.pairs import prepare

from .helpers import row_units, write_instance

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def folder_of(tmp_path: Path, yaml_text: str, csv_text: str | None = None, csv_bytes: bytes | None = None) -> Path:
    """An instance folder from YAML as a planner types it (unquoted) and a units CSV as given."""
    folder = tmp_path / "inst"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.yaml").write_text(textwrap.dedent(yaml_text))
    if csv_bytes is None:
        csv_bytes = textwrap.dedent(csv_text).encode()
    (folder / "units.csv").write_bytes(csv_bytes)
    return folder


@pytest.fixture(params=["pyarrow", "plain Python"])
def reader(request, monkeypatch):
    """The units reader with pyarrow's kernels, and without them (pyarrow is an accelerator, not a requirement)."""
    if request.param == "plain Python":
        monkeypatch.setattr(cells, "ARROW", False)
    return request.param


def solved(tmp_path: Path, folder: Path, **kw):
    return solve_instance(folder, out=tmp_path / "run", gap=0.0, time_limit=60, **kw)


# --------------------------------------------------------------------------- codes keep their spelling

def test_a_locked_unit_id_with_leading_zeros_is_that_unit(tmp_path):
    folder = folder_of(tmp_path, """\
        name: lz
        regions: [province]
        claims: {housing: {value_per_ha: 1}, nature: {value_per_ha: 0}}
        locked: [{unit_id: 007, claim: nature}]
        """, """\
        unit_id,area_ha,province,x,y
        007,9,A,0,0
        7,1,A,100,0
        """)
    run = solved(tmp_path, folder)
    assert run.instance.config.locked[0].unit_id == "007"
    assert run.result.objective == pytest.approx(1.0)  # housing gets unit "7" (1 ha); YAML 1.1 read 007 as 7: 9
    alloc = dict(zip(run.allocation["unit_id"], run.allocation["claim"]))
    assert alloc == {"007": "nature", "7": "housing"}


def test_a_region_code_that_looks_octal_is_that_region(tmp_path):
    folder = folder_of(tmp_path, """\
        name: oct
        regions: [municipality]
        claims: {housing: {value_per_ha: 1}}
        demand: [{level: municipality, region: 0363, claim: housing, min_ha: 3}]
        objective: {shortfall_penalty_per_ha: 100}
        """, """\
        unit_id,area_ha,municipality,x,y
        a,2,0363,0,0
        b,5,0344,100,0
        """)
    run = solved(tmp_path, folder)  # YAML 1.1: "unknown region 243"
    assert run.instance.config.demand[0].region == "0363"
    row = run.summary[(run.summary["region"] == "0363") & (run.summary["claim"] == "housing")].iloc[0]
    assert row["allocated"] == pytest.approx(2.0) and row["shortfall"] == pytest.approx(1.0)
    assert run.result.objective == pytest.approx(7.0 - 100.0)


def test_a_code_that_lost_its_leading_zero_is_refused_with_a_hint(tmp_path):
    folder = folder_of(tmp_path, """\
        name: lz
        regions: [municipality]
        claims: {housing: {}}
        demand: [{level: municipality, region: 0363, claim: housing, min_ha: 1}]
        locked: [{unit_id: 007, claim: housing}]
        """, "unit_id,area_ha,municipality,x,y\n7,1,363,0,0\n")  # as Excel saves codes it took for numbers
    with pytest.raises(InputError) as err:
        load_instance(folder)
    assert "unknown region '0363'" in str(err.value) and "has '363'" in str(err.value) and "leading zeros" in str(err.value)


def test_a_category_written_5_0_is_category_5(tmp_path):
    inst = load_instance(folder_of(tmp_path, """\
        name: cat
        regions: [province]
        claims: {industry: {value_per_ha: 1, env_category: 5.0}, housing: {value_per_ha: 1, sensitive: yes}}
        env_zoning: {distance_m: {5: 500, 4.1: 200}}
        """, """\
        unit_id,area_ha,province,x,y
        u1,1,A,0,0
        """))
    assert inst.config.claims["industry"].env_category == "5.0"  # kept as written …
    assert inst.config.env_zoning.distance_of("5.0") == 500.0  # … and the same category as "5"
    assert inst.config.claims["housing"].sensitive is True


# --------------------------------------------------------------------------- booleans in the units

def test_protected_ja_nee_protects_the_ja_units_only(tmp_path, reader):
    folder = folder_of(tmp_path, """\
        name: prot
        regions: [province]
        claims: {housing: {value_per_ha: 10}, business: {value_per_ha: 5}}
        """, """\
        unit_id,area_ha,province,x,y,protected
        u1,1,A,0,0,ja
        u2,1,A,100,0,nee
        u3,1,A,200,0,Nee
        """)
    run = solved(tmp_path, folder)
    assert run.instance.units["protected"].tolist() == [True, False, False]
    assert run.result.objective == pytest.approx(25.0)  # any word counted as true: every unit protected, 15


def test_a_protected_value_that_is_no_boolean_is_refused_by_line(tmp_path, reader):
    folder = folder_of(tmp_path, "name: p\nregions: [province]\nclaims: {housing: {}}\n", """\
        unit_id,area_ha,province,x,y,protected
        u1,1,A,0,0,ja
        u2,1,A,100,0,misschien
        """)
    with pytest.raises(InputError) as err:
        load_instance(folder)
    for part in ("units.csv", "'protected'", "line 3", "'misschien'", "ja/nee"):
        assert part in str(err.value)


# --------------------------------------------------------------------------- rule values in the column's type

def test_a_rule_value_1_on_a_0_1_column_matches_the_ones(tmp_path, reader):
    folder = folder_of(tmp_path, """\
        name: n2k
        regions: [province]
        claims: {housing: {value_per_ha: 10}, nature: {value_per_ha: 1}}
        rules: [{name: natura2000, claims: [housing], attr: natura2000, op: "==", value: "1"}]
        """, """\
        unit_id,area_ha,province,x,y,natura2000
        u1,1,A,0,0,1
        u2,1,A,100,0,0
        u3,1,A,200,0,0
        """)
    run = solved(tmp_path, folder)
    assert run.result.objective == pytest.approx(21.0)  # "1" matched nothing: housing on Natura 2000, 30
    rules = pd.read_csv(tmp_path / "run" / "rules.csv")
    national = rules[(rules["rule"] == "natura2000") & (rules["level"] == "national")]
    assert national["excluded_ha"].sum() == pytest.approx(1.0)  # was empty


@pytest.mark.parametrize("value, column, matched", [
    ("true", ["1", "0", "0"], [True, False, False]),  # true against 0/1 numbers is 1
    ("ja", ["ja", "nee", ""], [True, False, False]),
    ("1", ["Waar", "onwaar", "ONWAAR"], [True, False, False]),  # 1 against booleans is true
    ("2.5", ["2.5", "2.50", "3"], [True, True, False]),  # numbers compare as numbers
    ("B", ["A", "B", "b"], [False, True, False]),  # text by its spelling
])
def test_rule_values_are_read_in_the_columns_type(tmp_path, value, column, matched):
    from ruimtepuzzel.model.prepare.rules import rule_mask

    yaml_text = (f"name: r\nregions: [province]\nclaims: {{housing: {{}}}}\n"
                 f"rules: [{{name: r, attr: attr, op: '==', value: {value}}}]\n")
    rows = "".join(f"u{i},1,A,{i * 100},0,{c}\n" for i, c in enumerate(column))
    inst = load_instance(folder_of(tmp_path, yaml_text, "unit_id,area_ha,province,x,y,attr\n" + rows))
    assert rule_mask(inst.units, inst.config.rules[0], inst.config).tolist() == matched


def test_a_rule_on_a_code_column_compares_spellings(tmp_path):
    from ruimtepuzzel.model.prepare.rules import rule_mask

    yaml_text = "name: r\nregions: [gemeente]\nclaims: {housing: {}}\nrules: [{name: r, attr: gemeente, op: '==', value: 0363}]\n"
    rows = "".join(f"u{i},1,{c},{i * 100},0\n" for i, c in enumerate(["0363", "363", "GM0363"]))
    inst = load_instance(folder_of(tmp_path, yaml_text, "unit_id,area_ha,gemeente,x,y\n" + rows))
    matched = [True, False, False]
    assert rule_mask(inst.units, inst.config.rules[0], inst.config).tolist() == matched


@pytest.mark.parametrize("value, column, fragment", [
    ("maybe", ["1", "0"], "holds numbers"),
    ("true", ["1", "2"], "'2' is not a boolean"),  # the rule makes it a boolean column: the cell is named
    ("2", ["ja", "nee"], "holds booleans"),
    ("1", ["1", "n.v.t."], "'n.v.t.'"),
    ("0363", ["0363", "GM0363"], "mixes numbers and text"),
])
def test_a_rule_value_that_cannot_be_read_in_the_columns_type_names_the_rule(tmp_path, value, column, fragment):
    yaml_text = (f"name: r\nregions: [province]\nclaims: {{housing: {{}}}}\n"
                 f"rules: [{{name: wrong-kind, attr: attr, op: '==', value: {value}}}]\n")
    rows = "".join(f"u{i},1,A,{i * 100},0,{c}\n" for i, c in enumerate(column))
    with pytest.raises(InputError) as err:
        load_instance(folder_of(tmp_path, yaml_text, "unit_id,area_ha,province,x,y,attr\n" + rows))
    assert "wrong-kind" in str(err.value) and fragment in str(err.value)


# --------------------------------------------------------------------------- numbers in the units

def test_na_in_a_suitability_column_is_missing(tmp_path, reader):
    folder = folder_of(tmp_path, """\
        name: na
        regions: [province]
        claims: {housing: {value_per_ha: 10, suitability_attr: suit}}
        """, """\
        unit_id,area_ha,province,x,y,suit
        u1,1,A,0,0,0.5
        u2,1,A,100,0,NA
        u3,1,A,200,0,NaN
        """)
    run = solved(tmp_path, folder)  # was a traceback
    assert run.result.objective == pytest.approx(5.0)
    assert any("'suit'" in w and "2 units" in w for w in run.prep.warnings)
    res = cli("validate", folder)
    assert res.returncode == 0 and "Traceback" not in res.stderr


@pytest.mark.parametrize("cell", ["1.250,00", "n.v.t."])  # every kind of bad cell, in-process: see below
def test_a_cell_that_is_no_number_in_a_numeric_column_is_refused_by_name(tmp_path, cell):
    folder = folder_of(tmp_path, """\
        name: cost
        regions: [province]
        claims: {housing: {value_per_ha: 10, cost_attr: cost}}
        """, f"""\
        unit_id,area_ha,province,x,y,cost
        u1,1,A,0,0,12.5
        u2,1,A,100,0,"{cell}"
        """)
    for command in ("solve", "validate"):
        res = cli(command, folder, *(["--out", tmp_path / "run"] if command == "solve" else []))
        assert res.returncode == 1, res.stderr
        assert "Traceback" not in res.stderr
        for part in ("units.csv", "'cost'", "line 3", repr(cell)):
            assert part in res.stderr, res.stderr
    assert not (tmp_path / "run").exists()


BASE_YAML = """\
    name: nl
    regions: [province]
    claims: {housing: {value_per_ha: 10, suitability_attr: suit, cost_attr: cost}}
    budget: {max_eur: 1.0e12}
    """
ROWS = [("u1", "1.5", "PV28", "155000", "463000", "0.75", "1250.5", "true", "Café"),
        ("u2", "2", "PV28", "155100", "463000", "0.5", "12.25", "false", "'s-Hertogenbosch"),
        ("u3", "1000.25", "PV30", "155200", "463000", "", "3", "", "Zuidoost-Brabant")]
EXPECTED = {"area_ha": [1.5, 2.0, 1000.25], "suit": [0.75, 0.5, None], "cost": [1250.5, 12.25, 3.0]}


def _dutch(cell: str, column: str) -> str:
    """A number as Dutch Excel writes it: decimal comma, thousands point."""
    if column in ("x", "y", "province", "unit_id", "flag", "plaats") or not cell:
        return {"true": "WAAR", "false": "ONWAAR"}.get(cell, cell)
    whole, _, frac = cell.partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return grouped + ("," + frac if frac else "")


def _write(rows, sep: str, encoding: str, newline: str, dutch: bool, sep_line: bool = False) -> bytes:
    header = ["unit_id", "area_ha", "province", "x", "y", "suit", "cost", "flag", "plaats"]
    lines = ([f"sep={sep}"] if sep_line else []) + [sep.join(header)]
    for row in rows:
        cells = [_dutch(c, h) if dutch else c for c, h in zip(row, header)]
        lines.append(sep.join(f'"{c}"' if sep in c else c for c in cells))
    text = newline.join(lines) + newline
    return text.encode("utf-8-sig" if encoding == "utf-8-sig" else encoding)


@pytest.mark.parametrize("sep, encoding, newline, dutch, sep_line", [
    (";", "cp1252", "\r\n", True, False),  # Dutch Excel "CSV (puntkomma gescheiden)"
    (";", "utf-8-sig", "\r\n", True, False),  # Dutch Excel "CSV UTF-8"
    (";", "cp1252", "\r\n", True, True),  # with Excel's sep= line
    (";", "utf-8", "\n", False, False),  # semicolons with decimal points
    ("\t", "utf-8", "\n", True, False),
    (",", "utf-8", "\n", False, False),
])
def test_dutch_excel_files_are_read_as_such_and_the_dialect_is_recorded(tmp_path, reader, sep, encoding, newline, dutch, sep_line):
    folder = folder_of(tmp_path, BASE_YAML, csv_bytes=_write(ROWS, sep, encoding, newline, dutch, sep_line))
    run = solved(tmp_path, folder)
    units = run.instance.units
    for col, values in EXPECTED.items():
        assert [None if pd.isna(v) else v for v in units[col]] == values, col
    assert units["flag"].tolist() == [True, False, None]
    assert units["plaats"].tolist() == ["Café", "'s-Hertogenbosch", "Zuidoost-Brabant"]
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    read = manifest["units_dialect"]
    assert read["separator"] == sep and read["decimal_mark"] == ("," if dutch else ".")
    assert read["encoding"] == {"cp1252": "Windows-1252"}.get(encoding, "UTF-8")
    assert read["byte_order_mark"] == (encoding == "utf-8-sig")
    assert read["line_ending"] == ("CRLF" if newline == "\r\n" else "LF")


@pytest.mark.parametrize("sep, spellings, values", [
    (";", ["1 250,5", "1\u00a0000\u00a0000", "2,5"], [1250.5, 1_000_000.0, 2.5]),  # spaces group thousands in Dutch files…
    (",", ["1 250.5", "12 000", "2.5"], [1250.5, 12000.0, 2.5]),  # … and in decimal-point files
    (";", ["1,25E+03", "-0,5", "+3"], [1250.0, -0.5, 3.0]),  # Excel's exponent with a decimal comma
])
def test_thousands_grouped_by_spaces_and_exponents_are_read(tmp_path, reader, sep, spellings, values):
    rows = "".join(f"u{i}{sep}1{sep}A{sep}{i}{sep}0{sep}{c}\n" for i, c in enumerate(spellings))
    header = sep.join(["unit_id", "area_ha", "province", "x", "y", "cost"]) + "\n"
    folder = folder_of(tmp_path, "name: d\nregions: [province]\nclaims: {housing: {cost_attr: cost}}\n", header + rows)
    assert load_instance(folder).units["cost"].tolist() == values


@pytest.mark.parametrize("cell", ["1.250,00", "n.v.t.", "inf", "1e999", "12 50", "#N/A", "€ 12", "-"])
def test_a_cell_that_is_no_number_is_refused_by_name_by_either_reader(tmp_path, reader, cell):
    folder = folder_of(tmp_path, "name: c\nregions: [province]\nclaims: {housing: {cost_attr: cost}}\n",
                       f'unit_id,area_ha,province,x,y,cost\nu1,1,A,0,0,12.5\nu2,1,A,100,0,"{cell}"\n')
    with pytest.raises(InputError) as err:
        load_instance(folder)
    message = str(err.value)
    assert "units.csv" in message and "column 'cost' line 3" in message and repr(cell) in message, message


def test_a_windows_1252_file_keeps_its_letters(tmp_path):
    folder = folder_of(tmp_path, "name: w\nregions: [province]\nclaims: {housing: {}}\n",
                       csv_bytes="unit_id;area_ha;province;x;y;plaats\r\nu1;1;A;0;0;Hoensbroek-Zuid ë é\r\n".encode("cp1252"))
    inst = load_instance(folder)
    assert inst.units["plaats"].tolist() == ["Hoensbroek-Zuid ë é"] and inst.dialect.encoding == "Windows-1252"


@pytest.mark.parametrize("spellings, fragment", [
    (["1,5", "2.5"], "mixes decimal marks"),  # both marks in one file
    (["1.250", "2.500"], "thousands point or"),  # could be either, nothing says which
])
def test_a_file_whose_decimal_mark_cannot_be_told_is_refused_naming_a_cell(tmp_path, reader, spellings, fragment):
    rows = "".join(f"u{i};1;A;{i};0;{c}\n" for i, c in enumerate(spellings))
    folder = folder_of(tmp_path, "name: d\nregions: [province]\nclaims: {housing: {cost_attr: cost}}\n",
                       "unit_id;area_ha;province;x;y;cost\n" + rows)
    with pytest.raises(InputError) as err:
        load_instance(folder)
    assert fragment in str(err.value) and "'cost'" in str(err.value) and "line 2" in str(err.value)


def test_a_row_longer_than_the_header_names_the_line_and_the_separator(tmp_path, reader):
    folder = folder_of(tmp_path, "name: r\nregions: [province]\nclaims: {housing: {}}\n",
                       "unit_id;area_ha;province;x;y\nu1;1;A;0;0\nu2;1;A;1;0;9\n")
    with pytest.raises(InputError) as err:
        load_instance(folder)
    assert "line 3 has 6 fields, the header 5" in str(err.value) and "semicolon" in str(err.value)


def test_a_missing_column_error_says_how_the_file_was_read(tmp_path):
    folder = folder_of(tmp_path, "name: r\nregions: [province]\nclaims: {housing: {}}\n", "unit_id;area_ha;province;y\nu1;1;A;0\n")
    with pytest.raises(InputError) as err:
        load_instance(folder)
    assert "missing column 'x'" in str(err.value) and "semicolon-separated" in str(err.value)


def test_duplicate_unit_ids_name_both_lines(tmp_path):
    folder = folder_of(tmp_path, "name: r\nregions: [province]\nclaims: {housing: {}}\n",
                       "unit_id,area_ha,province,x,y\n007,1,A,0,0\n7,1,A,1,0\n007 ,1,A,2,0\n")
    with pytest.raises(InputError) as err:
        load_instance(folder)
    assert "duplicate unit_id '007' on line 2 and line 4" in str(err.value)


# --------------------------------------------------------------------------- numbers in instance.yaml

@pytest.mark.parametrize("key, text, spelling", [
    ("claims.housing.value_per_ha", "claims: {housing: {value_per_ha: .nan}}", ".nan"),
    ("objective.shortfall_penalty_per_ha", "claims: {housing: {}}\nobjective: {shortfall_penalty_per_ha: .inf}", ".inf"),
    ("demand[0].min_ha", "claims: {housing: {}}\ndemand: [{level: national, claim: housing, min_ha: -.Inf}]", "-.Inf"),
    ("claims.housing.value_per_ha", "claims: {housing: {value_per_ha: '1,5'}}", "1,5"),
    ("claims.housing.value_per_ha", "claims: {housing: {value_per_ha: 0x10}}", "0x10"),
    ("claims.housing.sensitive", "claims: {housing: {sensitive: misschien}}", "misschien"),
    ("solver.mip_rel_gap", "claims: {housing: {}}\nsolver: {mip_rel_gap: 5}", "5"),
    ("solver.threads", "claims: {housing: {}}\nsolver: {threads: 1.5}", "1.5"),
])
def test_a_number_or_boolean_that_is_not_one_is_refused_naming_the_key(tmp_path, key, text, spelling):
    folder = folder_of(tmp_path, f"name: n\nregions: [province]\n{text}\n", "unit_id,area_ha,province,x,y\nu1,1,A,0,0\n")
    with pytest.raises(InputError) as err:
        load_instance(folder)
    assert key in str(err.value) and spelling in str(err.value), str(err.value)


def test_a_key_given_twice_is_refused_with_its_line(tmp_path):
    folder = folder_of(tmp_path, "name: n\nregions: [province]\nclaims:\n  housing: {}\n  housing: {value_per_ha: 2}\n",
                       "unit_id,area_ha,province,x,y\nu1,1,A,0,0\n")
    with pytest.raises(InputError) as err:
        load_instance(folder)
    assert "'housing' is given twice" in str(err.value) and "line 4" in str(err.value)


def test_yaml_spellings_of_booleans_and_presolve_off(tmp_path):
    inst = load_instance(folder_of(tmp_path, """\
        name: b
        regions: [province]
        claims: {housing: {sensitive: Ja, divisible: ON}, business: {sensitive: nee}}
        solver: {presolve: off, aggregate: no, options: {mip_heuristic_effort: 0.1, mip_max_nodes: 50, log_to_console: off}}
        """, "unit_id,area_ha,province,x,y\nu1,1,A,0,0\n"))
    claims = inst.config.claims
    assert claims["housing"].sensitive and claims["housing"].divisible and not claims["business"].sensitive
    assert inst.config.solver.presolve == "off" and inst.config.solver.aggregate is False
    assert inst.config.solver.options == {"mip_heuristic_effort": 0.1, "mip_max_nodes": 50, "log_to_console": False}


# --------------------------------------------------------------------------- the command line

@pytest.mark.parametrize("args, fragment", [
    (["--time-limit", "0"], "not above 0 seconds"),
    (["--gap", "-1"], "negative"),
    (["--gap", "5"], "500 %"),
    (["--gap", "nan"], "not a finite number"),
    (["--threads", "two"], "not a number"),
    (["--colour", "red"], "No such option"),
])
def test_a_usage_error_exits_1_and_writes_nothing(tmp_path, args, fragment):
    folder = write_instance(tmp_path / "inst", {"claims": {"housing": {"value_per_ha": 1}}}, row_units(1))
    res = cli("solve", folder, *args, cwd=tmp_path)
    assert res.returncode == 1 and fragment in res.stderr, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst"]


def test_the_api_checks_the_same_settings(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": {"housing": {"value_per_ha": 1}}}, row_units(1))
    with pytest.raises(InputError, match="--gap: 5 would be 500 %"):
        solve_instance(folder, out=tmp_path / "run", gap=5)
    assert not (tmp_path / "run").exists()


def test_a_failed_pareto_or_a_missing_solver_leaves_no_folder(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": {"housing": {"value_per_ha": 1}, "business": {"value_per_ha": 1}}},
                            row_units(2))
    res = cli("pareto", folder, "--x", "housing", "--y", "nosuchmetric", cwd=tmp_path)
    assert res.returncode == 1 and "nosuchmetric" in res.stderr
    res = cli("solve", folder, "--solver", "nosuchsolver", cwd=tmp_path)
    assert res.returncode == 1 and "nosuchsolver" in res.stderr
    res = cli("pareto", folder, "--x", "housing", "--y", "housing", cwd=tmp_path)
    assert res.returncode == 1 and "same metric" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst"]  # no results/, no results/test-pareto/


def test_a_failure_inside_the_staging_folder_removes_the_folders_it_made(tmp_path):
    from ruimtepuzzel.model.outputs.run_folder import staging

    out = tmp_path / "results" / "inst" / "run"
    with pytest.raises(RuntimeError):
        with staging(out) as tmp:
            (tmp / "half.csv").write_text("a\n")
            raise RuntimeError("killed half-way")
    assert not (tmp_path / "results").exists()
    (tmp_path / "results" / "other").mkdir(parents=True)  # a folder that was there is kept
    with pytest.raises(RuntimeError):
        with staging(tmp_path / "results" / "other" / "run"):
            raise RuntimeError
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["other"]


# --------------------------------------------------------------------------- the pre-solve check

def test_negative_measure_values_do_not_lower_the_eligible_bound(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 1}},
              "demand": [{"level": "national", "claim": "housing", "measure": "dwellings", "min": 180}]}
    folder = write_instance(tmp_path / "inst", config, row_units(3, dwellings=[100, -50, 100]))
    prep = prepare(load_instance(folder))
    assert floor_findings(prep) == []  # 200 dwellings are within reach; summing the -50 gave 150 and a false warning
    run = solved(tmp_path, folder)
    assert run.summary.loc[run.summary["claim"] == "housing", "shortfall"].sum() == pytest.approx(0.0)


def test_a_floor_out_of_reach_is_still_reported_with_the_positive_figure(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 1}},
              "demand": [{"level": "national", "claim": "housing", "measure": "dwellings", "min": 250}]}
    folder = write_instance(tmp_path / "inst", config, row_units(3, dwellings=[100, -50, 100]))
    [finding] = floor_findings(prepare(load_instance(folder)))
    assert "200 dwellings eligible" in finding.message and "shortfall at least 50.0 dwellings" in finding.message


# --------------------------------------------------------------------------- the sweep store

def test_a_file_being_written_aside_is_no_finished_scenario(tmp_path):
    from ruimtepuzzel.model.analysis.sweep.store import Store, finished

    store = Store(tmp_path)
    summary = pd.DataFrame({"level": ["national"], "allocated": [1.0]})
    store.put("abc", {"summary": summary, "record": {"status": "optimal"}, "duals": pd.DataFrame()})
    (tmp_path / "scenarios" / ".tmp-def-123").write_bytes(b"PAR1 half")  # a writer killed before its rename
    assert finished(tmp_path) == ["abc"]
    Store(tmp_path)
    assert sorted(p.name for p in (tmp_path / "scenarios").iterdir()) == ["abc.parquet"]


def test_scaling_a_value_read_by_spelling_in_a_sweep(tmp_path):
    from ruimtepuzzel.model.analysis.sweep.spec import Parameter, assign

    data = yaml.safe_load("demand: [{claim: housing, min_ha: '150'}]")
    assign(data, Parameter(path="demand[claim=housing].min_ha", factors=[2.0]), 2.0)
    assert data["demand"][0]["min_ha"] == 300.0


# --------------------------------------------------------------------------- a GeoPackage follows the same rules

def _gpkg(tmp_path: Path, yaml_text: str, **columns) -> Path:
    import geopandas as gpd
    import shapely

    folder = tmp_path / "gp"
    folder.mkdir()
    n = len(next(iter(columns.values())))
    frame = gpd.GeoDataFrame(columns, geometry=[shapely.box(100 * i, 0, 100 * i + 100, 100) for i in range(n)], crs="EPSG:28992")
    frame.to_file(folder / "units.gpkg", layer="units", driver="GPKG")
    (folder / "instance.yaml").write_text(textwrap.dedent(yaml_text))
    return folder


def test_geopackage_columns_are_typed_as_csv_columns_are(tmp_path, reader):
    from ruimtepuzzel.model.prepare.rules import rule_mask

    folder = _gpkg(tmp_path, """\
        name: gp
        regions: [gemeente]
        claims: {housing: {value_per_ha: 10, cost_attr: cost}, business: {value_per_ha: 5}}
        rules: [{name: n2k, attr: natura2000, op: "==", value: "1"}]
        locked: [{unit_id: 007, claim: business}]
        """, unit_id=["007", "7", "8"], area_ha=[1, 1, 1], gemeente=["0363", "0363", "0344"], protected=["ja", "Nee", None],
        natura2000=[0, 1, 0], cost=["12,5", "1.250", "3"])
    inst = load_instance(folder)
    units = inst.units
    assert units["unit_id"].tolist() == ["007", "7", "8"] and units["gemeente"].tolist() == ["0363", "0363", "0344"]
    assert units["protected"].tolist() == [True, False, False]
    assert units["area_ha"].dtype == float and units["natura2000"].dtype == float
    assert rule_mask(units, inst.config.rules[0], inst.config).tolist() == [False, True, False]
    assert units["cost"].tolist() == [12.5, 1250.0, 3.0]  # numbers stored as text with a decimal comma, as in a CSV
    assert inst.dialect.describe() == "units.gpkg: GeoPackage, text numbers with a decimal comma"


def test_a_geopackage_boolean_that_is_no_boolean_is_refused_by_feature(tmp_path):
    folder = _gpkg(tmp_path, "name: gp\nregions: [province]\nclaims: {housing: {}}\n",
                   unit_id=["a", "b"], area_ha=[1.0, 1.0], province=["A", "A"], protected=["ja", "misschien"])
    with pytest.raises(InputError) as err:
        load_instance(folder)
    assert "'protected' feature 2 (unit_id 'b'): 'misschien' is not a boolean" in str(err.value)
