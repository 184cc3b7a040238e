"""Replacement cost (irreplaceability) of the groups of plan 0.

A group is a unit with the claim it has in plan 0 (``unit``), a *site* — a connected set of
units with the same claim in plan 0, adjacent as for minimum sites (grid cells: 4
neighbours; parcels: a shared boundary) — (``site``), or a region of a level with one claim
(``LEVEL``). Its replacement cost is the loss of objective when the group's units may not
take the claim they have in plan 0 (they may take another; in every period):
``z* − z*_without`` for a maximised objective, ``z*_without − z*`` for a minimised one,
``inf`` when no allocation remains. For a two-stage sense the first stage stays held at its
optimum and the cost is measured in the second stage. No budget row applies.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ruimtepuzzel.model.analysis.alternatives import directions, plans
from ruimtepuzzel.model.analysis.alternatives.space import NearOptimal
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.prepare.spatial import components, units_adjacency
from ruimtepuzzel.model.inputs.schema import NATIONAL
from ruimtepuzzel.solvers.base import INFEASIBLE

COLUMNS = ["group", "claim", "used_ha", "objective_without", "replacement_cost", "status", "gap", "units"]


@dataclass
class Group:
    name: str  # a unit id, 'site N', or a region code
    claim: str
    pairs: np.ndarray  # the pair indices the group may no longer take
    used_ha: float  # their used area in plan 0
    units: list  # unit ids


def check_kind(prep: Prepared, kind: str) -> str:
    if kind in ("unit", "site"):
        return kind
    try:
        return directions.check_level(prep, kind, "--importance")
    except Exception:
        from ruimtepuzzel.model.errors import InputError

        raise InputError(f"--importance: {kind!r} is neither unit, site nor a level "
                         f"({', '.join([NATIONAL, *prep.config.regions])})") from None


def groups(prep: Prepared, plan0_state: np.ndarray, kind: str) -> list[Group]:
    """The groups of plan 0 for ``kind`` (unit, site or a level), in claim order, then unit order."""
    check_kind(prep, kind)
    taken = np.flatnonzero(plan0_state > 0)
    used = plans.used(prep) * plan0_state
    unit_of = prep.pairs["unit"].to_numpy()
    claim_of = prep.pairs["claim"].to_numpy(dtype=object)
    ids = prep.instance.unit_ids()
    out: list[Group] = []
    for claim in prep.config.claims:
        mine = taken[claim_of[taken] == claim]
        if not len(mine):
            continue
        mine = mine[np.argsort(unit_of[mine], kind="stable")]
        if kind == "unit":
            out += [Group(str(ids[unit_of[p]]), claim, np.array([p]), float(used[p]), [str(ids[unit_of[p]])]) for p in mine]
        elif kind == "site":
            units = unit_of[mine]
            u, v = units_adjacency(prep.instance, units)
            local = {int(x): i for i, x in enumerate(units)}
            label = components(len(units), np.array([local[int(a)] for a in u], np.int64),
                               np.array([local[int(b)] for b in v], np.int64))
            for n, c in enumerate(sorted(set(label.tolist()), key=lambda c: int(np.flatnonzero(label == c)[0])), start=1):
                pick = mine[label == c]
                out.append(Group(f"{claim} site {n}", claim, pick, float(used[pick].sum()), [str(ids[unit_of[p]]) for p in pick]))
        else:
            codes = (np.full(len(mine), "NL", dtype=object) if kind == NATIONAL
                     else prep.instance.region_codes(kind).astype(str)[unit_of[mine]])
            for region in sorted(set(codes.tolist())):
                pick = mine[codes == region]
                out.append(Group(str(region), claim, pick, float(used[pick].sum()), [str(ids[unit_of[p]]) for p in pick]))
    return out


def replacement(space: NearOptimal, group: Group, known: list[np.ndarray]) -> dict:
    """One row of importance.csv: the optimum without the group's pairs and the replacement cost."""
    prep = space.prep
    cols = plans.all_columns(prep, space.problem, group.pairs)
    free = [v for v in known if not np.any(plans.state(prep, v)[group.pairs] > 0)]
    if free:
        start = max(free, key=lambda v: space.objective.of(v, space.integer) * (1 if space.objective.sense == "max" else -1))
    else:
        start = space.plan0.copy()
        start[cols] = 0.0
    answer = space.without(cols, start=start)
    row = {"group": group.name, "claim": group.claim, "used_ha": group.used_ha, "status": answer.status, "gap": answer.gap,
           "units": " ".join(group.units)}
    if answer.found:
        row["objective_without"] = answer.objective
        row["replacement_cost"] = space.objective.loss(space.z_star, answer.objective)
    elif answer.status == INFEASIBLE:
        row["objective_without"], row["replacement_cost"] = np.nan, np.inf
    else:
        row["objective_without"], row["replacement_cost"] = np.nan, np.nan
    return row
