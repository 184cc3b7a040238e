"""From solver values to planner tables keyed by the instance's own ids.

``allocation``: one row per allocated (unit_id, claim) pair, with region codes,
used area and share. ``summary``: per level, region and claim the allocated area,
and for every demand row its floor, ceiling, shortfall and % met — recomputed from
the allocation, so the accounting adds up by construction and can be checked.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .preprocess import Prepared
from .schema import NATIONAL

BINARY_THRESHOLD = 0.5
SHARE_TOLERANCE = 1e-6


def allocation(prep: Prepared, values: np.ndarray) -> pd.DataFrame:
    pairs = prep.pairs
    x = values[: len(pairs)]
    divisible = np.isin(pairs["claim"].to_numpy(dtype=object), [k for k, c in prep.config.claims.items() if c.divisible])
    share = np.where(divisible, np.clip(x, 0.0, 1.0), (x > BINARY_THRESHOLD).astype(float))
    share = np.where(divisible & (share < SHARE_TOLERANCE), 0.0, share)
    take = np.flatnonzero(share > 0)
    units = pairs["unit"].to_numpy()[take]
    out = pd.DataFrame({
        "unit_id": prep.units["unit_id"].to_numpy(dtype=object)[units],
        "claim": pairs["claim"].to_numpy(dtype=object)[take],
    })
    for level in prep.instance.levels:
        out[level] = prep.units[level].to_numpy(dtype=object)[units]
    out["used_ha"] = pairs["used_ha"].to_numpy()[take] * share[take]
    out["share"] = share[take]
    out.attrs["unit_index"] = units
    return out.reset_index(drop=True)


def _allocated_by_region(prep: Prepared, alloc: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for level in [NATIONAL] + prep.instance.levels:
        regions = sorted(set(prep.instance.region_codes(level)))
        grid = pd.MultiIndex.from_product([regions, prep.claims], names=["region", "claim"]).to_frame(index=False)
        codes = alloc[level] if level != NATIONAL else pd.Series("NL", index=alloc.index)
        sums = alloc.assign(region=codes).groupby(["region", "claim"], as_index=False)["used_ha"].sum()
        grid = grid.merge(sums, on=["region", "claim"], how="left").fillna({"used_ha": 0.0})
        frames.append(grid.assign(level=level))
    out = pd.concat(frames, ignore_index=True).rename(columns={"used_ha": "allocated_ha"})
    return out[["level", "region", "claim", "allocated_ha"]]


def _demand_rows(prep: Prepared, alloc: pd.DataFrame) -> pd.DataFrame:
    units = alloc.attrs.get("unit_index", np.empty(0, np.int64))
    rows = []
    for d in prep.config.demand:
        mine = alloc["claim"].to_numpy() == d.claim
        if d.level != NATIONAL:
            mine &= alloc[d.level].to_numpy() == d.region
        if d.measure:
            amount = float((prep.units[d.measure].fillna(0).to_numpy(float)[units[mine]] * alloc["share"].to_numpy()[mine]).sum())
        else:
            amount = float(alloc["used_ha"].to_numpy()[mine].sum())
        rows.append({"level": d.level, "region": d.region_key, "claim": d.claim, "measure": d.measure or "ha",
                     "demand_min": d.lower, "demand_max": d.upper, "allocated": amount})
    cols = ["level", "region", "claim", "measure", "demand_min", "demand_max", "allocated"]
    if not rows:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(rows, columns=cols)
    return frame.groupby(["level", "region", "claim", "measure"], as_index=False, sort=False).agg(
        demand_min=("demand_min", "max"), demand_max=("demand_max", "min"), allocated=("allocated", "first"))


def summary(prep: Prepared, alloc: pd.DataFrame) -> pd.DataFrame:
    """level, region, claim, demand_min, demand_max, allocated_ha, shortfall_ha, pct_met (+ measure, allocated, shortfall)."""
    base = _allocated_by_region(prep, alloc)
    demand = _demand_rows(prep, alloc)
    out = base.merge(demand, on=["level", "region", "claim"], how="left")
    floor = out["demand_min"].astype(float)
    out["shortfall"] = np.where(floor.notna(), np.maximum(0.0, floor - out["allocated"].astype(float)), np.nan)
    is_ha = out["measure"] == "ha"
    out["shortfall_ha"] = np.where(is_ha, out["shortfall"], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct_met"] = np.where(floor > 0, 100.0 * np.minimum(1.0, out["allocated"].astype(float) / floor), np.nan)
    out["shortfall"] = out["shortfall"].where(floor.notna())
    cols = ["level", "region", "claim", "demand_min", "demand_max", "allocated_ha", "shortfall_ha", "pct_met",
            "measure", "allocated", "shortfall"]
    return out[cols]
