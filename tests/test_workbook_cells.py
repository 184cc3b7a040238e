"""summary.xlsx: the fast paths (whole numeric columns converted at once, plain strings through write_string)
write the same sheets as converting and writing cell by cell.

The reference here converts every cell with ``_value`` and writes it with ``write()`` /
``write_number()``, as the workbook did before; the sheets' XML must be byte for byte the same,
strings that XlsxWriter reads as formulas or links, blanks, booleans, NaN, ±inf, scaled
percentages, 32-bit floats and integers included.
"""
from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

xlsxwriter = pytest.importorskip("xlsxwriter")

from ruimtepuzzel.model.outputs import workbook as wb  # noqa: E402

TRICKY = ["plain", "", "=1+1", "{=SUM(A1:A2)}", "http://example.org", "a:b", "mailto:x@y.z", "∞", "Zuid-Holland", "=", " "]


def _frame() -> pd.DataFrame:
    n = len(TRICKY)
    return pd.DataFrame({
        "level": ["province"] * n,
        "region": [f"P{i:02d}" for i in range(n)],
        "region_name": TRICKY,
        "claim": ["housing", "energy"] * (n // 2) + ["housing"] * (n % 2),
        "measure": ["ha", "dwellings", None] + ["ha"] * (n - 3),
        "demand_min": [1.5, 2000.0, np.nan, np.inf, -np.inf, 0.0, 3.25, 7.0, 1e9, 2.0, 3.0],
        "pct_met": [100.0, 50.0, np.nan, 0.0, 12.5, 99.9, 1.0, 2.0, 3.0, 4.0, 5.0],
        "binding": [True, False] * (n // 2) + [True] * (n % 2),
        "key": TRICKY[::-1],
        "objective": list(range(n)),
        "extra": [1, "x", None, 2.5, "=2", "", True, np.int64(4), np.float64(5.5), "y:z", 0],
        "allocated_ha": np.array([1.25, np.nan, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], dtype=np.float32),
        "compensation_ha": np.arange(n, dtype=np.int32),
    })


def _reference_sheet(book, formats, name, frame) -> None:
    """The table sheet as written before: every cell converted one by one, written through write(), numbers with a
    format through write_number()."""
    ws = book.add_worksheet(name[:31])
    columns = wb._ordered(frame)
    specs = [wb.COLUMNS.get(c, wb.Column(c)) for c in columns]
    ws.write_row(0, 0, [s.header for s in specs], formats["header"])
    hectares = frame["measure"].fillna("ha").to_numpy() == "ha" if "measure" in frame.columns else np.ones(len(frame), bool)
    for j, (column, spec) in enumerate(zip(columns, specs)):
        values = [wb._value(v) for v in frame[column].tolist()]
        if spec.scale != 1.0:
            values = [v * spec.scale if isinstance(v, float) else v for v in values]
        for i, v in enumerate(values, start=1):
            number_format = spec.number_format
            if number_format == wb.MEASURED:
                number_format = wb.HA if hectares[i - 1] else wb.WHOLE
            if v is None:
                continue
            if number_format and isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(i, j, v, formats[number_format])
            else:
                ws.write(i, j, v)
        ws.set_column(j, j, wb._width(spec.header, values))
    ws.freeze_panes(1, 0)
    if len(columns):
        ws.autofilter(0, 0, max(0, len(frame)), len(columns) - 1)


def _members(path) -> dict:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core.xml holds the time of writing


def test_table_sheets_match_write(tmp_path, monkeypatch):
    sheets = {"summary": _frame(), "duals": _frame().iloc[::-1].reset_index(drop=True)}
    manifest = {"instance": "demo", "status": "optimal", "objective": 1.0}
    wb.write_workbook(sheets, tmp_path / "fast.xlsx", manifest)
    monkeypatch.setattr(wb, "_table_sheet", _reference_sheet)
    wb.write_workbook(sheets, tmp_path / "reference.xlsx", manifest)
    fast, reference = _members(tmp_path / "fast.xlsx"), _members(tmp_path / "reference.xlsx")
    assert fast.keys() == reference.keys()
    assert [n for n in fast if fast[n] != reference[n]] == []
    # and the tricky strings really took XlsxWriter's special paths: a formula and a link exist in the sheet
    sheet = fast["xl/worksheets/sheet2.xml"].decode()
    assert "<f>1+1</f>" in sheet
    assert "hyperlink" in sheet
