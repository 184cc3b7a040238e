"""Solve one sweep scenario inside a worker process (local or Dask).

A worker keeps, per sweep, the base instance prepared and formulated and — with
model re-use on — the base problem loaded in HiGHS (:class:`solvers.kept.KeptHighs`).
A scenario whose changes are bounds, right-hand sides and costs is patched onto
the base (:mod:`.patch`) and re-solved on the kept model with the base solution as
a MIP start; any other scenario is prepared, formulated and solved afresh.
"""
from __future__ import annotations

import dataclasses
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from ruimtepuzzel import solvers
from ruimtepuzzel.solvers.base import OPTIMAL, TIME_LIMIT, SolveOptions, SolveResult
from ruimtepuzzel.solvers.highs import duals_here, solve_here, version
from ruimtepuzzel.solvers.kept import KeptHighs, delta

from ruimtepuzzel.model.analysis import duals
from ruimtepuzzel.model.outputs import extract
from ruimtepuzzel.model.formulation import formulate, presence
from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.prepare.pairs import prepare
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.solve.stages import solve_stages
from ruimtepuzzel.model.inputs.schema import InstanceConfig
from ruimtepuzzel.model.analysis.sweep.patch import PATCHABLE_SENSES, patched
from ruimtepuzzel.model.analysis.sweep.spec import Point

SUMMARY_COLUMNS = ["level", "region", "claim", "demand_min", "demand_max", "allocated_ha", "shortfall_ha", "pct_met"]
DUAL_COLUMNS = ["family", "key", "level", "region", "claim", "zone", "shadow_price", "unit", "binding"]
DUALS_TIME_LIMIT_S = 120.0


def with_period(columns: list[str], frame: pd.DataFrame) -> list[str]:
    """``columns``, led by ``period`` when ``frame`` is of a phased instance (a block of rows per period)."""
    return (["period"] if "period" in frame.columns else []) + columns


@dataclass
class Context:
    """What every worker needs, shipped once per sweep (forked, or scattered to Dask workers)."""

    token: str  # identifies the base: the same token means the same base problem
    instance: Instance
    opts: SolveOptions
    reuse: bool
    shadow_prices: bool
    base_values: Optional[np.ndarray] = None  # the base solution, offered as a MIP start

    @property
    def keeps_model(self) -> bool:
        cfg = self.instance.config
        return self.reuse and self.opts.solver == "highs" and cfg.objective.sense in PATCHABLE_SENSES and not cfg.periods


@dataclass
class Task:
    point: Point
    key: str
    config: InstanceConfig


@dataclass
class _Base:
    prep: Prepared
    problem: object
    kept: Optional[KeptHighs]
    lock: threading.Lock


_BASES: dict[str, _Base] = {}
_BASES_LOCK = threading.Lock()


def _base(ctx: Context) -> _Base:
    with _BASES_LOCK:
        if ctx.token not in _BASES:
            _BASES.clear()  # one sweep at a time per worker
            prep = prepare(ctx.instance)
            problem = formulate(prep)
            kept = KeptHighs(problem, ctx.opts) if ctx.keeps_model else None
            _BASES[ctx.token] = _Base(prep, problem, kept, threading.Lock())
        return _BASES[ctx.token]


def _result(answer: dict) -> SolveResult:
    result = SolveResult(status="error", solver="highs", version=version())
    for key, value in answer.items():
        setattr(result, key, value)
    return result


def _here(problem, opts: SolveOptions) -> SolveResult:
    """One solve in this process (a sweep worker never forks a HiGHS worker)."""
    return solvers.solve(problem, opts) if opts.solver != "highs" else _result(solve_here(problem, opts))


def _priced(answer: dict) -> Optional[dict]:
    return answer if answer["duals"] is not None else None


def _built(ctx: Context, config: InstanceConfig):
    prep = prepare(dataclasses.replace(ctx.instance, config=config))
    return prep, formulate(prep)


def _solve_fresh(ctx: Context, prep: Prepared, problem, times: dict):
    """Solve a problem loaded afresh (both stages if the objective has them), with its shadow prices."""
    result = solve_stages(prep, problem, ctx.opts, solve=_here)
    lp = None
    if ctx.shadow_prices and result.has_solution and ctx.opts.solver == "highs":
        t = time.perf_counter()
        lp = _priced(duals_here(problem, presence.settled(problem, result.values), DUALS_TIME_LIMIT_S))
        times["duals"] = time.perf_counter() - t
    return prep, problem, result, lp


def _fresh(ctx: Context, task: Task, times: dict):
    t = time.perf_counter()
    prep, problem = _built(ctx, task.config)
    times["setup"] = time.perf_counter() - t
    return _solve_fresh(ctx, prep, problem, times)


def _kept(ctx: Context, base: _Base, task: Task, times: dict):
    """Patch (or rebuild) the scenario; re-solve on the kept model if only bounds and costs moved."""
    t = time.perf_counter()
    got = patched(base.prep, base.problem, task.config)
    prep, problem = got if got is not None else _built(ctx, task.config)
    d = delta(base.problem, problem)
    times["setup"] = time.perf_counter() - t
    times["path"] = "patched" if got is not None else ("rebuilt" if d is not None else "fresh")
    if d is None:
        return _solve_fresh(ctx, prep, problem, times)
    with base.lock:
        result = _result(base.kept.solve(problem, d, ctx.opts, start=ctx.base_values))
        lp = None
        if ctx.shadow_prices and result.has_solution:
            t = time.perf_counter()
            lp = base.kept.fixed_integer_duals(problem, presence.settled(problem, result.values), DUALS_TIME_LIMIT_S)
            times["duals"] = time.perf_counter() - t
    return prep, problem, result, lp


def solve_task(ctx: Context, task: Task) -> dict:
    """The scenario's record: scalars, its summary rows and its shadow prices (never raises)."""
    start = time.perf_counter()
    times: dict = {"path": "fresh"}
    try:
        if ctx.keeps_model:
            prep, problem, result, lp = _kept(ctx, _base(ctx), task, times)
        else:
            prep, problem, result, lp = _fresh(ctx, task, times)
        record = {"status": result.status, "objective": result.objective, "bound": result.bound, "gap": result.gap,
                  "message": result.message, "transfer_s": result.times.get("transfer", 0.0),
                  "solve_s": result.times.get("solve", 0.0)}
        summary = pd.DataFrame(columns=SUMMARY_COLUMNS)
        prices = pd.DataFrame(columns=DUAL_COLUMNS)
        if result.status in (OPTIMAL, TIME_LIMIT) and result.has_solution:
            t = time.perf_counter()
            summary = extract.summary(prep, extract.allocation(prep, result.values))
            summary = summary[with_period(SUMMARY_COLUMNS, summary)]
            times["extract"] = time.perf_counter() - t
            if lp is not None:
                prices = duals.shadow_prices(prep, problem, lp["duals"], lp["activity"])
                prices = prices[with_period(DUAL_COLUMNS, prices)]
    except Exception as exc:  # a bad scenario must not take the sweep down; its record says why
        record = {"status": "error", "objective": None, "bound": None, "gap": None,
                  "message": f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"}
        summary, prices = pd.DataFrame(columns=SUMMARY_COLUMNS), pd.DataFrame(columns=DUAL_COLUMNS)
    record.update({"scenario": task.point.scenario, "key": task.key, "path": times.pop("path"),
                   "setup_s": times.get("setup", 0.0), "extract_s": times.get("extract", 0.0),
                   "duals_s": times.get("duals", 0.0), "total_s": time.perf_counter() - start})
    return {"record": record, "summary": summary, "duals": prices}
