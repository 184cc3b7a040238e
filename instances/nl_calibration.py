"""Published figures and estimates behind the built-in Dutch instances, and the writer of
their ``instance.yaml`` and scenario overlays.

Every constant names its source in ``SOURCES.md`` of the instances; a test reads the
tables of that file back and compares them with what is generated here.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import yaml

# --- published figures ------------------------------------------------------------------
# Provincial housing agreements of 13 October 2022 (IPO), dwellings to end-2030.
HOUSING_DWELLINGS = {
    "PV20": 28_359, "PV21": 17_500, "PV22": 13_631, "PV23": 42_300, "PV24": 39_193, "PV25": 100_000,
    "PV26": 83_500, "PV27": 183_600, "PV28": 235_460, "PV29": 16_500, "PV30": 130_600, "PV31": 26_550,
}
ZH_WOONDEAL_DWELLINGS = 247_896  # Zuid-Holland, 2022 to end-2030, gross (provincial budget 2026)
HA_PER_1000_DWELLINGS = 30.0  # greenfield; CBS 319 m² per household (2006) and 25–35 dwellings/ha
# CBS Bodemgebruik 2017 (StatLine 70262ned), bedrijventerrein, ha; Limburg derived (Zuid − Noord-Brabant).
BUSINESS_PARK_HA = {
    "PV20": 3_527, "PV21": 4_252, "PV22": 3_065, "PV23": 6_560, "PV24": 2_214, "PV25": 10_605,
    "PV26": 4_410, "PV27": 10_058, "PV28": 16_458, "PV29": 3_792, "PV30": 16_136, "PV31": 7_106,
}
BUSINESS_HA_PER_YEAR = 700.0  # Programma Ruimte voor Economie (Oct 2023), up to and including 2030
BUSINESS_YEARS = 8  # 2023 to 2030 inclusive
GROWTH_BANDWIDTH = {"low": 0.06, "high": 0.135}  # growth of the existing stock, low and high scenario
ELECTROLYSER_HA_PER_GW = 10.0  # PEH: 4 GW by 2030 ≈ 40 ha
ELECTROLYSER_GW = {"CR02": 1.0, "CR29": 1.5, "CR32": 0.8, "CR20": 0.7}  # split over landing points: estimate
BATTERY_GW = {"PV20": 3.0, "PV24": 2.0, "PV30": 2.0}  # TenneT 2023: 9 GW, most in Groningen, ~2 GW in FL and NB
BATTERY_GW_ELSEWHERE = 2.0
BATTERY_HA_PER_100MW = 1.0  # estimate
STEC_BRABANT = {  # Noord-Brabant, Stec 2022: business-park demand 2030 (ha, low–high) and hard plan supply
    "total": (973, 1_321), "CR33": (282, 380), "CR36": (242, 376), "hard_supply": 625,
}

# --- estimates --------------------------------------------------------------------------
LOGISTICS_HA_PER_YEAR = 280.0  # XXL land take: 1.7 million m² floor a year at a floor-area ratio of 0.6
LOGISTICS_HOTSPOTS = {  # weight: XXL DCs 2013–19 where counted, otherwise an estimate from the rankings
    "CR33": 18, "CR37": 15, "CR29": 14, "CR34": 12, "CR36": 8, "CR35": 10,
    "CR40": 6, "CR16": 6, "CR23": 6, "CR17": 5, "CR15": 5, "CR10": 4,
}
NEW_SUBSTATIONS = 30  # "tientallen" (dozens of) new HV stations
SUBSTATION_HA = 5.0
CAMPUS_HA = {"PV26": 40, "PV30": 50, "PV28": 40, "PV23": 20, "PV25": 35, "PV31": 30, "PV27": 15, "PV20": 15}
CIRCULAR_HA = {"PV28": 200, "PV27": 120, "PV29": 80, "PV20": 80, "PV30": 50, "PV31": 30}
INDUSTRY_HA = {"PV28": 150, "PV30": 80, "PV27": 100, "PV20": 100, "PV22": 30, "PV29": 100, "PV31": 100}
CEILING_FACTOR = 1.3  # plan capacity over demand
CONGESTED = {"PV24", "PV25", "PV26", "PV27", "PV30", "PV31"}  # grid-congestion provinces (estimate)
MW_PER_HA = {"energy": -10.0, "industry": 1.5, "circular": 0.5, "campus": 0.5, "logistics": 0.2, "business": 0.3, "housing": 0.05}

CLAIMS = {
    "housing": {"value_per_ha": 10, "sensitive": True, "suitability_attr": "suit_housing", "label": "Woningbouw"},
    "energy": {"value_per_ha": 3, "divisible": True, "label": "Energie-infrastructuur"},
    "circular": {"value_per_ha": 7, "env_category": "4.2", "divisible": True, "label": "Circulaire hubs"},
    "logistics": {"value_per_ha": 6, "env_category": "4.1", "min_site_ha": 10, "suitability_attr": "suit_logistics",
                  "label": "Grootschalige logistiek"},
    "campus": {"value_per_ha": 9, "divisible": True, "label": "Campusgroei"},
    "business": {"value_per_ha": 5, "env_category": "3.2", "label": "Bedrijventerreinen (mkb)"},
    "industry": {"value_per_ha": 8, "env_category": "5.2", "divisible": True, "label": "Industriecluster"},
}
ZONING_SCALE_M = 500  # above this cell size, SME parks (category 3.2, 100 m) leave the zoning


def claims(cell_m: float, plain: bool = False) -> dict:
    """The claims; on cells coarser than ``ZONING_SCALE_M`` business parks are not zoned, because any
    two touching cells conflict and the 100 m guideline distance would block every adjacent cell.
    ``plain``: no zoning categories and no minimum sites at all (no pairwise families)."""
    out = {k: dict(v) for k, v in CLAIMS.items()}
    if cell_m > ZONING_SCALE_M:
        del out["business"]["env_category"]
    if plain:
        for claim in out.values():
            claim.pop("env_category", None)
            claim.pop("min_site_ha", None)
    return out


WORK_CLAIMS = ["business", "logistics", "circular", "campus", "industry"]
VNG_DISTANCE_M = {"1": 10, "2": 30, "3.1": 50, "3.2": 100, "4.1": 200, "4.2": 300, "5.1": 500, "5.2": 700, "5.3": 1000, "6": 1500}

INSTANCES = {
    "nl-provinces": {"cell_m": 1000.0, "title": "The Netherlands by province and COROP region, 1 km cells"},
    "zuid-holland": {"cell_m": 500.0, "provinces": ["PV28"], "title": "Zuid-Holland by COROP region, 500 m cells"},
    "noord-brabant": {"cell_m": 500.0, "provinces": ["PV30"], "title": "Noord-Brabant by COROP region, 500 m cells"},
    # generated on request only (3.5 M cells, ~170 MB): the national benchmark of issue 8. No pairwise families,
    # suitability in classes of SUITABILITY_STEP, aggregation on: interchangeable cells are solved as classes.
    "nl-100m": {"cell_m": 100.0, "title": "The Netherlands at 100 m, without pairwise families (national benchmark)",
                "plain": True, "on_request": True},
}
SUITABILITY_STEP = 0.05  # nl-100m: suitability maps in classes, as land-use models classify them


# --- demand -------------------------------------------------------------------------------

def business_total(growth: str | None = None) -> float:
    if growth is None:
        return BUSINESS_HA_PER_YEAR * BUSINESS_YEARS
    return GROWTH_BANDWIDTH[growth] * sum(BUSINESS_PARK_HA.values())


def ceiling(claim: str, minimum: float, cell_ha: float) -> float:
    """Plan capacity over demand; for a claim taken in whole cells at least the demand rounded up to cells."""
    top = minimum * CEILING_FACTOR
    if not CLAIMS[claim].get("divisible"):
        top = max(top, math.ceil(round(minimum / cell_ha, 6)) * cell_ha)
    return round(top, 1)


def _row(level: str, region: str | None, claim: str, minimum: float, cell_ha: float) -> dict:
    row = {"level": level}
    if region is not None:
        row["region"] = region
    row.update(claim=claim, min_ha=round(float(minimum), 1), max_ha=ceiling(claim, float(minimum), cell_ha))
    return row


def national_demand(cell_ha: float, growth: str | None = None, housing: dict | None = None) -> list[dict]:
    def row(level, region, claim, minimum):
        return _row(level, region, claim, minimum, cell_ha)

    housing = housing or HOUSING_DWELLINGS
    stock = sum(BUSINESS_PARK_HA.values())
    factor = business_total(growth) / business_total(None)
    rows = [row("province", p, "housing", d * HA_PER_1000_DWELLINGS / 1000) for p, d in housing.items()]
    rows += [row("province", p, "business", business_total(growth) * ha / stock) for p, ha in BUSINESS_PARK_HA.items()]
    logistics = LOGISTICS_HA_PER_YEAR * BUSINESS_YEARS * factor
    weight = sum(LOGISTICS_HOTSPOTS.values())
    rows += [row("corop", c, "logistics", logistics * w / weight) for c, w in LOGISTICS_HOTSPOTS.items()]
    rows += [row("corop", c, "energy", gw * ELECTROLYSER_HA_PER_GW) for c, gw in ELECTROLYSER_GW.items()]
    rows += [row("province", p, "energy", gw * 10 * BATTERY_HA_PER_100MW) for p, gw in BATTERY_GW.items()]
    rows += [row("province", p, "campus", ha) for p, ha in CAMPUS_HA.items()]
    rows += [row("province", p, "circular", ha) for p, ha in CIRCULAR_HA.items()]
    rows += [row("province", p, "industry", ha) for p, ha in INDUSTRY_HA.items()]
    energy = sum(ELECTROLYSER_GW.values()) * ELECTROLYSER_HA_PER_GW + (sum(BATTERY_GW.values()) + BATTERY_GW_ELSEWHERE) * 10 * BATTERY_HA_PER_100MW
    rows.append(row("national", None, "energy", energy + NEW_SUBSTATIONS * SUBSTATION_HA))
    rows.append(row("national", None, "logistics", logistics))
    return rows


def regional_demand(province: str, corops: set[str], cell_ha: float, growth: str | None = None, housing: dict | None = None) -> list[dict]:
    rows = [r for r in national_demand(cell_ha, growth, housing) if r.get("region") == province or r.get("region") in corops]
    if province == "PV30":
        low_high = 0 if growth != "high" else 1
        rows = [r for r in rows if r["claim"] != "business"]
        total = STEC_BRABANT["total"]
        rows.append({"level": "province", "region": "PV30", "claim": "business",
                     "min_ha": float(total[low_high]), "max_ha": ceiling("business", total[1], cell_ha)})
        for corop in ("CR33", "CR36"):
            lo, hi = STEC_BRABANT[corop]
            rows.append({"level": "corop", "region": corop, "claim": "business",
                         "min_ha": float((lo, hi)[low_high]), "max_ha": ceiling("business", hi, cell_ha)})
    return rows


# --- rules ----------------------------------------------------------------------------------

BUILT = ["housing", "circular", "logistics", "campus", "business", "industry"]


def rules(profile: str = "base", province: str | None = None) -> list[dict]:
    """Layer rules. ``base``: floodplains and the deepest polders hard, peat and subsidence soft.
    ``strict-2022``: water and soil steer (RAK class D hard for all built claims, C hard for
    housing). ``2024``: taking water and soil into account (deep polders become a penalty)."""
    substrate = [
        {"name": "wbs-floodplain", "layer": "substrate", "attr": "floodplain", "op": "==", "value": True, "effect": "exclude",
         "description": "no building in the winter bed of the large rivers"},
    ]
    if profile == "2024":
        substrate.append({"name": "wbs-deep-polder", "layer": "substrate", "claims": BUILT, "attr": "polder_depth_m", "op": ">",
                          "value": 5.0, "effect": "penalty", "per_ha": 4.0, "description": "deepest polder parts, penalised"})
    else:
        substrate.append({"name": "wbs-deep-polder", "layer": "substrate", "claims": BUILT, "attr": "polder_depth_m", "op": ">",
                          "value": 5.0, "effect": "exclude", "description": "no building in the deepest polder parts"})
    peat = 1.0 if profile == "2024" else (4.0 if profile == "strict-2022" else 2.0)
    substrate += [
        {"name": "wbs-peat", "layer": "substrate", "claims": BUILT, "attr": "peat", "op": "==", "value": True, "effect": "penalty",
         "per_ha": peat, "description": "peat meadow, penalised"},
        {"name": "wbs-subsidence", "layer": "substrate", "claims": BUILT, "attr": "subsidence_mm_yr", "op": ">", "value": 5.0,
         "effect": "penalty", "per_ha": peat / 2, "description": "subsidence above 5 mm a year, penalised"},
        {"name": "natura2000", "layer": "substrate", "attr": "natura2000", "op": "==", "value": True, "effect": "exclude"},
    ]
    if profile == "strict-2022":
        substrate += [
            {"name": "wbs-class-d", "layer": "substrate", "claims": BUILT, "attr": "wbs_class", "op": "==", "value": "D",
             "effect": "exclude", "description": "water-and-soil class D: no"},
            {"name": "wbs-class-c-housing", "layer": "substrate", "claims": ["housing"], "attr": "wbs_class", "op": "==",
             "value": "C", "effect": "exclude", "description": "water-and-soil class C: no housing"},
        ]
    if profile == "2024":
        substrate.append({"name": "wbs-class-d", "layer": "substrate", "claims": BUILT, "attr": "wbs_class", "op": "==",
                          "value": "D", "effect": "penalty", "per_ha": 3.0, "description": "water-and-soil class D, penalised"})
    networks = [
        {"name": "logistics-motorway", "layer": "networks", "claims": ["logistics"], "attr": "dist_motorway_km", "op": ">", "value": 3.0, "effect": "exclude"},
        {"name": "logistics-off-corridor", "layer": "networks", "claims": ["logistics"], "attr": "dist_corridor_km", "op": ">", "value": 10.0,
         "effect": "penalty", "per_ha": 1.0, "description": "logistics away from the freight corridors Oost and Zuidoost"},
        {"name": "energy-hv-substation", "layer": "networks", "claims": ["energy"], "attr": "dist_hv_km", "op": ">", "value": 5.0, "effect": "exclude"},
        {"name": "circular-quay", "layer": "networks", "claims": ["circular"], "attr": "dist_quay_km", "op": ">", "value": 3.0, "effect": "exclude"},
    ]
    occupation = [
        {"name": "built-up", "layer": "occupation", "claims": [c for c in CLAIMS if c != "campus"], "attr": "current_use", "op": "==",
         "value": "housing", "effect": "exclude", "description": "existing towns; campuses may grow into them"},
        {"name": "existing-campus", "layer": "occupation", "attr": "current_use", "op": "==", "value": "campus", "effect": "exclude"},
        {"name": "greenhouse-relocation", "layer": "occupation", "attr": "current_use", "op": "==", "value": "greenhouse",
         "effect": "penalty", "per_ha": 4.0, "description": "relocating greenhouse horticulture"},
        {"name": "campus-adjacent", "layer": "occupation", "claims": ["campus"], "attr": "dist_campus_km", "op": ">", "value": 2.0, "effect": "exclude"},
        {"name": "industry-cluster", "layer": "occupation", "claims": ["industry"], "attr": "dist_cluster_km", "op": ">", "value": 4.0, "effect": "exclude"},
        {"name": "housing-near-town", "layer": "occupation", "claims": ["housing"], "attr": "dist_city_km", "op": ">", "value": 4.0, "effect": "exclude",
         "description": "new housing joins existing towns"},
        {"name": "business-near-town", "layer": "occupation", "claims": ["business"], "attr": "dist_city_km", "op": ">", "value": 5.0, "effect": "exclude"},
    ]
    if province == "PV30":
        occupation.append({"name": "business-outside-hard-plans", "layer": "occupation", "claims": ["business"], "attr": "hard_plan_business",
                           "op": "==", "value": False, "effect": "penalty", "per_ha": 2.0,
                           "description": "business-park land beyond the hard plan supply"})
    return substrate + networks + occupation


# --- the instance file --------------------------------------------------------------------

def grid_caps(demand: list[dict], provinces: list[str]) -> dict[str, float]:
    """Grid capacity per province: the load of the demand floors, times 0.6 where congested."""
    load = dict.fromkeys(provinces, 0.0)
    corop_province = _corop_province()
    for row in demand:
        region = row.get("region")
        province = corop_province.get(region, region)
        if province in load and row["claim"] != "energy" and "min_ha" in row:
            load[province] += MW_PER_HA[row["claim"]] * row["min_ha"]
    return {p: round(v * (0.6 if p in CONGESTED else 1.5), 0) for p, v in load.items()}


def _corop_province() -> dict[str, str]:
    import nl_geography as geo

    return {code: province for code, (_, province, _) in geo.COROPS.items()}


def config(name: str, units: pd.DataFrame, units_file: str, cell_m: float, demand: list[dict] | None = None) -> dict:
    spec = INSTANCES[name]
    provinces = sorted(units["province"].unique())
    province = spec["provinces"][0] if spec.get("provinces") else None
    if demand is None:
        demand = _demand(name, units)
    regions = ["province", "corop"]
    return {
        "name": name,
        "description": f"{spec['title']} ({len(units):,} cells of {cell_m * cell_m / 10_000:g} ha). Synthetic geography, "
                       "demand from published figures and marked estimates: see SOURCES.md. Generated by instances/make_nl.py.",
        "crs": "EPSG:28992",
        "units": units_file,
        "regions": regions,
        "claims": claims(cell_m, spec.get("plain", False)),
        "demand": demand,
        "rules": rules("base", province),
        **({} if spec.get("plain") else
           {"env_zoning": {"distance_m": VNG_DISTANCE_M, "existing_category_attr": "env_category_existing", "sensitive_uses": ["housing"]}}),
        "balance": [{"level": "province", "work_claims": WORK_CLAIMS, "housing_claim": "housing", "work_ha_per_housing_ha": 0.2, "penalty_per_ha": 50.0}],
        "compensation": {"level": "province", "business_use": "business_park", "work_claims": WORK_CLAIMS},
        "resources": {"grid_mw": {"zone_attr": "grid_zone", "unit": "MW", "per_ha": MW_PER_HA, "cap": grid_caps(demand, provinces)}},
        "protected_claims": ["business", "industry", "circular"],
        "objective": {"sense": "max_value", "shortfall_penalty_per_ha": 1000},
        "solver": {"name": "highs", "mip_rel_gap": 0.01, "time_limit_s": 600, "threads": 2, "seed": 0}
        if not spec.get("plain") else
        {"name": "highs", "mip_rel_gap": 0.001, "time_limit_s": 900, "threads": 2, "seed": 0, "aggregate": True},
    }


def _demand(name: str, units: pd.DataFrame, growth: str | None = None, housing: dict | None = None) -> list[dict]:
    spec = INSTANCES[name]
    cell_ha = float(units["area_ha"].iloc[0])
    if not spec.get("provinces"):
        return with_top_ceilings(national_demand(cell_ha, growth, housing), "national", None)
    province = spec["provinces"][0]
    rows = regional_demand(province, set(units["corop"].unique()), cell_ha, growth, housing)
    return with_top_ceilings(rows, "province", province)


def with_top_ceilings(rows: list[dict], level: str, region: str | None) -> list[dict]:
    """Cap every claim over the whole instance at the sum of its regional ceilings, so that a
    claim with a positive value does not spread over regions that ask nothing of it."""
    covered = {r["claim"] for r in rows if r["level"] == level and r.get("region") == region}
    out = list(rows)
    for claim in CLAIMS:
        if claim in covered:
            continue
        top = round(sum(r["max_ha"] for r in rows if r["claim"] == claim), 1)
        row = {"level": level, **({"region": region} if region else {}), "claim": claim, "max_ha": top}
        out.append(row)
    return out


def scenarios(name: str, units: pd.DataFrame) -> dict[str, tuple[str, dict]]:
    spec = INSTANCES[name]
    province = spec["provinces"][0] if spec.get("provinces") else None
    out = {
        "low-demand": ("Business parks and logistics at the low end of the growth bandwidth (6 % of the 2017 stock).",
                       {"demand": _demand(name, units, "low")}),
        "high-demand": ("Business parks and logistics at the high end (13.5 % of the 2017 stock); Zuid-Holland housing at its woondeal figure.",
                        {"demand": _demand(name, units, "high", {**HOUSING_DWELLINGS, "PV28": ZH_WOONDEAL_DWELLINGS})}),
        "wbs-strict-2022": ("Water and soil steer (Kamerbrief 2022): class D excluded for all built claims, class C for housing.",
                            {"rules": rules("strict-2022", province)}),
        "wbs-2024": ("Taking water and soil into account (2024): deepest polders and class D penalised instead of excluded.",
                     {"rules": rules("2024", province)}),
    }
    return out


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=140, default_flow_style=None)


def write_instance(name: str, units: pd.DataFrame, out: Path, units_file: str, cell_m: float) -> None:
    header = "# Generated by instances/make_nl.py; edit the generator, not this file. Sources: SOURCES.md\n"
    (out / "instance.yaml").write_text(header + _dump(config(name, units, units_file, cell_m)))
    (out / "scenarios").mkdir(exist_ok=True)
    for scenario, (about, overlay) in scenarios(name, units).items():
        (out / "scenarios" / f"{scenario}.yaml").write_text(f"# {about}\n{header}" + _dump(overlay))
