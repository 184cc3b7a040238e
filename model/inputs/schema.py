"""The `instance.yaml` schema (docs/instances.md), as pydantic models.

Unknown keys are errors (``extra="forbid"``); rule operators are a closed set,
never evaluated as code. Cross-references (claims named in demand, rules on
absent columns, unknown regions) need the units table and are checked in
:mod:`.references`.
"""
from __future__ import annotations

from collections import Counter
from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RULE_OPS = (">", ">=", "<", "<=", "==", "!=")
NATIONAL = "national"


def category_str(value) -> str:
    """Spell an environmental category (or any code) the way the instance author wrote it.

    ``4.1`` read from CSV means category ``"4.1"``; ``5.0`` means ``"5"``.
    """
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def repeated(values) -> list:
    """The values that occur more than once, sorted."""
    counts = Counter(values)
    return sorted(v for v, n in counts.items() if n > 1)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Claim(Strict):
    value_per_ha: float = 0.0
    sensitive: bool = False
    suitability_attr: Optional[str] = None
    env_category: Optional[str] = None
    min_site_ha: Optional[float] = Field(default=None, gt=0)
    stacks_on: list[str] = Field(default_factory=list)
    area_factor: float = Field(default=1.0, gt=0)
    divisible: bool = False
    cost_attr: Optional[str] = None
    label: Optional[str] = None  # extension: display name in reports

    @field_validator("env_category", mode="before")
    @classmethod
    def _category(cls, v):
        return None if v is None else category_str(v)

    @property
    def stacking(self) -> bool:
        return bool(self.stacks_on)


class Demand(Strict):
    level: str
    region: Optional[str] = None
    claim: str
    min_ha: Optional[float] = Field(default=None, ge=0)
    max_ha: Optional[float] = Field(default=None, ge=0)
    measure: Optional[str] = None
    min: Optional[float] = Field(default=None, ge=0)
    max: Optional[float] = Field(default=None, ge=0)
    shortfall_penalty: Optional[float] = Field(default=None, ge=0)
    weight: float = Field(default=1.0, ge=0)
    name: Optional[str] = None  # extension: label in reports

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, v):
        return None if v is None else category_str(v)

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


RuleValue = Union[bool, float, str]


class Rule(Strict):
    name: str
    layer: Optional[Literal["substrate", "networks", "occupation"]] = None
    claims: Optional[list[str]] = None
    attr: str
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: RuleValue
    effect: Literal["exclude", "penalty"] = "exclude"
    per_ha: Optional[float] = None
    description: Optional[str] = None

    @model_validator(mode="after")
    def _penalty(self):
        if self.effect == "penalty" and self.per_ha is None:
            raise ValueError(f"rule '{self.name}' has effect 'penalty' but no 'per_ha'")
        if self.effect == "exclude" and self.per_ha is not None:
            raise ValueError(f"rule '{self.name}' has effect 'exclude'; 'per_ha' applies to penalties only")
        return self


class EnvZoning(Strict):
    distance_m: dict[str, float]
    existing_category_attr: Optional[str] = None
    sensitive_uses: list[str] = Field(default_factory=list)

    @field_validator("distance_m", mode="before")
    @classmethod
    def _keys(cls, v):
        if isinstance(v, dict):
            return {category_str(k): d for k, d in v.items()}
        return v

    @field_validator("distance_m")
    @classmethod
    def _nonneg(cls, v):
        for k, d in v.items():
            if d < 0:
                raise ValueError(f"distance for category '{k}' is negative: {d}")
        return v


class Balance(Strict):
    level: str
    work_claims: list[str]
    housing_claim: str
    work_ha_per_housing_ha: float = Field(ge=0)
    penalty_per_ha: Optional[float] = Field(default=None, ge=0)


class Compensation(Strict):
    level: str
    business_use: str
    work_claims: list[str]


class Resource(Strict):
    zone_attr: str
    per_ha: dict[str, float]
    cap: dict[str, float]
    unit: Optional[str] = None  # extension: e.g. "MW", used in reports

    @field_validator("cap", mode="before")
    @classmethod
    def _zones(cls, v):
        if isinstance(v, dict):
            return {category_str(k): c for k, c in v.items()}
        return v


class Budget(Strict):
    cost_attr: Optional[str] = None
    max_eur: Optional[float] = Field(default=None, ge=0)
    max_relocation_eur_per_m2: Optional[float] = None

    @model_validator(mode="after")
    def _needs_attr(self):
        if self.max_relocation_eur_per_m2 is not None and self.cost_attr is None:
            raise ValueError("'max_relocation_eur_per_m2' needs 'cost_attr'")
        return self


SENSES = ("max_value", "min_cost", "min_shortfall", "max_min_fulfilment")


class Objective(Strict):
    sense: Literal["max_value", "min_cost", "min_shortfall", "max_min_fulfilment"] = "max_value"
    shortfall_penalty_per_ha: float = Field(default=1000.0, ge=0)


class SolverConfig(Strict):
    name: str = "highs"
    mip_rel_gap: float = Field(default=0.01, ge=0)
    time_limit_s: float = Field(default=600.0, gt=0)
    threads: int = Field(default=2, ge=0)
    seed: int = Field(default=0, ge=0)
    presolve: Literal["off", "light", "full"] = "light"  # extension, see README
    aggregate: bool = False  # extension: merge interchangeable units into classes (exact; see model/solve/aggregate.py)
    options: dict[str, Union[bool, int, float, str]] = Field(default_factory=dict)  # extension: raw solver options


class Locked(Strict):
    unit_id: str
    claim: str

    @field_validator("unit_id", mode="before")
    @classmethod
    def _id(cls, v):
        return category_str(v)


class InstanceConfig(Strict):
    name: str
    description: Optional[str] = None
    crs: str = "EPSG:28992"
    units: Optional[str] = None
    regions: list[str] = Field(min_length=1)
    claims: dict[str, Claim] = Field(min_length=1)
    demand: list[Demand] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    env_zoning: Optional[EnvZoning] = None
    balance: list[Balance] = Field(default_factory=list)
    compensation: Optional[Compensation] = None
    resources: dict[str, Resource] = Field(default_factory=dict)
    budget: Optional[Budget] = None
    objective: Objective = Field(default_factory=Objective)
    solver: SolverConfig = Field(default_factory=SolverConfig)
    locked: list[Locked] = Field(default_factory=list)
    protected_claims: list[str] = Field(default_factory=lambda: ["business"])
    region_names: dict[str, dict[str, str]] = Field(default_factory=dict)  # extension: display names per level and code

    @field_validator("region_names", mode="before")
    @classmethod
    def _region_codes(cls, v):
        if isinstance(v, dict):
            return {level: ({category_str(code): name for code, name in names.items()} if isinstance(names, dict) else names)
                    for level, names in v.items()}
        return v

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
