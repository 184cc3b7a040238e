"""Solving a formulated problem: solver options from the instance, the stages of an objective, status errors.

``min_shortfall`` and ``max_min_fulfilment`` solve twice (docs/model.md): the first stage's
value, then the second stage's objective with it held, from the first stage's allocation.
A status that is not a solution becomes the error the command line turns into its exit
code (2 infeasible with a diagnosis, 3 no solution).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable, Optional

import numpy as np

from ruimtepuzzel import solvers
from ruimtepuzzel.model.analysis import diagnose
from ruimtepuzzel.model.errors import InfeasibleError, NoSolutionError, RuimtepuzzelError
from ruimtepuzzel.model.formulation import SOFT_FAMILIES, objectives
from ruimtepuzzel.model.inputs import settings
from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.solvers import SolveOptions, SolveResult
from ruimtepuzzel.solvers.answer import AGREEMENT, gap_of
from ruimtepuzzel.solvers.base import INFEASIBLE, NO_SOLUTION, OPTIMAL, TIME_LIMIT, UNBOUNDED

MIN_STAGE_FRACTION = 0.1  # max_min_fulfilment stage 2 gets at least this share of the limit


def solve_options(instance: Instance, solver=None, time_limit=None, gap=None, threads=None, seed=None) -> SolveOptions:
    """The instance's solver settings, with those given on the command line or to the API checked and put first."""
    time_limit = settings.checked("--time-limit", settings.seconds, time_limit)
    gap = settings.checked("--gap", settings.gap, gap)
    threads = settings.checked("--threads", settings.threads, threads)
    seed = settings.checked("--seed", settings.seed, seed)
    cfg = instance.config.solver
    return SolveOptions(
        solver=solver or cfg.name,
        time_limit_s=time_limit if time_limit is not None else cfg.time_limit_s,
        mip_rel_gap=gap if gap is not None else cfg.mip_rel_gap,
        threads=threads if threads is not None else cfg.threads,
        seed=seed if seed is not None else cfg.seed,
        presolve=cfg.presolve,
        strategy=cfg.strategy,
        site_cuts=cfg.site_cuts,
        options=dict(cfg.options),
    )


def finite(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def solve_stages(prep: Prepared, problem, opts: SolveOptions, progress: Callable = lambda m: None,
                 solve: Optional[Callable] = None) -> SolveResult:
    """One solve, or the two stages of ``min_shortfall`` and ``max_min_fulfilment``; ``solve(problem, opts)`` is the solver call.

    Both stages share the time limit (stage 2 gets at least ``MIN_STAGE_FRACTION`` of it). Stage 2 starts
    from stage 1's allocation (``opts.start``: a full column vector, feasible with the stage-1 value held), so
    it always has an allocation to report. The result carries stage 2's allocation (stage 1's when stage 2
    found none) and is :func:`reported` in the terms of the reported stage:

    - ``max_min_fulfilment``: stage 2 (the ``max_value`` objective with t held): objective c₂·x + offset of
      the allocation, stage 2's bound and gap;
    - ``min_shortfall``: stage 1 (the weighted relative shortfall): objective c₁·x + offset of the allocation
      reported, stage 1's bound, the gap between them.

    The status is ``optimal`` only when both stages are (each proven within the gap); otherwise
    ``time_limit`` (an allocation without the proof).
    """
    solve = solve or solvers.solve
    first = solve(problem, opts)
    if prep.config.objective.sense not in objectives.TWO_STAGE or not first.has_solution:
        return first
    held = objectives.second_stage(prep, problem, first.values)
    progress(f"stage 1: {held}; stage 2: the best {'value' if problem.sense == 'max' else 'cost'} with it held")
    used = first.times.get("transfer", 0.0) + first.times.get("solve", 0.0)
    remaining = max(opts.time_limit_s - used, MIN_STAGE_FRACTION * opts.time_limit_s)
    start = _second_stage_start(prep, problem, first.values)
    second = solve(problem, dataclasses.replace(opts, time_limit_s=remaining, start=start))
    times = {k: first.times.get(k, 0) + second.times.get(k, 0) for k in set(first.times) | set(second.times)}
    if not second.has_solution:
        progress(f"warning: stage 2 found no allocation ({second.message}); stage 1's allocation stands")
    return reported(prep, problem, first, second, times)


def reported(prep: Prepared, problem, first: SolveResult, second: SolveResult, times: dict) -> SolveResult:
    """The two stages as one answer: the allocation of stage 2 (stage 1's when stage 2 has none), the objective
    c·x + offset of it in the reported stage's terms (``problem``'s objective is left as that stage's), that stage's
    bound and the gap between them; ``optimal`` only when both stages are proven."""
    base = second if second.has_solution else first
    result = dataclasses.replace(base, times=times)
    both = first.status == OPTIMAL and second.status == OPTIMAL
    if prep.config.objective.sense == "min_shortfall":
        objectives.first_stage(prep, problem)  # the problem in the reported objective's terms (shadow prices)
    bound = finite((first if prep.config.objective.sense == "min_shortfall" else second).bound)
    result.objective = float(problem.objective() @ base.values + problem.offset)
    if bound is not None and not _valid(problem.sense, result.objective, bound):
        bound = None  # contradicted by an allocation: not a proven bound
    result.bound = bound
    result.gap = gap_of(result.objective, bound) if bound is not None else None
    result.status = OPTIMAL if both else TIME_LIMIT
    if not both:
        stopped = "stage 1" if first.status != OPTIMAL else "stage 2"
        result.message = f"{stopped} not proven ({(first if stopped == 'stage 1' else second).message})"
    return result


def _second_stage_start(prep: Prepared, problem, values):
    """Stage 1's allocation as a start of stage 2 (after ``objectives.second_stage``): every column as it was,
    the fulfilment t at its held lower bound, which every floor row allows (t* is the smallest ratio)."""
    start = np.asarray(values, float).copy()
    if prep.config.objective.sense == "max_min_fulfilment" and problem.has(objectives.FULFILMENT):
        t = problem.group(objectives.FULFILMENT).slice
        start[t] = problem.bounds()[0][t]
    return start


def _valid(sense: str, objective: float, bound: float) -> bool:
    """A bound of a ``sense`` problem that an allocation worth ``objective`` does not contradict."""
    slack = AGREEMENT * max(1.0, abs(objective))
    return bound >= objective - slack if sense == "max" else bound <= objective + slack


def status_error(status: str, result: SolveResult, problem, opts: SolveOptions, prep: Prepared) -> Optional[RuimtepuzzelError]:
    if status == INFEASIBLE:
        families, conclusive = diagnose.conflicting_families(problem, opts, SOFT_FAMILIES)
        subset = diagnose.irreducible_subset(problem, families, min(opts.time_limit_s, 60.0)) if families else None
        error = InfeasibleError(diagnose.report(problem, families, conclusive, subset, prep.findings))
        error.context = (prep, problem, result)
        return error
    if status == NO_SOLUTION:
        bound = f"; best bound {result.bound:.6g}" if finite(result.bound) is not None else ""
        return NoSolutionError(f"time limit of {opts.time_limit_s:g} s reached without a feasible allocation{bound}")
    if status == UNBOUNDED:
        return RuimtepuzzelError(f"the model is unbounded ({result.message}); check negative penalties or costs")
    if status not in (OPTIMAL, TIME_LIMIT):
        return RuimtepuzzelError(f"the solver failed: {result.message}")
    return None
