"""What every solver adapter takes and returns, and the wall-clock guard they share."""
from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

OPTIMAL = "optimal"  # optimal within the requested gap
TIME_LIMIT = "time_limit"  # stopped by the time limit with a feasible allocation
NO_SOLUTION = "no_solution"  # stopped by the time limit without one
INFEASIBLE = "infeasible"
UNBOUNDED = "unbounded"
ERROR = "error"

# grace on top of the solver's own time limit before the worker is killed
GRACE_S = 5.0
GRACE_FRACTION = 0.05


@dataclass
class SolveOptions:
    solver: str = "highs"
    time_limit_s: float = 600.0
    mip_rel_gap: float = 0.01
    threads: int = 2
    seed: int = 0
    presolve: str = "light"
    strategy: str = "auto"  # auto | direct | lp_first (solvers/lp_first.py)
    site_cuts: bool = True  # LP-first: separator cuts of minimum sites in the relaxation
    options: dict = field(default_factory=dict)
    log_path: Optional[Path] = None
    # an allocation to start from (one value per column), repaired and offered as a full MIP start
    # (solvers/starts.py); HiGHS's direct solve uses it, LP-first and Pyomo solvers ignore it
    start: Optional[np.ndarray] = None

    def deadline_s(self) -> float:
        return self.time_limit_s * (1 + GRACE_FRACTION) + GRACE_S


@dataclass
class SolveResult:
    """A solver's answer: ``status`` (optimal, time_limit, no_solution, infeasible…), the column ``values``, objective, bound, gap."""

    status: str
    values: Optional[np.ndarray] = None
    objective: Optional[float] = None
    bound: Optional[float] = None
    gap: Optional[float] = None
    times: dict = field(default_factory=dict)  # transfer, solve
    solver: str = ""
    version: str = ""
    message: str = ""
    killed: bool = False

    @property
    def has_solution(self) -> bool:
        return self.values is not None


@dataclass
class SolveProgress:
    """What a running solve has found so far (objective and bound in the problem's own sense; None until known)."""

    elapsed_s: float
    objective: Optional[float] = None  # the incumbent's objective
    bound: Optional[float] = None
    gap: Optional[float] = None  # relative, as the solver computes it


Watch = Callable[[SolveProgress], None]


def run_in_worker(target: Callable, args: tuple, deadline_s: float,
                  poll: Optional[Callable[[float], None]] = None) -> tuple[Optional[dict], bool]:
    """Run ``target(conn, *args)`` in a forked process; return (its message, killed).

    The worker inherits the model arrays by fork (nothing is pickled on the way in)
    and sends one dict back. If it is still running at the deadline it is killed,
    so no solver phase (presolve, clique tables) can overrun the wall-clock limit.
    ``poll(elapsed_s)`` is called about twice a second while the worker runs (progress).
    """
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_guarded, args=(target, send, args), daemon=True)
    proc.start()
    send.close()
    message, killed = None, False
    try:
        start = time.monotonic()
        end = start + deadline_s
        while True:
            if poll is not None:
                poll(time.monotonic() - start)
            if receive.poll(min(0.5, max(0.0, end - time.monotonic()))):
                message = receive.recv()
                break
            if not proc.is_alive() and not receive.poll():
                break
            if time.monotonic() >= end:
                killed = True
                break
    except EOFError:
        message = None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receive.close()
    return message, killed


def _die_with_parent() -> None:
    """Linux: the worker gets SIGKILL when its parent dies, so a killed run leaves no solver behind."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _guarded(target, conn, args):
    import os

    _die_with_parent()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # solver banners must not reach the parent's stdout (--json)
    try:
        target(conn, *args)
    except BaseException as exc:  # report, never hang the parent
        try:
            conn.send({"status": ERROR, "message": f"{type(exc).__name__}: {exc}"})
        except Exception:
            pass
    finally:
        conn.close()
