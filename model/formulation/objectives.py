"""Objective senses (docs/model.md, "Objectives").

- ``max_value``: maximise Σ value·x − Σ soft penalties·x − Σ π_g·s_g − Σ β·w
  (π_g = the row's ``shortfall_penalty`` or ``shortfall_penalty_per_ha``;
  β = a balance row's ``penalty_per_ha`` on its slack w).
- ``min_cost``: minimise Σ cost·x + Σ π_g·s_g.
- ``min_shortfall``: minimise Σ_g weight_g · s_g / D_g (the budget row applies).
- ``max_min_fulfilment``: stage 1 maximises t with t ≤ 1 and allocated_g ≥ t·D_g
  for every floor; stage 2 holds t at its optimum and maximises ``max_value``.
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.formulation import demand
from ruimtepuzzel.model.formulation.common import labels
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem

FULFILMENT = "fulfilment"
T_TOLERANCE = 1e-7


def _floor_rows(prep: Prepared) -> list:
    return [prep.config.demand[i] for i in demand.floors(prep)]


def _shortfall_penalties(prep: Prepared) -> np.ndarray:
    default = prep.config.objective.shortfall_penalty_per_ha
    return np.array([d.shortfall_penalty if d.shortfall_penalty is not None else default for d in _floor_rows(prep)])


def max_value_cost(prep: Prepared, prob: Problem) -> np.ndarray:
    cost = np.zeros(prob.n_cols)
    cost[prob.group("x").slice] = prep.pairs["value"].to_numpy() - prep.pairs["penalty"].to_numpy()
    if prob.has("shortfall"):
        cost[prob.group("shortfall").slice] = -_shortfall_penalties(prep)
    for i, b in enumerate(prep.config.balance):
        name = f"balance_slack[{i}]"
        if prob.has(name):
            cost[prob.group(name).slice] = -b.penalty_per_ha
    return cost


def min_cost_cost(prep: Prepared, prob: Problem) -> np.ndarray:
    cost = np.zeros(prob.n_cols)
    cost[prob.group("x").slice] = prep.pairs["cost_eur"].to_numpy()
    if prob.has("shortfall"):
        cost[prob.group("shortfall").slice] = _shortfall_penalties(prep)
    return cost


def min_shortfall_cost(prep: Prepared, prob: Problem) -> np.ndarray:
    cost = np.zeros(prob.n_cols)
    if prob.has("shortfall"):
        rows = _floor_rows(prep)
        cost[prob.group("shortfall").slice] = np.array([d.weight / d.lower for d in rows])
    return cost


def add_fulfilment(prep: Prepared, prob: Problem) -> None:
    """t ∈ [0,1] with Σ q·x − D_g·t ≥ 0 for every floor g."""
    which = demand.floors(prep)
    t = prob.add_vars(FULFILMENT, labels(name=["t"]), 0.0, 1.0, integer=False)
    parts = [prep.demand_coefficients(prep.config.demand[i]) for i in which]
    rows = np.concatenate([np.full(len(idx) + 1, r) for r, (idx, _) in enumerate(parts)]) if parts else np.empty(0)
    cols = np.concatenate([np.append(idx, t[0]) for idx, _ in parts]) if parts else np.empty(0)
    vals = np.concatenate([np.append(coef, -prep.config.demand[i].lower) for i, (_, coef) in zip(which, parts)]) if parts else np.empty(0)
    prob.add_rows(FULFILMENT, FULFILMENT, demand.demand_labels(prep, which), rows, cols, vals, 0.0, INF)


def apply_objective(prep: Prepared, prob: Problem, sense: str) -> None:
    if sense == "max_value":
        prob.set_objective(max_value_cost(prep, prob), "max")
    elif sense == "min_cost":
        prob.set_objective(min_cost_cost(prep, prob), "min")
    elif sense == "min_shortfall":
        prob.set_objective(min_shortfall_cost(prep, prob), "min")
    elif sense == "max_min_fulfilment":
        add_fulfilment(prep, prob)
        cost = np.zeros(prob.n_cols)
        cost[prob.group(FULFILMENT).slice] = 1.0
        prob.set_objective(cost, "max")
    else:
        raise ValueError(f"unknown objective sense {sense!r}")


def second_stage(prep: Prepared, prob: Problem, t_value: float) -> None:
    """max_min_fulfilment stage 2: hold t at its optimum, maximise value."""
    prob.set_bounds(FULFILMENT, lower=max(0.0, min(1.0, t_value) - T_TOLERANCE))
    prob.set_objective(max_value_cost(prep, prob), "max")
