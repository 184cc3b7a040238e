"""``alternatives``: the optimum, near-optimal plans, ranges and replacement costs, parallel and resumable.

Order of work: the options are checked (slack in [0, 1), count ≥ 1, level, directions file)
before anything is solved; the instance is prepared and formulated once in this process (no
solver runs here, so workers can be forked). Plan 0 and the plans after it run in one worker
on one kept model, each stored as it is found; the ranges and replacement costs are then
independent solves, spread over ``workers`` local processes (each keeping its own model) or a
Dask cluster (``scheduler``). Everything solved is stored under ``<out>/store``: a rerun into
the same ``out`` solves only what is missing, and the tables are rewritten from the store.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import multiprocessing as mp
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import pandas as pd

from ruimtepuzzel import __version__ as VERSION
from ruimtepuzzel import solvers
from ruimtepuzzel.model.analysis.alternatives import budget, directions, importance, plans, ranges, tables
from ruimtepuzzel.model.analysis.alternatives.store import Store, key_of
from ruimtepuzzel.model.analysis.alternatives.worker import Context, Task, prebuilt, run_chain, solve_task
from ruimtepuzzel.model.errors import InfeasibleError, InputError, NoSolutionError, RuimtepuzzelError
from ruimtepuzzel.model.formulation import formulate
from ruimtepuzzel.model.inputs import settings
from ruimtepuzzel.model.inputs.instance import Instance, load_instance
from ruimtepuzzel.model.inputs.values import Refused, read_number
from ruimtepuzzel.model.prepare.pairs import prepare
from ruimtepuzzel.model.solve.stages import solve_options
from ruimtepuzzel.solvers.base import INFEASIBLE, NO_SOLUTION

METHODS = ("hsj", "directions")
PARALLEL_THREADS = 1  # HiGHS threads per solve with several workers, unless --threads says otherwise


@dataclass
class Settings:
    """The checked options of one ``alternatives`` run."""

    slack: float = 0.05
    count: int = 5
    method: str = "hsj"
    directions_file: Optional[Path] = None
    seed: int = 0
    ranges_level: Optional[str] = None
    importance: Optional[str] = None
    workers: int = 1
    scheduler: object = None


@dataclass
class Outcome:
    """What ``alternatives`` found: the tables (DataFrames) and, for callers, the plans' column vectors."""

    alternatives: pd.DataFrame
    allocation: pd.DataFrame
    selection_frequency: pd.DataFrame
    ranges: Optional[pd.DataFrame]
    importance: Optional[pd.DataFrame]
    plans: list  # full column vectors, plan 0 first (None for a plan not found)
    z_star: float
    out: Optional[Path] = None
    solved: dict = field(default_factory=dict)  # how many solves ran now, per kind
    stored: dict = field(default_factory=dict)  # how many came from the store, per kind
    failed: dict = field(default_factory=dict)
    wall_s: float = 0.0
    slack: float = 0.0
    prep: object = None
    problem: object = None
    objective: object = None


def check_settings(slack, count, method, directions_file, seed, workers) -> Settings:
    """The options read and checked; InputError naming the option for a bad one."""
    try:
        slack = read_number(slack)
    except Refused as exc:
        raise InputError(f"--slack: {exc}") from None
    if not 0.0 <= slack < 1.0:
        raise InputError(f"--slack: {slack:g} is outside [0, 1); the slack is a fraction of |z*| (0.05 is 5 %)")
    count = settings.checked("--count", settings.whole(1), count)
    if method not in METHODS:
        raise InputError(f"--method: {method!r} is not one of {', '.join(METHODS)}")
    if directions_file is not None and method != "directions":
        raise InputError("--directions: a directions file needs --method directions")
    seed = settings.checked("--seed", settings.seed, seed if seed is not None else 0)
    workers = settings.checked("--workers", settings.workers, workers)
    return Settings(slack=slack, count=count, method=method, directions_file=directions_file, seed=seed, workers=workers)


_CTX: dict = {}


def _init(ctx: Context) -> None:
    """A forked worker's start: the context inherited, not pickled per task; solver banners kept off stdout."""
    _silence()
    _CTX["ctx"] = ctx


def _fork_pool(workers: int, ctx: Context):
    """Local worker processes, forked (this process never runs HiGHS, so forking is safe)."""
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"), initializer=_init, initargs=(ctx,))


def _silence() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)


def _chain_entry(method: str, count: int, chosen: list, stored: list, folder: str, keys: list) -> dict:
    ctx = _CTX["ctx"]
    store = Store(Path(folder).parent)
    failed = {}

    def put(j, values, record):
        if values is None:
            failed[j] = record
        else:
            store.put_plan(keys[j], values, record)

    run_chain(ctx, method, count, chosen, stored, put)
    return failed


def _task_entry(task: Task) -> dict:
    return solve_task(_CTX["ctx"], task)


def _dask_entry(ctx: Context, task: Task) -> dict:
    return solve_task(ctx, task)


def alternatives_instance(folder, scenario: Optional[str] = None, *, slack=0.05, count=5, method: str = "hsj",
                          directions_file=None, seed=None, ranges_level: Optional[str] = None,
                          importance_kind: Optional[str] = None, workers=1, scheduler=None, gap=None, time_limit=None,
                          threads=None, out: Optional[Path] = None, results_root: Path = Path("results"),
                          report: bool = False, write: bool = True, progress: Callable[[str], None] = lambda m: None,
                          overrides: Optional[dict] = None) -> Outcome:
    """Run ``alternatives`` on an instance folder (see the module docstring and docs/alternatives.md).

    Raises:
        InputError: a bad option (slack outside [0, 1), count below 1, unknown level or method, a directions
            file naming unknown regions or claims); nothing is solved or written.
        InfeasibleError / NoSolutionError: plan 0 (the optimum) has no allocation.
    """
    start = time.perf_counter()
    s = check_settings(slack, count, method, directions_file, seed, workers)
    s.scheduler = scheduler
    instance = folder if isinstance(folder, Instance) else load_instance(folder, scenario, overrides)
    if threads is None and (s.workers > 1 or scheduler is not None):
        threads = PARALLEL_THREADS  # workers share the cores, as sweep workers do
    opts = dataclasses.replace(solve_options(instance, None, time_limit, gap, threads, None), log_path=None)
    if opts.solver != "highs":
        raise InputError(f"alternatives: solver {opts.solver!r}: alternatives keep a HiGHS model loaded; use solver highs")
    solvers.check_available(opts.solver)
    progress(f"preparing {instance.name}…")
    prep = prepare(instance)
    if ranges_level is not None:
        s.ranges_level = directions.check_level(prep, ranges_level, "--ranges")
    if importance_kind is not None:
        s.importance = importance.check_kind(prep, importance_kind)
    if s.method == "directions":
        chosen = (directions.read_directions(prep, s.directions_file) if s.directions_file is not None else
                  directions.random_directions(prep, s.ranges_level or prep.config.regions[0], s.count, s.seed))
        s.count = len(chosen)
    else:
        chosen = []
    problem = formulate(prep)
    objective = budget.held_objective(prep, problem)

    out = Path(out) if out else Path(results_root) / instance.name / f"alternatives-{s.method}"
    if write and out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    scratch = None
    if not write:  # a store all the same, in a folder removed at the end: the solves run in forked workers
        import tempfile

        scratch = tempfile.TemporaryDirectory(prefix="ruimtepuzzel-alternatives-")
    made = [p for p in [out / "store", out, *out.parents] if not p.exists()] if write else []  # deepest first
    try:
        return _run(instance, prep, problem, objective, s, chosen, opts, Store(out if write else Path(scratch.name)),
                    out, write, report, progress, scheduler, start)
    except BaseException:
        for folder in made:  # nothing solved is kept: leave no empty folder behind
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    finally:
        if scratch is not None:
            scratch.cleanup()


def _run(instance, prep, problem, objective, s: Settings, chosen, opts, store: Store, out: Path, write: bool, report: bool,
         progress, scheduler, start) -> Outcome:
    integer = problem.integrality()
    solver_key = {"gap": opts.mip_rel_gap, "time_limit": opts.time_limit_s, "seed": opts.seed, "threads": opts.threads,
                  "presolve": opts.presolve, "options": opts.options, "version": VERSION}
    base = key_of(instance.content_hash(), instance.config.model_dump(mode="json"), solver_key)
    plan_keys = [key_of(base, "plan", 0)] + [key_of(base, "plan", j, s.method, s.slack,
                                                   [sorted((":".join(k), w) for k, w in c.items()) for c in chosen[:j]])
                                            for j in range(1, s.count + 1)]
    token = f"{base}-{os.getpid()}-{time.time_ns()}"
    ctx = Context(token=token, instance=instance, opts=opts, slack=s.slack)
    prebuilt(token, prep, problem)

    # ---- plans: one worker, one kept model, in order
    stored = []
    for key in plan_keys:
        got = store.get_plan(key)
        if got is None:
            break
        stored.append(got)
    solved, from_store, failed = {"plans": 0}, {"plans": len(stored)}, {}
    chain_failed = {}
    if len(stored) < len(plan_keys):
        progress(f"solving plan 0 (the optimum) and {s.count} {s.method} plan(s) on one kept model "
                 f"({len(stored)} in the store)")
        with _fork_pool(1, ctx) as pool:
            chain_failed = pool.submit(_chain_entry, s.method, s.count, chosen, stored, str(store.folder), plan_keys).result()
        found_now = [store.get_plan(k) for k in plan_keys]
        solved["plans"] = sum(f is not None for f in found_now) - len(stored)
    else:
        found_now = stored
    found = []
    for j, key in enumerate(plan_keys):
        got = found_now[j] if j < len(found_now) else None
        if got is None:
            if j in chain_failed:
                found.append((None, chain_failed[j]))
            break
        found.append(got)
    if not found or found[0][0] is None:
        status = found[0][1]["status"] if found else "error"
        message = found[0][1].get("message", "") if found else "plan 0 was not solved"
        if status == INFEASIBLE:
            raise InfeasibleError(f"{instance.name}: the hard constraints cannot hold together; run solve for a diagnosis")
        if status == NO_SOLUTION:
            raise NoSolutionError(f"time limit of {opts.time_limit_s:g} s reached without a feasible allocation for plan 0")
        raise RuimtepuzzelError(f"plan 0 could not be solved: {status} {message}")
    z_star = objective.of(found[0][0], integer)
    known = [v for v, _ in found if v is not None]
    ctx.known = known
    for j, (values, record) in enumerate(found[1:], start=1):
        if values is not None and not budget.holds(objective, record["objective"], z_star, s.slack):
            raise RuimtepuzzelError(f"plan {j} breaks the budget row (objective {record['objective']} against z* {z_star}); "
                                    "this is a defect")

    # ---- ranges and importance: independent solves
    plan0_state = plans.state(prep, known[0])
    tasks, rows = [], {"range": {}, "importance": {}}
    if s.ranges_level is not None:
        for key in ranges.range_keys(prep, s.ranges_level, plan0_state):
            tasks.append(Task("range", key_of(base, "range", s.slack, key), key))
    if s.importance is not None:
        for g in importance.groups(prep, plan0_state, s.importance):
            tasks.append(Task("importance", key_of(base, "importance", s.importance, g.name, g.claim, g.units), g))
    todo = []
    for t in tasks:
        row = store.get_row(t.key)
        if row is not None:
            rows[t.kind][t.key] = row
        else:
            todo.append(t)
    for kind in rows:
        from_store[kind] = len(rows[kind])
        solved[kind] = 0
    if todo:
        progress(f"{len(todo)} independent solve(s) ({len(tasks) - len(todo)} in the store) "
                 + (f"on {scheduler}" if scheduler else f"with {s.workers} worker(s)"))

        def done(task, answer):
            if "error" in answer:
                failed[task.key] = f"{task.kind} {task.payload if task.kind == 'range' else task.payload.name}: {answer['error']}"
                return
            rows[task.kind][task.key] = answer["row"]
            solved[task.kind] += 1
            store.put_row(task.key, answer["row"])
            n = sum(solved[k] for k in rows)
            if n == len(todo) or n % max(1, len(todo) // 10) == 0:
                progress(f"{n}/{len(todo)} independent solves done")

        _execute(ctx, todo, s, done, failed)
    range_table = (pd.DataFrame([rows["range"][t.key] for t in tasks if t.kind == "range" and t.key in rows["range"]],
                                columns=ranges.COLUMNS + ["total_s"]) if s.ranges_level is not None else None)
    importance_table = (pd.DataFrame([rows["importance"][t.key] for t in tasks if t.kind == "importance" and t.key in rows["importance"]],
                                     columns=importance.COLUMNS + ["total_s"]) if s.importance is not None else None)
    plan_table = tables.plan_table(prep, objective, z_star, s.method, found)
    alloc = tables.allocations(prep, found)
    freq = tables.selection_frequency(prep, alloc, len(known))
    outcome = Outcome(plan_table, alloc, freq, range_table, importance_table, [v for v, _ in found], z_star,
                      out=out if write else None, solved=solved, stored=from_store, failed=failed, prep=prep, problem=problem,
                      objective=objective)
    outcome.wall_s = time.perf_counter() - start
    outcome.slack = s.slack
    if write:
        from ruimtepuzzel.model.analysis.alternatives import outputs

        outputs.write(outcome, instance, s, opts, report, progress)
    return outcome


def _execute(ctx: Context, todo: list[Task], s: Settings, done, failed: dict) -> None:
    if s.scheduler is not None:
        from ruimtepuzzel.model.optional import require

        distributed = require("distributed", extra="sweep", purpose="alternatives --scheduler (a Dask cluster)")
        client = s.scheduler if isinstance(s.scheduler, distributed.Client) else distributed.Client(s.scheduler)
        try:
            shared = client.scatter(ctx, broadcast=True)
            futures = {client.submit(_dask_entry, shared, t, key=f"ruimtepuzzel-alt-{t.key}", pure=False): t for t in todo}
            for future in distributed.as_completed(futures):
                t = futures[future]
                try:
                    done(t, future.result())
                except Exception as exc:
                    failed[t.key] = f"{t.kind}: {type(exc).__name__}: {exc}"
                future.release()
        finally:
            if client is not s.scheduler:
                client.close()
        return
    with _fork_pool(min(s.workers, len(todo)), ctx) as pool:
        futures = {pool.submit(_task_entry, t): t for t in todo}
        for future in cf.as_completed(futures):
            t = futures[future]
            try:
                done(t, future.result())
            except Exception as exc:  # a worker that died: the task is retried on the next run
                failed[t.key] = f"{t.kind}: {type(exc).__name__}: {exc}"
