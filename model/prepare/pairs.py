"""Preprocessing: from a validated instance to allowed (unit, claim) pairs and spatial relations.

Hard filters remove pairs before any variable exists (docs/model.md), in this order:

1. hard layer and proximity rules (``effect: exclude``);
2. ``protected`` units keep only ``protected_claims``;
3. units whose ``budget.cost_attr`` exceeds ``max_relocation_eur_per_m2``;
4. environmental zoning against *fixed* existing uses: an existing heavy category or
   sensitive use on a unit that no allowed non-stacking pair can transform removes the
   pairs within the distance (itself included); existing uses that can leave are
   linked in the model instead (:mod:`.existing`);
5. minimum site size: a unit whose connected eligible area for the claim is below
   ``min_site_ha`` can never be part of a large enough site;
6. stacking claims need an allowed host claim on the same unit.

Steps 4–6 repeat until no further existing unit loses its last non-stacking pair.
Each filter's hectares are recorded per claim and region (gross, and the part no
other filter removes). New–new zoning conflicts, links to existing uses and adjacency
are computed here with a spatial index; the formulation turns them into rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ruimtepuzzel.model.errors import InfeasibleError
from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.prepare.rules import rule_claims, rule_mask
from ruimtepuzzel.model.inputs.schema import NATIONAL
from ruimtepuzzel.model.prepare.existing import ExistingUses, exclusion_masks, existing_uses, links, transformable
from ruimtepuzzel.model.prepare.feasibility import findings
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.prepare.spatial import components, units_adjacency, units_closer_than

RELOCATION = "budget-relocation"
PROTECTED = "protected"
ZONING_EXISTING = "env-zoning-existing"
MIN_SITE = "min-site-size"
NO_HOST = "no-host"


def used_area(instance: Instance, claim: str) -> np.ndarray:
    c = instance.config.claims[claim]
    return instance.units["area_ha"].to_numpy(float) * (c.area_factor if c.stacking else 1.0)


def _column(instance: Instance, attr: str, what: str, warnings: list[str]) -> np.ndarray:
    values = instance.units[attr].to_numpy(float)
    missing = np.isnan(values)
    if missing.any():
        warnings.append(f"column '{attr}' ({what}) is empty for {int(missing.sum())} units; taken as 0 there")
    return np.nan_to_num(values)


def _primary_filters(instance: Instance) -> dict[str, list[tuple[str, np.ndarray]]]:
    cfg = instance.config
    units = instance.units
    claims = list(cfg.claims)
    filters: dict[str, list[tuple[str, np.ndarray]]] = {k: [] for k in claims}
    for rule in cfg.rules:
        if rule.effect != "exclude":
            continue
        mask = rule_mask(units, rule, cfg)
        for k in rule_claims(rule, claims):
            filters[k].append((rule.name, mask))
    if "protected" in units.columns:
        protected = units["protected"].to_numpy(bool)
        for k in claims:
            if k not in cfg.protected_claims and protected.any():
                filters[k].append((PROTECTED, protected))
    budget = cfg.budget
    if budget and budget.max_relocation_eur_per_m2 is not None:
        cost = units[budget.cost_attr].to_numpy(float)
        with np.errstate(invalid="ignore"):
            too_dear = np.nan_to_num(cost, nan=-np.inf) > budget.max_relocation_eur_per_m2
        for k in claims:
            filters[k].append((RELOCATION, too_dear))
    return filters


def _allowed(filters: dict, n: int) -> dict[str, np.ndarray]:
    return {k: ~np.any([m for _, m in flist], axis=0) if flist else np.ones(n, bool) for k, flist in filters.items()}


def _site_and_host_filters(instance: Instance, filters: dict, allowed: dict, areas: dict) -> tuple[dict, dict]:
    """Minimum-site pruning and stacking without a host; updates ``filters`` and ``allowed``; returns site edges, reach."""
    cfg = instance.config
    site_edges, site_reach = {}, {}
    order = [k for k in cfg.claims if not cfg.claims[k].stacking] + [k for k in cfg.claims if cfg.claims[k].stacking]
    for k in order:
        c = cfg.claims[k]
        if c.stacking:
            host_ok = np.any([allowed[h] for h in c.stacks_on], axis=0)
            no_host = allowed[k] & ~host_ok
            if no_host.any():
                filters[k].append((NO_HOST, no_host))
                allowed[k] &= host_ok
        if c.min_site_ha is not None:
            removed, edges, reach = _prune_small_sites(instance, k, allowed[k], areas[k])
            if removed.any():
                filters[k].append((MIN_SITE, removed))
                allowed[k] &= ~removed
            site_edges[k], site_reach[k] = edges, reach
    return site_edges, site_reach


def _filters(instance: Instance, areas: dict, existing: ExistingUses):
    """The hard filters to their fixed point: (filters, allowed, site edges, site reach, fixed existing units)."""
    n = len(instance.units)
    primary = _primary_filters(instance)
    non_stacking = [k for k, c in instance.config.claims.items() if not c.stacking]
    fixed = existing.any & ~transformable(_allowed(primary, n), non_stacking, n)
    excluded: dict[str, np.ndarray] = {}
    newly_fixed = fixed
    while True:
        for k, mask in exclusion_masks(instance, existing, newly_fixed).items():  # only the units fixed since last time
            excluded[k] = excluded[k] | mask if k in excluded else mask
        filters = {k: list(flist) + ([(ZONING_EXISTING, excluded[k])] if k in excluded else []) for k, flist in primary.items()}
        allowed = _allowed(filters, n)
        site_edges, site_reach = _site_and_host_filters(instance, filters, allowed, areas)
        newly_fixed = existing.any & ~transformable(allowed, non_stacking, n) & ~fixed  # fixed only ever grows
        if not newly_fixed.any():
            return filters, allowed, site_edges, site_reach, fixed
        fixed = fixed | newly_fixed


def _prune_small_sites(instance: Instance, claim: str, allowed: np.ndarray, area: np.ndarray):
    """Remove units whose connected eligible area is below min_site_ha; return (removed, edges, reach)."""
    minimum = instance.config.claims[claim].min_site_ha
    idx = np.flatnonzero(allowed)
    u, v = units_adjacency(instance, idx)
    pos = np.full(len(allowed), -1)
    pos[idx] = np.arange(len(idx))
    label = components(len(idx), pos[u], pos[v])
    comp_area = np.bincount(label, weights=area[idx])
    reach_local = comp_area[label]
    small = reach_local < minimum - 1e-9
    removed = np.zeros(len(allowed), bool)
    removed[idx[small]] = True
    keep_edge = ~small[pos[u]]
    reach = np.zeros(len(allowed))
    reach[idx] = reach_local
    return removed, (u[keep_edge], v[keep_edge]), reach


def _accounting(instance: Instance, filters: dict, areas: dict) -> pd.DataFrame:
    """Hectares each filter removes per claim and region: gross, and removed by that filter alone."""
    levels = [NATIONAL] + instance.levels
    codes = {lvl: instance.region_index(lvl) for lvl in levels}
    frames = []
    for k, flist in filters.items():
        if not flist:
            continue
        count = np.sum([m for _, m in flist], axis=0)
        for name, mask in flist:
            hit_units = np.flatnonzero(mask)  # masks are sparse: sum over the units they hit only
            only = count[hit_units] == 1
            for lvl in levels:
                labels, names = codes[lvl]
                gross = np.bincount(labels[hit_units], weights=areas[k][hit_units], minlength=len(names))
                alone = np.bincount(labels[hit_units], weights=areas[k][hit_units] * only, minlength=len(names))
                hit = gross > 0
                frames.append(pd.DataFrame({
                    "rule": name, "claim": k, "level": lvl, "region": np.asarray(names)[hit],
                    "excluded_ha": gross[hit], "excluded_only_ha": alone[hit],
                }))
    cols = ["rule", "claim", "level", "region", "excluded_ha", "excluded_only_ha"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def _soft_penalties(instance: Instance) -> dict[str, np.ndarray]:
    """Per claim, the penalty per hectare on each unit: Σ per_ha of the soft rules that match it."""
    claims = list(instance.config.claims)
    per_ha = {k: np.zeros(len(instance.units)) for k in claims}
    for rule in instance.config.rules:
        if rule.effect == "penalty":
            weight = rule.per_ha * rule_mask(instance.units, rule, instance.config)  # each rule evaluated once
            for k in rule_claims(rule, claims):
                per_ha[k] += weight
    return per_ha


def _pair_table(instance: Instance, allowed: dict[str, np.ndarray], areas: dict, warnings: list[str]) -> pd.DataFrame:
    cfg = instance.config
    penalty_per_ha = _soft_penalties(instance)
    columns = {"unit": [], "used_ha": [], "value": [], "penalty": [], "cost_eur": []}
    for k in cfg.claims:
        c = cfg.claims[k]
        idx = np.flatnonzero(allowed[k])
        used = areas[k][idx]
        value = c.value_per_ha * used
        if c.suitability_attr:
            value = value * _column(instance, c.suitability_attr, f"suitability of {k}", warnings)[idx]
        cost_attr = c.cost_attr or (cfg.budget.cost_attr if cfg.budget and not c.stacking else None)
        cost = np.zeros(len(idx))
        if cost_attr:
            cost = 10_000.0 * used * _column(instance, cost_attr, f"cost of {k}", warnings)[idx]
        for name, array in zip(columns, (idx.astype(np.int64), used, value, penalty_per_ha[k][idx] * used, cost)):
            columns[name].append(array)
    sizes = [len(u) for u in columns["unit"]]
    claim = pd.Categorical.from_codes(np.repeat(np.arange(len(sizes), dtype=np.int8), sizes), categories=list(cfg.claims))
    pairs = {name: np.concatenate(arrays) if arrays else np.empty(0) for name, arrays in columns.items()}
    return pd.DataFrame({"unit": pairs["unit"].astype(np.int64), "claim": claim,
                         **{name: pairs[name].astype(float) for name in ("used_ha", "value", "penalty", "cost_eur")}})


def _zoning_conflicts(instance: Instance, pair_of: dict[str, np.ndarray]) -> pd.DataFrame:
    """New–new conflicts: heavy claim on i and sensitive claim on j closer than the heavy category's distance."""
    cfg = instance.config
    ez = cfg.env_zoning
    frames = []
    if ez is not None:
        heavy = [k for k, c in cfg.claims.items() if c.env_category is not None]
        sensitive = [k for k, c in cfg.claims.items() if c.sensitive]
        for h in heavy:
            dist = ez.distance_of(cfg.claims[h].env_category)
            hi = np.flatnonzero(pair_of[h] >= 0)
            for s in sensitive:
                sj = np.flatnonzero(pair_of[s] >= 0)
                i, j = units_closer_than(instance, hi, sj, dist)
                i, j = hi[i], sj[j]
                if not (cfg.claims[h].stacking or cfg.claims[s].stacking or (cfg.claims[h].divisible and cfg.claims[s].divisible)):
                    keep = i != j  # same unit: single use already forbids both (two shares, of divisible claims, it does not)
                    i, j = i[keep], j[keep]
                frames.append(pd.DataFrame({"heavy_pair": pair_of[h][i], "sensitive_pair": pair_of[s][j]}))
    if not frames:
        return pd.DataFrame({"heavy_pair": np.empty(0, np.int64), "sensitive_pair": np.empty(0, np.int64)})
    out = pd.concat(frames, ignore_index=True).drop_duplicates()
    return out.sort_values(["heavy_pair", "sensitive_pair"], ignore_index=True)


def _locked(instance: Instance, pair_of: dict, filters: dict) -> np.ndarray:
    ids = pd.Index(instance.units["unit_id"])
    locked = []
    for lk in instance.config.locked:
        u = ids.get_loc(lk.unit_id)
        p = pair_of[lk.claim][u]
        if p < 0:
            why = [name for name, mask in filters[lk.claim] if mask[u]]
            raise InfeasibleError(
                f"locked: unit {lk.unit_id!r} is locked to {lk.claim!r}, but that pair is excluded by "
                f"{', '.join(repr(w) for w in why)} (families: locked, hard rules)"
            )
        locked.append(p)
    return np.asarray(locked, dtype=np.int64)


def prepare(instance: Instance) -> Prepared:
    cfg = instance.config
    n = len(instance.units)
    claims = list(cfg.claims)
    warnings = list(instance.warnings)
    areas = {k: used_area(instance, k) for k in claims}
    existing = existing_uses(instance)
    filters, allowed, site_edges, site_reach, fixed = _filters(instance, areas, existing)

    pair_of = {}
    pairs = _pair_table(instance, allowed, areas, warnings)
    start = 0
    for k in claims:
        idx = np.flatnonzero(allowed[k])
        pair_of[k] = np.full(n, -1, dtype=np.int64)
        pair_of[k][idx] = np.arange(start, start + len(idx))
        start += len(idx)

    prep = Prepared(
        instance=instance, claims=claims, pairs=pairs, pair_of=pair_of,
        exclusions=_accounting(instance, filters, areas),
        zoning=_zoning_conflicts(instance, pair_of),
        site_edges=site_edges, site_reach_ha=site_reach,
        locked_pairs=_locked(instance, pair_of, filters),
        warnings=warnings,
        existing=existing,
        links=links(instance, existing, existing.any & ~fixed, pair_of),
    )
    prep.findings = findings(prep)
    prep.warnings.extend(f.message for f in prep.findings)
    return prep
