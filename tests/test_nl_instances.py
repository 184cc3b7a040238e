"""The built-in Dutch instances: built by `build` from the specs in instances/specs, valid, with every typed
place in the right province and COROP region, and a base result inside the bands the policy documents give.

The planner's check list is ``tests/data/nl_places.csv`` (66 places with their province and COROP region,
positions as latitude/longitude from public maps): every place must lie in a unit of its own regions.
"""
import gzip
import importlib.util
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import yaml
from pyproj import Transformer

from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.prepare.pairs import prepare
from ruimtepuzzel.model.pipeline import solve_instance

from .checker import check

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
DATA = INSTANCES / "data"
NAMES = ["nl-provinces", "zuid-holland", "noord-brabant"]
SCENARIOS = ["low-demand", "high-demand", "wbs-strict-2022", "wbs-2024"]
CLAIMS = {"housing", "energy", "circular", "logistics", "campus", "business", "industry"}
STOCK = 88_184  # CBS 2017 business parks (EZK deck; 2023 programme)
TO_RD = Transformer.from_crs(4326, 28992, always_xy=True)


def module(name):
    sys.path.insert(0, str(INSTANCES))
    spec = importlib.util.spec_from_file_location(name, INSTANCES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def national():
    inst = load_instance(INSTANCES / "nl-provinces")
    return inst, prepare(inst)


def places() -> pd.DataFrame:
    table = pd.read_csv(ROOT / "tests" / "data" / "nl_places.csv")
    table["x"], table["y"] = TO_RD.transform(table["lon"].to_numpy(), table["lat"].to_numpy())
    return table


def unit_at(units: pd.DataFrame, x: float, y: float) -> int:
    """Index of the grid cell whose square holds (x, y)."""
    half = units["cell_m"].to_numpy() / 2
    hit = np.flatnonzero((np.abs(units["x"].to_numpy() - x) <= half) & (np.abs(units["y"].to_numpy() - y) <= half))
    assert len(hit) >= 1, (x, y)
    return int(hit[0])


def allowed_near(prep, claim: str, x: float, y: float, km: float) -> np.ndarray:
    """Units within ``km`` of (x, y) that may take ``claim``."""
    units = prep.units
    near = np.hypot(units["x"].to_numpy() - x, units["y"].to_numpy() - y) <= km * 1000
    return np.flatnonzero(near & (prep.pair_of[claim] >= 0))


# --- built by the project's own builder ------------------------------------------------------

@pytest.mark.parametrize("name", [*NAMES, "nl-100m", "nl-100m-full", "zuid-holland-100m"])
def test_calibration_files_are_what_nl_calibration_writes(tmp_path, name):
    calibration = module("nl_calibration")
    for path in calibration.write_config(name, tmp_path):
        rel = path.relative_to(tmp_path)
        assert path.read_text() == (INSTANCES / "specs" / name / rel).read_text(), rel


@pytest.mark.parametrize("name", [pytest.param("nl-provinces", marks=pytest.mark.slow), pytest.param("zuid-holland", marks=pytest.mark.slow),
                                  pytest.param("noord-brabant", marks=pytest.mark.slow)])
def test_committed_instance_is_what_build_gives(tmp_path, name):
    from ruimtepuzzel.model.build.builder import build_instance

    out, _ = build_instance(INSTANCES / "specs" / f"{name}.yaml", tmp_path / name)
    committed = INSTANCES / name
    for path in sorted(committed.rglob("*")):
        rel = path.relative_to(committed)
        if path.is_dir() or rel.name == "SOURCES.md":
            continue
        if path.suffix == ".gz":
            assert gzip.decompress((out / rel).read_bytes()) == gzip.decompress(path.read_bytes()), rel
        else:
            assert (out / rel).read_text() == path.read_text(), rel
    assert {p.relative_to(out) for p in out.rglob("*")} <= {p.relative_to(committed) for p in committed.rglob("*")}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scenario", [None] + SCENARIOS)
def test_every_instance_and_scenario_is_valid(name, scenario):
    inst = load_instance(INSTANCES / name, scenario)
    prep = prepare(inst)
    assert set(inst.config.claims) == CLAIMS
    eligible = prep.pairs.groupby("claim", observed=True)["used_ha"].sum()
    assert (eligible > 0).all() and len(eligible) == 7
    assert not [f for f in prep.findings if "hard rules leave" in f.message], [f.message for f in prep.findings]


# --- names and regions ------------------------------------------------------------------------

def test_region_levels_carry_the_cbs_names(national):
    inst, _ = national
    assert inst.levels == ["province", "corop", "gemeente"]
    names = inst.config.region_names
    assert names["province"]["PV30"] == "Noord-Brabant" and names["corop"]["CR29"] == "Groot-Rijnmond"
    assert names["gemeente"]["GM0828"] == "Oss" and len(names["gemeente"]) == 393
    for level in inst.levels:
        assert set(names[level]) == set(inst.units[level].unique())


def test_cells_lie_in_the_cbs_region_they_are_given(national):
    """Placement against the real boundaries: the region holding a cell's centre is (almost always) its region. The
    province and COROP region are the municipality's (codes nest), and the generalised layers' borders differ a little."""
    inst, _ = national
    units = inst.units
    centres = gpd.GeoDataFrame(geometry=shapely.points(units["x"], units["y"]), crs=28992)
    for layer, level, floor in (("provincie", "province", 0.998), ("corop", "corop", 0.997), ("gemeente", "gemeente", 0.99)):
        real = gpd.read_file(DATA / "cbs_gebiedsindelingen_2015.gpkg", layer=layer)[["statcode", "geometry"]]
        joined = gpd.sjoin(centres, real, how="inner", predicate="within")
        joined = joined[~joined.index.duplicated()]
        agree = (joined["statcode"].to_numpy() == units[level].to_numpy()[joined.index]).mean()
        assert agree >= floor, (level, agree)


def test_places_lie_in_their_province_and_corop(national):
    inst, _ = national
    table = places()
    assert len(table) >= 25
    for row in table.itertuples():
        u = inst.units.iloc[unit_at(inst.units, row.x, row.y)]
        assert (u["province"], u["corop"]) == (row.province, row.corop), row.place


@pytest.mark.parametrize("name,province", [("zuid-holland", "PV28"), ("noord-brabant", "PV30")])
def test_regional_instances_hold_their_province_and_its_places(name, province):
    inst = load_instance(INSTANCES / name)
    assert set(inst.units["province"]) == {province}
    table = places()
    for row in table[table["province"] == province].itertuples():
        assert inst.units.iloc[unit_at(inst.units, row.x, row.y)]["corop"] == row.corop, row.place


# --- the planner's check list: each cluster, campus and hotspot eligible for its claim -------

def test_ijmuiden_tata_steel_is_cluster_land_open_to_industry(national):
    inst, prep = national
    x, y = TO_RD.transform(4.610, 52.477)
    u = unit_at(inst.units, x, y)
    assert inst.units["natura2000_share"].iloc[u] <= 0.5
    assert inst.units["current_use"].iloc[u] == "business_park" and inst.units["park_kind"].iloc[u] == "cluster"
    assert prep.pair_of["housing"][u] < 0  # protected cluster land
    # the cell itself touches IJmuiden (industry's 700 m zone); cluster land within 2 km of it is open to industry
    near = allowed_near(prep, "industry", x, y, 2.0)
    assert (inst.units["park_kind"].to_numpy()[near] == "cluster").any()


def test_waalwijk_takes_logistics_along_the_a59(national):
    x, y = TO_RD.transform(5.0701, 51.6826)
    brabant = load_instance(INSTANCES / "noord-brabant")
    for (inst, prep), km in (((brabant, prepare(brabant)), 3.0), (national, 4.0)):  # 1 km cells touching the town are zoned out
        near = allowed_near(prep, "logistics", x, y, km)
        assert len(near) > 0
        assert inst.units["dist_freight_km"].to_numpy()[near].min() < 1.0  # the A59 runs past Waalwijk


def test_every_cluster_campus_and_hotspot_is_eligible_for_its_claim(national):
    inst, prep = national
    clusters = gpd.read_file(DATA / "typed" / "industry_clusters.geojson")
    assert set(clusters["cluster"]) == {"Rotterdam-Moerdijk", "Noordzeekanaalgebied", "Chemelot",
                                        "Zeeland/West-Brabant (Smart Delta Resources)", "Noord-Nederland (Eemshaven/Delfzijl)"}
    for row in clusters.itertuples():
        c = row.geometry.representative_point()
        assert len(allowed_near(prep, "industry", c.x, c.y, 3.0)) > 0, row.name
    for row in gpd.read_file(DATA / "typed" / "campuses.geojson").itertuples():
        if row.name == "RDM Campus Rotterdam":  # outside the dikes in the Maas floodplain band: water and soil steer
            continue
        assert len(allowed_near(prep, "campus", row.geometry.x, row.geometry.y, 2.0)) > 0, row.name
    hotspots = {"Tilburg": (5.0913, 51.5555), "Venlo": (6.1724, 51.3704), "Moerdijk": (4.585, 51.685), "Roosendaal": (4.4653, 51.5308),
                "Veghel": (5.5486, 51.6167), "Barendrecht (Rotterdam)": (4.5350, 51.8567), "Tiel": (5.4297, 51.8862), "Nijmegen": (5.8546, 51.8426),
                "Almere": (5.2647, 52.3508), "Zwolle": (6.083, 52.5168), "Utrecht": (5.1214, 52.0907), "Schiphol": (4.7639, 52.3086)}
    for place, (lon, lat) in hotspots.items():
        x, y = TO_RD.transform(lon, lat)
        assert len(allowed_near(prep, "logistics", x, y, 6.0)) > 0, place
    cluster_ports = ["Rotterdam Maasvlakte", "Rotterdam Europoort", "Moerdijk", "Amsterdam Westpoort", "IJmuiden", "Vlissingen-Oost",
                     "Terneuzen", "Eemshaven", "Delfzijl"]
    ports = gpd.read_file(DATA / "typed" / "ports.geojson").set_index("name").loc[cluster_ports]
    for name, row in ports.iterrows():  # circular hubs at the quays of the clusters
        assert len(allowed_near(prep, "circular", row.geometry.x, row.geometry.y, 4.0)) > 0, name


def test_existing_parks_match_the_cbs_stock(national):
    inst, _ = national
    stock = pd.read_csv(DATA / "typed" / "business_parks_cbs2017.csv").set_index("province")["business_park_ha"]
    parks = inst.units[inst.units["current_use"] == "business_park"].groupby("province")["area_ha"].sum()
    for p, ha in stock.items():
        assert ha <= parks[p] < ha + 100.5, p  # within one 100 ha cell above the stock
    assert parks.sum() == pytest.approx(stock.sum(), rel=0.05)


# --- the base result within the policy documents' bands -----------------------------------------

def test_national_base_follows_the_policy_documents(tmp_path):
    run = solve_instance(INSTANCES / "nl-provinces", out=tmp_path / "run", gap=0.01, time_limit=300)
    assert run.result.status == "optimal"
    check(run.instance, run.allocation, run.summary, run.result.objective)
    summary = run.summary
    national = summary[summary["level"] == "national"].set_index("claim")["allocated_ha"]
    new_work = national[["business", "logistics", "circular", "industry", "campus"]].sum()
    assert 0.06 * STOCK <= new_work <= 0.135 * STOCK  # 2025 letter: +6 to 13.5 % of the stock
    floors = summary[(summary["claim"] == "housing") & summary["demand_min"].notna()]
    assert floors["allocated_ha"].sum() == pytest.approx(floors["demand_min"].sum(), rel=0.001)  # at the agreements, no more
    economic = summary[summary["claim"].isin(["business", "logistics"]) & summary["demand_min"].notna() & (summary["level"] != "national")]
    assert economic["demand_min"].sum() == pytest.approx(700 * 8, abs=1)  # no double count: logistics inside the 700 ha a year
    assert summary["shortfall_ha"].fillna(0).sum() == pytest.approx(0, abs=1e-6)
    # transformation only where the 2023 programme places the pressure, and every converted hectare compensated
    units = run.instance.units.set_index("unit_id")
    housing = run.allocation[run.allocation["claim"] == "housing"]
    on_parks = units.loc[housing["unit_id"]].query("current_use == 'business_park'")
    assert on_parks["transformation_pressure"].astype(bool).all()
    # and it happens (the higher return of dwellings on urban parks under pressure, rule urban-park-housing): 4,069.6 ha
    # (the run is within 0.01 % of the optimum); before that rule, none. Mostly in the Randstad
    # provinces, Noord-Brabant and Limburg (80 %; the rest in towns of 100,000 or more), as the 2023 programme says
    park = (units.loc[housing["unit_id"], "current_use"] == "business_park").to_numpy()
    converted = housing["used_ha"][park].sum()
    assert converted > 2000
    named = housing["province"][park].isin(["PV26", "PV27", "PV28", "PV30", "PV31"]).to_numpy()
    assert housing["used_ha"][park][named].sum() > 0.5 * converted
    # every cluster's energy space is met near it (a floor in its own measure: shortfall_ha is empty for it)
    cluster = summary[summary["measure"] == "near_cluster_ha"]
    assert len(cluster) == 5 and (cluster["shortfall"].astype(float) <= 1e-6).all()
    # no net loss that means it: net new land for firms (new work land on other uses, less parks converted to housing)
    # inside the 2025 letter's band, and Noord-Brabant asked what its Stec 2022 study gives
    uses = units.loc[run.allocation["unit_id"], "current_use"].to_numpy()
    work = run.allocation["claim"].isin(["business", "logistics", "industry", "circular"]).to_numpy()
    net = run.allocation["used_ha"][work & (uses != "business_park")].sum() - housing["used_ha"][
        (units.loc[housing["unit_id"], "current_use"] == "business_park").to_numpy()].sum()
    assert 0.06 * STOCK <= net <= 0.135 * STOCK
    brabant = summary[(summary["claim"].isin(["business", "logistics"])) & summary["demand_min"].notna()
                      & summary["region"].isin(["PV30", "CR33", "CR34", "CR35", "CR36"])]["demand_min"].sum()
    assert 973 - 0.5 <= brabant <= 1321 + 0.5


def test_each_geographic_cluster_reserves_energy_space_near_it(national):
    inst, prep = national
    rows = [d for d in inst.config.demand if d.measure == "near_cluster_ha"]
    assert sorted((d.region_key, d.claim, d.lower) for d in rows) == [
        (c, "energy", 100.0) for c in ("CR02", "CR20", "CR29", "CR32", "CR39")]  # the five geographic clusters; not the sixth
    units = inst.units
    near = (units["dist_cluster_km"] <= 3.0).to_numpy()
    assert np.allclose(units["near_cluster_ha"], np.where(near, units["area_ha"], 0.0))
    energy = prep.pair_of["energy"] >= 0
    for d in rows:  # enough land for the reservation where energy may go (within 5 km of an HV station), Chemelot included
        inside = (units["corop"] == d.region_key).to_numpy()
        assert units.loc[inside & near & energy, "area_ha"].sum() >= 2 * d.lower, d.region_key


def test_high_demand_keeps_the_clusters_of_national_importance_before_sme_parks(tmp_path):
    run = solve_instance(INSTANCES / "nl-provinces", scenario="high-demand", out=tmp_path / "run", gap=0.01, time_limit=300)
    assert run.result.status == "optimal"
    floors = run.summary[run.summary["demand_min"].notna()]
    met = floors.groupby("claim")["shortfall_ha"].sum()
    # industry, campuses and large-scale logistics (the 2023 programme's clusters of national importance), energy, housing
    assert met[["industry", "campus", "energy", "housing"]].sum() == pytest.approx(0, abs=1e-6)
    assert met["business"] > 0  # the lowest priority, SME parks, gives way where the grid is congested
    assert met["logistics"] < 0.05 * met["business"]  # large-scale logistics is not what is cut (at most a gap's worth)


@pytest.mark.parametrize("name", ["zuid-holland", "noord-brabant"])
def test_regional_solve_passes_the_checker(tmp_path, name):
    run = solve_instance(INSTANCES / name, out=tmp_path / "run", gap=0.01, time_limit=300)
    assert run.result.status == "optimal"
    check(run.instance, run.allocation, run.summary, run.result.objective)
    assert run.summary["shortfall_ha"].fillna(0).sum() == pytest.approx(0, abs=1e-6)


def test_brabant_economic_land_is_stec_with_logistics_inside():
    demand = pd.DataFrame(yaml.safe_load((INSTANCES / "noord-brabant" / "instance.yaml").read_text())["demand"])
    floors = demand[demand["claim"].isin(["business", "logistics"]) & demand["min_ha"].notna()]
    assert floors["min_ha"].sum() == pytest.approx(973, abs=0.5)  # Stec 2022 low: distribution included
    ceiling = demand[(demand["claim"] == "business") & demand["max_ha"].notna()]
    assert ceiling["max_ha"].tolist() == [909.0]  # plan capacity: 625 hard + 284 soft
    assert not ((demand["claim"] == "energy") & demand["max_ha"].notna()).any()  # no energy ceiling artefact


# --- the 100 m benchmark instances (built on request) ------------------------------------------------

@pytest.mark.parametrize("name", ["nl-100m-full", "zuid-holland-100m"])
def test_full_100m_calibration_has_every_family(name):
    calibration = module("nl_calibration")
    config = calibration.config(name)
    claims = config["claims"]
    assert {k for k, c in claims.items() if c.get("min_site_ha")} == {"logistics", "industry"}
    assert claims["logistics"]["min_site_ha"] == 5.0 and not claims["industry"].get("divisible")  # sites are whole cells
    assert {k for k, c in claims.items() if c.get("env_category")} == {"circular", "logistics", "business", "industry"}
    assert claims["housing"]["sensitive"]
    assert config["env_zoning"]["existing_category_attr"] == "env_category_existing"
    assert config["env_zoning"]["sensitive_uses"] == ["housing"]
    assert config["balance"] and config["compensation"] and config["resources"]["grid_mw"]["cap"]
    assert "logistics-site-size" not in {r["name"] for r in config["rules"]}  # every 1 ha cell would be left out
    spec = yaml.safe_load((INSTANCES / "specs" / f"{name}.yaml").read_text())
    assert spec["grid"]["cell_m"] == 100 and spec["instance"] == f"{name}/instance.yaml"


def test_coarse_instances_keep_their_site_rule_and_divisible_industry():
    calibration = module("nl_calibration")
    for name in NAMES:
        config = calibration.config(name)
        assert "logistics-site-size" in {r["name"] for r in config["rules"]}
        sited = {k: c["min_site_ha"] for k, c in config["claims"].items() if c.get("min_site_ha")}
        if calibration.INSTANCES[name]["cell_m"] > calibration.ZONING_SCALE_M:  # 1 km: divisible claims with sites of shares
            assert sited == {"logistics": 5.0, "industry": 5.0}
            assert all(config["claims"][k]["divisible"] for k in sited)
        else:  # 500 m: a cell (25 ha) is a site by itself
            assert not sited
    assert "logistics-site-size" not in {r["name"] for r in calibration.config("nl-100m")["rules"]}


def test_zuid_holland_100m_calibration_formulates_every_family(tmp_path):
    """The regional 100 m calibration on the committed Zuid-Holland cells (500 m: the same regions and attributes, with
    some cells clipped under 5 ha so that minimum sites bind): the pairwise and coupling families emit rows."""
    import shutil

    from ruimtepuzzel.model.formulation import formulate
    from ruimtepuzzel.model.inputs.config import deep_merge

    calibration = module("nl_calibration")
    folder = tmp_path / "zh"
    shutil.copytree(INSTANCES / "zuid-holland", folder, ignore=shutil.ignore_patterns("scenarios"))
    facts = yaml.safe_load((folder / "instance.yaml").read_text())
    base = {k: facts[k] for k in ("name", "crs", "units", "regions", "region_names")}
    (folder / "instance.yaml").write_text(yaml.safe_dump(deep_merge(base, calibration.config("zuid-holland-100m"))))
    problem = formulate(prepare(load_instance(folder)))
    families = {b.family for b in problem.blocks if b.size}
    # (no-net-loss rows need a park that housing may take: none on these 500 m cells, so compensation is checked in the config)
    assert {"single_use", "demand_floor", "env_zoning", "env_zoning_existing", "min_site", "balance", "resources"} <= families


# --- elevation describes land: reclaimed port land is not a deep polder ------------------------------

def deep_polder(inst) -> np.ndarray:
    from ruimtepuzzel.model.prepare.rules import rule_mask

    rule = next(r for r in inst.config.rules if r.name == "wbs-deep-polder")
    return rule_mask(inst.units, rule, inst.config)


def test_named_port_land_is_not_excluded_by_the_deep_polder_rule(national):
    inst, prep = national
    deep = deep_polder(inst)
    ports = gpd.read_file(DATA / "typed" / "ports.geojson").set_index("name")
    named = {name: (ports.geometry[name].x, ports.geometry[name].y) for name in
             ("Rotterdam Maasvlakte", "Rotterdam Europoort", "Rotterdam Botlek", "Vlissingen-Oost", "IJmuiden")}
    named["Tata Steel"] = TO_RD.transform(4.610, 52.477)
    named["Maasvlakte 2"] = TO_RD.transform(3.99, 51.96)
    for place, (x, y) in named.items():
        u = unit_at(inst.units, x, y)
        assert not deep[u], (place, inst.units["elevation_m"].iloc[u])
    cluster = (inst.units["park_kind"] == "cluster").to_numpy()
    assert not (deep & cluster).any()  # no port-industrial cell is "below -5 m NAP"


def test_the_deep_polder_rule_hits_the_deep_polders(national):
    inst, _ = national
    deep = deep_polder(inst)
    names = inst.config.region_names["gemeente"]
    hit = inst.units.loc[deep, "gemeente"].map(names).value_counts()
    for polder in ("Zuidplas", "Haarlemmermeer", "Nieuwkoop", "De Ronde Venen"):  # the deep reclaimed lakes
        assert hit.get(polder, 0) >= 5, polder
    for town in ("Utrecht", "Waalwijk", "Vlissingen", "Velsen", "Terneuzen", "Oss", "Cuijk"):  # channel bottoms, not polders
        assert hit.get(town, 0) == 0, town


# --- regions nest as CBS defines them ---------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_every_cell_lies_in_the_corop_and_province_of_its_municipality(name):
    units = load_instance(INSTANCES / name).units
    gemeente = gpd.read_file(DATA / "cbs_gebiedsindelingen_2015.gpkg", layer="gemeente").set_index("statcode")
    corop = gpd.read_file(DATA / "cbs_gebiedsindelingen_2015.gpkg", layer="corop").set_index("statcode")
    assert (units["corop"].map(corop["provincie"]) == units["province"]).all()  # every COROP inside its province
    assert (units["gemeente"].map(gemeente["corop_gebied"]) == units["corop"]).all()
    assert (units["gemeente"].map(gemeente["provincie"]) == units["province"]).all()


def test_region_counts_are_those_of_the_real_provinces(national):
    inst, _ = national
    units = inst.units
    gemeente = gpd.read_file(DATA / "cbs_gebiedsindelingen_2015.gpkg", layer="gemeente")
    real = gemeente.groupby("provincie").agg(corop=("corop_gebied", "nunique"), gemeente=("statcode", "nunique"))
    built = units.groupby("province").agg(corop=("corop", "nunique"), gemeente=("gemeente", "nunique"))
    assert built.loc["PV22"].tolist() == [3, 12]  # Drenthe: 3 COROP regions, 12 municipalities (2015)
    assert (built["corop"] == real["corop"]).all()
    assert (built["gemeente"] <= real["gemeente"]).all()  # a very small municipality may hold no cell of its own


# --- housing where the need is -----------------------------------------------------------------------

def test_housing_floors_split_each_agreement_over_its_corop_regions_by_inhabitants_and_dwellings():
    calibration = module("nl_calibration")
    demand = pd.DataFrame(yaml.safe_load((INSTANCES / "nl-provinces" / "instance.yaml").read_text())["demand"])
    housing = demand[(demand["claim"] == "housing") & demand["min_ha"].notna()]
    assert set(housing["level"]) == {"corop"}
    per_province = housing.groupby(housing["region"].map(calibration.COROP_PROVINCE))["min_ha"].sum()
    for province, dwellings in calibration.HOUSING_DWELLINGS.items():
        assert per_province[province] == pytest.approx(dwellings * 30 / 1000, abs=0.3), province
    kwb = pd.read_csv(DATA / "cbs_kwb2024_gemeenten.csv")
    amsterdam = kwb.set_index("gemeente_naam").loc["Amsterdam"]
    assert (amsterdam["inwoners"], amsterdam["woningen"]) == (931_298, 480_852)  # CBS, 1 January 2024
    floors = housing.set_index("region")["min_ha"]
    assert floors["CR23"] > 0.45 * per_province["PV27"]  # Groot-Amsterdam holds about half of Noord-Holland's people


def test_open_landscapes_take_no_built_claim(national):
    inst, prep = national
    names = inst.config.region_names["gemeente"]
    units = inst.units
    for municipality in ("Midden-Delfland", "Westland"):
        open_cells = np.flatnonzero((units["gemeente"].map(names) == municipality).to_numpy() & (units["current_use"] != "housing").to_numpy())
        assert len(open_cells) > 0
        for claim in ("housing", "business", "logistics"):
            assert (prep.pair_of[claim][open_cells] < 0).all(), (municipality, claim)
