"""Exact aggregation of interchangeable cells into classes with integer counts.

Two units are interchangeable when, claim by claim, their allocation columns are
identical everywhere except in their own single-use row: same allowed claims, same
coefficients in every other row (so the same regions, resource zones, measures),
same objective coefficient, bounds and integrality. A unit whose column touches a
row of its own — a zoning conflict, a minimum-site link, a stacking row — is
therefore never merged with another, whatever the family.

A class c of n_c such units becomes one column per claim, y[c,k] = Σ_{u∈c} x[u,k],
with bounds n_c·[lb, ub], the representative's coefficients in every shared row, and
one single-use row Σ_k y[c,k] ≤ n_c. Every row outside single use is a sum over
columns with equal coefficients, so it sees the same value; any integer y
disaggregates into an allocation of the members (whole units first, divisible shares
poured into what is left), so the two models have the same optima.

Interchangeability is found by hashing each column (two random projections of its
entries) and then checked entry by entry, so a hash collision cannot merge units.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ruimtepuzzel.model.formulation import single_use
from ruimtepuzzel.model.problem import Problem

SEED = 20261124


@dataclass
class Aggregation:
    """The class problem and how to map its solution back to the unit problem."""

    problem: Problem  # the aggregated problem
    original: Problem
    keep_cols: np.ndarray  # aggregated column i is original column keep_cols[i]
    members: np.ndarray  # original x columns, grouped by the aggregated column that represents them
    member_start: np.ndarray  # members of aggregated x column i: members[member_start[i]:member_start[i+1]]
    unit_class: np.ndarray  # class number per unit (-1: no allocation column)
    n_classes: int

    def summary(self) -> dict:
        """For the manifest: units, classes, columns and rows before and after."""
        return {"units": int((self.unit_class >= 0).sum()), "classes": self.n_classes,
                "columns_before": self.original.n_cols, "columns_after": self.problem.n_cols,
                "rows_before": self.original.n_rows, "rows_after": self.problem.n_rows}


def _single_use_rows(prob: Problem) -> np.ndarray:
    rows = [np.arange(b.start, b.start + b.size) for b in prob.blocks if b.family == single_use.FAMILY]
    return np.concatenate(rows) if rows else np.empty(0, np.int64)


def column_hashes(prob: Problem, a: sp.csc_matrix, local_rows: np.ndarray) -> np.ndarray:
    """Two hashes per column of everything but the row index of its single-use entry."""
    rng = np.random.default_rng(SEED)
    is_local = np.zeros(a.shape[0], bool)
    is_local[local_rows] = True
    lb, ub = prob.bounds()
    local_coef = a.T @ is_local.astype(float)  # the coefficient in the single-use row (0 if none)
    out = np.empty((a.shape[1], 2))
    for i in range(2):
        r = rng.uniform(1.0, 2.0, a.shape[0])
        r[is_local] = 0.0
        extras = rng.uniform(1.0, 2.0, 6)
        out[:, i] = (a.T @ r + extras[0] * local_coef + extras[1] * prob.objective() + extras[2] * np.where(np.isfinite(lb), lb, -7.0)
                     + extras[3] * np.where(np.isfinite(ub), ub, 7.0) + extras[4] * prob.integrality() + extras[5] * np.diff(a.indptr))
    return out


def aggregate(prep, prob: Problem) -> Aggregation:
    """Merge interchangeable units of ``prob`` (built by :func:`model.formulation.formulate` from ``prep``)."""
    n_pairs = prob.group("x").size
    n_units = len(prep.units)
    claims = prep.pairs["claim"].cat.codes.to_numpy()
    units = prep.pairs["unit"].to_numpy()
    a = prob.matrix(fmt="csc")[0]
    local_rows = _single_use_rows(prob)
    hashes = column_hashes(prob, a, local_rows)[:n_pairs]
    n_claims = len(prep.claims)
    signature = np.zeros((n_units, n_claims, 2))
    signature[units, claims] = hashes
    lead = np.full(n_units, -1.0)
    has_pairs = np.bincount(units, minlength=n_units) > 0
    lead[has_pairs] = 1.0
    unit_class = _classes(np.column_stack([lead, signature.reshape(n_units, -1)]))
    fixed = np.concatenate([f.cols for f in prob.fixings]) if prob.fixings else np.empty(0, np.int64)
    alone = np.unique(units[fixed[fixed < n_pairs]])  # locked units: a fixing holds one unit, not a count
    unit_class[alone] = unit_class.max() + 1 + np.arange(len(alone))
    unit_class = _verify(a, units, claims, unit_class, local_rows, prob, n_pairs)
    unit_class[~has_pairs] = -1
    valid = unit_class >= 0
    unit_class[valid] = np.unique(unit_class[valid], return_inverse=True)[1].ravel()
    return _build(prep, prob, a, units, claims, unit_class, local_rows, n_pairs)


def _classes(signature: np.ndarray) -> np.ndarray:
    """A class number per row of ``signature``, equal rows in one class (numbered by first appearance).

    Hashes every row to two random projections and factorises them as one complex number: a
    hash table, not the sort of ``np.unique(axis=0)`` (17 s for 3.5 M rows of 15). The sums run
    column by column in the same order for every row, so equal rows give bit-equal keys; unequal
    rows that collide are split again by :func:`_verify`.
    """
    rng = np.random.default_rng(SEED + 1)
    weights = rng.uniform(1.0, 2.0, (signature.shape[1], 2))
    real, imag = np.zeros(len(signature)), np.zeros(len(signature))
    for j in range(signature.shape[1]):
        real += signature[:, j] * weights[j, 0]
        imag += signature[:, j] * weights[j, 1]
    key = np.empty(len(signature), complex)
    key.real, key.imag = real, imag
    return pd.factorize(key)[0].astype(np.int64)


def _verify(a, units, claims, unit_class, local_rows, prob, n_pairs) -> np.ndarray:
    """Split any class whose members' columns differ from the representative's (a hash collision)."""
    rep_unit = _representatives(unit_class)
    pair_of_rep = pd.Series(np.arange(n_pairs), index=pd.MultiIndex.from_arrays([units, claims]))
    rep_cols = pair_of_rep.reindex(pd.MultiIndex.from_arrays([rep_unit[unit_class[units]], claims])).to_numpy()
    ok = ~np.isnan(rep_cols)
    rep_cols = np.where(ok, rep_cols, 0).astype(np.int64)
    cols = np.arange(n_pairs)
    nnz = np.diff(a.indptr)
    ok &= nnz[cols] == nnz[rep_cols]
    is_local = np.zeros(a.shape[0], bool)
    is_local[local_rows] = True
    check = cols[ok]
    counts = nnz[check]
    offs = np.repeat(a.indptr[check] - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(counts.sum())
    roffs = np.repeat(a.indptr[rep_cols[check]] - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(counts.sum())
    row_m, row_r = a.indices[offs], a.indices[roffs]
    same = (a.data[offs] == a.data[roffs]) & ((row_m == row_r) | (is_local[row_m] & is_local[row_r]))
    bad_entry = np.repeat(np.arange(len(check)), counts)[~same]
    ok[check[np.unique(bad_entry)]] = False
    lb, ub = prob.bounds()
    cost, integer = prob.objective(), prob.integrality()
    ok &= (lb[cols] == lb[rep_cols]) & (ub[cols] == ub[rep_cols]) & (cost[cols] == cost[rep_cols]) & (integer[cols] == integer[rep_cols])
    bad_units = np.unique(units[~ok])
    if len(bad_units):  # never seen; make them singletons rather than trust the hash
        unit_class = unit_class.copy()
        unit_class[bad_units] = unit_class.max() + 1 + np.arange(len(bad_units))
    return unit_class


def _representatives(unit_class: np.ndarray) -> np.ndarray:
    """The first unit of each class."""
    order = np.argsort(unit_class, kind="stable")
    first = np.r_[True, np.diff(unit_class[order]) != 0]
    reps = np.empty(unit_class.max() + 1, np.int64)
    reps[unit_class[order][first]] = order[first]
    return reps


def _build(prep, prob, a, units, claims, unit_class, local_rows, n_pairs) -> Aggregation:
    n_cls = int(unit_class.max()) + 1 if (unit_class >= 0).any() else 0
    reps = _representatives(np.where(unit_class >= 0, unit_class, n_cls)) if n_cls else np.empty(0, np.int64)
    reps = reps[:n_cls]
    size = np.bincount(unit_class[unit_class >= 0], minlength=n_cls).astype(float)
    is_rep_unit = np.zeros(len(unit_class), bool)
    is_rep_unit[reps] = True
    rep_pairs = np.flatnonzero(is_rep_unit[units])
    keep_cols = np.concatenate([rep_pairs, np.arange(n_pairs, prob.n_cols)])
    new_index = np.full(prob.n_cols, -1, np.int64)
    new_index[keep_cols] = np.arange(len(keep_cols))
    # members grouped by their class's representative column
    pair_class = unit_class[units]
    rep_col_of_class_claim = pd.Series(np.arange(len(rep_pairs)), index=pd.MultiIndex.from_arrays([pair_class[rep_pairs], claims[rep_pairs]]))
    target = rep_col_of_class_claim.reindex(pd.MultiIndex.from_arrays([pair_class, claims])).to_numpy().astype(np.int64)
    members = np.argsort(target, kind="stable")
    member_start = np.searchsorted(target[members], np.arange(len(rep_pairs) + 1))
    scale = np.ones(len(keep_cols))
    scale[: len(rep_pairs)] = size[pair_class[rep_pairs]]

    agg = Problem(sense=prob.sense, offset=prob.offset)
    lb, ub = prob.bounds()
    integer = prob.integrality()
    x = prob.group("x")
    agg.add_vars("x", x.labels.iloc[rep_pairs].reset_index(drop=True).assign(units=scale[: len(rep_pairs)]),
                 lb[rep_pairs] * scale[: len(rep_pairs)], ub[rep_pairs] * scale[: len(rep_pairs)], integer=True)
    agg.set_integrality("x", integer[rep_pairs])
    for name, g in prob.groups.items():
        if name != "x":
            agg.add_vars(name, g.labels, lb[g.slice], ub[g.slice], g.integer)
            agg.set_integrality(name, integer[g.slice])
    for block in prob.blocks:
        keep = new_index[block.cols] >= 0
        rows, cols, vals = block.rows[keep], new_index[block.cols[keep]], block.vals[keep]
        lower, upper, labels = block.lower, block.upper, block.labels
        if block.family == single_use.FAMILY:
            # one row per class: the representative's, bounds scaled by the class size
            kept_rows = np.unique(rows)
            renum = np.full(block.size, -1, np.int64)
            renum[kept_rows] = np.arange(len(kept_rows))
            n_in = np.zeros(block.size)
            np.maximum.at(n_in, rows, scale[cols])
            rows = renum[rows]
            lower, upper = lower[kept_rows] * n_in[kept_rows], upper[kept_rows] * n_in[kept_rows]
            labels = labels.iloc[kept_rows].reset_index(drop=True).assign(units=n_in[kept_rows])
        agg.add_rows(block.family, block.name, labels, rows, cols, vals, lower, upper)
    for f in prob.fixings:
        agg.fix(f.family, new_index[f.cols][new_index[f.cols] >= 0], f.value)  # locked units are their own class
    agg.set_objective(prob.objective()[keep_cols], prob.sense, prob.offset)
    agg.separators = _mapped_separators(prob.separators, new_index, scale)
    return Aggregation(agg, prob, keep_cols, members, member_start, unit_class, n_cls)


def _mapped_separators(separators: list, new_index: np.ndarray, scale: np.ndarray) -> list:
    """The separators whose every column is its own class (units in site rows are), over the class columns (a
    divisible claim's shares too)."""
    out = []
    for separator in separators:
        cols = new_index[separator.cols if separator.shares is None else np.concatenate([separator.cols, separator.shares])]
        if (cols >= 0).all() and (scale[cols] == 1).all():
            out.append(separator.remapped(lambda c: new_index[c]))
    return out


def disaggregate(agg: Aggregation, values: np.ndarray, prep) -> np.ndarray:
    """A solution of the unit problem from one of the class problem.

    Non-stacking claims first (whole units, then divisible shares poured into what is left of
    each member), then stacking claims, each placed only on members that carry one of its
    hosts and never above the host's share there (a stacking claim uses no share of its own).
    """
    prob = agg.original
    out = np.zeros(prob.n_cols)
    n_rep = agg.problem.group("x").size
    out[agg.keep_cols[n_rep:]] = values[n_rep:]
    integer = agg.problem.integrality()[:n_rep]
    units = prep.pairs["unit"].to_numpy()
    claims = np.asarray(prep.claims, dtype=object)[prep.pairs["claim"].cat.codes.to_numpy()]
    stacking = np.isin(claims[agg.keep_cols[:n_rep]], [k for k, c in prep.config.claims.items() if c.stacking])
    taken = {}  # class -> share of each member already taken by non-stacking claims, filled in member order
    amounts = values[:n_rep]
    order = [np.flatnonzero(integer & ~stacking), np.flatnonzero(~integer & ~stacking),
             np.flatnonzero(integer & stacking), np.flatnonzero(~integer & stacking)]
    for i in np.concatenate(order):
        amount = float(amounts[i])
        if amount <= 1e-9:
            continue
        cols = agg.members[agg.member_start[i]:agg.member_start[i + 1]]
        if stacking[i]:
            room = np.minimum(1.0, _host_share(prep, out, units[cols], claims[cols[0]]))
        else:
            used = taken.setdefault(agg.unit_class[units[cols[0]]], np.zeros(len(cols)))
            room = 1.0 - used
        share = _place(amount, room, bool(integer[i]))
        out[cols] = share
        if not stacking[i]:
            used += share
    return out


def _host_share(prep, out: np.ndarray, units: np.ndarray, claim: str) -> np.ndarray:
    """Per unit, the share its hosts of stacking ``claim`` hold in ``out``."""
    share = np.zeros(len(units))
    for host in prep.config.claims[claim].stacks_on:
        cols = prep.pair_of[host][units]
        share += np.where(cols >= 0, out[np.maximum(cols, 0)], 0.0)
    return share


def _place(amount: float, room: np.ndarray, whole: bool) -> np.ndarray:
    """Shares per member: ``amount`` whole units on members with a whole unit of room, or poured into the room."""
    if whole:
        share = np.zeros(len(room))
        share[np.flatnonzero(room >= 1.0 - 1e-9)[: int(round(amount))]] = 1.0
        return share
    return np.minimum(room, np.maximum(0.0, amount - np.concatenate([[0.0], np.cumsum(room)[:-1]])))
