"""Pareto fronts between two metrics, by the lexicographic ε-constraint method.

A metric is ``value`` (the ``max_value`` objective: value − penalties − shortfall
penalties), ``cost`` (acquisition cost, €, less is better), or a claim's allocated area:
``housing`` over the whole instance, ``housing@PV28`` in one region (of any level).

Both metrics become vectors c_x, c_y to maximise (cost enters negated). Every point is a plan
the instance allows: every hard rule, ceiling, cap, budget and hard balance holds (they are
rows of the problem), and the instance's other requirements are held (:func:`requirements`):
the floors the two metrics do not trade (an area metric trades the floors of its claim, in
its region when it names one) and a penalised woon-werk balance. One solve before the front
finds their least penalised shortfall P* = min Σ π·s + Σ β·w (π a floor's shortfall penalty,
β the balance penalty), and every point holds Σ π·s + Σ β·w ≤ P* (the row ``pareto_held_floors``):
a held floor is met wherever the instance can meet it, at every point; the gap of each solve then
applies to the metrics alone. ``held_floors_short`` counts the held floors a point leaves short.
Every point is two solves, so that no point is dominated by a better allocation with the same
first figure:

- the ends: the most y, then the most x with y held at that; the most x, then the most y
  with x held;
- between them, on an even grid of ε from the first end's x to the second's: the most y with
  x ≥ ε, then the most x with that y held.

When the first end already has the most x, the two metrics do not conflict: one allocation is
best for both, the front is that one point, and the result says so — proven only when every
solve was optimal at gap 0, "within the gap" otherwise, and "not proven" when a solve stopped at
its time limit (then a better allocation may still conflict). With a gap above 0 a
point can still come out dominated by another (a solve stopped early); such points, and
points equal to an earlier one, stay in the table with ``on_front`` false and a note saying
which point beats them, and the plot shows them apart. A metric that does not depend on the
allocation (cost when the instance has no cost attribute) is an input error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.formulation.demand import floors as demand_floors
from ruimtepuzzel.model.formulation.objectives import max_value_cost
from ruimtepuzzel.model.outputs import extract
from ruimtepuzzel.model.outputs import numbers as fmt
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem

FAMILY = "pareto_epsilon"
HOLD = "pareto_hold"
FLOORS = "pareto_held_floors"
HOLD_TOL = (1e-9, 1e-6)  # a held figure may fall this much (relative, absolute): the solver's feasibility tolerance
REL_TOL = 1e-6  # dominance and repeated points are judged with this relative tolerance (at least this much)


@dataclass
class Metric:
    name: str
    vector: np.ndarray  # maximised
    sign: float  # reported value = sign · vector·v
    label: str  # how a person reads it: 'Woningbouw (ha)', 'cost (€)'
    more: str  # 'the most Woningbouw', 'the least cost'
    traded: frozenset = frozenset()  # the demand rows (indices) whose floors this metric trades: its claim's, in its region

    def of(self, values: np.ndarray) -> float:
        return float(self.sign * (self.vector @ values)) + 0.0  # + 0.0: never −0.0

    def format(self, value: float) -> str:
        if self.name == "value":
            return fmt.objective(value)
        if self.name == "cost":
            return f"€ {fmt.number(value)}"
        return fmt.amount(value)


@dataclass
class Front:
    table: pd.DataFrame  # one row per point: point, x, y, on_front, note, epsilon, status, gap
    allocations: pd.DataFrame  # every point's allocation, with a ``point`` column
    notes: list[str] = field(default_factory=list)  # what a person must know: no conflict, dropped points
    conflict: bool = True


def metric(prep: Prepared, prob: Problem, name: str) -> Metric:
    config = prep.config
    if name == "value":
        return _checked(Metric(name, max_value_cost(prep, prob), 1.0, "value (max_value objective)", "the highest value"), prep)
    vec = np.zeros(prob.n_cols)
    x = prob.group("x").slice
    if name == "cost":
        vec[x] = -prep.pairs["cost_eur"].to_numpy()
        return _checked(Metric(name, vec, -1.0, "acquisition cost (€)", "the least cost"), prep)
    claim, _, region = name.partition("@")
    if claim not in config.claims:
        raise InputError(f"pareto: {name!r} is neither 'value', 'cost' nor a claim ({sorted(config.claims)}), optionally claim@REGION")
    mask = prep.pairs["claim"].to_numpy() == claim
    where = ""
    if region:
        units = prep.pairs["unit"].to_numpy()
        levels = [lv for lv in config.regions if region in set(prep.instance.region_codes(lv))]
        if not levels:
            raise InputError(f"pareto: region {region!r} of {name!r} is not a code at any level {config.regions}")
        mask &= prep.instance.region_codes(levels[0])[units] == region
        where = f" in {config.region_name(levels[0], region)}"
    vec[x] = np.where(mask, prep.pairs["used_ha"].to_numpy(), 0.0)
    label = f"{config.claim_name(claim)}{where} (ha)"
    traded = frozenset(i for i, d in enumerate(config.demand)
                       if d.claim == claim and (not region or (d.level == levels[0] and d.region == region)))
    return _checked(Metric(name, vec, 1.0, label, f"the most {config.claim_name(claim)}{where}", traded), prep)


def requirements(prep: Prepared, prob: Problem, traded: frozenset) -> np.ndarray:
    """The instance's penalised requirements outside ``traded``, as a vector to maximise: −π on the shortfall of every
    floor not traded (π its shortfall penalty) and −β on every penalised woon-werk balance slack."""
    p = np.zeros(prob.n_cols)
    priced = max_value_cost(prep, prob)  # −π on shortfalls, −β on balance slacks
    if prob.has("shortfall"):
        g = prob.group("shortfall")
        held = ~g.labels["demand"].isin(list(traded)).to_numpy()
        p[g.slice] = np.where(held, priced[g.slice], 0.0)
    for name, g in prob.groups.items():
        if name.startswith("balance_slack["):
            p[g.slice] = priced[g.slice]
    return p


def held_floors(prep: Prepared, traded: frozenset) -> list[int]:
    """The demand rows with a floor that every point keeps (by its shortfall penalty): those outside ``traded``."""
    return [i for i in demand_floors(prep) if i not in traded]


def held_note(prep: Prepared, prob: Problem, traded: frozenset) -> str:
    """What every point of the front holds and what it trades, for the notes."""
    config = prep.config
    held = held_floors(prep, traded)
    balance = any(name.startswith("balance_slack[") for name in prob.groups)

    def floor(i: int) -> str:
        d = config.demand[i]
        return f"{config.claim_name(d.claim)} ({d.level}{' ' + str(d.region) if d.region else ''})"

    parts = []
    if held:
        parts.append(f"{f'the {len(held)} floors' if len(held) > 1 else 'the floor'} of {', '.join(floor(i) for i in held)}")
    if balance:
        parts.append("the penalised woon-werk balance")
    said = (f"{' and '.join(parts)} {'are' if len(held) + balance > 1 else 'is'} held: every point has the least penalised "
            "shortfall the instance allows for them (held_floors_short counts those still short)") if parts else "no other floor is held"
    traded_floors = [i for i in demand_floors(prep) if i in traded]
    trade = f"; the floors of {', '.join(floor(i) for i in traded_floors)} are traded" if traded_floors else ""
    return f"every point is a plan of the instance: its hard rules, ceilings, caps and budget hold; {said}{trade}"


def _checked(m: Metric, prep: Prepared) -> Metric:
    if not np.any(m.vector):
        why = {"cost": " (no claim names a cost_attr and budget.cost_attr is not set, or every cost is 0)"}.get(m.name, " (no allowed pair)")
        raise InputError(f"pareto: {m.name!r} is 0 for every allocation of {prep.config.name}{why}; a front needs a metric "
                         "the allocation can move")
    return m


def _skipped(n: int) -> str:
    return "" if n <= 0 else f", so the {n} point{'s' if n > 1 else ''} between the ends {'were' if n > 1 else 'was'} not solved"


def no_conflict_note(mx: Metric, my: Metric, instance: str, values: np.ndarray, results: list) -> str:
    """What one end having both bests means: proven (every solve optimal at gap 0), within the gap, or only
    of the allocations found (a solve stopped at its time limit: a better allocation may still conflict)."""
    found = f"{mx.more} ({mx.format(mx.of(values))}) and {my.more} ({my.format(my.of(values))})"
    if any(r.status != "optimal" for r in results):
        stopped = sorted({r.status for r in results if r.status != "optimal"})
        return (f"no conflict between {mx.name} and {my.name} among the allocations found, but not proven: a solve stopped "
                f"before its gap ({', '.join(stopped)}); the allocation found with {found} is the only point, and a "
                "longer --time-limit may still show a front")
    worst = max((r.gap or 0.0) for r in results)
    if worst > 1e-9:
        return (f"{mx.name} and {my.name} do not conflict in {instance} within the solver's gap (up to {fmt.percent(worst)}): "
                f"one allocation has {found}; the front is that one point")
    return f"{mx.name} and {my.name} do not conflict in {instance}: one allocation has {found}; the front is that one point"


def _tol(value: float) -> float:
    return REL_TOL * max(1.0, abs(value))


def _dominance(points: list[dict], mx: Metric, my: Metric) -> None:
    """Mark each solved point on the front or not, with a note naming the point that beats or equals it."""
    for i, p in enumerate(points):
        if p.get("x") is None:
            p["on_front"], p["note"] = False, f"no allocation ({p['status']})"
            continue
        p["on_front"], p["note"] = True, ""
        for j, q in enumerate(points):
            if j == i or q.get("x") is None:
                continue
            ge = q["x"] >= p["x"] - _tol(p["x"]) and q["y"] >= p["y"] - _tol(p["y"])
            better = q["x"] > p["x"] + _tol(p["x"]) or q["y"] > p["y"] + _tol(p["y"])
            if ge and better:
                p["on_front"] = False
                p["note"] = (f"dominated by point {q['point']} ({mx.name} {mx.format(q['x'])} against {mx.format(p['x'])}, "
                             f"{my.name} {my.format(q['y'])} against {my.format(p['y'])})")
                break
            if ge and j < i:
                p["on_front"], p["note"] = False, f"the same figures as point {q['point']}"
                break


def front(prep: Prepared, prob: Problem, x_name: str, y_name: str, points: int, solve: Callable,
          progress: Callable[[str], None] = lambda m: None) -> Front:
    """``solve(problem, start) -> SolveResult`` (``start``: an allocation of ``problem``'s columns to start from, or
    None). Returns the points, their allocations and the notes a person must read.

    Before the ends, the problem is solved once with the instance's own objective: that plan starts both ends;
    every interior point starts from the x end, and each step 2 from its step 1 (all full starts, repaired)."""
    if points < 2:
        raise InputError("pareto: --points must be at least 2")
    if x_name == y_name:
        raise InputError(f"pareto: --x and --y are both {x_name!r}")
    mx, my = metric(prep, prob, x_name), metric(prep, prob, y_name)
    def row(family: str, m: Metric):
        nz = np.flatnonzero(m.vector)
        return prob.add_rows(family, family, pd.DataFrame({"metric": [m.name]}), np.zeros(len(nz), np.int64), nz, m.vector[nz],
                             -INF, INF)

    eps, hold = row(FAMILY, mx), row(HOLD, my)  # x ≥ ε (and x held), y held
    traded = mx.traded | my.traded
    held = held_floors(prep, traded)
    kept = requirements(prep, prob, traded)
    nz = np.flatnonzero(kept)
    floors_row = prob.add_rows(FLOORS, FLOORS, pd.DataFrame({"metric": ["held floors"]}), np.zeros(len(nz), np.int64), nz,
                               kept[nz], -INF, INF)

    solved = {"points": 0}

    def lexicographic(first: Metric, second: Metric, epsilon: float, what: str, start=None):
        """The most ``first`` (with x ≥ epsilon), then the most ``second`` with ``first`` held."""
        solved["points"] += 1
        k = solved["points"]
        eps.lower[:], hold.lower[:] = epsilon, -INF
        prob.set_objective(first.vector, "max")
        progress(f"pareto point {k}/{points}, step 1 of 2: {what}")
        r1 = solve(prob, start)
        if not r1.has_solution:
            progress(f"pareto point {k}/{points}: no allocation ({r1.status})")
            return r1
        best = float(first.vector @ r1.values)
        held = eps if first is mx else hold
        held.lower[:] = max(float(held.lower[0]), best - HOLD_TOL[0] * abs(best) - HOLD_TOL[1])
        prob.set_objective(second.vector, "max")
        progress(f"pareto point {k}/{points}, step 2 of 2: {second.more} with that held")
        r2 = solve(prob, r1.values)  # step 1's allocation holds step 2's rows: a full start
        r = r2 if r2.has_solution else r1
        statuses.extend([r1, r2])
        progress(f"pareto point {k}/{points}: {mx.name} {mx.format(mx.of(r.values))}, {my.name} {my.format(my.of(r.values))} "
                 f"({r.status}, gap {fmt.percent(r.gap) if r.gap is not None and np.isfinite(r.gap) else 'unknown'})")
        return r

    results, statuses = {}, []
    first_plan = None
    if len(nz):
        progress("pareto: the least penalised shortfall of the held floors (held at every point)")
        prob.set_objective(kept, "max")
        plan = solve(prob, None)
        if not plan.has_solution:
            raise InputError(f"pareto: no plan of the instance found ({plan.status}: {plan.message})")
        least = float(kept @ plan.values)
        floors_row.lower[:] = least - HOLD_TOL[0] * abs(least) - HOLD_TOL[1]
        first_plan = plan.values  # it holds the row: it starts both ends
    end_y = lexicographic(my, mx, -INF, f"{my.more}", first_plan)
    end_x = lexicographic(mx, my, -INF, f"{mx.more}", first_plan)
    for r in (end_y, end_x):
        if not r.has_solution:
            raise InputError(f"pareto: an end of the front has no solution ({r.status}: {r.message})")
    lo, hi = mx.vector @ end_y.values, mx.vector @ end_x.values
    notes: list[str] = [held_note(prep, prob, traded)]
    conflict = bool(hi > lo + _tol(lo))
    results[0] = (end_y, None)
    if not conflict:
        notes.append(no_conflict_note(mx, my, prep.config.name, end_y.values, statuses) + _skipped(points - 2))
    else:
        for i, epsilon in enumerate(np.linspace(lo, hi, points)[1:-1], start=1):
            results[i] = (lexicographic(my, mx, float(epsilon) - _tol(float(epsilon)),
                                        f"{my.more} with {mx.name} ≥ {mx.format(mx.sign * float(epsilon))}",
                                        end_x.values), float(epsilon))  # the x end allows every ε: a full start
        results[points - 1] = (end_x, None)

    rows, allocations = [], []
    for i, (r, epsilon) in sorted(results.items()):
        row = {"point": i, "status": r.status, "gap": r.gap, "epsilon": np.nan if epsilon is None else mx.sign * epsilon + 0.0}
        if r.has_solution:
            row["x"], row["y"] = mx.of(r.values), my.of(r.values)
            row["held_floors_short"] = _short(prob, r.values, held)
            alloc = extract.allocation(prep, r.values)
            alloc.attrs = {}  # the unit index channel does not survive a concat
            allocations.append(alloc.assign(point=i))
        rows.append(row)
    _dominance(rows, mx, my)
    dropped = [r for r in rows if not r["on_front"]]
    if dropped:
        notes.append(f"{len(dropped)} of {len(rows)} points are not on the front: "
                     + "; ".join(f"point {r['point']}: {r['note']}" for r in dropped))
    table = pd.DataFrame(rows).rename(columns={"x": x_name, "y": y_name})
    table = table.reindex(columns=["point", x_name, y_name, "on_front", "note", "epsilon", "status", "gap", "held_floors_short"])
    return Front(table, pd.concat(allocations, ignore_index=True) if allocations else pd.DataFrame(), notes, conflict)


def _short(prob: Problem, values: np.ndarray, held: list[int]) -> int:
    """How many of the ``held`` floors (demand rows) the allocation leaves short."""
    if not held or not prob.has("shortfall"):
        return 0
    g = prob.group("shortfall")
    short = values[g.slice] > 1e-6
    return int((short & g.labels["demand"].isin(held).to_numpy()).sum())


def plot(front_: Front, mx_label: str, my_label: str, x_name: str, y_name: str, path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = front_.table
    on = table[table["on_front"]]
    off = table[~table["on_front"] & table[x_name].notna()]
    fig, ax = plt.subplots(figsize=(6.5, 4.8), dpi=110)
    ax.plot(on[x_name], on[y_name], "o-", color="#1f6f8b", label="Pareto front")
    if len(off):
        ax.plot(off[x_name], off[y_name], "x", color="#999999", label="not on the front (see pareto.csv)")
    for point, xv, yv in zip(table["point"], table[x_name], table[y_name]):
        if xv == xv:
            ax.annotate(str(point), (xv, yv), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel(mx_label)
    ax.set_ylabel(my_label)
    ax.set_title(title if front_.conflict else f"{title}\n(one point, no conflict found: see the notes)", fontsize=10)
    ax.ticklabel_format(style="plain", useOffset=False)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
