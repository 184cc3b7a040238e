"""``sweep``: expand a spec into scenarios, solve what the store lacks, write the tables and plots.

The sweep folder is reusable: rerunning into it solves only the scenarios whose key
has no stored result (a killed sweep resumes; a changed spec re-uses every scenario
it shares with the old one). Tables and plots are rewritten from the store each run.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from pathlib import Path
from typing import Callable, Optional

from ruimtepuzzel import solvers
from ruimtepuzzel.solvers.base import OPTIMAL, TIME_LIMIT

from ruimtepuzzel.model.outputs import numbers as fmt
from ruimtepuzzel.model.outputs import run_folder as results
from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.config import merged_data
from ruimtepuzzel.model.inputs.instance import load_instance, with_config
from ruimtepuzzel import __version__ as VERSION
from ruimtepuzzel.model.solve.stages import solve_options
from ruimtepuzzel.model.analysis.sweep.execute import run_dask, run_local
from ruimtepuzzel.model.analysis.sweep.plots import heatmap, monte_carlo, tornado
from ruimtepuzzel.model.analysis.sweep.spec import Point, SweepSpec, design_points, effective_data, load_spec, locate, parse_path
from ruimtepuzzel.model.analysis.sweep.store import Store, finished, scenario_key
from ruimtepuzzel.model.analysis.sweep.table import change_interval, tables
from ruimtepuzzel.model.analysis.sweep.worker import Context, Task

SWEEP_THREADS = 1  # HiGHS threads per scenario unless --threads says otherwise: workers share the cores


@dataclasses.dataclass
class SweepOutcome:
    out: Path
    table: object
    scenarios: int
    solved: int
    stored: int
    failed: dict
    wall_s: float
    refined: int = 0  # scenarios re-solved at gap 0 because the gap hid their change from the base


def _solver_key(opts, spec: SweepSpec) -> dict:
    return {"solver": opts.solver, "mip_rel_gap": opts.mip_rel_gap, "time_limit_s": opts.time_limit_s, "seed": opts.seed,
            "threads": opts.threads, "presolve": opts.presolve, "options": opts.options, "shadow_prices": spec.shadow_prices,
            "version": VERSION}


def plan(folder, spec: SweepSpec, spec_label: str, scenario=None, **solver_args):
    """The base instance, options, design points, their configurations and keys; every path and value checked."""
    instance = load_instance(folder, scenario)
    base, _, _ = merged_data(folder, scenario)
    for p in spec.parameters:
        if parse_path(p.path)[0].key == "solver":  # every scenario is solved with the sweep's own options
            raise InputError(f"{spec_label}: parameter {p.label!r}: a sweep cannot vary solver settings; "
                             "use --gap, --time-limit or --threads for the whole sweep")
        locate(base, p.path)  # unknown paths fail here, before anything runs
    if solver_args.get("threads") is None:
        solver_args["threads"] = SWEEP_THREADS
    opts = dataclasses.replace(solve_options(instance, **solver_args), log_path=None)
    solvers.check_available(opts.solver)
    points = design_points(spec)
    files_hash = instance.content_hash()
    solver = _solver_key(opts, spec)
    configs, keys = [], []
    for pt in points:
        values = ", ".join(f"{p.label}={v}" for p, v in zip(spec.parameters, pt.values) if v is not None) or "base"
        config = with_config(instance, effective_data(base, spec, pt), f"{spec_label}: scenario {pt.scenario} ({values})").config
        configs.append(config)
        keys.append(scenario_key(files_hash, json.dumps(config.model_dump(mode="json"), sort_keys=True), solver))
    return instance, base, opts, points, configs, keys


def _base_solution(instance, opts, progress):
    from ruimtepuzzel.model.formulation import formulate
    from ruimtepuzzel.model.prepare.pairs import prepare

    progress("solving the base instance for warm starts")
    result = solvers.solve(formulate(prepare(instance)), opts)
    return result.values if result.status in (OPTIMAL, TIME_LIMIT) else None


def _key(files_hash: str, config, solver: dict) -> str:
    return scenario_key(files_hash, json.dumps(config.model_dump(mode="json"), sort_keys=True), solver)


def sweep_instance(folder, spec_path, out: Optional[Path] = None, scenario: Optional[str] = None, workers: int = 1,
                   scheduler=None, reuse: bool = True, results_root: Path = Path("results"), quiet: bool = False,
                   progress: Callable[[str], None] = lambda m: None, refine: bool = True, **solver_args) -> SweepOutcome:
    """Run the sweep of ``spec_path`` on an instance folder; see the module docstring and the README's *Sweeps*.

    ``refine``: re-solve at gap 0 every scenario whose objective change from the base is hidden by the gap
    (its change interval holds 0), and the base with them, so that "no effect" is proven rather than assumed.
    """
    start = time.perf_counter()
    spec = load_spec(spec_path)
    instance, base, opts, points, configs, keys = plan(folder, spec, str(spec_path), scenario, **solver_args)
    out = Path(out) if out else Path(results_root) / instance.name / f"sweep-{Path(spec_path).stem}"
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    made = [p for p in [out / "scenarios", out, *out.parents] if not p.exists()]  # deepest first
    store = Store(out)
    try:
        return _sweep(start, spec, spec_path, instance, base, opts, points, configs, keys, out, store, workers, scheduler,
                      reuse, quiet, progress, refine)
    except BaseException:
        if not finished(out):  # nothing solved is kept: leave no empty sweep folder behind
            results.remove_empty(made)
        raise


def _sweep(start, spec, spec_path, instance, base, opts, points, configs, keys, out, store, workers, scheduler, reuse, quiet,
           progress, refine) -> SweepOutcome:
    files_hash = instance.content_hash()
    base_point = Point("base", tuple([None] * len(spec.parameters)))
    base_key = _key(files_hash, instance.config, _solver_key(opts, spec))
    jobs = list(zip(points, configs, keys)) + [(base_point, instance.config, base_key)]
    run = _Runner(instance, opts, spec, store, workers, scheduler, reuse, quiet, progress)
    todo, _ = run.missing(jobs)
    stored = len(set(keys)) - sum(t.point is not base_point for t in todo)
    progress(f"{len(points)} scenarios ({len(set(keys))} distinct): {stored} in the store, {len(todo)} to solve"
             + (" (the base included)" if any(t.key == base_key for t in todo) and base_key not in keys else "")
             + (f" on {scheduler}" if scheduler else f" with {workers} worker(s)") + ("" if reuse else ", no model re-use"))
    run.solve(todo)
    answers = {k: a for k in dict.fromkeys(keys + [base_key]) if (a := store.get(k)) is not None}
    chosen = dict(zip([pt.scenario for pt in points], keys))
    refined: list[str] = []
    base_record = answers.get(base_key, {}).get("record")
    if refine and opts.mip_rel_gap > 0:
        hidden = [pt for pt, key in zip(points, keys) if key in answers and key != base_key  # the base itself changes nothing
                  and (c := change_interval(answers[key]["record"], base_record)) is not None and not c[2]]
        if hidden:
            exact = dataclasses.replace(opts, mip_rel_gap=0.0)
            progress(f"{len(hidden)} scenario(s) differ from the base by less than the {fmt.percent(opts.mip_rel_gap)} gap can show: "
                     "re-solving them and the base at gap 0")
            solver0 = _solver_key(exact, spec)
            config_of = dict(zip([pt.scenario for pt in points], configs))
            jobs0 = [(pt, config_of[pt.scenario], _key(files_hash, config_of[pt.scenario], solver0)) for pt in hidden]
            base_key0 = _key(files_hash, instance.config, solver0)
            jobs0.append((base_point, instance.config, base_key0))
            run0 = _Runner(instance, exact, spec, store, workers, scheduler, reuse, quiet, progress, run.ctx_base_values)
            run0.solve(run0.missing(jobs0)[0])
            run.failed.update(run0.failed)
            base0 = store.get(base_key0)
            if base0 is not None:
                answers[base_key0], base_record = base0, base0["record"]
                for pt, key in zip(points, keys):
                    if key == base_key:  # a point that is the base shows the base as refined
                        chosen[pt.scenario] = base_key0
                        refined.append(pt.scenario)
                for pt, _, key in jobs0[:-1]:
                    if (a := store.get(key)) is not None:
                        answers[key], chosen[pt.scenario] = a, key
                        refined.append(pt.scenario)
                order = {pt.scenario: i for i, pt in enumerate(points)}
                refined.sort(key=order.get)
    same = {pt.scenario for pt, key in zip(points, keys) if key == base_key}
    frames = tables(spec, points, [chosen[pt.scenario] for pt in points], answers, base, base_record, refined, instance.config, same)
    _write_outputs(out, spec, spec_path, instance, frames)
    wall = time.perf_counter() - start
    _write_manifest(out, spec, instance, opts, points, run.solved, stored, run.failed, wall, reuse, workers, scheduler,
                    base_record, refined)
    for key, why in run.failed.items():
        progress(f"failed: {why}")
    return SweepOutcome(out, frames["sweep"], len(points), run.solved - len(run.failed), stored, run.failed, wall, len(refined))


class _Runner:
    """Solves sweep tasks that the store lacks, with one solver setting; remembers failures and the warm start."""

    def __init__(self, instance, opts, spec, store, workers, scheduler, reuse, quiet, progress, base_values=None):
        self.instance, self.opts, self.spec, self.store = instance, opts, spec, store
        self.workers, self.scheduler, self.reuse, self.quiet, self.progress = workers, scheduler, reuse, quiet, progress
        self.failed: dict = {}
        self.solved = 0
        self.ctx_base_values = base_values

    def missing(self, jobs) -> tuple[list[Task], int]:
        """(tasks whose key has no stored answer, how many distinct keys are stored already)."""
        todo, seen = [], set()
        for pt, config, key in jobs:
            if key not in seen and not self.store.has(key):
                todo.append(Task(pt, key, config))
            seen.add(key)
        return todo, len(seen) - len(todo)

    def solve(self, todo: list[Task]) -> None:
        if not todo:
            return
        keys = [t.key for t in todo]
        ctx = Context(token=f"{keys[0]}-{os.getpid()}-{time.time_ns()}", instance=self.instance, opts=self.opts,
                      reuse=self.reuse, shadow_prices=self.spec.shadow_prices)
        if ctx.keeps_model:
            if self.ctx_base_values is None:
                self.ctx_base_values = _base_solution(self.instance, self.opts, self.progress)
            ctx.base_values = self.ctx_base_values
        _execute(ctx, todo, self.workers, self.scheduler, self.store, self.failed, self.quiet)
        self.solved += sum(t.point.scenario != "base" for t in todo)


def _execute(ctx, todo, workers, scheduler, store, failed, quiet) -> None:
    from tqdm import tqdm

    bar = tqdm(total=len(todo), unit="scenario", disable=quiet, dynamic_ncols=True)

    def done(task, answer):
        store.put(task.key, answer)
        status = answer["record"]["status"]
        bar.set_postfix_str(f"{task.point.scenario} {status}" + (f", {len(failed)} failed" if failed else ""))
        bar.update(1)

    def lost(task, why):
        failed[task.key] = f"{task.point.scenario}: {why}"
        bar.update(1)

    try:
        if scheduler is not None:
            run_dask(ctx, todo, scheduler, done, lost)
        else:
            run_local(ctx, todo, workers, ctx.opts.deadline_s() + 600.0, done, lost)
    finally:
        bar.close()


def _write_outputs(out: Path, spec: SweepSpec, spec_path, instance, frames) -> None:
    results.write_atomically(out / "sweep.csv", lambda p: results.write_csv(frames["sweep"], p))
    results.write_atomically(out / "sweep.parquet", lambda p: frames["sweep"].to_parquet(p, index=False))
    results.write_atomically(out / "sweep_regions.csv", lambda p: results.write_csv(frames["regions"], p))
    results.write_atomically(out / "sweep_duals.csv", lambda p: results.write_csv(frames["duals"], p))
    results.write_atomically(out / "sweep.yaml", lambda p: shutil.copyfile(spec_path, p))
    level = next((lv for lv in instance.levels if instance.units[lv].nunique() > 1), instance.levels[0])  # a regional instance: its COROPs
    title = f"{instance.name}: {spec.design} sweep"
    if spec.design == "oat":
        results.write_atomically(out / "tornado.png", lambda p: tornado(frames["sweep"], [q.label for q in spec.parameters], p, title))
    if spec.design == "monte_carlo":
        results.write_atomically(out / "monte_carlo.png", lambda p: monte_carlo(frames["sweep"], frames["regions"], level, p, title))
    results.write_atomically(out / "heatmap_shortfall.png", lambda p: heatmap(frames["regions"], p, f"{title}: shortfall per region with a floor"))


def _write_manifest(out, spec, instance, opts, points, solved, stored, failed, wall, reuse, workers, scheduler,
                    base_record=None, refined=()) -> None:
    manifest = {
        "instance": instance.name, "instance_hash": instance.content_hash(), "scenario": instance.scenario,
        "design": spec.design, "parameters": [p.model_dump(exclude_none=True) for p in spec.parameters],
        "scenarios": len(points), "solved_now": solved - len(failed), "from_store": stored, "failed": failed,
        "wall_s": round(wall, 3), "scenarios_per_min_now": round(60.0 * (solved - len(failed)) / wall, 3) if solved else None,
        "reuse": reuse, "workers": workers if scheduler is None else None, "scheduler": str(scheduler) if scheduler else None,
        "solver": {"name": opts.solver, "mip_rel_gap": opts.mip_rel_gap, "time_limit_s": opts.time_limit_s,
                   "threads": opts.threads, "seed": opts.seed},
        "base": {k: (base_record or {}).get(k) for k in ("status", "objective", "bound", "gap")},
        "refined_at_gap_0": list(refined),
        "units_dialect": instance.dialect.as_dict() if instance.dialect else None,
    }
    results.write_manifest(manifest, out / "manifest.json")
