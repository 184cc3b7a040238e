"""Spatial relations between units, with a spatial index (never all pairs).

*Distance* between two units is the shortest distance between their geometries
(0 when they touch). *Adjacency* is a shared edge: grid cells are 4-neighbours,
parcels share a boundary of positive length.
"""
from __future__ import annotations

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


def adjacency(geometry: np.ndarray, grid: Optional[dict] = None, subset: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """Undirected edges (u < v, unit indices) between units sharing an edge.

    ``subset`` restricts the search to those unit indices (edges are returned in
    the units' own indices). Point units have no edges.
    """
    idx = np.arange(len(geometry)) if subset is None else np.asarray(subset, dtype=np.int64)
    if len(idx) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if grid is not None:
        cell = grid["cell_m"][idx]
        if np.all(cell == cell[0]):
            found = _grid_adjacency(grid["x"][idx], grid["y"][idx], float(cell[0]))
            if found is not None:
                return idx[found[0]], idx[found[1]]
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
