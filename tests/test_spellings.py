"""Property: every value a spreadsheet or a YAML writer may produce is read as written, or
refused naming the file, the key or the column and line, and the value (docs/instances.md, *Reading values*).

The generators know the value they spell (leading zeros, octal-looking codes, yes/no/on/off,
decimal commas, thousands separators, byte-order marks, CRLF, trailing spaces…). A
spelling the contract reads must load with exactly that value; a spelling it does not read
must be refused, and the refusal must point at a cell or key that holds that spelling.
"""
from __future__ import annotations

import ast
import csv
import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs import cells
from ruimtepuzzel.model.inputs.instance import load_instance

SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 100)), deadline=None,
                    derandomize=not os.environ.get("FUZZ_RANDOM"),  # FUZZ_RANDOM=1: new examples each run
                    suppress_health_check=list(HealthCheck))
UNITS = "unit_id,area_ha,province,x,y\nu1,1,A,0,0\n"


def folder(tmp: Path, yaml_text: str, units: bytes = UNITS.encode()) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "instance.yaml").write_text(yaml_text, encoding="utf-8")
    (tmp / "units.csv").write_bytes(units)
    return tmp


def any_case(word: str):
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda ups: "".join(c.upper() if up else c.lower() for c, up in zip(word, ups)))


# --------------------------------------------------------------------------- codes in YAML

CODES = st.one_of(
    st.from_regex(r"0[0-9]{1,5}", fullmatch=True),  # leading zeros, octal-looking (0363, 0777)
    st.from_regex(r"[1-9][0-9]{0,3}(\.[0-9]{1,2}0?)?", fullmatch=True),  # numbers as codes (5.0, 4.10, 12)
    st.sampled_from(["007", "0o17", "0x1F", "1e3", "1_000", "12:30", "+1", "-0", ".5", "1.", "1,5", "1.250,00", "2024-01-01",
                     "PV28", "GM0363", "CR17", "Z1"]),
    st.sampled_from(["yes", "no", "on", "off", "y", "n", "true", "false", "ja", "nee", "null_island"]).flatmap(any_case)
        .filter(lambda w: w.lower() not in ("null",)),
)


@SETTINGS
@given(code=CODES, pad=st.sampled_from(["", " ", "  "]))
def test_codes_keep_their_spelling(tmp_path_factory, code, pad):
    """A unit id and a region code in YAML (unquoted, as typed) and in the CSV are the same string."""
    units = io.StringIO()
    writer = csv.writer(units, lineterminator="\n")
    writer.writerows([["unit_id", "area_ha", "province", "x", "y"], [code + pad, "1", pad + code, "0", "0"], ["zz", "1", "B", "100", "0"]])
    yaml_text = (f"name: codes\nregions: [province]\nclaims:\n  housing: {{value_per_ha: 1}}\n"
                 f"locked:\n  - unit_id: {code}{pad}\n    claim: housing\n"
                 f"demand:\n  - level: province\n    region: {code}{pad}\n    claim: housing\n    min_ha: 1\n")
    inst = load_instance(folder(tmp_path_factory.mktemp("c"), yaml_text, units.getvalue().encode()))
    assert inst.config.locked[0].unit_id == code
    assert inst.config.demand[0].region == code
    assert inst.units["unit_id"].tolist() == [code, "zz"] and inst.units["province"].tolist() == [code, "B"]


# --------------------------------------------------------------------------- numbers in YAML

@st.composite
def yaml_numbers(draw):
    """(spelling, the value it means or None when the contract refuses it)."""
    value = draw(st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):.2f}".partition(".")
    frac = frac.rstrip("0")
    style = draw(st.sampled_from(["plain", "zeros", "exponent", "underscore", "trailing point", "decimal comma", "dutch",
                                  "english", "special"]))
    if style == "plain":
        return f"{sign}{whole}" + (f".{frac}" if frac else ""), value
    if style == "zeros":  # 007.5 is 7.5: never octal
        return f"{sign}00{whole}" + (f".{frac}" if frac else ""), value
    if style == "exponent":
        spelling = f"{value:.3e}"
        return spelling, Decimal(spelling)
    if style == "underscore":
        return sign + f"{int(whole):_}" + (f".{frac}" if frac else ""), value
    if style == "trailing point":
        return f"{sign}{whole}.", Decimal(f"{sign}{whole}")
    if style == "decimal comma":
        assume(frac)
        return f"{sign}{whole},{frac}", None
    if style == "dutch":  # 1.250,5 is refused; 1.250 alone is the decimal 1.25 as YAML writes it
        assume(int(whole) >= 1000)
        spelling = sign + f"{int(whole):,}".replace(",", ".") + (f",{frac}" if frac else "")
        return spelling, Decimal(spelling) if re.fullmatch(r"-?\d+\.\d+", spelling) else None
    if style == "english":
        assume(int(whole) >= 1000)
        return sign + f"{int(whole):,}" + (f".{frac}" if frac else ""), None
    return draw(st.sampled_from([".nan", ".NaN", ".NAN", ".inf", "-.inf", "+.Inf", "nan", "inf", "-Infinity", "1e999", "0x1F",
                                 "0o17", "0b101", "1:30", "ten", "n.v.t.", "1 000", "€ 5"])), None


def _named(message: str, key: str, spelling: str) -> bool:
    return key in message and spelling.strip() in message


@SETTINGS
@given(case=yaml_numbers())
def test_numbers_in_yaml_are_read_as_written_or_refused_by_key(tmp_path_factory, case):
    spelling, value = case
    yaml_text = f"name: n\nregions: [province]\nclaims:\n  housing:\n    value_per_ha: {spelling}\n"
    try:
        inst = load_instance(folder(tmp_path_factory.mktemp("n"), yaml_text))
    except InputError as exc:
        assert value is None, f"{spelling!r} means {value} but was refused: {exc}"
        assert _named(str(exc), "claims.housing.value_per_ha", spelling), str(exc)
        return
    assert value is not None, f"{spelling!r} should be refused, was read as {inst.config.claims['housing'].value_per_ha}"
    assert inst.config.claims["housing"].value_per_ha == pytest.approx(float(value), rel=1e-12, abs=1e-12)


# --------------------------------------------------------------------------- booleans in YAML

YAML_TRUE, YAML_FALSE = ("true", "yes", "ja", "on", "1"), ("false", "no", "nee", "off", "0")


@SETTINGS
@given(word=st.sampled_from(YAML_TRUE + YAML_FALSE + ("y", "n", "j", "waar", "onwaar", "t", "f", "2", "-1", "enabled", "0.0",
                                                    "1.0", "yes please")).flatmap(any_case))
def test_booleans_in_yaml_are_read_as_written_or_refused_by_key(tmp_path_factory, word):
    yaml_text = f"name: b\nregions: [province]\nclaims:\n  housing:\n    sensitive: {word}\n"
    try:
        inst = load_instance(folder(tmp_path_factory.mktemp("b"), yaml_text))
    except InputError as exc:
        assert word.lower() not in YAML_TRUE + YAML_FALSE, f"{word!r} was refused: {exc}"
        assert _named(str(exc), "claims.housing.sensitive", word), str(exc)
        return
    assert word.lower() in YAML_TRUE + YAML_FALSE, f"{word!r} should be refused"
    assert inst.config.claims["housing"].sensitive is (word.lower() in YAML_TRUE)


# --------------------------------------------------------------------------- a units CSV from a spreadsheet

CSV_TRUE, CSV_FALSE = ("true", "1", "yes", "ja", "j", "waar"), ("false", "0", "no", "nee", "n", "onwaar")
BAD_NUMBERS = ("n.v.t.", "#N/A", "1.2.3", "inf", "-", "12 50", "?", "€ 5", "5%")
BAD_FLAGS = ("misschien", "x", "NA", "2", "on")
NAMES = ("Café", "Ëindhoven", "Sint-Oedenrode ï", "Zuidoost-Brabant")


def spell(value: Decimal, decimal: str, group: str, decimals: int) -> str:
    """``value`` with ``decimals`` decimals, its thousands grouped by ``group`` ("" for none)."""
    text = f"{abs(value):.{decimals}f}"
    whole, _, frac = text.partition(".")
    if group:
        whole = f"{int(whole):,}".replace(",", group)
    return ("-" if value < 0 else "") + whole + (decimal + frac if frac else "")


@st.composite
def spreadsheets(draw):
    n = draw(st.integers(1, 6))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    decimal = draw(st.sampled_from([".", ","]))
    group = draw(st.sampled_from(["", "", " ", "\u00a0", "." if decimal == "," else ","]))  # as a spreadsheet groups thousands
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    pad = draw(st.sampled_from(["", " "]))  # trailing spaces after every cell
    width = draw(st.integers(2, 5))
    ids = [f"{i:0{width}d}" for i in draw(st.lists(st.integers(0, 10 ** width - 1), min_size=n, max_size=n, unique=True))]
    regions = [draw(st.sampled_from(["0363", "0344", "PV28", "0014"])) for _ in range(n)]
    areas = [draw(st.decimals(min_value=Decimal("1"), max_value=Decimal("99999.99"), places=2)) for _ in range(n)]
    decimals = [draw(st.integers(0, 2)) for _ in range(n)]
    shares = [draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("0.99"), places=2)) for _ in range(n)]
    scores = [draw(st.one_of(st.none(), st.decimals(min_value=-5000, max_value=5000, places=1))) for _ in range(n)]
    missing = [draw(st.sampled_from(["", "NA", "NaN", "nan", "na"])) for _ in range(n)]
    flags = [draw(st.one_of(st.none(), st.sampled_from(CSV_TRUE + CSV_FALSE).flatmap(any_case))) for _ in range(n)]
    names = [draw(st.sampled_from(NAMES)) for _ in range(n)]
    bad = draw(st.one_of(st.none(), st.tuples(st.sampled_from(["area_ha", "score", "flag"]), st.integers(0, n - 1))))
    header = ["unit_id", "area_ha", "province", "x", "y", "share", "score", "flag", "naam"]
    rows, expected = [], []
    for i in range(n):
        area = spell(areas[i], decimal, group, decimals[i])
        score = missing[i] if scores[i] is None else spell(scores[i], decimal, group, 1)
        cells = [ids[i], area, regions[i], str(100 * i), "0", spell(shares[i], decimal, "", 2), score, flags[i] or "", names[i]]
        want = {"area_ha": float(round(areas[i], decimals[i])), "score": None if scores[i] is None else float(scores[i]),
                "flag": None if flags[i] is None else flags[i].lower() in CSV_TRUE}
        if bad and bad[1] == i:
            cells[header.index(bad[0])] = draw(st.sampled_from(BAD_FLAGS if bad[0] == "flag" else BAD_NUMBERS))
        rows.append([c + pad for c in cells])
        expected.append(want)
    text = io.StringIO()
    csv.writer(text, delimiter=sep, lineterminator=newline).writerows([[h + pad for h in header]] + rows)
    data = text.getvalue().encode(encoding)
    # a point-decimal file with comma-grouped thousands (1,250.5) is no spelling the contract reads
    unreadable = bad is not None or (group == "," and any("," in r[1] or "," in r[6] for r in rows))
    return {"bytes": data, "rows": rows, "header": [h + pad for h in header], "ids": ids, "regions": regions,
            "names": names, "expected": expected, "sep": sep, "decimal": decimal, "encoding": encoding, "newline": newline,
            "must_read": not unreadable}


NAMED_CELL = re.compile(r"column '([^']+)' line (\d+)(?: \(unit_id '[^']*'\))?(?::| has) ('(?:[^'\\]|\\.)*'|\"[^\"]*\")")


@pytest.mark.parametrize("arrow", [True, False], ids=["pyarrow", "plain Python"])
@SETTINGS
@given(sheet=spreadsheets())
def test_spreadsheet_cells_are_read_as_written_or_refused_by_cell(tmp_path_factory, monkeypatch, arrow, sheet):
    monkeypatch.setattr(cells, "ARROW", arrow)
    yaml_text = ("name: sheet\nregions: [province]\nclaims:\n  housing: {value_per_ha: 1, suitability_attr: score}\n"
                 "rules:\n  - {name: flagged, attr: flag, op: '==', value: ja}\n")
    inst_folder = folder(tmp_path_factory.mktemp("s"), yaml_text, sheet["bytes"])
    try:
        inst = load_instance(inst_folder)
    except InputError as exc:
        message = str(exc)
        assert not sheet["must_read"], f"a readable sheet was refused: {message}"
        assert "units.csv" in message, message
        named = NAMED_CELL.search(message)
        assert named, f"the refusal names no column, line and value: {message}"
        column, line, shown = named.group(1), int(named.group(2)), ast.literal_eval(named.group(3))
        row = line - 2
        assert 0 <= row < len(sheet["rows"]), message
        cell = sheet["rows"][row][[h.strip() for h in sheet["header"]].index(column)]
        assert cell.strip() == shown, f"the refusal names {shown!r}, but line {line} column {column!r} holds {cell!r}"
        return
    assert sheet["must_read"], "a sheet with an unreadable cell was read"
    units = inst.units
    assert units["unit_id"].tolist() == sheet["ids"] and units["province"].tolist() == sheet["regions"]
    assert units["naam"].tolist() == sheet["names"]
    for i, want in enumerate(sheet["expected"]):
        assert units["area_ha"].iloc[i] == pytest.approx(want["area_ha"]), (i, sheet["rows"][i])
        got = units["score"].iloc[i]
        assert (pd.isna(got) and want["score"] is None) or got == pytest.approx(want["score"]), (i, sheet["rows"][i])
        flag = units["flag"].iloc[i]
        assert (flag is None and want["flag"] is None) or flag == want["flag"], (i, sheet["rows"][i])
    dialect = inst.dialect
    assert dialect.separator == sheet["sep"] and dialect.decimal_mark == sheet["decimal"]
    ascii_only = all(name.isascii() for name in sheet["names"])  # then Windows-1252 and UTF-8 are the same bytes
    assert dialect.encoding == ("Windows-1252" if sheet["encoding"] == "cp1252" and not ascii_only else "UTF-8")
    assert dialect.byte_order_mark == (sheet["encoding"] == "utf-8-sig")
    assert dialect.line_ending == ("CRLF" if sheet["newline"] == "\r\n" else "LF")
