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

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

VIOLATION = 1e-3  # a cut must be violated by more than this
SUPPORT = 1e-6  # units with x above this seed a search
MAX_GROW = 24  # units a set S may hold at most (a bound on work, not on validity)
ENUMERATED = 8  # sub-MIPs get the cuts of the connected sets S (area below L) of at most so many units…
SETS_PER_UNIT = 400  # …and at most so many sets per unit (small parcels would make them explode)


@dataclass
class SiteCuts:
    """The separation data of one claim with a minimum site (in one period of a phased problem).

    ``cols``: the allocation column of each unit allowed for the claim (n,); ``area``: its used
    area in ha (n,); ``indptr``/``indices``: adjacency among those n units (CSR, both directions);
    ``minimum``: L in ha. ``root``, ``supply`` (n,) and ``flow`` (m,) are the columns of the site
    flow of :mod:`.min_site` (r[u], g[u], f[tail→head] with ``tail``/``head`` positions), which
    :meth:`complete` fills in for an allocation whose sites are large enough.
    """

    claim: str
    cols: np.ndarray
    area: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    minimum: float
    root: np.ndarray
    supply: np.ndarray
    flow: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    family: str = "min_site"  # the family whose integer points the cuts keep: skipped with it

    def remapped(self, column) -> "SiteCuts":
        """The same data over other columns: ``column(cols)`` maps column indices (a period's block, a class problem)."""
        return replace(self, cols=column(self.cols), root=column(self.root), supply=column(self.supply), flow=column(self.flow))

    def complete(self, values: np.ndarray) -> None:
        """Set the site flow of the allocation in ``values`` (rounded; in place): per site one root supplying its
        area, sent along a breadth-first spanning tree. Only meaningful when every site has area ≥ L."""
        chosen = np.round(values[self.cols]) > 0.5
        values[self.root] = 0.0
        values[self.supply] = 0.0
        values[self.flow] = 0.0
        members = np.flatnonzero(chosen)
        local = np.full(len(self.cols), -1)
        local[members] = np.arange(len(members))
        on_edge = np.flatnonzero(chosen[self.tail] & chosen[self.head])
        tail, head = local[self.tail[on_edge]], local[self.head[on_edge]]
        graph = sp.csr_matrix((np.ones(len(on_edge)), (tail, head)), shape=(len(members), len(members)))
        _, site = connected_components(graph, directed=False)
        edge_col = dict(zip(zip(tail.tolist(), head.tolist()), self.flow[on_edge].tolist()))
        for root in np.unique(site, return_index=True)[1]:
            order, parent = breadth_first_order(graph, int(root), directed=False, return_predecessors=True)
            carried = self.area[members].astype(float)
            for node in order[:0:-1]:  # leaves first: a node sends its subtree's area to its parent
                carried[parent[node]] += carried[node]
                values[edge_col[(int(parent[node]), int(node))]] = carried[node]
            values[self.root[members[root]]] = 1.0
            values[self.supply[members[root]]] = carried[root]

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
        return self._rows(rows)

    def neighbourhood_cuts(self, free: np.ndarray, value: np.ndarray, seen: set) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every cut ``x[w] − Σ x[∂S] ≤ 0`` with S connected, of at most ``ENUMERATED`` units and area below L, that a
        sub-MIP could still violate: ``free`` (bool per column) its columns, ``value`` the others' values. S runs
        over units free or fixed allocated, w over S; only S within ``ENUMERATED`` steps of a free unit, and at most
        ``SETS_PER_UNIT`` sets per w (smallest first). With cells of 1 ha and L = 5 ha these are all the sets a site
        too small can be (five cells where one is clipped by the coast or a border): the sub-MIP then needs no
        flow; what they miss, the repair of :func:`ruimtepuzzel.solvers.lp_first._neighbourhood` catches."""
        is_free = free[self.cols]
        open_ = is_free | (np.round(value[self.cols]) > 0.5)
        n = len(self.cols)
        adjacent = sp.csr_matrix((np.ones(len(self.indices)), self.indices, self.indptr), shape=(n, n))
        near = is_free.astype(float)
        for _ in range(ENUMERATED):
            near = near + adjacent @ (near * open_)
        rows: list[np.ndarray] = []
        for w in np.flatnonzero((near > 0) & open_):
            for members in self._connected_sets(int(w), open_):
                boundary = np.setdiff1d(np.concatenate([self.indices[self.indptr[u]:self.indptr[u + 1]] for u in members]),
                                        members)
                if not (is_free[boundary].any() or is_free[w]):
                    continue
                key = (self.cols[w], tuple(np.sort(self.cols[boundary])))
                if key not in seen:
                    seen.add(key)
                    rows.append(np.concatenate([[w], boundary]))
        return self._rows(rows)

    def _connected_sets(self, w: int, open_: np.ndarray) -> list[np.ndarray]:
        """The connected sets of open units holding ``w``, of at most ``ENUMERATED`` units and area below L."""
        if self.area[w] >= self.minimum - 1e-9:
            return []
        found = {frozenset([w])}
        layer = [frozenset([w])]
        for _ in range(ENUMERATED - 1):
            grown = set()
            if len(found) >= SETS_PER_UNIT:
                break
            for members in layer:
                area = self.area[list(members)].sum()
                for u in members:
                    for v in self.indices[self.indptr[u]:self.indptr[u + 1]]:
                        v = int(v)
                        if open_[v] and v not in members and area + self.area[v] < self.minimum - 1e-9:
                            grown.add(members | {v})
            grown -= found
            found |= grown
            layer = list(grown)
        return [np.fromiter(members, np.int64) for members in found]

    def stranded(self, free: np.ndarray, value: np.ndarray) -> np.ndarray:
        """Columns to free before a sub-MIP over the columns ``free`` (bool per column; the others at ``value``): the
        units fixed allocated whose fixed site is below L, and their neighbours. Kept fixed, such a site could only be
        completed by the free units beside it (or not at all); freed, the sub-MIP may also drop or move it."""
        fixed_on = ~free[self.cols] & (np.round(value[self.cols]) > 0.5)
        members = np.flatnonzero(fixed_on)
        n = len(self.cols)
        adjacent = sp.csr_matrix((np.ones(len(self.indices)), self.indices, self.indptr), shape=(n, n))
        site = connected_components(adjacent[members][:, members], directed=False)[1]
        area = np.bincount(site, weights=self.area[members]) if len(members) else np.empty(0)
        short = members[area[site] < self.minimum - 1e-9]
        if len(short) == 0:
            return np.empty(0, np.int64)
        around = np.unique(np.concatenate([short, adjacent[short].indices]))
        return self.cols[around]

    def small_site_cuts(self, values: np.ndarray, seen: set) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For an allocation (``values`` rounded), the cuts with S = each site whose area is below L, one per unit
        of the site, as in :meth:`separate`: exact, whatever the size of the site."""
        members = np.flatnonzero(np.round(np.asarray(values, float)[self.cols]) > 0.5)
        n = len(self.cols)
        adjacent = sp.csr_matrix((np.ones(len(self.indices)), self.indices, self.indptr), shape=(n, n))
        site = connected_components(adjacent[members][:, members], directed=False)[1]
        area = np.bincount(site, weights=self.area[members]) if len(members) else np.empty(0)
        rows: list[np.ndarray] = []
        for s in np.flatnonzero(area < self.minimum - 1e-9):
            inside = members[site == s]
            boundary = np.setdiff1d(np.concatenate([self.indices[self.indptr[u]:self.indptr[u + 1]] for u in inside]), inside)
            for w in inside:
                key = (self.cols[w], tuple(np.sort(self.cols[boundary])))
                if key not in seen:
                    seen.add(key)
                    rows.append(np.concatenate([[w], boundary]))
        return self._rows(rows)

    def _rows(self, rows: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not rows:
            return np.zeros(1, np.int64), np.empty(0, np.int64), np.empty(0)
        indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
        pos = np.concatenate(rows).astype(np.int64)
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
