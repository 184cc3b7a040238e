"""MIP starts: always a full column vector, repaired for the problem it starts, or none.

HiGHS 1.16 with presolve on, given a *partial* MIP start (only the integer columns), can
report a wrong objective and a wrong "optimal" (measured on the built-in Zuid-Holland
instance with a grid cap lowered: −49,727.84 claimed for an allocation worth −49,927.84).
Given a *full* start (every column's value) the answer is right. So a start is never
partial here:

- :func:`repaired` turns an allocation of a related problem (the base of a sweep, an
  earlier stage, an earlier plan: the same columns) into a start for ``prob``: every
  column clipped into its bounds in ``prob`` (a hard change that cuts a value — a pair
  now fixed to 0, a bound lowered — takes the nearest allowed value), and every slack
  column (a floor's shortfall, a balance slack) set to the least value its rows need
  (a raised floor raises its shortfall; a lowered one lowers it). The result is checked
  against every row and bound of ``prob`` (:func:`ruimtepuzzel.solvers.answer.verdict`):
  if it breaks one (a cap lowered below what the start uses, a hard balance), no start
  is given at all — a start that is not feasible would be a partial start in disguise;
- :func:`offer` hands the vector to HiGHS as a whole ``HighsSolution`` (``col_value`` of
  every column).

HiGHS keeps no MIP state between runs except the solution: a kept model gets its start
set explicitly before every run (:meth:`ruimtepuzzel.solvers.kept.KeptHighs.solve`).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ruimtepuzzel.solvers.answer import verdict

SLACK_GROUPS = ("shortfall", "balance_slack[")  # continuous columns that only relieve their rows


def slack_columns(prob) -> np.ndarray:
    """The columns of the slack groups (a floor's shortfall, a balance row's slack)."""
    cols = [np.arange(g.start, g.start + g.size) for name, g in prob.groups.items()
            if not g.integer and (name == SLACK_GROUPS[0] or name.startswith(SLACK_GROUPS[1]))]
    return np.concatenate(cols) if cols else np.empty(0, np.int64)


def repaired(prob, values: Optional[np.ndarray]) -> tuple[Optional[np.ndarray], str]:
    """(a full start for ``prob`` or None, a note saying what was repaired or why there is none).

    ``values``: one value per column of ``prob`` (an allocation of a problem with the same columns).
    """
    if values is None:
        return None, "no start"
    values = np.asarray(values, float)
    if len(values) != prob.n_cols:
        return None, f"no start: {len(values)} values for {prob.n_cols} columns"
    lb, ub = prob.bounds()
    x = values.copy()
    integer = np.asarray(prob.integrality(), bool)
    x[integer] = np.round(x[integer])
    clipped = int(np.count_nonzero((x < lb) | (x > ub)))
    x = np.clip(x, lb, ub)
    slacks = slack_columns(prob)
    if len(slacks):
        x[slacks] = _least_slack(prob, x, slacks, lb, ub)
    v = verdict(prob, x)
    cut = f"{clipped:,} values clipped into new bounds, " if clipped else ""
    if not v.feasible:
        return None, f"no start: the repaired start ({cut}slacks recomputed) breaks {v.where}"
    return v.values, f"full start ({cut}slacks recomputed)"


def _least_slack(prob, x: np.ndarray, slacks: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Per slack column, the least value within its bounds that its rows need, the other columns held."""
    is_slack = np.zeros(prob.n_cols, bool)
    is_slack[slacks] = True
    need = lb[slacks].copy()
    where = np.full(prob.n_cols, -1, np.int64)
    where[slacks] = np.arange(len(slacks))
    for block in prob.blocks:
        entry = is_slack[block.cols]
        if not entry.any():
            continue
        held = np.bincount(block.rows[~entry], weights=block.vals[~entry] * x[block.cols[~entry]], minlength=block.size)
        rows, cols, coef = block.rows[entry], block.cols[entry], block.vals[entry]
        with np.errstate(invalid="ignore", divide="ignore"):
            bound = np.where(coef > 0, block.lower[rows], block.upper[rows])  # the side the slack relieves
            required = (bound - held[rows]) / coef
        required = np.where(np.isfinite(required), required, -np.inf)
        np.maximum.at(need, where[cols], required)
    return np.clip(need, lb[slacks], ub[slacks])


def offer(h, values: np.ndarray) -> None:
    """Give the Highs ``h`` the full start ``values`` (every column) for its next run."""
    import highspy

    solution = highspy.HighsSolution()
    solution.col_value = np.ascontiguousarray(values, float).tolist()
    solution.value_valid = True
    h.setSolution(solution)
