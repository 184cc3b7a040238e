"""Load and validate an instance folder (docs/instances.md): the :class:`Instance` every later step reads.

``load_instance(folder, scenario)`` reads ``instance.yaml`` (:mod:`.config`), merges a
scenario overlay onto it, validates it against :mod:`.schema`, reads the units
(:mod:`.units`) and checks every cross-reference (:mod:`.references`). Every problem
raises :class:`InputError` naming the file, the key or column and the offending value.
Nothing here imports a solver.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.config import deep_merge, merged_data, parse_config
from ruimtepuzzel.model.inputs.references import normalise_units, validate_references
from ruimtepuzzel.model.inputs.schema import NATIONAL, InstanceConfig
from ruimtepuzzel.model.inputs.table import Dialect
from ruimtepuzzel.model.inputs.units import cell_boxes, read_units, units_path


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
    dialect: Optional[Dialect] = None  # how the units file was read (encoding, separator, decimal mark)
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
    path = units_path(folder, config, source)
    units, geometry, grid, dialect = read_units(path, config)
    files.append(path)
    normalise_units(config, units)
    warnings = validate_references(config, units, path, source, dialect)
    return Instance(
        folder=folder, config=config, units=units, scenario=scenario,
        files=files, warnings=warnings, grid=grid, dialect=dialect, _geometry=geometry,
    )


def with_config(base: Instance, data: dict, source: str) -> Instance:
    """The loaded instance with another configuration (a sweep scenario): parsed and checked against the same units."""
    config = parse_config(data, source)
    for key in ("crs", "units", "regions"):
        if getattr(config, key) != getattr(base.config, key):
            raise InputError(f"{source}: a scenario cannot change '{key}' (the units are loaded once)")
    ez, base_ez = config.env_zoning, base.config.env_zoning
    if (ez and ez.existing_category_attr) != (base_ez and base_ez.existing_category_attr):
        raise InputError(f"{source}: a scenario cannot change 'env_zoning.existing_category_attr'")
    warnings = validate_references(config, base.units, base.files[-1], source, base.dialect)
    return dataclasses.replace(base, config=config, warnings=warnings)
