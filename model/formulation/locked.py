"""Locked plans.

    x[u,k] = 1      for every (u, k) in ``locked``

Locked-in plans are fixed variables (bounds), not rows. A locked pair that a
hard rule removed is reported as infeasible in preprocessing. Protected units
(column ``protected``) are a pair filter: only ``protected_claims`` remain.
"""
from __future__ import annotations

from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import Problem

FAMILY = "locked"


def apply(prep: Prepared, prob: Problem) -> None:
    prob.fix(FAMILY, prep.locked_pairs, 1.0)
