"""The built-in Dutch instances: regenerable, valid, consistent with their SOURCES.md,
in the right proportions against the real CBS boundaries, and the default solves."""
import gzip
import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.prepare.pairs import prepare
from ruimtepuzzel.model.pipeline import solve_instance

from .checker import check

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
NAMES = ["nl-provinces", "zuid-holland", "noord-brabant"]
SCENARIOS = ["low-demand", "high-demand", "wbs-strict-2022", "wbs-2024"]
CBS = ROOT.parent / "shared" / "data" / "cbs_gebiedsindelingen_2015.gpkg"
PROVINCES = [f"PV{i}" for i in range(20, 32)]
CLAIMS = {"housing", "energy", "circular", "logistics", "campus", "business", "industry"}


def generator(name):
    sys.path.insert(0, str(INSTANCES))
    spec = importlib.util.spec_from_file_location(name, INSTANCES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def markdown_tables(path: Path) -> list[pd.DataFrame]:
    """Every pipe table of a markdown file, numbers with thousands separators parsed."""
    tables, block = [], []
    for line in path.read_text().splitlines() + [""]:
        if line.startswith("|"):
            block.append([c.strip().strip("*").replace(",", "") for c in line.strip().strip("|").split("|")])
        elif block:
            header, rows = block[0], [r for r in block[2:]]
            tables.append(pd.DataFrame(rows, columns=header))
            block = []
    return tables


def table_with(path: Path, *columns: str) -> pd.DataFrame:
    for t in markdown_tables(path):
        if all(c in t.columns for c in columns):
            return t
    raise AssertionError(f"{path}: no table with columns {columns}")


def config(name):
    return yaml.safe_load((INSTANCES / name / "instance.yaml").read_text())


def demand(name):
    return pd.DataFrame(config(name)["demand"])


@pytest.mark.parametrize("name", NAMES)
def test_committed_files_are_what_the_generator_writes(tmp_path, name):
    make_nl = generator("make_nl")
    out = make_nl.build(name, tmp_path / name)
    for path in sorted((INSTANCES / name).rglob("*")):
        rel = path.relative_to(INSTANCES / name)
        if path.is_dir() or rel.name == "SOURCES.md":
            continue
        if path.suffix == ".gz":
            assert gzip.decompress((out / rel).read_bytes()) == gzip.decompress(path.read_bytes()), rel
        else:
            assert (out / rel).read_text() == path.read_text(), rel


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scenario", [None] + SCENARIOS)
def test_every_instance_and_scenario_is_valid(name, scenario):
    inst = load_instance(INSTANCES / name, scenario)
    prep = prepare(inst)
    assert len(prep.pairs) > 1000
    assert set(inst.config.claims) == CLAIMS
    eligible = prep.pairs.groupby("claim", observed=True)["used_ha"].sum()
    assert (eligible > 0).all() and len(eligible) == 7


def test_national_regions_and_areas_match_sources():
    sources = INSTANCES / "nl-provinces" / "SOURCES.md"
    units = pd.read_csv(INSTANCES / "nl-provinces" / "units.csv.gz")
    assert sorted(units["province"].unique()) == PROVINCES
    assert sorted(units["corop"].unique()) == [f"CR{i:02d}" for i in range(1, 41)]
    areas = table_with(sources, "province", "land area 2015 (ha)", "instance area (ha)")
    areas = areas[areas["province"] != ""].set_index("province")
    got = units.groupby("province")["area_ha"].sum()
    assert got.to_dict() == areas["instance area (ha)"].astype(float).to_dict()
    land = areas["land area 2015 (ha)"].astype(float)
    share_ratio = (got / got.sum()) / (land / land.sum())
    assert share_ratio.between(0.98, 1.02).all(), share_ratio.round(4).to_dict()  # calibrated proportions
    assert got.sum() / land.sum() == pytest.approx(1.057, abs=0.002)  # the coarse outline, as SOURCES.md says
    # existing business parks within one cell of the CBS 2017 stock per province
    stock = areas["business park 2017 (ha)"].astype(float)
    parks = units[units["current_use"] == "business_park"].groupby("province")["area_ha"].sum()
    assert ((parks - stock).abs() <= 100.0).all(), (parks - stock).to_dict()


def test_national_demand_matches_sources():
    sources = INSTANCES / "nl-provinces" / "SOURCES.md"
    d = demand("nl-provinces")
    housing = table_with(sources, "province", "dwellings")
    total = housing[housing["province"] == ""]["dwellings"].astype(int).item()
    housing = housing[housing["province"] != ""].set_index("province")["dwellings"].astype(int)
    assert housing.sum() == total == 917_193
    d = d[d["min_ha"].notna() | (d["level"] == "national")]
    province = d[d["level"] == "province"]
    floors = province[province["claim"] == "housing"].set_index("region")["min_ha"]
    assert floors.to_dict() == pytest.approx((housing * 30 / 1000).to_dict(), abs=0.05)

    stock = table_with(sources, "province", "business park 2017 (ha)")
    stock = stock[stock["province"] != ""].set_index("province")["business park 2017 (ha)"].astype(float)
    business = province[province["claim"] == "business"].set_index("region")["min_ha"]
    assert business.sum() == pytest.approx(700 * 8, abs=0.5)
    assert business.to_dict() == pytest.approx((5600 * stock / 88_184).to_dict(), abs=0.1)  # national stock 88,184

    for columns in [("level", "region", "claim", "min_ha", "basis"), ("level", "region", "claim", "weight", "min_ha")]:
        table = table_with(sources, *columns)
        for _, row in table.iterrows():
            match = d[(d["level"] == row["level"]) & (d["claim"] == row["claim"]) & (d["region"].fillna("") == row["region"])]
            assert len(match) == 1 and match["min_ha"].item() == pytest.approx(float(row["min_ha"]), abs=0.05), row.to_dict()

    other = table_with(sources, "province", "campus (ha)", "circular (ha)", "industry (ha)").set_index("province")
    for claim in ("campus", "circular", "industry"):
        expected = pd.to_numeric(other[f"{claim} (ha)"], errors="coerce").dropna()
        got = d[(d["claim"] == claim) & (d["level"] == "province")].set_index("region")["min_ha"]
        assert got.sort_index().to_dict() == expected.sort_index().to_dict(), claim
    floors = d[d["min_ha"].notna()]
    assert (floors["max_ha"] >= floors["min_ha"] * 1.3 - 0.2).all()  # both rounded to 0.1 ha
    # every claim is capped nationally: at 130 % of its national floor, else at the sum of its regional ceilings
    national = d[d["level"] == "national"].set_index("claim")
    regional = d[d["level"] != "national"].groupby("claim")["max_ha"].sum()
    assert set(national.index) == set(regional.index) == set(CLAIMS)
    for claim, row in national.iterrows():
        expected = row["min_ha"] * 1.3 if pd.notna(row["min_ha"]) else regional[claim]
        assert row["max_ha"] == pytest.approx(expected, abs=0.2), claim


def test_scenarios_move_the_figures_the_sources_name():
    base = demand("nl-provinces")
    inst_low = load_instance(INSTANCES / "nl-provinces", "low-demand")
    inst_high = load_instance(INSTANCES / "nl-provinces", "high-demand")
    total = lambda inst, claim: sum(r.min_ha for r in inst.config.demand if r.claim == claim and r.level == "province")
    assert base.query("claim == 'business'")["min_ha"].sum() == pytest.approx(5600, abs=0.5)
    assert total(inst_low, "business") == pytest.approx(0.06 * 88_184, abs=0.5)
    assert total(inst_high, "business") == pytest.approx(0.135 * 88_184, abs=0.5)
    zh = [r.min_ha for r in inst_high.config.demand if r.claim == "housing" and r.region == "PV28"]
    assert zh == [pytest.approx(247_896 * 0.03, abs=0.05)]
    strict = {r.name: r for r in load_instance(INSTANCES / "nl-provinces", "wbs-strict-2022").config.rules}
    relaxed = {r.name: r for r in load_instance(INSTANCES / "nl-provinces", "wbs-2024").config.rules}
    assert strict["wbs-class-d"].effect == "exclude" and relaxed["wbs-class-d"].effect == "penalty"
    assert relaxed["wbs-deep-polder"].effect == "penalty" and relaxed["wbs-floodplain"].effect == "exclude"


def test_regional_instances_hold_their_province_and_sources():
    zh = pd.read_csv(INSTANCES / "zuid-holland" / "units.csv.gz")
    nb = pd.read_csv(INSTANCES / "noord-brabant" / "units.csv.gz")
    assert set(zh["province"]) == {"PV28"} and sorted(zh["corop"].unique()) == [f"CR{i}" for i in range(25, 31)]
    assert set(nb["province"]) == {"PV30"} and sorted(nb["corop"].unique()) == [f"CR{i}" for i in range(33, 37)]
    assert (zh["area_ha"] == 25).all() and (nb["area_ha"] == 25).all()
    national = pd.read_csv(INSTANCES / "nl-provinces" / "units.csv.gz").groupby("province")["area_ha"].sum()
    assert zh["area_ha"].sum() == pytest.approx(national["PV28"], rel=0.01)  # the same map, four times finer
    assert nb["area_ha"].sum() == pytest.approx(national["PV30"], rel=0.01)
    assert nb.loc[nb["hard_plan_business"], "area_ha"].sum() == 625  # Stec 2022 hard plan supply
    d = demand("noord-brabant").set_index(["region", "claim"])
    assert d.loc[("PV30", "business"), "min_ha"] == 973 and d.loc[("CR33", "business"), "min_ha"] == 282
    assert d.loc[("CR36", "business"), "min_ha"] == 242
    sources = (INSTANCES / "noord-brabant" / "SOURCES.md").read_text()
    for figure in ("973", "1,321", "625", "282", "242"):
        assert figure in sources
    zh_sources = (INSTANCES / "zuid-holland" / "SOURCES.md").read_text()
    assert "235,460" in zh_sources and "247,896" in zh_sources
    assert demand("zuid-holland").set_index(["region", "claim"]).loc[("PV28", "housing"), "min_ha"] == pytest.approx(7063.8)


@pytest.mark.skipif(not CBS.exists(), reason="shared CBS boundaries not present")
def test_provinces_lie_where_the_real_ones_are():
    import geopandas as gpd
    import shapely

    make_nl = generator("make_nl")
    x, y = make_nl.grid_centres(2.0, make_nl.land_polygon())
    province, corop = make_nl.assign_regions(x, y, make_nl.province_weights())
    points = gpd.GeoDataFrame(geometry=shapely.points(x * 1000, y * 1000), crs=28992)
    for layer, generated, floor in (("provincie", province, 0.85), ("corop", corop, 0.75)):
        real = gpd.read_file(CBS, layer=layer)[["statcode", "geometry"]]
        joined = gpd.sjoin(points, real, how="left", predicate="within")
        joined = joined[~joined.index.duplicated()]
        on_land = joined["statcode"].notna().to_numpy()
        agree = (joined["statcode"].to_numpy()[on_land] == generated[on_land]).mean()
        assert agree >= floor, (layer, agree)
        if layer == "provincie":
            real_share = real.set_index("statcode").area / real.area.sum()
            ours = pd.Series(generated).value_counts(normalize=True)
            assert ((ours / real_share).dropna().between(0.8, 1.25)).all()


def test_default_national_solve_passes_the_checker(tmp_path):
    run = solve_instance(INSTANCES / "nl-provinces", out=tmp_path / "run", gap=0.01, time_limit=300)
    assert run.result.status == "optimal" and run.result.gap <= 0.01 + 1e-9
    check(run.instance, run.allocation, run.summary, run.result.objective)
    floors = run.summary[run.summary["demand_min"].notna()]
    assert (floors["allocated"] + floors["shortfall"] >= floors["demand_min"] - 1e-6).all()
    national = run.summary.query("level == 'national'").set_index("claim")
    assert national.loc["housing", "allocated_ha"] >= 27_515.8 * 0.95


@pytest.mark.parametrize("name", ["zuid-holland", "noord-brabant"])
def test_regional_solve_passes_the_checker(tmp_path, name):
    run = solve_instance(INSTANCES / name, out=tmp_path / "run", gap=0.01, time_limit=300)
    assert run.result.status == "optimal"
    check(run.instance, run.allocation, run.summary, run.result.objective)
    assert run.summary["shortfall_ha"].fillna(0).sum() == pytest.approx(0, abs=1e-6)  # every floor met (README)
