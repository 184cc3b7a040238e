"""The solve pipeline: load → preprocess → formulate → solve → extract → write.

Each step is a function of the previous step's output; times are measured per step
for the manifest. Used by the command line, tests and (later) sweeps.
"""
from __future__ import annotations

import dataclasses
import math
import platform
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pandas as pd

import solvers
from solvers import SolveOptions, SolveResult
from solvers.base import INFEASIBLE, NO_SOLUTION, OPTIMAL, TIME_LIMIT, UNBOUNDED

from solvers.highs import fixed_integer_duals

from . import aggregate, diagnose, duals, extract, objectives, results, styles
from .errors import InfeasibleError, NoSolutionError, RuimtepuzzelError
from .formulation import SOFT_FAMILIES, formulate
from .instance import Instance, load_instance
from .preprocess import Prepared, prepare
from .rule_costs import rule_costs

VERSION = "0.1.0"
MIN_STAGE_FRACTION = 0.1  # max_min_fulfilment stage 2 gets at least this share of the limit
RULES_COLUMNS = ["rule", "claim", "region", "excluded_ha", "level", "excluded_only_ha"]


@dataclass
class Run:
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


def solve_options(instance: Instance, solver=None, time_limit=None, gap=None, threads=None, seed=None) -> SolveOptions:
    cfg = instance.config.solver
    return SolveOptions(
        solver=solver or cfg.name,
        time_limit_s=time_limit if time_limit is not None else cfg.time_limit_s,
        mip_rel_gap=gap if gap is not None else cfg.mip_rel_gap,
        threads=threads if threads is not None else cfg.threads,
        seed=seed if seed is not None else cfg.seed,
        presolve=cfg.presolve,
        options=dict(cfg.options),
    )


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


def _finite(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _versions() -> dict:
    from importlib.metadata import version

    out = {"ruimtepuzzel": VERSION, "python": platform.python_version()}
    for pkg in ("highspy", "pyomo", "numpy", "pandas", "shapely", "geopandas"):
        try:
            out[pkg] = version(pkg)
        except Exception:
            out[pkg] = None
    return out


def solve_stages(prep: Prepared, problem, opts: SolveOptions, progress: Callable = lambda m: None,
                 solve: Optional[Callable] = None) -> SolveResult:
    """One solve, or the two stages of ``max_min_fulfilment``; ``solve(problem, opts)`` is the solver call."""
    solve = solve or solvers.solve
    result = solve(problem, opts)
    if prep.config.objective.sense == "max_min_fulfilment" and result.has_solution:
        t = float(result.values[problem.group(objectives.FULFILMENT).start])
        progress(f"stage 1: smallest fulfilment ratio t = {t:.6f}; stage 2: best value with t held")
        objectives.second_stage(prep, problem, t)
        first = result
        used = first.times.get("transfer", 0.0) + first.times.get("solve", 0.0)
        remaining = max(opts.time_limit_s - used, MIN_STAGE_FRACTION * opts.time_limit_s)  # both stages share the limit
        result = solve(problem, dataclasses.replace(opts, time_limit_s=remaining))
        result.times = {k: first.times.get(k, 0) + result.times.get(k, 0) for k in set(first.times) | set(result.times)}
    return result


def _status_error(status: str, result: SolveResult, problem, opts: SolveOptions, prep: Prepared) -> Optional[RuimtepuzzelError]:
    if status == INFEASIBLE:
        families, conclusive = diagnose.conflicting_families(problem, opts, SOFT_FAMILIES)
        subset = diagnose.irreducible_subset(problem, families, min(opts.time_limit_s, 60.0)) if families else None
        error = InfeasibleError(diagnose.report(problem, families, conclusive, subset, prep.findings))
        error.context = (prep, problem, result)
        return error
    if status == NO_SOLUTION:
        bound = f"; best bound {result.bound:.6g}" if _finite(result.bound) is not None else ""
        return NoSolutionError(f"time limit of {opts.time_limit_s:g} s reached without a feasible allocation{bound}")
    if status == UNBOUNDED:
        return RuimtepuzzelError(f"the model is unbounded ({result.message}); check negative penalties or costs")
    if status not in (OPTIMAL, TIME_LIMIT):
        return RuimtepuzzelError(f"the solver failed: {result.message}")
    return None


def compute(instance: Instance, opts: SolveOptions, progress: Callable[[str], None] = lambda m: None, times=None) -> Run:
    """Preprocess, formulate, solve and extract one loaded instance; writes nothing but the solver log."""
    times = {} if times is None else times
    solvers.check_available(opts.solver)
    t = time.perf_counter()
    prep = prepare(instance)
    times["preprocess"] = time.perf_counter() - t
    for w in prep.warnings:
        progress(f"warning: {w}")
    progress(f"preprocessed: {len(prep.pairs):,} allowed pairs, {len(prep.zoning):,} zoning conflicts ({times['preprocess']:.2f} s)")

    t = time.perf_counter()
    problem = formulate(prep)
    times["build"] = time.perf_counter() - t
    size = problem.size()
    progress(f"built: {size['rows']:,} rows, {size['cols']:,} columns, {size['nonzeros']:,} non-zeros ({times['build']:.2f} s)")

    agg = _aggregation(prep, problem, progress, times)
    solved = agg.problem if agg is not None else problem
    progress(f"solving with {opts.solver} (gap {opts.mip_rel_gap:g}, limit {opts.time_limit_s:g} s)")
    result = solve_stages(prep, solved, opts, progress)
    times["transfer"] = result.times.get("transfer", 0.0)
    times["solve"] = result.times.get("solve", 0.0)
    error = _status_error(result.status, result, solved, opts, prep)
    if error is not None:
        raise error
    progress(f"{result.status}: objective {result.objective:.6g}, bound {_finite(result.bound)}, gap {_finite(result.gap)} ({times['solve']:.2f} s)")

    t = time.perf_counter()
    values = aggregate.disaggregate(agg, result.values, prep) if agg is not None else result.values
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


def _aggregation(prep: Prepared, problem, progress: Callable, times: dict):
    """The class problem when the instance asks for aggregation (``solver.aggregate``), else None."""
    if not prep.config.solver.aggregate:
        return None
    if prep.config.objective.sense == "max_min_fulfilment":
        progress("warning: solver.aggregate is ignored for max_min_fulfilment (its second stage works on units)")
        return None
    t = time.perf_counter()
    agg = aggregate.aggregate(prep, problem)
    times["aggregate"] = time.perf_counter() - t
    size = agg.summary()
    progress(f"aggregated {size['units']:,} units into {size['classes']:,} classes: "
             f"{size['columns_after']:,} columns instead of {size['columns_before']:,} ({times['aggregate']:.2f} s)")
    return agg


def manifest_of(run: Run, opts: SolveOptions, overrides: Optional[dict]) -> dict:
    instance, result = run.instance, run.result
    return {
        "instance": instance.name,
        "instance_folder": str(instance.folder),
        "instance_hash": instance.content_hash(),
        "scenario": instance.scenario,
        "parameters": {
            "objective": instance.config.objective.model_dump(),
            "solver": {"name": opts.solver, "mip_rel_gap": opts.mip_rel_gap, "time_limit_s": opts.time_limit_s,
                       "threads": opts.threads, "seed": opts.seed, "presolve": opts.presolve, "options": opts.options},
            "overrides": overrides or {},
        },
        "solver": {"name": opts.solver, "version": result.version, "message": result.message, "killed": result.killed},
        "versions": _versions(),
        "status": result.status,
        "objective": _finite(result.objective),
        "bound": _finite(result.bound),
        "gap": _finite(result.gap),
        "times_s": {k: round(run.times.get(k, 0.0), 4) for k in ("load", "preprocess", "build", "aggregate", "transfer", "solve", "extract", "duals", "write")
                    if k != "aggregate" or k in run.times},
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "size": {"units": len(instance.units), "pairs": len(run.prep.pairs), **run.problem.size()},
        "aggregation": run.aggregation,
        "warnings": run.prep.warnings,
    }


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
    times = {}
    t = time.perf_counter()
    instance = load_instance(folder, scenario, overrides)
    times["load"] = time.perf_counter() - t
    progress(f"loaded {instance.name}: {len(instance.units):,} units, {len(instance.claims)} claims ({times['load']:.2f} s)")
    opts = solve_options(instance, solver, time_limit, gap, threads, seed)
    out = Path(out) if out else results.default_run_dir(Path(results_root), instance.name, scenario)
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
                costs = rule_costs(instance, run.result.objective, run.summary, lambda inst: compute(inst, opts_for_variants(opts)),
                                   overrides, progress)
                results.write_csv(costs, tmp / "rule_costs.csv")
                run.rule_costs = costs
            _write_solution(run, opts, overrides, times, tmp)
            if with_report:
                from .report import write_report

                t = time.perf_counter()
                write_report(tmp, instance)
                progress(f"report: {time.perf_counter() - t:.1f} s")
    if infeasible is not None:
        raise InfeasibleError(f"{infeasible}\n\nwritten to {out / 'infeasibility.txt'}") from None
    run.out = out
    progress(f"wrote {out}")
    return run


def opts_for_variants(opts: SolveOptions) -> SolveOptions:
    return dataclasses.replace(opts, log_path=None)


def _write_solution(run: Run, opts: SolveOptions, overrides, times: dict, tmp: Path) -> None:
    t = time.perf_counter()
    results.write_csv(run.allocation, tmp / "allocation.csv")
    geometry = run.instance.geometry_of(run.allocation.attrs.get("unit_index", np.empty(0, np.int64)))
    results.write_allocation_gpkg(run.allocation, geometry, run.instance.config.crs, tmp / "allocation.gpkg")
    labels = {k: c.label or k for k, c in run.instance.config.claims.items()}
    styles.add_qgis_style(tmp / "allocation.gpkg", "allocation", labels)
    results.write_csv(run.summary, tmp / "summary.csv")
    results.write_csv(run.prep.exclusions[RULES_COLUMNS], tmp / "rules.csv")
    prices = run.duals if run.duals is not None else pd.DataFrame(columns=duals.COLUMNS)
    results.write_csv(prices, tmp / "duals.csv")
    sheets = {"summary": run.summary, "rules": run.prep.exclusions[RULES_COLUMNS], "duals": prices}
    if run.rule_costs is not None:
        sheets["rule_costs"] = run.rule_costs
    styles.write_workbook(sheets, tmp / "summary.xlsx")
    times["write"] = time.perf_counter() - t
    run.manifest = manifest_of(run, opts, overrides)
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
    """An ε-constraint front between two metrics, written to a run folder (pareto.csv, pareto.png, allocations)."""
    from . import pareto

    instance = load_instance(folder, scenario)
    opts = solve_options(instance, solver, time_limit, gap, threads, seed)
    solvers.check_available(opts.solver)
    prep = prepare(instance)
    problem = formulate(prep)
    out = Path(out) if out else results.default_run_dir(Path(results_root), f"{instance.name}-pareto", scenario)
    count = {"n": 0}

    def solve_point(prob):
        count["n"] += 1
        progress(f"pareto point {count['n']}/{points + 1}")
        return solvers.solve(prob, dataclasses.replace(opts, log_path=None))

    with results.staging(out) as tmp:
        table, allocations = pareto.front(prep, problem, x, y, points, solve_point)
        results.write_csv(table, tmp / "pareto.csv")
        results.write_csv(allocations, tmp / "pareto_allocations.csv")
        pareto.plot(table, x, y, tmp / "pareto.png", f"{instance.name}: {y} against {x}")
        results.write_manifest({"instance": instance.name, "instance_hash": instance.content_hash(), "scenario": scenario,
                                "x": x, "y": y, "points": points, "solver": opts.solver, "mip_rel_gap": opts.mip_rel_gap}, tmp / "manifest.json")
    progress(f"wrote {out}")
    return table, out
