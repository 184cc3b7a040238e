"""A re-solve after a small change: a quick LP-first stage with a tie-break toward the parent's plan.

The negotiation table re-solves a proposal that moved a few bounds of its parent's problem. Measured
on ``nl-provinces`` (8,463 binaries, gap 1 %), HiGHS's branch and bound from the parent's repaired
start needs 4–7 s: the start falls short of the new floor (its penalty makes it 4× worse than the
optimum), and HiGHS's root heuristics find an allocation within the gap only after its cuts. The
first stage of the LP-first strategy (:mod:`solvers.lp_first`: the relaxation, then **one** sub-MIP
with the relaxation's integral columns fixed) solves the same change in 0.5–1 s with the gap proven
against the relaxation's bound. :func:`solve` runs only that stage (no widening, no full MIP): where
the relaxation is too weak to prove the gap (``zuid-holland``: 1.5 % at revision 0, above its 1 %),
it comes back ``time_limit`` with its best allocation, and the caller goes on with the kept model's
branch and bound from it (:mod:`web.engine`), as before this stage: a second or less lost there.
A MIP of one period uses it unless the instance asks for ``solver.strategy: direct`` (:func:`applies`).
An instance whose own solve is LP-first (50,000 integer columns or more, or ``strategy: lp_first``)
is re-solved by the whole of it (``whole``), as a cold solve would be: its branch and bound alone
can take minutes to find an allocation (``zuid-holland-100m``).

**Tie-break toward the parent.** Equal-valued allocations differ only in which cells hold which
claim; an LP vertex picks one of them arbitrarily, so a 300 ha change showed 1,700 ha "changed".
With a parent plan and a gap ``g > 0``, every pair column the parent allocated (share ≥ 0.5) gets a
bonus in the objective's direction, ``ε·used_ha`` per unit of the column, where
``ε·Σ used_ha = BONUS_SHARE·g·|z_parent|`` (the whole bonus is a tenth of the gap's room at the
parent's objective), and the solve runs at the gap ``(1 − BONUS_SHARE)·g``. Then:

- the bonus only adds value in the objective's direction, so the perturbed problem's bound is a
  bound of the instance's problem too (max: ``z(x) ≤ z(x) + bonus(x) ≤ bound`` for every x; min
  alike): the bound reported stays valid;
- the objective reported is the instance's ``c·x + offset`` of the allocation (recomputed by the
  caller, :func:`solvers.answer.objective_of`), never the perturbed one, and the gap is recomputed
  from it: at most ``(1 − BONUS_SHARE)·g + BONUS_SHARE·g·|z_parent|/|z|``, within ``g`` unless the
  objective fell to under half the parent's (then the caller's check fails and solves again without);
- where two allocations differ in value by more than the whole bonus, the better one still wins: at
  gap 0 there is no bonus (the optimum could move by it).
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Optional

import numpy as np

from ruimtepuzzel.solvers import lp_first
from ruimtepuzzel.solvers.answer import checked
from ruimtepuzzel.solvers.base import SolveOptions

BONUS_SHARE = 0.1  # of the gap's room at the parent's objective, spent on the tie-break toward the parent
KEPT_SHARE = 0.5  # a parent's pair column at or above this share is one it allocated


def bonus(prob, pair_area: np.ndarray, parent: Optional[np.ndarray], gap: float, parent_objective: Optional[float]
          ) -> Optional[np.ndarray]:
    """Per column the tie-break bonus (in the objective's units, ≥ 0: add it for max, subtract it for min), or None.

    ``pair_area``: used ha of each pair column (the first ``len(pair_area)`` columns are the pairs' ``x``);
    ``parent``: the parent's allocation (one value per column); ``gap``: the requested relative gap. None without a
    parent, at gap 0, with a zero or unknown parent objective, or when the parent allocated nothing.
    """
    if parent is None or gap <= 0 or not parent_objective or not np.isfinite(parent_objective):
        return None
    n = len(pair_area)
    kept = np.asarray(parent[:n], float) >= KEPT_SHARE
    total = float(pair_area[kept].sum())
    if total <= 0:
        return None
    out = np.zeros(prob.n_cols)
    out[:n][kept] = pair_area[kept] * (BONUS_SHARE * gap * abs(parent_objective) / total)
    return out


def perturbed(prob, extra: np.ndarray):
    """``prob`` with ``extra`` added to its objective in its own direction (a new Problem; matrix and bounds shared)."""
    sign = 1.0 if prob.sense == "max" else -1.0
    return dataclasses.replace(prob, cost=prob.objective() + sign * extra)


def solve(prob, opts: SolveOptions, new_highs: Callable, run: Callable, tie: Optional[np.ndarray] = None,
          publish=lambda values, objective, bound: None, log=lambda message: None, whole: bool = False,
          start: Optional[np.ndarray] = None) -> dict:
    """The first stage of LP-first on ``prob`` (``whole``: all of it, widenings and the full MIP included — for an
    instance whose own solve is LP-first, :func:`solvers.lp_first.wanted`), with the tie-break ``tie`` from
    :func:`bonus` or None; checked against the problem solved (:func:`solvers.answer.checked`); the caller recomputes
    the objective with the instance's own. ``start``: an allocation of ``prob`` (the parent's plan repaired) or None;
    LP-first starts from it (:func:`solvers.lp_first.solve`).

    ``new_highs(opts)`` and ``run(h, opts, columns, bound)`` as :func:`solvers.lp_first.solve` takes them; ``columns
    is`` the returned problem's object when a run solves the whole problem (the caller may watch its incumbents).
    """
    target = prob if tie is None else perturbed(prob, tie)
    stage = opts if tie is None else dataclasses.replace(opts, mip_rel_gap=(1.0 - BONUS_SHARE) * opts.mip_rel_gap)
    answer = checked(target, lp_first.solve(target, stage, new_highs, lambda h, o, cols, b=None: run(h, o, cols, b, target),
                                            log=log, publish=publish, widenings=lp_first.WIDENINGS if whole else 0,
                                            full=whole, start=start))
    answer["tie_break"] = tie is not None
    return answer


def applies(prob, opts: SolveOptions) -> bool:
    """The warm LP-first path: a MIP of one period, unless the instance asks for the direct strategy."""
    return getattr(opts, "strategy", "auto") != "direct" and bool(np.asarray(prob.integrality()).any()) and prob.periods is None
