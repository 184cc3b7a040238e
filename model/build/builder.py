"""Build an instance folder from GIS layers (docs/cli.md ``build SPEC.yaml --out DIR``).

Units are a square grid clipped to the regions of the first level (or user parcels);
every level's code is the region holding the largest part of the unit, unless a finer level
names it (``parents``: a cell's COROP region and province are its municipality's, so codes
nest); attributes come
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
from typing import Literal, Optional, Union

import numpy as np
import pandas as pd
import shapely
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ruimtepuzzel.model.build.derive import Condition, DeriveStep, apply_steps, matches
from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.config import read_yaml
from ruimtepuzzel.model.optional import require_installed

RASTER_HOW = {"mean", "max", "min", "majority"}
VECTOR_HOW = {"intersects", "share", "majority", "distance_km", "nearest"}


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
    name_col: Optional[str] = None  # display names, written to instance.yaml as region_names
    # other levels taken from this level's region, so that codes nest (e.g. a municipality's COROP region and province):
    # level -> the column of this layer holding that level's code
    parents: dict[str, str] = {}


class Attribute(Strict):
    name: str
    file: str
    layer: Optional[str] = None
    column: Optional[str] = None
    how: Literal["mean", "max", "min", "majority", "intersects", "share", "distance_km", "nearest"]
    where: dict[str, Union[bool, float, str]] = {}  # vector layers: only features whose columns equal these values


class Clip(Strict):
    level: str
    codes: list[str] = Field(min_length=1)


class Output(Strict):
    units: Literal["units.gpkg", "units.csv.gz"] = "units.gpkg"
    gzip_level: int = Field(default=9, ge=1, le=9)  # units.csv.gz: 9 is smallest; 6 is 3x faster, 4 % larger (100 m grids)


class Spec(Strict):
    crs: str = "EPSG:28992"
    grid: Optional[Grid] = None
    parcels: Optional[Parcels] = None
    regions: list[RegionLayer]
    attributes: list[Attribute] = []
    derive: list[DeriveStep] = []
    clip: Optional[Clip] = None
    output: Output = Output()
    instance: Optional[str] = None  # a YAML file merged onto the starting instance.yaml (claims, demand, rules, ...)
    scenarios: Optional[str] = None  # a folder whose *.yaml files become the instance's scenarios
    name: Optional[str] = None

    @model_validator(mode="after")
    def _one_geometry(self):
        if (self.grid is None) == (self.parcels is None):
            raise ValueError("give exactly one of 'grid' and 'parcels'")
        if self.grid is not None and self.grid.cell_m <= 0:
            raise ValueError(f"grid.cell_m must be > 0, not {self.grid.cell_m}")
        if not self.regions:
            raise ValueError("'regions' needs at least one level")
        if self.output.units == "units.csv.gz" and self.grid is None:
            raise ValueError("output.units 'units.csv.gz' needs a grid (CSV units are square cells; parcels need units.gpkg)")
        levels = [r.level for r in self.regions]
        if self.clip is not None and self.clip.level not in levels:
            raise ValueError(f"clip.level {self.clip.level!r} is not one of the region levels {levels}")
        for r in self.regions:
            wrong = sorted(set(r.parents) - set(levels) | ({r.level} & set(r.parents)))
            if wrong:
                raise ValueError(f"regions ({r.level}): parents names {wrong}, which is not another region level of {levels}")
        return self


def load_spec(path: Path, overrides: Optional[dict] = None) -> Spec:
    """The spec at ``path``; ``extends: FILE`` (relative to it) merges it onto another spec (mappings key by key, lists
    whole); ``overrides`` (e.g. ``{"grid": {"cell_m": 300}}``) is merged last."""
    from ruimtepuzzel.model.inputs.config import deep_merge

    raw = deep_merge(spec_data(Path(path), []), overrides or {})
    try:
        return Spec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: {where or 'spec'}: {first['msg']}") from None


def spec_data(path: Path, seen: list[Path]) -> dict:
    from ruimtepuzzel.model.inputs.config import deep_merge

    if path.resolve() in seen:
        raise InputError(f"{path}: 'extends' loops back to a spec already read: {[str(p) for p in seen]}")
    raw = read_yaml(path)
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    return deep_merge(spec_data(path.parent / str(parent), [*seen, path.resolve()]), raw)


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

def subdivide(polygons: np.ndarray, max_vertices: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(pieces, index of the source polygon): each polygon cut by halving boxes until a piece has few vertices.

    The pieces of one polygon tile it exactly (``clip_by_rect``, linear in its vertices), so areas add up; the
    intersection of a unit with a piece then costs a few hundred vertices instead of the whole coastline (the
    share of large waters at 1 km: 105 s -> 0.3 s).
    """
    pieces, source = [], []
    stack = [(g, i) for i, geom in enumerate(polygons) for g in shapely.get_parts(geom)]
    while stack:
        geom, i = stack.pop()
        if shapely.get_num_coordinates(geom) <= max_vertices:
            pieces.append(geom)
            source.append(i)
            continue
        x0, y0, x1, y1 = geom.bounds
        if x1 - x0 >= y1 - y0:
            boxes = [(x0, y0, (x0 + x1) / 2, y1), ((x0 + x1) / 2, y0, x1, y1)]
        else:
            boxes = [(x0, y0, x1, (y0 + y1) / 2), (x0, (y0 + y1) / 2, x1, y1)]
        for box in boxes:
            stack.extend((part, i) for part in shapely.get_parts(shapely.clip_by_rect(geom, *box)) if shapely.area(part) > 0)
    return np.array(pieces, dtype=object), np.array(source, dtype=np.int64)


def overlaps(units: np.ndarray, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unit index, polygon index, overlap area) for every intersecting pair with positive area.

    A unit wholly within a polygon overlaps it by its own area; the others are intersected with the polygons'
    :func:`subdivide` pieces, summed per (unit, polygon).
    """
    wj, wi = shapely.STRtree(units).query(polygons, predicate="contains")  # the polygon side is prepared: fast on big polygons
    rest = np.ones(len(units), dtype=bool)
    rest[wi] = False
    pieces, source = subdivide(polygons)
    idx = np.flatnonzero(rest)
    ui, pk = shapely.STRtree(pieces).query(units[idx], predicate="intersects")
    area = shapely.area(shapely.intersection(units[idx][ui], pieces[pk]))
    keep = area > 0
    summed = pd.DataFrame({"u": idx[ui[keep]], "p": source[pk[keep]], "a": area[keep]}).groupby(["u", "p"], sort=True)["a"].sum()
    ui = np.concatenate([wi, summed.index.get_level_values(0).to_numpy(np.int64)])
    pj = np.concatenate([wj, summed.index.get_level_values(1).to_numpy(np.int64)])
    return ui, pj, np.concatenate([shapely.area(units[wi]), summed.to_numpy(float)])


def largest_overlap(n: int, ui: np.ndarray, pj: np.ndarray, area: np.ndarray, codes: np.ndarray) -> np.ndarray:
    out = np.full(n, None, dtype=object)
    if len(ui):
        order = np.lexsort((-area, ui))
        first = np.r_[True, ui[order][1:] != ui[order][:-1]]
        out[ui[order][first]] = codes[pj[order][first]]
    return out


def grid_units(regions: np.ndarray, cell_m: float, extent=None) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Cells of a grid anchored at (0, 0) clipped to the regions: (unit ids, clipped geometries, (x, y) of the full squares' centres)."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(regions) if extent is None else extent
    i0, i1 = int(np.floor(xmin / cell_m)), int(np.ceil(xmax / cell_m))
    j0, j1 = int(np.floor(ymin / cell_m)), int(np.ceil(ymax / cell_m))
    ii, jj = np.meshgrid(np.arange(i0, i1), np.arange(j0, j1), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    boxes = shapely.box(ii * cell_m, jj * cell_m, (ii + 1) * cell_m, (jj + 1) * cell_m)
    tree = shapely.STRtree(boxes)  # queried with the regions, so each (big) region polygon is prepared once
    rj, bi = tree.query(regions, predicate="intersects")
    inside = tree.query(regions, predicate="contains")[::-1]  # cells wholly inside one region need no clipping
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
    bounds = np.floor(np.asarray(shapely.total_bounds(regions)) / cell_m).astype(int)  # ids as on the whole grid, clipped or not
    width = max(len(str(abs(int(b)))) for b in [*bounds, i0, i1, j0, j1])
    ids = np.array([f"c{ii[c]:0{width}d}_{jj[c]:0{width}d}" for c in cells], dtype=object)
    centres = ((ii[cells] + 0.5) * cell_m, (jj[cells] + 0.5) * cell_m)
    return ids, geometry, centres


# --- attributes ----------------------------------------------------------------------------

def selected_features(frame, attr: Attribute, path: Path):
    """The features whose columns equal ``attr.where`` (all of them without ``where``), compared as derive conditions
    are (:func:`..derive.matches`: numbers as numbers, booleans as booleans, text by its spelling)."""
    for col in attr.where:
        if col not in frame.columns:
            raise InputError(f"{path}: attribute {attr.name!r}: 'where' names column {col!r}, which the layer does not have; "
                             f"columns: {[c for c in frame.columns if c != 'geometry']}")
    columns = pd.DataFrame(frame[list(attr.where)]).reset_index(drop=True)
    keep = matches(columns, [Condition(attr=col, op="==", value=value) for col, value in attr.where.items()],
                   f"{path.name}: attribute {attr.name!r} where")
    if not keep.any():
        raise InputError(f"{path}: attribute {attr.name!r}: no feature has {attr.where}")
    return frame[keep].reset_index(drop=True)


PIECE_VERTICES = 24  # polygons with more coordinates are cut into pieces for the distance queries


def nearest_features(units: np.ndarray, geom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the nearest feature, distance in CRS units) per unit: STRtree ``query_nearest``, first match on ties."""
    (_, nearest), dist = shapely.STRtree(geom).query_nearest(units, return_distance=True, all_matches=False)
    return nearest, dist


def nearest_km(units: np.ndarray, geom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the nearest feature, distance in km rounded to 4 decimals) per unit: exactly the values of
    :func:`nearest_features` (``np.round(dist / 1000, 4)``), found faster for polygons with many vertices.

    Such polygons are cut into :func:`subdivide` pieces of at most ``PIECE_VERTICES`` coordinates, which tile them, so the
    nearest piece is as far as the nearest polygon up to rounding (about 1e-10 m, where GEOS's brute-force distance to a
    town's 49 vertices costs most of a query). Two things could still differ, and those units are asked again of the
    whole features: a distance within 1e-6 m of a rounding boundary of 0.1 m, and a unit with a second feature within
    1e-6 m of the nearest (a tie, which the whole-feature query breaks in its own order).
    """
    if len(units) and (shapely.get_type_id(geom) == 0).all() and len(geom) <= 4096:
        return nearest_points_km(units, geom)
    polygonal = np.isin(shapely.get_type_id(geom), (3, 6))
    if not len(units) or not polygonal.all() or shapely.get_num_coordinates(geom).max() <= PIECE_VERTICES:
        nearest, dist = nearest_features(units, geom)
        return nearest, np.round(dist / 1000.0, 4)
    pieces, source = subdivide(geom, PIECE_VERTICES)
    (_, piece), dist = shapely.STRtree(pieces).query_nearest(units, return_distance=True, all_matches=False)
    nearest, tolerance = source[piece], 1e-6
    tenths = dist / 1000.0 * 1e4  # the value np.round(., 4) rounds to a whole number
    unsure = np.abs(tenths - np.floor(tenths) - 0.5) < tolerance * 10
    within = shapely.STRtree(geom).query(units, predicate="dwithin", distance=dist + tolerance)[0]
    unsure |= np.bincount(within, minlength=len(units)) != 1
    again = np.flatnonzero(unsure)
    if len(again):
        nearest[again], dist[again] = nearest_features(units[again], geom)
    return nearest, np.round(dist / 1000.0, 4)


def axis_aligned(units: np.ndarray) -> np.ndarray:
    """Units that are rectangles with sides along the axes (grid cells that were not clipped): a polygon of 5
    coordinates, no holes, whose area is its bounding box's."""
    x0, y0, x1, y1 = shapely.bounds(units).T
    return ((shapely.get_type_id(units) == 3) & (shapely.get_num_coordinates(units) == 5)
            & (shapely.get_num_interior_rings(units) == 0) & (shapely.area(units) == (x1 - x0) * (y1 - y0)))


def nearest_points_km(units: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nearest_km` to point features, in numpy for rectangular units: the distance from a point to an axis-aligned
    rectangle is ``hypot(max(x0 - px, 0, px - x1), max(y0 - py, 0, py - y1))``, 3.5 M cells × 40 points in seconds where
    a GEOS query per cell took 10-40 s. As for pieces, a unit near a rounding boundary or with a second point within
    1e-6 m, and every other unit (a clipped cell), is asked of GEOS (:func:`nearest_features`)."""
    n, tolerance = len(units), 1e-6
    px, py = shapely.get_x(points), shapely.get_y(points)
    nearest, dist = np.zeros(n, dtype=np.int64), np.zeros(n)
    unsure = ~axis_aligned(units)
    rect = np.flatnonzero(~unsure)
    bounds = shapely.bounds(units[rect])
    step = max(1, 4_000_000 // len(points))
    for k in range(0, len(rect), step):
        x0, y0, x1, y1 = (b[:, None] for b in bounds[k:k + step].T)
        d = np.hypot(np.maximum(np.maximum(x0 - px, 0.0), px - x1), np.maximum(np.maximum(y0 - py, 0.0), py - y1))
        best = d.argmin(axis=1)
        rows = rect[k:k + step]
        nearest[rows], dist[rows] = best, d[np.arange(len(best)), best]
        if len(points) > 1:
            unsure[rows] |= np.partition(d, 1, axis=1)[:, 1] - dist[rows] < tolerance  # a tie: GEOS breaks it its own way
    tenths = dist / 1000.0 * 1e4
    unsure |= np.abs(tenths - np.floor(tenths) - 0.5) < tolerance * 10
    again = np.flatnonzero(unsure)
    if len(again):
        nearest[again], dist[again] = nearest_features(units[again], points)
    return nearest, np.round(dist / 1000.0, 4)


def vector_attribute(units: np.ndarray, frame, attr: Attribute, nearest_of=None) -> np.ndarray:
    """One vector attribute per unit. ``nearest_of(geom)`` answers :func:`nearest_km` for these units (the build passes
    one that remembers the answer, so ``distance_km`` and ``nearest`` of the same features query once)."""
    geom = frame.geometry.to_numpy()
    if attr.how in ("distance_km", "nearest"):
        nearest, km = (nearest_of or (lambda g: nearest_km(units, g)))(geom)
        if attr.how == "distance_km":
            return km
        if attr.column is None or attr.column not in frame.columns:
            raise InputError(f"attribute {attr.name!r}: 'nearest' needs 'column' naming one of {list(frame.columns)}")
        return frame[attr.column].to_numpy()[nearest]
    n = len(units)
    if attr.how == "intersects":
        out = np.zeros(n, bool)
        out[shapely.STRtree(geom).query(units, predicate="intersects")[0]] = True
        return out
    if attr.how == "share":  # the union first, so overlapping features do not count twice
        ui, _, area = overlaps(units, shapely.get_parts(shapely.union_all(geom)))
        covered = np.bincount(ui, weights=area, minlength=n)
        return np.round(np.clip(covered / shapely.area(units), 0, 1), 4)
    ui, pj, area = overlaps(units, geom)
    if attr.column is None or attr.column not in frame.columns:
        raise InputError(f"attribute {attr.name!r}: 'majority' on a vector layer needs 'column' naming one of {list(frame.columns)}")
    values = frame[attr.column].to_numpy(dtype=object)
    by = pd.DataFrame({"unit": ui, "value": values[pj], "area": area}).groupby(["unit", "value"], sort=True)["area"].sum().reset_index()
    by = by.sort_values(["unit", "area"], ascending=[True, False], kind="stable").drop_duplicates("unit")
    out = np.full(n, None, dtype=object)
    out[by["unit"].to_numpy()] = by["value"].to_numpy()
    return out


def burned_units(geoms: np.ndarray, shape: tuple[int, int], transform) -> np.ndarray:
    """Pixel → 1 + index of the unit that rasterio's ``rasterize`` burns into it (0: none), as an int32 array of ``shape``.

    The same call as burning every unit in order (a pixel takes the last unit whose shape holds its centre), but only the
    units within 1 % of a pixel of some pixel centre are passed: a unit that holds no pixel centre burns nothing
    (``all_touched`` is off), so leaving it out changes no pixel. At 100 m cells on a 1 km raster that is about one unit
    in ten (a centre on a cell corner touches four cells); the rest would cost 50 µs each in rasterio's geometry reading.
    """
    from rasterio import features

    candidates = np.arange(len(geoms))
    if len(geoms):
        x0, y0, x1, y1 = shapely.total_bounds(geoms)
        inv = ~transform
        corners = [(inv.a * x + inv.b * y + inv.c, inv.d * x + inv.e * y + inv.f) for x, y in ((x0, y0), (x1, y1), (x0, y1), (x1, y0))]
        c0 = max(int(np.floor(min(c for c, _ in corners))) - 1, 0)
        c1 = min(int(np.ceil(max(c for c, _ in corners))) + 1, shape[1])
        r0 = max(int(np.floor(min(r for _, r in corners))) - 1, 0)
        r1 = min(int(np.ceil(max(r for _, r in corners))) + 1, shape[0])
        if 0 < (c1 - c0) * (r1 - r0) <= len(geoms):  # fewer pixels than units: most units hold no pixel centre
            cc, rr = np.meshgrid(np.arange(c0, c1) + 0.5, np.arange(r0, r1) + 0.5)
            a, b, c, d, e, f = transform.a, transform.b, transform.c, transform.d, transform.e, transform.f
            centres = shapely.points(a * cc.ravel() + b * rr.ravel() + c, d * cc.ravel() + e * rr.ravel() + f)
            tolerance = 0.01 * min(abs(a) + abs(b), abs(d) + abs(e))
            candidates = np.unique(shapely.STRtree(geoms).query(centres, predicate="dwithin", distance=tolerance)[1])
    if not len(candidates):
        return np.zeros(shape, dtype="int32")
    return features.rasterize(((geoms[i], int(i) + 1) for i in candidates), out_shape=shape, transform=transform, fill=0,
                              dtype="int32")


def pixel_under(band: np.ma.MaskedArray, transform, points: np.ndarray) -> np.ndarray:
    """The band's value (float) at the pixel holding each point; NaN outside the raster or on a masked pixel.

    The values ``src.sample`` gives point by point (rows and columns by ``rowcol``, i.e. floor), for all points at once.
    """
    from rasterio.transform import rowcol

    out = np.full(len(points), np.nan)
    if not len(points):
        return out
    x, y = shapely.get_x(points), shapely.get_y(points)
    rows, cols = np.empty(len(points), dtype=np.int64), np.empty(len(points), dtype=np.int64)
    for k in range(0, len(points), 256):  # in sample's chunks of 256, so that the affine product is the same to the bit
        rows[k:k + 256], cols[k:k + 256] = rowcol(transform, x[k:k + 256], y[k:k + 256])
    inside = (rows >= 0) & (rows < band.shape[0]) & (cols >= 0) & (cols < band.shape[1])
    r, c = rows[inside], cols[inside]
    values = np.ma.getdata(band)[r, c].astype(float)
    out[inside] = np.where(np.ma.getmaskarray(band)[r, c], np.nan, values)
    return out


def raster_attribute(units: np.ndarray, crs: str, path: Path, attr: Attribute) -> np.ndarray:
    require_installed(("rasterio",), extra="gis", purpose="a raster attribute in build")
    import rasterio
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
        index = burned_units(geoms, src.shape, src.transform)
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
            out[missing] = pixel_under(band, src.transform, shapely.point_on_surface(geoms[missing]))
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
        ids, geometry, centres = grid_units(first.geometry.to_numpy(), spec.grid.cell_m, clip_extent(spec, layers))
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
    area = np.round(shapely.area(geometry) / 10_000.0, 6)
    sliver = area <= 0  # a clipped corner under 0.01 m²: no land to allocate, and an area must be > 0
    if sliver.any():
        warnings.append(f"{int(sliver.sum())} units are slivers of under 0.01 m² after clipping; they are left out")
        ids, geometry, area = ids[~sliver], geometry[~sliver], area[~sliver]
        if spec.grid is not None:
            centres = (centres[0][~sliver], centres[1][~sliver])
    units = pd.DataFrame({"unit_id": ids, "area_ha": area})
    if spec.grid is not None:  # the full square's centre and side: the CSV form of a grid cell (docs/instances.md, *The units*)
        units["x"], units["y"], units["cell_m"] = centres[0], centres[1], float(spec.grid.cell_m)
    for k, (r, frame) in enumerate(layers):
        polygons, codes = frame.geometry.to_numpy(), frame[r.code_col].astype(str).to_numpy(dtype=object)
        ui, pj, area = overlaps(geometry, polygons)
        units[r.level] = largest_overlap(len(units), ui, pj, area, codes)
        missing = units[r.level].isna().to_numpy()
        if k > 0 and missing.any():  # slivers between the layers' boundaries: the nearest region
            near = shapely.STRtree(polygons).query_nearest(geometry[missing], all_matches=False)[1]
            units.loc[missing, r.level] = codes[near]
            warnings.append(f"{int(missing.sum())} units overlap no region of level {r.level!r}; they take the nearest one")
    nest_regions(units, layers)
    outside = units[spec.regions[0].level].isna()
    if outside.all():
        raise InputError("no unit overlaps the regions of the first level (empty overlap: check the CRS and extents)")
    if outside.any():
        warnings.append(f"{int(outside.sum())} units lie outside every region of level {spec.regions[0].level!r}; left out")
        units, geometry = units[~outside].reset_index(drop=True), geometry[~outside.to_numpy()]
    if spec.clip is not None:  # after the region codes (a border cell goes where most of it lies), before the attributes
        keep = units[spec.clip.level].isin(spec.clip.codes).to_numpy()
        if not keep.any():
            raise InputError(f"clip: no unit lies in {spec.clip.codes} at level {spec.clip.level!r}")
        units, geometry = units[keep].reset_index(drop=True), geometry[keep]
        progress(f"clip: {len(units):,} units in {', '.join(spec.clip.codes)}")
    nearest_of = NearestCache(geometry)
    for attr in spec.attributes:
        path = base / attr.file
        if is_raster(path):
            units[attr.name] = raster_attribute(geometry, spec.crs, path, attr)
        else:
            if attr.how in ("mean", "max", "min"):
                raise InputError(f"attribute {attr.name!r}: {attr.how!r} needs a raster, and {path.name} is a vector file")
            frame = selected_features(read_vector(path, attr.layer, spec.crs, warnings), attr, path)
            units[attr.name] = vector_attribute(geometry, frame, attr, nearest_of)
        progress(f"attribute {attr.name}: {attr.how} of {path.name}")
    apply_steps(units, spec.derive, base, warnings)
    if "current_use" not in units.columns:
        units["current_use"] = "unknown"
    return units, geometry, warnings


def nest_regions(units: pd.DataFrame, layers: list) -> None:
    """Give each unit the codes its region names for its ``parents`` levels (in place), replacing their own majority:
    a cell takes its municipality, and the COROP region and province of that municipality, so codes nest as the
    layer defines them. A parent code that the parent level's layer does not hold is an :class:`InputError`."""
    codes = {r.level: set(frame[r.code_col].astype(str)) for r, frame in layers}
    for r, frame in layers:
        for level, col in r.parents.items():
            if col not in frame.columns:
                raise InputError(f"{r.file}: no column {col!r} (the {level} of each {r.level}, regions.parents); "
                                 f"columns: {[c for c in frame.columns if c != 'geometry']}")
            parent = dict(zip(frame[r.code_col].astype(str), frame[col].astype(str)))
            unknown = sorted(set(parent.values()) - codes[level])
            if unknown:
                raise InputError(f"{r.file}: column {col!r} names {level} {unknown[0]!r}, which the {level} layer does not hold")
            present = units[r.level].notna().to_numpy()
            values = units[level].to_numpy(dtype=object).copy()
            values[present] = units.loc[present, r.level].map(parent).to_numpy(dtype=object)
            units[level] = values


class NearestCache:
    """:func:`nearest_km` of fixed units, remembered for the last set of features asked (the same geometries in the
    same order): a spec lists a layer's ``distance_km`` and ``nearest`` one after the other, and one answer of 3.5 M
    units is about 60 MB, so only the last one is kept."""

    def __init__(self, units: np.ndarray):
        self.units, self.key, self.answer = units, None, None

    def __call__(self, geom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = tuple(shapely.to_wkb(geom))
        if key != self.key:
            self.key, self.answer = key, nearest_km(self.units, geom)
        return self.answer


def clip_extent(spec: Spec, layers: list) -> Optional[tuple[float, float, float, float]]:
    """The bounds of the clip regions (the grid need not cover the rest of the first level)."""
    if spec.clip is None:
        return None
    r, frame = next((r, f) for r, f in layers if r.level == spec.clip.level)
    chosen = frame[frame[r.code_col].astype(str).isin(spec.clip.codes)]
    if chosen.empty:
        raise InputError(f"clip: no region {spec.clip.codes} at level {spec.clip.level!r}")
    return tuple(shapely.total_bounds(chosen.geometry.to_numpy()))


def region_names(spec: Spec, base: Path, units: pd.DataFrame, warnings: list[str]) -> dict[str, dict[str, str]]:
    """Display names per level and code, from each region layer's ``name_col``, for the codes the units hold."""
    names: dict[str, dict[str, str]] = {}
    for r in spec.regions:
        if r.name_col is None:
            continue
        frame = read_vector(base / r.file, r.layer, spec.crs, warnings)
        if r.name_col not in frame.columns:
            raise InputError(f"{base / r.file}: no column {r.name_col!r} (name_col of level {r.level!r}); "
                             f"columns: {[c for c in frame.columns if c != 'geometry']}")
        table = dict(zip(frame[r.code_col].astype(str), frame[r.name_col].astype(str)))
        names[r.level] = {code: table[code] for code in sorted(units[r.level].unique())}
    return names


def attribute_comments(spec: Spec, units: pd.DataFrame) -> list[str]:
    levels = [r.level for r in spec.regions]
    lines = ["# attributes found (units columns):"]
    for a in units.columns:
        if a in ("unit_id", "area_ha", "x", "y", "cell_m", *levels):
            continue
        col = units[a]
        kind = "bool" if col.dtype == bool else "number" if pd.api.types.is_numeric_dtype(col) else "text"
        lines.append(f"#   {a}: {kind}")
    return lines


def starting_yaml(spec: Spec, units: pd.DataFrame, name: str, names: dict, config: Optional[dict] = None,
                  source: str = "") -> str:
    """instance.yaml: the units' facts (name, crs, units file, regions, region_names), then ``config`` merged on top.

    Without ``config`` it is a starting point with the attributes found listed as comments.
    """
    from ruimtepuzzel.model.inputs.config import deep_merge

    levels = [r.level for r in spec.regions]
    facts = {"name": name, "description": f"built from GIS layers ({len(units):,} units)", "crs": spec.crs,
             "units": spec.output.units, "regions": levels}
    if names:
        facts["region_names"] = names
    if config is None:
        lines = [f"# Built by `ruimtepuzzel build` from {len(spec.attributes)} attribute layers; add claims and demand, then `validate`.",
                 dump_yaml(facts).rstrip(), *attribute_comments(spec, units),
                 "claims:", "  # housing: {value_per_ha: 10, sensitive: true}", "demand: []", "rules: []", ""]
        return "\n".join(lines)
    header = [f"# Built by `ruimtepuzzel build {source}`: edit the spec or its instance file, not this file.",
              *attribute_comments(spec, units)]
    return "\n".join(header) + "\n" + dump_yaml(deep_merge(facts, config))


def dump_yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=140, default_flow_style=None)


def write_units(frame, path: Path, spec: Spec) -> None:
    """units.gpkg (layer ``units``), or for a grid units.csv.gz with the cells' x, y and cell_m (gzip without a timestamp)."""
    import gzip

    if spec.output.units == "units.gpkg":
        frame.drop(columns=[c for c in ("x", "y", "cell_m") if c in frame.columns]).to_file(
            path, layer="units", driver="GPKG", engine="pyogrio")
        return
    text = pd.DataFrame(frame.drop(columns=frame.geometry.name)).to_csv(index=False, lineterminator="\n")
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                compresslevel=spec.output.gzip_level) as gz:
        gz.write(text.encode())


def instance_parts(spec: Spec, base: Path) -> tuple[Optional[dict], list[Path]]:
    """The YAML merged onto instance.yaml (if the spec names one) and the scenario files to copy."""
    config = read_yaml(base / spec.instance) if spec.instance else None
    scenarios: list[Path] = []
    if spec.scenarios:
        folder = base / spec.scenarios
        if not folder.is_dir():
            raise InputError(f"{folder}: the scenarios folder named in the spec does not exist")
        scenarios = sorted(folder.glob("*.yaml"))
    return config, scenarios


def build_instance(spec_path: Path, out: Path, progress=lambda m: None, overrides: Optional[dict] = None) -> tuple[Path, list[str]]:
    require_installed(("geopandas", "pyogrio"), extra="gis", purpose="build")
    import geopandas as gpd

    from ruimtepuzzel.model.outputs.run_folder import staging

    spec_path = Path(spec_path)
    spec = load_spec(spec_path, overrides)
    base = spec_path.parent
    config, scenarios = instance_parts(spec, base)
    units, geometry, warnings = build_units(spec, base, progress)
    names = region_names(spec, base, units, warnings)
    name = spec.name or Path(out).name
    with staging(Path(out)) as tmp:
        frame = gpd.GeoDataFrame(units, geometry=list(geometry), crs=spec.crs)
        write_units(frame, tmp / spec.output.units, spec)
        (tmp / "instance.yaml").write_text(starting_yaml(spec, units, name, names, config, spec_path.name))
        if scenarios:
            (tmp / "scenarios").mkdir()
            for path in scenarios:
                (tmp / "scenarios" / path.name).write_bytes(path.read_bytes())
    return Path(out), warnings
