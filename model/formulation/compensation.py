"""No net loss of economy, per region g of ``compensation.level``.

    Σ_{u ∈ g: use(u) = B, k ∉ W, k non-stacking} used[u,k] · x[u,k]            (converted(g))
        − Σ_{u ∈ g: use(u) ≠ B, k ∈ W} used[u,k] · x[u,k] ≤ 0                  (− new_work(g))

B = ``business_use``, W = ``work_claims``: business-park area converted to another
use is compensated by new work area on land of another current use in the same
region. Rows only for regions where a conversion is possible.

With ``additional: true`` the compensation comes on top of the growth the work floors
ask: only new work area beyond the met part of those floors compensates,

    converted(g) − new_work(g) − Σ_{f ∈ F(g)} s_f ≤ − Σ_{f ∈ F(g)} D_f

F(g): the demand floors in hectares (``min_ha``, no ``measure``) of a claim in W at
exactly ``compensation.level`` in region g, D_f the floor and s_f its shortfall column.
Rows for every region with a possible conversion or such a floor. s_f ≤ D_f, so the row
can always be met by declaring the floor short: a hectare of new work land counts either
towards its floor or as compensation, never both, and a hectare that compensates leaves
its floor short by that hectare (its penalty paid). :func:`least_shortfalls` gives, for an
allocation, the shortfalls the optimum pays (the summary reports them). A phased instance
holds the row in every period with the floors of that period (:func:`period_terms`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ruimtepuzzel.model.formulation.common import labels, pair_claims, pair_units, stacking_pairs, used_ha
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem

FAMILY = "compensation"
SHORTFALL = "shortfall"  # the floors' shortfall columns (:mod:`.demand`)


def additional_floors(config, year=None) -> list[int]:
    """Indices (into ``config.demand``) of the floors that ``additional: true`` takes out of the compensation
    (``year``: only those of that period)."""
    comp = config.compensation
    if comp is None or not comp.additional:
        return []
    return [i for i, d in enumerate(config.demand)
            if d.lower is not None and d.lower > 0 and d.measure is None and d.claim in comp.work_claims and d.level == comp.level
            and (year is None or config.demand_period(d) == year)]


def apply(prep: Prepared, prob: Problem) -> None:
    comp = prep.config.compensation
    if comp is None:
        return
    claims, used = pair_claims(prep), used_ha(prep)
    on_business = (prep.units["current_use"].to_numpy(dtype=object) == comp.business_use)[pair_units(prep)]
    in_work = np.isin(claims, comp.work_claims)
    converted = np.flatnonzero(on_business & ~in_work & ~stacking_pairs(prep))
    new_work = np.flatnonzero(~on_business & in_work)
    floors = additional_floors(prep.config)
    if len(converted) == 0 and not floors:
        return
    codes, names = prep.instance.region_index(comp.level)
    names = np.asarray(names, dtype=object).astype(str)
    entries = np.concatenate([converted, new_work])
    entry_region = codes[pair_units(prep)[entries]]
    floor_region = np.array([_region_code(names, prep.config.demand[i].region_key) for i in floors], dtype=np.int64)
    regions = np.unique(np.concatenate([entry_region[: len(converted)], floor_region[floor_region >= 0]]))
    row_of = np.full(len(names), -1)
    row_of[regions] = np.arange(len(regions))
    take = row_of[entry_region] >= 0
    rows, cols = row_of[entry_region[take]], entries[take]
    vals = np.concatenate([used[converted], -used[new_work]])[take]
    upper = np.zeros(len(regions))
    if floors:
        shortfall = _shortfall_columns(prob, floors)
        known = floor_region >= 0
        rows = np.concatenate([rows, row_of[floor_region[known]]])
        cols = np.concatenate([cols, shortfall[known]])
        vals = np.concatenate([vals, -np.ones(int(known.sum()))])
        np.add.at(upper, row_of[floor_region[known]], [-prep.config.demand[i].lower for i, k in zip(floors, known) if k])
    lab = labels(level=comp.level, region=names[regions], business_use=comp.business_use)
    prob.add_rows(FAMILY, FAMILY, lab, rows, cols, vals, -INF, upper)


def _region_code(names: np.ndarray, region: str) -> int:
    hit = np.flatnonzero(names == str(region))
    return int(hit[0]) if len(hit) else -1  # a floor in a region without units: its shortfall is its floor anyway


def _shortfall_columns(prob: Problem, floors: list[int]) -> np.ndarray:
    """The shortfall column of each floor (demand index), from the floors' labels."""
    group = prob.group(SHORTFALL)
    at = pd.Series(np.arange(group.size), index=group.labels["demand"].to_numpy())
    return group.start + at.reindex(floors).to_numpy().astype(np.int64)


def upper_bounds(config, lab: pd.DataFrame) -> np.ndarray:
    """The right-hand side of each compensation row (its labels), from the floors of ``config`` (for sweeps that
    change a floor): − Σ D_f over the row's floors (in the row's period when phased), 0 without ``additional``."""
    upper = np.zeros(len(lab))
    floors = additional_floors(config)
    if not floors:
        return upper
    period = lab["period"].to_numpy() if "period" in lab else None
    region = lab["region"].astype(str).to_numpy()
    for i in floors:
        d = config.demand[i]
        hit = region == str(d.region_key)
        if period is not None:
            hit &= period == config.demand_period(d)
        upper[hit] -= d.lower
    return upper


def period_terms(prep: Prepared, block, shortfall_start: int, shortfall_demand: np.ndarray, year) -> tuple[np.ndarray, np.ndarray]:
    """For a phased problem: which entries of a compensation ``block`` (of the single-period problem) hold in period
    ``year`` — a floor's shortfall only in its own period — and the rows' right-hand sides then.
    ``shortfall_start``, ``shortfall_demand``: the first shortfall column and the demand index of each."""
    local = block.cols.astype(np.int64) - shortfall_start
    is_short = (local >= 0) & (local < len(shortfall_demand))
    years = np.array([prep.config.demand_period(d) for d in prep.config.demand], dtype=object)
    keep = ~is_short
    keep[is_short] = years[shortfall_demand[local[is_short]]] == year
    return keep, upper_bounds(prep.config, block.labels.assign(period=year))


def least_shortfalls(config, allocated: np.ndarray, converted: dict, new_work: dict, sense: str, year=None) -> np.ndarray:
    """Per demand row of ``config`` the shortfall the optimum pays for an allocation (NaN for a row without a floor).

    ``allocated``: per demand row its allocated amount; ``converted``/``new_work``: per region code of
    ``compensation.level``, the hectares the row counts (in period ``year`` when phased: its floors only). Each floor is short by max(0, D − allocated); with
    ``additional: true`` a region whose compensation is not covered by new work beyond its floors declares its
    floors shorter still, by the missing hectares, the floors with the cheapest shortfall first (the objective's
    cost per hectare short: the row's penalty, or weight / floor for ``min_shortfall``), none beyond its floor.
    """
    lower = np.array([np.nan if d.lower is None or d.lower <= 0 else d.lower for d in config.demand], float)
    short = np.where(np.isnan(lower), np.nan, np.maximum(0.0, np.nan_to_num(lower) - allocated))
    floors = additional_floors(config, year)
    if not floors:
        return short
    default = config.objective.shortfall_penalty_per_ha
    for region in sorted({str(config.demand[i].region_key) for i in floors}):
        mine = [i for i in floors if str(config.demand[i].region_key) == region]
        missing = (converted.get(region, 0.0) - new_work.get(region, 0.0) + sum(lower[i] for i in mine)
                   - sum(short[i] for i in mine))
        cost = [(config.demand[i].weight / lower[i]) if sense == "min_shortfall"
                else (config.demand[i].shortfall_penalty if config.demand[i].shortfall_penalty is not None else default)
                for i in mine]
        for _, i in sorted(zip(cost, mine), key=lambda t: t[0]):
            if missing <= 0:
                break
            more = min(missing, lower[i] - short[i])
            short[i] += more
            missing -= more
    return short


def region_hectares(prep: Prepared, x: np.ndarray) -> tuple[dict, dict]:
    """(converted, new_work): per region of ``compensation.level`` the hectares the row counts, for shares ``x``
    (one value per pair)."""
    comp = prep.config.compensation
    claims, used = pair_claims(prep), used_ha(prep) * np.asarray(x, float)
    on_business = (prep.units["current_use"].to_numpy(dtype=object) == comp.business_use)[pair_units(prep)]
    in_work = np.isin(claims, comp.work_claims)
    codes, names = prep.instance.region_index(comp.level)
    region = codes[pair_units(prep)]
    names = np.asarray(names, dtype=object).astype(str)
    out = []
    for take in (on_business & ~in_work & ~stacking_pairs(prep), ~on_business & in_work):
        sums = np.bincount(region[take], weights=used[take], minlength=len(names))
        out.append(dict(zip(names, sums)))
    return out[0], out[1]
