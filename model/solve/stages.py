"""Solving a formulated problem: solver options from the instance, the stages of an objective, status errors.

``max_min_fulfilment`` solves twice (docs/model.md): the smallest fulfilment ratio first,
then the best value with it held. A status that is not a solution becomes the error the
command line turns into its exit code (2 infeasible with a diagnosis, 3 no solution).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable, Optional

from ruimtepuzzel import solvers
from ruimtepuzzel.model.analysis import diagnose
from ruimtepuzzel.model.errors import InfeasibleError, NoSolutionError, RuimtepuzzelError
from ruimtepuzzel.model.formulation import SOFT_FAMILIES, objectives
from ruimtepuzzel.model.inputs import settings
from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.solvers import SolveOptions, SolveResult
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

    Both stages share the time limit (stage 2 gets at least ``MIN_STAGE_FRACTION`` of it). The
    result carries stage 2's allocation; for ``min_shortfall`` its objective, bound and gap are
    stage 1's (docs/model.md, *Objectives*: the reported objective is the first stage). When stage 2 finds no
    allocation in its time, stage 1's stands.
    """
    solve = solve or solvers.solve
    first = solve(problem, opts)
    if prep.config.objective.sense not in objectives.TWO_STAGE or not first.has_solution:
        return first
    held = objectives.second_stage(prep, problem, first.values)
    progress(f"stage 1: {held}; stage 2: the best {'value' if problem.sense == 'max' else 'cost'} with it held")
    used = first.times.get("transfer", 0.0) + first.times.get("solve", 0.0)
    remaining = max(opts.time_limit_s - used, MIN_STAGE_FRACTION * opts.time_limit_s)
    second = solve(problem, dataclasses.replace(opts, time_limit_s=remaining))
    times = {k: first.times.get(k, 0) + second.times.get(k, 0) for k in set(first.times) | set(second.times)}
    if not second.has_solution:
        progress(f"warning: stage 2 found no allocation ({second.message}); stage 1's allocation stands")
        objectives.first_stage(prep, problem)
        return dataclasses.replace(first, times=times)
    result = dataclasses.replace(second, times=times)
    if prep.config.objective.sense == "min_shortfall":
        result.objective, result.bound, result.gap = first.objective, first.bound, first.gap
        result.status = first.status if first.status != OPTIMAL else second.status
        objectives.first_stage(prep, problem)  # the problem in the reported objective's terms (shadow prices)
    return result


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
