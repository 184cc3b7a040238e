"""Budget.

    Σ_{(u,k) ∈ P} cost[u,k] · x[u,k] ≤ max_eur

with cost[u,k] = 10,000 · used area · c, c (€/m²) from ``claims.<k>.cost_attr``,
else ``budget.cost_attr`` for a non-stacking claim, else 0. The relocation
threshold (``max_relocation_eur_per_m2``) is a pair filter in preprocessing. A phased
instance holds the budget on the state of every period, against ``max_eur[t]`` when
``max_eur`` maps years to euros.
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem
from ruimtepuzzel.model.formulation.common import labels

FAMILY = "budget"


def apply(prep: Prepared, prob: Problem) -> None:
    budget = prep.config.budget
    if budget is None or budget.max_eur is None:
        return
    cost = prep.pairs["cost_eur"].to_numpy()
    cols = np.flatnonzero(cost != 0)
    prob.add_rows(FAMILY, FAMILY, labels(name=["budget"]), np.zeros(len(cols)), cols, cost[cols], -INF,
                  budget.limit(prep.config.years[-1]))  # one period; a phased problem sets each period's (phasing.py)
