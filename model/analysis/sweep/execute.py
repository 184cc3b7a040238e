"""Running sweep tasks: local worker processes, or an existing Dask distributed cluster.

Both paths call :func:`.worker.solve_task` and hand each answer to ``done(task,
answer)`` as it arrives, so the store holds every finished scenario even if the
sweep is killed. A worker that crashes or overruns its deadline loses only the
scenario it was solving: locally the process is replaced, on Dask the scheduler
retries the task elsewhere and then reports it as failed.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import deque
from multiprocessing.connection import wait
from typing import Callable

from ruimtepuzzel.solvers.base import _die_with_parent

from ruimtepuzzel.model.analysis.sweep.worker import Context, Task, solve_task
from ruimtepuzzel.model.optional import require

Done = Callable[[Task, dict], None]
Failed = Callable[[Task, str], None]


def _loop(ctx: Context, conn) -> None:
    _die_with_parent()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # solver banners must not reach the parent's stdout or progress bar
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(solve_task(ctx, task))


class _Worker:
    def __init__(self, mpctx, ctx: Context):
        self.conn, theirs = mpctx.Pipe(duplex=True)
        self.proc = mpctx.Process(target=_loop, args=(ctx, theirs), daemon=True)
        self.proc.start()
        theirs.close()
        self.task = None
        self.started = 0.0

    def give(self, task: Task) -> None:
        self.task, self.started = task, time.monotonic()
        self.conn.send(task)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def run_local(ctx: Context, tasks: list[Task], workers: int, deadline_s: float, done: Done, failed: Failed) -> None:
    """Solve ``tasks`` on ``workers`` forked processes, each keeping its own base model."""
    mpctx = mp.get_context("fork")  # the parent has never run HiGHS, so forking is safe
    todo = deque(tasks)
    pool = [_Worker(mpctx, ctx) for _ in range(max(1, min(workers, len(tasks))))]
    try:
        for w in pool:
            if todo:
                w.give(todo.popleft())
        while any(w.task is not None for w in pool):
            busy = [w for w in pool if w.task is not None]
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=1.0)
            for i, w in enumerate(pool):
                if w.task is None:
                    continue
                lost = None
                if w.conn in ready:
                    try:
                        answer = w.conn.recv()
                    except (EOFError, OSError):
                        lost = f"worker process ended (exit code {w.proc.exitcode}) while solving"
                    else:
                        task, w.task = w.task, None
                        done(task, answer)
                elif w.proc.sentinel in ready or not w.proc.is_alive():
                    lost = f"worker process ended (exit code {w.proc.exitcode}) while solving"
                elif time.monotonic() - w.started > deadline_s:
                    lost = f"killed after {deadline_s:.0f} s (the solver ignored its time limit)"
                if lost is not None:
                    task = w.task
                    w.stop(kill=True)
                    failed(task, lost)
                    pool[i] = w = _Worker(mpctx, ctx)
                if w.task is None and todo:
                    w.give(todo.popleft())
    finally:
        for w in pool:
            w.stop(kill=w.task is not None)


def _dask_task(ctx: Context, task: Task) -> dict:
    return solve_task(ctx, task)


def run_dask(ctx: Context, tasks: list[Task], scheduler, done: Done, failed: Failed) -> None:
    """Solve ``tasks`` on a Dask cluster: ``scheduler`` is an address or a ``distributed.Client``/cluster."""
    distributed = require("distributed", extra="sweep", purpose="sweep --scheduler (a Dask cluster)")
    Client, as_completed = distributed.Client, distributed.as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        shared = client.scatter(ctx, broadcast=True)
        futures = {client.submit(_dask_task, shared, task, key=f"ruimtepuzzel-{task.point.scenario}-{task.key}", pure=False): task
                   for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                answer = future.result()
            except Exception as exc:  # KilledWorker after retries, or the worker's own error
                failed(task, f"{type(exc).__name__}: {exc}")
            else:
                done(task, answer)
            future.release()
    finally:
        if client is not scheduler:
            client.close()
