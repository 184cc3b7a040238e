"""What plans are made of and how they compare: per pair its share in the last period, overlap and distance.

A plan is a full column vector of the problem. Its *state* is the share of every allocation
pair in the last period (one period: the allocation), whole units rounded as in
``allocation.csv``; the *used area* of a pair is its ``used_ha`` times that share.

- overlap_ha(a, b) = Σ_pairs used · min(share_a, share_b): the area both plans allocate alike;
- distance_ha(a, b) = Σ_pairs used · |share_a − share_b|: the used area of the pairs in one
  plan and not the other (for whole units exactly that).
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.outputs import extract
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import Problem


def state(prep: Prepared, values: np.ndarray) -> np.ndarray:
    """The share of every pair in the last period (length = pairs)."""
    return extract.shares(prep, values)[-1]


def last_columns(prep: Prepared, problem: Problem) -> np.ndarray:
    """The column of every pair in the last period (column j for one period)."""
    pairs = np.arange(len(prep.pairs))
    return problem.x_cols(pairs, prep.config.years[-1]) if prep.config.periods else pairs


def all_columns(prep: Prepared, problem: Problem, pairs: np.ndarray) -> np.ndarray:
    """The columns of ``pairs`` in every period."""
    pairs = np.asarray(pairs, np.int64)
    if not prep.config.periods:
        return pairs
    return np.concatenate([problem.x_cols(pairs, year) for year in prep.config.periods])


def on_last(prep: Prepared, problem: Problem, per_pair: np.ndarray) -> np.ndarray:
    """A column vector holding ``per_pair`` on the last period's pair columns and 0 elsewhere."""
    vector = np.zeros(problem.n_cols)
    vector[last_columns(prep, problem)] = per_pair
    return vector


def used(prep: Prepared) -> np.ndarray:
    return prep.pairs["used_ha"].to_numpy(float)


def overlap_ha(prep: Prepared, a: np.ndarray, b: np.ndarray) -> float:
    return float(used(prep) @ np.minimum(a, b))


def distance_ha(prep: Prepared, a: np.ndarray, b: np.ndarray) -> float:
    return float(used(prep) @ np.abs(a - b))


def nearest(prep: Prepared, states: list[np.ndarray], target: np.ndarray) -> tuple[int, float]:
    """(index, distance_ha) of the state in ``states`` nearest to ``target``."""
    dist = [distance_ha(prep, s, target) for s in states]
    i = int(np.argmin(dist))
    return i, dist[i]
