"""The sweep's tables: one row per scenario (wide), and the tidy long tables behind it.

Each scenario's objective is known within [objective, bound] (its gap). Its change from the
base is therefore known within an interval too: ``change_low`` … ``change_high``. When that
interval holds 0 and is not a single point, the solver's gap hides whether the parameter
moves the objective at all: ``change_resolved`` is false there (the sweep re-solves such
scenarios at gap 0 first, see :mod:`.run`, so it stays false only when that timed out or
was switched off).

A phased instance's summary and duals keep their ``period`` column in the long tables, and the
wide table has one column per period (``allocated_ha:<level>:<region>:<claim>:<year>``);
``total_shortfall_ha`` adds the shortfall hectares of the floors of every period.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from ruimtepuzzel.model.analysis.sweep.spec import Parameter, Point, SweepSpec, locate
from ruimtepuzzel.model.inputs.values import number_or_none

SCALARS = ["status", "objective", "bound", "gap", "path", "setup_s", "transfer_s", "solve_s", "extract_s", "duals_s", "total_s"]
KEY_DUAL_FAMILIES = ("demand_floor", "resources", "budget")


SOLVED = ("optimal", "time_limit")
EXACT_ABS = 1e-6  # HiGHS's default absolute MIP gap: a solve at gap 0 may leave this much between objective and bound
EXACT_REL = 1e-9


def objective_interval(record: Optional[dict]) -> Optional[tuple[float, float]]:
    """[low, high] holding the scenario's true optimum (objective and bound, in either order); None without a solution.

    A solve stopped without a bound (or whose bound was not trusted) leaves its optimum unknown: (−inf, inf)."""
    if not record or record.get("status") not in SOLVED or record.get("objective") is None:
        return None
    objective = float(record["objective"])
    bound = record.get("bound")
    if bound is None or not np.isfinite(float(bound)):
        return (objective, objective) if record.get("status") == "optimal" else (-np.inf, np.inf)
    bound = float(bound)
    return min(objective, bound), max(objective, bound)


def _slack(value: float) -> float:
    return EXACT_ABS + EXACT_REL * abs(value)


def change_interval(record: Optional[dict], base: Optional[dict]) -> Optional[tuple[float, float, bool]]:
    """(low, high, resolved) of the scenario's objective change from the base. Resolved: the interval excludes 0,
    or both are proven optima (the interval is a point, so a change of 0 is proven too)."""
    own, ref = objective_interval(record), objective_interval(base)
    if own is None or ref is None:
        return None
    low, high = own[0] - ref[1], own[1] - ref[0]
    exact = bool(np.isfinite(high - low)) and high - low <= _slack(own[1]) + _slack(ref[1])
    resolved = exact or low > _slack(ref[1]) or high < -_slack(ref[1])
    return low, high, bool(resolved)


def with_changes(wide: pd.DataFrame, records: dict, base: Optional[dict], same=()) -> pd.DataFrame:
    """``wide`` with objective_change, change_low, change_high and change_resolved (``records``: scenario → record;
    ``same``: scenarios whose configuration is the base's, so their change is 0 by definition)."""
    out = wide.copy()
    ref = base["objective"] if base and base.get("objective") is not None else np.nan
    changes = [(0.0, 0.0, True) if s in same and records.get(s) else change_interval(records.get(s), base) for s in out["scenario"]]
    out["objective_change"] = out["objective"].astype(float) - ref + 0.0  # + 0.0: never −0.0
    out.loc[out["scenario"].isin(set(same)), "objective_change"] = 0.0
    out["change_low"] = [c[0] if c else np.nan for c in changes]
    out["change_high"] = [c[1] if c else np.nan for c in changes]
    out["change_resolved"] = [c[2] if c else pd.NA for c in changes]
    return out


def base_value(param: Parameter, base: dict):
    """The parameter's value in the base instance: 1 for a factor, the value at a single location, else NaN."""
    if param.scales:
        return 1.0
    places = locate(base, param.path)
    if len(places) != 1:
        return np.nan
    container, key = places[0]
    value = container[key] if isinstance(container, list) or key in container else np.nan
    if isinstance(value, str) and number_or_none(value) is not None:  # instance files are read by spelling: "1604" is 1604
        return number_or_none(value)
    return value


def parameters_frame(spec: SweepSpec, points: list[Point], base: dict) -> pd.DataFrame:
    defaults = [base_value(p, base) for p in spec.parameters]
    rows = [{"scenario": pt.scenario, **{p.label: (d if v is None else v) for p, v, d in zip(spec.parameters, pt.values, defaults)}}
            for pt in points]
    frame = pd.DataFrame(rows, columns=["scenario"] + [p.label for p in spec.parameters])
    if spec.design == "oat":
        frame.insert(1, "varied", [pt.varied or "base" for pt in points])
    return frame


def tables(spec: SweepSpec, points: list[Point], keys: list[str], answers: dict, base: dict, base_record: Optional[dict] = None,
           refined=(), config=None, same=()) -> dict[str, pd.DataFrame]:
    """``answers``: key → stored answer; ``keys``: the answer each point reads (a refined one where re-solved at gap 0);
    ``base_record``: the base's record, for the objective change. Returns ``sweep`` (wide), ``regions`` and ``duals``
    (long; with region and claim names when ``config`` is given)."""
    params = parameters_frame(spec, points, base)
    params.insert(1, "key", keys)
    records, regions, prices = [], [], []
    for pt, key in zip(points, keys):
        answer = answers.get(key)
        if answer is None:
            records.append({"scenario": pt.scenario, "status": "missing"})
            continue
        records.append({"scenario": pt.scenario, **{k: answer["record"].get(k) for k in SCALARS}})
        regions.append(answer["summary"].assign(scenario=pt.scenario))
        if len(answer["duals"]):
            prices.append(answer["duals"].assign(scenario=pt.scenario))
    scalars = pd.DataFrame(records, columns=["scenario"] + SCALARS)
    long_regions = pd.concat(regions, ignore_index=True) if regions else pd.DataFrame(columns=["scenario"])
    long_duals = pd.concat(prices, ignore_index=True) if prices else pd.DataFrame(columns=["scenario"])
    wide = params.merge(scalars, on="scenario", how="left")
    by_scenario = {pt.scenario: answers[key]["record"] for pt, key in zip(points, keys) if key in answers}
    wide = with_changes(wide, by_scenario, base_record, set(same))
    wide["refined"] = wide["scenario"].isin(set(refined))
    if len(long_regions):
        floors = long_regions[long_regions["demand_min"].notna()]
        total = floors.groupby("scenario")["shortfall_ha"].sum().rename("total_shortfall_ha")
        wide = wide.merge(total, on="scenario", how="left")
        wide = wide.merge(_pivot(long_regions, "allocated_ha"), on="scenario", how="left")
        wide = wide.merge(_pivot(floors, "shortfall_ha"), on="scenario", how="left")
    if len(long_duals):
        key_duals = long_duals[long_duals["family"].isin(KEY_DUAL_FAMILIES)]
        if len(key_duals):
            wide_duals = key_duals.assign(column="shadow_price:" + key_duals["family"] + ":" + key_duals["key"].astype(str))
            wide = wide.merge(wide_duals.pivot_table(index="scenario", columns="column", values="shadow_price", aggfunc="first"),
                              on="scenario", how="left")
    if config is not None:
        from ruimtepuzzel.model.outputs.names import with_names

        long_regions = with_names(long_regions, config) if len(long_regions) else long_regions
        long_duals = with_names(long_duals, config) if len(long_duals) else long_duals
    front = ["scenario"] + [c for c in params.columns if c != "scenario"]
    return {
        "sweep": wide,
        "regions": params.merge(long_regions, on="scenario", how="inner")[front + [c for c in long_regions.columns if c != "scenario"]]
        if len(long_regions) else long_regions,
        "duals": params.merge(long_duals, on="scenario", how="inner") if len(long_duals) else long_duals,
    }


def _pivot(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """One column per level:region:claim, named ``<value>:<level>:<region>:<claim>``; in a phased sweep one per
    period too, ``<value>:<level>:<region>:<claim>:<year>``."""
    column = value + ":" + frame["level"].astype(str) + ":" + frame["region"].astype(str) + ":" + frame["claim"].astype(str)
    if "period" in frame.columns and frame["period"].notna().any():
        column = column + ":" + frame["period"].astype("Int64").astype(str)
    out = frame.assign(column=column).pivot_table(index="scenario", columns="column", values=value, aggfunc="first", dropna=False)
    out.columns.name = None
    return out.reset_index()
