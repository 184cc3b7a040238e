"""What changed between two runs: per region and claim, and which units changed claim.

Works on the result tables of two run folders (``summary.csv``, ``allocation.csv``) and their
manifests; the command line reads them. Two runs of different instances (another name, or
the same name with other input files) are compared by codes only, and :func:`same_instance`
says so.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ruimtepuzzel.model.outputs import numbers as fmt

KEY = ["level", "region", "claim"]


def _identity(run: Path) -> dict:
    path = Path(run) / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


def same_instance(run_a: Path, run_b: Path) -> list[str]:
    """Warnings when the two runs are not of the same instance files (empty when they are).

    Runs of one instance under two scenarios are the normal case: their instance.yaml and units
    files match (``input_files`` in the manifests) while the scenario differs.
    """
    a, b = _identity(run_a), _identity(run_b)
    if not a or not b:
        missing = run_a if not a else run_b
        return [f"{missing} has no manifest.json: cannot tell whether both runs are of the same instance"]
    if a.get("instance") != b.get("instance"):
        return [f"the runs are of different instances: {run_a} is {a.get('instance')!r}, {run_b} is {b.get('instance')!r}; "
                "regions, claims and units are matched by their codes only"]
    if "input_files" in a and "input_files" in b:
        def by_role(m):
            return {(f["role"], f["file"]): f["sha256"] for f in m["input_files"] if f["role"] != "scenario" or a.get("scenario") == b.get("scenario")}
        fa, fb = by_role(a), by_role(b)
        changed = sorted(name for (role, name) in set(fa) | set(fb) if fa.get((role, name)) != fb.get((role, name)))
    else:  # older runs: only the combined hash, which includes the scenario file
        same_scenario = a.get("scenario") == b.get("scenario")
        changed = ["the input files"] if same_scenario and a.get("instance_hash") != b.get("instance_hash") else []
    if changed:
        return [f"the runs are of instance {a.get('instance')!r} with different input files ({', '.join(changed)} differ): "
                "differences come from changed inputs as well as from the scenario and the solver"]
    return []


def summary_changes(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """One row per level × region × claim present in either run, with A, B and B − A (and names where the runs have them)."""
    cols = ["demand_min", "allocated_ha", "shortfall_ha"]
    merged = a[KEY + cols].merge(b[KEY + cols], on=KEY, how="outer", suffixes=("_a", "_b"))
    for c in ("allocated_ha", "shortfall_ha"):
        merged[[f"{c}_a", f"{c}_b"]] = merged[[f"{c}_a", f"{c}_b"]].fillna(0.0)
        merged[f"{c}_change"] = merged[f"{c}_b"] - merged[f"{c}_a"]
    names = [c for c in ("region_name", "claim_name") if c in a.columns or c in b.columns]
    if names:
        known = pd.concat([f[KEY + [c for c in names if c in f.columns]] for f in (b, a)]).drop_duplicates(KEY)
        merged = merged.merge(known, on=KEY, how="left")
    return merged.sort_values(KEY, kind="stable").reset_index(drop=True)


def unit_changes(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Units whose set of claims differs: unit_id, claims_a, claims_b ('' = nothing)."""
    def claims(frame):
        return frame.groupby("unit_id")["claim"].agg(lambda s: "+".join(sorted(s)))

    both = pd.concat([claims(a).rename("claims_a"), claims(b).rename("claims_b")], axis=1).fillna("")
    changed = both[both["claims_a"] != both["claims_b"]]
    return changed.rename_axis("unit_id").reset_index().sort_values("unit_id", kind="stable").reset_index(drop=True)


def _where(r) -> str:
    name = getattr(r, "region_name", None)
    region = str(r.region)
    if r.level == "national":
        return name if isinstance(name, str) and name else "national"
    return f"{r.level} {name} ({region})" if isinstance(name, str) and name and name != region else f"{r.level} {region}"


def headline(changes: pd.DataFrame, units: pd.DataFrame, tol: float = 1e-6) -> list[str]:
    lines = [f"{len(units):,} units changed claim"]
    moved = changes[(changes["allocated_ha_change"].abs() > tol) | (changes["shortfall_ha_change"].abs() > tol)]
    for r in moved.itertuples():
        claim = getattr(r, "claim_name", None)
        claim = claim if isinstance(claim, str) and claim else r.claim
        change = fmt.number(r.allocated_ha_change, 1)
        lines.append(f"  {_where(r)}, {claim}: allocated {fmt.amount(r.allocated_ha_a)} → {fmt.amount(r.allocated_ha_b)} "
                     f"({'+' if r.allocated_ha_change > 0 else ''}{change} ha), "
                     f"shortfall {fmt.amount(r.shortfall_ha_a)} → {fmt.amount(r.shortfall_ha_b)}")
    return lines
