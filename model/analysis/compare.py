"""What changed between two runs: per region and claim, and which units changed claim.

Works on the result tables of two run folders (``summary.csv``, ``allocation.csv``) and their
manifests; the command line reads them. Two runs of different instances (another name, or
the same name with other input files) are compared by codes only, and :func:`same_instance`
says so.

Phased runs (docs/model.md, *Phasing*) are compared period by period: both tables gain a ``period``
column, and a unit changed claim in a period when its claims in that period's state
(``share_<year>`` > 0) differ. Two phased runs with different periods are compared on the
periods they share, with a warning. A phased run and a single-period run are not compared as
they are (which period would the snapshot be?): :func:`align` refuses them and names
``--period YEAR``, which compares that period of the phased run(s) with the other run.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.outputs import numbers as fmt
from ruimtepuzzel.model.outputs.names import level_name

KEY = ["level", "region", "claim"]


def periods_of(run: Path) -> list[int]:
    """The periods of a phased run (its manifest's ``periods``); empty for a single-period run."""
    return [int(y) for y in _identity(run).get("periods") or []]


def period_state(alloc: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of a phased run's allocation.csv allocated in ``year`` (``share_<year>`` > 0)."""
    from ruimtepuzzel.model.outputs.maps import period_state as state

    return state(alloc, year)


def _one_period(summary: pd.DataFrame, alloc: pd.DataFrame, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (summary[summary["period"] == year].drop(columns="period"),
            period_state(alloc, year).drop(columns=[c for c in alloc.columns if c == "period" or c.startswith("share_")]))


def align(run_a: Path, run_b: Path, tables: dict, period: int | None = None) -> tuple[dict, list[int], list[str]]:
    """The tables to compare (``tables``: (run, 'summary.csv' | 'allocation.csv') → frame), the periods they are
    compared on (empty: no period column) and warnings.

    Two single-period runs: as they are. Two phased runs: on the periods both have (a warning names those left
    out). A phased and a single-period run: refused unless ``period`` names a period of the phased one; then that
    period's state of every phased run is compared with the other run. ``period`` with two phased runs compares
    that period only."""
    pa, pb = periods_of(run_a), periods_of(run_b)
    warnings: list[str] = []
    if period is not None:
        for run, periods in ((run_a, pa), (run_b, pb)):
            if periods and period not in periods:
                raise InputError(f"--period {period}: {run} is a phased run of periods {', '.join(map(str, periods))}")
        if not pa and not pb:
            raise InputError(f"--period {period}: neither {run_a} nor {run_b} is a phased run (no periods in their manifests)")
        out = dict(tables)
        for run, periods in ((run_a, pa), (run_b, pb)):
            if periods:
                out[run, "summary.csv"], out[run, "allocation.csv"] = _one_period(tables[run, "summary.csv"], tables[run, "allocation.csv"], period)
        return out, [], warnings
    if bool(pa) != bool(pb):
        phased, periods, single = (run_a, pa, run_b) if pa else (run_b, pb, run_a)
        raise InputError(f"{phased} is a phased run (periods {', '.join(map(str, periods))}) and {single} has one period: "
                         "compare does not guess which period the single run stands for; give --period YEAR to compare "
                         "that period of the phased run with it")
    if not pa:
        return dict(tables), [], warnings
    common = [y for y in pa if y in pb]
    if not common:
        raise InputError(f"the phased runs share no period: {run_a} has {', '.join(map(str, pa))}, {run_b} has {', '.join(map(str, pb))}")
    if common != pa or common != pb:
        left = sorted(set(pa) ^ set(pb))
        warnings.append(f"the runs have different periods ({run_a}: {', '.join(map(str, pa))}; {run_b}: {', '.join(map(str, pb))}); "
                        f"compared on {', '.join(map(str, common))} only, not on {', '.join(map(str, left))}")
    out = dict(tables)
    for run in (run_a, run_b):
        out[run, "summary.csv"] = tables[run, "summary.csv"][tables[run, "summary.csv"]["period"].isin(common)]
    return out, common, warnings


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
    """One row per level × region × claim present in either run (× period when both have one), with A, B and B − A
    (and names where the runs have them)."""
    key = (["period"] if "period" in a.columns and "period" in b.columns else []) + KEY
    cols = ["demand_min", "allocated_ha", "shortfall_ha"]
    merged = a[key + cols].merge(b[key + cols], on=key, how="outer", suffixes=("_a", "_b"))
    for c in ("allocated_ha", "shortfall_ha"):
        merged[[f"{c}_a", f"{c}_b"]] = merged[[f"{c}_a", f"{c}_b"]].fillna(0.0)
        merged[f"{c}_change"] = merged[f"{c}_b"] - merged[f"{c}_a"]
    names = [c for c in ("region_name", "claim_name") if c in a.columns or c in b.columns]
    if names:
        known = pd.concat([f[KEY + [c for c in names if c in f.columns]] for f in (b, a)]).drop_duplicates(KEY)
        merged = merged.merge(known, on=KEY, how="left")
    return merged.sort_values(key, kind="stable").reset_index(drop=True)


def unit_changes(a: pd.DataFrame, b: pd.DataFrame, periods=()) -> pd.DataFrame:
    """Units whose set of claims differs: unit_id, claims_a, claims_b ('' = nothing); with ``periods`` (two phased
    runs' allocation.csv), per period's state, with a leading ``period`` column."""
    if periods:
        frames = [unit_changes(period_state(a, y), period_state(b, y)).assign(period=y) for y in periods]
        out = pd.concat(frames, ignore_index=True)
        return out[["period", "unit_id", "claims_a", "claims_b"]]

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
    level = level_name(r.level)
    return f"{level} {name} ({region})" if isinstance(name, str) and name and name != region else f"{level} {region}"


def headline(changes: pd.DataFrame, units: pd.DataFrame, tol: float = 1e-6) -> list[str]:
    """The printed summary: how many units changed claim, and each region × claim whose allocation or shortfall
    moved; per period when the tables have one."""
    if "period" in changes.columns:
        lines = []
        for year in sorted(set(changes["period"]) | set(units.get("period", []))):
            lines.append(f"in {int(year)}:")
            lines += ["  " + line for line in headline(changes[changes["period"] == year].drop(columns="period"),
                                                         units[units["period"] == year].drop(columns="period"), tol)]
        return lines
    lines = [f"{len(units):,} units changed claim"]
    moved = changes[(changes["allocated_ha_change"].abs() > tol) | (changes["shortfall_ha_change"].abs() > tol)]
    for r in moved.itertuples():
        claim = getattr(r, "claim_name", None)
        claim = claim if isinstance(claim, str) and claim else r.claim
        change = fmt.number(r.allocated_ha_change, 1)
        floor = pd.notna(r.demand_min_a) or pd.notna(r.demand_min_b)  # a shortfall only where a floor is
        short = f", shortfall {fmt.amount(r.shortfall_ha_a)} → {fmt.amount(r.shortfall_ha_b)}" if floor else ", no floor"
        lines.append(f"  {_where(r)}, {claim}: allocated {fmt.amount(r.allocated_ha_a)} → {fmt.amount(r.allocated_ha_b)} "
                     f"({'+' if r.allocated_ha_change > 0 else ''}{change} ha){short}")
    return lines
