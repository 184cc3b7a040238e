"""The table's map: region boundaries, place names and unit centroids in longitude and latitude.

The boundaries are the instance's own units dissolved by the first region level (grid cells or
parcels unioned per region, then simplified), so the map needs no other data and no other
host; everything is reprojected from the instance's CRS to EPSG:4326 with pyproj.
"""
from __future__ import annotations

import json
from typing import Optional

import numpy as np
import shapely
from pyproj import Transformer

DECIMALS = 5  # about a metre in latitude


def _transformer(crs: str) -> Transformer:
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _lonlat(transformer: Transformer, geom):
    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.set_precision(shapely.transform(geom, project), 10.0 ** -DECIMALS)


def _cell_m(instance) -> Optional[float]:
    grid = instance.grid
    if not grid:
        return None
    sizes = np.atleast_1d(np.asarray(grid["cell_m"], float))
    return float(sizes[0]) if len(sizes) and np.all(sizes == sizes[0]) else None


def table_geometry(instance) -> dict:
    """``{"regions": FeatureCollection, "labels": [...], "units": {...}, "bbox": [...]}`` as the protocol says."""
    crs = instance.config.crs
    to4326 = _transformer(crs)
    geoms = instance.geometry
    cell = _cell_m(instance)
    if instance.grid:
        x, y = np.asarray(instance.grid["x"], float), np.asarray(instance.grid["y"], float)
    else:
        centres = shapely.centroid(geoms)
        x, y = shapely.get_x(centres), shapely.get_y(centres)
    lon, lat = to4326.transform(x, y)
    config = instance.config
    features, labels = [], []
    levels = list(instance.levels)
    tolerance = (cell or 100.0) / 2
    if levels:
        level = levels[0]
        codes = instance.region_codes(level).astype(str)
        for code in sorted(np.unique(codes)):
            shape = shapely.simplify(shapely.union_all(geoms[codes == code]), tolerance, preserve_topology=True)
            point = shapely.point_on_surface(shape)
            name = config.region_name(level, code)
            features.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(_lonlat(to4326, shape))),
                             "properties": {"code": code, "name": name, "level": level}})
            plon, plat = to4326.transform(shapely.get_x(point), shapely.get_y(point))
            labels.append({"name": name, "lon": round(float(plon), DECIMALS), "lat": round(float(plat), DECIMALS), "level": level})
    for level in levels[1:]:  # finer levels: a label at the unit nearest each region's mean centroid
        codes = instance.region_codes(level).astype(str)
        for code in sorted(np.unique(codes)):
            inside = np.flatnonzero(codes == code)
            mx, my = x[inside].mean(), y[inside].mean()
            near = inside[np.argmin((x[inside] - mx) ** 2 + (y[inside] - my) ** 2)]
            labels.append({"name": config.region_name(level, code), "lon": round(float(lon[near]), DECIMALS),
                           "lat": round(float(lat[near]), DECIMALS), "level": level})
    return {
        "regions": {"type": "FeatureCollection", "features": features},
        "labels": labels,
        "units": {"unit_id": [str(u) for u in instance.unit_ids()], "lon": np.round(lon, DECIMALS).tolist(),
                  "lat": np.round(lat, DECIMALS).tolist(), "cell_m": cell,
                  "area_ha": np.round(instance.units["area_ha"].to_numpy(dtype=float), 4).tolist()},
        "bbox": [round(float(np.min(lon)), DECIMALS), round(float(np.min(lat)), DECIMALS),
                 round(float(np.max(lon)), DECIMALS), round(float(np.max(lat)), DECIMALS)],
    }
