"""The units table: ``units.gpkg`` (layer ``units``) or ``units.csv`` with x, y (and cell_m) columns.

Reads every column, types it (numbers, booleans, codes as strings) and checks ids, areas
and geometries; errors name the file, the column, the row and the value.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import shapely

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.optional import require_installed
from ruimtepuzzel.model.inputs.schema import InstanceConfig, category_str

TRUE_WORDS = {"true", "yes", "1"}
BOOL_WORDS = {"true", "false", "yes", "no"}


def _code_column(series: pd.Series) -> pd.Series:
    """Codes (regions, zones, uses, categories) as strings in an object column; missing is None."""
    missing = series.isna().to_numpy()
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(series.dtype):
        out = series.str.strip().to_numpy(dtype=object)  # what category_str does to a string, without a Python loop
    else:
        values = series.astype(object).to_numpy()
        out = np.empty(len(values), dtype=object)
        out[~missing] = [category_str(v) for v in values[~missing]]
    out[missing] = None
    return pd.Series(out, index=series.index, dtype=object)


def _as_numbers(series: pd.Series) -> Optional[pd.Series]:
    """The column as floats when pyarrow parses every present value as a number; None otherwise.

    A fast path for :func:`_typed_column`: it only accepts, so anything unusual (spaces,
    "nan", words) falls through to the pandas rules and reads exactly as before.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # the base install has no pyarrow: pandas' rules read the column
        return None
    try:
        parsed = pc.cast(pa.array(series.to_numpy(dtype=object) if series.dtype == object else series, type=pa.string()), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if pc.any(pc.is_nan(parsed)).as_py():
        return None
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=series.index, dtype=float)


def _typed_column(series: pd.Series) -> pd.Series:
    """A CSV column of strings as booleans, numbers or strings."""
    fast = _as_numbers(series)
    if fast is not None:  # all numbers: not a boolean column either (no boolean word is a number)
        return fast
    missing = series.isna().to_numpy()
    lowered = series.str.strip().str.lower()
    words = lowered.isin(BOOL_WORDS).to_numpy()
    if words.any() and (words | lowered.isin({"0", "1"}).to_numpy() | missing).all():
        out = lowered.isin(TRUE_WORDS).to_numpy(dtype=object)
        out[missing] = None
        return pd.Series(out, index=series.index, dtype=object)
    present = series[~missing]
    if pd.to_numeric(present.iloc[:1000], errors="coerce").isna().any():  # one word is enough to make it text
        return series
    numbers = pd.to_numeric(series, errors="coerce")
    if numbers.notna().sum() == len(present):
        return numbers.astype(float)
    return series


def _read_csv_strings(path: Path) -> pd.DataFrame:
    """Every cell as a string (missing: empty field), by pandas' C reader, with its errors as InputErrors."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # a row longer than the header must not shift columns
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], index_col=False)
    except pd.errors.ParserWarning:
        raise InputError(f"{path}: some rows have more fields than the header ({path.name} must be a plain table)") from None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(f"{path}: cannot read as CSV: {exc}") from None


def _read_csv_units(path: Path, code_cols: set[str]) -> tuple[pd.DataFrame, Optional[np.ndarray], Optional[dict]]:
    try:  # pyarrow's reader is several times faster; any file it refuses is read (or refused) by pandas' own
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], engine="pyarrow")
    except Exception:
        raw = _read_csv_strings(path)
    raw.columns = [c.strip() for c in raw.columns]
    for col in ("x", "y"):
        if col not in raw.columns:
            raise InputError(f"{path}: missing column '{col}' (CSV units need x, y centroid columns in metres)")
    units = pd.DataFrame(index=raw.index)
    for col in raw.columns:
        units[col] = raw[col].str.strip() if col in code_cols or col == "unit_id" else _typed_column(raw[col])
    for col in ("x", "y") + (("cell_m",) if "cell_m" in units.columns else ()):
        values = units[col]
        if values.dtype != float or values.isna().any():
            bad = raw.loc[pd.to_numeric(raw[col], errors="coerce").isna(), col]
            raise InputError(f"{path}: column '{col}' must be numeric everywhere; row {bad.index[0] + 2} has {bad.iloc[0]!r}")
    x, y = units["x"].to_numpy(float), units["y"].to_numpy(float)
    grid = None
    if "cell_m" in units.columns:
        cell = units["cell_m"].to_numpy(float)
        if (cell <= 0).any():
            i = int(np.flatnonzero(cell <= 0)[0])
            raise InputError(f"{path}: column 'cell_m' must be > 0; row {i + 2} has {cell[i]}")
        grid = {"x": x, "y": y, "cell_m": cell}
        geometry = None  # valid by construction (finite centres, positive sides); built lazily by Instance.geometry
    else:
        geometry = shapely.points(x, y)
    return units, geometry, grid


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


def units_path(folder: Path, config: InstanceConfig) -> Path:
    if config.units:
        return folder / config.units
    for name in ("units.gpkg", "units.csv", "units.csv.gz"):
        if (folder / name).exists():
            return folder / name
    raise InputError(f"{folder}: no units file (units.gpkg, units.csv or units.csv.gz), and instance.yaml names none under 'units'")


def referenced_code_columns(config: InstanceConfig) -> set[str]:
    cols = set(config.regions) | {"current_use"}
    if config.env_zoning and config.env_zoning.existing_category_attr:
        cols.add(config.env_zoning.existing_category_attr)
    cols |= {r.zone_attr for r in config.resources.values()}
    return cols


def read_units(path: Path, config: InstanceConfig) -> tuple[pd.DataFrame, Optional[np.ndarray], Optional[dict]]:
    if not path.exists():
        raise InputError(f"{path}: units file not found")
    code_cols = referenced_code_columns(config)
    grid = None
    if path.suffix.lower() == ".gpkg":
        units, geometry = _read_gpkg_units(path, config.crs)
    elif path.name.lower().endswith((".csv", ".csv.gz")):
        units, geometry, grid = _read_csv_units(path, code_cols)
    else:
        raise InputError(f"{path}: units must be a .gpkg, .csv or .csv.gz file")
    for col in ("unit_id", "area_ha"):
        if col not in units.columns:
            raise InputError(f"{path}: missing column '{col}'")
    units["unit_id"] = _code_column(units["unit_id"])
    if units["unit_id"].isna().any():
        raise InputError(f"{path}: column 'unit_id' is empty in row {int(np.flatnonzero(units['unit_id'].isna())[0]) + 2}")
    dupes = units["unit_id"][units["unit_id"].duplicated()]
    if len(dupes):
        raise InputError(f"{path}: duplicate unit_id {dupes.iloc[0]!r} ({len(dupes)} duplicates)")
    area = pd.to_numeric(units["area_ha"], errors="coerce")
    bad = area.isna() | (area <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{path}: column 'area_ha' must be > 0; unit_id {units['unit_id'].iloc[i]!r} has {units['area_ha'].iloc[i]!r}")
    units["area_ha"] = area.astype(float)
    for col in code_cols & set(units.columns):
        units[col] = _code_column(units[col])
    for col in units.columns:
        if units[col].dtype == bool:
            units[col] = units[col].astype(object)
    if geometry is not None:
        _check_geometry(path, units, geometry)
    return units, geometry, grid
