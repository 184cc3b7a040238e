"""From solver values to planner tables keyed by the instance's own ids.

``allocation``: one row per allocated (unit_id, claim) pair, with region codes,
used area and share. ``summary``: per level, region and claim the allocated area,
and for every demand row its floor, ceiling, shortfall and % met — recomputed from
the allocation, so the accounting adds up by construction and can be checked — and,
with a no-net-loss rule, the business-park land transformed to the claim and the
compensation found in it. ``transformation``: per level and region, which existing
uses were transformed to which claim (docs/model.md, *Transformation of existing uses*).

A phased instance (``periods``) has one state per period: ``allocation`` holds the pairs of
the last state with ``period`` (the first year the pair is allocated) and ``share_<year>``
per period, and ``summary`` and ``transformation`` hold one block per period (column
``period``), each demand row in the block of its own period.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ruimtepuzzel.model.formulation import compensation
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.inputs.schema import NATIONAL

BINARY_THRESHOLD = 0.5
SHARE_TOLERANCE = 1e-6


def shares(prep: Prepared, values: np.ndarray) -> np.ndarray:
    """Per period and pair the allocated share (periods × pairs; one row for one period): whole units rounded."""
    n = len(prep.pairs)
    n_periods = len(prep.config.years)
    x = values[: n * n_periods].reshape(n_periods, n)
    claim_codes = prep.pairs["claim"].cat.codes.to_numpy()  # categorical: no per-row string conversion
    claim_names = np.asarray(prep.pairs["claim"].cat.categories, dtype=object)
    divisible = np.isin(claim_names, [k for k, c in prep.config.claims.items() if c.divisible])[claim_codes]
    share = np.where(divisible, np.clip(x, 0.0, 1.0), (x > BINARY_THRESHOLD).astype(float))
    return np.where(divisible & (share < SHARE_TOLERANCE), 0.0, share)


def allocation(prep: Prepared, values: np.ndarray) -> pd.DataFrame:
    """One row per allocated pair (in the last period): unit_id, claim, region codes, used_ha, share (+ period, share_<year>)."""
    share = shares(prep, values)
    out = _pairs_frame(prep, share[-1])
    take = out.attrs["pair_index"]
    if prep.config.periods:
        years = np.asarray(prep.config.periods)
        out.insert(2, "period", years[np.argmax(share[:, take] > 0, axis=0)])
        for year, row in zip(years, share):
            out[f"share_{year}"] = row[take]
    return out


def _pairs_frame(prep: Prepared, share: np.ndarray) -> pd.DataFrame:
    pairs = prep.pairs
    claim_codes = pairs["claim"].cat.codes.to_numpy()
    claim_names = np.asarray(pairs["claim"].cat.categories, dtype=object)
    take = np.flatnonzero(share > 0)
    units = pairs["unit"].to_numpy()[take]
    out = pd.DataFrame({
        "unit_id": prep.instance.unit_ids()[units],
        "claim": claim_names[claim_codes[take]],
    })
    for level in prep.instance.levels:
        out[level] = prep.instance.region_codes(level)[units]
    out["used_ha"] = pairs["used_ha"].to_numpy()[take] * share[take]
    out["share"] = share[take]
    out = out.reset_index(drop=True)
    out.attrs["unit_index"] = units
    out.attrs["pair_index"] = take
    return out


def state(prep: Prepared, alloc: pd.DataFrame, year) -> pd.DataFrame:
    """The allocation as it stands in period ``year`` (the allocation itself for one period)."""
    if not prep.config.periods:
        return alloc
    share = alloc[f"share_{year}"].to_numpy(float)
    keep = share > 0
    out = alloc.loc[keep, ["unit_id", "claim", *prep.instance.levels]].reset_index(drop=True)
    full = alloc["used_ha"].to_numpy(float) / np.where(alloc["share"].to_numpy(float) > 0, alloc["share"].to_numpy(float), 1.0)
    out["used_ha"] = full[keep] * share[keep]
    out["share"] = share[keep]
    out.attrs["unit_index"] = alloc.attrs["unit_index"][keep]
    return out


def _per_period(prep: Prepared, alloc: pd.DataFrame, table) -> pd.DataFrame:
    """``table(prep, state, year)`` for every period, with a leading ``period`` column when phased."""
    if not prep.config.periods:
        return table(prep, alloc, None)
    frames = [table(prep, state(prep, alloc, year), year) for year in prep.config.periods]
    return pd.concat([f.assign(period=year)[["period", *f.columns]] for f, year in zip(frames, prep.config.periods)],
                     ignore_index=True)


def _keys(prep: Prepared, alloc: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Unit index and claim index of each allocation row."""
    units = alloc.attrs.get("unit_index", np.empty(0, np.int64))
    return units, pd.Categorical(alloc["claim"], categories=prep.claims).codes.astype(np.int64)


def _sums(prep: Prepared, keys: tuple, level: str, amount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(regions × claims array of ``amount`` summed over the allocation rows, sorted region names) at ``level``."""
    units, claim = keys
    codes, regions = prep.instance.region_index(level)
    n_claims = len(prep.claims)
    flat = np.bincount(codes[units] * n_claims + claim, weights=amount, minlength=len(regions) * n_claims)
    return flat.reshape(len(regions), n_claims), np.asarray(regions, dtype=object)


def _allocated_by_region(prep: Prepared, alloc: pd.DataFrame, keys: tuple) -> pd.DataFrame:
    frames = []
    used = alloc["used_ha"].to_numpy(float)
    for level in [NATIONAL] + prep.instance.levels:
        sums, regions = _sums(prep, keys, level, used)
        frames.append(pd.DataFrame({"level": level, "region": np.repeat(regions, len(prep.claims)),
                                    "claim": np.tile(np.asarray(prep.claims, dtype=object), len(regions)),
                                    "allocated_ha": sums.ravel()}))
    return pd.concat(frames, ignore_index=True)


def _demand_rows(prep: Prepared, alloc: pd.DataFrame, keys: tuple, year=None) -> pd.DataFrame:
    """Each demand row of period ``year``, with its allocated amount from one sum per (level, measure)."""
    units = keys[0]
    claim_at = {k: i for i, k in enumerate(prep.claims)}
    totals: dict = {}

    def allocated(level: str, measure, region: str, claim: str) -> float:
        if (level, measure) not in totals:
            if measure:
                amount = prep.units[measure].fillna(0).to_numpy(float)[units] * alloc["share"].to_numpy(float)
            else:
                amount = alloc["used_ha"].to_numpy(float)
            sums, regions = _sums(prep, keys, level, amount)
            totals[level, measure] = sums, {r: i for i, r in enumerate(regions)}
        sums, region_at = totals[level, measure]
        return float(sums[region_at[region], claim_at[claim]]) if region in region_at else 0.0

    rows = [{"level": d.level, "region": d.region_key, "claim": d.claim, "measure": d.measure or "ha",
             "demand_min": d.lower, "demand_max": d.upper, "allocated": allocated(d.level, d.measure, d.region_key, d.claim)}
            for d in prep.config.demand if year is None or prep.config.demand_period(d) == year]
    cols = ["level", "region", "claim", "measure", "demand_min", "demand_max", "allocated"]
    if not rows:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(rows, columns=cols)
    return frame.groupby(["level", "region", "claim", "measure"], as_index=False, sort=False).agg(
        demand_min=("demand_min", "max"), demand_max=("demand_max", "min"), allocated=("allocated", "first"))


def _compensation_columns(prep: Prepared, alloc: pd.DataFrame, keys: tuple, base: pd.DataFrame) -> None:
    """business_park_transformed_ha (what no net loss counts) and compensation_ha (new work land on other land), per row."""
    comp = prep.config.compensation
    if comp is None:
        base["business_park_transformed_ha"] = np.nan
        base["compensation_ha"] = np.nan
        return
    units, claim = keys
    names = np.asarray(prep.claims, dtype=object)[claim]
    stacking = np.isin(names, [k for k, c in prep.config.claims.items() if c.stacking])
    on_park = prep.units["current_use"].to_numpy(dtype=object)[units] == comp.business_use
    work = np.isin(names, comp.work_claims)
    used = alloc["used_ha"].to_numpy(float)
    for column, take in (("business_park_transformed_ha", on_park & ~work & ~stacking), ("compensation_ha", ~on_park & work)):
        parts = []
        for level in [NATIONAL] + prep.instance.levels:
            sums, _ = _sums(prep, keys, level, np.where(take, used, 0.0))
            parts.append(sums.ravel())
        base[column] = np.concatenate(parts)


def transformation(prep: Prepared, alloc: pd.DataFrame) -> pd.DataFrame:
    """level, region, current_use, claim, transformed_ha: non-stacking allocations on units with a current use."""
    return _per_period(prep, alloc, _transformation)


def _transformation(prep: Prepared, alloc: pd.DataFrame, year=None) -> pd.DataFrame:
    cols = ["level", "region", "current_use", "claim", "transformed_ha"]
    if "current_use" not in prep.units.columns or alloc.empty:
        return pd.DataFrame(columns=cols)
    units, claim = _keys(prep, alloc)
    stacking = np.isin(alloc["claim"].to_numpy(dtype=object), [k for k, c in prep.config.claims.items() if c.stacking])
    use = prep.units["current_use"].to_numpy(dtype=object)[units]
    take = ~stacking & pd.notna(use)
    frames = []
    for level in [NATIONAL] + prep.instance.levels:
        region = prep.instance.region_codes(level)[units[take]]
        frames.append(pd.DataFrame({"level": level, "region": region, "current_use": use[take],
                                    "claim": alloc["claim"].to_numpy(dtype=object)[take],
                                    "transformed_ha": alloc["used_ha"].to_numpy(float)[take]}))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    return out.groupby(["level", "region", "current_use", "claim"], as_index=False, sort=True)["transformed_ha"].sum()[cols]


def _additional_shortfalls(prep: Prepared, out: pd.DataFrame, year) -> None:
    """With ``compensation.additional``: the work floors' shortfalls as the optimum pays them (a hectare that
    compensates a converted park does not meet its floor; :func:`..formulation.compensation.least_shortfalls`)."""
    floors = compensation.additional_floors(prep.config, year)
    if not floors:
        return
    comp = prep.config.compensation
    at = out[out["level"] == comp.level]
    converted = at.groupby("region")["business_park_transformed_ha"].sum().to_dict()
    new_work = at.groupby("region")["compensation_ha"].sum().to_dict()
    key = pd.MultiIndex.from_frame(out[["level", "region", "claim", "measure"]].astype(str))
    where = pd.Series(np.arange(len(out)), index=key)
    wanted = pd.MultiIndex.from_tuples([(d.level, str(d.region_key), d.claim, d.measure or "ha") for d in prep.config.demand])
    row = where[~where.index.duplicated()].reindex(wanted).to_numpy()
    allocated = np.where(np.isnan(row), 0.0, out["allocated"].to_numpy(float)[np.nan_to_num(row).astype(np.int64)])
    short = compensation.least_shortfalls(prep.config, allocated, {str(k): v for k, v in converted.items()},
                                          {str(k): v for k, v in new_work.items()}, prep.config.objective.sense, year)
    for i in floors:
        if not np.isnan(row[i]):
            out.loc[int(row[i]), "shortfall"] = short[i]


def summary(prep: Prepared, alloc: pd.DataFrame) -> pd.DataFrame:
    """level, region, claim, demand_min, demand_max, allocated_ha, shortfall_ha, pct_met (+ measure, allocated, shortfall,
    business_park_transformed_ha, compensation_ha); a phased instance: a block per ``period``."""
    return _per_period(prep, alloc, _summary)


def _summary(prep: Prepared, alloc: pd.DataFrame, year=None) -> pd.DataFrame:
    keys = _keys(prep, alloc)
    base = _allocated_by_region(prep, alloc, keys)
    _compensation_columns(prep, alloc, keys, base)
    demand = _demand_rows(prep, alloc, keys, year)
    out = base.merge(demand, on=["level", "region", "claim"], how="left")
    floor = out["demand_min"].astype(float)
    out["shortfall"] = np.where(floor.notna(), np.maximum(0.0, floor - out["allocated"].astype(float)), np.nan)
    _additional_shortfalls(prep, out, year)
    is_ha = out["measure"] == "ha"
    out["shortfall_ha"] = np.where(is_ha, out["shortfall"], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct_met"] = np.where(floor > 0, 100.0 * np.minimum(1.0, (floor - out["shortfall"].astype(float)) / floor), np.nan)
    out["shortfall"] = out["shortfall"].where(floor.notna())
    cols = ["level", "region", "claim", "demand_min", "demand_max", "allocated_ha", "shortfall_ha", "pct_met",
            "measure", "allocated", "shortfall", "business_park_transformed_ha", "compensation_ha"]
    return out[cols]
