"""Why is a plan impossible? A deletion filter over constraint families.

Starting from all hard families, each family is dropped in turn; if the rest is
still infeasible, the family is not needed to explain the conflict and stays
dropped. What remains is an irreducible set of families that cannot hold together
(each re-solve is a feasibility check with the objective switched off).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ruimtepuzzel.solvers import SolveOptions, solve
from ruimtepuzzel.solvers.base import INFEASIBLE

from ruimtepuzzel.model.problem import Problem

PLAIN = {
    "single_use": "a unit carries at most one (non-stacking) claim",
    "stacking": "stacking claims need a host claim on the same unit",
    "demand_ceiling": "demand ceilings (maximum allocation per region and claim)",
    "env_zoning": "environmental zoning distances between heavy and sensitive claims",
    "env_zoning_existing": "environmental zoning against existing uses, which stay until their unit is transformed",
    "presence": "a divisible claim counts by its presence in the zoning and in minimum sites: any share of it is there",
    "min_site": "minimum site sizes (contiguous sites of at least min_site_ha)",
    "balance": "woon-werk balance (work area keeps pace with housing)",
    "compensation": "no net loss of business-park area",
    "resources": "resource caps (grid, water, nitrogen)",
    "budget": "the acquisition budget",
    "locked": "locked plans (fixed allocations)",
    "fulfilment": "the fair-share fulfilment level",
    "phasing": "what is allocated in one period stays allocated in the next",
}
MAX_KEYS = 8
IIS_STRATEGY = 4  # HiGHS: find a true IIS (its default, a light test, can return an empty set for an infeasible LP)


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


# --- an irreducible infeasible subset of rows and locked pairs --------------------------

@dataclass
class Conflict:
    family: str
    text: str


def irreducible_subset(prob: Problem, families: list[str], time_limit_s: float = 60.0) -> Optional[list[Conflict]]:
    """An IIS of the LP relaxation of the given families (HiGHS ``getIis``), in planner's words.

    None when the relaxation is feasible: the conflict then needs integrality, and only the
    family-level diagnosis applies.
    """
    from ruimtepuzzel.solvers.base import run_in_worker

    skip = frozenset(f for f in prob.families() if f not in families)
    # in a forked worker, like every solve: HiGHS must never start its threads in this process,
    # or the workers forked after it inherit a thread pool without threads and hang
    message, _ = run_in_worker(_iis_worker, (_feasibility_copy(prob), skip, time_limit_s), deadline_s=time_limit_s * 1.05 + 5)
    if not message or message.get("rows") is None:
        return None
    iis_rows, iis_cols = message["rows"], message["cols"]
    blocks = [b for b in prob.blocks if b.family not in skip]
    offsets = np.cumsum([0] + [b.size for b in blocks])
    out = []
    for r in iis_rows:
        i = int(np.searchsorted(offsets, r, side="right") - 1)
        block = blocks[i]
        local = r - offsets[i]
        out.append(Conflict(block.family, describe_row(block, local)))
    fixed = {int(c): f.family for f in prob.fixings if f.family not in skip for c in f.cols}
    x = prob.group("x")
    for c in iis_cols:
        c = int(c)
        if c in fixed and x.start <= c < x.start + x.size:
            lab = x.labels.iloc[c - x.start]
            out.append(Conflict(fixed[c], f"unit {lab.unit_id} is locked to {lab.claim}"))
    return out


def _iis_worker(conn, prob: Problem, skip: frozenset, time_limit_s: float) -> None:
    import highspy

    from ruimtepuzzel.solvers.highs import relaxed_highs

    h = relaxed_highs(prob, time_limit_s, skip)
    h.setOptionValue("iis_strategy", IIS_STRATEGY)
    rows = cols = None
    if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
        status, iis = h.getIis()
        if status != highspy.HighsStatus.kError and iis.valid_:
            rows, cols = [int(r) for r in iis.row_index_], [int(c) for c in iis.col_index_]
    conn.send({"rows": rows, "cols": cols})


def _num(v: float) -> str:
    return f"{v:,.1f}"


def describe_row(block, local: int) -> str:
    """One row in planner's words (a phased row says its period)."""
    lab = block.labels.iloc[local].to_dict()
    text = _describe(block, lab, local)
    return f"{text} (in {lab['period']})" if "period" in lab and block.family != "phasing" else text


def _describe(block, lab: dict, local: int) -> str:
    hi = block.upper[local]
    family = block.family
    if family == "single_use":
        return f"unit {lab['unit_id']} carries at most one claim"
    if family == "env_zoning":
        return (f"{lab['heavy_claim']} on unit {lab['heavy_unit']} is closer to {lab['sensitive_claim']} on unit "
                f"{lab['sensitive_unit']} than the guideline distance")
    if family == "presence":
        if block.name == "presence_share":
            return f"{lab['claim']} on unit {lab['unit_id']}, when present in a site, holds a share of it"
        return f"any share of {lab['claim']} on unit {lab['unit_id']} counts as present (zoning, minimum sites)"
    if family == "env_zoning_existing":
        what = f"existing category {lab['existing']}" if lab["side"] == "existing heavy" else f"existing {lab['existing']}"
        near = f"on unit {lab['unit_id']}" if lab["unit_id"] else f"on {lab['links']} units nearby"
        return (f"{lab['claim']} {near} is closer to the {what} on unit {lab['existing_unit']} than the guideline distance, "
                f"so unit {lab['existing_unit']} must be transformed")
    if family == "demand_ceiling":
        where = "the whole instance" if lab["level"] == "national" else f"{lab['level']} {lab['region']}"
        return f"the ceiling of {_num(hi)} {lab['measure']} for {lab['claim']} in {where}"
    if family == "balance":
        return f"the woon-werk balance in {lab['level']} {lab['region']} (work land keeps pace with {lab['housing_claim']})"
    if family == "compensation":
        return f"no net loss of {lab['business_use']} land in {lab['level']} {lab['region']}"
    if family == "resources":
        return f"the {lab['resource']} cap of {_num(hi)} {lab['unit'] or ''} in zone {lab['zone']}".replace("  ", " ")
    if family == "budget":
        return f"the budget of € {_num(hi)}"
    if family == "stacking":
        return f"stacking claim {lab['claim']} on unit {lab['unit_id']} needs a host claim on the same unit"
    if family == "phasing":
        return f"{lab['claim']} on unit {lab['unit_id']}, allocated in {lab['period']}, stays allocated in {lab['next_period']}"
    if family == "min_site":
        where = lab.get("unit_id") or f"{lab.get('from_unit')}→{lab.get('to_unit')}"
        return f"the minimum site size of {lab['claim']} around unit {where} ({block.name})"
    return f"{block.name}: " + ", ".join(f"{k}={v}" for k, v in lab.items())


def report(prob: Problem, families: list[str], conclusive: bool, subset: Optional[list[Conflict]], findings=()) -> str:
    """The text of ``infeasibility.txt``: the IIS in planner's words, then the families."""
    lines = []
    hard = [f for f in findings if f.hard]
    if hard:
        lines.append("Found before solving:")
        lines.extend(f"  - {f.message}" for f in hard)
        lines.append("")
    if subset:
        lines.append(f"These {len(subset)} constraints cannot all hold (an irreducible set: drop any one and the rest can):")
        lines.extend(f"  - {c.text}" for c in subset)
        lines.append("")
    elif not subset and families:
        lines.append("The conflict needs whole units (the fractional relaxation is feasible), so no row-level set is given.")
        lines.append("")
    lines.append(explain(prob, families, conclusive))
    return "\n".join(lines)
