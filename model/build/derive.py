"""Derived unit columns for ``build``: classes from attributes, quotas placed by rank, linear scales.

Both are data, never code: a condition is ``unit[attr] op value`` evaluated by
:func:`ruimtepuzzel.model.prepare.rules.rule_mask` (a missing value never matches), exactly as an
instance's layer rules are, on the column as the units reader types it (:func:`as_read`): any
integer or float column, or an object column of numbers, compares as numbers (``34000 >= 100000``
is false), booleans as booleans, anything else as text by its spelling. Every comparison the
build makes (``classes`` cases, a quota's ``among`` and the units already holding its value, an
attribute's ``where``) goes through :func:`matches`.

- **classes** (``{classes: {name, default, cases}}``): the column ``name`` takes the
  ``value`` of the first case whose conditions all hold (an AND list; give two cases
  with the same value for an OR), else ``default``. Units no case matches keep the
  column's current value when ``default`` is absent and the column exists.
- **quota** (``{quota: {...}}``): per region of ``level``, the units that meet
  ``among`` are ranked by a score, lowest first, ``Σ weight · |attr − target|`` over
  ``rank_by`` (ties by ``unit_id``), and the first ones get ``column = value`` (and
  the constant columns of ``set``) until the region holds ``share · target`` hectares
  with that value; area that already has the value counts. With ``count_existing: false``
  the step places its own ``share · target`` hectares whatever already holds the value, but
  never takes a region beyond its whole target (there the held area counts): e.g. 15 % of the
  stock as urban parks, also in a province whose port land already holds most of it. Targets come from a CSV
  table (``region_col``, ``value_col``, in ha). The last unit taken may overshoot the
  target by less than its own area; a region whose candidates run out stays below its
  target, with a warning that names it.
- **scale** (``{scale: {name, attr, offset, slope, min, max}}``): ``name = clip(offset + slope ·
  attr, min, max)``, e.g. a suitability that falls with the distance to a town.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.schema import RULE_OPS, InstanceConfig, Rule
from ruimtepuzzel.model.prepare.rules import rule_mask

Scalar = Union[bool, float, str]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Condition(Strict):
    attr: str
    op: str
    value: Scalar

    @model_validator(mode="after")
    def _op(self):
        if self.op not in RULE_OPS:
            raise ValueError(f"op {self.op!r} is not one of {list(RULE_OPS)}")
        return self


class Case(Strict):
    value: Scalar
    when: list[Condition] = Field(min_length=1)


class Classes(Strict):
    name: str
    default: Optional[Scalar] = None
    cases: list[Case] = Field(min_length=1)


class Targets(Strict):
    file: str
    region_col: str
    value_col: str


class RankTerm(Strict):
    attr: str
    target: float = 0.0
    weight: float = 1.0


class Quota(Strict):
    column: str
    value: Scalar
    level: str
    targets: Targets
    share: float = Field(default=1.0, gt=0)
    among: list[Condition] = Field(default_factory=list)
    rank_by: list[RankTerm] = Field(min_length=1)
    set: dict[str, Scalar] = Field(default_factory=dict)
    count_existing: bool = True


class Scale(Strict):
    name: str
    attr: str
    offset: float = 0.0
    slope: float = 1.0
    min: Optional[float] = None
    max: Optional[float] = None


class DeriveStep(Strict):
    classes: Optional[Classes] = None
    quota: Optional[Quota] = None
    scale: Optional[Scale] = None

    @model_validator(mode="after")
    def _one(self):
        if sum(x is not None for x in (self.classes, self.quota, self.scale)) != 1:
            raise ValueError("each derive step is exactly one of 'classes', 'quota' and 'scale'")
        return self


def apply_scale(units: pd.DataFrame, step: Scale) -> None:
    """``name = clip(offset + slope · attr, min, max)`` (in place); a missing value stays missing."""
    where = f"derive {step.name!r}"
    _need(units, step.attr, where)
    values = pd.to_numeric(units[step.attr], errors="coerce").to_numpy(float)
    lo = -np.inf if step.min is None else step.min
    hi = np.inf if step.max is None else step.max
    units[step.name] = np.round(np.clip(step.offset + step.slope * values, lo, hi), 6)


def _need(units: pd.DataFrame, col: str, where: str) -> None:
    if col not in units.columns:
        raise InputError(f"{where}: no column {col!r}; columns: {sorted(c for c in units.columns)}")


def as_read(col: pd.Series) -> pd.Series:
    """The column typed as the units reader types a written units file: numbers (an integer or float dtype, or an
    object column whose present values are all numbers) as floats with NaN for missing, booleans unchanged, anything
    else unchanged (text). Without it an integer column would compare as text ("34000" >= "100000")."""
    if pd.api.types.is_bool_dtype(col):
        return col
    if pd.api.types.is_numeric_dtype(col):
        return col.astype(float)
    if col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in ("integer", "floating", "mixed-integer-float"):
        return pd.Series(pd.to_numeric(col, errors="coerce"), index=col.index, dtype=float)
    return col


def matches(units: pd.DataFrame, conditions: list[Condition], where: str) -> np.ndarray:
    """Boolean array (one per row of ``units``): the rows meeting every condition (an empty list: all rows), each
    ``attr op value`` compared as an instance rule is (:func:`rule_mask`) on the column typed by :func:`as_read`;
    a missing value never matches. A condition naming a column ``units`` lacks is an :class:`InputError`."""
    config = InstanceConfig.model_validate({"name": "build", "regions": ["_"], "claims": {"_": {}}})  # no code columns here
    hit = np.ones(len(units), dtype=bool)
    for c in conditions:
        _need(units, c.attr, where)
        view = pd.DataFrame({c.attr: as_read(units[c.attr]).reset_index(drop=True)})
        hit &= rule_mask(view, Rule(name=where, attr=c.attr, op=c.op, value=c.value), config)
    return hit


def holding(units: pd.DataFrame, column: str, value: Scalar, where: str) -> np.ndarray:
    """Rows whose ``column`` equals ``value``, compared as :func:`matches` does (all False while the column is absent)."""
    if column not in units.columns:
        return np.zeros(len(units), dtype=bool)
    return matches(units, [Condition(attr=column, op="==", value=value)], where)


def apply_classes(units: pd.DataFrame, step: Classes) -> None:
    """Set ``step.name`` from the first matching case (in place)."""
    where = f"derive {step.name!r}"
    if step.default is None and step.name in units.columns:
        out = units[step.name].to_numpy(dtype=object).copy()
    else:
        out = np.full(len(units), step.default, dtype=object)
    decided = np.zeros(len(units), dtype=bool)
    for case in step.cases:
        hit = matches(units, case.when, where) & ~decided
        out[hit] = case.value
        decided |= hit
    units[step.name] = _typed(out)


def _typed(values: np.ndarray) -> pd.Series:
    """Numbers as floats and booleans as bools when every present value is one; else objects."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present) and len(present) == len(values):
        return pd.Series(values.astype(bool))
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pd.Series(np.array([np.nan if v is None else float(v) for v in values]))
    return pd.Series(values, dtype=object)


def read_targets(path: Path, targets: Targets) -> dict[str, float]:
    """Region code → target hectares from a CSV table; an error names the file and column."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: cannot read the quota targets: {exc}") from None
    for col in (targets.region_col, targets.value_col):
        if col not in table.columns:
            raise InputError(f"{path}: no column {col!r}; columns: {list(table.columns)}")
    values = pd.to_numeric(table[targets.value_col], errors="coerce")
    if values.isna().any():
        row = int(np.flatnonzero(values.isna())[0])
        raise InputError(f"{path}: column {targets.value_col!r} must be numeric; line {row + 2} has {table[targets.value_col].iloc[row]!r}")
    return dict(zip(table[targets.region_col].str.strip(), values.astype(float)))


def apply_quota(units: pd.DataFrame, step: Quota, base: Path, warnings: list[str]) -> None:
    """Give ``column = value`` to the best-ranked units per region until the target area (in place)."""
    where = f"quota {step.column}={step.value!r}"
    _need(units, step.level, where)
    targets = read_targets(base / step.targets.file, step.targets)
    for term in step.rank_by:
        _need(units, term.attr, where)
    held = holding(units, step.column, step.value, where)  # the units holding the value already (they count)
    if step.column not in units.columns:
        units[step.column] = pd.Series(np.full(len(units), None, dtype=object))
    column = units[step.column].to_numpy(dtype=object).copy()
    extra = {k: units[k].to_numpy(dtype=object).copy() if k in units.columns else np.full(len(units), None, dtype=object)
             for k in step.set}
    area = units["area_ha"].to_numpy(float)
    score = np.zeros(len(units))
    for term in step.rank_by:
        score += term.weight * np.abs(np.nan_to_num(units[term.attr].to_numpy(float), nan=np.inf) - term.target)
    candidate = matches(units, step.among, where) & ~held
    region = units[step.level].to_numpy(dtype=object)
    order = np.lexsort((units["unit_id"].to_numpy(dtype=object).astype(str), score))
    for code, target in targets.items():
        in_region = region == code
        holding_ha = area[in_region & held].sum()
        need = (min(step.share * target, target - holding_ha) if not step.count_existing
                else step.share * target - holding_ha)
        if need <= 0:
            continue
        ranked = order[(in_region & candidate)[order]]
        before = np.cumsum(area[ranked]) - area[ranked]  # area taken before each unit
        take = ranked[before < need]
        if area[take].sum() < need - 1e-9:
            warnings.append(f"{where}: region {code} reaches {area[take].sum():,.0f} of {need:,.0f} ha (no more candidates)")
        column[take] = step.value
        held[take] = True
        for key, val in step.set.items():
            extra[key][take] = val
    units[step.column] = _typed(column)
    for key, values in extra.items():
        units[key] = _typed(values)


def apply_steps(units: pd.DataFrame, steps: list[DeriveStep], base: Path, warnings: list[str]) -> None:
    """Run the derive steps in order (each sees the columns of the steps before it)."""
    for step in steps:
        if step.classes is not None:
            apply_classes(units, step.classes)
        elif step.quota is not None:
            apply_quota(units, step.quota, base, warnings)
        else:
            apply_scale(units, step.scale)
