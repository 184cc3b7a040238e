"""Minimum site size: every connected site of a claim has used area ≥ L = ``min_site_ha``.

A unit is *allocated* to claim k when its pair is: x[u,k] = 1 for a binary claim, a share
x[u,k] > 0 for a divisible one. A *site* is a connected component (along the edges of the
adjacency) of the units allocated to k, and its used area is Σ used[u,k] · x[u,k] over its
units (used = area, times ``area_factor`` for a stacking claim; for a divisible claim the
share counts, so a site may be a whole cell or more in area and still be too small).

Write p[u] for the column that says whether u is allocated: x[u,k] itself for a binary
claim, the presence z[u,k] ∈ {0,1} of :mod:`.presence` for a divisible one, linked both ways
(x − z ≤ 0 and x − ε·z ≥ 0, ε = ``presence.PRESENT_SHARE``), so z = 1 exactly when a share is
allocated. The lower link matters: a unit marked present without a share would join two
sites, each too small, into one component whose supply passes.

Exact single-commodity root-flow formulation, per claim k with a minimum, over the
units U_k allowed for k and the edges E_k between adjacent allowed units:

    r[u] ∈ {0,1}   u is a root of a site            r[u] ≤ p[u]
    g[u] ≥ 0       area the root supplies           L · r[u] ≤ g[u] ≤ M[u] · r[u]
    f[u→v] ≥ 0     area sent along an edge          f[u→v] ≤ M[v] · p[v]
    conservation:  Σ_w f[w→u] − Σ_w f[u→w] + g[u] = used[u,k] · x[u,k]

Every allocated unit consumes its used area (its share's, for a divisible claim); only
roots supply, and flow moves only into allocated units (p = 1), so it stays inside a
site: a unit with p = 0 has no inflow, no supply and consumes nothing, so sends nothing.
In a site C the supply equals its used area, C needs at least one root supplying ≥ L
(its used area is positive: every unit in it has a share ≥ ε), so area(C) ≥ L.
Conversely a site with area ≥ L takes one root that supplies all of it along a
spanning tree. M[u] is the area of the eligible component holding u at full shares (an
upper bound on any site through u); preprocessing already removed units whose component
is below L, which stays valid for a divisible claim (no site is larger than its units'
full area).

The relaxation of these rows is weak (a root may be fractional): the LP-first solver leaves
them out of its relaxation and sub-MIPs and uses the cuts of :mod:`.site_cuts` instead.

A binary claim whose every eligible unit has used area ≥ L needs no rows: any site
contains a whole unit, so it is large enough. A divisible claim always gets its rows: a
share can be small.
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem
from ruimtepuzzel.model.formulation import presence
from ruimtepuzzel.model.formulation.common import labels, unit_ids
from ruimtepuzzel.model.formulation.site_cuts import SiteCuts

FAMILY = "min_site"


def apply(prep: Prepared, prob: Problem) -> None:
    for k, claim in prep.config.claims.items():
        if claim.min_site_ha is not None:
            _claim_sites(prep, prob, k, claim.min_site_ha, claim.divisible)


def _claim_sites(prep: Prepared, prob: Problem, k: str, minimum: float, divisible: bool) -> None:
    """The site rows of claim ``k`` (minimum ``minimum`` ha; ``divisible``: shares, read as allocated by presence)."""
    units = np.flatnonzero(prep.pair_of[k] >= 0)
    n = len(units)
    if n == 0:
        return
    x = prep.pair_of[k][units]
    used = prep.pairs["used_ha"].to_numpy()[x]
    if not divisible and used.min() >= minimum - 1e-9:
        return
    p = presence.columns(prep, prob, x) if divisible else x  # "allocated": z for a share, x for a whole unit
    reach = prep.site_reach_ha[k][units]
    pos = np.full(len(prep.units), -1)
    pos[units] = np.arange(n)
    eu, ev = prep.site_edges[k]
    tail = np.concatenate([pos[eu], pos[ev]])  # both directions
    head = np.concatenate([pos[ev], pos[eu]])
    m = len(tail)
    ids = unit_ids(prep, units)

    unit_lab = labels(unit_id=ids, claim=k)
    r = prob.add_vars(f"site_root[{k}]", unit_lab, 0.0, 1.0, integer=True)
    g = prob.add_vars(f"site_supply[{k}]", unit_lab, 0.0, reach, integer=False)
    f = prob.add_vars(f"site_flow[{k}]", labels(from_unit=ids[tail], to_unit=ids[head], claim=k), 0.0, reach[head], integer=False)

    # conservation: inflow − outflow + g − used·x = 0
    rows = np.concatenate([head, tail, np.arange(n), np.arange(n)])
    cols = np.concatenate([f, f, g, x])
    vals = np.concatenate([np.ones(m), -np.ones(m), np.ones(n), -used])
    prob.add_rows(FAMILY, f"site_conservation[{k}]", unit_lab, rows, cols, vals, 0.0, 0.0)
    # flow only into allocated units: f[u→v] − M[v]·p[v] ≤ 0
    arange_m = np.arange(m)
    prob.add_rows(
        FAMILY, f"site_flow_cap[{k}]", labels(from_unit=ids[tail], to_unit=ids[head], claim=k),
        np.concatenate([arange_m, arange_m]), np.concatenate([f, p[head]]),
        np.concatenate([np.ones(m), -reach[head]]), -INF, 0.0,
    )
    arange_n = np.arange(n)
    two = np.concatenate([arange_n, arange_n])
    # L·r ≤ g ≤ M·r
    prob.add_rows(FAMILY, f"site_supply_min[{k}]", unit_lab, two, np.concatenate([g, r]),
                  np.concatenate([np.ones(n), -np.full(n, minimum)]), 0.0, INF)
    prob.add_rows(FAMILY, f"site_supply_max[{k}]", unit_lab, two, np.concatenate([g, r]),
                  np.concatenate([np.ones(n), -reach]), -INF, 0.0)
    # roots are allocated: r − p ≤ 0
    prob.add_rows(FAMILY, f"site_root_allocated[{k}]", unit_lab, two, np.concatenate([r, p]),
                  np.concatenate([np.ones(n), -np.ones(n)]), -INF, 0.0)
    prob.separators.append(SiteCuts(k, p, used, minimum, r, g, f, tail, head, shares=x if divisible else None))
