"""The sweep's tables: one row per scenario (wide), and the tidy long tables behind it."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ruimtepuzzel.model.analysis.sweep.spec import Parameter, Point, SweepSpec, locate
from ruimtepuzzel.model.inputs.values import number_or_none

SCALARS = ["status", "objective", "bound", "gap", "path", "setup_s", "transfer_s", "solve_s", "extract_s", "duals_s", "total_s"]
KEY_DUAL_FAMILIES = ("demand_floor", "resources", "budget")


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


def tables(spec: SweepSpec, points: list[Point], keys: list[str], answers: dict, base: dict) -> dict[str, pd.DataFrame]:
    """``answers``: key → stored answer. Returns ``sweep`` (wide), ``regions`` and ``duals`` (long)."""
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
    front = ["scenario"] + [c for c in params.columns if c != "scenario"]
    return {
        "sweep": wide,
        "regions": params.merge(long_regions, on="scenario", how="inner")[front + [c for c in long_regions.columns if c != "scenario"]]
        if len(long_regions) else long_regions,
        "duals": params.merge(long_duals, on="scenario", how="inner") if len(long_duals) else long_duals,
    }


def _pivot(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    column = value + ":" + frame["level"].astype(str) + ":" + frame["region"].astype(str) + ":" + frame["claim"].astype(str)
    out = frame.assign(column=column).pivot_table(index="scenario", columns="column", values=value, aggfunc="first", dropna=False)
    out.columns.name = None
    return out.reset_index()
