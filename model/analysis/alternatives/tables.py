"""The result tables of ``alternatives``, built from the plans and the stored rows (no solver).

- ``alternatives.csv``: plan, method, status, gap, objective, objective_loss, objective_loss_pct,
  hsj_objective (hsj), overlap_ha (with plan 0), distance_ha (to the nearest earlier plan),
  direction (directions), solve_s;
- ``alternatives_allocation.csv``: plan and the columns of allocation.csv, per plan;
- ``selection_frequency.csv``: unit_id, claim, region codes, plans (how many plans allocate the
  pair), share (of all plans).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ruimtepuzzel.model.analysis.alternatives import plans
from ruimtepuzzel.model.outputs import extract
from ruimtepuzzel.model.outputs.names import with_names
from ruimtepuzzel.model.prepare.prepared import Prepared

PLAN_COLUMNS = ["plan", "method", "status", "gap", "objective", "objective_loss", "objective_loss_pct", "hsj_objective",
                "overlap_ha", "distance_ha", "direction", "solve_s"]


def plan_table(prep: Prepared, objective, z_star: float, method: str, found: list[tuple]) -> pd.DataFrame:
    """One row per plan: ``found`` is [(values or None, record)], plan 0 first."""
    states = [plans.state(prep, v) if v is not None else None for v, _ in found]
    rows = []
    for j, ((values, record), s) in enumerate(zip(found, states)):
        z = record.get("objective")
        loss = objective.loss(z_star, z) if z is not None else np.nan
        earlier = [e for e in states[:j] if e is not None]
        rows.append({
            "plan": j, "method": "optimum" if j == 0 else method, "status": record.get("status"), "gap": record.get("gap"),
            "objective": z, "objective_loss": loss,
            "objective_loss_pct": 100.0 * loss / abs(z_star) if z_star else np.nan,
            "hsj_objective": record.get("aux") if method == "hsj" and j > 0 else np.nan,
            "overlap_ha": plans.overlap_ha(prep, s, states[0]) if s is not None else np.nan,
            "distance_ha": plans.nearest(prep, earlier, s)[1] if s is not None and earlier else np.nan,
            "direction": record.get("direction"), "solve_s": record.get("solve_s"),
        })
    table = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    if method != "directions":
        table = table.drop(columns=["direction"])
    return table


def allocations(prep: Prepared, found: list[tuple]) -> pd.DataFrame:
    """Every plan's allocation (the columns of allocation.csv, names included) with a leading ``plan`` column."""
    frames = []
    for j, (values, _) in enumerate(found):
        if values is None:
            continue
        alloc = with_names(extract.allocation(prep, values), prep.config)
        alloc.attrs = {}
        alloc.insert(0, "plan", j)
        frames.append(alloc)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["plan", "unit_id", "claim", "used_ha"])


def selection_frequency(prep: Prepared, alloc: pd.DataFrame, n_plans: int) -> pd.DataFrame:
    """unit_id, claim, region codes, plans, share: for every pair allocated in at least one plan."""
    keys = ["unit_id", "claim", *prep.instance.levels]
    if alloc.empty:
        return pd.DataFrame(columns=keys + ["plans", "share"])
    out = alloc.groupby(keys, as_index=False, sort=False)["plan"].nunique().rename(columns={"plan": "plans"})
    out["share"] = out["plans"] / n_plans
    order = {k: i for i, k in enumerate(prep.config.claims)}
    out["_c"] = out["claim"].map(order)
    unit_order = {u: i for i, u in enumerate(prep.instance.unit_ids())}
    out["_u"] = out["unit_id"].map(unit_order)
    return out.sort_values(["_c", "_u"]).drop(columns=["_c", "_u"]).reset_index(drop=True)
