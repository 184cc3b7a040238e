"""The solve pipeline: load → preprocess → formulate → solve → extract → write.

Each step is a function of the previous step's output; times are measured per step
for the manifest. Used by the command line, the Python API, tests and sweeps.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pandas as pd

from ruimtepuzzel import solvers
from ruimtepuzzel.model import optional
from ruimtepuzzel.model.analysis import duals
from ruimtepuzzel.model.analysis.rule_costs import rule_costs
from ruimtepuzzel.model.errors import InfeasibleError, InputError, RuimtepuzzelError
from ruimtepuzzel.model.formulation import formulate, objectives
from ruimtepuzzel.model.inputs.instance import Instance, load_instance
from ruimtepuzzel.model.outputs import extract, styles
from ruimtepuzzel.model.outputs import numbers as fmt
from ruimtepuzzel.model.outputs.names import with_names
from ruimtepuzzel.model.outputs.progress import begin, solver_watch
from ruimtepuzzel.model.outputs.workbook import write_workbook
from ruimtepuzzel.model.outputs import run_folder as results
from ruimtepuzzel.model.outputs.manifest import manifest_of
from ruimtepuzzel.model.prepare.pairs import prepare
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.solve import aggregate
from ruimtepuzzel.model.solve.stages import finite, solve_options, solve_stages, status_error
from ruimtepuzzel.solvers import SolveOptions, SolveResult
from ruimtepuzzel.solvers.highs import fixed_integer_duals

RULES_COLUMNS = ["rule", "claim", "region", "excluded_ha", "level", "excluded_only_ha"]

# outputs beyond the base install's tables: file -> (the modules it needs, the extra that brings them)
OPTIONAL_OUTPUTS = {
    "allocation.gpkg": (("geopandas", "pyogrio"), "gis"),
    "summary.xlsx": (("openpyxl",), "report"),
    "report.html": (("geopandas", "pyogrio", "matplotlib"), "report"),
}


def skipped_outputs(with_report: bool = True) -> dict[str, str]:
    """The optional outputs this install cannot write, each with the reason and the extra to install."""
    skipped = {}
    for name, (modules, extra) in OPTIONAL_OUTPUTS.items():
        if name == "report.html" and not with_report:
            continue
        reason = optional.missing(modules, extra, name)
        if reason is not None:
            skipped[name] = reason
    return skipped


@dataclass
class Run:
    """One solved instance: the inputs, the model, the solver's answer and the result tables.

    Attributes:
        instance: the loaded instance.
        prep: the prepared instance (allowed pairs, exclusions, spatial relations).
        problem: the problem that was solved (the class problem when ``solver.aggregate`` is on).
        result: the solver's answer: ``status``, ``objective``, ``bound``, ``gap``, ``values``, ``times``.
        allocation: one row per allocated (``unit_id``, ``claim``) pair (``allocation.csv``).
        summary: one row per level, region and claim (``summary.csv``).
        manifest: the run's manifest (empty until a run folder is written).
        out: the run folder, when one was written.
        times: seconds per step (load, preprocess, build, transfer, solve, extract, duals, write).
        duals: the shadow prices (``duals.csv``), or None when they could not be computed.
        rule_costs: with ``--rule-costs``, the cost of each hard rule (``rule_costs.csv``).
        aggregation: with ``solver.aggregate``, units, classes, columns and rows before and after.
    """

    instance: Instance
    prep: Prepared
    problem: object
    result: SolveResult
    allocation: pd.DataFrame
    summary: pd.DataFrame
    manifest: dict
    out: Optional[Path] = None
    times: dict = field(default_factory=dict)
    duals: Optional[pd.DataFrame] = None
    rule_costs: Optional[pd.DataFrame] = None
    aggregation: Optional[dict] = None


def compute(instance: Instance, opts: SolveOptions, progress: Callable[[str], None] = lambda m: None, times=None,
            start: Optional[Callable] = None) -> Run:
    """Preprocess, formulate, solve and extract one loaded instance; writes nothing but the solver log.

    ``start(prep, problem)``, if given, returns an allocation of ``problem``'s columns to start the solve from (or
    None); it is repaired and offered as a full MIP start (not with ``solver.aggregate``: the class problem's columns
    are not the pairs)."""
    times = {} if times is None else times
    solvers.check_available(opts.solver)
    begin(progress, "preprocessing: hard rules, spatial relations…")
    t = time.perf_counter()
    prep = prepare(instance)
    times["preprocess"] = time.perf_counter() - t
    for w in prep.warnings:
        progress(f"warning: {w}")
    progress(f"preprocessed: {len(prep.pairs):,} allowed pairs, {len(prep.zoning):,} zoning conflicts, "
             f"{len(prep.links):,} links to existing uses ({fmt.seconds(times['preprocess'])})")

    begin(progress, "building the model…")
    t = time.perf_counter()
    problem = formulate(prep)
    times["build"] = time.perf_counter() - t
    size = problem.size()
    progress(f"built: {size['rows']:,} rows, {size['cols']:,} columns, {size['nonzeros']:,} non-zeros ({fmt.seconds(times['build'])})")

    agg = _aggregation(prep, problem, progress, times)
    solved = agg.problem if agg is not None else problem
    if start is not None and agg is None:
        opts = dataclasses.replace(opts, start=start(prep, solved))
    progress(f"solving with {opts.solver} (gap {fmt.percent(opts.mip_rel_gap)}, time limit {fmt.seconds(opts.time_limit_s)})")
    watch = solver_watch(progress)
    result = solve_stages(prep, solved, opts, progress, solve=lambda prob, o: solvers.solve(prob, o, watch=watch))
    times["transfer"] = result.times.get("transfer", 0.0)
    times["solve"] = result.times.get("solve", 0.0)
    error = status_error(result.status, result, solved, opts, prep)
    if error is not None:
        raise error
    progress(solved_line(result, times["solve"]))

    begin(progress, "extracting the allocation and the shadow prices…")
    t = time.perf_counter()
    values = aggregate.disaggregate(agg, result.values, prep) if agg is not None else result.values
    if agg is not None:
        _check_units(problem, values, result, progress)
    alloc = extract.allocation(prep, values)
    summ = extract.summary(prep, alloc)
    times["extract"] = time.perf_counter() - t

    t = time.perf_counter()
    dual = fixed_integer_duals(solved, result.values, min(opts.time_limit_s, 120.0))
    prices = duals.shadow_prices(prep, solved, dual["duals"], dual["activity"]) if dual["duals"] is not None else None
    if prices is None:
        progress(f"warning: no shadow prices ({dual['message']})")
    times["duals"] = time.perf_counter() - t
    run = Run(instance, prep, solved, result, alloc, summ, manifest={}, times=times, duals=prices)
    run.aggregation = agg.summary() if agg is not None else None
    return run


def _check_units(problem, values, result: SolveResult, progress: Callable) -> None:
    """The class problem's answer against the units' problem: the reported objective is c·x + offset of the units'
    allocation (:mod:`ruimtepuzzel.solvers.answer`); a disagreement unproves it, a broken row is an error."""
    from ruimtepuzzel.solvers.answer import verdict

    v = verdict(problem, values)
    if not v.feasible:
        raise RuimtepuzzelError(f"the allocation of the aggregated classes breaks {v.where} of the units' problem")
    if v.agrees(result.objective):
        return
    progress(f"warning: the aggregated objective {result.objective!r} is not the units' allocation's value "
             f"{v.objective!r}; reported as time_limit without a bound")
    result.objective, result.bound, result.gap = v.objective, None, None
    if result.status == "optimal":
        result.status = "time_limit"


def solved_line(result: SolveResult, solve_s: float) -> str:
    """'optimal: objective 35,797, bound 35,819, gap 0.06 % (20.0 s)'."""
    bound = f", bound {fmt.objective(finite(result.bound))}" if finite(result.bound) is not None else ""
    gap = f", gap {fmt.percent(finite(result.gap))}" if finite(result.gap) is not None else ""
    return f"{result.status}: objective {fmt.objective(result.objective)}{bound}{gap} ({fmt.seconds(solve_s)})"


def _aggregation(prep: Prepared, problem, progress: Callable, times: dict):
    """The class problem when the instance asks for aggregation (``solver.aggregate``), else None."""
    if not prep.config.solver.aggregate:
        return None
    if prep.config.objective.sense in objectives.TWO_STAGE:
        progress(f"warning: solver.aggregate is ignored for {prep.config.objective.sense} (its second stage works on units)")
        return None
    if prep.config.periods:
        progress("warning: solver.aggregate does not support periods yet; the units are solved one by one")
        return None
    t = time.perf_counter()
    agg = aggregate.aggregate(prep, problem)
    times["aggregate"] = time.perf_counter() - t
    size = agg.summary()
    progress(f"aggregated {size['units']:,} units into {size['classes']:,} classes: "
             f"{size['columns_after']:,} columns instead of {size['columns_before']:,} ({times['aggregate']:.2f} s)")
    return agg


def solve_instance(
    folder,
    scenario: Optional[str] = None,
    out: Optional[Path] = None,
    results_root: Path = Path("results"),
    solver: Optional[str] = None,
    time_limit: Optional[float] = None,
    gap: Optional[float] = None,
    threads: Optional[int] = None,
    seed: Optional[int] = None,
    overrides: Optional[dict] = None,
    progress: Callable[[str], None] = lambda msg: None,
    with_rule_costs: bool = False,
    with_report: bool = False,
) -> Run:
    """Solve an instance folder and write its run folder atomically (nothing on failure)."""
    if out is not None and Path(out).exists():  # said before the instance is loaded, not after
        raise InputError(f"{out}: the run folder exists already; --out must name a new folder")
    times = {}
    begin(progress, f"loading {folder}…")
    t = time.perf_counter()
    instance = load_instance(folder, scenario, overrides)
    times["load"] = time.perf_counter() - t
    progress(f"loaded {instance.name}{' + ' + str(scenario) if scenario else ''}: {len(instance.units):,} units, "
             f"{len(instance.claims)} claims ({fmt.seconds(times['load'])})")
    if instance.dialect is not None:
        progress(f"read {instance.dialect.describe()}")
    opts = solve_options(instance, solver, time_limit, gap, threads, seed)
    solvers.check_available(opts.solver)  # before any folder is made
    out = Path(out) if out else results.default_run_dir(Path(results_root), instance.name, scenario)
    skipped = skipped_outputs(with_report)
    for reason in skipped.values():
        progress(f"skipped: {reason}")
    infeasible = None
    with results.staging(out) as tmp:
        opts.log_path = tmp / "solver.log"
        try:
            run = compute(instance, opts, progress, times)
        except InfeasibleError as exc:
            infeasible = exc
            _write_infeasible(exc, instance, opts, overrides, times, tmp)
        else:
            if with_rule_costs:
                costs = rule_costs(instance, run, lambda inst, start, said: compute(inst, opts_for_variants(opts), said, start=start),
                                   overrides, progress)
                results.write_csv(costs, tmp / "rule_costs.csv")
                run.rule_costs = costs
            begin(progress, "writing the result files…")
            _write_solution(run, opts, overrides, times, tmp, skipped)
            if with_report and "report.html" not in skipped:
                from ruimtepuzzel.model.outputs.report import write_report

                begin(progress, "writing the report and maps…")
                t = time.perf_counter()
                write_report(tmp, instance)
                progress(f"report: report.html, factsheets.html and maps ({fmt.seconds(time.perf_counter() - t)})")
    if infeasible is not None:
        raise InfeasibleError(f"{infeasible}\n\nwritten to {out / 'infeasibility.txt'}") from None
    run.out = out
    progress(f"wrote {out}")
    return run


def opts_for_variants(opts: SolveOptions) -> SolveOptions:
    return dataclasses.replace(opts, log_path=None)


def _write_solution(run: Run, opts: SolveOptions, overrides, times: dict, tmp: Path, skipped: dict) -> None:
    """The run's tables and manifest; the optional outputs in ``skipped`` (see :func:`skipped_outputs`) are left out.

    Codes stay in their columns and name columns are appended (``region_name``, ``claim_name``…).
    """
    t = time.perf_counter()
    config = run.instance.config
    allocation = with_names(run.allocation, config)
    results.write_csv(allocation, tmp / "allocation.csv")
    if "allocation.gpkg" not in skipped:
        geometry = run.instance.geometry_of(run.allocation.attrs.get("unit_index", np.empty(0, np.int64)))
        results.write_allocation_gpkg(allocation, geometry, config.crs, tmp / "allocation.gpkg")
        labels = {k: config.claim_name(k) for k in config.claims}
        styles.add_qgis_style(tmp / "allocation.gpkg", "allocation", labels, {k for k, c in config.claims.items() if c.stacking})
    summary = with_names(run.summary, config)
    results.write_csv(summary, tmp / "summary.csv")
    transformed = with_names(extract.transformation(run.prep, run.allocation), config)
    results.write_csv(transformed, tmp / "transformation.csv")
    rules = with_names(run.prep.exclusions[RULES_COLUMNS], config)
    results.write_csv(rules, tmp / "rules.csv")
    prices = with_names(run.duals if run.duals is not None else pd.DataFrame(columns=duals.COLUMNS), config)
    results.write_csv(prices, tmp / "duals.csv")
    sheets = {"summary": summary, "transformation": transformed, "rules": rules, "duals": prices}
    if run.rule_costs is not None:
        sheets["rule_costs"] = with_names(run.rule_costs, config)
    run.manifest = manifest_of(run, opts, overrides)
    run.manifest["skipped_outputs"] = skipped
    if "summary.xlsx" not in skipped:
        write_workbook(sheets, tmp / "summary.xlsx", run.manifest)
    times["write"] = time.perf_counter() - t
    run.manifest["times_s"]["write"] = round(times["write"], 4)
    results.write_manifest(run.manifest, tmp / "manifest.json")


def _write_infeasible(exc: InfeasibleError, instance: Instance, opts: SolveOptions, overrides, times: dict, tmp: Path) -> None:
    """An infeasible run keeps its diagnosis: infeasibility.txt, rules.csv, the manifest and the solver log."""
    (tmp / "infeasibility.txt").write_text(str(exc) + "\n")
    if not hasattr(exc, "context"):  # found in preprocessing (a locked pair on excluded land): nothing was built
        results.write_manifest({"instance": instance.name, "instance_hash": instance.content_hash(), "scenario": instance.scenario,
                                "status": "infeasible", "infeasibility": str(exc).splitlines()}, tmp / "manifest.json")
        return
    prep, problem, result = exc.context
    results.write_csv(prep.exclusions[RULES_COLUMNS], tmp / "rules.csv")
    run = Run(instance, prep, problem, result, pd.DataFrame(), pd.DataFrame(), manifest={}, times=times)
    manifest = manifest_of(run, opts, overrides)
    manifest["infeasibility"] = str(exc).splitlines()
    results.write_manifest(manifest, tmp / "manifest.json")


def pareto_instance(folder, x: str, y: str, points: int = 7, scenario: Optional[str] = None, out: Optional[Path] = None,
                    results_root: Path = Path("results"), solver=None, time_limit=None, gap=None, threads=None, seed=None,
                    progress: Callable[[str], None] = lambda msg: None) -> tuple[pd.DataFrame, Path]:
    """A lexicographic ε-constraint front between two metrics, written to a run folder (pareto.csv, pareto.png,
    pareto_allocations.csv, manifest.json). Returns (the table, the folder); ``table.attrs["notes"]`` holds what a
    person must read with it (the metrics do not conflict; which points are not on the front and why)."""
    from ruimtepuzzel.model.analysis import pareto

    from ruimtepuzzel.model.inputs import settings

    points = settings.checked("--points", settings.points, points)
    if x == y:
        raise InputError(f"pareto: --x and --y name the same metric ({x!r}); a front needs two")
    begin(progress, f"loading {folder}…")
    instance = load_instance(folder, scenario)
    if instance.config.periods:
        raise InputError(f"{instance.folder}: pareto does not support phased instances (periods) yet; "
                         "solve one period at a time, or remove 'periods' in a scenario")
    opts = solve_options(instance, solver, time_limit, gap, threads, seed)
    solvers.check_available(opts.solver)
    begin(progress, "preprocessing and building the model…")
    prep = prepare(instance)
    problem = formulate(prep)
    for name in (x, y):  # an unknown metric is refused before any folder is made
        pareto.metric(prep, problem, name)
    out = Path(out) if out else results.default_run_dir(Path(results_root), f"{instance.name}-pareto", scenario)
    watch = solver_watch(progress)

    def solve_point(prob, start=None):
        return solvers.solve(prob, dataclasses.replace(opts, log_path=None, start=start), watch=watch)

    with results.staging(out) as tmp:
        found = pareto.front(prep, problem, x, y, points, solve_point, progress)
        mx, my = pareto.metric(prep, problem, x), pareto.metric(prep, problem, y)
        results.write_csv(found.table, tmp / "pareto.csv")
        results.write_csv(found.allocations, tmp / "pareto_allocations.csv")
        unplotted = optional.missing(("matplotlib",), "report", "pareto.png")
        if unplotted is None:
            pareto.plot(found, mx.label, my.label, x, y, tmp / "pareto.png", f"{instance.name}: {my.label} against {mx.label}")
        else:
            progress(f"skipped: {unplotted}")
        results.write_manifest({"instance": instance.name, "instance_hash": instance.content_hash(), "scenario": scenario,
                                "x": x, "y": y, "points": points, "conflict": found.conflict, "notes": found.notes,
                                "solver": opts.solver, "mip_rel_gap": opts.mip_rel_gap,
                                "skipped_outputs": {"pareto.png": unplotted} if unplotted else {}}, tmp / "manifest.json")
    found.table.attrs["notes"] = found.notes
    progress(f"wrote {out}")
    return found.table, out
