"""Solver adapters: HiGHS directly (default), any Pyomo solver by name.

``highs``        the matrix straight into highspy (fastest; default)
``pyomo-highs``  the same model as a Pyomo ConcreteModel, solved by HiGHS via APPSI
``cbc``, ``glpk``, ``gurobi``, ``cplex``, ``scip``…  any other Pyomo ``SolverFactory`` name
"""
from __future__ import annotations

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.optional import require
from ruimtepuzzel.model.problem import Problem

from ruimtepuzzel.solvers import highs, pyomo_backend
from ruimtepuzzel.solvers.base import SolveOptions, SolveResult


def solve(prob: Problem, opts: SolveOptions, skip: frozenset = frozenset(), watch=None) -> SolveResult:
    """``watch(SolveProgress)``, if given, is called about twice a second while the solver runs."""
    if opts.solver == "highs":
        return highs.solve(prob, opts, skip, watch)
    return pyomo_backend.solve(prob, opts, skip, watch)


def check_available(name: str) -> None:
    if name == "highs":
        return
    require("pyomo", extra="pyomo", purpose=f"the solver {name!r}")
    if not pyomo_backend.available(name):
        raise InputError(f"solver {name!r} is not available to Pyomo on this machine (use 'highs' or 'pyomo-highs')")


__all__ = ["solve", "check_available", "SolveOptions", "SolveResult"]
