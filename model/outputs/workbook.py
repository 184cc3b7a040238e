"""summary.xlsx: the run's tables as policy staff expect a workbook (XlsxWriter).

A ``run`` sheet first (instance, scenario, status, objective, bound, gap, date and versions),
then one sheet per table. Every table sheet has a frozen header row, an autofilter, names
beside the codes, units in the headers, number formats (thousands separators, one decimal for
hectares, whole numbers for dwellings and other measures, percentages) and column widths that
fit. The CSV files keep the machine-readable columns; this is the same data for people.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

HA = "#,##0.0"
WHOLE = "#,##0"
PCT = "0.0%"
PCT_GAP = "0.00%"
PRICE = "#,##0.00"
EUR = "€ #,##0"
MEASURED = "measure"  # the format follows the row's measure: hectares with one decimal, other measures whole


@dataclass(frozen=True)
class Column:
    header: str
    number_format: Optional[str] = None
    scale: float = 1.0  # pct_met is 0–100 in the CSV, a fraction in the workbook (so Excel shows it as %)


COLUMNS = {
    "period": Column("Period"),
    "level": Column("Level"),
    "region": Column("Region code"),
    "region_name": Column("Region"),
    "zone": Column("Zone"),
    "claim": Column("Claim code"),
    "claim_name": Column("Claim"),
    "rule": Column("Rule"),
    "rule_name": Column("Rule description"),
    "layer": Column("Layer"),
    "measure": Column("Measure"),
    "demand_min": Column("Floor (measure)", MEASURED),
    "demand_max": Column("Ceiling (measure)", MEASURED),
    "allocated": Column("Allocated (measure)", MEASURED),
    "shortfall": Column("Shortfall (measure)", MEASURED),
    "pct_met": Column("Met (% of floor)", PCT, 0.01),
    "allocated_ha": Column("Allocated (ha)", HA),
    "shortfall_ha": Column("Shortfall (ha)", HA),
    "excluded_ha": Column("Excluded (ha)", HA),
    "excluded_only_ha": Column("Excluded by this rule alone (ha)", HA),
    "family": Column("Constraint family"),
    "key": Column("Row"),
    "shadow_price": Column("Shadow price (objective units per unit of the row)", PRICE),
    "unit": Column("Shadow price unit"),
    "activity": Column("Activity", PRICE),
    "rhs": Column("Bound of the row", PRICE),
    "binding": Column("Binding"),
    "status": Column("Status"),
    "objective": Column("Objective", WHOLE),
    "objective_change": Column("Objective change", WHOLE),
    "shortfall_change_ha": Column("Shortfall change (ha)", HA),
    "gap": Column("Gap", PCT_GAP),
    "business_park_transformed_ha": Column("Business park transformed (ha)", HA),
    "compensation_ha": Column("Compensation (ha)", HA),
    "current_use": Column("Current use"),
    "transformed_ha": Column("Transformed (ha)", HA),
}
# the order people read a summary in: where, what, in which measure, then the figures
ORDER = ["period", "level", "region", "region_name", "zone", "rule", "rule_name", "layer", "current_use", "claim", "claim_name", "family", "key", "measure",
         "demand_min", "demand_max", "allocated", "shortfall", "pct_met", "allocated_ha", "shortfall_ha"]


def _ordered(frame: pd.DataFrame) -> list[str]:
    first = [c for c in ORDER if c in frame.columns]
    return first + [c for c in frame.columns if c not in first]


def _value(v):
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, float) and np.isinf(v):
        return "∞" if v > 0 else "−∞"
    return v


def _width(header: str, values: list) -> float:
    longest = max([len(header)] + [len(f"{v:,.1f}" if isinstance(v, float) else str(v)) for v in values[:500] if v is not None])
    return min(60, max(8, longest + 2))


def _write(ws, row: int, col: int, value, number_format=None) -> None:
    """One cell. Text is always written as text: a code or label starting with '=' must not become a formula
    that a spreadsheet runs when the workbook is opened."""
    if isinstance(value, str):
        ws.write_string(row, col, value)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, number_format)
    else:
        ws.write(row, col, str(value))


def _cells(frame: pd.DataFrame, column: str, spec: Column) -> list:
    series = frame[column]
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else "O"  # pandas' nullable dtypes: cell by cell
    if kind in "iub":  # Python ints and bools, never scaled (as _value leaves them)
        return series.tolist()
    if kind == "f":  # the same as _value per cell, at once: NaN → None, ±inf → "∞" / "−∞", the rest scaled
        numbers = series.to_numpy(dtype=float)
        values = (numbers * spec.scale if spec.scale != 1.0 else numbers).tolist()
        for i in np.flatnonzero(~np.isfinite(numbers)).tolist():
            values[i] = None if np.isnan(numbers[i]) else ("∞" if numbers[i] > 0 else "−∞")
        return values
    values = [_value(v) for v in series.tolist()]
    if spec.scale != 1.0:
        values = [v * spec.scale if isinstance(v, float) else v for v in values]
    return values


def _table_sheet(book, formats: dict, name: str, frame: pd.DataFrame) -> None:
    ws = book.add_worksheet(name[:31])
    columns = _ordered(frame)
    specs = [COLUMNS.get(c, Column(c)) for c in columns]
    headers = [s.header for s in specs]
    ws.write_row(0, 0, headers, formats["header"])
    hectares = frame["measure"].fillna("ha").to_numpy() == "ha" if "measure" in frame.columns else np.ones(len(frame), bool)
    for j, (column, spec) in enumerate(zip(columns, specs)):
        values = _cells(frame, column, spec)
        for i, v in enumerate(values, start=1):
            number_format = spec.number_format
            if number_format == MEASURED:
                number_format = HA if hectares[i - 1] else WHOLE
            if v is None:
                continue
            _write(ws, i, j, v, formats.get(number_format))
        ws.set_column(j, j, _width(spec.header, values))
    ws.freeze_panes(1, 0)
    if len(columns):
        ws.autofilter(0, 0, max(0, len(frame)), len(columns) - 1)


def run_rows(manifest: dict) -> list[tuple[str, object, Optional[str]]]:
    """(label, value, number format) for the run sheet, from the manifest."""
    params = manifest.get("parameters", {})
    solver = params.get("solver", {})
    versions = manifest.get("versions", {})
    times = manifest.get("times_s", {})
    size = manifest.get("size", {})
    rows = [
        ("Instance", manifest.get("instance"), None),
        ("Scenario", manifest.get("scenario") or "(none: instance.yaml as is)", None),
        ("Status", manifest.get("status"), None),
        ("Objective sense", params.get("objective", {}).get("sense"), None),
        ("Objective", manifest.get("objective"), WHOLE),
        ("Bound", manifest.get("bound"), WHOLE),
        ("Gap", manifest.get("gap"), PCT_GAP),
        ("Gap asked for", solver.get("mip_rel_gap"), PCT_GAP),
        ("Date (UTC)", manifest.get("created"), None),
        ("Solver", f"{solver.get('name')} {manifest.get('solver', {}).get('version') or ''}".strip(), None),
        ("Time limit (s)", solver.get("time_limit_s"), WHOLE),
        ("Solve time (s)", times.get("solve"), "0.0"),
        ("Units", size.get("units"), WHOLE),
        ("Allowed pairs", size.get("pairs"), WHOLE),
        ("Instance hash (SHA-256)", manifest.get("instance_hash"), None),
        ("Instance folder", manifest.get("instance_folder"), None),
    ]
    rows += [(f"Version of {pkg}", v, None) for pkg, v in versions.items()]
    return rows


def _run_sheet(book, formats: dict, manifest: dict) -> None:
    ws = book.add_worksheet("run")
    ws.write_row(0, 0, ["Run", "Value"], formats["bold"])
    for i, (label, value, number_format) in enumerate(run_rows(manifest), start=1):
        ws.write(i, 0, label)
        value = _value(value)
        if value is None:
            continue
        _write(ws, i, 1, value, formats.get(number_format))
    ws.freeze_panes(1, 0)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 70)


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path, manifest: dict) -> None:
    """``sheets``: sheet name → table (with name columns); ``manifest``: the run's manifest for the run sheet.

    Written with XlsxWriter (measured: five times faster than openpyxl on the national summary's 146,000 cells).
    """
    import xlsxwriter

    with xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": False}) as book:
        formats = {f: book.add_format({"num_format": f}) for f in (HA, WHOLE, PCT, PCT_GAP, PRICE, EUR, "0.0")}
        formats["header"] = book.add_format({"bold": True, "bg_color": "#F0F4F6", "text_wrap": True, "valign": "top"})
        formats["bold"] = book.add_format({"bold": True})
        _run_sheet(book, formats, manifest)
        for name, frame in sheets.items():
            _table_sheet(book, formats, name, frame)
