"""What changed between two runs: per region and claim, and which units changed claim.

Works on the result tables of two run folders (``summary.csv``, ``allocation.csv``); the
command line reads them.
"""
from __future__ import annotations

import pandas as pd

KEY = ["level", "region", "claim"]


def summary_changes(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """One row per level × region × claim present in either run, with A, B and B − A."""
    cols = ["demand_min", "allocated_ha", "shortfall_ha"]
    merged = a[KEY + cols].merge(b[KEY + cols], on=KEY, how="outer", suffixes=("_a", "_b"))
    for c in ("allocated_ha", "shortfall_ha"):
        merged[[f"{c}_a", f"{c}_b"]] = merged[[f"{c}_a", f"{c}_b"]].fillna(0.0)
        merged[f"{c}_change"] = merged[f"{c}_b"] - merged[f"{c}_a"]
    return merged.sort_values(KEY, kind="stable").reset_index(drop=True)


def unit_changes(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Units whose set of claims differs: unit_id, claims_a, claims_b ('' = nothing)."""
    def claims(frame):
        return frame.groupby("unit_id")["claim"].agg(lambda s: "+".join(sorted(s)))

    both = pd.concat([claims(a).rename("claims_a"), claims(b).rename("claims_b")], axis=1).fillna("")
    changed = both[both["claims_a"] != both["claims_b"]]
    return changed.rename_axis("unit_id").reset_index().sort_values("unit_id", kind="stable").reset_index(drop=True)


def headline(changes: pd.DataFrame, units: pd.DataFrame, tol: float = 1e-6) -> list[str]:
    lines = [f"{len(units):,} units changed claim"]
    moved = changes[(changes["allocated_ha_change"].abs() > tol) | (changes["shortfall_ha_change"].abs() > tol)]
    for r in moved.itertuples():
        lines.append(f"  {r.level} {r.region} {r.claim}: allocated {r.allocated_ha_a:,.1f} → {r.allocated_ha_b:,.1f} ha"
                     f" ({r.allocated_ha_change:+,.1f}), shortfall {r.shortfall_ha_a:,.1f} → {r.shortfall_ha_b:,.1f} ha")
    return lines
