"""The presence of a divisible share: a binary z[p] that is 1 when any share of pair p is allocated.

A divisible claim allocates a continuous share x[u,k] ∈ [0,1] of a unit. Two families ask
not *how much* but *whether* a share is there, and both read it from one binary presence
column z[p] (group ``presence``, labelled unit_id and claim) per divisible pair p that needs one:

* **environmental zoning** (:mod:`.zoning`, :mod:`.zoning_existing`): where in the unit a share
  lies is not known (half a cell of housing beside half a cell of heavy industry may be the two
  halves that touch), so in every zoning row a divisible pair counts as *present* as soon as any
  share of it is allocated. Every divisible pair that appears in a zoning row — a side of a
  new–new conflict or a pair linked to an existing use — has a z, used in the zoning rows in
  place of x:

      new–new:                 z[i,h] + z[j,s] ≤ 1   (i = j included when both are divisible)
      existing heavy unit e:   z[j,s] ≤ T[e]         (j = e included)
      existing sensitive e:    z[i,h] ≤ T[e]         (i = e included)

  with x in place of z for a binary pair. T[e] = Σ_{k non-stacking} x[e,k] keeps the shares (a
  divisible share counts with its share in T), so z ≤ T forces T[e] = 1: a present share needs
  the existing unit *wholly* transformed.
* **minimum sites** (:mod:`.min_site`): a unit belongs to a site of its claim when a share of it
  is allocated, so every pair of a divisible claim with ``min_site_ha`` has a z, and the site
  flow reads "allocated" from z.

Rows, for every pair p with a presence column:

    x[p] − z[p] ≤ 0                        z[p] ∈ {0,1}          (block ``presence_link``)

and, for the pairs of a divisible claim with a minimum site, also

    x[p] − ε · z[p] ≥ 0                    ε = PRESENT_SHARE     (block ``presence_share``)

so that z = 1 exactly when a share is allocated. Zoning needs only the first (z ≥ x: a share
is present; z has no cost and a zoning row only wants it at 0). Sites need both: without the
second, a unit with no share could be marked present and join two sites that are each too
small into one component that passes. With it a share lies in {0} ∪ [ε, 1] and a present unit
always carries a share the allocation table shows. ε is twice the share tolerance below which
extraction reads a share as 0 (``SHARE_TOLERANCE``, as in the allocation table and the answer
check): a share HiGHS returns a feasibility tolerance under ε still reads as allocated, so the
sites the model sees are the sites the allocation table shows. Both rows are the family
``presence``. A pair in neither family keeps its plain share: the model is unchanged where
zoning and minimum sites do not reach.

:func:`settled` gives the canonical z (1 exactly where a share is allocated), e.g. before
shadow prices are taken with the integer columns fixed.
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.formulation.common import labels, pair_claims, pair_units, unit_ids
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem

FAMILY = "presence"
GROUP = "presence"
LINK_BLOCK = "presence_link"  # the rows x − z ≤ 0
SHARE_BLOCK = "presence_share"  # the rows x − ε·z ≥ 0 of the pairs in minimum sites
SHARE_TOLERANCE = 1e-6  # a share below this is no allocation (as in the allocation table)
PRESENT_SHARE = 2 * SHARE_TOLERANCE  # ε: the least share of a present pair of a claim with a minimum site


def divisible_pairs(prep: Prepared) -> np.ndarray:
    """bool per pair: its claim is divisible."""
    return np.isin(pair_claims(prep), [k for k, c in prep.config.claims.items() if c.divisible])


def site_pairs(prep: Prepared) -> np.ndarray:
    """The pairs of the divisible claims with a minimum site, sorted: each needs z = 1 exactly when allocated."""
    sited = [k for k, c in prep.config.claims.items() if c.divisible and c.min_site_ha is not None]
    return np.flatnonzero(np.isin(pair_claims(prep), sited))


def pairs(prep: Prepared) -> np.ndarray:
    """The divisible pairs in some zoning row or of a claim with a minimum site, sorted (the order of the presence
    columns)."""
    sides = [prep.zoning["heavy_pair"].to_numpy(), prep.zoning["sensitive_pair"].to_numpy(), prep.links["pair"].to_numpy()]
    found = np.unique(np.concatenate(sides).astype(np.int64))
    return np.union1d(found[divisible_pairs(prep)[found]], site_pairs(prep)).astype(np.int64)


def apply(prep: Prepared, prob: Problem) -> None:
    """Add the presence columns z, the rows x − z ≤ 0 and, for the pairs in minimum sites, x − ε·z ≥ 0 (before the
    zoning and site families, which use z)."""
    present = pairs(prep)
    if len(present) == 0:
        return
    lab = labels(unit_id=unit_ids(prep, pair_units(prep)[present]), claim=pair_claims(prep)[present])
    z = prob.add_vars(GROUP, lab, 0.0, 1.0, integer=True)
    n = len(present)
    prob.add_rows(FAMILY, LINK_BLOCK, lab, np.concatenate([np.arange(n), np.arange(n)]), np.concatenate([present, z]),
                  np.concatenate([np.ones(n), -np.ones(n)]), -INF, 0.0)
    sited = np.flatnonzero(np.isin(present, site_pairs(prep)))
    if len(sited):
        m = len(sited)
        prob.add_rows(FAMILY, SHARE_BLOCK, lab.iloc[sited], np.concatenate([np.arange(m), np.arange(m)]),
                      np.concatenate([present[sited], z[sited]]), np.concatenate([np.ones(m), -np.full(m, PRESENT_SHARE)]),
                      0.0, INF)


def columns(prep: Prepared, prob: Problem, of_pairs: np.ndarray) -> np.ndarray:
    """The column that says whether each pair is allocated (in a zoning row, in a site): its presence z when it has
    one, else x itself (a binary pair)."""
    of_pairs = np.asarray(of_pairs, np.int64)
    if not prob.has(GROUP):
        return of_pairs
    present = pairs(prep)
    at = np.minimum(np.searchsorted(present, of_pairs), len(present) - 1)
    has = present[at] == of_pairs
    return np.where(has, prob.group(GROUP).start + at, of_pairs)


def settled(prob: Problem, values: np.ndarray) -> np.ndarray:
    """``values`` with every presence column set to 1 where its share is allocated (> SHARE_TOLERANCE), else 0.

    Works on any problem built from these rows (one period, phased, aggregated): the x and z of a
    presence row are read from the row itself (x with coefficient +1, z with −1 or −ε). Other columns are unchanged.
    """
    blocks = [b for b in prob.blocks if b.family == FAMILY]
    if not blocks:
        return values
    out = np.array(values, dtype=float, copy=True)
    for b in blocks:
        x = np.empty(b.size, np.int64)
        z = np.empty(b.size, np.int64)
        x[b.rows[b.vals > 0]] = b.cols[b.vals > 0]
        z[b.rows[b.vals < 0]] = b.cols[b.vals < 0]
        out[z] = (out[x] > SHARE_TOLERANCE).astype(float)
    return out
