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

CBS = Path(__file__).resolve().parents[2] / "shared" / "data" / "cbs_gebiedsindelingen_2015.gpkg"
pytestmark = pytest.mark.skipif(not CBS.exists(), reason="shared CBS boundaries not present")


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
