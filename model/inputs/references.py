"""Cross-references: every name the configuration uses, checked against claims, regions and unit columns."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ruimtepuzzel.model.errors import InputError, quoted
from ruimtepuzzel.model.inputs.schema import NATIONAL, InstanceConfig, Rule, match_category, unknown_category
from ruimtepuzzel.model.inputs.table import Dialect
from ruimtepuzzel.model.inputs.units import BOOLEAN, NUMBER, TEXT, referenced_code_columns
from ruimtepuzzel.model.inputs.values import Refused, number_or_none, read_number, read_rule_flag, spelled, spells_boolean_word


def column_kind(col: pd.Series) -> str:
    """number (a float column), boolean (every present value a bool), text (anything else)."""
    if col.dtype == float:
        return NUMBER
    if pd.api.types.infer_dtype(col, skipna=True) == "boolean":
        return BOOLEAN
    return TEXT


def _shown(value) -> str:
    return spelled(value) if not isinstance(value, str) else quoted(value)


def rule_value(config: InstanceConfig, units: pd.DataFrame, rule: Rule, dialect: Optional[Dialect] = None,
               source: str = "instance.yaml"):
    """A rule's ``value`` read in its column's type (docs/instances.md, *Reading values*): a number against a numeric column
    ("1" is 1), a boolean against a boolean column ("ja" is true), the spelling against a text column.

    True/false against a column of 0/1 numbers is 1/0. A value that cannot be read in the
    column's type, or a number against a column that mixes numbers and text, is an input
    error naming the rule.
    """
    col = units[rule.attr]
    kind = column_kind(col)
    where = f"{source}: rules ({rule.name}): value {_shown(rule.value)}"
    present = col.notna().to_numpy()
    if not present.any():  # an empty column: a missing value never matches, whatever the value
        if kind == NUMBER:
            return number_or_none(spelled(rule.value)) or 0.0
        return spelled(rule.value)
    if kind == BOOLEAN:
        flag = read_rule_flag(rule.value)
        if flag is None:
            raise InputError(f"{where}: column {rule.attr!r} holds booleans, and this is not one "
                             "(true/false, yes/no, ja/nee, j/n, waar/onwaar, on/off, 1/0)")
        return flag
    if kind == NUMBER:
        numbers = col.to_numpy(float)
        if spells_boolean_word(rule.value):
            values = set(np.unique(numbers[present]).tolist())
            if values <= {0.0, 1.0}:
                return 1.0 if read_rule_flag(rule.value) else 0.0
            other = sorted(values - {0.0, 1.0})[0]
            raise InputError(f"{where}: column {rule.attr!r} holds numbers, not booleans (e.g. {other:g})")
        if not isinstance(rule.value, str):
            return float(rule.value)
        number = number_or_none(rule.value)
        if number is None:
            try:
                read_number(rule.value)
            except Refused as exc:
                raise InputError(f"{where}: column {rule.attr!r} holds numbers, and {exc}") from None
        return number
    # text
    if isinstance(rule.value, bool) or spells_boolean_word(rule.value) and rule.attr not in referenced_code_columns(config):
        sample = col[present].iloc[0]
        raise InputError(f"{where}: column {rule.attr!r} holds text, not booleans (e.g. {sample!r})")
    text = spelled(rule.value)
    if rule.attr in referenced_code_columns(config):
        ez = config.env_zoning
        if ez is not None and rule.attr == ez.existing_category_attr:
            if not ez.knows(text):
                raise InputError(f"{where}: column {rule.attr!r} holds environmental categories, and "
                                 f"{unknown_category(text, ez.distance_m)}")
            return ez.category(text)
        return text
    if number_or_none(text) is not None:  # a number against text: refused if some cells are numbers (n.v.t. among 0/1)
        codes, uniques = pd.factorize(col)
        numeric = np.array([isinstance(v, str) and number_or_none(v) is not None for v in uniques], dtype=bool)
        text_cells = np.flatnonzero((codes >= 0) & ~numeric[np.maximum(codes, 0)])
        if numeric.any() and len(text_cells):  # every cell a number spelled as text ("5.3") is not a mix
            i = int(text_cells[0])
            line = dialect.where(i) if dialect is not None else f"unit_id {units['unit_id'].iloc[i]!r}"
            raise InputError(f"{where}: a number, but column {rule.attr!r} mixes numbers and text: {line} has "
                             f"{col.iloc[i]!r} (leave a missing value empty, or write NA)")
    return text


def _near_spelling(code: str, codes, path: Path, where: str) -> str:
    """A hint when ``code`` differs from a code in the file only by leading zeros or a trailing .0 (a spreadsheet's doing)."""
    def bare(text: str) -> str:
        text = text.lstrip("0") or "0"
        return text[:-2] if text.endswith(".0") else text

    same = sorted(c for c in codes if isinstance(c, str) and c != code and bare(c) == bare(code))[:3]
    if not same:
        return ""
    return (f"; {path.name} {where} has {', '.join(repr(c) for c in same)}: codes are compared as written "
            "(did a spreadsheet drop or add leading zeros?)")


def _need_column(units: pd.DataFrame, col: str, where: str, path: Path) -> None:
    if col not in units.columns:
        raise InputError(f"{where} refers to column {quoted(col)}, which {path.name} does not have; "
                         f"columns: {quoted(sorted(units.columns), 400)}")


def validate_references(config: InstanceConfig, units: pd.DataFrame, units_path: Path, source: str,
                        dialect: Optional[Dialect] = None) -> list[str]:
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
            raise InputError(f"{source}: {where}: unknown claim {quoted(name)}; claims are {quoted(sorted(claims), 400)}")

    def level_ok(level: str, where: str) -> None:
        if level not in levels:
            raise InputError(f"{source}: {where}: unknown region level {quoted(level)}; levels are {quoted(sorted(levels), 400)}")

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
        for attr in (claim.suitability_attr, claim.cost_attr):
            if attr:
                _need_column(units, attr, where, units_path)
        if claim.env_category is not None:
            if config.env_zoning is None:
                raise InputError(f"{where}.env_category: {claim.env_category!r} given but there is no env_zoning section")
            if not config.env_zoning.knows(claim.env_category):
                raise InputError(f"{where}.env_category: {unknown_category(claim.env_category, config.env_zoning.distance_m)}")

    for i, d in enumerate(config.demand):
        where = f"demand[{i}]"
        claim_ok(d.claim, where)
        level_ok(d.level, where)
        if d.level != NATIONAL and d.region not in region_codes(d.level):
            raise InputError(f"{source}: {where}: unknown region {quoted(d.region)} at level {d.level!r}"
                             f"{_near_spelling(d.region, region_codes(d.level), units_path, f'column {d.level!r}')}")
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
        if r.op in (">", ">=", "<", "<=") and column_kind(col) != NUMBER:
            raise InputError(
                f"{source}: {where}: op {r.op!r} needs a numeric column; column '{r.attr}' holds "
                f"{column_kind(col)} (value {_shown(r.value)})"
            )
        value = rule_value(config, units, r, dialect, source)
        if r.op in (">", ">=", "<", "<=") and not isinstance(value, float):
            raise InputError(f"{source}: {where}: op {r.op!r} needs a number; value is {_shown(r.value)}")

    if config.env_zoning:
        ez = config.env_zoning
        if ez.existing_category_attr:
            _need_column(units, ez.existing_category_attr, f"{source}: env_zoning.existing_category_attr", units_path)
            col = units[ez.existing_category_attr]
            unknown = sorted(c for c in pd.unique(col.dropna()) if not ez.knows(c))
            if unknown:
                i = int(np.flatnonzero((col == unknown[0]).to_numpy())[0])
                line = dialect.where(i) if dialect is not None else f"unit_id {quoted(units['unit_id'].iloc[i])}"
                more = f" ({len(unknown)} unknown categories: {quoted(unknown, 200)})" if len(unknown) > 1 else ""
                raise InputError(f"{units_path}: column {ez.existing_category_attr!r} {line}: "
                                 f"{unknown_category(unknown[0], ez.distance_m)}{more}")
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
        for c in res.per_ha:
            claim_ok(c, f"{where}.per_ha")
        if res.zone_attr is None:
            continue
        _need_column(units, res.zone_attr, f"{source}: {where}.zone_attr", units_path)
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
            raise InputError(f"{source}: locked[{i}]: unknown unit_id {quoted(lk.unit_id)}"
                             f"{_near_spelling(lk.unit_id, ids, units_path, 'column unit_id')}")
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
        for text in {v for v in values if isinstance(v, str)}:
            values[values == text] = match_category(text, ez.distance_m)
        units[col] = pd.Series(values, index=units.index, dtype=object)
    if "protected" in units.columns:
        flags = units["protected"].to_numpy(dtype=object)
        protected = np.array([v is not None and bool(v) for v in flags], dtype=bool)  # a boolean column; missing is not protected
        units["protected"] = pd.Series(protected.astype(object), index=units.index, dtype=object)
