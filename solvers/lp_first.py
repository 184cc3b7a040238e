"""An LP-first strategy for large allocation MIPs: relaxation, a sub-MIP around it, then the full MIP.

On large instances the LP relaxation of the allocation model is nearly integral (Zuid-Holland at
100 m: 252 fractional integers of 140,747) and its bound close to the optimum, while HiGHS's own
heuristics can take minutes to find a first allocation. So, in the solver's worker process:

1. solve the LP relaxation of the **full** problem (dual simplex; its optimum is a proven bound
   of the MIP, and an infeasible relaxation proves the MIP infeasible);
2. if every integer column is integral there, that is the optimum (gap 0);
3. else fix the integer columns that are integral in the relaxation and solve that sub-MIP
   (RENS, "relaxation enforced neighbourhood search"): any allocation it finds is feasible for
   the full problem. If its gap to the relaxation's bound is within ``mip_rel_gap``, stop: the
   gap is proven against the full problem's relaxation;
4. else free the fixed columns and solve the full MIP with that allocation as a MIP start; the
   bound reported is the better of HiGHS's and the relaxation's.

Every bound and gap reported is one of the full problem. :func:`wanted` decides when the
strategy applies (``solver.strategy``: ``auto`` uses it from ``AUTO_MIN_INTEGERS`` integer
columns on, ``lp_first`` always, ``direct`` never).
"""
from __future__ import annotations

import time

import numpy as np

from ruimtepuzzel.model.problem import Problem

from ruimtepuzzel.solvers.base import INFEASIBLE, OPTIMAL, TIME_LIMIT, SolveOptions

AUTO_MIN_INTEGERS = 50_000
SUB_MIP_SHARE = 0.4  # of the time left after the relaxation
INTEGRAL = 1e-6


def wanted(prob: Problem, opts: SolveOptions) -> bool:
    strategy = getattr(opts, "strategy", "auto")
    if strategy == "direct":
        return False
    n_integer = int(prob.integrality().sum())
    return n_integer > 0 and (strategy == "lp_first" or n_integer >= AUTO_MIN_INTEGERS)


def gap_of(objective: float, bound: float) -> float:
    if objective == bound:
        return 0.0
    return abs(bound - objective) / abs(objective) if objective else float("inf")


def solve(h, prob: Problem, opts: SolveOptions, run, log=lambda msg: None) -> dict:
    """The LP-first solve of a loaded Highs ``h``; ``run(h, opts)`` runs a MIP under the time limit (the answer dict)."""
    import highspy

    start = time.monotonic()
    deadline = start + opts.time_limit_s
    integer = prob.integrality()
    idx = np.flatnonzero(integer).astype(np.int32)
    n = prob.n_cols
    kinds = np.where(integer, 1, 0).astype(np.uint8)

    def remaining() -> float:
        return max(deadline - time.monotonic(), 1.0)

    def option(name, value):
        h.setOptionValue(name, value)

    # 1. the relaxation of the full problem
    option("presolve", "off")
    option("solver", "simplex")
    option("time_limit", h.getRunTime() + remaining())
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, np.uint8))
    t = time.perf_counter()
    h.run()
    lp_time = time.perf_counter() - t
    status = h.getModelStatus()
    ms = highspy.HighsModelStatus
    option("solver", "choose")
    option("presolve", _presolve(opts))
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), kinds)
    if status == ms.kInfeasible:
        log(f"LP relaxation infeasible ({lp_time:.1f} s): the hard constraints cannot hold")
        return {"status": INFEASIBLE, "values": None, "objective": None, "bound": None, "gap": None,
                "times": {"solve": time.monotonic() - start}, "message": "infeasible (LP relaxation)"}
    if status != ms.kOptimal:  # a time limit or an unbounded relaxation: the MIP solver decides
        log(f"LP relaxation {h.modelStatusToString(status)}; solving the MIP directly")
        return _timed(run(h, _with_limit(opts, remaining())), start)
    lp = np.asarray(h.getSolution().col_value)
    bound = h.getInfo().objective_function_value
    fractional = np.abs(lp[idx] - np.round(lp[idx])) > INTEGRAL
    log(f"LP relaxation: bound {bound:,.6g}, {int(fractional.sum()):,} of {len(idx):,} integer columns fractional ({lp_time:.1f} s)")
    if not fractional.any():
        values = lp.copy()
        values[idx] = np.round(lp[idx])
        return {"status": OPTIMAL, "values": values, "objective": bound, "bound": bound, "gap": 0.0,
                "times": {"solve": time.monotonic() - start}, "message": "optimal (LP relaxation integral)"}

    # 2. the neighbourhood of the relaxation: integral integers fixed
    lower, upper = np.asarray(h.getLp().col_lower_).copy(), np.asarray(h.getLp().col_upper_).copy()
    fixed = idx[~fractional]
    value = np.round(lp[fixed])
    h.changeColsBounds(len(fixed), fixed, value, value)
    sub = run(h, _with_limit(opts, SUB_MIP_SHARE * remaining(), gap=opts.mip_rel_gap / 2))
    h.changeColsBounds(len(fixed), fixed, lower[fixed], upper[fixed])
    best = sub if sub["values"] is not None else None
    if best is not None:
        gap = gap_of(best["objective"], bound)
        log(f"sub-MIP around the relaxation: {best['objective']:,.6g}, gap {gap:.4%} to the relaxation's bound")
        if gap <= opts.mip_rel_gap:
            return {**best, "status": OPTIMAL, "bound": bound, "gap": gap, "times": {"solve": time.monotonic() - start},
                    "message": f"optimal within the gap (LP bound; {len(fixed):,} integral columns fixed in the sub-MIP)"}

    # 3. the full MIP, from that allocation
    if best is not None:
        h.setSolution(len(idx), idx, np.round(best["values"][idx]).astype(float))
    full = run(h, _with_limit(opts, remaining()))
    if full["values"] is None and best is not None:
        full = {**full, "values": best["values"], "objective": best["objective"]}
        full["status"] = TIME_LIMIT
    if full["values"] is not None:
        tighter = min if prob.sense == "max" else max
        full["bound"] = tighter(full["bound"], bound) if full["bound"] is not None else bound
        full["gap"] = gap_of(full["objective"], full["bound"])
        if full["gap"] <= opts.mip_rel_gap:
            full["status"] = OPTIMAL
    return _timed(full, start)


def _presolve(opts: SolveOptions) -> str:
    from ruimtepuzzel.solvers.highs import PRESOLVE

    return PRESOLVE[opts.presolve][0]


def _with_limit(opts: SolveOptions, seconds: float, gap=None) -> SolveOptions:
    import dataclasses

    return dataclasses.replace(opts, time_limit_s=seconds, mip_rel_gap=opts.mip_rel_gap if gap is None else gap)


def _timed(answer: dict, start: float) -> dict:
    answer["times"] = {**answer.get("times", {}), "solve": time.monotonic() - start}
    return answer
