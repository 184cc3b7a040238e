"""Separator cuts for minimum sites: valid inequalities that the LP relaxation of the site flow lacks.

For a claim with minimum site area L over the units U allowed for it, with adjacency N(·)
among U and used area a (at full share): write p[u] for the column that says whether u is
allocated (x[u] for a binary claim, the presence z[u] of a divisible one, see :mod:`.min_site`).
Take any set S ⊂ U with a(S) < L and its boundary ∂S = N(S) \\ S. Then for every w ∈ S

    p[w] − Σ_{v ∈ ∂S} p[v] ≤ 0.

Valid: if w is allocated, its site C (connected, used area ≥ L > a(S), as no share exceeds 1)
is not inside S, so an edge of C leaves S and its outer end, a unit of ∂S, is allocated. For
a binary claim this is exact with every S (for a site C too small, S = C gives x[w] ≤ 0), so
the family alone describes the integer points.

A divisible claim's site C may be too small with a(C) ≥ L (its shares are small). For any S
(whatever its area) and w ∈ S, with x[u] the shares,

    p[w] − Σ_{v ∈ ∂S} p[v] − Σ_{u ∈ S} (a[u] / L) · x[u] ≤ 0        (a *share cut*)

is valid: if w is allocated and no unit of ∂S is, w's site lies inside S, so the used area in
S is at least L; otherwise the left side is at most 0. With S = C it cuts off the site C too
small, so the two forms together are exact for a divisible claim.

The root-flow rows of :mod:`.min_site` stay in the model, so the direct solve needs no cuts;
the LP-first solver (:mod:`ruimtepuzzel.solvers.lp_first`) leaves the flow out of its
relaxation and sub-MIPs and uses these cuts in its place, then fills the flow in for the
allocation (:meth:`SiteCuts.complete`).

The flow's relaxation is no tighter than the model without sites (Zuid-Holland at 100 m:
the same bound, −50,854), because a root may carry r = 1/M: a single allocated cell is
its own fractional site. A cut with S = {w} already forbids that; larger S forbid two, three
or more cells alone.

Separation (:meth:`SiteCuts.separate`) is greedy, per unit w with x[w] > 0: grow S from w by
the boundary unit of largest x while a(S) stays below L, and emit the first S whose boundary
sum falls short of the largest x in S by more than ``VIOLATION``. For a sub-MIP the cuts are
enumerated (:meth:`SiteCuts.neighbourhood_cuts`); for an allocation they are exact
(:meth:`SiteCuts.small_site_cuts`: the first form where a(C) < L, a share cut otherwise). The
separation and the enumeration use the first form only, on p: for a divisible claim they are
weaker, and the share cuts of an allocation (a sub-MIP's, re-solved) do the rest.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

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

    ``cols``: the column that says whether each of the n units allowed for the claim is allocated (its x for a
    binary claim, its presence z for a divisible one); ``area``: its used area in ha at full share (n,); ``minimum``:
    L in ha; ``shares``: for a divisible claim the share column x of each unit (n,), else None. ``root``, ``supply`` (n,) and ``flow`` (m,) are the columns
    of the site flow of :mod:`.min_site`: r[u], g[u] and f[tail→head], ``tail``/``head`` positions
    among the n units, every edge in both directions. The adjacency of the units is those edges.
    """

    claim: str
    cols: np.ndarray
    area: np.ndarray
    minimum: float
    root: np.ndarray
    supply: np.ndarray
    flow: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    family: str = "min_site"  # the family whose integer points the cuts keep: skipped with it
    shares: Optional[np.ndarray] = None  # a divisible claim's share columns (cols are then its presence columns)
    adjacent: sp.csr_matrix = field(init=False, repr=False)

    def __post_init__(self):
        n = len(self.cols)
        self.adjacent = sp.csr_matrix((np.ones(len(self.tail)), (self.tail, self.head)), shape=(n, n))
        self.adjacent.sum_duplicates()

    def remapped(self, column) -> "SiteCuts":
        """The same data over other columns: ``column(cols)`` maps column indices (a period's block, a class problem)."""
        shares = None if self.shares is None else column(self.shares)
        return replace(self, cols=column(self.cols), root=column(self.root), supply=column(self.supply), flow=column(self.flow),
                       shares=shares)

    def used(self, values: np.ndarray) -> np.ndarray:
        """The used area (ha) of each unit in the allocation ``values``: ``area``, times its share for a divisible claim."""
        if self.shares is None:
            return self.area.astype(float)
        return self.area * np.clip(np.asarray(values, float)[self.shares], 0.0, 1.0)

    def complete(self, values: np.ndarray) -> None:
        """Set the site flow of the allocation in ``values`` (rounded; in place): per site one root supplying its
        used area (shares included), sent along a breadth-first spanning tree. Only meaningful when every site has
        used area ≥ L."""
        chosen = np.round(values[self.cols]) > 0.5
        used = self.used(values)
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
            carried = used[members].copy()
            for node in order[:0:-1]:  # leaves first: a node sends its subtree's area to its parent
                carried[parent[node]] += carried[node]
                values[edge_col[(int(parent[node]), int(node))]] = carried[node]
            values[self.root[members[root]]] = 1.0
            values[self.supply[members[root]]] = carried[root]

    def separate(self, x: np.ndarray, seen: set) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cuts violated by the column values ``x``, as CSR rows (indptr, columns, values) of ``x[w] − Σ x[∂S] ≤ 0``.

        ``seen`` holds the keys of cuts found before (updated): none is returned twice."""
        xv = np.asarray(x, float)[self.cols]
        rows: list[tuple] = []
        for w in np.flatnonzero(xv > SUPPORT)[np.argsort(-xv[xv > SUPPORT], kind="stable")]:
            cut = self._grow(int(w), xv)
            if cut is not None:
                self._keep(rows, seen, *cut)
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
        near = is_free.astype(float)
        for _ in range(ENUMERATED):
            near = near + self.adjacent @ (near * open_)
        rows: list[tuple] = []
        for w in np.flatnonzero((near > 0) & open_):
            for members in self._connected_sets(int(w), open_):
                boundary = self._boundary(members)
                if is_free[w] or is_free[boundary].any():
                    self._keep(rows, seen, int(w), boundary)
        return self._rows(rows)

    def stranded(self, free: np.ndarray, value: np.ndarray) -> np.ndarray:
        """Columns to free before a sub-MIP over the columns ``free`` (bool per column; the others at ``value``): the
        units fixed allocated whose fixed site is below L, and their neighbours. Kept fixed, such a site could only be
        completed by the free units beside it (or not at all); freed, the sub-MIP may also drop or move it."""
        members, site, area = self._sites(~free[self.cols] & (np.round(value[self.cols]) > 0.5))
        short = members[area[site] < self.minimum - 1e-9]
        return self.cols[np.union1d(short, self.adjacent[short].indices)].astype(np.int64)

    def small_site_cuts(self, values: np.ndarray, seen: set) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For an allocation (``values``; ``cols`` rounded), the cuts with S = each site whose used area (shares
        included) is below L, one per unit of the site: the form of :meth:`separate` when the site's area at full
        share is below L too, else a share cut. Exact, whatever the size of the site."""
        values = np.asarray(values, float)
        used = self.used(values)
        members, site, area = self._sites(np.round(values[self.cols]) > 0.5, used)
        full = np.bincount(site, weights=self.area[members], minlength=1)
        rows: list[tuple] = []
        for s in np.flatnonzero(area < self.minimum - 1e-9):
            inside = members[site == s]
            boundary = self._boundary(inside)
            for w in inside:
                if full[s] < self.minimum - 1e-9:
                    self._keep(rows, seen, int(w), boundary)
                else:
                    self._keep_share(rows, seen, int(w), boundary, inside)
        return self._rows(rows)

    def _sites(self, chosen: np.ndarray, used: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(the chosen units, the site of each, the area of each site): sites are the components of the chosen; their
        area is the sum of ``used`` (default: ``area``, at full share)."""
        members = np.flatnonzero(chosen)
        site = connected_components(self.adjacent[members][:, members], directed=False)[1]
        weights = (self.area if used is None else used)[members]
        return members, site, np.bincount(site, weights=weights, minlength=1)

    def _boundary(self, members: np.ndarray) -> np.ndarray:
        """∂S: the units adjacent to ``members`` and not among them."""
        return np.setdiff1d(self.adjacent[np.asarray(members)].indices, members)

    def _keep(self, rows: list, seen: set, w: int, boundary: np.ndarray) -> None:
        """Add the cut ``p[w] − Σ p[boundary] ≤ 0`` to ``rows`` unless ``seen`` has it (and remember it)."""
        key = (self.cols[w], tuple(np.sort(self.cols[boundary])))
        if key not in seen:
            seen.add(key)
            rows.append((np.concatenate([[self.cols[w]], self.cols[boundary]]),
                         np.concatenate([[1.0], -np.ones(len(boundary))])))

    def _keep_share(self, rows: list, seen: set, w: int, boundary: np.ndarray, inside: np.ndarray) -> None:
        """Add the share cut ``p[w] − Σ p[boundary] − Σ_{u ∈ inside} (a[u]/L)·x[u] ≤ 0`` unless ``seen`` has it."""
        key = ("share", self.cols[w], tuple(np.sort(self.cols[boundary])), tuple(np.sort(self.cols[inside])))
        if key not in seen:
            seen.add(key)
            rows.append((np.concatenate([[self.cols[w]], self.cols[boundary], self.shares[inside]]),
                         np.concatenate([[1.0], -np.ones(len(boundary)), -self.area[inside] / self.minimum])))

    def _rows(self, rows: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays (indptr, columns, values) of the ``rows`` (each a pair: columns, values)."""
        if not rows:
            return np.zeros(1, np.int64), np.empty(0, np.int64), np.empty(0)
        indptr = np.concatenate([[0], np.cumsum([len(c) for c, _ in rows])])
        cols = np.concatenate([c for c, _ in rows]).astype(np.int64)
        vals = np.concatenate([v for _, v in rows]).astype(float)
        return indptr, cols, vals

    def _connected_sets(self, w: int, open_: np.ndarray) -> list[np.ndarray]:
        """The connected sets of open units holding ``w``, of at most ``ENUMERATED`` units and area below L."""
        if self.area[w] >= self.minimum - 1e-9:
            return []
        found = {frozenset([w])}
        layer = [frozenset([w])]
        for _ in range(ENUMERATED - 1):
            if len(found) >= SETS_PER_UNIT:
                break
            grown = set()
            for members in layer:
                area = self.area[list(members)].sum()
                for v in self._boundary(np.fromiter(members, np.int64)):
                    if open_[v] and area + self.area[v] < self.minimum - 1e-9:
                        grown.add(members | {int(v)})
            grown -= found
            found |= grown
            layer = list(grown)
        return [np.fromiter(members, np.int64) for members in found]

    def _grow(self, w: int, xv: np.ndarray):
        """(unit of largest x in S, boundary of S) for the first violated S grown from ``w``, or None."""
        area = float(self.area[w])
        if area >= self.minimum - 1e-9:  # S = {w} is no smaller than a site
            return None
        members = [w]
        top = w
        while True:
            boundary = self._boundary(np.asarray(members))
            if xv[boundary].sum() < xv[top] - VIOLATION:
                return top, boundary
            if len(boundary) == 0 or len(members) >= MAX_GROW:
                return None
            nxt = int(boundary[np.argmax(xv[boundary])])
            if xv[nxt] <= SUPPORT or area + self.area[nxt] >= self.minimum - 1e-9:
                return None
            members.append(nxt)
            area += float(self.area[nxt])
            if xv[nxt] > xv[top]:
                top = nxt
