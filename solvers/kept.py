"""A HiGHS model kept loaded between solves: change bounds and costs, re-solve.

Sweeps solve many scenarios that differ from a base only in right-hand sides, bounds
and objective coefficients (a demand floor, a grid cap, a penalty). Instead of
building and passing the matrix again, :class:`KeptHighs` holds the base model and
applies a :class:`Delta` from the base before each solve. Every solve starts from
the base model plus its own delta, with the solver's state cleared and the base
solution offered as a start, so a scenario's answer does not depend on which
scenarios the same worker solved before it.

A problem whose own solve is LP-first (:func:`solvers.lp_first.wanted`: 50,000 integer
columns or more, divisible claims with minimum sites, ``strategy: lp_first``) is re-solved
by LP-first too, as a cold solve would be: HiGHS's branch and bound alone, start or not,
can stand at a 99 % gap for minutes on such a model (measured: ``nl-provinces`` with 5 ha
minimum sites of its divisible logistics, 22,593 binaries, 99.7 % after 635 s, against
1.4 s LP-first). The kept model then still holds base + delta for what follows (the
fixed-integer shadow prices). The start is LP-first's too: its first sub-MIP frees where
the start and the relaxation disagree.

HiGHS runs in this process: use it only in worker processes that never fork a
HiGHS solve afterwards (see :mod:`solvers.base`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from ruimtepuzzel.model.problem import Problem

from ruimtepuzzel.solvers import lp_first, starts
from ruimtepuzzel.solvers.answer import solve_checked
from ruimtepuzzel.solvers.base import SolveOptions
from ruimtepuzzel.solvers.highs import _new_highs, _run, highs_options, pass_model, solve_here


@dataclass
class Delta:
    """Where a problem differs from the base: column bounds, row bounds, costs (indices and new values)."""

    cols: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    rows: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    cost_cols: np.ndarray
    cost: np.ndarray

    @property
    def size(self) -> int:
        return len(self.cols) + len(self.rows) + len(self.cost_cols)


def same_structure(a: Problem, b: Problem) -> bool:
    """True when a and b have the same columns, integrality, sense and matrix (bounds and costs may differ)."""
    if (a.n_cols, a.n_rows, a.sense, a.offset) != (b.n_cols, b.n_rows, b.sense, b.offset):
        return False
    if len(a.blocks) != len(b.blocks) or not np.array_equal(a.integrality(), b.integrality()):
        return False
    for x, y in zip(a.blocks, b.blocks):
        if x.family != y.family or x.size != y.size:
            return False
        if not (np.array_equal(x.rows, y.rows) and np.array_equal(x.cols, y.cols) and np.array_equal(x.vals, y.vals)):
            return False
    return True


def only_tightens(parent: Problem, child: Problem) -> bool:
    """True when the child's optimum can be no better than the parent's, so that a bound proven for the parent bounds
    the child: the same columns, rows, matrix, costs and offset, every row and column bound of ``child`` at least as
    tight as ``parent``'s (a ceiling or a cap lowered, a pair locked out), except that a floor's shortfall may grow with
    its raised floor. Such a shortfall column s (one non-zero, +1, in a ≥ row whose other coefficients and columns are
    non-negative, penalised in the objective, with the parent's upper bound at least its row's lower bound L) maps any
    child allocation to a parent one worth at least as much: s → max(0, L − the rest of the row) ≤ s."""
    if not same_structure(parent, child) or not np.array_equal(parent.objective(), child.objective()):
        return False
    (pl, pu), (cl, cu) = parent.bounds(), child.bounds()
    (rl, ru), (ml, mu) = parent.row_bounds(), child.row_bounds()
    if not (np.all(cl >= pl) and np.all(ml >= rl) and np.all(mu <= ru)):
        return False
    grown = np.flatnonzero(cu > pu)
    return len(grown) == 0 or _shortfalls_of_raised_floors(parent, grown, pl, pu, rl, ru)


def _shortfalls_of_raised_floors(parent: Problem, cols: np.ndarray, lb, ub, row_lo, row_hi) -> bool:
    """Whether every column of ``cols`` is a floor's shortfall as :func:`only_tightens` allows it to grow."""
    group = parent.groups.get("shortfall")
    if group is None or np.any((cols < group.start) | (cols >= group.start + group.size)):
        return False
    a = parent.matrix(fmt="csc")[0]
    sub = a[:, cols]
    if np.any(np.diff(sub.indptr) != 1) or np.any(sub.data <= 0) or np.any(lb[cols] != 0):
        return False
    rows = sub.indices
    penalised = parent.objective()[cols] <= 0 if parent.sense == "max" else parent.objective()[cols] >= 0
    if not (np.all(penalised) and np.all(np.isinf(row_hi[rows])) and np.all(ub[cols] >= row_lo[rows])):
        return False
    r = a.tocsr()[rows]
    return bool(r.data.min(initial=0.0) >= 0 and np.all(lb[r.indices] >= 0))


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ~((a == b) | (np.isnan(a) & np.isnan(b)))


def delta(base: Problem, new: Problem) -> Optional[Delta]:
    """The delta that turns ``base`` into ``new``; None when the structure differs (rebuild instead)."""
    if not same_structure(base, new):
        return None
    (bl, bu), (nl, nu) = base.bounds(), new.bounds()
    cols = np.flatnonzero(_changed(bl, nl) | _changed(bu, nu))
    (rl, ru), (ml, mu) = base.row_bounds(), new.row_bounds()
    rows = np.flatnonzero(_changed(rl, ml) | _changed(ru, mu))
    bc, nc = base.objective(), new.objective()
    cost_cols = np.flatnonzero(_changed(bc, nc))
    return Delta(cols, nl[cols], nu[cols], rows, ml[rows], mu[rows], cost_cols, nc[cost_cols])


class KeptHighs:
    """The base problem loaded once into HiGHS; :meth:`solve` applies a delta and re-solves."""

    def __init__(self, base: Problem, opts: SolveOptions):
        start = time.perf_counter()
        self.base = base
        self.h = _new_highs(replace(opts, log_path=None))
        pass_model(self.h, base)
        self.transfer_s = time.perf_counter() - start
        self.col_lower, self.col_upper = base.bounds()
        self.row_lower, self.row_upper = base.row_bounds()
        self.cost = base.objective().copy()
        self.integer = np.flatnonzero(base.integrality()).astype(np.int32)
        self._applied: Optional[Delta] = None

    def _restore(self) -> None:
        d = self._applied
        if d is None:
            return
        self._set_cols(d.cols, self.col_lower[d.cols], self.col_upper[d.cols])
        self._set_rows(d.rows, self.row_lower[d.rows], self.row_upper[d.rows])
        self._set_cost(d.cost_cols, self.cost[d.cost_cols])
        self._applied = None

    def _set_cols(self, idx, lower, upper) -> None:
        if len(idx):
            self.h.changeColsBounds(len(idx), np.asarray(idx, np.int32), np.asarray(lower, float), np.asarray(upper, float))

    def _set_rows(self, idx, lower, upper) -> None:
        if len(idx):
            self.h.changeRowsBounds(len(idx), np.asarray(idx, np.int32), np.asarray(lower, float), np.asarray(upper, float))

    def _set_cost(self, idx, cost) -> None:
        if len(idx):
            self.h.changeColsCost(len(idx), np.asarray(idx, np.int32), np.asarray(cost, float))

    def apply(self, d: Delta) -> float:
        """Make the loaded model base + d; returns the seconds it took."""
        start = time.perf_counter()
        self._restore()
        self._set_cols(d.cols, d.col_lower, d.col_upper)
        self._set_rows(d.rows, d.row_lower, d.row_upper)
        self._set_cost(d.cost_cols, d.cost)
        self._applied = d
        return time.perf_counter() - start

    def solve(self, new: Problem, d: Delta, opts: SolveOptions, start: Optional[np.ndarray] = None) -> dict:
        """Solve base + d (``new`` is that problem: same columns as the base); the answer checked (:mod:`.answer`).

        ``start``: one value per column (length ``n_cols``) of a problem with the base's columns — the base's
        solution, an earlier scenario's, an earlier plan's. It is repaired for ``new`` (values clipped into the
        new bounds, shortfall and balance slacks recomputed) and offered as a *full* MIP start when the repaired
        vector satisfies every row and bound of ``new``; otherwise no start is given (never a partial one: HiGHS
        1.16 can then report a wrong objective). ``None``: no start. The returned dict has the keys of
        :func:`ruimtepuzzel.solvers.highs.solve_here`, plus ``start`` (what was offered) and ``trusted``.
        When HiGHS's objective disagrees with its allocation, ``new`` is solved once more on a fresh model
        without a start; if that disagrees too, the recomputed objective is reported as ``time_limit`` with no
        bound. A problem that wants LP-first (:func:`solvers.lp_first.wanted`) is solved by it, from the same start (:func:`solvers.lp_first.solve`).
        """
        if lp_first.wanted(new, opts):
            return self.solve_lp_first(new, d, opts, start)
        transfer = self.apply(d)
        for key, value in highs_options(opts).items():
            self.h.setOptionValue(key, value)
        # HiGHS's time limit counts the model's whole run time: each solve gets its own on top
        self.h.setOptionValue("time_limit", self.h.getRunTime() + float(opts.time_limit_s))
        self.h.clearSolver()
        full, note = starts.repaired(new, start) if start is not None else (None, "no start")
        if full is not None:
            starts.offer(self.h, full)

        def kept_run() -> dict:
            return _run(self.h, new, opts)

        def fresh_run() -> dict:
            h = _new_highs(replace(opts, log_path=None))
            pass_model(h, new)
            return _run(h, new, opts)

        answer = solve_checked(new, kept_run, fresh_run)
        answer["times"]["transfer"] = transfer
        answer["start"] = note
        return answer

    def solve_lp_first(self, new: Problem, d: Delta, opts: SolveOptions, start: Optional[np.ndarray] = None) -> dict:
        """Solve base + d (``new``, a problem in its own right) by LP-first from ``start`` (repaired for ``new`` there,
        :func:`solvers.highs.solve_here`), checked against ``new``; the kept model is left at base + d."""
        transfer = self.apply(d)
        answer = solve_here(new, replace(opts, start=start))
        answer["times"]["transfer"] = transfer
        answer["start"] = f"LP-first: {answer['start']}"
        return answer

    def fixed_integer_duals(self, new: Problem, values: np.ndarray, time_limit_s: float) -> Optional[dict]:
        """Row duals of base + applied delta with every integer column fixed at its value; the model is left as it was."""
        import highspy

        idx = self.integer
        lower, upper = new.bounds()
        fixed = np.round(values[idx])
        self._set_cols(idx, fixed, fixed)
        self.h.changeColsIntegrality(len(idx), idx, np.zeros(len(idx), np.uint8))
        self.h.setOptionValue("time_limit", float(time_limit_s))
        self.h.clearSolver()
        try:
            self.h.run()
            if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
            solution = self.h.getSolution()
            return {"duals": np.asarray(solution.row_dual), "activity": np.asarray(solution.row_value)}
        finally:
            self.h.changeColsIntegrality(len(idx), idx, np.ones(len(idx), np.uint8))
            self._set_cols(idx, lower[idx], upper[idx])
