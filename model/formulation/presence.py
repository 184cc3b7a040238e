"""Divisible claims count in the environmental zoning by their presence, not their share.

A divisible claim allocates a continuous share x[u,k] ∈ [0,1] of a unit, and where in the
unit that share lies is not known: half a cell of housing beside half a cell of heavy
industry may be the two halves that touch. So in every zoning row a divisible pair counts
as *present* as soon as any share of it is allocated. For every divisible pair p that
appears in a zoning row — a side of a new–new conflict (:mod:`.zoning`) or a pair linked
to an existing use (:mod:`.zoning_existing`) — a binary presence column z[p] (group
``presence``, labelled unit_id and claim) with

    x[p] − z[p] ≤ 0                     z[p] ∈ {0,1}          (family ``env_zoning_presence``)

and the zoning rows use z[p] in place of x[p]:

    new–new:                 z[i,h] + z[j,s] ≤ 1   (i = j included when both are divisible)
    existing heavy unit e:   z[j,s] ≤ T[e]         (j = e included)
    existing sensitive e:    z[i,h] ≤ T[e]         (i = e included)

with x in place of z for a binary pair. T[e] = Σ_{k non-stacking} x[e,k] keeps the shares
(a divisible share counts with its share in T), so z ≤ T forces T[e] = 1: a present share
needs the existing unit *wholly* transformed. z has no cost; any z with z ≥ x and the
zoning rows is as good, and :func:`settled` gives the canonical one (z = 1 exactly where a
share is allocated), e.g. before shadow prices are taken with the integer columns fixed.
A pair in no zoning row keeps its plain share: the model is unchanged where zoning does
not reach.
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.formulation.common import labels, pair_claims, pair_units, unit_ids
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem

FAMILY = "env_zoning_presence"
GROUP = "presence"
SHARE_TOLERANCE = 1e-6  # a share below this is no allocation (as in the allocation table)


def divisible_pairs(prep: Prepared) -> np.ndarray:
    """bool per pair: its claim is divisible."""
    return np.isin(pair_claims(prep), [k for k, c in prep.config.claims.items() if c.divisible])


def pairs(prep: Prepared) -> np.ndarray:
    """The divisible pairs in some zoning row, sorted (the order of the presence columns)."""
    sides = [prep.zoning["heavy_pair"].to_numpy(), prep.zoning["sensitive_pair"].to_numpy(), prep.links["pair"].to_numpy()]
    found = np.unique(np.concatenate(sides).astype(np.int64))
    return found[divisible_pairs(prep)[found]]


def apply(prep: Prepared, prob: Problem) -> None:
    """Add the presence columns z and the rows x − z ≤ 0 (before the zoning families, which use z)."""
    present = pairs(prep)
    if len(present) == 0:
        return
    lab = labels(unit_id=unit_ids(prep, pair_units(prep)[present]), claim=pair_claims(prep)[present])
    z = prob.add_vars(GROUP, lab, 0.0, 1.0, integer=True)
    n = len(present)
    prob.add_rows(FAMILY, FAMILY, lab, np.concatenate([np.arange(n), np.arange(n)]), np.concatenate([present, z]),
                  np.concatenate([np.ones(n), -np.ones(n)]), -INF, 0.0)


def columns(prep: Prepared, prob: Problem, of_pairs: np.ndarray) -> np.ndarray:
    """The column that stands for each pair in a zoning row: its presence z when it has one, else x itself."""
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
    presence row are read from the row itself (coefficients +1 and −1). Other columns are unchanged.
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
