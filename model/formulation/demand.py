"""Demand floors (with shortfall) and ceilings, per region group and claim.

    Σ_{u ∈ g} q[u,k] · x[u,k] + s[g,k] ≥ D[g,k]     floor, s[g,k] ∈ [0, D[g,k]]
    Σ_{u ∈ g} q[u,k] · x[u,k]          ≤ C[g,k]     ceiling

q is the used area (ha), or the unit's value in the row's ``measure`` column
(dwellings, MW, jobs). ``level: national`` groups every unit. A floor of 0 is
always met and emits no row.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem

FLOOR = "demand_floor"
CEILING = "demand_ceiling"


def demand_labels(prep: Prepared, which: list[int]) -> pd.DataFrame:
    rows = [prep.config.demand[i] for i in which]
    return pd.DataFrame({
        "demand": which,
        "level": [d.level for d in rows],
        "region": [d.region_key for d in rows],
        "claim": [d.claim for d in rows],
        "measure": [d.measure or "ha" for d in rows],
    })


def _emit(prep, prob, family, which, with_shortfall):
    if not which:
        return None
    parts = [prep.demand_coefficients(prep.config.demand[i]) for i in which]
    rows = np.concatenate([np.full(len(idx), r) for r, (idx, _) in enumerate(parts)])
    cols = np.concatenate([idx for idx, _ in parts])
    vals = np.concatenate([coef for _, coef in parts])
    lab = demand_labels(prep, which)
    bounds = np.array([prep.config.demand[i].lower if with_shortfall else prep.config.demand[i].upper for i in which])
    if with_shortfall:
        s = prob.add_vars("shortfall", lab, 0.0, bounds, integer=False)
        rows = np.concatenate([rows, np.arange(len(which))])
        cols = np.concatenate([cols, s])
        vals = np.concatenate([vals, np.ones(len(which))])
        return prob.add_rows(family, family, lab, rows, cols, vals, bounds, INF)
    return prob.add_rows(family, family, lab, rows, cols, vals, -INF, bounds)


def floors(prep: Prepared) -> list[int]:
    return [i for i, d in enumerate(prep.config.demand) if d.lower is not None and d.lower > 0]


def apply(prep: Prepared, prob: Problem) -> None:
    _emit(prep, prob, FLOOR, floors(prep), with_shortfall=True)
    ceilings = [i for i, d in enumerate(prep.config.demand) if d.upper is not None]
    _emit(prep, prob, CEILING, ceilings, with_shortfall=False)
