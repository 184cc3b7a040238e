"""The Python API: ruimtepuzzel from a notebook or a script.

The same pipeline as the command line, one step at a time:

    import ruimtepuzzel as rp

    instance = rp.load("demo")                # a built-in instance by name, or a folder
    rp.validate(instance)                     # units, pairs, demands, warnings (as `validate --json`)
    prep = rp.prepare(instance)               # allowed (unit, claim) pairs after the hard rules
    problem = rp.build_problem(prep)          # the labelled sparse MIP, one block per constraint family
    run = rp.solve(instance, gap=0.01)        # solve with HiGHS; nothing is written
    run.allocation, run.summary, run.duals    # DataFrames keyed by unit_id, region codes and claim
    rp.allocation_frame(run, geo=True)        # the allocation as a GeoDataFrame (needs the gis extra)

and through Pyomo, to add constraints of one's own:

    pm = rp.pyomo_model(prep, problem)        # a Pyomo ConcreteModel and the map from variables to pairs
    pm.model.my_rule = ...                    # any Pyomo constraint over pm.pairs["var"]
    run = pm.solve()                          # HiGHS through Pyomo; the same result tables

Every function raises `InputError` for bad input (the
message names the file, key or column and the value), and
`MissingExtraError` when an optional package is needed
(the message names the extra to install). The documentation's *Python API* page is a
worked example of all of it, executed by the tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union

import numpy as np
import pandas as pd

from ruimtepuzzel.model import pipeline
from ruimtepuzzel.model.formulation import formulate
from ruimtepuzzel.model.inputs.builtin import builtin_names, resolve_instance
from ruimtepuzzel.model.inputs.instance import Instance, load_instance
from ruimtepuzzel.model.optional import require
from ruimtepuzzel.model.outputs import extract
from ruimtepuzzel.model.pipeline import Run
from ruimtepuzzel.model.prepare.pairs import prepare as _prepare
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.prepare.summary import summarise
from ruimtepuzzel.model.problem import Problem
from ruimtepuzzel.model.solve.stages import solve_options, status_error
from ruimtepuzzel.solvers import SolveResult

__all__ = [
    "builtin_instances", "load", "validate", "prepare", "build_problem", "solve", "run",
    "units_frame", "allocation_frame", "pyomo_model", "PyomoModel", "Run", "alternatives",
]



def builtin_instances() -> list[str]:
    """The names of the built-in instances (``demo``, ``nl-provinces``…), as ``ruimtepuzzel instances`` lists them."""
    return builtin_names()


def load(instance: Optional[Union[str, Path]] = None, scenario: Optional[str] = None,
         overrides: Optional[dict] = None) -> Instance:
    """Load and check an instance: a folder, or the name of a built-in instance (None: ``nl-provinces``).

    Args:
        instance: a folder holding ``instance.yaml``, or a built-in instance's name.
        scenario: the name of a file in the instance's ``scenarios/`` (without ``.yaml``), or a YAML file,
            deep-merged onto ``instance.yaml``.
        overrides: a mapping merged last, in the same way (e.g. ``{"objective": {"sense": "min_cost"}}``).

    Returns:
        The loaded instance, with ``.config`` (the validated
        ``instance.yaml``), ``.units`` (a DataFrame, one row per unit, with ``unit_id``, ``area_ha``,
        the region levels and every attribute column) and the unit geometries.

    Raises:
        InputError: the folder, a key, a column or a value is wrong; the message says which.
    """
    return load_instance(resolve_instance(instance), scenario, overrides)


def _instance(instance: Union[str, Path, Instance]) -> Instance:
    return instance if isinstance(instance, Instance) else load(instance)


def validate(instance: Union[str, Path, Instance]) -> dict:
    """Check an instance without solving: what ``ruimtepuzzel validate --json`` prints.

    Returns:
        A dict with ``units``, ``area_ha``, ``regions`` (count per level), ``pairs``,
        ``pairs_per_claim``, ``eligible_ha_per_claim``, ``demand_rows``, ``zoning_conflicts``,
        ``locked`` and ``warnings`` (e.g. a demand larger than all eligible land, with the figures).
    """
    return summarise(_prepare(_instance(instance)))


def prepare(instance: Union[str, Path, Instance]) -> Prepared:
    """Apply the hard rules: the allowed (unit, claim) pairs and the spatial relations.

    Returns:
        The prepared instance. ``.pairs`` has one row
        per allowed pair (``unit`` is the unit's row in ``instance.units``, ``claim``, ``used_ha``,
        ``value``, ``penalty``, ``cost_eur``); pair j is column j of the problem. ``.exclusions`` is
        what each hard rule removed (``rules.csv``); ``.zoning`` the conflicting pairs.
    """
    return _prepare(_instance(instance))


def build_problem(prep: Prepared, sense: Optional[str] = None) -> Problem:
    """Formulate the MIP: every constraint family's labelled rows and the objective.

    Args:
        prep: from `prepare`.
        sense: an objective sense other than the instance's (``max_value``, ``min_cost``,
            ``min_shortfall``, ``max_min_fulfilment``).

    Returns:
        The problem, with ``.groups`` (variable groups with labels;
        ``x`` first, column j = pair j), ``.blocks`` (row blocks with their family and labels),
        ``.size()``.
    """
    return formulate(prep, sense)


def solve(instance: Union[str, Path, Instance], *, solver: Optional[str] = None, time_limit: Optional[float] = None,
          gap: Optional[float] = None, threads: Optional[int] = None, seed: Optional[int] = None,
          progress: Optional[Callable[[str], None]] = None) -> Run:
    """Prepare, formulate and solve an instance in memory; nothing is written.

    Solver settings default to the instance's ``solver`` section (``gap=0`` asks for a proven
    optimum). ``solver`` is ``highs`` (default), ``pyomo-highs`` or any Pyomo solver name (those
    need the ``pyomo`` extra).

    Returns:
        The run, with ``.allocation`` (one row per allocated
        (``unit_id``, ``claim``) pair with its region codes, ``used_ha`` and ``share``), ``.summary``
        (per level, region and claim: demand, allocated, shortfall, % met), ``.duals`` (shadow
        prices with the integer decisions fixed), ``.result`` (status, objective, bound, gap) and
        ``.prep`` / ``.problem``. The same tables as ``allocation.csv``, ``summary.csv`` and
        ``duals.csv``.

    Raises:
        InfeasibleError: the hard constraints cannot hold together; the message is the diagnosis.
        NoSolutionError: the time limit passed without a feasible allocation.
    """
    instance = _instance(instance)
    opts = solve_options(instance, solver, time_limit, gap, threads, seed)
    return pipeline.compute(instance, opts, progress or (lambda message: None))


def run(instance: Optional[Union[str, Path]] = None, *, scenario: Optional[str] = None, out: Optional[Path] = None,
        results_root: Path = Path("results"), report: bool = True, rule_costs: bool = False,
        solver: Optional[str] = None, time_limit: Optional[float] = None, gap: Optional[float] = None,
        threads: Optional[int] = None, seed: Optional[int] = None,
        progress: Optional[Callable[[str], None]] = None) -> Run:
    """Solve like ``ruimtepuzzel solve`` and write the run folder (``run.out``), atomically.

    ``out`` is the run folder itself and must not exist; without it the run goes to
    ``results_root/<instance>/<timestamp>/``. Outputs whose extra is not installed are skipped
    and listed in the manifest's ``skipped_outputs``.
    """
    return pipeline.solve_instance(resolve_instance(instance), scenario=scenario, out=out, results_root=Path(results_root),
                                   solver=solver, time_limit=time_limit, gap=gap, threads=threads, seed=seed,
                                   progress=progress or (lambda message: None), with_rule_costs=rule_costs,
                                   with_report=report)


def _geo(frame: pd.DataFrame, geometry: np.ndarray, crs: str, purpose: str):
    gpd = require("geopandas", extra="gis", purpose=purpose)
    return gpd.GeoDataFrame(frame, geometry=list(geometry), crs=crs)


def units_frame(instance: Instance, geo: bool = False) -> pd.DataFrame:
    """The units table; with ``geo=True`` a GeoDataFrame with each unit's geometry in the instance's CRS (gis extra)."""
    units = instance.units.copy()
    return _geo(units, instance.geometry, instance.config.crs, "units_frame(geo=True)") if geo else units


def allocation_frame(run: Run, geo: bool = False) -> pd.DataFrame:
    """The allocation (``unit_id``, ``claim``, region codes, ``used_ha``, ``share``), one row per allocated pair.

    With ``geo=True`` a GeoDataFrame with each allocated unit's geometry in the instance's CRS, as in
    ``allocation.gpkg`` (needs the gis extra).
    """
    alloc = run.allocation.copy()
    alloc.attrs = {}
    if not geo:
        return alloc
    units = run.allocation.attrs.get("unit_index", np.empty(0, np.int64))
    return _geo(alloc, run.instance.geometry_of(units), run.instance.config.crs, "allocation_frame(geo=True)")


@dataclass
class PyomoModel:
    """A formulated problem as a Pyomo ``ConcreteModel``, with the map from its variables back to pairs.

    Each variable group of the problem is an indexed ``Var`` (``model.x`` for the allocation,
    ``model.shortfall``…) and each row block an indexed ``Constraint`` named after it
    (``model.single_use``, ``model.demand_floor``…). ``model.x[j]`` is pair j.

    Attributes:
        model: the Pyomo ``ConcreteModel``; add components to it as to any Pyomo model.
        variables: every Pyomo variable in the problem's column order.
        pairs: one row per allocation variable: ``unit_id``, ``claim``, the region codes, ``used_ha``
            and ``var`` (the Pyomo variable); row j is pair j.
        prep: the prepared instance the model was built from.
        problem: the labelled problem the model was built from.
    """

    model: object
    variables: list
    pairs: pd.DataFrame
    prep: Prepared
    problem: Problem

    def x(self, unit_id: str, claim: str):
        """The Pyomo variable of the pair (``unit_id``, ``claim``); KeyError when the pair is not allowed."""
        hit = np.flatnonzero((self.pairs["unit_id"].to_numpy(dtype=object) == unit_id) & (self.pairs["claim"].to_numpy(dtype=object) == claim))
        if len(hit) == 0:
            raise KeyError(f"({unit_id!r}, {claim!r}) is not an allowed pair (a hard rule removed it, or it does not exist)")
        return self.variables[int(hit[0])]

    def labels(self, group: str) -> pd.DataFrame:
        """The labels of a variable group (``x``, ``shortfall``, ``balance_slack``…) with a ``var`` column."""
        g = self.problem.group(group)
        out = g.labels.copy()
        out["var"] = self.variables[g.slice]
        return out

    def solve(self, solver: str = "pyomo-highs", *, time_limit: Optional[float] = None, gap: Optional[float] = None,
              threads: Optional[int] = None, seed: Optional[int] = None) -> Run:
        """Solve the model as it is now (with any constraints added) and extract the result tables.

        The solution is also loaded into the model's variables (``pyo.value(pm.x(unit_id, claim))``).
        ``solver`` is ``pyomo-highs`` (HiGHS through Pyomo's APPSI interface) or any Pyomo solver
        name; settings default to the instance's ``solver`` section. The model is solved once, as
        built: ``max_min_fulfilment``'s second stage is not run. Shadow prices are not computed.

        Returns:
            The run, with ``.allocation``, ``.summary`` and ``.result``.

        Raises:
            InfeasibleError: the hard constraints cannot hold together, with the diagnosis.
            NoSolutionError: the time limit passed without a feasible allocation.
        """
        from ruimtepuzzel.solvers import check_available, pyomo_backend

        instance = self.prep.instance
        opts = solve_options(instance, solver, time_limit, gap, threads, seed)
        check_available(opts.solver)
        result: SolveResult = pyomo_backend.solve_model(self.model, self.variables, self.problem, opts)
        error = status_error(result.status, result, self.problem, opts, self.prep)
        if error is not None:
            raise error
        for var, value in zip(self.variables, result.values):  # solved in a worker process: load the values here
            var.set_value(float(value), skip_validation=True)
        allocation = extract.allocation(self.prep, result.values)
        summary = extract.summary(self.prep, allocation)
        return Run(instance, self.prep, self.problem, result, allocation, summary, manifest={}, times=dict(result.times))


def pyomo_model(prep: Prepared, problem: Optional[Problem] = None) -> PyomoModel:
    """Build the Pyomo model of a formulated problem (``problem`` defaults to `build_problem` of ``prep``).

    Needs the ``pyomo`` extra. See `PyomoModel` for what it holds.
    """
    require("pyomo", extra="pyomo", purpose="pyomo_model")
    from ruimtepuzzel.solvers.pyomo_backend import build_pyomo

    problem = problem if problem is not None else formulate(prep)
    model, variables = build_pyomo(problem)
    pairs = prep.pairs
    units = pairs["unit"].to_numpy()
    table = pd.DataFrame({"unit_id": prep.instance.unit_ids()[units], "claim": pairs["claim"].to_numpy(dtype=object)})
    for level in prep.instance.levels:
        table[level] = prep.instance.region_codes(level)[units]
    table["used_ha"] = pairs["used_ha"].to_numpy(float)
    table["var"] = variables[: len(pairs)]
    return PyomoModel(model, variables, table, prep, problem)


def alternatives(instance: Union[str, Path, Instance], *, scenario: Optional[str] = None, slack: float = 0.05, count: int = 5,
                 method: str = "hsj", directions: Optional[Union[str, Path]] = None, seed: Optional[int] = None,
                 ranges: Optional[str] = None, importance: Optional[str] = None, workers: int = 1, scheduler=None,
                 gap: Optional[float] = None, time_limit: Optional[float] = None, threads: Optional[int] = None,
                 out: Optional[Path] = None, report: bool = False,
                 progress: Optional[Callable[[str], None]] = None) -> dict[str, pd.DataFrame]:
    """Near-optimal alternatives, as ``ruimtepuzzel alternatives``: plans within ``slack`` of the optimum, ranges
    per region and claim, replacement costs of plan 0's groups.

    Args:
        instance: a folder, a built-in name or a loaded instance (``scenario`` applies to a folder or name).
        slack: the budget row's slack, a fraction of |z*| in [0, 1).
        count: plans after the optimum (≥ 1); with ``directions`` (a YAML file) one plan per direction.
        method: ``hsj`` or ``directions``.
        ranges: a region level (or ``national``): the least and most ha of every claim per region within the slack.
        importance: ``unit``, ``site`` or a region level: the replacement cost of each group of plan 0.
        out: write the result folder there too (resumable); without it nothing is written.

    Returns:
        ``{"alternatives", "allocation", "selection_frequency", "ranges", "importance"}``: DataFrames with the
        columns of the files of the same names (``ranges``/``importance`` None when not asked for).

    Raises:
        InputError: slack outside [0, 1), count below 1, an unknown level or method, a directions file naming
            unknown regions or claims.
    """
    from ruimtepuzzel.model.analysis.alternatives import alternatives_instance

    target = _instance(instance) if scenario is None else load(instance, scenario)
    outcome = alternatives_instance(target, slack=slack, count=count, method=method, directions_file=directions, seed=seed,
                                    ranges_level=ranges, importance_kind=importance, workers=workers, scheduler=scheduler,
                                    gap=gap, time_limit=time_limit, threads=threads, out=out, report=report and out is not None,
                                    write=out is not None, progress=progress or (lambda message: None))
    return {"alternatives": outcome.alternatives, "allocation": outcome.allocation,
            "selection_frequency": outcome.selection_frequency, "ranges": outcome.ranges, "importance": outcome.importance}
