"""Environmental zoning against existing uses that can leave (docs/model.md, *Transformation of existing uses*).

T[e] = Σ_{k non-stacking, (e,k) allowed} x[e,k] is 1 when existing unit e is transformed
(a divisible share counts with its share). For every link of :mod:`..prepare.existing`
— an existing heavy unit e and a new sensitive pair (j,s) closer than e's category
distance, or an existing sensitive unit e and a new heavy pair (i,h) closer than h's
category distance — the pairwise form is

    v[p] − T[e] ≤ 0                                   p the linked pair

where v[p] is x[p] for a binary pair and its presence z[p] ∈ {0,1} for a divisible one
(:mod:`.presence`): any share of a divisible pair needs T[e] = 1, the unit *wholly*
transformed. A binary pair on e itself holds this by itself (it is part of T[e], or a
stacking claim on a non-stacking host), so it is not linked; a divisible pair on e is
(unit(p) = e, distance 0): a share of housing on an existing heavy unit needs the rest of
that unit transformed too.

**Merged rows.** Links of one existing unit to the binary non-stacking pairs of one
other unit j merge into

    Σ_{p ∈ L(e,j)} x[p] − T[e] ≤ 0

Single use makes those pairs exclusive, so on integer points the sum is at most 1 and
the merged row holds exactly when each pairwise row does; it is fewer rows and a tighter
LP. Divisible or stacking pairs keep a row of their own (two of them may be present on one
unit together).

**Aggregated rows.** When every non-stacking pair on e is binary, T[e] ∈ {0,1} on integer
points and the R merged rows r of e (each with left-hand side ℓ_r ≤ 1, ℓ_r binary on
integer points) aggregate into

    Σ_r ℓ_r − R · T[e] ≤ 0

T[e] = 1 leaves every ℓ_r ≤ 1 free, as the merged rows do; T[e] = 0 forces every ℓ_r = 0,
as they do. One row instead of R, with R + |T| non-zeros instead of R · (1 + |T|); its LP
relaxation is weaker (T[e] ≥ Σ ℓ_r / R), so it is used only where an existing unit has
more than ``AGGREGATE_ABOVE`` merged rows (``env_zoning.existing_links``: ``auto``, or
``pairwise`` / ``aggregated`` everywhere it is valid). A unit with a divisible
non-stacking pair has a continuous T[e] and keeps its rows pairwise. Tests compare all
forms on random grids.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ruimtepuzzel.model.formulation import presence
from ruimtepuzzel.model.formulation.common import joined_claims, labels, pair_claims, pair_units, stacking_pairs, unit_ids
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem

FAMILY = "env_zoning_existing"
AGGREGATE_ABOVE = 64  # merged rows of one existing unit above which auto aggregates them


def apply(prep: Prepared, prob: Problem) -> None:
    links = prep.links
    if len(links) == 0:
        return
    existing = links["existing_unit"].to_numpy()
    side = pd.Categorical(links["side"]).codes.astype(np.int64)
    linked = links["pair"].to_numpy()
    t_start, t_pairs, t_binary = _transformation_terms(prep)

    row = _merged_rows(prep, existing, side, linked)
    n_rows = int(row.max()) + 1
    row_existing, row_side, row_unit = _first_of_rows(row, n_rows, existing, side, pair_units(prep)[linked])
    aggregate = _aggregated_groups(prep, row_existing, row_side, t_binary, n_rows)
    if aggregate.any():
        group = pd.factorize(pd.MultiIndex.from_arrays([row_existing, row_side, np.where(aggregate, -1, np.arange(n_rows))]))[0]
        coef = np.bincount(group, minlength=group.max() + 1)[group]  # R for an aggregated row, 1 otherwise
        row = group[row]
        n_rows = int(group.max()) + 1
        row_existing, row_side, row_unit = _first_of_rows(row, n_rows, existing, side, pair_units(prep)[linked])
        t_coef = np.zeros(n_rows)
        t_coef[group] = coef
        merged_units = np.where(t_coef > 1, -1, row_unit)
    else:
        t_coef = np.ones(n_rows)
        merged_units = row_unit

    counts = t_start[row_existing + 1] - t_start[row_existing]
    t_rows = np.repeat(np.arange(n_rows), counts)
    t_cols = t_pairs[np.repeat(t_start[row_existing], counts) + _ranges(counts)]
    rows = np.concatenate([row, t_rows])
    cols = np.concatenate([presence.columns(prep, prob, linked), t_cols])
    vals = np.concatenate([np.ones(len(linked)), -t_coef[t_rows]])
    prob.add_rows(FAMILY, FAMILY, _labels(prep, row, n_rows, linked, row_existing, row_side, merged_units, t_coef, links),
                  rows, cols, vals, -INF, 0.0)


def _transformation_terms(prep: Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per unit, its non-stacking pairs (the terms of T[u]) as CSR (start, pairs), and whether all are binary."""
    ns = np.flatnonzero(~stacking_pairs(prep))
    units = pair_units(prep)[ns]
    order = np.argsort(units, kind="stable")
    n = len(prep.units)
    start = np.searchsorted(units[order], np.arange(n + 1))
    divisible = np.isin(pair_claims(prep)[ns], [k for k, c in prep.config.claims.items() if c.divisible])
    binary = np.bincount(units, weights=divisible, minlength=n) == 0
    return start, ns[order], binary


def _merged_rows(prep: Prepared, existing, side, linked) -> np.ndarray:
    """Row number per link: links of one existing unit and side to the binary non-stacking pairs of one unit share a row."""
    claims = prep.config.claims
    mergeable_claim = pd.Series({k: not c.divisible and not c.stacking for k, c in claims.items()})
    mergeable = mergeable_claim.reindex(pair_claims(prep)[linked]).to_numpy(bool)
    unit_key = np.where(mergeable, pair_units(prep)[linked], -1 - np.arange(len(linked)))
    return pd.factorize(pd.MultiIndex.from_arrays([existing, side, unit_key]), sort=False)[0]


def _first_of_rows(row, n_rows, *arrays):
    first = np.full(n_rows, -1)
    order = np.arange(len(row))[::-1]
    first[row[order]] = order
    return tuple(a[first] for a in arrays)


def _aggregated_groups(prep: Prepared, row_existing, row_side, t_binary, n_rows) -> np.ndarray:
    """Per merged row: is it aggregated with the other rows of its (existing unit, side)?"""
    mode = prep.config.env_zoning.existing_links if prep.config.env_zoning else "auto"
    if mode == "pairwise":
        return np.zeros(n_rows, bool)
    key = pd.factorize(pd.MultiIndex.from_arrays([row_existing, row_side]))[0]
    size = np.bincount(key)[key]
    threshold = 1 if mode == "aggregated" else AGGREGATE_ABOVE
    return t_binary[row_existing] & (size > threshold)


def _ranges(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for every count c, concatenated."""
    if len(counts) == 0:
        return np.empty(0, np.int64)
    ends = np.cumsum(counts)
    return np.arange(ends[-1]) - np.repeat(ends - counts, counts)


def _labels(prep, row, n_rows, linked, row_existing, row_side, row_unit, t_coef, links) -> pd.DataFrame:
    """existing_unit, existing (its category or use), side, unit_id (linked unit; empty when aggregated), claim, links."""
    sides = np.asarray(pd.Categorical(links["side"]).categories, dtype=object)[row_side]
    category = prep.existing.category[row_existing]
    use = prep.units["current_use"].to_numpy(dtype=object)[row_existing] if "current_use" in prep.units else None
    existing = np.where(sides == "existing heavy", category, use if use is not None else None)
    ids = prep.instance.unit_ids()
    return labels(
        existing_unit=unit_ids(prep, row_existing), existing=existing, side=sides,
        unit_id=np.where(row_unit >= 0, ids[np.maximum(row_unit, 0)], ""),
        claim=joined_claims(prep, row, n_rows, linked),
        links=np.bincount(row, minlength=n_rows), t_coefficient=t_coef,
    )
