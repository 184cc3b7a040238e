"""The fast paths of `build` give exactly the values of the code they replaced.

The oracles below are the replaced code, kept verbatim: zonal statistics of a raster by burning every unit and sampling
the pixel under each unit that holds no pixel centre one point at a time (``src.sample``), and the distance to, and the
attribute of, the nearest feature by one STRtree ``query_nearest`` over the whole features. They run on a real region at
100 m: the cells of the COROP region IJmond (CR20: the Tata Steel cluster, the IJmuiden port, the North Sea coast and the
Noordzeekanaal, so whole cells, cells clipped to the coast and cells on both sides of several town edges), with the
project's real layers (instances/data).
"""
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from ruimtepuzzel.model.build import builder
from ruimtepuzzel.model.build.builder import Attribute

DATA = Path(__file__).resolve().parents[1] / "instances" / "data"
ELEVATION = DATA / "elevation_nl_1km.tif"


def old_raster_attribute(units: np.ndarray, path: Path, how: str) -> np.ndarray:
    """The zonal statistic as ``build`` computed it before its fast paths (same CRS case)."""
    import rasterio
    from rasterio import features

    with rasterio.open(path) as src:
        band = src.read(1, masked=True)
        index = features.rasterize(((g, i + 1) for i, g in enumerate(units)), out_shape=src.shape, transform=src.transform,
                                   fill=0, dtype="int32")
        valid = (index > 0) & ~np.ma.getmaskarray(band)
        frame = pd.DataFrame({"unit": index[valid] - 1, "value": np.asarray(band)[valid]})
        if how == "majority":
            stat = frame.groupby("unit")["value"].agg(lambda s: s.value_counts().sort_index().idxmax())
        else:
            stat = frame.groupby("unit")["value"].agg(how)
        out = np.full(len(units), np.nan)
        out[stat.index.to_numpy()] = stat.to_numpy(float)
        missing = np.flatnonzero(np.isnan(out))
        if len(missing):
            pts = shapely.point_on_surface(units[missing])
            sampled = np.array([v[0] for v in src.sample(zip(shapely.get_x(pts), shapely.get_y(pts)), masked=True)], dtype=object)
            out[missing] = [np.nan if np.ma.is_masked(v) else float(v) for v in sampled]
    return np.round(out, 6)


def old_nearest(units: np.ndarray, geom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(nearest feature, distance in km rounded to 4 decimals) as ``build`` computed them before its fast paths."""
    (_, nearest), dist = shapely.STRtree(geom).query_nearest(units, return_distance=True, all_matches=False)
    return nearest, np.round(dist / 1000.0, 4)


@pytest.fixture(scope="module")
def ijmond() -> np.ndarray:
    corop = gpd.read_file(DATA / "cbs_gebiedsindelingen_2015.gpkg", layer="corop").to_crs(28992)
    region = corop.loc[corop["statcode"] == "CR20"].geometry.to_numpy()
    _, geometry, _ = builder.grid_units(region, 100.0)
    assert len(geometry) > 15_000 and (shapely.area(geometry) < 9_999).sum() > 500  # whole cells and clipped ones
    return geometry


@pytest.mark.parametrize("how", ["mean", "max", "min", "majority"])
def test_raster_statistic_is_the_old_one_on_a_real_region(ijmond, how):
    new = builder.raster_attribute(ijmond, "EPSG:28992", ELEVATION, Attribute(name="e", file="e.tif", how=how))
    old = old_raster_attribute(ijmond, ELEVATION, how)
    assert np.array_equal(new, old, equal_nan=True)
    assert np.isfinite(new).sum() > 0.9 * len(new)


def test_raster_on_cells_larger_than_the_pixels_is_the_old_one(ijmond):
    """Units holding many pixel centres (coarse units on a fine raster): every unit is burned, as before."""
    import rasterio
    from rasterio.transform import from_origin

    coarse = shapely.get_parts(shapely.coverage_union_all(ijmond))  # IJmond as a few big polygons
    cells = np.concatenate([coarse, ijmond[:50]])
    with rasterio.open(ELEVATION) as src:
        data = src.read(1)
    fine = np.kron(data, np.ones((10, 10), dtype=data.dtype))  # 100 m pixels, shifted by 37 m
    path = Path(__file__).parent / "_fine.tif"
    try:
        with rasterio.open(path, "w", driver="GTiff", width=fine.shape[1], height=fine.shape[0], count=1, dtype=fine.dtype,
                           crs="EPSG:28992", transform=from_origin(37, 625_037, 100, 100), nodata=np.nan) as dst:
            dst.write(fine, 1)
        new = builder.raster_attribute(cells, "EPSG:28992", path, Attribute(name="e", file="e.tif", how="mean"))
        assert np.array_equal(new, old_raster_attribute(cells, path, "mean"), equal_nan=True)
    finally:
        path.unlink(missing_ok=True)


@pytest.mark.parametrize("layer,where", [("towns", {}), ("industry_clusters", {}), ("ports", {}),
                                         ("freight_routes", {"mode": "road"}), ("waterways", {"river": True})])
def test_distance_and_nearest_are_the_old_ones_on_a_real_region(ijmond, layer, where):
    path = DATA / "typed" / f"{layer}.geojson"
    attr = Attribute(name="d", file=path.name, how="distance_km", where=where)
    frame = builder.selected_features(builder.read_vector(path, None, "EPSG:28992", []), attr, path)
    nearest, km = builder.nearest_km(ijmond, frame.geometry.to_numpy())
    old_index, old_km = old_nearest(ijmond, frame.geometry.to_numpy())
    assert np.array_equal(km, old_km)
    assert np.array_equal(nearest, old_index)
    assert builder.vector_attribute(ijmond, frame, attr).tolist() == old_km.tolist()


def test_towns_go_through_the_pieces():
    """The towns layer is the one the pieces are for: polygons of more than PIECE_VERTICES coordinates."""
    towns = gpd.read_file(DATA / "typed" / "towns.geojson")
    assert shapely.get_num_coordinates(towns.geometry.to_numpy()).max() > builder.PIECE_VERTICES


def circle(x: float, y: float, r: float) -> shapely.Polygon:
    return shapely.Point(x, y).buffer(r, quad_segs=16)  # 65 coordinates: cut into pieces


def asked_again(monkeypatch) -> list[int]:
    """The numbers of units :func:`nearest_km` asks the whole features again, call by call."""
    calls, whole = [], builder.nearest_features

    def spy(units, geom):
        calls.append(len(units))
        return whole(units, geom)

    monkeypatch.setattr(builder, "nearest_features", spy)
    return calls


def test_nearest_on_a_tie_is_the_whole_feature_query(monkeypatch):
    """Two equal towns over each other: the cells inside both are a tie, broken as the whole-feature query breaks it."""
    towns = np.array([circle(500, 500, 300), circle(500, 500, 300), circle(2000, 500, 200)], dtype=object)
    cells = shapely.box(*np.meshgrid(np.arange(0, 2500, 100.0), [400.0]), *np.meshgrid(np.arange(100, 2600, 100.0), [500.0]))
    cells = cells.ravel()
    calls = asked_again(monkeypatch)
    nearest, km = builder.nearest_km(cells, towns)
    assert calls and 6 <= calls[0] < len(cells)  # the cells within 300 m of the two centres, and those on a tie
    old_index, old_km = old_nearest(cells, towns)
    assert np.array_equal(nearest, old_index) and np.array_equal(km, old_km)
    assert km[5] == 0.0 and km[24] == pytest.approx(0.2, abs=1e-4)  # x 2,400 m; the third town ends at 2,200 m


def test_distance_on_a_rounding_boundary_is_the_whole_feature_distance(monkeypatch):
    """A cell 0.05 m (half of the last decimal) from a town: rounded as the whole-feature distance rounds."""
    town = shapely.Polygon([(0, 0), *[(10.0 * k, -1.0 - (k % 2)) for k in range(1, 30)], (300, 0), (300, 300), (0, 300)])
    cells = np.array([shapely.box(100, 300.05, 200, 400.05), shapely.box(100, 300.15, 200, 400.15),
                      shapely.box(400.04999, 100, 500, 200)], dtype=object)
    calls = asked_again(monkeypatch)
    nearest, km = builder.nearest_km(cells, np.array([town], dtype=object))
    assert calls == [2]  # 0.05 m and 0.15 m are rounding boundaries; 100.04999 m is not
    assert np.array_equal(km, old_nearest(cells, np.array([town], dtype=object))[1])


def test_build_writes_the_gzip_level_asked(tmp_path):
    import gzip

    frame = gpd.GeoDataFrame({"unit_id": ["a", "b"], "area_ha": [1.0, 1.0], "x": [50.0, 150.0], "y": [50.0, 50.0],
                              "cell_m": [100.0, 100.0]}, geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)])
    texts = []
    for level in (9, 6):
        spec = builder.Spec.model_validate({"grid": {"cell_m": 100}, "regions": [{"level": "p", "file": "f", "code_col": "c"}],
                                            "output": {"units": "units.csv.gz", "gzip_level": level}})
        builder.write_units(frame, tmp_path / f"{level}.csv.gz", spec)
        texts.append(gzip.decompress((tmp_path / f"{level}.csv.gz").read_bytes()))
    assert texts[0] == texts[1] and texts[0].startswith(b"unit_id,area_ha,x,y,cell_m\na,1.0,50.0,50.0,100.0\n")
    with pytest.raises(ValueError):
        builder.Spec.model_validate({"grid": {"cell_m": 100}, "regions": [{"level": "p", "file": "f", "code_col": "c"}],
                                     "output": {"units": "units.csv.gz", "gzip_level": 0}})
