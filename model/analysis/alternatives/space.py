"""The near-optimal space, kept loaded: one HiGHS model for every plan, range and replacement cost.

:class:`NearOptimal` holds the instance's problem with the budget row (:mod:`.budget`)
appended, loaded once into HiGHS (:class:`solvers.kept.KeptHighs`). Every solve changes
only the objective, the budget row's bounds and, for replacement costs, the upper bounds
of some allocation columns; each is given a full start (every column's value) from the
nearest allocation already found. Plan 0 is the optimum (both stages for a two-stage
sense); after it, the first stage of a two-stage sense stays held for every solve.

HiGHS runs in this process: build a :class:`NearOptimal` only in a process that forks no
HiGHS worker afterwards (an alternatives worker, a table's solver thread).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ruimtepuzzel.model.analysis.alternatives import budget
from ruimtepuzzel.model.formulation import objectives
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem
from ruimtepuzzel.solvers.base import INFEASIBLE, OPTIMAL, TIME_LIMIT, SolveOptions
from ruimtepuzzel.solvers import lp_first
from ruimtepuzzel.solvers.answer import solve_checked
from ruimtepuzzel.solvers.highs import _run, highs_options
from ruimtepuzzel.solvers.kept import Delta, KeptHighs


@dataclass
class Answer:
    """One solve: ``status``; ``values`` (every column) when an allocation was found; ``objective`` = the held
    objective of that allocation (c·x + offset); ``aux`` = the value of the auxiliary objective solved (or None);
    ``gap`` as the solver reports it for the objective it solved; ``solve_s``."""

    status: str
    values: Optional[np.ndarray] = None
    objective: Optional[float] = None
    aux: Optional[float] = None
    gap: Optional[float] = None
    solve_s: float = 0.0
    message: str = ""

    @property
    def found(self) -> bool:
        return self.values is not None and self.status in (OPTIMAL, TIME_LIMIT)


def view_of(problem: Problem, lower, upper, row_lower, row_upper, cost, slack_loss) -> Problem:
    """The problem as the kept model holds it for one solve (bounds, row bounds and objective of base + delta), as a
    problem of its own (the matrix shared): for the answer check (:func:`solvers.answer.checked`: every row, the budget
    row included, and c·x + offset) and for LP-first. ``slack_loss``: slacks are read at their least in the instance's
    objective, not the direction's (:func:`solvers.answer.slack_loss`)."""
    blocks = [dataclasses.replace(b, lower=row_lower[b.start:b.start + b.size], upper=row_upper[b.start:b.start + b.size])
              for b in problem.blocks]
    view = dataclasses.replace(problem, blocks=blocks, cost=np.asarray(cost, float), _lb=[np.asarray(lower, float)],
                               _ub=[np.asarray(upper, float)], _int=[problem.integrality()], fixings=[])
    view.slack_loss = slack_loss
    return view


def solve_on(kept: KeptHighs, problem: Problem, d: Delta, opts: SolveOptions, start: Optional[np.ndarray], view: Problem) -> dict:
    """Solve base + d on the kept model with a full start (every column, never only the integer columns), checked.

    ``view`` is base + d as a problem (:func:`view_of`). When it wants LP-first (:func:`solvers.lp_first.wanted`:
    divisible claims with minimum sites, 50,000 integer columns or more) it is solved by LP-first from the same start,
    as the instance's own solve is: HiGHS's branch and bound on the kept model can stand at a 99 % gap for minutes
    there. The kept model is left at base + d either way.

    The answer goes through :func:`solvers.answer.solve_checked` against ``view`` (base + d): the objective is c·x +
    offset of the allocation returned, which must satisfy every row (the budget row included); when HiGHS's objective
    disagrees with its allocation (on a re-solve of a loaded model its final solution can be the start) the last
    improving solution is taken, else the model is solved once more without the start. HiGHS's time limit counts
    from the model's creation, so each solve gets its limit on top of the time already run.
    """
    def run(with_start: bool) -> dict:
        transfer = kept.apply(d)
        for key, value in highs_options(opts).items():
            kept.h.setOptionValue(key, value)
        kept.h.setOptionValue("time_limit", kept.h.getRunTime() + float(opts.time_limit_s))
        kept.h.clearSolver()
        if with_start and start is not None:
            full = np.asarray(start, float).copy()
            integer = problem.integrality()
            full[integer] = np.round(full[integer])
            kept.h.setSolution(len(full), np.arange(len(full), dtype=np.int32), full)
        answer = _run(kept.h, problem, opts)
        answer["times"]["transfer"] = transfer
        return answer

    if lp_first.wanted(view, opts):
        return kept.solve_lp_first(view, d, opts, start)
    return solve_checked(view, lambda: run(True), (lambda: run(False)) if start is not None else None)


class NearOptimal:
    """The problem with its budget row, loaded once; :meth:`optimum` first, then any near-optimal solve.

    Args:
        prep: the prepared instance.
        problem: its formulated problem (``formulate(prep)``); the budget row is appended to it.
        opts: solver options (gap and time limit per solve).
    """

    def __init__(self, prep: Prepared, problem: Problem, opts: SolveOptions):
        self.prep, self.problem, self.opts = prep, problem, dataclasses.replace(opts, log_path=None)
        self.objective = budget.held_objective(prep, problem)
        self.budget_row = budget.add_budget_row(problem, self.objective)
        self.integer = problem.integrality()
        self.kept = KeptHighs(problem, self.opts)
        self.cost = self.kept.cost.copy()  # the model's own objective (stage 1 of a two-stage sense)
        self.lower, self.upper = self.kept.col_lower, self.kept.col_upper  # the state every solve starts from
        self.row_lower, self.row_upper = self.kept.row_lower, self.kept.row_upper
        self.z_star: Optional[float] = None
        self.plan0: Optional[np.ndarray] = None
        self.slack: Optional[float] = None

    # ------------------------------------------------------------------ the optimum

    def optimum(self, start: Optional[np.ndarray] = None) -> Answer:
        """Plan 0: the instance's optimum (both stages for a two-stage sense); sets z* and holds the first stage."""
        first = self._solve(self.cost, budget_on=False, start=start)
        if not first.found:
            return first
        sense = self.prep.config.objective.sense
        answer = first
        if sense in objectives.TWO_STAGE:
            objectives.second_stage(self.prep, self.problem, first.values)  # holds stage 1 in the problem's arrays
            self.lower, self.upper = self.problem.bounds()
            self.row_lower, self.row_upper = self.problem.row_bounds()
            self.row_lower[self.budget_row], self.row_upper[self.budget_row] = -INF, INF
            second = self._solve(self._in_sense(self.objective.cost, self.objective.sense), budget_on=False, start=first.values)
            answer = second if second.found else first
            if not second.found:
                answer.message = f"stage 2 found no allocation ({second.message}); stage 1's stands"
        self.set_optimum(answer.values)
        answer.objective = self.z_star
        return answer

    def set_optimum(self, values: np.ndarray) -> None:
        """Take ``values`` (a stored plan 0) as the optimum: z* is its held objective; a two-stage sense holds its stage 1."""
        if self.plan0 is None and self.prep.config.objective.sense in objectives.TWO_STAGE and self.lower is self.kept.col_lower:
            objectives.second_stage(self.prep, self.problem, values)
            self.lower, self.upper = self.problem.bounds()
            self.row_lower, self.row_upper = self.problem.row_bounds()
            self.row_lower[self.budget_row], self.row_upper[self.budget_row] = -INF, INF
        self.plan0 = np.asarray(values, float)
        self.z_star = self.objective.of(self.plan0, self.integer)

    def reload(self) -> float:
        """Pass the whole model to a new HiGHS instance (what every solve costs without a kept model); returns seconds."""
        import time

        t = time.perf_counter()
        self.kept = KeptHighs(self.problem, self.opts)
        return time.perf_counter() - t

    # ------------------------------------------------------------------ near-optimal solves

    def near(self, aux: np.ndarray, sense: str, slack: float, start: Optional[np.ndarray] = None) -> Answer:
        """Optimise ``aux·x`` (``sense`` 'max' or 'min') over the allocations within ``slack`` of the optimum."""
        self._need_optimum()
        self.slack = slack
        answer = self._solve(self._in_sense(aux, sense), budget_on=True, slack=slack, start=start)
        if answer.found:
            answer.aux = budget.objective_of(aux, 0.0, answer.values, self.integer)
        return answer

    def without(self, cols: np.ndarray, start: Optional[np.ndarray] = None) -> Answer:
        """The optimum of the held objective with the columns ``cols`` at 0 (no budget row); infeasible when one is fixed at 1."""
        self._need_optimum()
        cols = np.asarray(cols, np.int64)
        if len(cols) and np.any(self.lower[cols] > 0):
            return Answer(INFEASIBLE, message="a locked pair of the group cannot be left out")
        return self._solve(self._in_sense(self.objective.cost, self.objective.sense), budget_on=False, zero=cols, start=start,
                           complete=True)

    # ------------------------------------------------------------------ one solve

    def _need_optimum(self) -> None:
        if self.z_star is None:
            raise RuntimeError("solve the optimum (plan 0) first")

    def _in_sense(self, vector: np.ndarray, sense: str) -> np.ndarray:
        """The coefficients that optimise ``vector`` in ``sense`` under the loaded model's own sense."""
        return np.asarray(vector, float) if sense == self.problem.sense else -np.asarray(vector, float)

    def _complete(self, d: Delta, start: np.ndarray) -> Optional[np.ndarray]:
        """A full start from the integer columns of ``start``: the other columns from an LP of base + d with every
        integer column fixed at its rounded value (None when that LP has no solution). The model is left as base + d."""
        import highspy

        k = self.kept
        k.apply(d)
        idx = np.flatnonzero(self.integer).astype(np.int32)
        lower, upper = k.col_lower.copy(), k.col_upper.copy()
        lower[d.cols], upper[d.cols] = d.col_lower, d.col_upper
        fixed = np.clip(np.round(np.asarray(start, float)[idx]), lower[idx], upper[idx])
        k.h.changeColsBounds(len(idx), idx, fixed, fixed)
        k.h.changeColsIntegrality(len(idx), idx, np.zeros(len(idx), np.uint8))
        k.h.setOptionValue("time_limit", k.h.getRunTime() + float(self.opts.time_limit_s))
        k.h.clearSolver()
        try:
            k.h.run()
            if k.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
            return np.asarray(k.h.getSolution().col_value, float)
        finally:
            k.h.changeColsIntegrality(len(idx), idx, np.ones(len(idx), np.uint8))
            k.h.changeColsBounds(len(idx), idx, lower[idx], upper[idx])

    def _solve(self, cost: np.ndarray, budget_on: bool, slack: float = 0.0, zero: Optional[np.ndarray] = None,
               start: Optional[np.ndarray] = None, complete: bool = False) -> Answer:
        lower, upper = self.lower, self.upper
        if zero is not None and len(zero):
            upper = upper.copy()
            upper[zero] = 0.0
        row_lower, row_upper = self.row_lower, self.row_upper
        if budget_on:
            row_lower, row_upper = row_lower.copy(), row_upper.copy()
            row_lower[self.budget_row], row_upper[self.budget_row] = budget.bounds(self.objective, self.z_star, slack)
        k = self.kept
        cols = np.flatnonzero((k.col_lower != lower) | (k.col_upper != upper))
        rows = np.flatnonzero((k.row_lower != row_lower) | (k.row_upper != row_upper))
        cost_cols = np.flatnonzero(k.cost != cost)
        d = Delta(cols, lower[cols], upper[cols], rows, row_lower[rows], row_upper[rows], cost_cols, cost[cost_cols])
        if complete and start is not None:  # a start changed by hand (a group taken out): its other columns made to fit
            start = self._complete(d, start)
        loss = self.objective.cost if self.objective.sense == "min" else -self.objective.cost
        view = view_of(self.problem, lower, upper, row_lower, row_upper, cost, loss)
        raw = solve_on(k, self.problem, d, self.opts, start, view)
        answer = Answer(raw["status"], raw["values"], gap=raw["gap"], solve_s=raw["times"].get("solve", 0.0), message=raw["message"])
        if answer.found:
            answer.objective = self.objective.of(answer.values, self.integer)
        return answer
