"""What runs in an alternatives worker process: the plans one after the other, and single range or importance solves.

A worker keeps one :class:`~.space.NearOptimal` per run (by ``token``): built once, from the
prepared instance and problem inherited from the parent (forked local workers) or built from the
instance (Dask workers). Plans form a chain (plan j depends on plans 0 … j−1), so they run in one
worker, which stores each plan as it is found; ranges and replacement costs are independent
tasks, spread over the workers.
"""
from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ruimtepuzzel.model.analysis.alternatives import directions, hsj, importance, plans, ranges
from ruimtepuzzel.model.analysis.alternatives.space import NearOptimal
from ruimtepuzzel.model.formulation import formulate
from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.prepare.pairs import prepare
from ruimtepuzzel.solvers.base import SolveOptions


@dataclass
class Context:
    """What every worker needs; shipped once (forked, or scattered to Dask workers)."""

    token: str
    instance: Instance
    opts: SolveOptions
    slack: float
    known: list = field(default_factory=list)  # plans found (full column vectors), plan 0 first


@dataclass
class Task:
    kind: str  # plans | range | importance
    key: str
    payload: object = None


_PREBUILT: dict = {}  # token -> (prep, problem), set in the parent before forking
_SPACES: dict = {}
_LOCK = threading.Lock()


def prebuilt(token: str, prep, problem) -> None:
    _PREBUILT.clear()
    _PREBUILT[token] = (prep, problem)


def space_of(ctx: Context) -> NearOptimal:
    """The worker's kept model for this run (built on first use)."""
    with _LOCK:
        if ctx.token not in _SPACES:
            _SPACES.clear()
            if ctx.token in _PREBUILT:
                prep, problem = _PREBUILT[ctx.token]
            else:
                prep = prepare(ctx.instance)
                problem = formulate(prep)
            space = NearOptimal(prep, problem, ctx.opts)
            if ctx.known:
                space.set_optimum(ctx.known[0])
            _SPACES[ctx.token] = space
        return _SPACES[ctx.token]


def plan_record(space: NearOptimal, answer, extra: Optional[dict] = None) -> dict:
    return {"status": answer.status, "gap": answer.gap, "objective": answer.objective, "aux": answer.aux,
            "solve_s": answer.solve_s, "message": answer.message, **(extra or {})}


def run_chain(ctx: Context, method: str, count: int, chosen: list, stored: list, put: Callable) -> list:
    """Plans 0 … count: those in ``stored`` (values, record) are taken as they are, the rest solved in order and
    handed to ``put(j, values, record)`` as each is found. ``chosen``: one direction per plan 1 … count (directions)."""
    space = space_of(ctx)
    prep = space.prep
    found = []
    for j in range(count + 1):
        if j < len(stored) and stored[j] is not None:
            values, record = stored[j]
            if j == 0 and space.plan0 is None:
                space.set_optimum(values)
            found.append((values, record))
            continue
        t = time.perf_counter()
        if j == 0:
            answer = space.optimum()
            extra = {}
        else:
            states = [plans.state(prep, v) for v, _ in found]
            if method == "hsj":
                aux, sense = hsj.objective(prep, space.problem, states), hsj.SENSE
                start = found[-1][0]
            else:
                aux, sense = directions.area_vector(prep, space.problem, chosen[j - 1]), directions.SENSE
                scores = [float(aux @ v) for v, _ in found]
                start = found[int(np.argmax(scores))][0]
            answer = space.near(aux, sense, ctx.slack, start=start)
            extra = {"direction": directions.describe(chosen[j - 1]) if method == "directions" else None}
        record = plan_record(space, answer, {**extra, "total_s": time.perf_counter() - t})
        if not answer.found:
            record["values"] = None
            put(j, None, record)
            break  # no plan j: the next would have nothing new to avoid or aim at
        put(j, answer.values, record)
        found.append((answer.values, record))
    return found


def solve_task(ctx: Context, task: Task) -> dict:
    """A range or importance task's row (never raises: an error is the row's status)."""
    start = time.perf_counter()
    try:
        space = space_of(ctx)
        if task.kind == "range":
            row = ranges.range_of(space, tuple(task.payload), ctx.slack, ctx.known)
        elif task.kind == "importance":
            row = importance.replacement(space, task.payload, ctx.known)
        else:
            raise ValueError(f"unknown task kind {task.kind!r}")
        row["total_s"] = time.perf_counter() - start
        return {"row": row}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"}
