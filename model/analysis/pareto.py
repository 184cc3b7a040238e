"""Pareto fronts by the ε-constraint method between two metrics.

A metric is ``value`` (the ``max_value`` objective: value − penalties − shortfall
penalties), ``cost`` (acquisition cost, €, minimised), or a claim's allocated area:
``housing`` over the whole instance, ``housing@PV28`` in one region (of any level).

Both metrics are turned into vectors c_x, c_y to maximise (cost enters negated). The
ends of the front are max c_y (with a small weight on c_x, so the end is not dominated)
and max c_x; N − 2 points in between hold c_x·v ≥ ε_i on an evenly spaced grid of ε
and maximise c_y + δ·c_x. Every point is a full solve of the instance's hard
constraints, so every point is a feasible allocation; at gap 0 the front is monotone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruimtepuzzel.model.outputs import extract
from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.formulation.objectives import max_value_cost
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem

FAMILY = "pareto_epsilon"


@dataclass
class Metric:
    name: str
    vector: np.ndarray  # maximised
    sign: float  # reported value = sign · vector·v

    def of(self, values: np.ndarray) -> float:
        return float(self.sign * (self.vector @ values))


def metric(prep: Prepared, prob: Problem, name: str) -> Metric:
    if name == "value":
        return Metric(name, max_value_cost(prep, prob), 1.0)
    vec = np.zeros(prob.n_cols)
    x = prob.group("x").slice
    if name == "cost":
        vec[x] = -prep.pairs["cost_eur"].to_numpy()
        return Metric(name, vec, -1.0)
    claim, _, region = name.partition("@")
    if claim not in prep.config.claims:
        raise InputError(f"pareto: {name!r} is neither 'value', 'cost' nor a claim ({sorted(prep.config.claims)}), optionally claim@REGION")
    mask = prep.pairs["claim"].to_numpy() == claim
    if region:
        units = prep.pairs["unit"].to_numpy()
        levels = [lv for lv in prep.config.regions if region in set(prep.instance.region_codes(lv))]
        if not levels:
            raise InputError(f"pareto: region {region!r} of {name!r} is not a code at any level {prep.config.regions}")
        mask &= prep.instance.region_codes(levels[0])[units] == region
    vec[x] = np.where(mask, prep.pairs["used_ha"].to_numpy(), 0.0)
    return Metric(name, vec, 1.0)


def _weight(main: np.ndarray, tie: np.ndarray) -> float:
    scale = np.abs(main).sum() / max(np.abs(tie).sum(), 1e-12)
    return 1e-5 * scale


def front(prep: Prepared, prob: Problem, x_name: str, y_name: str, points: int, solve) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``solve(problem) -> SolveResult``. Returns (one row per point, allocations of every point)."""
    if points < 2:
        raise InputError("pareto: --points must be at least 2")
    mx, my = metric(prep, prob, x_name), metric(prep, prob, y_name)
    eps_block = prob.add_rows(FAMILY, FAMILY, pd.DataFrame({"metric": [x_name]}), np.zeros(np.count_nonzero(mx.vector), np.int64),
                              np.flatnonzero(mx.vector), mx.vector[mx.vector != 0], -INF, INF)

    def run(main: Metric, tie: Metric, eps: float = -INF):
        eps_block.lower[:] = eps
        prob.set_objective(main.vector + _weight(main.vector, tie.vector) * tie.vector, "max")
        return solve(prob)

    ends = [run(my, mx), run(mx, my)]
    for r in ends:
        if not r.has_solution:
            raise InputError(f"pareto: an end of the front has no solution ({r.status}: {r.message})")
    lo, hi = mx.vector @ ends[0].values, mx.vector @ ends[1].values
    results = [ends[0]]
    for eps in np.linspace(lo, hi, points)[1:-1]:
        results.append(run(my, mx, eps - 1e-9 * max(1.0, abs(eps))))
    results.append(ends[1])

    rows, allocations = [], []
    for i, r in enumerate(results):
        row = {"point": i, "status": r.status, "gap": r.gap}
        if r.has_solution:
            row[x_name], row[y_name] = mx.of(r.values), my.of(r.values)
            alloc = extract.allocation(prep, r.values)
            alloc.attrs = {}  # the unit index channel does not survive a concat
            allocations.append(alloc.assign(point=i))
        rows.append(row)
    table = pd.DataFrame(rows)[["point", x_name, y_name, "status", "gap"]]
    return table, pd.concat(allocations, ignore_index=True) if allocations else pd.DataFrame()


def plot(table: pd.DataFrame, x_name: str, y_name: str, path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=110)
    ax.plot(table[x_name], table[y_name], "o-", color="#1f6f8b")
    for point, xv, yv in zip(table["point"], table[x_name], table[y_name]):
        ax.annotate(str(point), (xv, yv), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel(x_name + (" (ha)" if x_name not in ("value", "cost") else " (€)" if x_name == "cost" else ""))
    ax.set_ylabel(y_name + (" (ha)" if y_name not in ("value", "cost") else " (€)" if y_name == "cost" else ""))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
