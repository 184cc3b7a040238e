"""Write ``elevation_nl_1km_land.tif``: the 1 km elevation of the land, unknown (NaN) where the source describes water.

    python instances/data/make_elevation_land.py        # needs h5py (pip install h5py) to read the netCDF-4 mesh

The source, ``elevation_nl.nc`` (Deltares xugrid sample data, MIT), holds one value per triangle of about 8 km²: the
surface at the triangle's centre in m NAP, water bottoms included (the Nieuwe Waterweg at −14.9 m, the Sloe harbour at
−12.6 m, the Amsterdam-Rijnkanaal at −6.5 m). ``elevation_nl_1km.tif`` is those triangles rasterised to 1 km (each
pixel takes the triangle holding its centre); this file is the same raster with the pixels of three kinds of triangles
set to NaN, so that a cell whose elevation came from water is *unknown* (and a missing value never matches a rule):

1. **sea or large water**: less than half of the triangle is land outside the large waters (land: the CBS 2015
   provinces; large waters: ``opp_water_nlmod.gpkg``);
2. **below the lowest land**: a value below ``LOWEST_LAND_M`` (−7 m NAP). The lowest land surface of the Netherlands
   is about −6.8 m NAP (the Zuidplaspolder near Nieuwerkerk aan den IJssel): anything lower is a water bottom (the
   threshold is an estimate from that figure);
3. **a channel or harbour bottom**: a value below ``DEEP_M`` (−5 m NAP, the deep-polder threshold of the instances)
   whose centre lies within ``NEAR_WATER_KM`` (2.5 km, an estimate) of a typed main waterway or port: near the
   shipping routes a deep value is the channel's, not a polder's (the deep polders, the Zuidplas-, Haarlemmermeer- and
   Prins Alexanderpolder, the Wieringermeer, lie further away and keep their values).

The pixels of the other triangles are those of ``elevation_nl_1km.tif`` to the bit.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "elevation_nl.nc"
RASTER = HERE / "elevation_nl_1km.tif"
OUT = HERE / "elevation_nl_1km_land.tif"
LOWEST_LAND_M = -7.0
DEEP_M = -5.0
NEAR_WATER_KM = 2.5
MIN_LAND_SHARE = 0.5


def triangles(path: Path = SOURCE):
    """(triangle polygons, value at each triangle's centre in m NAP, centre points) of the UGRID mesh."""
    import h5py
    import shapely

    with h5py.File(path, "r") as f:
        x, y = f["mesh2d_node_x"][:], f["mesh2d_node_y"][:]
        faces = f["mesh2d_face_nodes"][:]
        value = f["elevation"][:].astype(float)
        centres = shapely.points(f["mesh2d_face_x"][:], f["mesh2d_face_y"][:])
    return shapely.polygons(np.stack([x[faces], y[faces]], axis=-1)), value, centres


def water_triangles(polygons, value, centres) -> dict[str, np.ndarray]:
    """Per rule of the module docstring, a boolean per triangle: whether the rule makes it unknown."""
    import geopandas as gpd
    import shapely

    land = shapely.union_all(gpd.read_file(HERE / "cbs_gebiedsindelingen_2015.gpkg", layer="provincie").geometry.to_numpy())
    water = shapely.union_all(gpd.read_file(HERE / "opp_water_nlmod.gpkg", layer="opp_water").to_crs(28992).geometry.to_numpy())
    dry = shapely.area(shapely.difference(shapely.intersection(polygons, land), water)) / shapely.area(polygons)
    ways = [gpd.read_file(HERE / "typed" / name).to_crs(28992).geometry.to_numpy() for name in ("waterways.geojson", "ports.geojson")]
    near = np.zeros(len(polygons), dtype=bool)
    for geom in ways:
        near[shapely.STRtree(geom).query(centres, predicate="dwithin", distance=NEAR_WATER_KM * 1000)[0]] = True
    return {"sea or large water": dry < MIN_LAND_SHARE, "below the lowest land": value < LOWEST_LAND_M,
            "channel or harbour bottom": (value < DEEP_M) & near}


def main() -> None:
    import rasterio
    from rasterio import features

    polygons, value, centres = triangles()
    rules = water_triangles(polygons, value, centres)
    unknown = np.logical_or.reduce(list(rules.values()))
    with rasterio.open(RASTER) as src:
        band, profile = src.read(1), src.profile
        index = features.rasterize(((g, i + 1) for i, g in enumerate(polygons)), out_shape=src.shape, transform=src.transform,
                                   fill=0, dtype="int32")
    burned = np.where(index > 0, value[index - 1], np.nan).astype(band.dtype)
    if not np.array_equal(burned, band, equal_nan=True):
        raise SystemExit(f"{RASTER.name} is not the triangles of {SOURCE.name} rasterised: not written")
    out = band.copy()
    out[(index > 0) & unknown[np.maximum(index - 1, 0)]] = np.nan
    with rasterio.open(OUT, "w", **profile) as dst:
        dst.write(out, 1)
    for name, hit in rules.items():
        print(f"{name}: {int(hit.sum())} triangles")
    land_pixels = ~np.isnan(band)
    print(f"wrote {OUT.name}: {int((land_pixels & np.isnan(out)).sum())} of {int(land_pixels.sum())} pixels unknown")


if __name__ == "__main__":
    main()
