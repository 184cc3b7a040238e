"""The budget row: the instance's objective as a row, held within ``slack`` of the optimum.

For ``max_value`` the row is ``c·x + offset ≥ z* − slack·|z*|``, for ``min_cost``
``c·x + offset ≤ z* + slack·|z*|``, with ``c`` the objective's coefficients and ``z*``
plan 0's objective (recomputed from its allocation, so plan 0 satisfies the row at
``slack = 0``). For the two-stage senses the first stage is held at its optimum
(:func:`model.formulation.objectives.second_stage`) and the row is the second stage's
objective: ``max_value`` under ``max_min_fulfilment``, ``min_cost`` under ``min_shortfall``.

Every objective this package reports is :func:`objective_of` an allocation: ``c·x + offset``
with the integer columns rounded — one place, to be replaced by the solver layer's own.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ruimtepuzzel.model.formulation import objectives
from ruimtepuzzel.model.formulation.common import labels
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem

FAMILY = "near_optimal_budget"


@dataclass(frozen=True)
class Objective:
    """The objective the budget row holds: coefficients (length = columns), offset and sense ('max' or 'min')."""

    cost: np.ndarray
    offset: float
    sense: str

    def of(self, values: np.ndarray, integer: np.ndarray) -> float:
        return objective_of(self.cost, self.offset, values, integer)

    def loss(self, z_star: float, z: float) -> float:
        """How much worse ``z`` is than ``z_star`` (≥ 0 when worse): z* − z for max, z − z* for min."""
        return (z_star - z if self.sense == "max" else z - z_star) + 0.0


def objective_of(cost: np.ndarray, offset: float, values: np.ndarray, integer: np.ndarray) -> float:
    """c·x + offset of the allocation ``values`` (integer columns rounded): every reported objective comes from here."""
    x = np.asarray(values, float).copy()
    x[integer] = np.round(x[integer])
    return float(cost @ x + offset) + 0.0


def held_objective(prep: Prepared, problem: Problem) -> Objective:
    """The objective the slack applies to: the instance's, or the second stage's for a two-stage sense."""
    sense = prep.config.objective.sense
    if sense == "max_min_fulfilment":
        return Objective(objectives.max_value_cost(prep, problem), 0.0, "max")
    if sense == "min_shortfall":
        return Objective(objectives.min_cost_cost(prep, problem), 0.0, "min")
    return Objective(problem.objective().copy(), float(problem.offset), problem.sense)


def add_budget_row(problem: Problem, objective: Objective) -> int:
    """Append the budget row, free (−∞, ∞) until :func:`bounds` sets it; returns its global row index."""
    cols = np.flatnonzero(objective.cost)
    block = problem.add_rows(FAMILY, FAMILY, labels(name=["objective within the slack"]), np.zeros(len(cols)), cols,
                             objective.cost[cols], -INF, INF)
    return block.start


def bounds(objective: Objective, z_star: float, slack: float) -> tuple[float, float]:
    """(lower, upper) of the budget row's activity c·x for ``slack``: the objective within slack·|z*| of z*."""
    room = slack * abs(z_star)
    if objective.sense == "max":
        return z_star - room - objective.offset, INF
    return -INF, z_star + room - objective.offset


def holds(objective: Objective, z: float, z_star: float, slack: float, tol: float = 1e-6) -> bool:
    """True when the objective ``z`` is within the slack (with the solver's feasibility tolerance, relative)."""
    return objective.loss(z_star, z) <= slack * abs(z_star) + tol * max(1.0, abs(z_star))
