"""summary.xlsx: whole numeric columns are converted at once, with the same values as converting cell by cell,
and every text (codes, labels, names) is written as text, never as a formula or a link."""
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
        "measure": ["ha", "dwellings", None] + ["ha"] * (n - 3),
        "demand_min": [1.5, 2000.0, np.nan, np.inf, -np.inf, 0.0, 3.25, 7.0, 1e9, 2.0, 3.0],
        "pct_met": [100.0, 50.0, np.nan, 0.0, 12.5, 99.9, 1.0, 2.0, 3.0, 4.0, 5.0],
        "binding": [True, False] * (n // 2) + [True] * (n % 2),
        "objective": list(range(n)),
        "extra": [1, "x", None, 2.5, "=2", "", True, np.int64(4), np.float64(5.5), "y:z", 0],
        "allocated_ha": np.array([1.25, np.nan, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], dtype=np.float32),
        "compensation_ha": np.arange(n, dtype=np.int32),
    })


@pytest.mark.parametrize("column", list(_frame().columns))
def test_columns_convert_as_cells_do(column):
    frame = _frame()
    spec = wb.COLUMNS.get(column, wb.Column(column))
    expected = [wb._value(v) for v in frame[column].tolist()]
    expected = [v * spec.scale if isinstance(v, float) and spec.scale != 1.0 else v for v in expected]
    got = wb._cells(frame, column, spec)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert (g is None and e is None) or g == pytest.approx(e) if isinstance(e, float) else g == e


def test_no_text_becomes_a_formula_or_a_link(tmp_path):
    wb.write_workbook({"summary": _frame()}, tmp_path / "s.xlsx", {"instance": "demo", "status": "optimal"})
    with zipfile.ZipFile(tmp_path / "s.xlsx") as z:
        sheets = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        names = z.namelist()
    assert b"<f>" not in sheets and b"<f " not in sheets  # no formula cell
    assert not any("hyperlink" in n or n.endswith(".rels") and "worksheets" in n for n in names)
    book = pd.read_excel(tmp_path / "s.xlsx", sheet_name="summary", dtype=str, keep_default_na=False)
    assert set(TRICKY) - {"", " "} <= set(book["Region"])
