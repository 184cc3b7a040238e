"""An independent checker of a solved allocation.

It re-reads the rules of docs/model.md from the instance and checks an allocation
against them with its own, deliberately plain code (per-unit loops, shapely
distances, networkx components): none of the model's preprocessing or
formulation code is used, so a bug there cannot hide itself here.
"""
from __future__ import annotations

import math
import operator
from collections import defaultdict
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import shapely

TOL = 1e-6
OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne}


class CheckFailed(AssertionError):
    pass


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _spell(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


TRUE_WORDS = ("true", "1", "yes", "ja", "j", "waar", "on")
FALSE_WORDS = ("false", "0", "no", "nee", "n", "onwaar", "off")


def rule_matches(value, op, target) -> bool:
    """The rule's value in the unit's type (docs/instances.md, *Reading values*): a spelled number is that number, a spelled boolean that boolean."""
    if _missing(value):
        return False
    if isinstance(value, (bool, np.bool_)):
        target = target if isinstance(target, bool) else str(target).strip().lower() in TRUE_WORDS
        return OPS[op](bool(value), target)
    if isinstance(value, (int, float, np.number)):
        if isinstance(target, str):  # "1" is 1 (a number); true, ja… against a 0/1 column are 1 and 0
            word = target.strip().lower()
            target = 1.0 if word in TRUE_WORDS else 0.0 if word in FALSE_WORDS else float(word)
        return OPS[op](float(value), float(target))
    return OPS[op](_spell(value), _spell(target))


def _distance(ez, category: str) -> float:
    """The guideline distance of a category, matched by spelling or, failing that, with a whole number's trailing
    ".0" dropped ("5.0" is "5"; "4.10" is not "4.1")."""
    if category in ez.distance_m:
        return ez.distance_m[category]

    def bare(text: str) -> str:
        text = str(text).strip()
        return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text

    same = [d for k, d in ez.distance_m.items() if bare(k) == bare(category)]
    if len(same) != 1:
        raise KeyError(category)
    return same[0]


def _cost_per_ha_short(cfg, d) -> float:
    """What one hectare short of floor ``d`` costs in the objective (its weight / floor in min_shortfall)."""
    if cfg.objective.sense == "min_shortfall":
        return d.weight / d.lower
    return d.shortfall_penalty if d.shortfall_penalty is not None else cfg.objective.shortfall_penalty_per_ha


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _fail(problems: list, msg: str) -> None:
    problems.append(msg)


@dataclass(frozen=True)
class _Row:
    unit_id: str
    claim: str
    share: float
    used_ha: float


def check(instance, alloc: pd.DataFrame, summary: pd.DataFrame | None = None, objective: float | None = None) -> dict:
    """Raise CheckFailed listing every violated rule; return recomputed figures.

    A phased allocation (``period`` and ``share_<year>`` columns) is checked period by period:
    shares never shrink, every family holds on each period's state, each demand row in its
    own period, and the objective is the contract's phased one.
    """
    cfg = instance.config
    units = instance.units.set_index("unit_id", drop=False)
    geom = dict(zip(instance.units["unit_id"], instance.geometry))
    claims = cfg.claims
    problems: list[str] = []
    years = list(cfg.periods) if cfg.periods else [None]

    def used(uid, k, share=1.0):
        f = claims[k].area_factor if claims[k].stacking else 1.0
        return float(units.at[uid, "area_ha"]) * f * share

    for r in alloc.itertuples(index=False):
        if abs(r.used_ha - used(r.unit_id, r.claim, r.share)) > 1e-4:
            _fail(problems, f"({r.unit_id}, {r.claim}) used_ha {r.used_ha} != {used(r.unit_id, r.claim, r.share)}")
    if cfg.periods:
        shares = alloc[[f"share_{y}" for y in years]].to_numpy(float)
        for r, row in zip(alloc.itertuples(index=False), shares):
            if (np.diff(row) < -TOL).any():
                _fail(problems, f"({r.unit_id}, {r.claim}) shrinks over the periods: {row.tolist()}")
            first = years[int(np.argmax(row > TOL))]
            if r.period != first:
                _fail(problems, f"({r.unit_id}, {r.claim}) period {r.period}, but first allocated in {first}")
            if abs(row[-1] - r.share) > TOL:
                _fail(problems, f"({r.unit_id}, {r.claim}) share {r.share} is not its last period's {row[-1]}")

    totals = {"max_value": 0.0, "min_cost": 0.0, "min_shortfall": 0.0, "value": 0.0, "cost": 0.0}
    for t, year in enumerate(years):
        if year is None:
            rows = [_Row(r.unit_id, r.claim, r.share, r.used_ha) for r in alloc.itertuples(index=False)]
        else:
            rows = [_Row(r.unit_id, r.claim, float(getattr(r, f"share_{year}")), used(r.unit_id, r.claim, float(getattr(r, f"share_{year}"))))
                    for r in alloc.itertuples(index=False) if getattr(r, f"share_{year}") > TOL]
        demands = [d for d in cfg.demand if year is None or cfg.demand_period(d) == year]
        block = summary if summary is None or year is None else summary[summary["period"] == year]
        limit = cfg.budget.limit(year) if cfg.budget else None
        for lk in cfg.locked:
            if year is None or cfg.locked_period(lk) <= year:
                if not any(r.unit_id == lk.unit_id and r.claim == lk.claim for r in rows):
                    _fail(problems, f"locked ({lk.unit_id}, {lk.claim}) is not allocated" + (f" in {year}" if year else ""))
        fig = _check_state(instance, units, geom, rows, demands, limit, block, problems, used)
        w = cfg.objective.weight(year)
        last = t == len(years) - 1
        totals["max_value"] += w * (fig["value"] - fig["penalty"] - fig["balance_cost"]) - fig["shortfall_cost"]
        totals["min_cost"] += w * (fig["penalty"] + fig["balance_cost"]) + fig["shortfall_cost"] + (fig["cost"] if last else 0.0)
        totals["min_shortfall"] += fig["rel_shortfall"]
        totals["value"] += w * fig["value"]
        totals["cost"] = fig["cost"]
    sense = cfg.objective.sense
    key = "max_value" if sense == "max_min_fulfilment" else sense
    if objective is not None and abs(totals[key] - objective) > 1e-5 * max(1.0, abs(objective)):
        _fail(problems, f"objective {objective} differs from the recomputed {key} {totals[key]}")
    if problems:
        raise CheckFailed("\n".join(problems))
    return totals


def _check_state(instance, units, geom, rows, demands, budget_limit, summary, problems, used) -> dict:
    """Every family on one state of the allocation; returns its value, penalty, cost, shortfall and balance figures."""
    cfg = instance.config
    claims = cfg.claims
    # --- pairs are unique, single use, stacking hosts
    seen = set()
    share_sum = defaultdict(float)
    on_unit = defaultdict(set)
    for r in rows:
        if (r.unit_id, r.claim) in seen:
            _fail(problems, f"pair ({r.unit_id}, {r.claim}) appears twice")
        seen.add((r.unit_id, r.claim))
        on_unit[r.unit_id].add(r.claim)
        if not claims[r.claim].stacking:
            share_sum[r.unit_id] += r.share
        if not claims[r.claim].divisible and abs(r.share - 1) > TOL:
            _fail(problems, f"({r.unit_id}, {r.claim}) has share {r.share} but the claim is not divisible")
    for uid, total in share_sum.items():
        if total > 1 + TOL:
            _fail(problems, f"unit {uid} is used {total:.3f} times by non-stacking claims")
    for r in rows:
        hosts = claims[r.claim].stacks_on
        if hosts and not (on_unit[r.unit_id] & set(hosts)):
            _fail(problems, f"stacking ({r.unit_id}, {r.claim}) has no host among {hosts}")

    # --- hard rules, protected units, relocation limit
    for rule in cfg.rules:
        if rule.effect != "exclude":
            continue
        applies = set(rule.claims) if rule.claims is not None else set(claims)
        for r in rows:
            if r.claim in applies and rule_matches(units.at[r.unit_id, rule.attr], rule.op, rule.value):
                _fail(problems, f"({r.unit_id}, {r.claim}) violates hard rule {rule.name}")
    if "protected" in units.columns:
        for r in rows:
            flag = units.at[r.unit_id, "protected"]
            if not _missing(flag) and bool(flag) and r.claim not in cfg.protected_claims:
                _fail(problems, f"protected unit {r.unit_id} got {r.claim}")
    if cfg.budget and cfg.budget.max_relocation_eur_per_m2 is not None:
        for r in rows:
            c = units.at[r.unit_id, cfg.budget.cost_attr]
            if not _missing(c) and c > cfg.budget.max_relocation_eur_per_m2:
                _fail(problems, f"unit {r.unit_id} costs {c} €/m², above the relocation limit, but got {r.claim}")

    # --- environmental zoning: new-new pairs, and existing uses until their unit is transformed.
    # A pair counts by its presence (any share > 0, divisible or not): a present heavy and a present sensitive pair
    # closer than the distance conflict, on one unit too (distance 0); a present pair near an existing use needs
    # that unit wholly transformed (T = 1).
    ez = cfg.env_zoning
    if ez is not None:
        transformed = defaultdict(float)  # T[u]: the non-stacking shares on u
        for r in rows:
            if not claims[r.claim].stacking:
                transformed[r.unit_id] += r.share
        present = [r for r in rows if r.share > TOL]
        new_heavy = [r for r in present if claims[r.claim].env_category is not None]
        new_sensitive = [r for r in present if claims[r.claim].sensitive]
        for h in new_heavy:
            dist = _distance(ez, claims[h.claim].env_category)
            for s in new_sensitive:
                if s is h:
                    continue
                d = shapely.distance(geom[h.unit_id], geom[s.unit_id])
                if d < dist - 1e-9:
                    _fail(problems, f"zoning: new {h.claim} on {h.unit_id} (share {h.share:.3f}) is {d:.1f} m from new "
                                    f"{s.claim} on {s.unit_id} (share {s.share:.3f}) (< {dist} m)")
        existing = []  # (existing unit, distance for a new pair, the new pairs it keeps away, what it is)
        if ez.existing_category_attr:
            for uid, cat in units[ez.existing_category_attr].items():
                if not _missing(cat):
                    existing.append((uid, lambda r, c=_spell(cat): _distance(ez, c), new_sensitive, f"existing category {_spell(cat)}"))
        for uid, use in units.get("current_use", pd.Series(dtype=object)).items():
            if not _missing(use) and use in ez.sensitive_uses:
                existing.append((uid, lambda r: _distance(ez, claims[r.claim].env_category), new_heavy, f"existing {use}"))
        for uid, distance, kept_away, what in existing:
            for r in kept_away:
                d = shapely.distance(geom[uid], geom[r.unit_id])
                if d < distance(r) - 1e-9 and transformed[uid] < 1 - TOL:
                    _fail(problems, f"zoning: {what} on {uid} (transformed {transformed[uid]:.3f}) is {d:.1f} m from new "
                                    f"{r.claim} on {r.unit_id} (share {r.share:.3f}, < {distance(r)} m)")

    # --- minimum site size: connected components of allocated units (a divisible claim's: the units with a share
    # above TOL), each with its used area, area · share (· area_factor for a stacking claim)
    for k, c in claims.items():
        if c.min_site_ha is None:
            continue
        share_of = {r.unit_id: r.share for r in rows if r.claim == k and r.share > TOL}
        mine = list(share_of)
        g = nx.Graph()
        g.add_nodes_from(mine)
        for i, a in enumerate(mine):
            for b in mine[i + 1:]:
                shared = shapely.intersection(geom[a].boundary, geom[b].boundary)
                if shared.length > 1e-6:
                    g.add_edge(a, b)
        for comp in nx.connected_components(g):
            area = sum(used(u, k, share_of[u]) for u in comp)
            if area < c.min_site_ha - 1e-4:  # as the other area rows: shares meet a row within the solver's tolerance
                _fail(problems, f"min site: {k} site {sorted(comp)} has {area:.3f} ha < {c.min_site_ha}")

    # --- demand accounting, ceilings
    def region_of(uid, level):
        return "NL" if level == "national" else units.at[uid, level]

    demand_amount, shortfall = [], []
    for d in demands:
        amount = 0.0
        for r in rows:
            if r.claim == d.claim and region_of(r.unit_id, d.level) == d.region_key:
                if d.measure:
                    v = units.at[r.unit_id, d.measure]
                    amount += (0.0 if _missing(v) else float(v)) * r.share
                else:
                    amount += r.used_ha
        demand_amount.append(amount)
        shortfall.append(max(0.0, d.lower - amount) if d.lower else 0.0)
        if d.upper is not None and amount > d.upper + 1e-4:
            _fail(problems, f"ceiling: {d.claim} in {d.region_key} has {amount} > {d.upper}")

    # --- woon-werk balance
    balance_gap = []
    for b in cfg.balance:
        work, housing = defaultdict(float), defaultdict(float)
        for r in rows:
            reg = region_of(r.unit_id, b.level)
            if r.claim in b.work_claims:
                work[reg] += r.used_ha
            if r.claim == b.housing_claim:
                housing[reg] += r.used_ha
        for reg in housing:
            gap = b.work_ha_per_housing_ha * housing[reg] - work[reg]
            balance_gap.append((b, max(0.0, gap)))
            if b.penalty_per_ha is None and gap > 1e-4:
                _fail(problems, f"balance: {reg} has work {work[reg]} < {b.work_ha_per_housing_ha} x housing {housing[reg]}")

    # --- no net loss of business-park area
    comp = cfg.compensation
    if comp is not None:
        lost, gained = defaultdict(float), defaultdict(float)
        for r in rows:
            reg = region_of(r.unit_id, comp.level)
            on_bp = units.at[r.unit_id, "current_use"] == comp.business_use
            if on_bp and r.claim not in comp.work_claims and not claims[r.claim].stacking:
                lost[reg] += r.used_ha
            if not on_bp and r.claim in comp.work_claims:
                gained[reg] += r.used_ha
        for reg, ha in lost.items():
            if ha > gained[reg] + 1e-4:
                _fail(problems, f"compensation: {reg} converts {ha} ha of business park, adds {gained[reg]} ha work")
        if comp.additional:
            # only new work land beyond the met part of the work floors (hectares, at comp.level) compensates: a hectare
            # that compensates leaves its floor short, the cheapest floors first (what the optimum pays)
            by_region = defaultdict(list)
            for k, d in enumerate(demands):
                if d.lower and d.measure is None and d.claim in comp.work_claims and d.level == comp.level:
                    by_region[str(d.region_key)].append(k)
            lost_of, gained_of = {str(k): v for k, v in lost.items()}, {str(k): v for k, v in gained.items()}
            for reg, mine in by_region.items():
                missing = lost_of.get(reg, 0.0) - gained_of.get(reg, 0.0) + sum(demands[k].lower - shortfall[k] for k in mine)
                for k in sorted(mine, key=lambda k: _cost_per_ha_short(cfg, demands[k])):
                    more = min(max(missing, 0.0), demands[k].lower - shortfall[k])
                    shortfall[k] += more
                    missing -= more

    # --- resource caps
    for name, res in cfg.resources.items():
        load = defaultdict(float)
        for r in rows:
            zone = next(iter(res.cap)) if res.zone_attr is None else units.at[r.unit_id, res.zone_attr]
            if not _missing(zone):
                load[_spell(zone)] += res.per_ha.get(r.claim, 0.0) * r.used_ha
        for zone, cap in res.cap.items():
            if load[zone] > cap + 1e-4:
                _fail(problems, f"resource {name}: zone {zone} uses {load[zone]} > cap {cap}")

    # --- budget and cost
    total_cost = 0.0
    for r in rows:
        attr = claims[r.claim].cost_attr or (cfg.budget.cost_attr if cfg.budget and not claims[r.claim].stacking else None)
        if attr:
            v = units.at[r.unit_id, attr]
            total_cost += 10_000 * r.used_ha * (0.0 if _missing(v) else float(v))
    if budget_limit is not None and total_cost > budget_limit * (1 + 1e-9) + 1e-3:
        _fail(problems, f"budget: cost {total_cost:,.0f} > {budget_limit:,.0f}")

    # --- summary.csv adds up
    if summary is not None:
        by = defaultdict(float)
        for r in rows:
            for level in ["national"] + list(cfg.regions):
                by[(level, region_of(r.unit_id, level), r.claim)] += r.used_ha
        for s in summary.itertuples(index=False):
            want = by.get((s.level, str(s.region), s.claim), 0.0)
            if abs(s.allocated_ha - want) > 1e-4:
                _fail(problems, f"summary: {s.level} {s.region} {s.claim} allocated_ha {s.allocated_ha} != {want}")
        for d, amount in zip(demands, demand_amount):
            match = summary[(summary.level == d.level) & (summary.region.astype(str) == d.region_key)
                            & (summary.claim == d.claim) & (summary.measure == (d.measure or "ha"))]
            if len(match) != 1:
                _fail(problems, f"summary: no single row for demand {d.level} {d.region_key} {d.claim}")
                continue
            if abs(float(match.allocated.iloc[0]) - amount) > 1e-4:
                _fail(problems, f"summary: {d.claim} in {d.region_key} allocated {match.allocated.iloc[0]} != {amount}")
            if d.lower is not None and abs(float(match.shortfall.iloc[0]) - shortfall[demands.index(d)]) > 1e-4:
                _fail(problems, f"summary: shortfall of {d.claim} in {d.region_key} does not add up")

    # --- objective recomputation
    value = penalty = 0.0
    for r in rows:
        c = claims[r.claim]
        v = c.value_per_ha * r.used_ha
        if c.suitability_attr:
            s = units.at[r.unit_id, c.suitability_attr]
            v *= 0.0 if _missing(s) else float(s)
        value += v
        for rule in cfg.rules:
            if rule.effect == "penalty" and (rule.claims is None or r.claim in rule.claims):
                if rule_matches(units.at[r.unit_id, rule.attr], rule.op, rule.value):
                    penalty += rule.per_ha * r.used_ha
    shortfall_cost, rel_shortfall = 0.0, 0.0
    for d, short in zip(demands, shortfall):
        if d.lower:
            pi = d.shortfall_penalty if d.shortfall_penalty is not None else cfg.objective.shortfall_penalty_per_ha
            shortfall_cost += pi * short
            rel_shortfall += d.weight * short / d.lower
    balance_cost = sum(b.penalty_per_ha * gap for b, gap in balance_gap if b.penalty_per_ha is not None)
    return {"value": value, "penalty": penalty, "cost": total_cost, "shortfall_cost": shortfall_cost,
            "rel_shortfall": rel_shortfall, "balance_cost": balance_cost}
