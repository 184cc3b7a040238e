"""The one place where a solver's answer becomes a reported objective, bound, gap and status.

A solver's claim is checked against the allocation it returns, never taken on its word:

1. the integer columns are snapped to the nearest integer (as the extracted allocation reads
   them) when they are within ``INTEGRALITY`` of it; a column further off makes the answer
   *not an allocation*;
2. the allocation is checked against every column bound and every row (primal feasibility,
   within ``FEASIBILITY`` relative to the bound's size, plus what snapping moved the row);
3. the objective reported is recomputed as ``c·x + offset`` from the allocation as it is read: the
   snapped values, clipped into their bounds, continuous values below ``SHARE_TOLERANCE`` at 0 (as
   extraction reads a divisible share), and every slack column (a floor's shortfall, a balance
   slack) at the least value its rows need (:func:`least_slack`): a solver stopped within its gap,
   or a near-optimal plan held only by its budget row, may return a shortfall larger than its
   allocation leaves, which the results (recomputed from the allocation) never report;
4. the solver's own objective must agree with ``c·x + offset`` of the values as it returned them (integers
   snapped) within ``AGREEMENT`` (relative). When it
   does not, the solver's claim is not trusted: :func:`checked` marks the answer untrusted
   (``answer["trusted"] = False``); the caller may re-solve (:func:`solve_checked`), and if
   the answer still disagrees, it is reported with the recomputed objective, status
   ``time_limit`` (an allocation without a proof), and no bound and no gap (the solver's
   bound belongs to the value it claimed, not to this allocation);
5. ``optimal`` only when the solver proved optimality and its objective agrees; the gap is
   recomputed from the reported objective and bound (``|bound − objective| / |objective|``).

An allocation that breaks a row or a bound is never reported as a plan: the answer
becomes ``error`` with the worst violation named. Every path that reports an objective
(direct solves, LP-first, kept re-solves, sweeps, Pareto points, rule costs, the
negotiation table, alternatives) goes through :func:`checked`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ruimtepuzzel.solvers.base import ERROR, OPTIMAL, TIME_LIMIT

SHARE_TOLERANCE = 1e-6  # a continuous value below this is 0 (extraction's threshold for a divisible share)
INTEGRALITY = 1e-5  # an integer column further than this from an integer is not an allocation
FEASIBILITY = 1e-6  # a row or bound may be missed by this much times max(1, |bound|)
NOISE = 1e-12  # an objective and a bound this close (relative) differ only by floating-point rounding: gap 0
ABSOLUTE_GAP = 1e-6  # HiGHS's mip_abs_gap: a solve stops as optimal when objective and bound are this close
AGREEMENT = 1e-6  # the solver's objective may differ from c·x + offset by this much times max(1, |c|·|x|)
SLACK_GROUPS = ("shortfall", "balance_slack[")  # continuous columns that only relieve their rows


@dataclass
class Verdict:
    """What the check of an allocation found.

    ``values``: the allocation with its integer columns snapped; ``objective``: c·x + offset of it;
    ``violation``: the worst row or bound violation, in the row's units (0 when feasible); ``where``:
    the family (or ``column bounds``/``integrality``) of the worst violation; ``scale``: |c|·|x|, the size
    against which objectives are compared.
    """

    values: np.ndarray
    objective: float
    raw_objective: float  # c·x + offset of the values as the solver returned them (integers snapped): what it claims
    violation: float
    where: str
    scale: float

    @property
    def feasible(self) -> bool:
        return self.where == ""

    def agrees(self, claimed: Optional[float]) -> bool:
        return claimed is not None and np.isfinite(claimed) and abs(claimed - self.raw_objective) <= AGREEMENT * max(1.0, self.scale)


def gap_of(objective: float, bound: float) -> float:
    """Relative gap |bound − objective| / |objective|: 0 when they differ by at most HiGHS's absolute gap tolerance
    (``ABSOLUTE_GAP``) or by rounding noise (``NOISE``, relative); inf when the objective is 0 and they differ more."""
    if abs(objective - bound) <= max(ABSOLUTE_GAP, NOISE * abs(objective)):
        return 0.0
    return abs(bound - objective) / abs(objective) if objective else float("inf")


def as_read(values: np.ndarray, integer: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """The allocation as the results read it: integer columns rounded, values clipped into their bounds, continuous
    values below ``SHARE_TOLERANCE`` at 0 (extraction drops such shares). A new array."""
    x = np.asarray(values, float).copy()
    x[integer] = np.round(x[integer])
    x = np.clip(x, lb, ub)
    x[~integer & (np.abs(x) < SHARE_TOLERANCE) & (lb <= 0) & (ub >= 0)] = 0.0
    return x


def objective_of(prob, values: np.ndarray) -> float:
    """c·x + offset of the allocation ``values`` as it is read (:func:`as_read`, slacks at their least,
    :func:`least_slack`): the objective every path reports."""
    lb, ub = prob.bounds()
    x = least_slack(prob, as_read(values, np.asarray(prob.integrality(), bool), lb, ub), only_lower=True)
    return float(prob.objective() @ x + prob.offset)


def slack_columns(prob) -> np.ndarray:
    """The columns of the slack groups (a floor's shortfall, a balance row's slack)."""
    cols = [np.arange(g.start, g.start + g.size) for name, g in prob.groups.items()
            if not g.integer and (name == SLACK_GROUPS[0] or name.startswith(SLACK_GROUPS[1]))]
    return np.concatenate(cols) if cols else np.empty(0, np.int64)


def slack_loss(prob) -> np.ndarray:
    """What a unit of each column costs in the objective that decides between slacks (lower is cheaper): the
    problem's own cost in its sense, or a view's ``slack_loss`` (the instance's objective while a direction is
    optimised)."""
    own = getattr(prob, "slack_loss", None)
    if own is not None:
        return np.asarray(own, float)
    cost = np.asarray(prob.objective(), float)
    return cost if getattr(prob, "sense", "min") == "min" else -cost


def least_slack(prob, values: np.ndarray, skip: frozenset = frozenset(), only_lower: bool = False) -> np.ndarray:
    """``values`` (one per column of ``prob``) with every slack column at the least value its rows need, the other
    columns held. A new array.

    ``only_lower``: never raise a slack above its given value (a solver's slack within its feasibility tolerance
    below the exact need stays as it is, so the objective moves only where a slack was loose).

    A row relieved by one slack column (a floor, a balance row) needs ``(bound − rest) / coefficient`` of it; a row
    relieved by several (a compensation row with ``additional: true``, each of its floors' shortfalls) has its
    remaining need covered cheapest first (:func:`slack_loss` per unit of relief): the least-cost cover of one
    covering row. A slack column in two such rows, or in a row it relieves on both sides, is left as given.
    """
    x = np.asarray(values, float).copy()
    if not hasattr(prob, "groups"):
        return x
    slacks = slack_columns(prob)
    if not len(slacks):
        return x
    lb, ub = prob.bounds(skip)
    is_slack = np.zeros(prob.n_cols, bool)
    is_slack[slacks] = True
    need = lb.copy()
    shared: list[tuple] = []
    for block in prob.blocks:
        if block.family in skip or not block.size:
            continue
        entry = is_slack[block.cols]
        if not entry.any():
            continue
        rest = np.bincount(block.rows[~entry], weights=block.vals[~entry] * x[block.cols[~entry]], minlength=block.size)
        rows, cols, coef = block.rows[entry], block.cols[entry], block.vals[entry]
        count = np.bincount(rows, minlength=block.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            side = np.where(coef > 0, block.lower[rows], -block.upper[rows])  # Σ |a|·s ≥ side − (±rest)
            required = (side - np.where(coef > 0, rest[rows], -rest[rows])) / np.abs(coef)
        required = np.where(np.isfinite(required), required, -np.inf)
        alone = count[rows] == 1
        np.maximum.at(need, cols[alone], required[alone])
        if (~alone).any():
            shared.append((rows[~alone], cols[~alone], np.abs(coef[~alone]), np.where(coef > 0, 1, -1)[~alone],
                           (side - np.where(coef > 0, rest[rows], -rest[rows]))[~alone]))
    out = x.copy()
    out[slacks] = np.clip(need[slacks], lb[slacks], ub[slacks])
    if only_lower:
        out[slacks] = np.minimum(out[slacks], x[slacks])
    if shared:
        _cover(out, x, shared, slack_loss(prob), ub, only_lower)
    return out


def _cover(out: np.ndarray, given: np.ndarray, shared: list[tuple], loss: np.ndarray, ub: np.ndarray,
           only_lower: bool) -> None:
    """Raise the slacks of the rows several slacks relieve (``shared``: rows, cols, |a|, sign, what the row needs of
    its slacks) until each row's need is met, cheapest relief first; columns of more than one such row keep ``given``,
    and so do a row's columns when ``only_lower`` and the cover is not cheaper than ``given``."""
    rows = np.concatenate([np.asarray(r, np.int64) + 10 ** 12 * i for i, (r, *_) in enumerate(shared)])
    cols, size, sign, want = (np.concatenate([s[k] for s in shared]) for k in range(1, 5))
    in_rows = np.bincount(np.unique(np.stack([cols, rows]), axis=1)[0], minlength=len(out))
    on_sides = np.bincount(np.unique(np.stack([cols, sign]), axis=1)[0], minlength=len(out))
    tangled = (in_rows > 1) | (on_sides > 1)
    for row in np.unique(rows):  # one covering row per region of the compensation level: few, each a short greedy
        at = np.flatnonzero(rows == row)
        if tangled[cols[at]].any():
            out[cols[at]] = given[cols[at]]
            continue
        short = want[at[0]] - float(size[at] @ out[cols[at]])
        for i in at[np.argsort(loss[cols[at]] / size[at], kind="stable")]:
            if short <= 0:
                break
            c = cols[i]
            add = min(short / size[i], ub[c] - out[c])
            out[c] += add
            short -= add * size[i]
        c = cols[at]
        if only_lower and loss[c] @ out[c] >= loss[c] @ given[c] - 1e-9 * max(1.0, float(np.abs(loss[c]) @ np.abs(given[c]))):
            out[c] = given[c]


def verdict(prob, values: np.ndarray, skip: frozenset = frozenset()) -> Verdict:
    """Check ``values`` (one per column of ``prob``) against the problem without the rows of ``skip``.

    ``prob`` is a :class:`~ruimtepuzzel.model.problem.Problem`; the objective is the one it holds now.
    """
    x = np.asarray(values, float).copy()
    integer = np.asarray(prob.integrality(), bool)
    off = np.abs(x[integer] - np.round(x[integer]))
    x[integer] = np.round(x[integer])
    raw_objective = float(prob.objective() @ x + prob.offset)
    worst, where = 0.0, ""
    if len(off) and off.max() > INTEGRALITY:
        worst, where = float(off.max()), "integrality"
    lb, ub = prob.bounds(skip)
    col_miss = np.maximum(lb - x, x - ub) / np.maximum(1.0, np.abs(np.where(x < lb, lb, ub)))
    if len(col_miss) and np.nanmax(col_miss) > FEASIBILITY and not where:
        worst, where = float(np.nanmax(col_miss)), "column bounds"
    # the allocation as it is read: values within tolerance of a bound on it, and continuous values below
    # SHARE_TOLERANCE at 0 (extraction drops such shares), so the objective is the extracted allocation's value
    x = least_slack(prob, as_read(x, integer, lb, ub), skip, only_lower=True)
    shift = np.abs(x - np.asarray(values, float))  # what snapping moved: a row may move by Σ|a|·shift
    cost = prob.objective()
    objective = float(cost @ x + prob.offset)
    scale = float(np.abs(cost) @ np.abs(x) + abs(prob.offset))
    if not where:
        for block in prob.blocks:  # block by block: no copy of the whole matrix
            if block.family in skip or not block.size:
                continue
            terms = block.vals * x[block.cols]
            activity = np.bincount(block.rows, weights=terms, minlength=block.size)
            moved = np.bincount(block.rows, weights=np.abs(block.vals) * shift[block.cols] + 1e-9 * np.abs(terms),
                                minlength=block.size)
            with np.errstate(invalid="ignore"):
                miss = np.fmax((block.lower - activity - moved) / np.maximum(1.0, np.abs(block.lower)),
                               (activity - block.upper - moved) / np.maximum(1.0, np.abs(block.upper)))
            miss = np.nan_to_num(miss, nan=0.0, neginf=0.0)
            if miss.max() > max(FEASIBILITY, worst):
                worst, where = float(miss.max()), f"row {block.name!r}"
    return Verdict(x, objective, raw_objective, worst, where, scale)


def checked(prob, answer: dict, skip: frozenset = frozenset()) -> dict:
    """The answer as it may be reported: objective c·x + offset, status, bound and gap checked (see the module).

    ``answer``: the dict a HiGHS adapter returns (``status``, ``values``, ``objective``, ``bound``, ``gap``,
    ``message``, ``times``; optionally ``incumbent``, the last improving solution HiGHS reported, taken instead of
    ``values`` when only it has the claimed objective). Returns a new dict with the same keys (without ``incumbent``),
    ``values`` snapped, and ``trusted`` (False: the solver's objective disagreed with its allocation; a caller may
    re-solve).
    """
    out = dict(answer)
    out["trusted"] = True
    incumbent = out.pop("incumbent", None)
    values = answer.get("values")
    if values is None:
        return out
    v = verdict(prob, values, skip)
    claimed = answer.get("objective")
    if incumbent is not None and len(incumbent) == len(values) and not (v.feasible and v.agrees(claimed)):
        last = verdict(prob, incumbent, skip)  # HiGHS's final solution can be the start, its objective the incumbent's
        if last.feasible and last.agrees(claimed):
            v = last
    if not v.feasible:
        out.update(status=ERROR, values=None, objective=None, gap=None, trusted=False,
                   message=f"the solver's allocation breaks {v.where} by {v.violation:.3g} (relative); "
                           f"not reported ({answer.get('message', '')})")
        return out
    out["values"], out["objective"] = v.values, v.objective
    bound = answer.get("bound")
    if not v.agrees(claimed):
        out["trusted"] = False
        out["status"] = TIME_LIMIT if answer.get("status") in (OPTIMAL, TIME_LIMIT) else answer.get("status")
        out["bound"], out["gap"] = None, None
        out["message"] = (f"the solver claimed objective {claimed!r} for an allocation worth {v.objective:.10g} "
                          f"(c·x + offset); its claim and bound are not used ({answer.get('message', '')})")
        return out
    if bound is not None and np.isfinite(bound):
        out["gap"] = gap_of(v.objective, float(bound))
    else:
        out["bound"], out["gap"] = None, None
    return out


def solve_checked(prob, first: Callable[[], dict], again: Optional[Callable[[], dict]] = None,
                  skip: frozenset = frozenset(), log: Callable[[str], None] = lambda m: None) -> dict:
    """``first()``, checked; when its objective is not trusted and ``again`` is given, ``again()`` (a fresh solve
    without a start, or with presolve off), checked, in its place. Times of both runs are added."""
    answer = checked(prob, first(), skip)
    if answer["trusted"] or again is None or answer.get("values") is None and answer["status"] != ERROR:
        return answer
    log(f"not trusted: {answer['message']}; solving again")
    second = checked(prob, again(), skip)
    times = {k: answer.get("times", {}).get(k, 0.0) + second.get("times", {}).get(k, 0.0)
             for k in set(answer.get("times", {})) | set(second.get("times", {}))}
    second["times"] = times
    if second["trusted"] or second.get("values") is not None or answer.get("values") is None:
        return second
    return {**answer, "times": times}


def checked_result(prob, result, skip: frozenset = frozenset()):
    """:func:`checked` for a :class:`~ruimtepuzzel.solvers.base.SolveResult` (changed in place and returned)."""
    fields = ("status", "values", "objective", "bound", "gap", "message")
    answer = checked(prob, {k: getattr(result, k) for k in fields}, skip)
    for k in fields:
        setattr(result, k, answer[k])
    return result
