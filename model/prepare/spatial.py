"""Spatial relations between units, with a spatial index (never all pairs).

*Distance* between two units is the shortest distance between their geometries
(0 when they touch). *Adjacency* is a shared edge: grid cells are 4-neighbours,
parcels share a boundary of positive length.

Square cells of one size on one lattice (CSV units with ``cell_m``) need no geometry at
all: two cells whose centres are (di, dj) cells apart are
``cell · hypot(max(|di| − 1, 0), max(|dj| − 1, 0))`` metres apart, so the cells closer
than a distance are a fixed stencil of offsets, looked up by integer keys
(:class:`Lattice`). Any other units go through an STRtree of their shapes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import shapely
from shapely import STRtree

EDGE_TOLERANCE_M = 1e-6


def closer_than(sources: np.ndarray, targets: np.ndarray, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i into sources, j into targets) whose geometries are strictly closer than ``distance``."""
    if len(sources) == 0 or len(targets) == 0 or distance <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    tree = STRtree(targets)
    i, j = tree.query(sources, predicate="dwithin", distance=distance)
    if len(i):
        keep = shapely.distance(sources[i], targets[j]) < distance
        i, j = i[keep], j[keep]
    order = np.lexsort((j, i))
    return i[order].astype(np.int64), j[order].astype(np.int64)


@dataclass(frozen=True)
class Lattice:
    """Square cells of side ``cell`` (m) at integer lattice positions (ix, iy), one cell per position."""

    cell: float
    ix: np.ndarray  # int64 per unit, from 0
    iy: np.ndarray

    def stencil(self, distance: float) -> np.ndarray:
        """Offsets (di, dj) of the cells strictly closer than ``distance`` to a cell (itself included)."""
        reach = int(np.ceil(distance / self.cell)) + 1
        di, dj = np.meshgrid(np.arange(-reach, reach + 1), np.arange(-reach, reach + 1), indexing="ij")
        gap = self.cell * np.hypot(np.maximum(np.abs(di) - 1, 0), np.maximum(np.abs(dj) - 1, 0))
        keep = gap < distance
        return np.column_stack([di[keep], dj[keep]])

    def closer_than(self, sources: np.ndarray, targets: np.ndarray, distance: float) -> tuple[np.ndarray, np.ndarray]:
        """As :func:`closer_than`, for unit indices: (i into sources, j into targets), sorted by (i, j)."""
        if len(sources) == 0 or len(targets) == 0 or distance <= 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        offsets = self.stencil(distance)
        reach = int(np.abs(offsets).max())
        width = int(self.iy.max()) + 2 * reach + 1  # no key of a cell plus an offset wraps into another column
        swap = len(sources) > len(targets)  # walk the stencil from the smaller side (the relation is symmetric)
        small, large = (targets, sources) if swap else (sources, targets)
        large_keys = self.ix[large] * width + self.iy[large] + reach
        order = np.argsort(large_keys, kind="stable")
        sorted_keys = large_keys[order]
        small_keys = self.ix[small] * width + self.iy[small] + reach
        found_small, found_large = [], []
        for di, dj in offsets:
            wanted = small_keys + (int(di) * width + int(dj))
            pos = np.minimum(np.searchsorted(sorted_keys, wanted), len(sorted_keys) - 1)
            hit = sorted_keys[pos] == wanted
            found_small.append(np.flatnonzero(hit))
            found_large.append(order[pos[hit]])
        a, b = np.concatenate(found_small), np.concatenate(found_large)
        i, j = (b, a) if swap else (a, b)
        keep = np.lexsort((j, i))
        return i[keep].astype(np.int64), j[keep].astype(np.int64)


def lattice_of(grid: Optional[dict]) -> Optional[Lattice]:
    """The lattice of square cells of one size, or None (other shapes, mixed sizes, cells off the lattice or overlapping)."""
    if grid is None or len(grid["x"]) == 0:
        return None
    cell = grid["cell_m"]
    if not np.all(cell == cell[0]):
        return None
    cell, x, y = float(cell[0]), grid["x"], grid["y"]
    x0, y0 = x.min(), y.min()
    ix, iy = np.rint((x - x0) / cell), np.rint((y - y0) / cell)
    if np.abs(x - x0 - ix * cell).max() > 1e-6 * cell or np.abs(y - y0 - iy * cell).max() > 1e-6 * cell:
        return None
    ix, iy = ix.astype(np.int64), iy.astype(np.int64)
    if len(np.unique(ix * (int(iy.max()) + 1) + iy)) != len(ix):
        return None
    return Lattice(cell, ix, iy)


def units_closer_than(instance, sources: np.ndarray, targets: np.ndarray, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of unit indices (i into sources, j into targets) strictly closer than ``distance`` metres, sorted by (i, j).

    On a lattice of square cells without any geometry; otherwise through an STRtree of the units' shapes.
    """
    sources, targets = np.asarray(sources, np.int64), np.asarray(targets, np.int64)
    lattice = instance._cached(("lattice", "units"), lambda: lattice_of(instance.grid))
    if lattice is not None:
        return lattice.closer_than(sources, targets, distance)
    return closer_than(instance.geometry_of(sources), instance.geometry_of(targets), distance)


def _grid_adjacency(x: np.ndarray, y: np.ndarray, cell: float) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """4-neighbours of square cells on one lattice; None when the cells are not on one."""
    x0, y0 = x.min(), y.min()
    ix, iy = np.rint((x - x0) / cell), np.rint((y - y0) / cell)
    if np.abs(x - x0 - ix * cell).max() > 1e-6 * cell or np.abs(y - y0 - iy * cell).max() > 1e-6 * cell:
        return None
    ix, iy = ix.astype(np.int64), iy.astype(np.int64)
    width = int(iy.max()) + 2
    key = ix * width + iy
    order = np.argsort(key)
    sorted_keys = key[order]
    if len(np.unique(sorted_keys)) != len(key):
        return None  # overlapping cells: let the geometric path decide
    pairs_u, pairs_v = [], []
    for neighbour in (key + width, key + 1):  # right and up; the relation is symmetric
        pos = np.searchsorted(sorted_keys, neighbour)
        pos = np.minimum(pos, len(sorted_keys) - 1)
        found = sorted_keys[pos] == neighbour
        pairs_u.append(np.flatnonzero(found))
        pairs_v.append(order[pos[found]])
    u, v = np.concatenate(pairs_u), np.concatenate(pairs_v)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((hi, lo))
    return lo[order], hi[order]


def units_adjacency(instance, subset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`adjacency` of the instance's units in ``subset``, building shapes only when the cells are not one lattice."""
    idx = np.asarray(subset, dtype=np.int64)
    found = _lattice_edges(instance.grid, idx)
    if found is not None:
        return found
    u, v = adjacency(instance.geometry_of(idx))
    return idx[u], idx[v]


def _lattice_edges(grid: Optional[dict], idx: np.ndarray) -> Optional[tuple[np.ndarray, np.ndarray]]:
    if len(idx) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if grid is not None:
        cell = grid["cell_m"][idx]
        if np.all(cell == cell[0]):
            found = _grid_adjacency(grid["x"][idx], grid["y"][idx], float(cell[0]))
            if found is not None:
                return idx[found[0]], idx[found[1]]
    return None


def adjacency(geometry: np.ndarray, grid: Optional[dict] = None, subset: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """Undirected edges (u < v, unit indices) between units sharing an edge.

    ``subset`` restricts the search to those unit indices (edges are returned in
    the units' own indices). Point units have no edges.
    """
    idx = np.arange(len(geometry)) if subset is None else np.asarray(subset, dtype=np.int64)
    found = _lattice_edges(grid, idx)
    if found is not None:
        return found
    geoms = geometry[idx]
    if np.all(shapely.get_dimensions(geoms) == 0):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    tree = STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    if len(i):
        shared = shapely.length(shapely.intersection(shapely.boundary(geoms[i]), shapely.boundary(geoms[j])))
        keep = shared > EDGE_TOLERANCE_M
        i, j = i[keep], j[keep]
    order = np.lexsort((j, i))
    return idx[i[order]], idx[j[order]]


def components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected-component label per node of an undirected graph on n nodes."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n, n))
    return connected_components(graph, directed=False)[1]
