"""Separator cuts for minimum sites: valid inequalities that the LP relaxation of the site flow lacks.

For a claim with minimum site area L over the units U allowed for it, with adjacency N(·)
among U and used area a: take any set S ⊂ U with a(S) < L and its boundary
∂S = N(S) \\ S. Then for every w ∈ S

    x[w] − Σ_{v ∈ ∂S} x[v] ≤ 0.

Valid: if w is allocated, its site C (connected, a(C) ≥ L > a(S)) is not inside S, so an
edge of C leaves S and its outer end, a unit of ∂S, is allocated. Exact with every S (for
a site C too small, S = C gives x[w] ≤ 0), so the family alone describes the integer points;
the root-flow rows of :mod:`.min_site` stay in the model (the MIP needs no cut loop to be
exact) and these rows only tighten the relaxation.

The flow's relaxation is no tighter than the model without sites (Zuid-Holland at 100 m:
the same bound, −50,854), because a root may carry r = 1/M: a single allocated cell is
its own fractional site. A cut with S = {w} already forbids that; larger S forbid two, three
or four cells alone.

Separation (:meth:`SiteCuts.separate`) is greedy, per unit w with x[w] > 0: grow S from w by
the boundary unit of largest x while a(S) stays below L, and emit the first S whose boundary
sum falls short of the largest x in S by more than ``VIOLATION``. The LP-first solver
(:mod:`ruimtepuzzel.solvers.lp_first`) adds the cuts to its relaxation round by round and
keeps them in the sub-MIPs and the full MIP that follow.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

VIOLATION = 1e-3  # a cut must be violated by more than this
SUPPORT = 1e-6  # units with x above this seed a search
MAX_GROW = 24  # units a set S may hold at most (a bound on work, not on validity)


@dataclass
class SiteCuts:
    """The separation data of one claim with a minimum site (in one period of a phased problem).

    ``cols``: the allocation column of each unit allowed for the claim (n,); ``area``: its used
    area in ha (n,); ``indptr``/``indices``: adjacency among those n units (CSR, both directions);
    ``minimum``: L in ha.
    """

    claim: str
    cols: np.ndarray
    area: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    minimum: float
    family: str = "min_site"  # the family whose integer points the cuts keep: skipped with it

    def shifted(self, offset: int) -> "SiteCuts":
        """The same cuts over columns ``offset`` further on (a later period's block of x)."""
        return SiteCuts(self.claim, self.cols + offset, self.area, self.indptr, self.indices, self.minimum)

    def separate(self, x: np.ndarray, seen: set) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cuts violated by the column values ``x``, as CSR rows (indptr, columns, values) of ``x[w] − Σ x[∂S] ≤ 0``.

        ``seen`` holds the keys of cuts found before (updated): none is returned twice."""
        xv = np.asarray(x, float)[self.cols]
        rows: list[np.ndarray] = []
        for w in np.flatnonzero(xv > SUPPORT)[np.argsort(-xv[xv > SUPPORT], kind="stable")]:
            cut = self._grow(int(w), xv)
            if cut is None:
                continue
            top, boundary = cut
            key = (self.cols[top], tuple(np.sort(self.cols[boundary])))
            if key not in seen:
                seen.add(key)
                rows.append(np.concatenate([[top], boundary]))
        if not rows:
            return np.zeros(1, np.int64), np.empty(0, np.int64), np.empty(0)
        indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
        pos = np.concatenate(rows)
        vals = -np.ones(len(pos))
        vals[indptr[:-1]] = 1.0
        return indptr, self.cols[pos], vals

    def _grow(self, w: int, xv: np.ndarray):
        """(unit of largest x in S, boundary of S) for the first violated S grown from ``w``, or None."""
        area = float(self.area[w])
        if area >= self.minimum - 1e-9:  # S = {w} is no smaller than a site
            return None
        members = [w]
        inside = {w}
        top = w
        while True:
            boundary = np.unique(np.concatenate([self.indices[self.indptr[u]:self.indptr[u + 1]] for u in members]))
            boundary = boundary[[b not in inside for b in boundary]] if len(boundary) else boundary
            if xv[boundary].sum() < xv[top] - VIOLATION:
                return top, boundary
            if len(boundary) == 0 or len(members) >= MAX_GROW:
                return None
            nxt = int(boundary[np.argmax(xv[boundary])])
            if xv[nxt] <= SUPPORT or area + self.area[nxt] >= self.minimum - 1e-9:
                return None
            members.append(nxt)
            inside.add(nxt)
            area += float(self.area[nxt])
            if xv[nxt] > xv[top]:
                top = nxt


def adjacency(n: int, tail: np.ndarray, head: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, indices) of the undirected graph on n nodes with edges (tail, head)."""
    g = sp.coo_matrix((np.ones(2 * len(tail)), (np.concatenate([tail, head]), np.concatenate([head, tail]))), shape=(n, n)).tocsr()
    return g.indptr.astype(np.int64), g.indices.astype(np.int64)
