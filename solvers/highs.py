"""HiGHS, with the matrix passed straight to highspy (no modelling-layer copy).

The solve runs in a forked worker (see :func:`solvers.base.run_in_worker`):
HiGHS gets the time limit, a MIP interrupt callback enforces it again, and the
parent kills the worker after a grace period if HiGHS ignores both (as its
presolve and clique-table setup sometimes do). Every improving MIP solution is
copied into shared memory, so a killed solve still returns its incumbent.
"""
from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import replace

import numpy as np

from ruimtepuzzel.model.problem import Problem

from ruimtepuzzel.solvers import lp_first, starts
from ruimtepuzzel.solvers.answer import checked, checked_result, solve_checked
from ruimtepuzzel.solvers.highs_arrays import pass_arrays
from ruimtepuzzel.solvers.base import (ERROR, INFEASIBLE, NO_SOLUTION, OPTIMAL, TIME_LIMIT, UNBOUNDED, SolveOptions, SolveProgress,
                                       SolveResult, Watch, run_in_worker)

# the shared state a solving worker updates for its parent: incumbent objective, bound, has-incumbent (0/1), gap
STATE = 4

PRESOLVE = {  # ours -> (presolve, presolve_mode); measured: full presolve stalls on large assignment models
    "off": ("off", 0),
    "light": ("on", 2),
    "full": ("on", 0),
}


def version() -> str:
    from importlib.metadata import version as v

    return v("highspy")


def highs_options(opts: SolveOptions) -> dict:
    presolve, mode = PRESOLVE[opts.presolve]
    options = {
        "time_limit": float(opts.time_limit_s),
        "mip_rel_gap": float(opts.mip_rel_gap),
        "threads": int(opts.threads),
        "random_seed": int(opts.seed),
        "presolve": presolve,
        "presolve_mode": mode,
    }
    options.update(opts.options)
    return options


def build_lp(prob: Problem, skip: frozenset = frozenset()):
    import highspy

    a, row_lo, row_hi = prob.matrix(skip, fmt="csc")
    lb, ub = prob.bounds(skip)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = prob.n_cols, a.shape[0]
    lp.col_cost_ = prob.objective()
    lp.col_lower_, lp.col_upper_ = lb, ub
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.offset_ = prob.offset
    lp.sense_ = highspy.ObjSense.kMaximize if prob.sense == "max" else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = prob.n_cols, a.shape[0]
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    integer = prob.integrality()
    if integer.any():
        lp.integrality_ = np.where(integer, highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous).tolist()
    return lp


def pass_model(h, prob: Problem, skip: frozenset = frozenset()) -> None:
    """Hand the problem's arrays to HiGHS in one call (no HighsLp in between: one copy of the matrix fewer)."""
    a, row_lo, row_hi = prob.matrix(skip, fmt="csc")
    lb, ub = prob.bounds(skip)
    pass_arrays(h, prob.sense, prob.offset, a, row_lo, row_hi, prob.objective(), lb, ub, prob.integrality())


def _new_highs(opts: SolveOptions):
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", True)
    h.setOptionValue("log_to_console", False)
    if opts.log_path:
        h.setOptionValue("log_file", str(opts.log_path))
    for key, value in highs_options(opts).items():
        h.setOptionValue(key, value)
    return h


def _run(h, prob: Problem, opts: SolveOptions, incumbent=None, state=None, known_bound=None) -> dict:
    """Run a loaded Highs under the time limit; the answer as :func:`solve` reports it (``times`` has ``solve``).

    ``known_bound``: a bound of the problem proven before this run (the LP-first relaxation's); the shared state
    shows the tighter of it and HiGHS's."""
    import highspy

    buffer = np.frombuffer(incumbent, dtype=np.float64) if incumbent is not None and len(incumbent) else None
    deadline = time.monotonic() + opts.time_limit_s

    def share(bound):
        state[1] = lp_first.tighter(prob.sense, bound, known_bound)
        if state[2] == 1.0:
            state[3] = lp_first.gap_of(state[0], state[1]) if np.isfinite(state[1]) else np.inf

    last = {}  # the last improving solution: on a re-solve of a loaded model HiGHS's final solution can be the start
    # while its objective is this one's (solvers/answer.py picks the allocation that has the objective)

    def improving(e):
        last["x"] = np.array(e.data_out.mip_solution, dtype=np.float64)
        if buffer is not None:
            buffer[:] = last["x"]
            state[0], state[2] = e.data_out.objective_function_value, 1.0
            share(e.data_out.mip_dual_bound)

    stale = [True]  # HiGHS keeps an interrupt request into the next run of a loaded model: cleared at this run's first call

    def interrupt(e):
        if stale[0]:  # only then: another subscriber's later interrupt (a cancel on the negotiation table) must stand
            e.data_in.user_interrupt = False
            stale[0] = False
        if state is not None:  # the bound moves between incumbents: the parent shows it as progress
            share(e.data_out.mip_dual_bound)
        if time.monotonic() > deadline:
            e.interrupt()

    h.cbMipImprovingSolution.subscribe(improving)
    h.cbMipInterrupt.subscribe(interrupt)
    start = time.perf_counter()
    try:
        h.run()
    finally:
        h.cbMipImprovingSolution.unsubscribe(improving)
        h.cbMipInterrupt.unsubscribe(interrupt)
    solve = time.perf_counter() - start
    status, info = h.getModelStatus(), h.getInfo()
    ms = highspy.HighsModelStatus
    feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
    empty = status == ms.kModelEmpty  # nothing allowed and nothing asked: allocate nothing
    if status == ms.kOptimal or empty:
        ours = OPTIMAL
    elif status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        ours = INFEASIBLE
    elif status == ms.kUnbounded:
        ours = UNBOUNDED
    elif status in (ms.kTimeLimit, ms.kInterrupt, ms.kIterationLimit, ms.kSolutionLimit):
        ours = TIME_LIMIT if feasible else NO_SOLUTION
    else:
        ours = ERROR
    integer = prob.integrality().any()
    values = np.asarray(h.getSolution().col_value) if feasible or ours == OPTIMAL else None
    objective = info.objective_function_value if values is not None else None
    bound = info.mip_dual_bound if integer and not empty else objective
    gap = info.mip_gap if integer and not empty else 0.0
    if empty:
        values, objective, bound = np.zeros(prob.n_cols), prob.offset, prob.offset
    return {
        "status": ours, "values": values, "objective": objective, "bound": bound,
        "gap": gap if gap is not None and np.isfinite(gap) else None,
        "times": {"solve": solve},
        "message": h.modelStatusToString(status),
        "incumbent": last.get("x"),  # taken out by solvers.answer.checked
    }


def solve_here(prob: Problem, opts: SolveOptions, skip: frozenset = frozenset(), incumbent=None, state=None) -> dict:
    """Load and solve in this process. Only for processes that never fork a HiGHS worker afterwards.

    The answer is checked (:func:`ruimtepuzzel.solvers.answer.checked`): the objective is c·x + offset of the
    allocation returned, ``optimal`` only when HiGHS proved it and its objective agrees. A direct solve whose
    objective disagrees is solved once more with presolve off."""
    if lp_first.wanted(prob, opts):
        def run(h, stage_opts, columns, bound=None):
            h.setOptionValue("time_limit", h.getRunTime() + stage_opts.time_limit_s)
            h.setOptionValue("mip_rel_gap", stage_opts.mip_rel_gap)
            whole = columns is prob  # a sub-MIP's columns are not the problem's: its incumbents are not shared
            return _run(h, columns, stage_opts, incumbent if whole else None, state if whole else None, bound)

        def publish(values, objective, bound):
            """What a stage proved, shared with the parent at once (progress; the answer if the worker is killed)."""
            if state is None:
                return
            if values is not None and incumbent is not None and len(incumbent):
                np.frombuffer(incumbent, dtype=np.float64)[:] = values
                state[0], state[2] = objective, 1.0
            if bound is not None:
                state[1] = bound
            if state[2] == 1.0 and np.isfinite(state[1]):
                state[3] = lp_first.gap_of(state[0], state[1])

        full, note = starts.repaired(prob, opts.start) if opts.start is not None and not skip else (None, "no start")
        if opts.start is not None:
            _logger(opts)(f"MIP start: {note}")
        answer = checked(prob, lp_first.solve(prob, opts, _new_highs, run, skip, _logger(opts), publish, start=full), skip)
        answer["start"] = note
        return answer
    start = time.perf_counter()
    h = _new_highs(opts)
    pass_model(h, prob, skip)
    transfer = time.perf_counter() - start
    full, note = starts.repaired(prob, opts.start) if opts.start is not None and not skip else (None, "no start")
    if full is not None:
        starts.offer(h, full)
    if opts.start is not None:
        _logger(opts)(f"MIP start: {note}")

    def again() -> dict:  # HiGHS's objective disagreed with its allocation: once more, presolve off
        h2 = _new_highs(replace(opts, presolve="off"))
        pass_model(h2, prob, skip)
        return _run(h2, prob, opts)

    answer = solve_checked(prob, lambda: _run(h, prob, opts, incumbent, state), again, skip, _logger(opts))
    answer["times"]["transfer"] = transfer
    return answer


def _logger(opts: SolveOptions):
    """Lines of our own in the solver log (solver.log), between HiGHS's."""
    def log(message: str) -> None:
        if opts.log_path:
            with open(opts.log_path, "a") as f:
                f.write(f"ruimtepuzzel: {message}\n")
    return log


def _worker(conn, prob: Problem, opts: SolveOptions, skip, incumbent, state):
    conn.send(solve_here(prob, opts, skip, incumbent, state))


def _progress(state) -> SolveProgress:
    """The shared state as progress: the incumbent once there is one, the bound and gap once finite."""
    def known(v):
        return float(v) if np.isfinite(v) and abs(v) < 1e300 else None

    has = state[2] == 1.0
    return SolveProgress(0.0, known(state[0]) if has else None, known(state[1]), known(state[3]) if has else None)


def solve(prob: Problem, opts: SolveOptions, skip: frozenset = frozenset(), watch: Watch | None = None) -> SolveResult:
    """Solve in a forked worker; ``watch(SolveProgress)`` gets the incumbent, bound and gap about twice a second."""
    incumbent = mp.RawArray("d", prob.n_cols)
    state = mp.RawArray("d", STATE)
    state[1] = state[3] = np.inf

    def poll(elapsed: float) -> None:
        progress = _progress(state)
        progress.elapsed_s = elapsed
        watch(progress)

    began = time.perf_counter()
    message, killed = run_in_worker(_worker, (prob, opts, skip, incumbent, state), opts.deadline_s(), poll if watch else None)
    result = SolveResult(status=ERROR, solver="highs", version=version(), killed=killed,
                         times={"solve": time.perf_counter() - began})  # a worker's answer brings its own
    if message is not None:
        for key, value in message.items():
            setattr(result, key, value)
    elif killed:
        result.message = f"HiGHS did not stop within {opts.deadline_s():.0f} s; the worker was killed"
        if state[2] == 1.0:
            result.status = TIME_LIMIT
            result.values = np.frombuffer(incumbent, dtype=np.float64).copy()
            result.objective = state[0]
            if np.isfinite(state[1]):
                result.bound = state[1]
                result.gap = lp_first.gap_of(result.objective, result.bound)
            checked_result(prob, result, skip)
        else:
            result.status = NO_SOLUTION
            result.bound = state[1] if np.isfinite(state[1]) else None
    else:
        result.message = "the HiGHS worker ended without an answer (crashed?)"
    return result


def relaxed_highs(prob: Problem, time_limit_s: float, skip: frozenset = frozenset()):
    """A quiet Highs that has solved the LP relaxation.

    Call it only inside a forked worker: HiGHS must not start its threads in the parent.
    """
    import highspy

    lp = build_lp(prob, skip)
    lp.integrality_ = []
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.passModel(lp)
    h.run()
    return h


def duals_here(prob: Problem, values: np.ndarray, time_limit_s: float) -> dict:
    """Fixed-integer row duals, solved in this process (``duals`` is None when the LP is not optimal).

    With the integer columns fixed, a row without a continuous column is a constant (dual 0), and the site flow
    (``lp_first.DEFERRED``) is a block of its own with zero cost, feasible for the allocation (dual 0): the LP passed
    holds only the other rows, their continuous columns, and the fixed part moved into the row bounds. At national
    scale that is 1,300,906 of 15,292,175 rows and 259,261 of 6,429,854 columns, solved in 45 s."""
    import highspy

    a, row_lo, row_hi = prob.matrix(fmt="csr")
    lb, ub = prob.bounds()
    cost = prob.objective()
    free = ~np.asarray(prob.integrality(), bool)
    merged = np.where(free, values, np.round(values))
    separable = np.concatenate([np.full(b.size, b.family in lp_first.DEFERRED) for b in prob.blocks] or [np.empty(0, bool)])
    has_free = np.bincount(np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))[free[a.indices]], minlength=a.shape[0]) > 0
    rows = np.flatnonzero(has_free & ~separable)
    cols = np.intersect1d(np.unique(a[rows].indices), np.flatnonzero(free))
    held = merged.copy()
    held[cols] = 0.0
    shift = a[rows] @ held
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    pass_arrays(h, prob.sense, float(prob.offset + cost @ held), a[rows][:, cols], row_lo[rows] - shift, row_hi[rows] - shift,
                cost[cols], lb[cols], ub[cols], np.zeros(len(cols), bool))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return {"duals": None, "message": h.modelStatusToString(h.getModelStatus())}
    solution = h.getSolution()
    duals = np.zeros(a.shape[0])
    duals[rows] = solution.row_dual
    merged[cols] = solution.col_value
    return {"duals": duals, "activity": a @ merged, "objective": float(prob.offset + cost @ merged), "message": "optimal"}


def _duals_worker(conn, prob: Problem, values: np.ndarray, time_limit_s: float) -> None:
    conn.send(duals_here(prob, values, time_limit_s))


def fixed_integer_duals(prob: Problem, values: np.ndarray, time_limit_s: float = 120.0) -> dict:
    """Row duals of the LP with every integer column fixed at its value in ``values``.

    HiGHS reports ∂objective/∂(row bound) for the objective as stated (max or min).
    """
    message, killed = run_in_worker(_duals_worker, (prob, values, time_limit_s), time_limit_s * 1.05 + 5)
    if message is None:
        return {"duals": None, "message": "the dual solve was killed" if killed else "the dual solve failed"}
    return message
