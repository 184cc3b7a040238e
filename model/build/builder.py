"""Build an instance folder from GIS layers (docs/cli.md ``build SPEC.yaml --out DIR``).

Units are a square grid clipped to the regions of the first level (or user parcels);
every level's code is the region holding the largest part of the unit; attributes come
from rasters (zonal mean, max, min, majority) and vector layers (intersects, share of
area covered, majority class by area, distance to the nearest feature in km). Everything
is vectorised with shapely 2 and STRtree; rasters are read with rasterio.

Inputs in another CRS are reprojected to the spec's; a layer without a CRS is an input
error, as is a missing layer (the message names the layers present). Invalid geometries
are repaired with ``make_valid`` and a warning. The output is ``units.gpkg`` (layer
``units``) and a starting ``instance.yaml`` listing the attributes found.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

import numpy as np
import pandas as pd
import shapely
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.config import read_yaml
from ruimtepuzzel.model.optional import require_installed

RASTER_HOW = {"mean", "max", "min", "majority"}
VECTOR_HOW = {"intersects", "share", "majority", "distance_km"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Grid(Strict):
    cell_m: float


class Parcels(Strict):
    file: str
    layer: Optional[str] = None
    id_col: str


class RegionLayer(Strict):
    level: str
    file: str
    layer: Optional[str] = None
    code_col: str


class Attribute(Strict):
    name: str
    file: str
    layer: Optional[str] = None
    column: Optional[str] = None
    how: Literal["mean", "max", "min", "majority", "intersects", "share", "distance_km"]


class Spec(Strict):
    crs: str = "EPSG:28992"
    grid: Optional[Grid] = None
    parcels: Optional[Parcels] = None
    regions: list[RegionLayer]
    attributes: list[Attribute] = []
    name: Optional[str] = None

    @model_validator(mode="after")
    def _one_geometry(self):
        if (self.grid is None) == (self.parcels is None):
            raise ValueError("give exactly one of 'grid' and 'parcels'")
        if self.grid is not None and self.grid.cell_m <= 0:
            raise ValueError(f"grid.cell_m must be > 0, not {self.grid.cell_m}")
        if not self.regions:
            raise ValueError("'regions' needs at least one level")
        return self


def load_spec(path: Path) -> Spec:
    raw = read_yaml(path)
    try:
        return Spec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: {where or 'spec'}: {first['msg']}") from None


# --- reading layers ------------------------------------------------------------------------

def is_raster(path: Path) -> bool:
    return path.suffix.lower() in (".tif", ".tiff", ".vrt", ".asc", ".img")


def read_vector(path: Path, layer: Optional[str], crs: str, warnings: list[str]):
    import geopandas as gpd
    import pyogrio

    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise InputError(f"{path}: cannot open as a vector file: {exc}") from None
    if layer is None:
        if len(layers) != 1:
            raise InputError(f"{path}: name a layer; layers present: {layers}")
        layer = layers[0]
    if layer not in layers:
        raise InputError(f"{path}: no layer {layer!r}; layers present: {layers}")
    frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    if frame.crs is None:
        raise InputError(f"{path}: layer {layer!r} has no CRS; set one (the spec asks {crs})")
    frame = frame.to_crs(crs)
    geom = frame.geometry.to_numpy()
    bad = ~shapely.is_valid(geom) & ~shapely.is_missing(geom)
    if bad.any():
        warnings.append(f"{path.name}:{layer}: {int(bad.sum())} invalid geometries repaired with make_valid")
        geom[bad] = shapely.make_valid(geom[bad])
        frame = frame.set_geometry(list(geom), crs=frame.crs)
    frame = frame[~shapely.is_empty(frame.geometry.to_numpy()) & ~shapely.is_missing(frame.geometry.to_numpy())]
    if frame.empty:
        raise InputError(f"{path}: layer {layer!r} has no geometries")
    return frame.reset_index(drop=True)


# --- units ---------------------------------------------------------------------------------

def overlaps(units: np.ndarray, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unit index, polygon index, overlap area) for every intersecting pair with positive area."""
    tree = shapely.STRtree(polygons)
    ui, pj = tree.query(units, predicate="intersects")
    area = shapely.area(shapely.intersection(units[ui], polygons[pj]))
    keep = area > 0
    return ui[keep], pj[keep], area[keep]


def largest_overlap(n: int, ui: np.ndarray, pj: np.ndarray, area: np.ndarray, codes: np.ndarray) -> np.ndarray:
    out = np.full(n, None, dtype=object)
    if len(ui):
        order = np.lexsort((-area, ui))
        first = np.r_[True, ui[order][1:] != ui[order][:-1]]
        out[ui[order][first]] = codes[pj[order][first]]
    return out


def grid_units(regions: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Cells of a grid anchored at (0, 0) clipped to the regions: (unit ids, clipped geometries)."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(regions)
    i0, i1 = int(np.floor(xmin / cell_m)), int(np.ceil(xmax / cell_m))
    j0, j1 = int(np.floor(ymin / cell_m)), int(np.ceil(ymax / cell_m))
    ii, jj = np.meshgrid(np.arange(i0, i1), np.arange(j0, j1), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    boxes = shapely.box(ii * cell_m, jj * cell_m, (ii + 1) * cell_m, (jj + 1) * cell_m)
    tree = shapely.STRtree(regions)
    bi, rj = tree.query(boxes, predicate="intersects")
    inside = tree.query(boxes, predicate="within")  # cells wholly inside one region need no clipping
    whole = np.zeros(len(boxes), bool)
    whole[inside[0]] = True
    pieces = pd.DataFrame({"cell": bi, "region": rj})
    pieces = pieces[~whole[pieces["cell"].to_numpy()]]
    clipped = shapely.intersection(boxes[pieces["cell"].to_numpy()], regions[pieces["region"].to_numpy()])
    keep = shapely.area(clipped) > 0
    pieces, clipped = pieces[keep], clipped[keep]
    geoms = {}
    for cell, idx in pieces.groupby("cell").indices.items():
        parts = clipped[idx]
        geoms[cell] = parts[0] if len(parts) == 1 else shapely.union_all(parts)
    cells = np.sort(np.concatenate([np.flatnonzero(whole), np.fromiter(geoms, dtype=np.int64, count=len(geoms))]))
    geometry = np.array([boxes[c] if whole[c] else geoms[c] for c in cells], dtype=object)
    width = max(len(str(abs(i0))), len(str(abs(i1))), len(str(abs(j0))), len(str(abs(j1))))
    ids = np.array([f"c{ii[c]:0{width}d}_{jj[c]:0{width}d}" for c in cells], dtype=object)
    return ids, geometry


# --- attributes ----------------------------------------------------------------------------

def vector_attribute(units: np.ndarray, frame, attr: Attribute) -> np.ndarray:
    geom = frame.geometry.to_numpy()
    if attr.how == "distance_km":
        tree = shapely.STRtree(geom)
        _, dist = tree.query_nearest(units, return_distance=True, all_matches=False)
        return np.round(dist / 1000.0, 4)
    n = len(units)
    if attr.how == "intersects":
        out = np.zeros(n, bool)
        out[shapely.STRtree(geom).query(units, predicate="intersects")[0]] = True
        return out
    if attr.how == "share":  # the union first, so overlapping features do not count twice
        union = shapely.union_all(geom)
        return np.round(np.clip(shapely.area(shapely.intersection(units, union)) / shapely.area(units), 0, 1), 4)
    ui, pj, area = overlaps(units, geom)
    if attr.column is None or attr.column not in frame.columns:
        raise InputError(f"attribute {attr.name!r}: 'majority' on a vector layer needs 'column' naming one of {list(frame.columns)}")
    values = frame[attr.column].to_numpy(dtype=object)
    by = pd.DataFrame({"unit": ui, "value": values[pj], "area": area}).groupby(["unit", "value"], sort=True)["area"].sum().reset_index()
    by = by.sort_values(["unit", "area"], ascending=[True, False], kind="stable").drop_duplicates("unit")
    out = np.full(n, None, dtype=object)
    out[by["unit"].to_numpy()] = by["value"].to_numpy()
    return out


def raster_attribute(units: np.ndarray, crs: str, path: Path, attr: Attribute) -> np.ndarray:
    require_installed(("rasterio",), extra="gis", purpose="a raster attribute in build")
    import rasterio
    from rasterio import features
    from rasterio.crs import CRS

    if attr.how not in RASTER_HOW:
        raise InputError(f"attribute {attr.name!r}: {attr.how!r} does not apply to a raster; use one of {sorted(RASTER_HOW)}")
    try:
        src = rasterio.open(path)
    except Exception as exc:
        raise InputError(f"{path}: cannot open as a raster: {exc}") from None
    with src:
        if src.crs is None:
            raise InputError(f"{path}: the raster has no CRS; set one (the spec asks {crs})")
        geoms = units
        if CRS.from_user_input(crs) != src.crs:
            import geopandas as gpd

            geoms = gpd.GeoSeries(list(units), crs=crs).to_crs(src.crs).to_numpy()
        band = src.read(1, masked=True)
        index = features.rasterize(((g, i + 1) for i, g in enumerate(geoms)), out_shape=src.shape, transform=src.transform,
                                   fill=0, dtype="int32")
        valid = (index > 0) & ~np.ma.getmaskarray(band)
        frame = pd.DataFrame({"unit": index[valid] - 1, "value": np.asarray(band)[valid]})
        n = len(units)
        if attr.how == "majority":
            stat = frame.groupby("unit")["value"].agg(lambda s: s.value_counts().sort_index().idxmax())
        else:
            stat = frame.groupby("unit")["value"].agg(attr.how)
        out = np.full(n, np.nan)
        out[stat.index.to_numpy()] = stat.to_numpy(float)
        missing = np.flatnonzero(np.isnan(out))
        if len(missing):  # units smaller than a pixel: the pixel under the centroid
            pts = shapely.point_on_surface(geoms[missing])
            sampled = np.array([v[0] for v in src.sample(zip(shapely.get_x(pts), shapely.get_y(pts)), masked=True)], dtype=object)
            out[missing] = [np.nan if np.ma.is_masked(v) else float(v) for v in sampled]
    return np.round(out, 6)


# --- the whole build -----------------------------------------------------------------------

def build_units(spec: Spec, base: Path, progress=lambda m: None) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    warnings: list[str] = []
    layers = []
    for r in spec.regions:
        frame = read_vector(base / r.file, r.layer, spec.crs, warnings)
        if r.code_col not in frame.columns:
            raise InputError(f"{base / r.file}: no column {r.code_col!r} for level {r.level!r}; columns: {[c for c in frame.columns if c != 'geometry']}")
        layers.append((r, frame))
    first = layers[0][1]
    if spec.grid is not None:
        ids, geometry = grid_units(first.geometry.to_numpy(), spec.grid.cell_m)
        progress(f"grid: {len(ids):,} cells of {spec.grid.cell_m:g} m")
    else:
        p = spec.parcels
        parcels = read_vector(base / p.file, p.layer, spec.crs, warnings)
        if p.id_col not in parcels.columns:
            raise InputError(f"{base / p.file}: no id column {p.id_col!r}")
        ids = parcels[p.id_col].astype(str).to_numpy(dtype=object)
        if len(set(ids)) != len(ids):
            raise InputError(f"{base / p.file}: duplicate values in id column {p.id_col!r}")
        geometry = parcels.geometry.to_numpy()
    units = pd.DataFrame({"unit_id": ids, "area_ha": np.round(shapely.area(geometry) / 10_000.0, 6)})
    for k, (r, frame) in enumerate(layers):
        polygons, codes = frame.geometry.to_numpy(), frame[r.code_col].astype(str).to_numpy(dtype=object)
        ui, pj, area = overlaps(geometry, polygons)
        units[r.level] = largest_overlap(len(units), ui, pj, area, codes)
        missing = units[r.level].isna().to_numpy()
        if k > 0 and missing.any():  # slivers between the layers' boundaries: the nearest region
            near = shapely.STRtree(polygons).query_nearest(geometry[missing], all_matches=False)[1]
            units.loc[missing, r.level] = codes[near]
            warnings.append(f"{int(missing.sum())} units overlap no region of level {r.level!r}; they take the nearest one")
    outside = units[spec.regions[0].level].isna()
    if outside.all():
        raise InputError("no unit overlaps the regions of the first level (empty overlap: check the CRS and extents)")
    if outside.any():
        warnings.append(f"{int(outside.sum())} units lie outside every region of level {spec.regions[0].level!r}; left out")
        units, geometry = units[~outside].reset_index(drop=True), geometry[~outside.to_numpy()]
    for attr in spec.attributes:
        path = base / attr.file
        if is_raster(path):
            units[attr.name] = raster_attribute(geometry, spec.crs, path, attr)
        else:
            if attr.how in ("mean", "max", "min"):
                raise InputError(f"attribute {attr.name!r}: {attr.how!r} needs a raster, and {path.name} is a vector file")
            units[attr.name] = vector_attribute(geometry, read_vector(path, attr.layer, spec.crs, warnings), attr)
        progress(f"attribute {attr.name}: {attr.how} of {path.name}")
    if "current_use" not in units.columns:
        units["current_use"] = "unknown"
    return units, geometry, warnings


def starting_yaml(spec: Spec, units: pd.DataFrame, name: str) -> str:
    levels = [r.level for r in spec.regions]
    attrs = [a for a in units.columns if a not in ("unit_id", "area_ha", *levels)]
    lines = [f"# Built by `ruimtepuzzel build` from {len(spec.attributes)} attribute layers; add claims and demand, then `validate`.",
             f"name: {name}", f"description: built from GIS layers ({len(units):,} units)", f"crs: {spec.crs}", "units: units.gpkg",
             f"regions: [{', '.join(levels)}]", "# attributes found (units columns):"]
    for a in attrs:
        col = units[a]
        kind = "bool" if col.dtype == bool else "number" if pd.api.types.is_numeric_dtype(col) else "text"
        lines.append(f"#   {a}: {kind}")
    lines += ["claims:", "  # housing: {value_per_ha: 10, sensitive: true}", "demand: []", "rules: []", ""]
    return "\n".join(lines)


def build_instance(spec_path: Path, out: Path, progress=lambda m: None) -> tuple[Path, list[str]]:
    require_installed(("geopandas", "pyogrio"), extra="gis", purpose="build")
    import geopandas as gpd

    from ruimtepuzzel.model.outputs.run_folder import staging

    spec_path = Path(spec_path)
    spec = load_spec(spec_path)
    units, geometry, warnings = build_units(spec, spec_path.parent, progress)
    name = spec.name or Path(out).name
    with staging(Path(out)) as tmp:
        frame = gpd.GeoDataFrame(units, geometry=list(geometry), crs=spec.crs)
        frame.to_file(tmp / "units.gpkg", layer="units", driver="GPKG", engine="pyogrio")
        (tmp / "instance.yaml").write_text(starting_yaml(spec, units, name))
    return Path(out), warnings
