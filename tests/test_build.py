"""build SPEC --out DIR: units from real CBS boundaries, attributes with known answers."""
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml
from click.testing import CliRunner

from ruimtepuzzel.cli import main
from ruimtepuzzel.model.build.builder import build_instance
from ruimtepuzzel.model.errors import InputError

CBS = Path(__file__).resolve().parents[1] / "instances" / "data" / "cbs_gebiedsindelingen_2015.gpkg"  # shipped with the project


def write_layers(tmp: Path) -> None:
    # a corridor along y = 450 km, in WGS84 (reprojected by build); two "Natura 2000" squares
    line = gpd.GeoSeries([shapely.LineString([(0, 450_000), (300_000, 450_000)])], crs=28992).to_crs(4326)
    gpd.GeoDataFrame({"name": ["corridor"]}, geometry=line).to_file(tmp / "corridor.gpkg", layer="routes")
    squares = [shapely.box(150_000, 460_000, 154_000, 464_000), shapely.box(200_000, 500_000, 201_000, 501_000)]
    gpd.GeoDataFrame({"kind": ["heath", "bog"]}, geometry=squares, crs=28992).to_file(tmp / "n2000.gpkg", layer="sites")
    # a raster of 1 km pixels whose value is the pixel's x index (so a cell's mean is known)
    import rasterio
    from rasterio.transform import from_origin

    width, height = 300, 320
    data = np.tile(np.arange(width, dtype="float32"), (height, 1))
    with rasterio.open(tmp / "flood.tif", "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
                       crs="EPSG:28992", transform=from_origin(0, 630_000, 1000, 1000), nodata=-9999) as dst:
        dst.write(data, 1)


def spec(tmp: Path, cell_m=2000, **extra) -> Path:
    body = {"crs": "EPSG:28992", "grid": {"cell_m": cell_m},
            "regions": [{"level": "province", "file": str(CBS), "layer": "provincie", "code_col": "statcode"},
                        {"level": "corop", "file": str(CBS), "layer": "corop", "code_col": "statcode"}],
            "attributes": [{"name": "dist_corridor_km", "file": "corridor.gpkg", "layer": "routes", "how": "distance_km"},
                           {"name": "natura2000", "file": "n2000.gpkg", "layer": "sites", "how": "intersects"},
                           {"name": "n2000_share", "file": "n2000.gpkg", "layer": "sites", "how": "share"},
                           {"name": "flood_mean", "file": "flood.tif", "how": "mean"}], **extra}
    path = tmp / "spec.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


@pytest.fixture(scope="module")
def nl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("build")
    write_layers(tmp)
    out, _ = build_instance(spec(tmp), tmp / "nl")
    return gpd.read_file(out / "units.gpkg", layer="units"), out


def test_national_grid_from_cbs_boundaries(nl):
    units, _ = nl
    assert sorted(units["province"].unique()) == [f"PV{i}" for i in range(20, 32)]
    assert sorted(units["corop"].unique()) == [f"CR{i:02d}" for i in range(1, 41)]
    polygons = gpd.read_file(CBS, layer="provincie")
    assert units["area_ha"].sum() * 10_000 == pytest.approx(polygons.area.sum(), rel=0.01)
    assert units["province"].notna().all() and units["unit_id"].is_unique
    # every unit in exactly one province: its code is the province holding most of it
    inner = units[units["area_ha"] == 400]
    centres = gpd.GeoDataFrame(geometry=inner.geometry.representative_point(), crs=28992)
    joined = gpd.sjoin(centres, polygons[["statcode", "geometry"]], predicate="within")
    assert (joined["statcode"] == inner.loc[joined.index, "province"]).mean() > 0.99


def test_attributes_with_known_answers(nl):
    units, _ = nl
    u = units.set_index("unit_id")
    # cell c075_230 spans x 150–152 km, y 460–462 km: inside the heath square, 10 km from the corridor at y = 450 km
    assert bool(u.loc["c075_230", "natura2000"]) and u.loc["c075_230", "n2000_share"] == pytest.approx(1.0)
    assert u.loc["c075_230", "dist_corridor_km"] == pytest.approx(10.0, abs=0.01)
    # c100_250 spans x 200–202, y 500–502 km: a quarter covered by the 1 km bog square
    assert u.loc["c100_250", "n2000_share"] == pytest.approx(0.25) and bool(u.loc["c100_250", "natura2000"])
    assert not bool(u.loc["c090_230", "natura2000"])
    # raster value = pixel column: the 2 km cell x 150–152 km covers columns 150 and 151 → mean 150.5
    assert u.loc["c075_230", "flood_mean"] == pytest.approx(150.5)


def test_starting_yaml_validates_once_claims_are_added(nl):
    from ruimtepuzzel.model.inputs.instance import load_instance

    _, out = nl
    text = (out / "instance.yaml").read_text()
    assert "dist_corridor_km: number" in text and "natura2000: bool" in text
    config = yaml.safe_load(text)
    config["claims"] = {"housing": {"value_per_ha": 10}}
    (out / "instance.yaml").write_text(yaml.safe_dump(config))
    inst = load_instance(out)
    assert len(inst.units) > 8000


def test_gis_troubles_are_input_errors(tmp_path):
    write_layers(tmp_path)
    bad = spec(tmp_path)
    body = yaml.safe_load(bad.read_text())
    body["regions"][0]["layer"] = "provinces"
    bad.write_text(yaml.safe_dump(body))
    with pytest.raises(InputError, match=r"no layer 'provinces'; layers present: \['provincie', 'corop', 'gemeente'\]"):
        build_instance(bad, tmp_path / "x")
    # a raster without a CRS
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(tmp_path / "nocrs.tif", "w", driver="GTiff", width=2, height=2, count=1, dtype="float32",
                       transform=from_origin(0, 630_000, 1000, 1000)) as dst:
        dst.write(np.zeros((2, 2), "float32"), 1)
    body = yaml.safe_load(spec(tmp_path, cell_m=50_000).read_text())
    body["attributes"] = [{"name": "x", "file": "nocrs.tif", "how": "mean"}]
    (tmp_path / "s2.yaml").write_text(yaml.safe_dump(body))
    with pytest.raises(InputError, match="the raster has no CRS"):
        build_instance(tmp_path / "s2.yaml", tmp_path / "y")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_build_command(tmp_path):
    write_layers(tmp_path)
    res = CliRunner().invoke(main, ["build", str(spec(tmp_path, cell_m=20_000)), "--out", str(tmp_path / "coarse")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "coarse" / "units.gpkg").exists()


def test_parcels_invalid_geometry_and_empty_overlap(tmp_path):
    # two regions side by side; region B is a self-intersecting "bow tie" that make_valid repairs
    a = shapely.box(0, 0, 1000, 1000)
    bow = shapely.Polygon([(1000, 0), (2000, 1000), (2000, 0), (1000, 1000)])
    gpd.GeoDataFrame({"code": ["A", "B"]}, geometry=[a, bow], crs=28992).to_file(tmp_path / "regions.gpkg", layer="prov")
    parcels = [shapely.box(100, 100, 900, 900), shapely.box(700, 0, 1200, 500), shapely.box(1600, 400, 1900, 600)]
    gpd.GeoDataFrame({"pid": ["p1", "p2", "p3"]}, geometry=parcels, crs=28992).to_file(tmp_path / "parcels.gpkg", layer="parcels")
    # land use: p1 is 3/4 farm (x < 700) and 1/4 town; p3 lies wholly in town
    uses = [shapely.box(0, 0, 700, 1000), shapely.box(700, 0, 2000, 1000)]
    gpd.GeoDataFrame({"use": ["farm", "town"]}, geometry=uses, crs=28992).to_file(tmp_path / "landuse.gpkg", layer="use")
    body = {"parcels": {"file": "parcels.gpkg", "layer": "parcels", "id_col": "pid"},
            "regions": [{"level": "province", "file": "regions.gpkg", "layer": "prov", "code_col": "code"}],
            "attributes": [{"name": "current_use", "file": "landuse.gpkg", "layer": "use", "column": "use", "how": "majority"}]}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(body))
    out, warnings = build_instance(tmp_path / "spec.yaml", tmp_path / "out")
    assert any("invalid geometries repaired with make_valid" in w for w in warnings)
    units = gpd.read_file(out / "units.gpkg", layer="units").set_index("unit_id")
    assert units.loc["p1", "area_ha"] == pytest.approx(64) and units.loc["p1", "province"] == "A"
    assert units.loc["p2", "province"] == "A"  # 300 × 500 m = 15 ha in A beats the 8 ha it shares with the bow tie
    assert units.loc["p3", "province"] == "B"
    assert units.loc["p1", "current_use"] == "farm" and units.loc["p3", "current_use"] == "town"
    # parcels far away from every region: an empty overlap is an input error
    far = [shapely.box(90_000, 0, 91_000, 1000)]
    gpd.GeoDataFrame({"pid": ["x"]}, geometry=far, crs=28992).to_file(tmp_path / "far.gpkg", layer="parcels")
    body["parcels"]["file"] = "far.gpkg"
    (tmp_path / "spec2.yaml").write_text(yaml.safe_dump(body))
    with pytest.raises(InputError, match="empty overlap"):
        build_instance(tmp_path / "spec2.yaml", tmp_path / "out2")


# --- the features the Dutch instances need: names, filters, nearest values, derived classes, quotas, clip, CSV ----

def small_world(tmp: Path) -> Path:
    """Two provinces A (x < 2 km) and B (x 2–4 km), 0–2 km high, in 1 km cells; a road along x = 500 (A) and a
    rail line along x = 3,500 (B); a town square over cell (0, 1); a quota table asking 150 ha of parks in A."""
    regions = gpd.GeoDataFrame({"code": ["A", "B"], "nm": ["Alpha", "Beta"]},
                               geometry=[shapely.box(0, 0, 2000, 2000), shapely.box(2000, 0, 4000, 2000)], crs=28992)
    regions.to_file(tmp / "regions.gpkg", layer="prov")
    routes = gpd.GeoDataFrame({"name": ["road", "rail"], "mode": ["road", "rail"], "freight": [True, False]},
                              geometry=[shapely.LineString([(500, 0), (500, 2000)]), shapely.LineString([(3500, 0), (3500, 2000)])], crs=28992)
    routes.to_file(tmp / "routes.gpkg", layer="routes")
    towns = gpd.GeoDataFrame({"name": ["Town"], "population": [120_000]}, geometry=[shapely.box(0, 1000, 1000, 2000)], crs=28992)
    towns.to_file(tmp / "towns.gpkg", layer="towns")
    (tmp / "stock.csv").write_text("province,ha\nA,150\nB,0\n")
    return tmp


def small_spec(tmp: Path, **extra) -> Path:
    body = {"grid": {"cell_m": 1000}, "output": {"units": "units.csv.gz"},
            "regions": [{"level": "province", "file": "regions.gpkg", "layer": "prov", "code_col": "code", "name_col": "nm"}],
            "attributes": [
                {"name": "dist_road_km", "file": "routes.gpkg", "how": "distance_km", "where": {"mode": "road"}},
                {"name": "dist_freight_km", "file": "routes.gpkg", "how": "distance_km", "where": {"freight": True}},
                {"name": "nearest_route", "file": "routes.gpkg", "column": "name", "how": "nearest"},
                {"name": "town_share", "file": "towns.gpkg", "how": "share"},
                {"name": "town_population", "file": "towns.gpkg", "column": "population", "how": "nearest"}],
            "derive": [
                {"classes": {"name": "current_use", "default": "agriculture",
                             "cases": [{"value": "housing", "when": [{"attr": "town_share", "op": ">", "value": 0.5}]}]}},
                {"quota": {"column": "current_use", "value": "business_park", "level": "province",
                           "targets": {"file": "stock.csv", "region_col": "province", "value_col": "ha"},
                           "among": [{"attr": "current_use", "op": "==", "value": "agriculture"}],
                           "rank_by": [{"attr": "dist_road_km"}], "set": {"category": "3.2"}}},
                {"classes": {"name": "big_town_park", "default": False,
                             "cases": [{"value": True, "when": [{"attr": "current_use", "op": "==", "value": "business_park"},
                                                                {"attr": "town_population", "op": ">=", "value": 100_000}]}]}}],
            **extra}
    path = tmp / "small.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def read_units(folder: Path):
    import pandas as pd

    return pd.read_csv(folder / "units.csv.gz", dtype={"category": str}).set_index("unit_id")


def test_names_filters_nearest_classes_and_quotas(tmp_path):
    out, _ = build_instance(small_spec(small_world(tmp_path)), tmp_path / "out")
    u = read_units(out)
    assert sorted(u.index) == ["c0_0", "c0_1", "c1_0", "c1_1", "c2_0", "c2_1", "c3_0", "c3_1"]
    assert u.loc["c0_0", ["x", "y", "cell_m"]].tolist() == [500.0, 500.0, 1000.0]  # the CSV form of a grid cell
    # where: the road only (x = 500), or the freight routes only (the road again); nearest: the closest feature's value
    assert u.loc["c3_0", "dist_road_km"] == pytest.approx(2.5) and u.loc["c3_0", "dist_freight_km"] == pytest.approx(2.5)
    assert u.loc["c3_0", "nearest_route"] == "rail" and u.loc["c1_0", "nearest_route"] == "road"
    assert u.loc["c0_0", "town_population"] == 120_000
    # classes: the town cell is housing; quota: 150 ha of parks in A among farmland, nearest to the road first:
    # c0_0 (0 km) then c1_0 / c1_1 (0.5 km, tie broken by unit_id), so c0_0 and c1_0 (the second one overshoots by < 1 cell)
    assert u.loc["c0_1", "current_use"] == "housing"
    parks = sorted(u.index[u["current_use"] == "business_park"])
    assert parks == ["c0_0", "c1_0"] and u.loc[parks, "category"].tolist() == ["3.2", "3.2"]
    assert u.loc["c1_1", "current_use"] == "agriculture" and u["category"].isna().sum() == 6
    assert u.loc[parks, "big_town_park"].all() and not u.loc["c1_1", "big_town_park"]
    config = yaml.safe_load((out / "instance.yaml").read_text())
    assert config["region_names"] == {"province": {"A": "Alpha", "B": "Beta"}} and config["units"] == "units.csv.gz"


def test_clip_extends_instance_file_and_scenarios(tmp_path):
    small_world(tmp_path)
    base = small_spec(tmp_path)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "instance.yaml").write_text(yaml.safe_dump(
        {"claims": {"housing": {"value_per_ha": 1}}, "demand": [{"level": "province", "region": "B", "claim": "housing", "min_ha": 50}]}))
    (tmp_path / "conf" / "scenarios").mkdir()
    (tmp_path / "conf" / "scenarios" / "more.yaml").write_text("demand: [{level: province, region: B, claim: housing, min_ha: 80}]\n")
    child = tmp_path / "child.yaml"
    child.write_text(yaml.safe_dump({"extends": base.name, "name": "b-only", "clip": {"level": "province", "codes": ["B"]},
                                     "instance": "conf/instance.yaml", "scenarios": "conf/scenarios"}))
    out, _ = build_instance(child, tmp_path / "out")
    u = read_units(out)
    assert set(u["province"]) == {"B"} and len(u) == 4
    assert (u["current_use"] == "agriculture").all()  # B asks no parks
    config = yaml.safe_load((out / "instance.yaml").read_text())
    assert config["name"] == "b-only" and config["region_names"] == {"province": {"B": "Beta"}}
    assert config["demand"][0]["min_ha"] == 50 and (out / "scenarios" / "more.yaml").exists()
    from ruimtepuzzel.model.inputs.instance import load_instance

    inst = load_instance(out, "more")
    assert inst.config.demand[0].min_ha == 80 and inst.config.region_names["province"]["B"] == "Beta"


def test_subdivided_shares_equal_the_plain_intersection():
    from ruimtepuzzel.model.build.builder import overlaps, subdivide

    ring = shapely.Point(5000, 5000).buffer(4000, quad_segs=400)  # 1,600 vertices: cut into pieces
    pieces, source = subdivide(np.array([ring]), max_vertices=64)
    assert len(pieces) > 8 and set(source) == {0}
    assert shapely.area(pieces).sum() == pytest.approx(ring.area, rel=1e-9)
    cells = shapely.box(*np.array([(i * 1000, j * 1000, i * 1000 + 1000, j * 1000 + 1000) for i in range(10) for j in range(10)]).T)
    ui, pj, area = overlaps(cells, np.array([ring]))
    plain = shapely.area(shapely.intersection(cells, ring))
    got = np.zeros(len(cells))
    np.add.at(got, ui, area)
    assert got == pytest.approx(plain, abs=1e-6) and (pj == 0).all()


def test_derive_and_spec_errors_are_input_errors(tmp_path):
    small_world(tmp_path)
    spec_path = small_spec(tmp_path)
    body = yaml.safe_load(spec_path.read_text())
    body["derive"][0]["classes"]["cases"][0]["when"][0]["attr"] = "no_such_column"
    spec_path.write_text(yaml.safe_dump(body))
    with pytest.raises(InputError, match="derive 'current_use': no column 'no_such_column'"):
        build_instance(spec_path, tmp_path / "a")
    body = yaml.safe_load(small_spec(tmp_path).read_text())
    body["attributes"][0]["where"] = {"mode": "ferry"}
    spec_path.write_text(yaml.safe_dump(body))
    with pytest.raises(InputError, match=r"no feature has \{'mode': 'ferry'\}"):
        build_instance(spec_path, tmp_path / "b")
    (tmp_path / "stock.csv").write_text("province,ha\nA,lots\n")
    with pytest.raises(InputError, match="stock.csv: column 'ha' must be numeric; line 2 has 'lots'"):
        build_instance(small_spec(tmp_path), tmp_path / "c")
    loop = tmp_path / "loop.yaml"
    loop.write_text("extends: loop.yaml\n")
    with pytest.raises(InputError, match="'extends' loops back"):
        build_instance(loop, tmp_path / "d")
    body = yaml.safe_load(small_spec(tmp_path).read_text())
    body["clip"] = {"level": "corop", "codes": ["X"]}
    spec_path.write_text(yaml.safe_dump(body))
    with pytest.raises(InputError, match="clip.level 'corop' is not one of the region levels"):
        build_instance(spec_path, tmp_path / "e")
    assert not any((tmp_path / n).exists() for n in "abcde")


def test_region_names_must_name_known_levels(tmp_path):
    from ruimtepuzzel.model.inputs.schema import InstanceConfig

    ok = InstanceConfig.model_validate({"name": "x", "regions": ["province"], "claims": {"h": {}},
                                        "region_names": {"province": {363: "Amsterdam", "0363": "A"}}})
    assert ok.region_names["province"] == {"363": "Amsterdam", "0363": "A"}
    with pytest.raises(Exception, match=r"region_names: levels \['corop'\] are not in regions"):
        InstanceConfig.model_validate({"name": "x", "regions": ["province"], "claims": {"h": {}}, "region_names": {"corop": {}}})

