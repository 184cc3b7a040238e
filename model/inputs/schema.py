"""The `instance.yaml` schema (docs/instances.md), as pydantic models.

Unknown keys are errors (``extra="forbid"``); rule operators are a closed set,
never evaluated as code. Every scalar arrives as its spelling (:mod:`.values`) and is
read here by what the key means: :data:`Number` (finite), :data:`Count`, :data:`Flag`
and :data:`Code` (ids, region codes, categories and claim keys keep their spelling).
A rule's ``value`` stays as written until it meets its column (:mod:`.references`).
Cross-references (claims named in demand, rules on
absent columns, unknown regions) need the units table and are checked in
:mod:`.references`.
"""
from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ruimtepuzzel.model.inputs import settings
from ruimtepuzzel.model.inputs.values import (
    Code, Count, Flag, Number, Refused, number_or_none, read_flag, read_number, spelled,
)

RULE_OPS = (">", ">=", "<", "<=", "==", "!=")
NATIONAL = "national"


category_str = spelled  # the spelling of a code given as a Python value (kept for callers of the old name)


def same_category(a: str, b: str) -> bool:
    """Categories compare by spelling, and a numeric spelling means the category of the same
    number: "5.0" (how CSV writers print a 5) is "5", "4.10" is "4.1"."""
    if a == b:
        return True
    x, y = number_or_none(a), number_or_none(b)
    return x is not None and x == y


def match_category(value: Optional[str], categories) -> Optional[str]:
    """``value`` as spelled in ``categories`` when exactly one of them is the same category; else unchanged."""
    if value is None or value in categories:
        return value
    same = [c for c in categories if same_category(value, c)]
    return same[0] if len(same) == 1 else value


def repeated(values) -> list:
    """The values that occur more than once, sorted."""
    counts = Counter(values)
    return sorted(v for v, n in counts.items() if n > 1)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Claim(Strict):
    value_per_ha: Number = 0.0
    sensitive: Flag = False
    suitability_attr: Optional[str] = None
    env_category: Optional[Code] = None
    min_site_ha: Optional[Number] = Field(default=None, gt=0)
    stacks_on: list[Code] = Field(default_factory=list)
    area_factor: Number = Field(default=1.0, gt=0)
    divisible: Flag = False
    cost_attr: Optional[str] = None
    label: Optional[str] = None  # extension: display name in reports

    @property
    def stacking(self) -> bool:
        return bool(self.stacks_on)


class Demand(Strict):
    level: Code
    region: Optional[Code] = None
    claim: Code
    min_ha: Optional[Number] = Field(default=None, ge=0)
    max_ha: Optional[Number] = Field(default=None, ge=0)
    measure: Optional[str] = None
    min: Optional[Number] = Field(default=None, ge=0)
    max: Optional[Number] = Field(default=None, ge=0)
    shortfall_penalty: Optional[Number] = Field(default=None, ge=0)
    weight: Number = Field(default=1.0, ge=0)
    period: Optional[Count] = None  # phasing: the year whose state meets it (default the last of periods)
    name: Optional[str] = None  # extension: label in reports

    @model_validator(mode="after")
    def _bounds(self):
        if self.measure is None and (self.min is not None or self.max is not None):
            raise ValueError("'min'/'max' need a 'measure'; use 'min_ha'/'max_ha' for hectares")
        if self.measure is not None and (self.min_ha is not None or self.max_ha is not None):
            raise ValueError("a demand with 'measure' is written with 'min'/'max', not 'min_ha'/'max_ha'")
        if self.lower is None and self.upper is None:
            raise ValueError("a demand row needs a floor or a ceiling (min_ha/max_ha, or min/max with a measure)")
        if self.level != NATIONAL and self.region is None:
            raise ValueError(f"a demand at level '{self.level}' needs a 'region'")
        if self.lower is not None and self.upper is not None and self.upper < self.lower:
            raise ValueError(f"ceiling {self.upper} is below floor {self.lower}")
        return self

    @property
    def lower(self) -> Optional[float]:
        return self.min if self.measure else self.min_ha

    @property
    def upper(self) -> Optional[float]:
        return self.max if self.measure else self.max_ha

    @property
    def region_key(self) -> str:
        return self.region if self.level != NATIONAL else "NL"


def _rule_value(value):
    """A rule's value as written: a spelling (read in its column's type later), or a Python scalar."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (bool, int, float)):
        return read_number(value) if not isinstance(value, bool) else value  # finite numbers only
    raise Refused(f"a rule value is one number, boolean or word, not {type(value).__name__}")


RuleValue = Annotated[Union[bool, float, str], BeforeValidator(_rule_value)]


class Rule(Strict):
    name: str
    layer: Optional[Literal["substrate", "networks", "occupation"]] = None
    claims: Optional[list[Code]] = None
    attr: str
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: RuleValue
    effect: Literal["exclude", "penalty"] = "exclude"
    per_ha: Optional[Number] = None
    description: Optional[str] = None

    @model_validator(mode="after")
    def _penalty(self):
        if self.effect == "penalty" and self.per_ha is None:
            raise ValueError(f"rule '{self.name}' has effect 'penalty' but no 'per_ha'")
        if self.effect == "exclude" and self.per_ha is not None:
            raise ValueError(f"rule '{self.name}' has effect 'exclude'; 'per_ha' applies to penalties only")
        return self


class EnvZoning(Strict):
    distance_m: dict[Code, Number]
    existing_category_attr: Optional[str] = None
    sensitive_uses: list[Code] = Field(default_factory=list)
    existing_links: Literal["auto", "pairwise", "aggregated"] = "auto"  # extension: row form of the links to existing uses

    @field_validator("distance_m")
    @classmethod
    def _nonneg(cls, v):
        for k, d in v.items():
            if d < 0:
                raise ValueError(f"distance for category '{k}' is negative: {d}")
        keys = list(v)
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                if same_category(a, b):
                    raise ValueError(f"categories {a!r} and {b!r} are the same category, given twice")
        return v

    def category(self, value: Optional[str]) -> Optional[str]:
        """The key of ``distance_m`` that is the same category as ``value`` ("5.0" → "5"), or ``value`` itself."""
        return match_category(value, self.distance_m)

    def distance_of(self, category: str) -> float:
        return self.distance_m[self.category(category)]


class Balance(Strict):
    level: Code
    work_claims: list[Code]
    housing_claim: Code
    work_ha_per_housing_ha: Number = Field(ge=0)
    penalty_per_ha: Optional[Number] = Field(default=None, ge=0)


class Compensation(Strict):
    level: Code
    business_use: Code
    work_claims: list[Code]
    # true: only new work area beyond the met part of the hectare floors of work_claims at `level` compensates
    additional: Flag = False


class Resource(Strict):
    # extension: without zone_attr the whole instance is one zone, named by the one key of cap (e.g. a national ceiling)
    zone_attr: Optional[str] = None
    per_ha: dict[Code, Number]
    cap: dict[Code, Number]
    unit: Optional[str] = None  # extension: e.g. "MW", used in reports

    @model_validator(mode="after")
    def _one_zone_without_zone_attr(self):
        if self.zone_attr is None and len(self.cap) != 1:
            raise ValueError(f"without zone_attr the instance is one zone: cap needs exactly one key (its name), "
                             f"got {len(self.cap)}: {sorted(self.cap)}")
        return self

    def zones(self, units):
        """The zone of every unit (object array of codes, None outside every zone): the value of ``zone_attr``, or the
        one key of ``cap`` for every unit when ``zone_attr`` is absent."""
        import numpy as np

        if self.zone_attr is None:
            return np.full(len(units), next(iter(self.cap)), dtype=object)
        return units[self.zone_attr].astype(object).to_numpy()


class Budget(Strict):
    cost_attr: Optional[str] = None
    max_eur: Optional[Union[Number, dict[Count, Number]]] = None  # phasing: a mapping from year to euros
    max_relocation_eur_per_m2: Optional[Number] = None

    @model_validator(mode="after")
    def _needs_attr(self):
        if self.max_relocation_eur_per_m2 is not None and self.cost_attr is None:
            raise ValueError("'max_relocation_eur_per_m2' needs 'cost_attr'")
        amounts = self.max_eur.values() if isinstance(self.max_eur, dict) else [self.max_eur]
        if any(a is not None and a < 0 for a in amounts):
            raise ValueError(f"max_eur must be ≥ 0: {self.max_eur}")
        return self

    def limit(self, year: Optional[int] = None) -> Optional[float]:
        """The budget of ``year`` (one amount for every period unless ``max_eur`` maps years to euros)."""
        return self.max_eur[year] if isinstance(self.max_eur, dict) else self.max_eur


SENSES = ("max_value", "min_cost", "min_shortfall", "max_min_fulfilment")


class Objective(Strict):
    sense: Literal["max_value", "min_cost", "min_shortfall", "max_min_fulfilment"] = "max_value"
    shortfall_penalty_per_ha: Number = Field(default=1000.0, ge=0)
    period_weights: dict[Count, Number] = Field(default_factory=dict)  # phasing: w[t] per year (default 1)

    def weight(self, year: Optional[int]) -> float:
        return self.period_weights.get(year, 1.0) if year is not None else 1.0


def _solver_option(value):
    """A raw solver option: a boolean word (true/false, on/off, yes/no), a whole number, a finite number, or text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        number = read_number(value)
        return int(number) if isinstance(value, int) else number
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("true", "false", "on", "off", "yes", "no"):
            return read_flag(text)
        number = number_or_none(text)
        if number is not None:
            return int(number) if number.is_integer() and not any(c in text for c in ".eE") else number
        if text.lower().lstrip("+-.").startswith(("nan", "inf")):
            raise Refused(f"{text!r} is not a finite number")
        return text
    raise Refused(f"a solver option is one number, boolean or word, not {type(value).__name__}")


SolverOption = Annotated[Union[bool, int, float, str], BeforeValidator(_solver_option)]


def _setting(read):
    """A run setting read as the command line reads it (:mod:`.settings`): one rule for --gap and mip_rel_gap."""
    return BeforeValidator(lambda value: read(value) if value is not None else None)


class SolverConfig(Strict):
    name: str = "highs"
    mip_rel_gap: Annotated[float, _setting(settings.gap)] = 0.01  # a fraction: 0.05 is 5 %
    time_limit_s: Annotated[float, _setting(settings.seconds)] = 600.0
    threads: Annotated[int, _setting(settings.threads)] = 2
    seed: Annotated[int, _setting(settings.seed)] = 0
    presolve: Literal["off", "light", "full"] = "light"  # extension, see README
    strategy: Literal["auto", "direct", "lp_first"] = "auto"  # extension: LP relaxation first on large models (solvers/lp_first.py)
    site_cuts: Flag = True  # extension: LP-first adds separator cuts of minimum sites (model/formulation/site_cuts.py)
    aggregate: Flag = False  # extension: merge interchangeable units into classes (exact; see model/solve/aggregate.py)
    options: dict[str, SolverOption] = Field(default_factory=dict)  # extension: raw solver options


class Locked(Strict):
    unit_id: Code
    claim: Code
    period: Optional[Count] = None  # phasing: fixed from this year on (default the first of periods)


class InstanceConfig(Strict):
    name: str
    description: Optional[str] = None
    crs: str = "EPSG:28992"
    units: Optional[str] = None
    regions: list[str] = Field(min_length=1)
    claims: dict[Code, Claim] = Field(min_length=1)
    demand: list[Demand] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    env_zoning: Optional[EnvZoning] = None
    balance: list[Balance] = Field(default_factory=list)
    compensation: Optional[Compensation] = None
    resources: dict[Code, Resource] = Field(default_factory=dict)
    budget: Optional[Budget] = None
    objective: Objective = Field(default_factory=Objective)
    solver: SolverConfig = Field(default_factory=SolverConfig)
    locked: list[Locked] = Field(default_factory=list)
    protected_claims: list[Code] = Field(default_factory=lambda: ["business"])
    region_names: dict[str, dict[Code, str]] = Field(default_factory=dict)  # extension: display names per level and code
    periods: Optional[list[Count]] = None  # phasing: strictly increasing years; absent: one period

    @model_validator(mode="after")
    def _periods(self):
        if self.periods is None:
            where = ([f"demand[{i}].period" for i, d in enumerate(self.demand) if d.period is not None]
                     + [f"locked[{i}].period" for i, lk in enumerate(self.locked) if lk.period is not None]
                     + (["objective.period_weights"] if self.objective.period_weights else [])
                     + (["budget.max_eur (a mapping of years)"] if self.budget and isinstance(self.budget.max_eur, dict) else []))
            if where:
                raise ValueError(f"{where[0]} needs 'periods' (the years of a phased instance)")
            return self
        if not self.periods or any(b <= a for a, b in zip(self.periods, self.periods[1:])):
            raise ValueError(f"periods must be strictly increasing years, got {self.periods}")
        known = set(self.periods)
        for i, d in enumerate(self.demand):
            if d.period is not None and d.period not in known:
                raise ValueError(f"demand[{i}].period: {d.period} is not one of periods {self.periods}")
        for i, lk in enumerate(self.locked):
            if lk.period is not None and lk.period not in known:
                raise ValueError(f"locked[{i}].period: {lk.period} is not one of periods {self.periods}")
        unknown = sorted(set(self.objective.period_weights) - known)
        if unknown:
            raise ValueError(f"objective.period_weights: years {unknown} are not in periods {self.periods}")
        if any(w < 0 for w in self.objective.period_weights.values()):
            raise ValueError("objective.period_weights must be ≥ 0")
        if self.budget and isinstance(self.budget.max_eur, dict) and set(self.budget.max_eur) != known:
            raise ValueError(f"budget.max_eur: give an amount for every period {self.periods} (it has {sorted(self.budget.max_eur)})")
        return self

    @property
    def years(self) -> list:
        """The periods, or [None] for an instance of one period."""
        return list(self.periods) if self.periods else [None]

    def demand_period(self, demand: Demand) -> Optional[int]:
        """The year whose state a demand row is met by (its ``period``, default the last)."""
        return demand.period if demand.period is not None else self.years[-1]

    def locked_period(self, locked: Locked) -> Optional[int]:
        return locked.period if locked.period is not None else self.years[0]

    @model_validator(mode="after")
    def _names(self):
        dupes = repeated(r.name for r in self.rules)
        if dupes:
            raise ValueError(f"rule names must be unique; repeated: {dupes}")
        if NATIONAL in self.regions:
            raise ValueError(f"'{NATIONAL}' is implicit and cannot be a region level")
        unknown = sorted(set(self.region_names) - set(self.regions))
        if unknown:
            raise ValueError(f"region_names: levels {unknown} are not in regions {self.regions}")
        return self

    def region_name(self, level: str, code: str) -> str:
        """The display name of a region (its code when ``region_names`` gives none; "the Netherlands" nationally)."""
        if level == NATIONAL:
            return "the Netherlands"
        return self.region_names.get(level, {}).get(code, code)

    def claim_name(self, claim: str) -> str:
        """The display name of a claim: its ``label``, else its key."""
        c = self.claims.get(claim)
        return (c.label if c is not None and c.label else claim)
