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

from ruimtepuzzel.solvers.answer import least_slack, slack_columns, verdict

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
    if len(slack_columns(prob)):
        x = least_slack(prob, x)
    v = verdict(prob, x)
    cut = f"{clipped:,} values clipped into new bounds, " if clipped else ""
    if not v.feasible:
        return None, f"no start: the repaired start ({cut}slacks recomputed) breaks {v.where}"
    return v.values, f"full start ({cut}slacks recomputed)"


def offer(h, values: np.ndarray) -> None:
    """Give the Highs ``h`` the full start ``values`` (every column) for its next run."""
    import highspy

    solution = highspy.HighsSolution()
    solution.col_value = np.ascontiguousarray(values, float).tolist()
    solution.value_valid = True
    h.setSolution(solution)
