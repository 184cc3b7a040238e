"""Load and validate an instance folder (DESIGN.md §4).

``load_instance(folder, scenario)`` reads ``instance.yaml`` (with ``yaml.safe_load``),
deep-merges a scenario overlay onto it, validates it against :mod:`model.schema`,
reads the units (``units.gpkg`` layer ``units`` or ``units.csv``) and checks every
cross-reference. Every problem raises :class:`InputError` naming the file, the key
or column and the offending value. This module never imports Pyomo.
"""
from __future__ import annotations

import warnings

import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import shapely
import yaml
from pydantic import ValidationError

from .errors import InputError
from .schema import NATIONAL, InstanceConfig, category_str

TRUE_WORDS = {"true", "yes", "1"}
BOOL_WORDS = {"true", "false", "yes", "no"}


@dataclass
class Instance:
    """A validated instance: configuration, units table and unit geometries."""

    folder: Path
    config: InstanceConfig
    units: pd.DataFrame  # index 0..n-1; unit_id, area_ha, region levels, current_use, attributes
    scenario: Optional[str] = None
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    grid: Optional[dict] = None  # {"x","y","cell_m"} arrays when units are square cells from CSV
    _geometry: Optional[np.ndarray] = field(default=None, repr=False, compare=False)  # None: square cells, built on first use
    _cache: dict = field(default_factory=dict, repr=False, compare=False)  # see _cached

    @property
    def geometry(self) -> np.ndarray:
        """Shapely geometries, one per unit, in config.crs.

        Square cells from a CSV are built when first asked for (a report, a GeoPackage, a
        distance rule): at 3.5 M cells they take 4 s and 1.4 GB that a plain solve never uses.
        """
        if self._geometry is None:
            self._geometry = cell_boxes(self.grid)
        return self._geometry

    def geometry_of(self, units: np.ndarray) -> np.ndarray:
        """The geometries of ``units`` only (square cells not yet built are built for these alone)."""
        if self._geometry is None:
            return cell_boxes({key: values[units] for key, values in self.grid.items()})
        return self._geometry[units]

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def claims(self) -> list[str]:
        return list(self.config.claims)

    @property
    def levels(self) -> list[str]:
        return list(self.config.regions)

    def region_codes(self, level: str) -> np.ndarray:
        """Region code per unit at ``level`` (``national``: every unit is in ``NL``)."""
        if level == NATIONAL:
            return np.full(len(self.units), "NL", dtype=object)
        return self._column(level)

    def region_index(self, level: str) -> tuple[np.ndarray, np.ndarray]:
        """(code per unit, sorted region names) at ``level``: integer codes for group sums without string keys."""
        return self._cached(("index", level), lambda: pd.factorize(self.region_codes(level), sort=True))

    def unit_dtype(self) -> pd.CategoricalDtype:
        """A categorical dtype over the unit ids, checked for uniqueness once (labels then store codes only)."""
        return self._cached(("dtype", "unit_id"), lambda: pd.CategoricalDtype(pd.Index(self.units["unit_id"])))

    def unit_ids(self) -> np.ndarray:
        return self._column("unit_id")

    def _column(self, name: str) -> np.ndarray:
        """A read-only object array of a units column, converted once (an Arrow-backed string column costs ~0.1 s per million units)."""
        def convert() -> np.ndarray:
            values = self.units[name].to_numpy(dtype=object)
            values.flags.writeable = False
            return values

        return self._cached(("column", name), convert)

    def _cached(self, key: tuple, make):
        """Derived views of the units, computed once; keys are (kind, name) so a column name cannot collide with a view."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def content_hash(self) -> str:
        """SHA-256 over every input file's bytes: changes whenever any input byte does."""
        h = hashlib.sha256()
        for path in self.files:
            h.update(path.name.encode())
            h.update(path.read_bytes())
        return h.hexdigest()


# --------------------------------------------------------------------------- YAML


def read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of keys at the top, got {type(data).__name__}")
    return data


def deep_merge(base: dict, overlay: dict) -> dict:
    """Overlay onto base: mappings merge key by key, anything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _describe_loc(loc) -> str:
    parts = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        elif p in ("function-after", "function-before") or str(p).startswith(("function-", "literal[")):
            continue
        else:
            parts.append(("." if parts else "") + str(p))
    return "".join(parts) or "(top level)"


def format_validation_error(source: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = _describe_loc(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        value = err.get("input")
        shown = "" if isinstance(value, dict) else f" (value: {value!r})"
        lines.append(f"{source}: {loc}: {msg}{shown}")
    return "\n".join(lines)


def parse_config(data: dict, source: str) -> InstanceConfig:
    try:
        return InstanceConfig.model_validate(data)
    except ValidationError as exc:
        raise InputError(format_validation_error(source, exc)) from None


# --------------------------------------------------------------------------- units


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
    import pyarrow as pa
    import pyarrow.compute as pc

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


def _units_path(folder: Path, config: InstanceConfig) -> Path:
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


# --------------------------------------------------------------------------- cross-references


def match_category(value, categories) -> Optional[str]:
    """A category as spelled in ``categories``: "5.0" (how CSV writers print a 5) means "5"."""
    if value is None or value in categories:
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    same = [c for c in categories if _as_float(c) == number]
    return same[0] if len(same) == 1 else value


def _as_float(text: str) -> Optional[float]:
    try:
        return float(text)
    except ValueError:
        return None


def _need_column(units: pd.DataFrame, col: str, where: str, path: Path) -> None:
    if col not in units.columns:
        raise InputError(f"{where} refers to column '{col}', which {path.name} does not have; columns: {sorted(units.columns)}")


def validate_references(config: InstanceConfig, units: pd.DataFrame, units_path: Path, source: str) -> list[str]:
    """Check every name the configuration uses against claims, regions and unit columns."""
    warnings: list[str] = []
    claims = set(config.claims)
    levels = set(config.regions) | {NATIONAL}
    codes_at: dict[str, set] = {}  # level -> its region codes, built once (a set of millions of strings is not free)

    def region_codes(level: str) -> set:
        if level not in codes_at:
            codes_at[level] = set(pd.unique(units[level].dropna()))
        return codes_at[level]

    def claim_ok(name: str, where: str) -> None:
        if name not in claims:
            raise InputError(f"{source}: {where}: unknown claim {name!r}; claims are {sorted(claims)}")

    def level_ok(level: str, where: str) -> None:
        if level not in levels:
            raise InputError(f"{source}: {where}: unknown region level {level!r}; levels are {sorted(levels)}")

    for level in config.regions:
        _need_column(units, level, f"{source}: regions", units_path)
        if units[level].isna().any():
            i = int(np.flatnonzero(units[level].isna())[0])
            raise InputError(f"{units_path}: column '{level}' is empty for unit_id {units['unit_id'].iloc[i]!r}")

    for name, claim in config.claims.items():
        where = f"{source}: claims.{name}"
        for host in claim.stacks_on:
            claim_ok(host, f"claims.{name}.stacks_on")
            if config.claims[host].stacking:
                raise InputError(f"{where}.stacks_on: host {host!r} is itself a stacking claim")
        if claim.divisible and claim.min_site_ha is not None:
            raise InputError(f"{where}: a divisible claim cannot have min_site_ha (sites are made of whole units)")
        for attr in (claim.suitability_attr, claim.cost_attr):
            if attr:
                _need_column(units, attr, where, units_path)
        if claim.env_category is not None:
            if config.env_zoning is None:
                raise InputError(f"{where}.env_category: {claim.env_category!r} given but there is no env_zoning section")
            if claim.env_category not in config.env_zoning.distance_m:
                raise InputError(
                    f"{where}.env_category: category {claim.env_category!r} has no distance in env_zoning.distance_m "
                    f"(categories: {sorted(config.env_zoning.distance_m)})"
                )

    for i, d in enumerate(config.demand):
        where = f"demand[{i}]"
        claim_ok(d.claim, where)
        level_ok(d.level, where)
        if d.level != NATIONAL and d.region not in region_codes(d.level):
            raise InputError(f"{source}: {where}: unknown region {d.region!r} at level {d.level!r}")
        if d.measure:
            _need_column(units, d.measure, f"{source}: {where}.measure", units_path)
            if units[d.measure].dtype != float:
                raise InputError(f"{units_path}: column '{d.measure}' (measure of {where}) must be numeric")

    for i, r in enumerate(config.rules):
        where = f"rules[{i}] ({r.name})"
        for c in r.claims or []:
            claim_ok(c, where)
        _need_column(units, r.attr, f"{source}: {where}", units_path)
        col = units[r.attr]
        if r.op in (">", ">=", "<", "<=") and (col.dtype != float or isinstance(r.value, (bool, str))):
            raise InputError(
                f"{source}: {where}: op {r.op!r} needs a numeric column and value; column '{r.attr}' "
                f"is {'numeric' if col.dtype == float else 'not numeric'} and value is {r.value!r}"
            )

    if config.env_zoning:
        ez = config.env_zoning
        if ez.existing_category_attr:
            _need_column(units, ez.existing_category_attr, f"{source}: env_zoning.existing_category_attr", units_path)
            cats = set(pd.unique(units[ez.existing_category_attr].dropna()))
            unknown = sorted(cats - set(ez.distance_m))
            if unknown:
                raise InputError(
                    f"{units_path}: column '{ez.existing_category_attr}' has categories {unknown} "
                    f"with no distance in env_zoning.distance_m"
                )
        if ez.sensitive_uses:
            _need_column(units, "current_use", f"{source}: env_zoning.sensitive_uses", units_path)

    for i, b in enumerate(config.balance):
        where = f"balance[{i}]"
        level_ok(b.level, where)
        claim_ok(b.housing_claim, f"{where}.housing_claim")
        for c in b.work_claims:
            claim_ok(c, f"{where}.work_claims")

    if config.compensation:
        level_ok(config.compensation.level, "compensation")
        for c in config.compensation.work_claims:
            claim_ok(c, "compensation.work_claims")
        _need_column(units, "current_use", f"{source}: compensation", units_path)

    for name, res in config.resources.items():
        where = f"resources.{name}"
        _need_column(units, res.zone_attr, f"{source}: {where}.zone_attr", units_path)
        for c in res.per_ha:
            claim_ok(c, f"{where}.per_ha")
        absent = sorted(set(res.cap) - set(pd.unique(units[res.zone_attr].dropna())))
        if absent:
            warnings.append(f"{source}: {where}.cap: zones {absent} have no units; their caps constrain nothing")

    if config.budget and config.budget.cost_attr:
        _need_column(units, config.budget.cost_attr, f"{source}: budget.cost_attr", units_path)

    ids = set(units["unit_id"]) if config.locked else set()
    seen = {}
    for i, lk in enumerate(config.locked):
        claim_ok(lk.claim, f"locked[{i}]")
        if lk.unit_id not in ids:
            raise InputError(f"{source}: locked[{i}]: unknown unit_id {lk.unit_id!r}")
        if (lk.unit_id, lk.claim) in seen:
            raise InputError(f"{source}: locked[{i}]: ({lk.unit_id!r}, {lk.claim!r}) is locked twice")
        seen[(lk.unit_id, lk.claim)] = i
    if "protected_claims" in config.model_fields_set:
        for c in config.protected_claims:
            claim_ok(c, "protected_claims")
    return warnings


def normalise_units(config: InstanceConfig, units: pd.DataFrame) -> None:
    """Spell categories as ``distance_m`` does ("5.0" → "5") and make ``protected`` a plain bool column."""
    ez = config.env_zoning
    if ez and ez.existing_category_attr and ez.existing_category_attr in units.columns:
        col = ez.existing_category_attr
        values = units[col].to_numpy(dtype=object).copy()
        for spelled in {v for v in values if isinstance(v, str)}:
            values[values == spelled] = match_category(spelled, ez.distance_m)
        units[col] = pd.Series(values, index=units.index, dtype=object)
    if "protected" in units.columns:
        flags = units["protected"].to_numpy(dtype=object)
        protected = np.zeros(len(flags), dtype=bool)
        present = ~pd.isna(flags)
        protected[present] = flags[present].astype(bool)  # truthiness, as bool(v): missing is not protected
        units["protected"] = pd.Series(protected.astype(object), index=units.index, dtype=object)


# --------------------------------------------------------------------------- entry point


def resolve_scenario(folder: Path, scenario: Optional[str]) -> Optional[Path]:
    if scenario is None:
        return None
    candidate = Path(scenario)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    path = folder / "scenarios" / f"{scenario}.yaml"
    if not path.exists():
        available = sorted(p.stem for p in (folder / "scenarios").glob("*.yaml")) if (folder / "scenarios").is_dir() else []
        raise InputError(f"{folder}: unknown scenario {scenario!r}; scenarios available: {available}")
    return path


def merged_data(folder, scenario: Optional[str] = None) -> tuple[dict, list[Path], str]:
    """instance.yaml with the scenario merged on top: (data, the YAML files read, a source label for errors)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: instance folder not found")
    yaml_path = folder / "instance.yaml"
    if not yaml_path.exists():
        raise InputError(f"{folder}: no instance.yaml")
    data = read_yaml(yaml_path)
    files = [yaml_path]
    source = str(yaml_path)
    scenario_path = resolve_scenario(folder, scenario)
    if scenario_path is not None:
        data = deep_merge(data, read_yaml(scenario_path))
        files.append(scenario_path)
        source = f"{yaml_path} + {scenario_path.name}"
    return data, files, source


def load_instance(folder, scenario: Optional[str] = None, overrides: Optional[dict] = None) -> Instance:
    """Load, merge and validate an instance folder; ``overrides`` is merged last (used by sweeps and the CLI)."""
    folder = Path(folder)
    data, files, source = merged_data(folder, scenario)
    if overrides:
        data = deep_merge(data, overrides)
    config = parse_config(data, source)
    try:
        from pyproj import CRS

        crs = CRS.from_user_input(config.crs)
    except Exception:
        raise InputError(f"{source}: crs: not a valid CRS (value: {config.crs!r})") from None
    if not crs.is_projected:
        raise InputError(f"{source}: crs: {config.crs!r} is not a projected CRS in metres (distances are in metres)")
    units_path = _units_path(folder, config)
    units, geometry, grid = read_units(units_path, config)
    files.append(units_path)
    normalise_units(config, units)
    warnings = validate_references(config, units, units_path, source)
    return Instance(
        folder=folder, config=config, units=units, scenario=scenario,
        files=files, warnings=warnings, grid=grid, _geometry=geometry,
    )


def with_config(base: Instance, data: dict, source: str) -> Instance:
    """The loaded instance with another configuration (a sweep scenario): parsed and checked against the same units."""
    import dataclasses

    config = parse_config(data, source)
    for key in ("crs", "units", "regions"):
        if getattr(config, key) != getattr(base.config, key):
            raise InputError(f"{source}: a scenario cannot change '{key}' (the units are loaded once)")
    ez, base_ez = config.env_zoning, base.config.env_zoning
    if (ez and ez.existing_category_attr) != (base_ez and base_ez.existing_category_attr):
        raise InputError(f"{source}: a scenario cannot change 'env_zoning.existing_category_attr'")
    units_path = base.files[-1]
    warnings = validate_references(config, base.units, units_path, source)
    return dataclasses.replace(base, config=config, warnings=warnings)
