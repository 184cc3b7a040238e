"""The units table: ``units.gpkg`` (layer ``units``) or ``units.csv`` with x, y (and cell_m) columns.

Every column gets one type, and every cell is read in it or refused by name:

* **text** — ``unit_id``, the region levels, ``current_use``, the zone and existing
  category columns: the spelling, stripped (``0363`` stays "0363"); empty is missing;
* **number** — ``area_ha``, x, y, ``cell_m`` and every column the instance uses as a
  number (suitability, cost, a demand's measure, a rule with ``<``/``>``): a number in
  the file's decimal mark, its thousands grouped by spaces or (in a decimal-comma file)
  points; ``NA``, ``NaN`` and an empty cell are missing; anything else
  (``n.v.t.``, ``1.250,00`` in a decimal-point file, ``inf``) is an input error naming
  the file, the column, the line and the value;
* **boolean** — ``protected`` and every column a rule compares with true/false:
  true/false, 1/0, yes/no, ja/nee, j/n, waar/onwaar in any case, empty for missing;
  anything else is an input error naming the line and the value.

A column the instance does not type is a number when every cell is one, a boolean when
every cell is a boolean word, else text. CSV files are read by :mod:`.table`, which
finds the encoding, separator and decimal mark (Dutch Excel's ``;`` and decimal comma
included) and records them in :class:`.table.Dialect`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import re
import unicodedata

import numpy as np
import pandas as pd
import shapely

from ruimtepuzzel.model.errors import InputError, quoted
from ruimtepuzzel.model.inputs import cells as cl
from ruimtepuzzel.model.inputs.paths import inside
from ruimtepuzzel.model.inputs.schema import InstanceConfig
from ruimtepuzzel.model.inputs.table import COMMA_NUMBER, POINT_NUMBER, SPACES, Cells, Dialect, decimal_mark, read_cells
from ruimtepuzzel.model.inputs.values import CSV_FALSE, CSV_TRUE, spelled, spells_boolean_word
from ruimtepuzzel.model.optional import require_installed

NUMBER, BOOLEAN, TEXT = "number", "boolean", "text"
BOOLEAN_SPELLINGS = "true/false, 1/0, yes/no, ja/nee, j/n or waar/onwaar (any case), or empty for missing"


def column_kinds(config: InstanceConfig) -> dict[str, tuple[str, str]]:
    """The type each column must have, by what the instance does with it: {column: (kind, why)}."""
    kinds: dict[str, tuple[str, str]] = {}

    def want(col: Optional[str], kind: str, why: str) -> None:
        if col and col not in kinds:  # the first reason wins: text, then number, then boolean
            kinds[col] = (kind, why)

    want("unit_id", TEXT, "unit ids")
    for level in config.regions:
        want(level, TEXT, f"region codes of level {level!r}")
    want("current_use", TEXT, "current uses")
    if config.env_zoning and config.env_zoning.existing_category_attr:
        want(config.env_zoning.existing_category_attr, TEXT, "existing environmental categories")
    for name, res in config.resources.items():
        if res.zone_attr is not None:
            want(res.zone_attr, TEXT, f"zones of resources.{name}")
    for col in ("area_ha", "x", "y", "cell_m"):
        want(col, NUMBER, col)
    for k, c in config.claims.items():
        want(c.suitability_attr, NUMBER, f"suitability of claim {k!r}")
        want(c.cost_attr, NUMBER, f"cost of claim {k!r}")
    if config.budget:
        want(config.budget.cost_attr, NUMBER, "budget.cost_attr")
    for i, d in enumerate(config.demand):
        want(d.measure, NUMBER, f"measure of demand[{i}]")
    for r in config.rules:
        if r.op in (">", ">=", "<", "<="):
            want(r.attr, NUMBER, f"rule {r.name!r} compares it with {r.op!r}")
    want("protected", BOOLEAN, "protected status")
    for r in config.rules:
        if spells_boolean_word(r.value):
            want(r.attr, BOOLEAN, f"rule {r.name!r} compares it with {spelled(r.value)}")
    return kinds


def referenced_code_columns(config: InstanceConfig) -> set[str]:
    """The columns read as codes: compared by spelling, never as numbers."""
    return {c for c, (kind, _) in column_kinds(config).items() if kind == TEXT}


# --------------------------------------------------------------------------- cells to values

def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _missing_words(text) -> np.ndarray:
    """NA and NaN in any case: missing in a numeric column (as an empty cell is)."""
    return cl.matches(text, r"^(?i:na|nan)$")


def _numbers(text, decimal: str):
    """(floats with NaN for missing, None) or (None, the first row that is not a finite number).

    ``text``: clean cells. NA and NaN (any case) and an empty cell are missing.
    """
    if decimal == ".":  # the common case, fast: every cell a plain number
        try:
            values = cl.to_float(text)
        except ValueError:
            values = None
        if values is not None and not np.isinf(values).any():
            odd = np.isnan(values) & ~cl.is_null(text)  # "nan" casts to NaN: only NA/NaN spellings may
            if not odd.any() or not (odd & ~_missing_words(text)).any():
                return values, None
    present = cl.nulled(text, _missing_words(text))
    ok = cl.matches(present, POINT_NUMBER if decimal == "." else COMMA_NUMBER) | cl.is_null(present)
    if not ok.all():
        return None, _first(~ok)
    present = cl.replace(present, f"[{SPACES}]", "")  # thousands grouped by spaces
    if decimal == ",":
        present = cl.replace(cl.replace(present, r"\.", ""), ",", ".")
    values = cl.to_float(present)
    if np.isinf(values).any():
        return None, _first(np.isinf(values))
    return values, None


def _flags(text):
    """(booleans as an object array with None for missing, None) or (None, the first row that is no boolean)."""
    lowered = cl.lower(text)
    words = cl.words(lowered)
    unknown = words - (CSV_TRUE | CSV_FALSE)
    if unknown:
        bad = np.zeros(cl.size(text), dtype=bool)
        for word in unknown:
            bad |= cl.equal(lowered, word)
        return None, _first(bad)
    true = np.zeros(cl.size(text), dtype=bool)
    for word in words & CSV_TRUE:
        true |= cl.equal(lowered, word)
    out = true.astype(object)
    out[cl.is_null(lowered)] = None
    return out, None


def _is_flag_column(text) -> bool:
    """Every present cell a boolean word, and at least one not 0/1 (a column of 0/1 alone is numbers)."""
    words = cl.words(cl.lower(text))
    return bool(words) and words <= (CSV_TRUE | CSV_FALSE) and not words <= {"0", "1"}


def _spells(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.ASCII) is not None


def _cell_error(path: Path, dialect: Dialect, col: str, row: int, cell: str, kind: str, why: str, ids=None) -> InputError:
    unit = f" (unit_id {quoted(ids[row])})" if ids is not None and col != "unit_id" else ""
    where = f"{path}: column {quoted(col)} {dialect.where(row)}{unit}: {quoted(cell)}"
    if kind == BOOLEAN:
        return InputError(f"{where} is not a boolean ({why}); write {BOOLEAN_SPELLINGS}")
    text = cell.strip()
    if text.lower().lstrip("+-") in ("inf", "infinity"):
        return InputError(f"{where} is not a finite number ({why})")
    hint = ""
    if dialect.decimal_mark == "." and _spells(COMMA_NUMBER, text):
        hint = "; this file uses a decimal point"
    elif dialect.decimal_mark == "," and _spells(POINT_NUMBER, text):
        hint = "; this file uses a decimal comma (and a point only between thousands)"
    return InputError(f"{where} is not a number ({why}{hint}; NA, NaN or an empty cell means missing)")


def type_column(path: Path, dialect: Dialect, col: str, cells, kind: Optional[str], why: str = "", ids=None) -> tuple[np.ndarray, str]:
    """One column of text cells as (values, kind); ``kind`` None: by its cells. ``ids``: unit ids to name in errors."""
    text = cl.clean(cells)
    if kind == TEXT:
        return cl.objects(text), TEXT
    if kind == NUMBER:
        values, bad = _numbers(text, dialect.decimal_mark)
        if bad is not None:
            raise _cell_error(path, dialect, col, bad, cl.cell(text, bad), NUMBER, why, ids)
        return values, NUMBER
    if kind == BOOLEAN:
        values, bad = _flags(text)
        if bad is not None:
            raise _cell_error(path, dialect, col, bad, cl.cell(text, bad), BOOLEAN, why, ids)
        return values, BOOLEAN
    values, bad = _numbers(text, dialect.decimal_mark)
    if bad is None:
        return values, NUMBER
    if _is_flag_column(text):
        return _flags(text)[0], BOOLEAN
    return cl.series(text), TEXT


def _category_spelling(values: np.ndarray, dialect: Dialect) -> np.ndarray:
    """In a decimal-comma file a category written as a number (4,1) is the category "4.1"."""
    if dialect.decimal_mark != ",":
        return values
    out = values.copy()
    for v in {v for v in values if isinstance(v, str) and "," in v}:
        if _spells(COMMA_NUMBER, v):
            out[values == v] = v.replace(".", "").replace(",", ".")
    return out


class _ids:
    """Unit ids by row, looked up only when an error names one."""

    def __init__(self, column):
        self.column = column

    def __getitem__(self, row: int) -> str:
        value = cl.cell(self.column, row) if self.column is not None else None
        return value.strip() if value is not None else "?"


def _typed_frame(path: Path, cells: dict, rows: int, dialect: Dialect, config: InstanceConfig) -> pd.DataFrame:
    kinds = column_kinds(config)
    category = config.env_zoning.existing_category_attr if config.env_zoning else None
    out = {}
    ids = _ids(cells.get("unit_id"))
    for col, values in cells.items():
        kind, why = kinds.get(col, (None, ""))
        typed, _ = type_column(path, dialect, col, values, kind, why, ids)
        out[col] = _category_spelling(typed, dialect) if col == category else typed
    frame = pd.DataFrame(index=pd.RangeIndex(rows))
    for c, v in out.items():  # column by column: no consolidated copy of every float column
        frame[c] = v if isinstance(v, pd.Series) else pd.Series(v, dtype=float if v.dtype == float else object, copy=False)
    return frame


def _read_csv_units(path: Path, config: InstanceConfig) -> tuple[pd.DataFrame, Optional[np.ndarray], Optional[dict], Dialect]:
    cells = read_cells(path)
    for col in ("x", "y"):
        if col not in cells.columns:
            raise InputError(f"{path}: missing column '{col}' (CSV units need x, y centroid columns in metres; "
                             f"read as {cells.dialect.describe()}; columns: {sorted(cells.columns)})")
    kinds = column_kinds(config)
    category = config.env_zoning.existing_category_attr if config.env_zoning else None
    candidates = [c for c in cells.columns if kinds.get(c, (None,))[0] != TEXT or c == category]
    dialect = decimal_mark(path, cells, candidates)
    units = _typed_frame(path, cells.columns, cells.rows, dialect, config)
    for col in ("x", "y") + (("cell_m",) if "cell_m" in units.columns else ()):
        missing = units[col].isna().to_numpy()
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise InputError(f"{path}: column '{col}' must be numeric everywhere; {dialect.where(i)} is empty")
    x, y = units["x"].to_numpy(float), units["y"].to_numpy(float)
    grid = None
    if "cell_m" in units.columns:
        cell = units["cell_m"].to_numpy(float)
        if (cell <= 0).any():
            i = int(np.flatnonzero(cell <= 0)[0])
            raise InputError(f"{path}: column 'cell_m' must be > 0; {dialect.where(i)} has {cell[i]}")
        grid = {"x": x, "y": y, "cell_m": cell}
        geometry = None  # valid by construction (finite centres, positive sides); built lazily by Instance.geometry
    else:
        geometry = shapely.points(x, y)
    return units, geometry, grid, dialect


def cell_boxes(grid: dict) -> np.ndarray:
    half = grid["cell_m"] / 2
    return shapely.box(grid["x"] - half, grid["y"] - half, grid["x"] + half, grid["y"] + half)


def _read_gpkg_units(path: Path, crs: str) -> tuple[pd.DataFrame, np.ndarray]:
    require_installed(("geopandas", "pyogrio"), extra="gis", purpose=f"reading {path.name}")
    import pyogrio

    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(f"{path}: cannot open as GeoPackage: {exc}") from None
    if "units" not in layers:
        raise InputError(f"{path}: no layer 'units'; layers present: {layers}")
    import geopandas as gpd
    from pyproj import CRS

    frame = gpd.read_file(path, layer="units", engine="pyogrio")
    if frame.crs is None:
        raise InputError(f"{path}: layer 'units' has no CRS; the instance says crs: {crs}")
    if CRS.from_user_input(frame.crs) != CRS.from_user_input(crs):
        raise InputError(f"{path}: layer 'units' is in {frame.crs.to_string()}, but instance.yaml says crs: {crs} (mixed CRS)")
    geometry = frame.geometry.to_numpy()
    units = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    units.columns = [unicodedata.normalize("NFC", c) if isinstance(c, str) else c for c in units.columns]
    return units.reset_index(drop=True), np.asarray(geometry)


def _check_geometry(path: Path, units: pd.DataFrame, geometry: np.ndarray) -> None:
    missing = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    if missing.any():
        ids = units["unit_id"].to_numpy()[missing][:5].tolist()
        raise InputError(f"{path}: units without geometry: unit_id {ids}")
    invalid = ~shapely.is_valid(geometry)
    if invalid.any():
        i = int(np.flatnonzero(invalid)[0])
        reason = shapely.is_valid_reason(geometry[i])
        raise InputError(
            f"{path}: {int(invalid.sum())} invalid geometries, e.g. unit_id {units['unit_id'].iloc[i]!r}: {reason} "
            "(repair them, e.g. with shapely.make_valid, before use)"
        )


def units_path(folder: Path, config: InstanceConfig, source="instance.yaml") -> Path:
    """The units file: ``units`` of instance.yaml, or the first of units.gpkg, units.csv, units.csv.gz; inside the folder."""
    if config.units:
        return inside(folder, config.units, "units", source)
    for name in ("units.gpkg", "units.csv", "units.csv.gz"):
        if (folder / name).exists():
            return inside(folder, name, "units (found by name)", source)
    raise InputError(f"{folder}: no units file (units.gpkg, units.csv or units.csv.gz), and instance.yaml names none under 'units'")


def _typed_gpkg(path: Path, frame: pd.DataFrame, config: InstanceConfig, dialect: Dialect) -> tuple[pd.DataFrame, Dialect]:
    """GeoPackage columns typed as CSV columns are: GDAL's numbers stay numbers, text columns are read as CSV
    cells (their decimal mark found from their own cells, as a CSV file's is)."""
    kinds = column_kinds(config)
    category = config.env_zoning.existing_category_attr if config.env_zoning else None
    ids = frame["unit_id"].map(spelled).tolist() if "unit_id" in frame.columns else None
    texts = {}
    for col in frame.columns:
        series = frame[col]
        if series.dtype != "geometry" and (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)):
            missing = series.isna().to_numpy()
            texts[col] = cl.column([None if m else spelled(v) for v, m in zip(series.tolist(), missing)])
    candidates = [c for c in texts if kinds.get(c, (None,))[0] != TEXT or c == category]
    dialect = decimal_mark(path, Cells(texts, len(frame), dialect), candidates)
    out = {}
    for col in frame.columns:
        kind, why = kinds.get(col, (None, ""))
        series = frame[col]
        missing = series.isna().to_numpy()
        if col in texts:
            typed, _ = type_column(path, dialect, col, texts[col], kind, why, ids)
            out[col] = _category_spelling(typed, dialect) if col == category else typed
        elif pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
            numbers = series.astype(float).to_numpy()
            if np.isinf(numbers).any():
                i = int(np.flatnonzero(np.isinf(numbers))[0])
                raise InputError(f"{path}: column {col!r} {dialect.where(i)}: {numbers[i]} is not a finite number")
            if pd.api.types.is_bool_dtype(series.dtype) and kind != NUMBER or kind == BOOLEAN:
                bad = ~missing & ~np.isin(numbers, (0.0, 1.0))
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise _cell_error(path, dialect, col, i, spelled(series.iloc[i]), BOOLEAN, why, ids)
                values = (numbers == 1.0).astype(object)
                values[missing] = None
            elif kind == TEXT:
                values = np.array([None if m else spelled(v) for v, m in zip(series.tolist(), missing)], dtype=object)
            else:
                values = numbers
            out[col] = values
        else:  # dates and other types: as GDAL gives them
            out[col] = series.reset_index(drop=True)
    frame = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for c, v in out.items():
        frame[c] = v if isinstance(v, pd.Series) else pd.Series(v, dtype=float if v.dtype == float else object, copy=False)
    return frame, dialect


def read_units(path: Path, config: InstanceConfig) -> tuple[pd.DataFrame, Optional[np.ndarray], Optional[dict], Dialect]:
    """(units typed by column, geometry or None for square cells, grid arrays or None, the dialect read)."""
    if not path.exists():
        raise InputError(f"{path}: units file not found")
    grid = None
    if path.suffix.lower() == ".gpkg":
        frame, geometry = _read_gpkg_units(path, config.crs)
        units, dialect = _typed_gpkg(path, frame, config, Dialect(file=path.name, encoding="GeoPackage"))
    elif path.name.lower().endswith((".csv", ".csv.gz")):
        units, geometry, grid, dialect = _read_csv_units(path, config)
    else:
        raise InputError(f"{path}: units must be a .gpkg, .csv or .csv.gz file")
    for col in ("unit_id", "area_ha"):
        if col not in units.columns:
            raise InputError(f"{path}: missing column '{col}' (read as {dialect.describe()}; columns: {sorted(units.columns)})")
    ids = units["unit_id"]
    if ids.isna().any():
        raise InputError(f"{path}: column 'unit_id' is empty on {dialect.where(int(np.flatnonzero(ids.isna().to_numpy())[0]))}")
    repeated = ids.duplicated(keep=False).to_numpy()
    if repeated.any():
        rows = np.flatnonzero(repeated)
        first = ids.iloc[rows[0]]
        twin = rows[(ids.iloc[rows] == first).to_numpy()]
        normal = "" if str(first).isascii() else " (ids are compared in Unicode normal form NFC: an accent typed as one " \
                                                   "character and as a combining one is the same id)"
        raise InputError(f"{path}: duplicate unit_id {quoted(first)} on {dialect.where(int(twin[0]))} and {dialect.where(int(twin[1]))} "
                         f"({int(ids.duplicated().sum())} duplicates){normal}")
    area = units["area_ha"].to_numpy(float)
    bad = np.isnan(area) | (area <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        shown = "empty" if np.isnan(area[i]) else f"{area[i]:g}"
        raise InputError(f"{path}: column 'area_ha' {dialect.where(i)} (unit_id {ids.iloc[i]!r}): {shown}; an area must be > 0")
    if geometry is not None:
        _check_geometry(path, units, geometry)
    return units, geometry, grid, dialect
