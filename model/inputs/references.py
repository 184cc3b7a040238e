"""Cross-references: every name the configuration uses, checked against claims, regions and unit columns."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.schema import NATIONAL, InstanceConfig


def match_category(value, categories) -> Optional[str]:
    """A category as spelled in ``categories``: "5.0" (how CSV writers print a 5) means "5"."""
    if value is None or value in categories:
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    same = [c for c in categories if _as_float(c) == number]
    return same[0] if len(same) == 1 else value


def _as_float(text: str) -> Optional[float]:
    try:
        return float(text)
    except ValueError:
        return None


def _need_column(units: pd.DataFrame, col: str, where: str, path: Path) -> None:
    if col not in units.columns:
        raise InputError(f"{where} refers to column '{col}', which {path.name} does not have; columns: {sorted(units.columns)}")


def validate_references(config: InstanceConfig, units: pd.DataFrame, units_path: Path, source: str) -> list[str]:
    """Check every name the configuration uses against claims, regions and unit columns."""
    warnings: list[str] = []
    claims = set(config.claims)
    levels = set(config.regions) | {NATIONAL}
    codes_at: dict[str, set] = {}  # level -> its region codes, built once (a set of millions of strings is not free)

    def region_codes(level: str) -> set:
        if level not in codes_at:
            codes_at[level] = set(pd.unique(units[level].dropna()))
        return codes_at[level]

    def claim_ok(name: str, where: str) -> None:
        if name not in claims:
            raise InputError(f"{source}: {where}: unknown claim {name!r}; claims are {sorted(claims)}")

    def level_ok(level: str, where: str) -> None:
        if level not in levels:
            raise InputError(f"{source}: {where}: unknown region level {level!r}; levels are {sorted(levels)}")

    for level in config.regions:
        _need_column(units, level, f"{source}: regions", units_path)
        if units[level].isna().any():
            i = int(np.flatnonzero(units[level].isna())[0])
            raise InputError(f"{units_path}: column '{level}' is empty for unit_id {units['unit_id'].iloc[i]!r}")

    for name, claim in config.claims.items():
        where = f"{source}: claims.{name}"
        for host in claim.stacks_on:
            claim_ok(host, f"claims.{name}.stacks_on")
            if config.claims[host].stacking:
                raise InputError(f"{where}.stacks_on: host {host!r} is itself a stacking claim")
        if claim.divisible and claim.min_site_ha is not None:
            raise InputError(f"{where}: a divisible claim cannot have min_site_ha (sites are made of whole units)")
        for attr in (claim.suitability_attr, claim.cost_attr):
            if attr:
                _need_column(units, attr, where, units_path)
        if claim.env_category is not None:
            if config.env_zoning is None:
                raise InputError(f"{where}.env_category: {claim.env_category!r} given but there is no env_zoning section")
            if claim.env_category not in config.env_zoning.distance_m:
                raise InputError(
                    f"{where}.env_category: category {claim.env_category!r} has no distance in env_zoning.distance_m "
                    f"(categories: {sorted(config.env_zoning.distance_m)})"
                )

    for i, d in enumerate(config.demand):
        where = f"demand[{i}]"
        claim_ok(d.claim, where)
        level_ok(d.level, where)
        if d.level != NATIONAL and d.region not in region_codes(d.level):
            raise InputError(f"{source}: {where}: unknown region {d.region!r} at level {d.level!r}")
        if d.measure:
            _need_column(units, d.measure, f"{source}: {where}.measure", units_path)
            if units[d.measure].dtype != float:
                raise InputError(f"{units_path}: column '{d.measure}' (measure of {where}) must be numeric")

    for i, r in enumerate(config.rules):
        where = f"rules[{i}] ({r.name})"
        for c in r.claims or []:
            claim_ok(c, where)
        _need_column(units, r.attr, f"{source}: {where}", units_path)
        col = units[r.attr]
        if r.op in (">", ">=", "<", "<=") and (col.dtype != float or isinstance(r.value, (bool, str))):
            raise InputError(
                f"{source}: {where}: op {r.op!r} needs a numeric column and value; column '{r.attr}' "
                f"is {'numeric' if col.dtype == float else 'not numeric'} and value is {r.value!r}"
            )

    if config.env_zoning:
        ez = config.env_zoning
        if ez.existing_category_attr:
            _need_column(units, ez.existing_category_attr, f"{source}: env_zoning.existing_category_attr", units_path)
            cats = set(pd.unique(units[ez.existing_category_attr].dropna()))
            unknown = sorted(cats - set(ez.distance_m))
            if unknown:
                raise InputError(
                    f"{units_path}: column '{ez.existing_category_attr}' has categories {unknown} "
                    f"with no distance in env_zoning.distance_m"
                )
        if ez.sensitive_uses:
            _need_column(units, "current_use", f"{source}: env_zoning.sensitive_uses", units_path)

    for i, b in enumerate(config.balance):
        where = f"balance[{i}]"
        level_ok(b.level, where)
        claim_ok(b.housing_claim, f"{where}.housing_claim")
        for c in b.work_claims:
            claim_ok(c, f"{where}.work_claims")

    if config.compensation:
        level_ok(config.compensation.level, "compensation")
        for c in config.compensation.work_claims:
            claim_ok(c, "compensation.work_claims")
        _need_column(units, "current_use", f"{source}: compensation", units_path)

    for name, res in config.resources.items():
        where = f"resources.{name}"
        _need_column(units, res.zone_attr, f"{source}: {where}.zone_attr", units_path)
        for c in res.per_ha:
            claim_ok(c, f"{where}.per_ha")
        absent = sorted(set(res.cap) - set(pd.unique(units[res.zone_attr].dropna())))
        if absent:
            warnings.append(f"{source}: {where}.cap: zones {absent} have no units; their caps constrain nothing")

    if config.budget and config.budget.cost_attr:
        _need_column(units, config.budget.cost_attr, f"{source}: budget.cost_attr", units_path)

    ids = set(units["unit_id"]) if config.locked else set()
    seen = {}
    for i, lk in enumerate(config.locked):
        claim_ok(lk.claim, f"locked[{i}]")
        if lk.unit_id not in ids:
            raise InputError(f"{source}: locked[{i}]: unknown unit_id {lk.unit_id!r}")
        if (lk.unit_id, lk.claim) in seen:
            raise InputError(f"{source}: locked[{i}]: ({lk.unit_id!r}, {lk.claim!r}) is locked twice")
        seen[(lk.unit_id, lk.claim)] = i
    if "protected_claims" in config.model_fields_set:
        for c in config.protected_claims:
            claim_ok(c, "protected_claims")
    return warnings


def normalise_units(config: InstanceConfig, units: pd.DataFrame) -> None:
    """Spell categories as ``distance_m`` does ("5.0" → "5") and make ``protected`` a plain bool column."""
    ez = config.env_zoning
    if ez and ez.existing_category_attr and ez.existing_category_attr in units.columns:
        col = ez.existing_category_attr
        values = units[col].to_numpy(dtype=object).copy()
        for spelled in {v for v in values if isinstance(v, str)}:
            values[values == spelled] = match_category(spelled, ez.distance_m)
        units[col] = pd.Series(values, index=units.index, dtype=object)
    if "protected" in units.columns:
        flags = units["protected"].to_numpy(dtype=object)
        protected = np.zeros(len(flags), dtype=bool)
        present = ~pd.isna(flags)
        protected[present] = flags[present].astype(bool)  # truthiness, as bool(v): missing is not protected
        units["protected"] = pd.Series(protected.astype(object), index=units.index, dtype=object)
