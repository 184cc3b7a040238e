"""What each hard rule costs: the optimum and the shortfall with the rule dropped.

Each hard (``exclude``) rule is dropped in turn and the instance re-solved with the same
options; so are the existing uses in the zoning (``env-zoning-existing``: the instance
solved as if every existing heavy category and sensitive use were gone, i.e. relocated
for free — what keeping them costs). Dropping a rule adds pairs, so the model is rebuilt
for each; the base allocation stays feasible without the rule, so it starts each re-solve
(:func:`mapped_start`: mapped onto the new problem's columns by (unit, claim) pair).

A solve stopped at its gap knows its optimum only within [objective, bound], so a rule's
cost is only known within an interval (:func:`cost_interval`): from both runs' objectives
and bounds, and from the sign a dropped rule allows (without a hard rule the optimum can
only be as good or better). ``change_low`` and ``change_high`` give that interval;
``within_gap`` is true when it holds 0 — the change cannot be told from no change, and a
change of the wrong sign (a "negative cost") is always within the gap.
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np
import pandas as pd

from ruimtepuzzel.model.inputs.config import deep_merge
from ruimtepuzzel.model.inputs.instance import Instance, load_instance
from ruimtepuzzel.model.prepare.pairs import ZONING_EXISTING

COLUMNS = ["rule", "layer", "status", "objective", "objective_change", "change_low", "change_high", "within_gap", "bound",
           "shortfall_ha", "shortfall_change_ha", "gap"]
MONOTONE = ("max_value", "min_cost", "min_shortfall")  # senses whose reported optimum cannot worsen when a rule is dropped
TOLERANCE = 1e-9  # relative: an interval end this close to 0 counts as 0


def total_shortfall_ha(summary: pd.DataFrame) -> float:
    floors = summary[summary["demand_min"].notna()]
    return float(floors["shortfall_ha"].fillna(0.0).sum())


def _number(value) -> Optional[float]:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def optimum_interval(sense: str, objective, bound) -> tuple[float, float]:
    """Where a run's true optimum lies: between its objective and its bound (a missing bound: unbounded that way)."""
    objective, bound = _number(objective), _number(bound)
    if objective is None:
        return -math.inf, math.inf
    if bound is None:
        return (objective, math.inf) if sense == "max" else (-math.inf, objective)
    return min(objective, bound), max(objective, bound)


def cost_interval(sense: str, objective_sense: str, base: tuple, variant: tuple) -> tuple[float, float, bool]:
    """(low, high, within_gap) of the change variant − base of the optimum; ``base``/``variant`` are (objective, bound).

    ``sense``: the problem's (``max``/``min``); ``objective_sense``: the instance's (``MONOTONE`` senses: a dropped rule
    cannot worsen the optimum, so the interval is clipped at 0 on that side)."""
    b_lo, b_hi = optimum_interval(sense, *base)
    v_lo, v_hi = optimum_interval(sense, *variant)
    low, high = v_lo - b_hi, v_hi - b_lo
    if objective_sense in MONOTONE:
        if sense == "max":
            low = max(low, 0.0)
        else:
            high = min(high, 0.0)
    scale = TOLERANCE * max(1.0, *(abs(v) for v in (*base, *variant) if _number(v) is not None))
    within = low <= scale and high >= -scale
    return low, high, bool(within)


def mapped_start(base_prep, base_problem, base_values: np.ndarray, prep, problem) -> Optional[np.ndarray]:
    """The base allocation on the columns of ``problem`` (the instance with a rule dropped), or None.

    Allocation columns are matched by (unit, claim) pair and period; a pair new in ``problem`` starts at 0. Every other
    group of columns is copied when both problems have it with the same labels, else starts at 0 (the start is
    repaired and checked before it is offered: :mod:`ruimtepuzzel.solvers.starts`)."""
    if base_values is None or not base_problem.has("x") or not problem.has("x"):
        return None
    if len(base_values) != base_problem.n_cols or base_problem.period_blocks("x") != problem.period_blocks("x"):
        return None
    start = np.zeros(problem.n_cols)
    copies = problem.period_blocks("x")
    bx, nx = base_problem.group("x"), problem.group("x")
    b_pairs = pd.MultiIndex.from_arrays([base_prep.pairs["unit"].to_numpy(), base_prep.pairs["claim"].to_numpy()])
    n_pairs = pd.MultiIndex.from_arrays([prep.pairs["unit"].to_numpy(), prep.pairs["claim"].to_numpy()])
    where = b_pairs.get_indexer(n_pairs)
    found = np.flatnonzero(where >= 0)
    bn, nn = bx.size // copies, nx.size // copies
    for t in range(copies):
        start[nx.start + t * nn + found] = base_values[bx.start + t * bn + where[found]]
    for name, group in problem.groups.items():
        if name == "x" or not base_problem.has(name):
            continue
        other = base_problem.group(name)
        if other.size == group.size and other.labels.equals(group.labels):
            start[group.slice] = base_values[other.slice]
    return start


class Prefixed:
    """A progress callable whose messages name the re-solve (``rule cost 3/9: without flood: …``); a live status line
    (``begin``) and the solver's progress (``solver``) are passed on when ``progress`` has them."""

    def __init__(self, progress: Callable[[str], None], said: str):
        self.progress, self.said = progress, said
        if hasattr(progress, "solver"):
            self.solver = progress.solver
        if hasattr(progress, "begin"):
            self.begin = lambda what: progress.begin(f"{said}: {what}")

    def __call__(self, message: str) -> None:
        self.progress(f"{self.said}: {message}")


def rule_costs(instance: Instance, base, solve_one: Callable, overrides: dict | None = None,
               progress: Callable[[str], None] = lambda m: None) -> pd.DataFrame:
    """The cost of each hard rule, one re-solve without it each.

    ``base``: the base :class:`~ruimtepuzzel.model.pipeline.Run`. ``solve_one(instance, start, progress)`` returns a Run
    of ``instance``; ``start(prep, problem)`` gives its problem's start (the base allocation mapped, or None), and
    ``progress`` takes that solve's messages. ``overrides`` are those the base run was loaded with."""
    base_short = total_shortfall_ha(base.summary)
    result = base.result
    values = getattr(result, "values", None)
    aggregated = getattr(base, "aggregation", None) is not None  # a class problem: its columns are not pairs
    sense, objective_sense = base.problem.sense, instance.config.objective.sense
    rows = []
    variants = [(rule.name, rule.layer, {"rules": [r.model_dump(exclude_none=True) for r in instance.config.rules if r.name != rule.name]})
                for rule in instance.config.rules if rule.effect == "exclude"]
    ez = instance.config.env_zoning
    if ez is not None and (ez.existing_category_attr or ez.sensitive_uses):
        variants.append((ZONING_EXISTING, "occupation", {"env_zoning": {"existing_category_attr": None, "sensitive_uses": []}}))

    def start(prep, problem):
        if values is None or aggregated:
            return None
        return mapped_start(base.prep, base.problem, values, prep, problem)

    for i, (name, layer, change) in enumerate(variants, 1):
        variant = load_instance(instance.folder, instance.scenario, deep_merge(overrides or {}, change))
        said = f"rule cost {i}/{len(variants)}: without {name}"
        progress(said)
        try:
            run = solve_one(variant, start, Prefixed(progress, said))
        except Exception as exc:  # an infeasible or failed variant is a finding, not a crash
            rows.append({"rule": name, "layer": layer, "status": f"failed: {str(exc).splitlines()[0]}"})
            continue
        short = total_shortfall_ha(run.summary)
        low, high, within = cost_interval(sense, objective_sense, (result.objective, result.bound),
                                          (run.result.objective, run.result.bound))
        rows.append({"rule": name, "layer": layer, "status": run.result.status, "objective": run.result.objective,
                     "bound": _number(run.result.bound), "objective_change": run.result.objective - result.objective,
                     "change_low": low, "change_high": high, "within_gap": within, "shortfall_ha": short,
                     "shortfall_change_ha": short - base_short, "gap": run.result.gap})
        progress(f"{said}: change {run.result.objective - result.objective:+,.6g}"
                 f"{' (within the gap: not told from 0)' if within else ''}")
    return pd.DataFrame(rows, columns=COLUMNS)
