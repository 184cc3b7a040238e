"""Objective senses (docs/model.md, "Objectives").

- ``max_value``: maximise Σ value·x − Σ soft penalties·x − Σ π_g·s_g − Σ β·w
  (π_g = the row's ``shortfall_penalty`` or ``shortfall_penalty_per_ha``;
  β = a balance row's ``penalty_per_ha`` on its slack w).
- ``min_cost``: minimise Σ cost·x + Σ soft penalties·x + Σ π_g·s_g + Σ β·w: every
  penalty an instance declares counts.
- ``min_shortfall``: stage 1 minimises v = Σ_g weight_g · s_g / D_g (the budget row
  applies); stage 2 holds v ≤ v* (the row ``objective_held``) and minimises the
  ``min_cost`` objective. The reported objective is stage 1's.
- ``max_min_fulfilment``: stage 1 maximises t with t ≤ 1 and allocated_g ≥ t·D_g
  for every floor; stage 2 holds t ≥ t* and maximises ``max_value``.

The held value is recomputed from the stage-1 allocation with its integer decisions
rounded (t* = min_g min(1, allocated_g / D_g); v* = Σ w·max(0, D − allocated)/D), so the
stage-1 allocation is feasible in stage 2 and nothing else is: a tolerance on the held
value would let every LP relaxation move a sliver of floor area and keep the bound
above every integer solution, so that ``--gap 0`` could never be proven.
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.formulation import compensation, demand
from ruimtepuzzel.model.formulation.common import labels
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem

FULFILMENT = "fulfilment"
HELD = "objective_held"
TWO_STAGE = ("min_shortfall", "max_min_fulfilment")
HOLD_TOLERANCE = 1e-9  # relative; far below HiGHS's feasibility tolerance (1e-7)


def _floor_rows(prep: Prepared) -> list:
    return [prep.config.demand[i] for i in demand.floors(prep)]


def _shortfall_penalties(prep: Prepared) -> np.ndarray:
    default = prep.config.objective.shortfall_penalty_per_ha
    return np.array([d.shortfall_penalty if d.shortfall_penalty is not None else default for d in _floor_rows(prep)])


def _put(cost: np.ndarray, prep: Prepared, prob: Problem, group: str, values, when: str = "each") -> None:
    """Add ``values`` (one per column of one period) to ``group``'s costs.

    ``when``: ``each`` period weighted by ``objective.period_weights``, only the ``last`` period's
    state, or ``once`` (a group that is not repeated per period). One period: all the same.
    """
    g = prob.group(group)
    copies = prob.period_blocks(group)
    if copies == 1:
        cost[g.slice] += values
        return
    years = prob.periods.years
    size = g.size // copies
    for t, year in enumerate(years):
        weight = prep.config.objective.weight(year) if when == "each" else float(t == len(years) - 1)
        cost[g.start + t * size: g.start + (t + 1) * size] += weight * np.asarray(values)


def _balance_slacks(prep: Prepared, prob: Problem):
    for i, b in enumerate(prep.config.balance):
        name = f"balance_slack[{i}]"
        if prob.has(name):
            yield name, b.penalty_per_ha


def max_value_cost(prep: Prepared, prob: Problem) -> np.ndarray:
    cost = np.zeros(prob.n_cols)
    _put(cost, prep, prob, "x", prep.pairs["value"].to_numpy() - prep.pairs["penalty"].to_numpy())
    if prob.has("shortfall"):
        _put(cost, prep, prob, "shortfall", -_shortfall_penalties(prep), "once")
    for name, penalty in _balance_slacks(prep, prob):
        _put(cost, prep, prob, name, -penalty)
    return cost


def min_cost_cost(prep: Prepared, prob: Problem) -> np.ndarray:
    cost = np.zeros(prob.n_cols)
    _put(cost, prep, prob, "x", prep.pairs["cost_eur"].to_numpy(), "last")  # each pair is paid for once
    _put(cost, prep, prob, "x", prep.pairs["penalty"].to_numpy())
    if prob.has("shortfall"):
        _put(cost, prep, prob, "shortfall", _shortfall_penalties(prep), "once")
    for name, penalty in _balance_slacks(prep, prob):
        _put(cost, prep, prob, name, penalty)
    return cost


def min_shortfall_cost(prep: Prepared, prob: Problem) -> np.ndarray:
    cost = np.zeros(prob.n_cols)
    if prob.has("shortfall"):
        rows = _floor_rows(prep)
        _put(cost, prep, prob, "shortfall", np.array([d.weight / d.lower for d in rows]), "once")
    return cost


def add_fulfilment(prep: Prepared, prob: Problem) -> None:
    """t ∈ [0,1] with Σ q·x − D_g·t ≥ 0 for every floor g."""
    which = demand.floors(prep)
    t = prob.add_vars(FULFILMENT, labels(name=["t"]), 0.0, 1.0, integer=False)
    parts = [_period_coefficients(prep, prob, prep.config.demand[i]) for i in which]
    rows = np.concatenate([np.full(len(idx) + 1, r) for r, (idx, _) in enumerate(parts)]) if parts else np.empty(0)
    cols = np.concatenate([np.append(idx, t[0]) for idx, _ in parts]) if parts else np.empty(0)
    vals = np.concatenate([np.append(coef, -prep.config.demand[i].lower) for i, (_, coef) in zip(which, parts)]) if parts else np.empty(0)
    lab = demand.demand_labels(prep, which)
    if prob.periods is not None:
        lab["period"] = [prep.config.demand_period(prep.config.demand[i]) for i in which]
    prob.add_rows(FULFILMENT, FULFILMENT, lab, rows, cols, vals, 0.0, INF)


def _period_coefficients(prep: Prepared, prob: Problem, d) -> tuple[np.ndarray, np.ndarray]:
    """(columns, coefficients) of a demand row's allocated amount, in the state of the row's period."""
    idx, coef = prep.demand_coefficients(d)
    return prob.x_cols(idx, prep.config.demand_period(d)), coef


def add_held_shortfall(prep: Prepared, prob: Problem) -> None:
    """min_shortfall: the row Σ (w_g / D_g) · s_g ≤ v, unbounded (v = ∞) until stage 2 holds it."""
    weights = min_shortfall_cost(prep, prob)
    cols = np.flatnonzero(weights)
    prob.add_rows(HELD, HELD, labels(name=["weighted relative shortfall"]), np.zeros(len(cols)), cols, weights[cols], -INF, INF)


def apply_objective(prep: Prepared, prob: Problem, sense: str) -> None:
    if sense == "max_value":
        prob.set_objective(max_value_cost(prep, prob), "max")
    elif sense == "min_cost":
        prob.set_objective(min_cost_cost(prep, prob), "min")
    elif sense == "min_shortfall":
        if not any(b.family == HELD for b in prob.blocks):
            add_held_shortfall(prep, prob)
        prob.set_objective(min_shortfall_cost(prep, prob), "min")
    elif sense == "max_min_fulfilment":
        if not prob.has(FULFILMENT):
            add_fulfilment(prep, prob)
        cost = np.zeros(prob.n_cols)
        cost[prob.group(FULFILMENT).slice] = 1.0
        prob.set_objective(cost, "max")
    else:
        raise ValueError(f"unknown objective sense {sense!r}")


def floor_fulfilment(prep: Prepared, prob: Problem, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(allocated, floor) per demand floor in the allocation ``values``, integer decisions rounded."""
    x = values.copy()
    integer = prob.integrality()
    x[integer] = np.round(x[integer])
    rows = [prep.config.demand[i] for i in demand.floors(prep)]
    allocated = np.array([coef @ x[cols] for cols, coef in (_period_coefficients(prep, prob, d) for d in rows)])
    return allocated, np.array([d.lower for d in rows])


def _shortfalls(prep: Prepared, prob: Problem, values: np.ndarray, allocated: np.ndarray) -> np.ndarray:
    """Per floor (``demand.floors`` order) its shortfall in ``values``: max(0, D − allocated), and with
    ``compensation.additional`` what the no-net-loss row adds (:func:`.compensation.least_shortfalls`)."""
    cfg = prep.config
    which = demand.floors(prep)
    floor = np.array([cfg.demand[i].lower for i in which])
    if not compensation.additional_floors(cfg):
        return np.maximum(0.0, floor - allocated)
    full = np.zeros(len(cfg.demand))
    full[which] = allocated
    x = values.copy()
    integer = prob.integrality()
    x[integer] = np.round(x[integer])
    short = np.zeros(len(cfg.demand))
    for year in (cfg.periods or [None]):
        converted, new_work = compensation.region_hectares(prep, x[prob.x_cols(np.arange(len(prep.pairs)), year)])
        found = compensation.least_shortfalls(cfg, full, converted, new_work, cfg.objective.sense, year)
        mine = [i for i in which if year is None or cfg.demand_period(cfg.demand[i]) == year]
        short[mine] = found[mine]
    return short[which]


def second_stage(prep: Prepared, prob: Problem, values: np.ndarray) -> str:
    """Hold the stage-1 value of ``values`` and set the stage-2 objective; returns what is held, for the log."""
    sense = prep.config.objective.sense
    allocated, floor = floor_fulfilment(prep, prob, values)
    if sense == "max_min_fulfilment":
        t = float(min(1.0, (allocated / floor).min())) if len(floor) else 1.0
        prob.set_bounds(FULFILMENT, lower=max(0.0, t - HOLD_TOLERANCE * t))
        prob.set_objective(max_value_cost(prep, prob), "max")
        return f"smallest fulfilment ratio t = {t:.6f}"
    if sense == "min_shortfall":
        weights = np.array([d.weight for d in (prep.config.demand[i] for i in demand.floors(prep))])
        v = float((weights * _shortfalls(prep, prob, values, allocated) / floor).sum()) if len(floor) else 0.0
        for block in prob.blocks:
            if block.family == HELD:
                block.upper[:] = v + HOLD_TOLERANCE * max(1.0, v)
        prob.set_objective(min_cost_cost(prep, prob), "min")
        return f"weighted relative shortfall {v:.6f}"
    raise ValueError(f"objective {sense!r} has one stage")


def first_stage(prep: Prepared, prob: Problem) -> None:
    """Undo :func:`second_stage`: the stage-1 objective with nothing held (for shadow prices in stage-1 terms)."""
    for block in prob.blocks:
        if block.family == HELD:
            block.upper[:] = INF
    if prob.has(FULFILMENT):
        prob.set_bounds(FULFILMENT, lower=0.0)
    apply_objective(prep, prob, prep.config.objective.sense)
