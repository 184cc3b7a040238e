"""The calibration of the built-in Dutch instances: published figures, marked estimates, and the
instance files (claims, demand, rules, ...) that ``build`` merges onto the units it builds.

``write_config(name, folder)`` writes ``instance.yaml`` and ``scenarios/*.yaml`` for one instance
into ``folder`` (``instances/specs/<name>/``, which the instance's build spec names). Every figure
names its source here and in the instance's ``SOURCES.md``: the 2023 programme *Ruimte voor
Economie* (13 Oct 2023), the first and second progress letters (25 Sep 2024, 17 Nov 2025), the
Platform31 study and the EZK start-package deck, or it is marked as an estimate. A test reads the
SOURCES.md tables back and compares them with what is written here.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
TYPED = HERE / "data" / "typed"

# --- published figures ------------------------------------------------------------------
# Provincial housing agreements of 13 October 2022 (IPO), dwellings to end-2030.
HOUSING_DWELLINGS = {
    "PV20": 28_359, "PV21": 17_500, "PV22": 13_631, "PV23": 42_300, "PV24": 39_193, "PV25": 100_000,
    "PV26": 83_500, "PV27": 183_600, "PV28": 235_460, "PV29": 16_500, "PV30": 130_600, "PV31": 26_550,
}
ZH_WOONDEAL_DWELLINGS = 247_896  # Zuid-Holland, 2022 to end-2030, gross (provincial budget 2026)
HA_PER_1000_DWELLINGS = 30.0  # greenfield; CBS 319 m² per household (2006) and 25–35 dwellings/ha
M2_HOUSING_PER_DWELLING = HA_PER_1000_DWELLINGS * 10  # 300 m² of housing land per dwelling
BUSINESS_HA_PER_YEAR = 700.0  # 2023 programme: autonomous demand "circa 700 ha per jaar tot 2030", logistics included
BUSINESS_YEARS = 8  # 2023 to 2030 inclusive (the start year is our assumption)
GROWTH_BAND = {"low": 0.06, "high": 0.135}  # 2025 letter: regular parks +6 to 13.5 % of the current stock
STOCK_2017_HA = 88_184  # CBS 2017 (EZK start-package deck; 2023 programme: 2.6 % of the land)
M2_WORK_PER_DWELLING_MIN = 20.0  # 2023 programme, fn. 29: every dwelling asks at least 20 m² of business space
JOBS_PER_DWELLING = 1.0  # 2024 letter (NOVEX programming) and EZK deck: one job per dwelling
SHARE_JOBS_ON_PARKS = 0.30  # EZK deck: 30 % of the working population works on business parks
M2_PARK_PER_FTE = 250.0  # 2023 programme §3.4: a business park takes on average 250 m² per full-time job
RELOCATION_EUR_PER_M2_MAX = 1_400.0  # 2025 letter: efficiency test, EUR 1,300–1,400 per m² of plot (upper end)
ELECTROLYSER_HA_PER_GW = 10.0  # PEH: 4 GW by 2030 ≈ 40 ha
ELECTROLYSER_GW = {"CR02": 1.0, "CR29": 1.5, "CR32": 0.8, "CR20": 0.7}  # split over landing points: estimate
# Energy space at the industrial clusters: the 2023 programme §2.1 (the PEH's maps per cluster show that "de ruimtevraag kan
# oplopen tot honderden hectares"): a figure that can rise to hundreds of hectares, not a figure per cluster. Reserved: 100 ha
# of energy within CLUSTER_ENERGY_KM of each geographic cluster's outline (an estimate: the low end of "up to hundreds"), as
# a floor in the unit column ``near_cluster_ha`` (hectares within that distance, 0 elsewhere; instances/specs/nl-common.yaml)
# in the COROP region of the cluster's landing point (the electrolysers' regions above, and Chemelot's). It holds the
# electrolysers there. The sixth cluster (industry spread over the country) has no site: no reservation.
CLUSTER_ENERGY_HA = 100.0
CLUSTER_ENERGY_KM = 3.0  # the same distance as the rule industry-cluster (recorded in nl-common.yaml's derive step)
CLUSTER_ENERGY = {"CR29": "Rotterdam-Moerdijk", "CR20": "Noordzeekanaalgebied", "CR32": "North Sea Port (Zeeland/West-Brabant)",
                  "CR02": "Groningen (Eemshaven-Delfzijl)", "CR39": "Chemelot"}
BATTERY_GW = {"PV20": 3.0, "PV24": 2.0, "PV30": 2.0}  # TenneT 2023: 9 GW, most in Groningen, ~2 GW in FL and NB
BATTERY_GW_ELSEWHERE = 2.0
BATTERY_HA_PER_100MW = 1.0  # estimate
STEC_BRABANT = (973, 1_321)  # Noord-Brabant, Stec 2022: demand to 2030 incl. large-scale distribution (ha, low–high)

# The 2050 horizon (phasing): the 2023 programme, fn. 6: "Na 2030 is geëxtrapoleerd op lager scenario van 570 ha per jaar";
# and "het is denkbaar dat het ruimtebeslag voor economische activiteit ... een groei vergt van 2,6% nu naar 3% in 2050".
BUSINESS_HA_PER_YEAR_AFTER_2030 = 570.0
YEARS_AFTER_2030 = 20  # 2031 to 2050 inclusive
HORIZONS = [2030, 2050]
LAND_HA = 3_367_098  # CBS land area (research/nl_facts.md): the base of the 2.6 % and the 3 %
LAND_SHARE_2050 = 0.03
ECONOMIC_CLAIMS = ["business", "logistics", "circular", "campus", "industry"]  # parks, ports and campuses: the 2.6 %

# --- estimates --------------------------------------------------------------------------
LOGISTICS_HA_PER_YEAR = 280.0  # XXL land take: 1.7 million m² floor a year at a floor-area ratio of 0.6; part of the 700
LOGISTICS_HOTSPOTS = {  # weight: XXL DCs 2013–19 where counted, otherwise an estimate from the rankings
    "CR33": 18, "CR37": 15, "CR29": 14, "CR34": 12, "CR36": 8, "CR35": 10,
    "CR40": 6, "CR16": 6, "CR23": 6, "CR17": 5, "CR15": 5, "CR10": 4,
}
NEW_SUBSTATIONS = 30  # "tientallen" (dozens of) new HV stations
SUBSTATION_HA = 5.0
CAMPUS_HA = {"PV26": 40, "PV30": 50, "PV28": 40, "PV23": 20, "PV25": 35, "PV31": 30, "PV27": 15, "PV20": 15}
CIRCULAR_HA = {"PV28": 200, "PV27": 120, "PV29": 80, "PV20": 80, "PV30": 50, "PV31": 30}
INDUSTRY_HA = {"PV28": 150, "PV30": 80, "PV27": 100, "PV20": 100, "PV29": 100, "PV31": 100}  # the five clusters
CONGESTED = {"PV24", "PV25", "PV26", "PV27", "PV30", "PV31"}  # grid-congestion provinces (estimate)
GRID_HEADROOM = {"congested": 1.1, "other": 2.0}  # grid cap = load of the floors × this (estimate)
MW_PER_HA = {"industry": 1.5, "circular": 0.5, "campus": 0.5, "logistics": 0.2, "business": 0.3, "housing": 0.05}
VALUE_PER_HA = 4.0  # every claim's value per ha (value units): below the land-take penalty, so no claim grows past its floor
LAND_TAKE_PER_HA = 10.0  # open (agricultural) land lost, per ha, in the same units: an estimate
REDEVELOPMENT_PER_HA = 6.0  # redeveloping built-up land or a business park: above the value, below open land (estimate)
# Housing on an urban park under transformation pressure (``transformation_pressure``): the 2023 programme §2.4, "Vanwege de
# hogere rendementen op het ontwikkelen van woningen" municipalities transform urban parks into housing; 4,600 ha of urban
# parks were lost 2016-2021, "met name in de Randstadprovincies, Noord-Brabant, Limburg, de vijf grote steden" (§3.4). The
# higher return of dwellings on serviced inner-city land, per ha in value units: the size of the land-take penalty (an
# estimate). Housing there is then worth 4 - 6 + 10 = 8 per ha: more than the 6 a converted hectare's additional compensation
# costs on open land (4 - 10), so transformation pays where compensation land (and grid capacity for it) exists nearby.
URBAN_PARK_HOUSING_RETURN_PER_HA = 10.0
# Shortfall priorities per ha: the 2023 programme's "clusters van nationaal belang. Dat zijn: industriële clusters,
# campussen en grootschalige bedrijfsvestigingen" (industry, campus, XXL logistics) and energy first, then housing and
# circular hubs, regular (SME) business parks last; the amounts are estimates. Per MW of grid (penalty / MW_PER_HA):
# housing 100,000, logistics 50,000, campus 20,000, industry 13,333, circular 10,000, business 6,667: where the grid
# binds, SME parks give way first, and an hectare of industry (1.5 MW) before one of logistics (0.2 MW).
PRIORITY = {"industry": 20000, "campus": 10000, "logistics": 10000, "energy": 10000, "housing": 5000, "circular": 5000, "business": 2000}

WORK_CLAIMS = ["business", "logistics", "circular", "campus", "industry"]
BUILT = ["housing", *WORK_CLAIMS]
VNG_DISTANCE_M = {"1": 10, "2": 30, "3.1": 50, "3.2": 100, "4.1": 200, "4.2": 300, "5.1": 500, "5.2": 700, "5.3": 1000, "6": 1500}
ZONING_SCALE_M = 500  # above this cell size, SME parks (category 3.2, 100 m) leave the zoning
# 2023 programme §3.4: "Bedrijfsvestigingen met een omvang van meer dan 5 hectare worden gekwalificeerd als grootschalig":
# XXL distribution centres and large (circular) production plants. Stec: logistics needs "at least 5 ha, often > 10 ha".
# Applied as minimum sites (contiguous whole cells) where a cell is smaller than a site; on the 500 m cells one cell is a
# site, and the rule logistics-site-size leaves out the (coastal) cells under 5 ha instead; on the 1 km cells, where the
# claims are divisible, the rule stays and the minimum applies to the sites of shares (a 2.8 ha share alone is no site).
MIN_SITE_HA = {"logistics": 5.0, "industry": 5.0}
# Densification: housing may take built-up land (a town cell), up to this share of each province's housing floor (an
# estimate: the cabinet aims at building a large part of the new dwellings inside existing towns; no per-province figure
# is in the sources). It is cheaper than open land (redevelopment 6 per ha against land take 10), so the cap binds.
DENSIFICATION_SHARE = 0.3
# Landscapes kept open for every built claim: the rijksbufferzone Midden-Delfland and the Westland glasshouse district
# (greenport, LNV's domain: the EZK deck), their open (non-town) cells (instances/specs/nl-common.yaml: open_landscape).
OPEN_LANDSCAPES = {"GM1842": "Midden-Delfland (rijksbufferzone)", "GM1783": "Westland (glasshouse district)"}

CLAIMS = {  # suitability: the value falls with the distance to what the claim needs (instances/specs/nl-common.yaml)
    "housing": {"sensitive": True, "suitability_attr": "suit_near_town", "label": "Woningbouw"},
    "energy": {"divisible": True, "suitability_attr": "suit_near_hv", "label": "Energie-infrastructuur"},
    "circular": {"env_category": "4.2", "divisible": True, "suitability_attr": "suit_near_quay", "label": "Circulaire hubs"},
    "logistics": {"env_category": "4.1", "suitability_attr": "suit_near_corridor", "label": "Grootschalige logistiek"},
    "campus": {"divisible": True, "suitability_attr": "suit_near_campus", "label": "Campusgroei"},
    "business": {"env_category": "3.2", "suitability_attr": "suit_near_town", "label": "Bedrijventerreinen (mkb)"},
    "industry": {"env_category": "5.2", "divisible": True, "suitability_attr": "suit_near_cluster", "label": "Industriecluster"},
}

INSTANCES = {
    "nl-provinces": {"cell_m": 1000.0, "title": "The Netherlands by province, COROP region and municipality, 1 km cells"},
    "zuid-holland": {"cell_m": 500.0, "province": "PV28", "title": "Zuid-Holland by COROP region and municipality, 500 m cells"},
    "noord-brabant": {"cell_m": 500.0, "province": "PV30", "title": "Noord-Brabant by COROP region and municipality, 500 m cells"},
    # built on request only (3.5 M cells): the national benchmark. No pairwise families, aggregation on.
    "nl-100m": {"cell_m": 100.0, "title": "The Netherlands at 100 m, without pairwise families (national benchmark)", "plain": True},
    # built on request only: the benchmark instances at 100 m with every family (zoning new-new and against existing uses
    # with transformation, minimum sites, woon-werk balance, no net loss, grid caps); national (3.5 M cells) and regional
    # (Zuid-Holland, 312,029 cells)
    "nl-100m-full": {"cell_m": 100.0, "benchmark": True, "time_limit_s": 900,
                     "title": "The Netherlands at 100 m with every family: zoning, transformation, minimum sites, balance, "
                              "no net loss, grid caps (national benchmark)"},
    "zuid-holland-100m": {"cell_m": 100.0, "province": "PV28", "benchmark": True, "time_limit_s": 120,
                          "title": "Zuid-Holland at 100 m with every family: zoning, transformation, minimum sites, balance, "
                                   "no net loss, grid caps (regional benchmark)"},
}
_COROPS = {"PV20": (1, 3), "PV21": (4, 6), "PV22": (7, 9), "PV23": (10, 12), "PV25": (13, 16), "PV26": (17, 17), "PV27": (18, 24),
           "PV28": (25, 30), "PV29": (31, 32), "PV30": (33, 36), "PV31": (37, 39), "PV24": (40, 40)}
COROP_PROVINCE = {f"CR{i:02d}": p for p, (a, b) in _COROPS.items() for i in range(a, b + 1)}  # CBS 2015 COROP → province


def table(name: str, key: str, value: str) -> dict[str, float]:
    """A typed CSV table of ``instances/data/typed`` as {key: float(value)} (empty cells left out)."""
    with open(TYPED / name, newline="", encoding="utf-8") as f:
        return {row[key]: float(row[value]) for row in csv.DictReader(f) if row[value]}


BUSINESS_PARK_HA = table("business_parks_cbs2017.csv", "province", "business_park_ha")

# CBS, Kerncijfers wijken en buurten 2024 (85984NED, CC BY 4.0): inhabitants and dwellings per municipality on 1 January
# 2024, in the municipalities of 2024. The 21 municipalities formed after 2015 are placed in the COROP region (2015) of
# their predecessors; all predecessors lie in one region except Midden-Groningen (Menterwolde, CR01, with Hoogezand-
# Sappemeer and Slochteren, CR03) and Vijfheerenlanden (Vianen, CR17, with Leerdam and Zederik, CR30), placed with the
# larger part.
KWB2024 = HERE / "data" / "cbs_kwb2024_gemeenten.csv"
MERGED_SINCE_2015 = {
    "GM1940": "CR05", "GM1942": "CR24", "GM1945": "CR15", "GM1948": "CR35", "GM1949": "CR04", "GM1950": "CR01", "GM1952": "CR03",
    "GM1954": "CR39", "GM1959": "CR34", "GM1960": "CR16", "GM1961": "CR30", "GM1963": "CR29", "GM1966": "CR03", "GM1969": "CR03",
    "GM1970": "CR04", "GM1978": "CR30", "GM1979": "CR02", "GM1980": "CR19", "GM1982": "CR35", "GM1991": "CR35", "GM1992": "CR29",
}


def municipality_corop_2015() -> dict[str, str]:
    """Municipality code → COROP region, CBS gebiedsindelingen 2015 (the GeoPackage's attribute table, read with sqlite)."""
    import sqlite3

    with sqlite3.connect(HERE / "data" / "cbs_gebiedsindelingen_2015.gpkg") as db:
        return dict(db.execute("SELECT statcode, corop_gebied FROM gemeente").fetchall())


def corop_people() -> dict[str, tuple[float, float]]:
    """COROP region (2015) → (inhabitants, dwellings) on 1 January 2024 (CBS)."""
    corop = {**municipality_corop_2015(), **MERGED_SINCE_2015}
    out: dict[str, tuple[float, float]] = {}
    with open(KWB2024, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            region = corop[row["gemeente_code"]]
            people, homes = out.get(region, (0.0, 0.0))
            out[region] = (people + float(row["inwoners"]), homes + float(row["woningen"]))
    return out


def corop_shares(province: str) -> dict[str, float]:
    """Each COROP region's share of its province: the mean of its shares of the inhabitants and of the dwellings (CBS
    2024). The split of a provincial figure over its regions where people live (an estimate of where the need is)."""
    people = {c: v for c, v in corop_people().items() if COROP_PROVINCE[c] == province}
    inhabitants, dwellings = (sum(v[i] for v in people.values()) for i in (0, 1))
    return {c: 0.5 * (v[0] / inhabitants + v[1] / dwellings) for c, v in sorted(people.items())}


def per_corop(province: str, claim: str, total: float) -> list[dict]:
    """Floors of ``claim`` per COROP region of ``province`` summing to ``total`` (ha), split by :func:`corop_shares`."""
    return [_row("corop", c, claim, total * share) for c, share in corop_shares(province).items()]
PLAN_CAPACITY_HA = {p: hard + table("plan_capacity.csv", "province", "soft_plan_ha").get(p, 0.0)
                    for p, hard in table("plan_capacity.csv", "province", "hard_plan_ha").items()}


# --- derived figures ----------------------------------------------------------------------

def woon_werk_ratio() -> dict[str, float]:
    """Hectares of work land per hectare of new housing, from the policy documents' figures.

    ``minimum``: at least 20 m² of business space per dwelling over 300 m² of housing land (0.067), imposed.
    ``full_jobs``: one job per dwelling × 30 % on business parks × 250 m² per job = 75 m² (0.25), reported only:
    at 917,193 dwellings it asks 6,880 ha, more than the 5,600 ha the programme expects to 2030.
    """
    minimum = M2_WORK_PER_DWELLING_MIN / M2_HOUSING_PER_DWELLING
    full = JOBS_PER_DWELLING * SHARE_JOBS_ON_PARKS * M2_PARK_PER_FTE / M2_HOUSING_PER_DWELLING
    return {"minimum": round(minimum, 4), "full_jobs": round(full, 4)}


def economic_total(growth: str | None = None) -> float:
    """New land for regular business parks and XXL logistics together to 2030 (ha)."""
    if growth is None:
        return BUSINESS_HA_PER_YEAR * BUSINESS_YEARS
    return GROWTH_BAND[growth] * STOCK_2017_HA


def logistics_total() -> float:
    return LOGISTICS_HA_PER_YEAR * BUSINESS_YEARS


def _row(level: str, region: str | None, claim: str, minimum: float, **extra) -> dict:
    row = {"level": level}
    if region is not None:
        row["region"] = region
    row.update(claim=claim, min_ha=round(float(minimum), 1), shortfall_penalty=PRIORITY[claim], **extra)
    return row


def national_demand(growth: str | None = None, housing: dict | None = None) -> list[dict]:
    """Floors of the national instance (ha to 2030), each with the shortfall priority of its claim."""
    housing = housing or HOUSING_DWELLINGS
    rows = [r for p, d in housing.items() for r in per_corop(p, "housing", d * HA_PER_1000_DWELLINGS / 1000)]
    # Noord-Brabant: Stec 2022's 973–1,321 ha (large-scale distribution included), split as the national 700 ha is split;
    # the other provinces share the rest of the national figure (no double count: logistics is part of the total)
    brabant = STEC_BRABANT[1 if growth == "high" else 0]
    brabant_logistics = brabant * logistics_total() / economic_total()
    business = economic_total(growth) - logistics_total() - (brabant - brabant_logistics)
    stock = sum(ha for p, ha in BUSINESS_PARK_HA.items() if p != "PV30")
    rows += per_corop("PV30", "business", brabant - brabant_logistics)
    rows += [r for p, ha in BUSINESS_PARK_HA.items() if p != "PV30" for r in per_corop(p, "business", business * ha / stock)]
    rows += plan_capacity_rows(BUSINESS_PARK_HA)
    ours = {c: w for c, w in LOGISTICS_HOTSPOTS.items() if COROP_PROVINCE[c] == "PV30"}
    others = {c: w for c, w in LOGISTICS_HOTSPOTS.items() if c not in ours}
    rows += [_row("corop", c, "logistics", brabant_logistics * w / sum(ours.values())) for c, w in ours.items()]
    rows += [_row("corop", c, "logistics", (logistics_total() - brabant_logistics) * w / sum(others.values()))
             for c, w in others.items()]
    rows += cluster_energy_rows()
    rows += [_row("province", p, "energy", gw * 10 * BATTERY_HA_PER_100MW) for p, gw in BATTERY_GW.items()]
    rows += [_row("province", p, "campus", ha) for p, ha in CAMPUS_HA.items()]
    rows += [_row("province", p, "circular", ha) for p, ha in CIRCULAR_HA.items()]
    rows += [_row("province", p, "industry", ha) for p, ha in INDUSTRY_HA.items()]
    rows.append(_row("national", None, "energy", national_energy_ha()))
    return rows


def plan_capacity_rows(provinces) -> list[dict]:
    """Ceilings on new business-park land where a province's plan capacity is published (hard + soft plans), as rows of
    their own: a floor above the capacity is then a shortfall (the province is sold out), not an input error."""
    return [{"level": "province", "region": p, "claim": "business", "max_ha": ha, "name": f"plan capacity {p} (hard + soft plans)"}
            for p, ha in PLAN_CAPACITY_HA.items() if p in provinces]


def cluster_energy_rows() -> list[dict]:
    """The energy space reserved at the five geographic industrial clusters: per cluster ``CLUSTER_ENERGY_HA`` of energy
    within ``CLUSTER_ENERGY_KM`` of its outline (measure ``near_cluster_ha``), in the COROP region of its landing point; it
    holds that region's electrolysers (``ELECTROLYSER_GW``), which never exceed it."""
    for region, gw in ELECTROLYSER_GW.items():
        assert region in CLUSTER_ENERGY and gw * ELECTROLYSER_HA_PER_GW <= CLUSTER_ENERGY_HA, region
    return [{"level": "corop", "region": c, "claim": "energy", "measure": "near_cluster_ha", "min": CLUSTER_ENERGY_HA,
             "shortfall_penalty": PRIORITY["energy"], "name": f"energy space at the {cluster} cluster"}
            for c, cluster in CLUSTER_ENERGY.items()]


def national_energy_ha() -> float:
    electrolysers = sum(ELECTROLYSER_GW.values()) * ELECTROLYSER_HA_PER_GW
    batteries = (sum(BATTERY_GW.values()) + BATTERY_GW_ELSEWHERE) * 10 * BATTERY_HA_PER_100MW
    return electrolysers + batteries + NEW_SUBSTATIONS * SUBSTATION_HA


def regional_demand(province: str, growth: str | None = None, housing: dict | None = None) -> list[dict]:
    """The national floors of one province and its COROP regions (Noord-Brabant's economic land is Stec 2022's in both)."""
    ours = {province} | {c for c, p in COROP_PROVINCE.items() if p == province}
    return [r for r in national_demand(growth, housing) if r.get("region") in ours]


def economic_total_2050() -> float:
    """New land for business parks and XXL logistics together, cumulative to 2050 (ha): 8 × 700 + 20 × 570 = 17,000."""
    return economic_total() + BUSINESS_HA_PER_YEAR_AFTER_2030 * YEARS_AFTER_2030


def land_share_ceiling_ha() -> float:
    """New economic land the 3 % of 2050 leaves above the 2017 stock (ha): 3 % × 3,367,098 − 88,184 = 12,828.9."""
    return round(LAND_SHARE_2050 * LAND_HA - STOCK_2017_HA, 1)


def phased_demand(name: str) -> list[dict]:
    """Floors and ceilings of the two horizons: every row of the 2030 instance for 2030, and for 2050 the business and
    logistics floors grown to the cumulative 17,000 ha (the split over regions and between the two kept). The other
    claims have no 2050 figure in the sources: their 2030 floors stay met in 2050 (what is allocated stays), no more."""
    rows = [{**r, "period": HORIZONS[0]} for r in demand(name)]
    factor = economic_total_2050() / economic_total()
    rows += [{**r, "min_ha": round(r["min_ha"] * factor, 1), "period": HORIZONS[1]}
             for r in rows if r["claim"] in ("business", "logistics") and "min_ha" in r]
    return rows


def land_share_ceiling() -> dict:
    """The 3 % of 2050 as a national ceiling on new economic land: a resource without zones (one for the country)."""
    return {"economic_land_ha": {"unit": "ha", "per_ha": {k: 1.0 for k in ECONOMIC_CLAIMS},
                                 "cap": {"NL": land_share_ceiling_ha()}}}


def demand(name: str, growth: str | None = None, housing: dict | None = None) -> list[dict]:
    spec = INSTANCES[name]
    if spec.get("province"):
        return regional_demand(spec["province"], growth, housing)
    return national_demand(growth, housing)


# --- rules ----------------------------------------------------------------------------------

def has_sites(cell_m: float) -> bool:
    """Whether claims get minimum sites: a whole cell is smaller than the smallest site (under 5 ha, i.e. cells under
    224 m). On coarser cells one cell is a site by itself."""
    return cell_m * cell_m / 10_000 < min(MIN_SITE_HA.values())


def rules(profile: str = "base", cell_m: float = 1000.0) -> list[dict]:
    """Layer rules. ``base``: water, Natura 2000, floodplains and the deepest polders hard. ``strict-2022``: water
    and soil steer (class D hard for every built claim, C hard for housing). ``2024``: taking water and soil into
    account (the deepest polders and class D become penalties; floodplains stay excluded, being separate law).
    On cells smaller than a site (:func:`has_sites`) logistics has a minimum site instead of ``logistics-site-size``
    (which would leave out every cell)."""
    r = [
        {"name": "water", "layer": "substrate", "attr": "current_use", "op": "==", "value": "water", "effect": "exclude",
         "description": "large waters"},
        {"name": "natura2000", "layer": "substrate", "attr": "natura2000_share", "op": ">", "value": 0.5, "effect": "exclude",
         "description": "more than half of the unit is Natura 2000"},
        {"name": "wbs-floodplain", "layer": "substrate", "attr": "floodplain", "op": "==", "value": True, "effect": "exclude",
         "description": "no building in the winter bed of the large rivers"},
    ]
    if profile == "2024":
        r += [{"name": "wbs-deep-polder", "layer": "substrate", "claims": BUILT, "attr": "elevation_m", "op": "<", "value": -5.0,
               "effect": "penalty", "per_ha": 4.0, "description": "deepest polder parts (below -5 m NAP), penalised"},
              {"name": "wbs-class-d", "layer": "substrate", "claims": BUILT, "attr": "wbs_class", "op": "==", "value": "D",
               "effect": "penalty", "per_ha": 3.0, "description": "water-and-soil class D, penalised"}]
    else:
        r.append({"name": "wbs-deep-polder", "layer": "substrate", "claims": BUILT, "attr": "elevation_m", "op": "<", "value": -5.0,
                  "effect": "exclude", "description": "no building in the deepest polder parts (below -5 m NAP)"})
    if profile == "strict-2022":
        r += [{"name": "wbs-class-d", "layer": "substrate", "claims": BUILT, "attr": "wbs_class", "op": "==", "value": "D",
               "effect": "exclude", "description": "water-and-soil class D: no"},
              {"name": "wbs-class-c-housing", "layer": "substrate", "claims": ["housing"], "attr": "wbs_class", "op": "==",
               "value": "C", "effect": "exclude", "description": "water-and-soil class C: no housing"}]
    low = {"base": 1.0, "strict-2022": 2.0, "2024": 0.5}[profile]
    r.append({"name": "wbs-low-lying", "layer": "substrate", "claims": BUILT, "attr": "elevation_m", "op": "<", "value": -1.0,
              "effect": "penalty", "per_ha": low, "description": "polder below -1 m NAP (subsidence, pluvial flooding), penalised"})
    if not has_sites(cell_m):
        r.append({"name": "logistics-site-size", "layer": "occupation", "claims": ["logistics"], "attr": "area_ha", "op": "<",
                  "value": MIN_SITE_HA["logistics"], "effect": "exclude",
                  "description": "large-scale means more than 5 ha (2023 programme): smaller (coastal) cells are left out"})
    r += [
        {"name": "logistics-motorway", "layer": "networks", "claims": ["logistics"], "attr": "dist_motorway_km", "op": ">",
         "value": 3.0, "effect": "exclude", "description": "XXL logistics within 3 km of a motorway"},
        {"name": "logistics-off-corridor", "layer": "networks", "claims": ["logistics"], "attr": "dist_freight_km", "op": ">",
         "value": 5.0, "effect": "penalty", "per_ha": 3.0, "description": "logistics more than 5 km from the freight corridors"},
        {"name": "water-bound", "layer": "networks", "claims": ["circular", "industry"], "attr": "dist_waterway_km", "op": ">",
         "value": 2.0, "effect": "penalty", "per_ha": 2.0,
         "description": "circular hubs and industry more than 2 km from a main waterway (quay- and water-bound sites are scarce)"},
        {"name": "multimodal", "layer": "networks", "claims": ["logistics"], "attr": "dist_waterway_km", "op": ">", "value": 10.0,
         "effect": "penalty", "per_ha": 1.0, "description": "XXL logistics more than 10 km from a main waterway (no multimodal access)"},
        {"name": "nitrogen-sensitive-nature", "layer": "substrate", "claims": ["industry", "logistics", "circular"],
         "attr": "dist_n2000_nitrogen_km", "op": "<", "value": 2.0, "effect": "penalty", "per_ha": 3.0,
         "description": "heavy traffic and industry within 2 km of a nitrogen-sensitive Natura 2000 area"},
        {"name": "energy-hv-substation", "layer": "networks", "claims": ["energy"], "attr": "dist_hv_km", "op": ">", "value": 5.0,
         "effect": "exclude", "description": "energy within 5 km of an HV station"},
        {"name": "circular-quay", "layer": "networks", "claims": ["circular"], "attr": "dist_quay_km", "op": ">", "value": 3.0,
         "effect": "exclude", "description": "circular hubs within 3 km of a port with quays"},
        {"name": "built-up", "layer": "occupation", "claims": [c for c in CLAIMS if c not in ("campus", "housing")],
         "attr": "current_use", "op": "==", "value": "housing", "effect": "exclude",
         "description": "existing towns; campuses may grow into them, housing may densify (capped: densification_ha)"},
        {"name": "open-landscape", "layer": "occupation", "claims": BUILT, "attr": "open_landscape", "op": "==", "value": True,
         "effect": "exclude", "description": "landscapes kept open: " + ", ".join(OPEN_LANDSCAPES.values())},
        {"name": "existing-campus", "layer": "occupation", "attr": "current_use", "op": "==", "value": "campus", "effect": "exclude"},
        {"name": "existing-park-in-use", "layer": "occupation", "claims": [*WORK_CLAIMS, "energy"], "attr": "park_kind", "op": "!=",
         "value": "cluster", "effect": "exclude",
         "description": "an existing business park outside the clusters is not new work land (intensification is not modelled)"},
        {"name": "park-without-pressure", "layer": "occupation", "claims": ["housing"], "attr": "park_kept", "op": "==",
         "value": True, "effect": "exclude",
         "description": "housing only on urban business parks where the 2023 programme places the transformation pressure"},
        {"name": "campus-adjacent", "layer": "occupation", "claims": ["campus"], "attr": "dist_campus_km", "op": ">", "value": 2.0,
         "effect": "exclude"},
        {"name": "industry-cluster", "layer": "occupation", "claims": ["industry"], "attr": "dist_cluster_km", "op": ">", "value": 3.0,
         "effect": "exclude", "description": "industry in or next to the five clusters"},
        {"name": "housing-near-town", "layer": "occupation", "claims": ["housing"], "attr": "dist_town_km", "op": ">", "value": 3.0,
         "effect": "exclude", "description": "new housing joins existing towns"},
        {"name": "housing-town-edge", "layer": "occupation", "claims": ["housing"], "attr": "dist_town_km", "op": ">", "value": 1.0,
         "effect": "penalty", "per_ha": 2.0, "description": "housing more than 1 km from a town, penalised"},
        {"name": "business-near-town", "layer": "occupation", "claims": ["business"], "attr": "dist_town_km", "op": ">", "value": 4.0,
         "effect": "exclude"},
        {"name": "land-take", "layer": "occupation", "attr": "current_use", "op": "==", "value": "agriculture", "effect": "penalty",
         "per_ha": LAND_TAKE_PER_HA, "description": "open land taken (an estimate of the agricultural and landscape value lost)"},
        {"name": "redevelop-town", "layer": "occupation", "attr": "current_use", "op": "==", "value": "housing", "effect": "penalty",
         "per_ha": REDEVELOPMENT_PER_HA, "description": "redeveloping built-up land (cheaper than open land: use what exists first)"},
        {"name": "redevelop-park", "layer": "occupation", "attr": "current_use", "op": "==", "value": "business_park", "effect": "penalty",
         "per_ha": REDEVELOPMENT_PER_HA, "description": "transforming a business park (cheaper than open land, but it must be compensated)"},
        {"name": "urban-park-housing", "layer": "occupation", "claims": ["housing"], "attr": "transformation_pressure", "op": "==",
         "value": True, "effect": "penalty", "per_ha": -URBAN_PARK_HOUSING_RETURN_PER_HA,
         "description": "housing on an urban business park under transformation pressure: the higher return of dwellings on "
                        "serviced inner-city land (a negative penalty: value added)"},
    ]
    return r


# --- the instance file --------------------------------------------------------------------

def claims(cell_m: float, plain: bool = False) -> dict:
    """The claims, all with the same value per ha. On cells coarser than ``ZONING_SCALE_M`` every claim is divisible (a
    unit takes a share) and business parks are not zoned (any two touching cells are 0 m apart). On cells smaller than
    a site (:func:`has_sites`) logistics and industry take ``MIN_SITE_HA`` and are whole-cell (a site is made of whole
    cells); on the coarse cells they keep ``MIN_SITE_HA`` as divisible claims (the cells holding a share of one form a
    site whose used area counts). ``plain``: no zoning categories and no minimum sites at all."""
    out = {k: {"value_per_ha": VALUE_PER_HA, **v} for k, v in CLAIMS.items()}
    if has_sites(cell_m) and not plain:
        for claim, hectares in MIN_SITE_HA.items():
            out[claim].pop("divisible", None)
            out[claim]["min_site_ha"] = hectares
    if cell_m > ZONING_SCALE_M:
        del out["business"]["env_category"]
        for claim in out.values():  # a 100 ha cell holds a share of a claim: no 100 ha blocks, no rounding shortfalls
            claim["divisible"] = True
        if not plain:  # large-scale means over 5 ha: a site of shares (each counted with its used area) holds the minimum
            for claim, hectares in MIN_SITE_HA.items():
                out[claim]["min_site_ha"] = hectares
    if plain:
        for claim in out.values():
            claim.pop("env_category", None)
            claim.pop("min_site_ha", None)
    return out


def grid_caps(rows: list[dict]) -> dict[str, float]:
    """Grid capacity per province (MW): the load of the floors × the headroom of its class (estimates)."""
    load: dict[str, float] = {}
    for row in rows:
        if row["level"] == "national" or row["claim"] not in MW_PER_HA or "min_ha" not in row:
            continue
        province = COROP_PROVINCE.get(row["region"], row["region"])
        load[province] = load.get(province, 0.0) + MW_PER_HA[row["claim"]] * row["min_ha"]
    return {p: float(math.ceil(v * GRID_HEADROOM["congested" if p in CONGESTED else "other"])) for p, v in sorted(load.items())}


def densification(rows: list[dict]) -> dict:
    """Housing on built-up land per province at most ``DENSIFICATION_SHARE`` of its housing floors (ha): a resource whose
    zones are the town cells of each province (``built_up_zone``, empty elsewhere)."""
    floors: dict[str, float] = {}
    for row in rows:
        if row["claim"] == "housing" and "min_ha" in row and row["level"] != "national":
            province = COROP_PROVINCE.get(row["region"], row["region"])
            floors[province] = floors.get(province, 0.0) + row["min_ha"]
    cap = {p: round(DENSIFICATION_SHARE * ha, 1) for p, ha in sorted(floors.items())}
    return {"densification_ha": {"zone_attr": "built_up_zone", "unit": "ha", "per_ha": {"housing": 1.0}, "cap": cap}}


def config(name: str, growth: str | None = None, housing: dict | None = None) -> dict:
    spec = INSTANCES[name]
    rows = demand(name, growth, housing)
    plain = spec.get("plain", False)
    out = {
        "description": f"{spec['title']}. Built from real open layers and typed features (instances/data); demand from the "
                       "policy documents' figures and marked estimates: see SOURCES.md.",
        "claims": claims(spec["cell_m"], plain),
        "demand": rows,
        "rules": rules("base", spec["cell_m"]),
    }
    if not plain:  # on 1 km cells only the existing categories of 500 m and more zone (touching cells are 0 m apart)
        existing = "env_category_heavy" if spec["cell_m"] > ZONING_SCALE_M else "env_category_existing"
        out["env_zoning"] = {"distance_m": VNG_DISTANCE_M, "existing_category_attr": existing, "sensitive_uses": ["housing"]}
    out["balance"] = [{"level": "province", "work_claims": ["business"], "housing_claim": "housing",
                       "work_ha_per_housing_ha": woon_werk_ratio()["minimum"]}]
    # no net loss: new land for firms (business parks, logistics, circular hubs, industry) replaces converted parks in the
    # same COROP region ("in de nabije omgeving"), on top of the region's growth floors (additional: the 2025 letter's
    # "verlies van elke hectare aan bedrijvigheid is er één teveel"); neither a campus nor an energy station is space for
    # relocated firms
    out["compensation"] = {"level": "corop", "business_use": "business_park",
                           "work_claims": ["business", "logistics", "circular", "industry"], "additional": True}
    out["resources"] = {"grid_mw": {"zone_attr": "province", "unit": "MW", "per_ha": MW_PER_HA, "cap": grid_caps(rows)},
                        **densification(rows)}
    out["budget"] = {"cost_attr": "cost_eur_per_m2", "max_relocation_eur_per_m2": RELOCATION_EUR_PER_M2_MAX}
    out["protected_claims"] = ["industry", "circular", "energy"]  # cluster land: cluster uses and energy (PEH) only
    out["objective"] = {"sense": "max_value", "shortfall_penalty_per_ha": 1000}
    out["solver"] = {"name": "highs", "mip_rel_gap": 0.01, "time_limit_s": spec.get("time_limit_s", 600), "threads": 2, "seed": 0}
    if plain:
        out["solver"].update(mip_rel_gap=0.001, time_limit_s=900, aggregate=True)
    elif spec["cell_m"] <= ZONING_SCALE_M:  # whole cells: full presolve finds the 1 % solution in seconds (light: 20-30 s)
        out["solver"]["presolve"] = "full"
    return out


def scenarios(name: str) -> dict[str, tuple[str, dict]]:
    if INSTANCES[name].get("plain") or INSTANCES[name].get("benchmark"):
        return {}
    return {
        "low-demand": ("Regular business parks and XXL logistics together at the low end of the 2025 letter's band (6 % of the "
                       "2017 stock); logistics unchanged.", {"demand": demand(name, "low")}),
        "high-demand": ("Regular business parks and XXL logistics together at the high end (13.5 % of the 2017 stock); logistics "
                        "unchanged; Zuid-Holland housing at its woondeal figure.",
                        {"demand": demand(name, "high", {**HOUSING_DWELLINGS, "PV28": ZH_WOONDEAL_DWELLINGS})}),
        "wbs-strict-2022": ("Water and soil steer (Kamerbrief 2022): class D excluded for all built claims, class C for housing.",
                            {"rules": rules("strict-2022", INSTANCES[name]["cell_m"])}),
        "wbs-2024": ("Taking water and soil into account (2024): deepest polders and class D penalised instead of excluded.",
                     {"rules": rules("2024", INSTANCES[name]["cell_m"])}),
        **(phased_scenarios(name) if not INSTANCES[name].get("province") else {}),
    }


def phased_scenarios(name: str) -> dict[str, tuple[str, dict]]:
    """The 2030 and 2050 horizons of the national instance (phasing: what is allocated by 2030 stays in 2050)."""
    rows = phased_demand(name)
    latest = {(r["level"], r.get("region"), r["claim"], "min_ha" in r): r for r in rows}  # 2050 rows come after 2030's
    # caps hold in every period alike (as the model states for phasing): the grid of 2050, sized on the 2050 floors as the base is on 2030's
    grid = {"grid_mw": {"zone_attr": "province", "unit": "MW", "per_ha": MW_PER_HA, "cap": grid_caps(list(latest.values()))}}
    phased = {"periods": HORIZONS, "demand": rows, "resources": grid}
    return {
        "horizon-2050": ("Two horizons, 2030 and 2050: the 2030 floors, and business parks with XXL logistics grown to "
                         "17,000 ha by 2050 (700 ha a year to 2030, 570 after: the 2023 programme, fn. 6); grid caps sized "
                         "on the 2050 floors.", phased),
        "horizon-2050-land-share": ("The two horizons with the 2023 programme's 3 % of the land for economic activity in "
                                    "2050 as a ceiling: at most 12,828.9 ha of new economic land (3 % of 3,367,098 ha "
                                    "less the 88,184 ha of 2017).", {**phased, "resources": {**grid, **land_share_ceiling()}}),
    }


def dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=140, default_flow_style=None)


HEADER = "# Written by instances/nl_calibration.py (python instances/make_nl.py); edit the calibration, not this file.\n"


def write_config(name: str, folder: Path) -> list[Path]:
    """Write ``instance.yaml`` and ``scenarios/*.yaml`` of one instance into ``folder``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "instance.yaml"]
    written[0].write_text(HEADER + dump(config(name)))
    overlays = scenarios(name)
    if overlays:
        (folder / "scenarios").mkdir(exist_ok=True)
    for scenario, (about, overlay) in overlays.items():
        path = folder / "scenarios" / f"{scenario}.yaml"
        path.write_text(f"# {about}\n{HEADER}" + dump(overlay))
        written.append(path)
    return written
