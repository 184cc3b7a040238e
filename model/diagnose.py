"""Why is a plan impossible? A deletion filter over constraint families.

Starting from all hard families, each family is dropped in turn; if the rest is
still infeasible, the family is not needed to explain the conflict and stays
dropped. What remains is an irreducible set of families that cannot hold together
(each re-solve is a feasibility check with the objective switched off).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from solvers import SolveOptions, solve
from solvers.base import INFEASIBLE

from .problem import Problem

PLAIN = {
    "single_use": "a unit carries at most one (non-stacking) claim",
    "stacking": "stacking claims need a host claim on the same unit",
    "demand_ceiling": "demand ceilings (maximum allocation per region and claim)",
    "env_zoning": "environmental zoning distances between heavy and sensitive claims",
    "min_site": "minimum site sizes (contiguous sites of at least min_site_ha)",
    "balance": "woon-werk balance (work area keeps pace with housing)",
    "compensation": "no net loss of business-park area",
    "resources": "resource caps (grid, water, nitrogen)",
    "budget": "the acquisition budget",
    "locked": "locked plans (fixed allocations)",
    "fulfilment": "the fair-share fulfilment level",
}
MAX_KEYS = 8


def _feasibility_copy(prob: Problem) -> Problem:
    copy = dataclasses.replace(prob)
    copy.cost = np.zeros(prob.n_cols)
    return copy


def conflicting_families(prob: Problem, opts: SolveOptions, soft: frozenset) -> tuple[list[str], bool]:
    """Families that cannot hold together; the flag says whether every check was conclusive."""
    probe = _feasibility_copy(prob)
    check = dataclasses.replace(opts, time_limit_s=min(opts.time_limit_s, 60.0), log_path=None, solver="highs")
    hard = [f for f in prob.families() if f not in soft]
    dropped: set[str] = set(soft)
    conclusive = True
    for family in hard:
        result = solve(probe, check, skip=frozenset(dropped | {family}))
        if result.status == INFEASIBLE:
            dropped.add(family)
        elif not result.has_solution:
            conclusive = False
    return [f for f in hard if f not in dropped], conclusive


def explain(prob: Problem, families: list[str], conclusive: bool) -> str:
    lines = ["The hard constraints cannot all hold. These constraint families conflict:"]
    for family in families:
        lines.append(f"  - {family}: {PLAIN.get(family, family)}")
        rows = [b for b in prob.blocks if b.family == family]
        keys = [", ".join(f"{c}={v}" for c, v in row.items()) for b in rows for row in b.labels.head(MAX_KEYS).to_dict("records")]
        n = sum(b.size for b in rows)
        if family == "locked":
            fixed = sum(len(f.cols) for f in prob.fixings if f.family == family)
            lines.append(f"      {fixed} locked pairs")
        elif keys and n <= MAX_KEYS:
            lines.extend(f"      {k}" for k in keys)
        elif n:
            lines.append(f"      {n} rows, e.g. {keys[0]}")
    if not families:
        lines.append("  (no single family could be isolated; the conflict needs all of them)")
    if not conclusive:
        lines.append("  (some feasibility checks hit their time limit; the set may be larger than needed)")
    return "\n".join(lines)
