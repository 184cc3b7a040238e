"""Sweep specifications: parameter paths into an instance and the three designs.

A parameter ``path`` points into the merged instance configuration (instance.yaml
plus the scenario), in a small grammar — never evaluated as code:

    demand[claim=housing,region=PV28].min_ha     list items selected by key=value
    resources.grid_mw.cap.Z1                     mapping keys
    rules[name=wbs-flood-depth].value            a rule's threshold
    claims.housing.value_per_ha                  an objective weight
    demand[0].max_ha                             a list item by position

A selector may match several items (``demand[claim=business].min_ha``): the
parameter then sets, or with ``factors`` multiplies, every matched value — a
multiplier on a group. Paths are resolved before anything runs; an unknown key or
a selector that matches nothing is an error naming the parameter.

Designs: ``grid`` (every combination of ``values``/``factors``), ``oat`` (the base
plus each parameter's values one at a time, the others at their base) and
``monte_carlo`` (``samples`` draws from named distributions with a ``seed``).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal, Optional, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ruimtepuzzel.model.inputs.path_language import assign_path, locate, parse_path  # noqa: F401 - locate, parse_path: the sweep's callers import them here
from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.config import format_validation_error, read_yaml
from ruimtepuzzel.model.inputs.schema import repeated

Scalar = Union[float, int, bool, str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Distribution(_Strict):
    kind: Literal["uniform", "normal", "triangular"]
    low: Optional[float] = None
    high: Optional[float] = None
    mode: Optional[float] = None
    mean: Optional[float] = None
    sd: Optional[float] = Field(default=None, gt=0)
    clip: Optional[tuple[float, float]] = None  # keep draws within [lo, hi] (e.g. areas ≥ 0)

    @model_validator(mode="after")
    def _params(self):
        need = {"uniform": ("low", "high"), "normal": ("mean", "sd"), "triangular": ("low", "mode", "high")}[self.kind]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.kind} distribution needs {', '.join(need)}; missing {', '.join(missing)}")
        if self.kind in ("uniform", "triangular") and self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.kind == "triangular" and not (self.low <= self.mode <= self.high):
            raise ValueError(f"mode {self.mode} is outside [low, high]")
        return self

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.kind == "uniform":
            out = rng.uniform(self.low, self.high, n)
        elif self.kind == "normal":
            out = rng.normal(self.mean, self.sd, n)
        else:
            out = rng.triangular(self.low, self.mode, self.high, n)
        return np.clip(out, *self.clip) if self.clip else out


class Parameter(_Strict):
    path: str
    name: Optional[str] = None  # column name in the table; the path by default
    values: Optional[list[Scalar]] = None  # set every matched value to each of these
    factors: Optional[list[float]] = None  # multiply every matched value by each of these
    distribution: Optional[Distribution] = None  # monte_carlo only
    apply: Literal["set", "scale"] = "set"  # how a drawn number acts (monte_carlo)

    @model_validator(mode="after")
    def _one_source(self):
        given = [k for k in ("values", "factors", "distribution") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of values, factors or distribution (given: {given or 'none'})")
        for k in ("values", "factors"):
            if getattr(self, k) is not None and not getattr(self, k):
                raise ValueError(f"'{k}' is empty")
        return self

    @property
    def label(self) -> str:
        return self.name or self.path

    @property
    def scales(self) -> bool:
        return self.factors is not None or (self.distribution is not None and self.apply == "scale")


class MonteCarlo(_Strict):
    samples: int = Field(gt=0)
    seed: int = 0


class SweepSpec(_Strict):
    design: Literal["grid", "oat", "monte_carlo"]
    parameters: list[Parameter] = Field(min_length=1)
    monte_carlo: Optional[MonteCarlo] = None
    shadow_prices: bool = True  # per scenario, the fixed-integer LP duals (one extra LP each)

    @model_validator(mode="after")
    def _design(self):
        dupes = repeated(p.label for p in self.parameters)
        if dupes:
            raise ValueError(f"parameter names must be unique; repeated: {dupes} (give 'name')")
        mc = self.design == "monte_carlo"
        if mc and self.monte_carlo is None:
            raise ValueError("design monte_carlo needs 'monte_carlo: {samples: N, seed: S}'")
        for p in self.parameters:
            if mc and p.distribution is None:
                raise ValueError(f"parameter {p.label!r}: design monte_carlo needs a 'distribution'")
            if not mc and p.distribution is not None:
                raise ValueError(f"parameter {p.label!r}: a 'distribution' needs design monte_carlo")
        return self


def load_spec(path) -> SweepSpec:
    data = read_yaml(path)
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(format_validation_error(str(path), exc)) from None


# --------------------------------------------------------------------------- paths

def assign(data: dict, param: Parameter, value) -> None:
    """Set (or scale) every value the parameter's path addresses, in place (see :func:`ruimtepuzzel.model.inputs.path_language.assign_path`)."""
    assign_path(data, param.path, value, param.scales, param.label)


# --------------------------------------------------------------------------- designs


@dataclass(frozen=True)
class Point:
    """One scenario of a design: its id and the value of each parameter (None = the base)."""

    scenario: str
    values: tuple  # aligned with spec.parameters
    varied: Optional[str] = None  # oat: the parameter this point moves


def design_points(spec: SweepSpec) -> list[Point]:
    params = spec.parameters
    if spec.design == "grid":
        combos = itertools.product(*[p.values if p.values is not None else p.factors for p in params])
        return [Point(f"S{i:04d}", tuple(c)) for i, c in enumerate(combos)]
    if spec.design == "oat":
        points = [Point("S0000", tuple([None] * len(params)), varied=None)]
        for j, p in enumerate(params):
            for v in (p.values if p.values is not None else p.factors):
                values = [None] * len(params)
                values[j] = v
                points.append(Point(f"S{len(points):04d}", tuple(values), varied=p.label))
        return points
    rng = np.random.default_rng(spec.monte_carlo.seed)
    draws = np.column_stack([p.distribution.draw(rng, spec.monte_carlo.samples) for p in params])
    return [Point(f"S{i:04d}", tuple(float(v) for v in row)) for i, row in enumerate(draws)]


def effective_data(base: dict, spec: SweepSpec, point: Point) -> dict:
    import copy

    data = copy.deepcopy(base)
    for param, value in zip(spec.parameters, point.values):
        if value is not None:
            assign(data, param, value)
    return data
