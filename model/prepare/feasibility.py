"""Feasibility before solving: what the hard rules already make impossible, with figures.

Run on the prepared pairs, before any model is built:

* **floors**: per demand floor, the eligible amount left after the hard rules (every
  eligible unit of the region with a positive amount given to the claim, an upper
  bound: a unit whose measure is negative, demolished dwellings say, only lowers
  the sum, so it is left out); when it is below
  the floor the shortfall is certain, and the message names the filters that removed
  the most land for that claim and region;
* **woon-werk balance** (hard): meeting a region's housing floor needs ρ times as much
  work land; the message compares it with the land eligible for work claims;
* **no net loss**: locked conversions of business-park land against the land on other
  uses eligible for work claims;
* **locked plans**: two locked pairs closer than the zoning distance, locked area
  above a ceiling (in a phased instance, the locks fixed by the ceiling's own period),
  locked use above a resource cap (with every possible supply), and
  locked cost above the budget. These make the model infeasible (exit 2).

Floors are soft, so the floor and balance findings are warnings; the locked findings
are conflicts the solve will confirm.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.inputs.schema import NATIONAL

TOP_RULES = 4


@dataclass
class Finding:
    kind: str  # floor | balance | compensation | locked
    hard: bool  # True: the hard constraints cannot hold; False: a certain shortfall
    message: str


def _fmt(value: float, unit: str = "ha") -> str:
    return f"{value:,.0f} {unit}" if abs(value) >= 100 else f"{value:,.1f} {unit}"


def _region_name(level: str, region: str) -> str:
    return "the whole instance" if level == NATIONAL else f"{region}"


def _removed_by(prep: Prepared, claim: str, level: str, region: str) -> str:
    ex = prep.exclusions
    rows = ex[(ex["claim"] == claim) & (ex["level"] == level) & (ex["region"] == region) & (ex["excluded_ha"] > 0)]
    rows = rows.sort_values(["excluded_ha", "rule"], ascending=[False, True]).head(TOP_RULES)
    if rows.empty:
        return ""
    return ": " + ", ".join(f"{r.rule} removes {_fmt(r.excluded_ha)}" for r in rows.itertuples())


def floor_findings(prep: Prepared) -> list[Finding]:
    out = []
    for d in prep.config.demand:
        if d.lower is None or d.lower <= 0:
            continue
        _, coef = prep.demand_coefficients(d)
        eligible = float(coef[coef > 0].sum())  # an upper bound: allocating a negative amount never helps a floor
        if d.lower > eligible + 1e-9:
            unit = d.measure or "ha"
            removed = _removed_by(prep, d.claim, d.level, d.region_key) if not d.measure else ""
            out.append(Finding("floor", False,
                               f"{_region_name(d.level, d.region_key)} asks {_fmt(d.lower, unit)} of {d.claim}; the hard rules leave "
                               f"{_fmt(eligible, unit)} eligible{removed} (shortfall at least {_fmt(d.lower - eligible, unit)})"))
    return out


def _eligible_area(prep: Prepared, claims: list[str], level: str, region: str) -> float:
    """Hectares of distinct units of the region eligible for at least one of the claims."""
    pairs = prep.pairs
    units = pairs["unit"].to_numpy()[np.isin(pairs["claim"].to_numpy(), claims)]
    units = np.unique(units)
    if level != NATIONAL:
        units = units[prep.instance.region_codes(level)[units] == region]
    return float(prep.units["area_ha"].to_numpy(float)[units].sum())


def balance_findings(prep: Prepared) -> list[Finding]:
    out = []
    for b in prep.config.balance:
        if b.penalty_per_ha is not None:
            continue
        for d in prep.config.demand:
            if d.claim != b.housing_claim or d.level != b.level or d.measure or not d.lower:
                continue
            needed = b.work_ha_per_housing_ha * d.lower
            eligible = _eligible_area(prep, list(b.work_claims), b.level, d.region_key)
            if needed > eligible + 1e-9:
                out.append(Finding("balance", False,
                                   f"{d.region_key}: meeting the {b.housing_claim} floor of {_fmt(d.lower)} needs {_fmt(needed)} of work land "
                                   f"under the woon-werk balance ({b.work_ha_per_housing_ha:g} per ha); only {_fmt(eligible)} is eligible "
                                   f"for {', '.join(b.work_claims)} (housing will fall short by at least {_fmt(d.lower - eligible / b.work_ha_per_housing_ha)})"))
    return out


def locked_findings(prep: Prepared) -> list[Finding]:
    locked = prep.locked_pairs
    if len(locked) == 0:
        return []
    out = []
    pairs = prep.pairs
    units, claims = pairs["unit"].to_numpy(), pairs["claim"].to_numpy(dtype=object)
    ids = prep.units["unit_id"].to_numpy(dtype=object)
    used = pairs["used_ha"].to_numpy()
    is_locked = np.zeros(len(pairs), bool)
    is_locked[locked] = True

    z = prep.zoning
    both = is_locked[z["heavy_pair"].to_numpy()] & is_locked[z["sensitive_pair"].to_numpy()]
    for h, s in z[both].to_numpy()[:10]:
        out.append(Finding("locked", True, f"locked {claims[h]} on unit {ids[units[h]]} and locked {claims[s]} on unit {ids[units[s]]} "
                                           "are closer than the zoning distance of the heavy claim's category"))
    config = prep.config
    lock_year = np.array([config.locked_period(lk) or 0 for lk in config.locked], dtype=np.int64)  # 0: one period
    for d in config.demand:
        if d.upper is None:
            continue
        # a ceiling holds for the state of its own period: only the locks fixed by then count (phasing)
        held = np.zeros(len(pairs), bool)
        held[locked[lock_year <= (config.demand_period(d) or 0)]] = True
        idx, coef = prep.demand_coefficients(d)
        locked_rows = held[idx]
        fixed = float(coef[locked_rows].sum())
        relief = float(coef[~locked_rows & (coef < 0)].sum())  # every unlocked pair that lowers the amount
        if fixed + relief > d.upper + 1e-9:
            unit = d.measure or "ha"
            also = f" (even with every eligible negative amount, {_fmt(relief, unit)})" if relief < 0 else ""
            out.append(Finding("locked", True, f"locked {d.claim} in {_region_name(d.level, d.region_key)} comes to "
                                               f"{_fmt(fixed, unit)}, above the ceiling of {_fmt(d.upper, unit)}{also}"))
    for name, res in prep.config.resources.items():
        rate = pd.Series(res.per_ha, dtype=float).reindex(claims).fillna(0.0).to_numpy() * used
        zone = res.zones(prep.units)[units]
        for z_code, cap in res.cap.items():
            in_zone = zone == str(z_code)
            fixed = rate[in_zone & is_locked].sum()
            supply = rate[in_zone & ~is_locked & (rate < 0)].sum()  # every possible supply
            if fixed + supply > cap + 1e-9:
                out.append(Finding("locked", True, f"locked plans in zone {z_code} use {fixed:,.1f} {res.unit or name} of {name}, above its cap of "
                                                   f"{cap:,.1f} even with every eligible supply ({-supply:,.1f})"))
    return out


def compensation_findings(prep: Prepared) -> list[Finding]:
    comp = prep.config.compensation
    locked = prep.locked_pairs
    if comp is None or len(locked) == 0:
        return []
    pairs = prep.pairs
    units, claims = pairs["unit"].to_numpy(), pairs["claim"].to_numpy(dtype=object)
    use = prep.units["current_use"].astype(object).to_numpy()
    stacking = {k for k, c in prep.config.claims.items() if c.stacking}
    converting = [p for p in locked if use[units[p]] == comp.business_use and claims[p] not in comp.work_claims and claims[p] not in stacking]
    if not converting:
        return []
    codes = prep.instance.region_codes(comp.level)
    out = []
    lost = pd.Series(pairs["used_ha"].to_numpy()[converting], index=codes[units[converting]]).groupby(level=0).sum()
    for region, ha in lost.items():
        work = np.isin(claims, list(comp.work_claims)) & (use[units] != comp.business_use) & (codes[units] == region)
        eligible = float(prep.units["area_ha"].to_numpy(float)[np.unique(units[work])].sum())
        if ha > eligible + 1e-9:
            out.append(Finding("compensation", True, f"{region}: locked plans convert {_fmt(ha)} of {comp.business_use} land, but only "
                                                     f"{_fmt(eligible)} of other land is eligible for new work land (no net loss)"))
    return out


def findings(prep: Prepared) -> list[Finding]:
    return floor_findings(prep) + balance_findings(prep) + compensation_findings(prep) + locked_findings(prep)
