"""summary.xlsx: the run's tables as policy staff expect a workbook (openpyxl).

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


def _as_text(ws, row: int, values: list) -> None:
    """Text that starts with '=' (an id, a code or a label from the instance) stays text: openpyxl would
    write it as a formula, which a spreadsheet then runs when the workbook is opened."""
    for j, v in enumerate(values, start=1):
        if isinstance(v, str) and v.startswith("="):
            ws.cell(row=row, column=j).data_type = "s"


def _fit_widths(ws, frame_rows: list[list], headers: list[str]) -> None:
    from openpyxl.utils import get_column_letter

    for j, header in enumerate(headers, start=1):
        longest = max([len(header)] + [len(f"{v:,.1f}" if isinstance(v, float) else str(v)) for v in
                                       (row[j - 1] for row in frame_rows[:500]) if v is not None])
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, longest + 2))


def _table_sheet(book, name: str, frame: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = book.create_sheet(name[:31])
    columns = _ordered(frame)
    specs = [COLUMNS.get(c, Column(c)) for c in columns]
    headers = [s.header for s in specs]
    ws.append(headers)
    measure = frame["measure"].fillna("ha").to_numpy() if "measure" in frame.columns else None
    rows = []
    for i, rec in enumerate(frame[columns].itertuples(index=False)):
        row = [_value(v) for v in rec]
        row = [v * s.scale if isinstance(v, float) and s.scale != 1.0 else v for v, s in zip(row, specs)]
        rows.append(row)
        ws.append(row)
        _as_text(ws, ws.max_row, row)
        for j, s in enumerate(specs, start=1):
            number_format = s.number_format
            if number_format == MEASURED:
                number_format = HA if measure is None or measure[i] == "ha" else WHOLE
            if number_format:
                ws.cell(row=i + 2, column=j).number_format = number_format
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F0F4F6")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    if len(columns):
        from openpyxl.utils import get_column_letter

        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(rows) + 1)}"
    _fit_widths(ws, rows, headers)


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


def _run_sheet(book, manifest: dict) -> None:
    from openpyxl.styles import Font

    ws = book.active
    ws.title = "run"
    ws.append(["Run", "Value"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for label, value, number_format in run_rows(manifest):
        ws.append([label, _value(value)])
        _as_text(ws, ws.max_row, [label, _value(value)])
        if number_format and value is not None:
            ws.cell(row=ws.max_row, column=2).number_format = number_format
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 70


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path, manifest: dict) -> None:
    """``sheets``: sheet name → table (with name columns); ``manifest``: the run's manifest for the run sheet."""
    from openpyxl import Workbook

    book = Workbook()
    _run_sheet(book, manifest)
    for name, frame in sheets.items():
        _table_sheet(book, name, frame)
    book.save(path)
