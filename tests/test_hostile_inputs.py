"""Hostile and odd input files: each ends in a one-line input error naming the file, key and value, quickly.

YAML with limits (alias bombs, depth, size, long values echoed), one id in two Unicode
normal forms, categories compared by spelling (4.10 is not 4.1), solver names that are
no names, and paths that leave the instance folder.
"""
from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from ruimtepuzzel.model.errors import ECHO_LIMIT, InputError
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.inputs.schema import category_key, same_category
from ruimtepuzzel.model.inputs.yaml_reader import MAX_BYTES, MAX_DEPTH, MAX_VALUES, read_yaml

from .helpers import row_units, write_instance

ROOT = Path(__file__).resolve().parents[1]

# the classic 11-line "billion laughs": 9^9 ≈ 387 million values once every alias is expanded
BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
name: bomb
regions: [province]
"""


def cli(*args, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """The command line in a fresh process; ``timeout`` guards against a hang (not a timing assert)."""
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def one_line_error(res: subprocess.CompletedProcess, *needles: str) -> str:
    """The last stderr line: an 'error:' line, no traceback, naming every needle."""
    assert "Traceback" not in res.stderr, res.stderr[-2000:]
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("error: "), res.stderr[-2000:]
    for needle in needles:
        assert needle in line, (needle, line)
    return line


def error_of(folder: Path, scenario=None) -> str:
    with pytest.raises(InputError) as caught:
        load_instance(folder, scenario)
    return str(caught.value)


BASE = {"claims": {"housing": {"value_per_ha": 1}}}


# --------------------------------------------------------------------------- YAML with limits

@pytest.mark.parametrize("by_spelling", [True, False])
def test_an_alias_bomb_is_refused_while_composing(tmp_path, by_spelling):
    """Instance and scenario files (by spelling) and specs (YAML's types) share the one reader."""
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    with pytest.raises(InputError) as caught:
        read_yaml(path, by_spelling=by_spelling)
    message = str(caught.value)
    assert str(path) in message and "alias" in message and f"{MAX_VALUES:,}" in message and "line " in message


def test_validate_and_solve_refuse_an_alias_bomb(tmp_path):
    folder = write_instance(tmp_path / "inst", BASE, row_units(2))
    (folder / "instance.yaml").write_text(BOMB + "claims: {housing: {value_per_ha: 1}}\n")
    for command in ("validate", "solve"):
        res = cli(command, folder, cwd=tmp_path)
        assert res.returncode == 1
        one_line_error(res, "instance.yaml", "alias")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst"]  # no results folder


def test_a_scenario_and_a_sweep_spec_with_an_alias_bomb_are_refused(tmp_path):
    folder = write_instance(tmp_path / "inst", BASE, row_units(2), scenarios={"bomb": {}})
    (folder / "scenarios" / "bomb.yaml").write_text(BOMB.replace("name: bomb\nregions: [province]\n", ""))
    assert "bomb.yaml" in error_of(folder, "bomb") and "alias" in error_of(folder, "bomb")
    from ruimtepuzzel.model.analysis.sweep.spec import load_spec

    spec = tmp_path / "spec.yaml"
    spec.write_text(BOMB)
    with pytest.raises(InputError, match="alias"):
        load_spec(spec)


def test_aliases_within_the_limit_keep_working(tmp_path):
    """Anchors, aliases and merge keys are YAML that planners use: a few are fine."""
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {value_per_ha: 5, label: Wonen}\nclaims:\n  housing: {<<: *b, sensitive: true}\n"
                    "  campus: *b\n")
    data = read_yaml(path, by_spelling=True)
    assert data["claims"]["housing"] == {"value_per_ha": "5", "label": "Wonen", "sensitive": "true"}
    assert data["claims"]["campus"] == {"value_per_ha": "5", "label": "Wonen"}


def test_a_recursive_alias_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a [1, *a]\n")
    with pytest.raises(InputError, match="recursive alias"):
        read_yaml(path, by_spelling=True)


def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(InputError, match=f"more than {MAX_DEPTH} levels"):
        read_yaml(path, by_spelling=True)


def test_a_file_too_large_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * MAX_BYTES + b"\nname: big\n")
    with pytest.raises(InputError, match="larger than"):
        read_yaml(path)


def test_a_yaml_error_names_the_line_without_echoing_a_long_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ndescription: " + "y" * 5000 + "\n  - : : [\n")
    with pytest.raises(InputError) as caught:
        read_yaml(path, by_spelling=True)
    message = str(caught.value)
    assert "line " in message and "y" * 100 not in message and len(message) < 400


def test_long_values_are_cut_in_error_messages(tmp_path):
    """A claim name, a key and a cell of 10,000 characters are echoed as at most 80, with an ellipsis."""
    long = "k" * 10_000
    folder = write_instance(tmp_path / "a", {**BASE, "demand": [{"level": "national", "claim": long, "min_ha": 1}]},
                            row_units(2))
    message = error_of(folder)
    assert "demand[0]" in message and "…" in message and "k" * ECHO_LIMIT not in message and len(message) < 600
    folder = write_instance(tmp_path / "b", {**BASE, long: 1}, row_units(2))
    message = error_of(folder)
    assert "unknown key" in message and "k" * ECHO_LIMIT not in message and len(message) < 600
    folder = write_instance(tmp_path / "c", {**BASE, "demand": [{"level": "national", "claim": "housing",
                                                                  "measure": "dwellings", "min": 1}]},
                            row_units(2, dwellings=["1", "9" * 5000 + "x"]))
    message = error_of(folder)
    assert "'dwellings'" in message and "line 3" in message and "9" * ECHO_LIMIT not in message and len(message) < 600


def test_a_key_given_twice_with_a_long_name_is_cut(tmp_path):
    path = tmp_path / "twice.yaml"
    key = "z" * 1000  # a plain key may be up to 1024 characters long
    path.write_text(f"{key}: 1\n{key}: 2\n")
    with pytest.raises(InputError) as caught:
        read_yaml(path, by_spelling=True)
    assert "given twice" in str(caught.value) and len(str(caught.value)) < 400


def test_a_gzip_bomb_of_units_is_refused(tmp_path, monkeypatch):
    """A units.csv.gz that expands far beyond what a CSV compresses to is refused, not read into memory."""
    import gzip

    from ruimtepuzzel.model.inputs import table

    monkeypatch.setattr(table, "GZIP_FLOOR", 1024 * 1024)  # the floor scaled down, so the test stays small
    folder = write_instance(tmp_path / "inst", {**BASE, "units": "units.csv.gz"}, row_units(2))
    header = (folder / "units.csv").read_bytes()
    (folder / "units.csv.gz").write_bytes(gzip.compress(header + b"0" * (20 * 1024 * 1024)))
    message = error_of(folder)
    assert "units.csv.gz" in message and "decompression bomb" in message
    (folder / "units.csv.gz").write_bytes(gzip.compress(header))  # an ordinary file is read
    assert len(load_instance(folder).units) == 2


# --------------------------------------------------------------------------- Unicode normal forms

NFC = unicodedata.normalize("NFC", "Súdwest-1")
NFD = unicodedata.normalize("NFD", "Súdwest-1")


def test_the_two_spellings_differ_as_bytes():
    assert NFC != NFD and len(NFD) == len(NFC) + 1


def test_one_id_in_two_normal_forms_is_a_duplicate_naming_both_lines(tmp_path):
    units = row_units(3)
    units[0]["unit_id"], units[2]["unit_id"] = NFC, NFD
    message = error_of(write_instance(tmp_path / "inst", BASE, units))
    assert "duplicate unit_id" in message and "line 2" in message and "line 4" in message and "NFC" in message


def test_yaml_and_units_file_meet_in_one_normal_form(tmp_path):
    """A region code typed with a combining accent in instance.yaml is the region of the units file, and a
    locked unit id too; the codes are stored in NFC."""
    units = row_units(2, region=NFC)
    units[0]["unit_id"] = NFC
    config = {**BASE, "demand": [{"level": "province", "region": NFD, "claim": "housing", "min_ha": 1}],
              "locked": [{"unit_id": NFD, "claim": "housing"}]}
    inst = load_instance(write_instance(tmp_path / "inst", config, units))
    assert inst.config.demand[0].region == NFC and inst.config.locked[0].unit_id == NFC
    assert inst.units["unit_id"].iloc[0] == NFC and set(inst.units["province"]) == {NFC}


def test_units_file_in_nfd_is_read_as_nfc(tmp_path):
    units = row_units(2, region=NFD)
    units[1]["unit_id"] = NFD
    inst = load_instance(write_instance(tmp_path / "inst", {**BASE, "demand": [
        {"level": "province", "region": NFC, "claim": "housing", "min_ha": 1}]}, units))
    assert inst.units["unit_id"].iloc[1] == NFC and set(inst.units["province"]) == {NFC}


def test_a_claim_key_in_two_normal_forms_is_given_twice(tmp_path):
    folder = write_instance(tmp_path / "inst", BASE, row_units(2))
    (folder / "instance.yaml").write_text(f"name: t\nregions: [province]\nclaims:\n  {NFC}: {{value_per_ha: 1}}\n"
                                          f"  {NFD}: {{value_per_ha: 2}}\n", encoding="utf-8")
    message = error_of(folder)
    assert "given twice" in message and "line 4" in message


# --------------------------------------------------------------------------- categories

ZONING = {"distance_m": {"4.1": 200, "5": 500}, "existing_category_attr": "cat"}


def test_4_10_as_a_claim_category_is_an_error_naming_key_and_value(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": {"industry": {"value_per_ha": 1, "env_category": "4.10"}},
                                                "env_zoning": ZONING}, row_units(2, cat=["4.1", None]))
    message = error_of(folder)
    assert "claims.industry.env_category" in message and "'4.10'" in message and "is not '4.1'" in message


def test_4_10_in_the_units_file_is_an_error_naming_file_column_line_and_value(tmp_path):
    folder = write_instance(tmp_path / "inst", {**BASE, "env_zoning": ZONING}, row_units(3, cat=["4.1", None, "4.10"]))
    message = error_of(folder)
    assert "units.csv" in message and "'cat'" in message and "line 4" in message and "'4.10'" in message


def test_4_10_as_a_rule_value_on_the_category_column_is_an_error_naming_the_rule(tmp_path):
    config = {**BASE, "env_zoning": ZONING, "rules": [{"name": "near-heavy", "attr": "cat", "op": "==", "value": "4.10"}]}
    message = error_of(write_instance(tmp_path / "inst", config, row_units(2, cat=["4.1", None])))
    assert "near-heavy" in message and "'4.10'" in message


def test_a_whole_number_with_a_trailing_point_zero_is_that_category(tmp_path):
    config = {"claims": {"industry": {"value_per_ha": 1, "env_category": "5.0"}}, "env_zoning": ZONING,
              "rules": [{"name": "r", "attr": "cat", "op": "==", "value": "5.0"}]}
    inst = load_instance(write_instance(tmp_path / "inst", config, row_units(3, cat=["5.0", "4.1", None])))
    assert list(inst.units["cat"]) == ["5", "4.1", None]
    assert inst.config.env_zoning.distance_of("5.0") == 500


def test_4_1_and_4_10_are_two_categories_when_both_are_given(tmp_path):
    zoning = {**ZONING, "distance_m": {"4.1": 200, "4.10": 250}}
    config = {"claims": {"a": {"value_per_ha": 1, "env_category": "4.10"}, "b": {"value_per_ha": 1, "env_category": "4.1"}},
              "env_zoning": zoning}
    inst = load_instance(write_instance(tmp_path / "inst", config, row_units(2, cat=["4.10", "4.1"])))
    assert list(inst.units["cat"]) == ["4.10", "4.1"]
    assert inst.config.env_zoning.distance_of("4.10") == 250 and inst.config.env_zoning.distance_of("4.1") == 200


@settings(max_examples=200, deadline=None)
@given(whole=st.integers(0, 999), digits=st.from_regex(r"[0-9]{1,3}", fullmatch=True))
def test_only_a_whole_numbers_point_zero_is_dropped(whole, digits):
    assert same_category(f"{whole}.0", f"{whole}") and category_key(f"{whole}.0") == f"{whole}"
    decimal = f"{whole}.{digits}"
    if digits != "0":
        assert category_key(decimal) == decimal  # 4.10, 4.1, 5.00: each its own spelling
        assert not same_category(decimal + "0", decimal)
    assert same_category(decimal, decimal)


# --------------------------------------------------------------------------- solver names

def test_an_unknown_solver_is_one_line_without_a_traceback(tmp_path):
    pytest.importorskip("pyomo")
    folder = write_instance(tmp_path / "inst", BASE, row_units(2))
    res = cli("solve", folder, "--solver", "nosuchsolver", cwd=tmp_path)
    assert res.returncode == 1
    one_line_error(res, "nosuchsolver")
    assert "WARNING" not in res.stderr and "ValueError" not in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst"]


@pytest.mark.parametrize("name", ["/bin/sh", "../../bin/evil", "cbc --foo", ""])
def test_a_solver_name_that_is_a_path_is_an_input_error(tmp_path, name):
    folder = write_instance(tmp_path / "inst", {**BASE, "solver": {"name": name}}, row_units(2))
    message = error_of(folder)
    assert "solver.name" in message and "not a solver name" in message


def test_a_solver_option_that_is_a_path_is_refused_on_the_command_line(tmp_path):
    folder = write_instance(tmp_path / "inst", BASE, row_units(2))
    res = cli("solve", folder, "--solver", "/bin/sh", cwd=tmp_path)
    assert res.returncode == 1 and "not a solver name" in res.stderr and "Traceback" not in res.stderr


# --------------------------------------------------------------------------- paths leave the instance folder

def test_units_outside_the_folder_is_an_error_naming_key_and_path(tmp_path):
    folder = write_instance(tmp_path / "inst", {**BASE, "units": "../secret.csv"}, row_units(2))
    (tmp_path / "secret.csv").write_text((folder / "units.csv").read_text())
    message = error_of(folder)
    assert "units" in message and "'../secret.csv'" in message and "leaves the instance folder" in message
    res = cli("validate", folder, cwd=tmp_path)
    assert res.returncode == 1
    one_line_error(res, "../secret.csv")


def test_an_absolute_units_path_is_an_error(tmp_path):
    folder = write_instance(tmp_path / "inst", BASE, row_units(2))
    data = yaml.safe_load((folder / "instance.yaml").read_text())
    data["units"] = str(folder / "units.csv")  # even its own file: an absolute path does not travel with the folder
    (folder / "instance.yaml").write_text(yaml.safe_dump(data))
    message = error_of(folder)
    assert "units" in message and "absolute path" in message


@pytest.mark.parametrize("named", [True, False])
def test_a_symbolic_link_out_of_the_folder_is_an_error(tmp_path, named):
    folder = write_instance(tmp_path / "inst", {**BASE, **({"units": "units.csv"} if named else {})}, row_units(2))
    (folder / "units.csv").rename(tmp_path / "elsewhere.csv")
    os.symlink(tmp_path / "elsewhere.csv", folder / "units.csv")
    message = error_of(folder)
    assert "units" in message and "'units.csv'" in message and "resolves outside" in message


def test_a_symbolic_link_inside_the_folder_is_fine(tmp_path):
    folder = write_instance(tmp_path / "inst", {**BASE, "units": "units.csv"}, row_units(2))
    (folder / "data").mkdir()
    (folder / "units.csv").rename(folder / "data" / "units.csv")
    os.symlink(folder / "data" / "units.csv", folder / "units.csv")
    assert len(load_instance(folder).units) == 2


@pytest.mark.parametrize("name", ["../../outside", "/tmp/outside", ".hidden", "a\\b"])
def test_an_instance_name_cannot_move_its_results_folder(tmp_path, name):
    """The name names results/<name>/: a path there would write the run outside the results folder."""
    folder = write_instance(tmp_path / "inst", BASE, row_units(2))
    data = yaml.safe_load((folder / "instance.yaml").read_text())
    (folder / "instance.yaml").write_text(yaml.safe_dump({**data, "name": name}))
    message = error_of(folder)
    assert "name" in message and "cannot name a results folder" in message


def test_a_scenario_name_cannot_leave_the_scenarios_folder(tmp_path):
    folder = write_instance(tmp_path / "inst", BASE, row_units(2), scenarios={"ok": {}})
    (tmp_path / "secret.yaml").write_text("description: secret\n")
    message = error_of(folder, "../../secret")
    assert "--scenario" in message and "leaves the instance folder" in message


# --------------------------------------------------------------------------- text that looks like a formula

def test_text_starting_with_equals_stays_text_in_the_workbook(tmp_path):
    """A region code or a claim label that starts with '=' is written to summary.xlsx as text, never as a
    formula a spreadsheet would run."""
    pytest.importorskip("openpyxl")
    import zipfile

    from ruimtepuzzel.model.pipeline import solve_instance

    config = {"claims": {"housing": {"value_per_ha": 1, "label": '=HYPERLINK("http://example.invalid","x")'}},
              "demand": [{"level": "province", "region": "=1+1", "claim": "housing", "min_ha": 1}]}
    folder = write_instance(tmp_path / "inst", config, row_units(2, region="=1+1"))
    run = solve_instance(folder, out=tmp_path / "run", gap=0)
    with zipfile.ZipFile(run.out / "summary.xlsx") as book:
        sheets = [book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in sheet for sheet in sheets)
    import openpyxl

    values = {c.value for ws in openpyxl.load_workbook(run.out / "summary.xlsx") for row in ws.iter_rows() for c in row}
    assert "=1+1" in values
