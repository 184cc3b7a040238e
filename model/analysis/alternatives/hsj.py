"""Hop-Skip-Jump (Brill, Chang and Hopkins 1982): each plan avoids what the earlier plans used.

Plan j (j ≥ 1) minimises Σ_pairs w_j[u,k] · used[u,k] · x[u,k] within the budget row, with
w_j[u,k] the number of plans 0 … j−1 that allocate the pair (a share above 0; in a phased
instance, the last period's state) and used[u,k] its used area in ha. The minimum — the
*HSJ objective* — is the weighted area plan j still shares with the earlier ones: 0 when
it avoids all of it.
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.analysis.alternatives import plans
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import Problem

SENSE = "min"


def weights(states: list[np.ndarray]) -> np.ndarray:
    """w[pair] = how many of ``states`` (last-period shares per pair) allocate the pair."""
    return np.sum([s > 0 for s in states], axis=0).astype(float)


def objective(prep: Prepared, problem: Problem, states: list[np.ndarray]) -> np.ndarray:
    """The column vector Σ w·used·x of the next plan (minimised)."""
    return plans.on_last(prep, problem, weights(states) * plans.used(prep))
