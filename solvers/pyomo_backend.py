"""Any Pyomo solver, by name: the labelled blocks become a Pyomo ConcreteModel.

Each variable group becomes an indexed ``Var`` and each row block an indexed
``Constraint`` named after it (``single_use``, ``demand_floor``, ``site_flow_cap[logistics]``…),
so ``model.pprint()`` reads like the formulation. ``pyomo-highs`` solves it with
HiGHS through Pyomo's APPSI interface; other names go to ``SolverFactory``.
"""
from __future__ import annotations

import re
import time

import numpy as np

from ruimtepuzzel.model.problem import Problem

from ruimtepuzzel.solvers.answer import checked_result
from ruimtepuzzel.solvers.base import ERROR, INFEASIBLE, NO_SOLUTION, OPTIMAL, TIME_LIMIT, UNBOUNDED, SolveOptions, SolveProgress, SolveResult, Watch, run_in_worker

ALIASES = {"pyomo-highs": "appsi_highs"}

# how each solver spells time limit, relative gap, threads and seed
OPTION_NAMES = {
    "cbc": ("seconds", "ratioGap", "threads", "randomCbcSeed"),
    "glpk": ("tmlim", "mipgap", None, None),
    "gurobi": ("TimeLimit", "MIPGap", "Threads", "Seed"),
    "gurobi_direct": ("TimeLimit", "MIPGap", "Threads", "Seed"),
    "cplex": ("timelimit", "mipgap", "threads", "randomseed"),
    "scip": ("limits/time", "limits/gap", None, "randomization/randomseedshift"),
}


def pyomo_name(solver: str) -> str:
    return ALIASES.get(solver, solver)


def _component_name(name: str) -> str:
    return re.sub(r"\W", "_", name).strip("_")


def build_pyomo(prob: Problem, skip: frozenset = frozenset()):
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    m = pyo.ConcreteModel(name="ruimtepuzzel")
    lb, ub = prob.bounds(skip)
    integer = prob.integrality()
    flat = []
    for g in prob.groups.values():
        s = g.slice
        glb, gub, gint = lb[s], ub[s], integer[s]

        def domain(_, i, gint=gint, glb=glb, gub=gub):
            if not gint[i]:
                return pyo.Reals
            return pyo.Binary if glb[i] >= 0 and gub[i] <= 1 else pyo.Integers

        def bounds(_, i, glb=glb, gub=gub):
            return (glb[i] if np.isfinite(glb[i]) else None, gub[i] if np.isfinite(gub[i]) else None)

        var = pyo.Var(range(g.size), within=domain, bounds=bounds)
        m.add_component(_component_name(g.name), var)
        flat.extend(var[i] for i in range(g.size))

    for b in prob.blocks:
        if b.family in skip:
            continue
        order = np.argsort(b.rows, kind="stable")
        rows, cols, vals = b.rows[order], b.cols[order], b.vals[order]
        starts = np.searchsorted(rows, np.arange(b.size + 1))

        def rule(_, i, b=b, cols=cols, vals=vals, starts=starts):
            lo, hi = b.lower[i], b.upper[i]
            s, e = starts[i], starts[i + 1]
            if s == e:
                return pyo.Constraint.Skip if lo <= 0 <= hi else pyo.Constraint.Infeasible
            expr = LinearExpression(constant=0.0, linear_coefs=vals[s:e].tolist(), linear_vars=[flat[c] for c in cols[s:e]])
            if lo == hi:
                return expr == lo
            return (lo if np.isfinite(lo) else None, expr, hi if np.isfinite(hi) else None)

        m.add_component(_component_name(b.name), pyo.Constraint(range(b.size), rule=rule))

    cost = prob.objective()
    nz = np.flatnonzero(cost)
    expr = LinearExpression(constant=prob.offset, linear_coefs=cost[nz].tolist(), linear_vars=[flat[c] for c in nz])
    m.objective = pyo.Objective(expr=expr, sense=pyo.maximize if prob.sense == "max" else pyo.minimize)
    return m, flat


def _worker(conn, m, flat, prob: Problem, opts: SolveOptions):
    import pyomo.environ as pyo
    from pyomo.opt import TerminationCondition as TC

    name = pyomo_name(opts.solver)
    solver = pyo.SolverFactory(name)
    start = time.perf_counter()
    if name == "appsi_highs":
        from ruimtepuzzel.solvers.highs import highs_options

        options = highs_options(opts)
        options.pop("time_limit")
        if opts.log_path:
            options["log_file"] = str(opts.log_path)
        results = solver.solve(m, timelimit=opts.time_limit_s, options=options, load_solutions=False)
    else:
        names = OPTION_NAMES.get(name, (None, None, None, None))
        values = (opts.time_limit_s if name != "glpk" else int(np.ceil(opts.time_limit_s)), opts.mip_rel_gap, opts.threads, opts.seed)
        for key, value in zip(names, values):
            if key:
                solver.options[key] = value
        solver.options.update(opts.options)
        kwargs = {"logfile": str(opts.log_path)} if opts.log_path else {}
        results = solver.solve(m, load_solutions=False, **kwargs)
    solve = time.perf_counter() - start
    tc = results.solver.termination_condition
    has = len(results.solution) > 0 if hasattr(results, "solution") else False
    if tc == TC.optimal:
        status = OPTIMAL
    elif tc in (TC.infeasible, TC.infeasibleOrUnbounded):
        status = INFEASIBLE
    elif tc == TC.unbounded:
        status = UNBOUNDED
    elif tc in (TC.maxTimeLimit, TC.maxIterations, TC.userInterrupt, TC.maxEvaluations):
        status = TIME_LIMIT if has else NO_SOLUTION
    else:
        status = ERROR
    values = objective = None
    if status in (OPTIMAL, TIME_LIMIT):
        m.solutions.load_from(results)
        values = np.array([v.value if v.value is not None else 0.0 for v in flat])
        objective = float(pyo.value(m.objective))
    bounds = (results.problem.lower_bound, results.problem.upper_bound)
    bound = bounds[1] if prob.sense == "max" else bounds[0]
    bound = float(bound) if bound is not None and np.isfinite(float(bound)) else objective
    gap = abs(bound - objective) / max(abs(objective), 1e-9) if values is not None and bound is not None else None
    conn.send({"status": status, "values": values, "objective": objective, "bound": bound, "gap": gap,
               "times": {"solve": solve}, "message": str(tc)})


def available(solver: str) -> bool:
    import pyomo.environ as pyo

    try:
        return bool(pyo.SolverFactory(pyomo_name(solver)).available(exception_flag=False))
    except Exception:
        return False


def solve(prob: Problem, opts: SolveOptions, skip: frozenset = frozenset(), watch: Watch | None = None) -> SolveResult:
    """Solve in a forked worker; ``watch`` gets the elapsed time only (Pyomo solvers report nothing while they run)."""
    start = time.perf_counter()
    m, flat = build_pyomo(prob, skip)
    transfer = time.perf_counter() - start
    result = checked_result(prob, solve_model(m, flat, prob, opts, watch), skip)  # objective = c·x + offset of the values
    result.times = {"transfer": transfer, **result.times}
    return result


def solve_model(m, flat: list, prob: Problem, opts: SolveOptions, watch: Watch | None = None) -> SolveResult:
    """Solve a Pyomo model built by :func:`build_pyomo` (and perhaps extended since) in a guarded worker.

    ``flat`` holds the model's variables in the problem's column order; the result's values follow it.
    """
    import pyomo

    poll = (lambda elapsed: watch(SolveProgress(elapsed))) if watch else None
    message, killed = run_in_worker(_worker, (m, flat, prob, opts), opts.deadline_s(), poll)
    result = SolveResult(status=NO_SOLUTION if killed else ERROR, solver=opts.solver, version=f"pyomo {pyomo.__version__}", killed=killed)
    if message is not None:
        for key, value in message.items():
            setattr(result, key, value)
    elif killed:
        result.message = f"{opts.solver} did not stop within {opts.deadline_s():.0f} s; the worker was killed"
    return result
