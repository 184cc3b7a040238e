"""An LP-first strategy for large allocation MIPs: relaxation, a sub-MIP around it, then the full MIP.

On large instances the LP relaxation of the allocation model is nearly integral (Zuid-Holland at
100 m: 252 fractional integers of 140,747) and its bound close to the optimum, while HiGHS's own
heuristics can take minutes to find a first allocation. So, in the solver's worker process:

1. solve the LP relaxation of the **full** problem (dual simplex). The pairwise zoning families
   (``LAZY``: millions of rows at 100 m, few of which bind) are added as they are violated: the
   relaxation starts without them, and every round adds the rows the current LP solution
   violates and re-solves from the last basis, until none is violated. The result is the
   optimum of the full relaxation, a proven bound of the MIP; an infeasible relaxation proves
   the MIP infeasible;
2. if every integer column is integral there, that is the optimum (gap 0);
3. else fix the integer columns that are integral in the relaxation and solve that sub-MIP
   (RENS, "relaxation enforced neighbourhood search") over the rows that still have a free
   column: any allocation it finds is feasible for the full problem (checked against every
   row). If its gap to the relaxation's bound is within ``mip_rel_gap``, stop: the gap is
   proven against the full problem. Rounding can make the sub-MIP infeasible (a minimum site
   whose cells are fractional), or leave it short of the gap: then the integer columns that
   share a local row with a free one are freed too and the sub-MIP solved again from the best
   allocation so far, at most ``WIDENINGS`` times. Given a start (an allocation of the problem: a
   re-solve's repaired parent, a near-optimal plan's nearest plan), the first sub-MIP also frees
   the integer columns where the relaxation and the start disagree (RINS, "relaxation induced
   neighbourhood search", Danna, Rothberg and Le Pape 2005): the start is then an allocation of
   it, so the sub-MIP never comes back empty, and it is the best so far from the outset;
4. else solve the full MIP with that allocation as a MIP start; the bound reported is the
   better of HiGHS's and the relaxation's (not above ``FULL_MIP_MAX_NONZEROS``: then the best
   sub-MIP allocation stands with the relaxation's bound).

Minimum sites (:mod:`ruimtepuzzel.model.formulation.site_cuts`): the site flow (``DEFERRED``) stays
out of stages 1–3 and its separator cuts take its place: separated from the LP point in the
relaxation rounds (the same rounds as the lazy rows), enumerated near the free columns for a
sub-MIP, and, should a sub-MIP's allocation still hold a site too small, that site cut off and
the sub-MIP solved again. The flow of an allocation is filled in afterwards, and the whole
checked against every row of the full problem, the flow's included.

Every bound and gap reported is one of the full problem. :func:`wanted` decides when the
strategy applies (``solver.strategy``: ``auto`` uses it from ``AUTO_MIN_INTEGERS`` integer
columns on, ``lp_first`` always, ``direct`` never).
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

import numpy as np
import scipy.sparse as sp

from ruimtepuzzel.model.problem import Problem
from ruimtepuzzel.solvers.base import ERROR, INFEASIBLE, OPTIMAL, TIME_LIMIT, SolveOptions
from ruimtepuzzel.solvers.highs_arrays import pass_arrays
from ruimtepuzzel.solvers.starts import offer

AUTO_MIN_INTEGERS = 50_000
# a model with minimum sites of a divisible claim (presence rows x ≥ ε·z) goes LP-first from this size: the site flow's
# relaxation is weak and ε·z weaker still (national 1 km with logistics sites of 5 ha, 21,048 integers: the direct
# solve was at a 99.7 % gap after 635 s, LP-first proved 0.18 % in 1.1 s)
AUTO_MIN_SHARE_SITE_INTEGERS = 5_000
LAZY = frozenset({"env_zoning", "env_zoning_existing"})  # families whose rows join the relaxation when violated
# families left out of the relaxation when their separators take their place (the site flow: millions of rows at
# national scale whose relaxation adds nothing to the bound); the sub-MIPs and the full MIP hold them
DEFERRED = frozenset({"min_site"})
# the full MIP is handed to HiGHS only up to this size: the LP of nl-100m-full (43 M) passed 17 GB before it was stopped
FULL_MIP_MAX_NONZEROS = 20_000_000
SITE_REPAIRS = 8  # a sub-MIP whose allocation has a site too small is re-solved with that site cut off, so often
ABS_GAP = 1e-6  # HiGHS's default mip_abs_gap
FINAL_SITE_REPAIRS = 1_000  # the MIP without the site flow (minimum sites of shares) repairs its sites until its time is up
SUB_MIP_SHARE = 0.6  # of the time left, per sub-MIP: on large models the full MIP rarely beats a wider neighbourhood
WIDENINGS = 3  # a sub-MIP infeasible or short of the gap is retried with its neighbourhood widened, at most so often
LOCAL_ROW_NNZ = 64
INTEGRAL = 1e-6
FEASIBLE = 1e-6  # row violation that brings a lazy row into the relaxation
FLOOR, SHORTFALL = "demand_floor", "shortfall"  # the floors' family and their slack columns' group
FLOOR_SPARE = 20  # integer columns fixed at 0 freed per demand floor in every sub-MIP (the best that fit)
SHORT_FLOOR_COLUMNS = 60_000  # at most so many integer columns are freed for floors still short
CUT_ROUNDS = 30  # rounds of separated cuts (minimum sites) added to the relaxation at most


def wanted(prob: Problem, opts: SolveOptions) -> bool:
    strategy = getattr(opts, "strategy", "auto")
    if strategy == "direct":
        return False
    n_integer = int(prob.integrality().sum())
    if n_integer == 0:
        return False
    if strategy == "lp_first" or n_integer >= AUTO_MIN_INTEGERS:
        return True
    return n_integer >= AUTO_MIN_SHARE_SITE_INTEGERS and has_share_sites(prob)


def has_share_sites(prob: Problem) -> bool:
    """The problem holds minimum sites of a divisible claim (the presence rows x − ε·z ≥ 0)."""
    from ruimtepuzzel.model.formulation import presence

    return any(b.name == presence.SHARE_BLOCK and b.size for b in prob.blocks)


def tighter(sense: str, bound: float, other: float | None) -> float:
    """The tighter of two proven bounds of a problem of ``sense`` (``other`` None or not finite: ``bound``)."""
    if other is None or not np.isfinite(other):
        return bound
    return min(bound, other) if sense == "max" else max(bound, other)


def within(objective: float, bound: float, opts: SolveOptions) -> bool:
    """The objective is proven within the requested gap by the bound: relative, or absolute within ``ABS_GAP`` (HiGHS's
    own ``mip_abs_gap``: at gap 0 an objective 1e-15 from its bound is optimal, as HiGHS says of its own)."""
    return gap_of(objective, bound) <= opts.mip_rel_gap or abs(bound - objective) <= ABS_GAP


def _better(sense: str, a: float, b: float) -> bool:
    """Objective ``a`` is strictly better than ``b`` in ``sense``."""
    return a > b if sense == "max" else a < b


def gap_of(objective: float, bound: float) -> float:
    if objective == bound:
        return 0.0
    return abs(bound - objective) / abs(objective) if objective else float("inf")


@dataclasses.dataclass
class Model:
    """The full problem as arrays: CSR matrix with row bounds, column bounds, costs, integrality, lazy rows."""

    a: sp.csr_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    cost: np.ndarray
    integer: np.ndarray
    lazy: np.ndarray  # bool per row
    floor: np.ndarray  # bool per row: a demand floor
    shortfall: np.ndarray  # bool per column: a floor's shortfall
    deferred: np.ndarray | None = None  # bool per row: out of the relaxation and the sub-MIPs (DEFERRED families)
    auxiliary: np.ndarray | None = None  # bool per column: the separators' own (site flow), filled in for an allocation
    n_cuts: int = 0  # rows appended by append(): valid cuts found from the relaxation
    separators: list = dataclasses.field(default_factory=list)  # in use: their cuts join the model, their columns are filled in
    seen: set = dataclasses.field(default_factory=set)  # the cuts found so far

    @classmethod
    def of(cls, prob: Problem, skip: frozenset, separators: list = ()) -> "Model":
        """``separators``: those in use; with any, the DEFERRED families' rows and the separators' auxiliary columns
        (a site's roots, supplies and flows) are marked to stay out of the relaxation and the sub-MIPs."""
        a, row_lo, row_hi = prob.matrix(skip, fmt="csr")
        blocks = [b for b in prob.blocks if b.family not in skip]

        def per_row(test) -> np.ndarray:
            return np.concatenate([np.full(b.size, test(b.family)) for b in blocks] or [np.empty(0, bool)])

        shortfall = np.zeros(prob.n_cols, bool)
        for group in prob.groups.values():
            shortfall[group.start:group.start + group.size] = group.name == SHORTFALL
        lb, ub = prob.bounds(skip)
        auxiliary = np.zeros(prob.n_cols, bool)
        for separator in separators:
            auxiliary[np.concatenate([separator.root, separator.supply, separator.flow])] = True
        return cls(a, row_lo, row_hi, lb, ub, prob.objective(), prob.integrality(), per_row(lambda f: f in LAZY),
                   per_row(lambda f: f == FLOOR), shortfall, per_row(lambda f: bool(separators) and f in DEFERRED),
                   auxiliary, separators=list(separators))

    def append(self, cuts: sp.csr_matrix) -> None:
        """Add valid cuts ``cuts · x ≤ 0`` as rows of the model (neither lazy nor floors)."""
        n = cuts.shape[0]
        self.a = sp.vstack([self.a, cuts], format="csr")
        self.row_lo = np.concatenate([self.row_lo, np.full(n, -np.inf)])
        self.row_hi = np.concatenate([self.row_hi, np.zeros(n)])
        self.lazy = np.concatenate([self.lazy, np.zeros(n, bool)])
        self.floor = np.concatenate([self.floor, np.zeros(n, bool)])
        self.deferred = np.concatenate([self.deferred, np.zeros(n, bool)])
        self.n_cuts += n

    def violated(self, x: np.ndarray, among: np.ndarray) -> np.ndarray:
        """Rows of ``among`` that ``x`` violates by more than FEASIBLE."""
        # one product with the whole matrix is cheaper than slicing out many of its rows
        activity = (self.a @ x)[among] if 8 * len(among) > self.a.shape[0] else self.a[among] @ x
        return among[(activity > self.row_hi[among] + FEASIBLE) | (activity < self.row_lo[among] - FEASIBLE)]


def solve(prob: Problem, opts: SolveOptions, new_highs: Callable, run: Callable, skip: frozenset = frozenset(),
          log=lambda msg: None, publish=lambda values, objective, bound: None, widenings: int = WIDENINGS,
          full: bool = True, start: np.ndarray | None = None) -> dict:
    """The LP-first solve of ``prob``.

    ``start``: an allocation of ``prob`` (every column; it must satisfy every row and bound, as
    :func:`solvers.starts.repaired` makes it) or None: the best allocation from the outset, and the centre of the
    first sub-MIP together with the relaxation (RINS).

    ``widenings``: how often a sub-MIP short of the gap is widened (``WIDENINGS``; 0: one sub-MIP only); ``full``:
    False stops before the full MIP: the best sub-MIP allocation (or none) comes back as ``time_limit`` with the
    relaxation's bound (a caller with a faster way to the gap, such as a kept model, goes on from it).

    ``new_highs(opts)`` returns a configured, empty Highs; ``run(h, opts, columns, bound)`` runs a loaded MIP
    under ``opts.time_limit_s`` and returns the answer dict of :func:`ruimtepuzzel.solvers.highs.solve`
    (``columns``: ``prob`` itself, or the columns of a sub-MIP; ``bound``: one proven before).
    ``publish(values, objective, bound)`` is told each proven bound and each allocation of the full problem as
    soon as a stage finds it (``values`` None: a bound only).
    """
    given = None if start is None else {"values": np.asarray(start, float), "objective": float(prob.offset + prob.objective() @ start)}
    began = time.monotonic()
    deadline = began + opts.time_limit_s

    def remaining() -> float:
        return max(deadline - time.monotonic(), 1.0)

    separators = [s for s in prob.separators if s.family not in skip] if getattr(opts, "site_cuts", True) else []
    m = Model.of(prob, skip, separators)
    idx = np.flatnonzero(m.integer)
    relaxed = _relaxation(prob, m, opts, new_highs, remaining, log)
    if relaxed["status"] != "optimal":
        if relaxed["status"] == "infeasible":
            return _answer(INFEASIBLE, None, None, None, began, "infeasible (LP relaxation)")
        if relaxed["status"] == "Memory limit reached":  # the full MIP would need more still
            log("LP relaxation: memory limit reached; the MIP is not tried")
            return _answer(ERROR, None, None, None, began, "out of memory in the LP relaxation")
        if not full:
            values, objective = (None, None) if given is None else (given["values"], given["objective"])
            return _answer(TIME_LIMIT, values, objective, None, began, f"LP relaxation {relaxed['status']}; the full MIP not tried")
        log(f"LP relaxation {relaxed['status']}; solving the MIP directly")
        return _timed(_full(prob, m, opts, new_highs, run, remaining(), None if given is None else given["values"]), began)
    lp, bound = relaxed["x"], relaxed["objective"]
    publish(None, None, bound)
    fractional = idx[np.abs(lp[idx] - np.round(lp[idx])) > INTEGRAL]
    log(f"{len(fractional):,} of {len(idx):,} integer columns fractional in the relaxation")
    if len(fractional) == 0:
        values = lp.copy()
        values[idx] = np.round(lp[idx])
        for separator in m.separators:
            separator.complete(values)
        if not len(m.violated(values, np.arange(len(m.row_lo)))):  # with the site flow left out: sites whole?
            return _answer(OPTIMAL, values, bound, bound, began, "optimal (LP relaxation integral)")

    if given is not None:
        publish(given["values"], given["objective"], bound)
    best, free = _search(prob, m, lp, bound, fractional, opts, new_highs, run, remaining, log, publish, widenings, given)
    if best is not None and within(best["objective"], bound, opts):
        how = ("the start" if best is given else
               f"{best.get('free_integers', len(free)):,} integer columns free in the sub-MIP")
        return {**_answer(OPTIMAL, best["values"], best["objective"], bound, began,
                          f"optimal within the gap (against the LP bound; {how})"),
                "gap": gap_of(best["objective"], bound)}
    if not full:
        if best is None:
            return _answer(TIME_LIMIT, None, None, bound, began, "no allocation from the sub-MIP; the full MIP not tried")
        return _answer(TIME_LIMIT, best["values"], best["objective"], bound, began, "gap not reached by the sub-MIP")
    if m.a.nnz > FULL_MIP_MAX_NONZEROS:
        log(f"the full MIP ({m.a.nnz:,} non-zeros) is not tried: above {FULL_MIP_MAX_NONZEROS:,}, its relaxation alone "
            f"would not fit in memory; the best allocation stands against the relaxation's bound")
        if best is None:
            return _answer(TIME_LIMIT, None, None, bound, began, "no allocation from the sub-MIPs; the full MIP is too large")
        return _answer(TIME_LIMIT, best["values"], best["objective"], bound, began, "gap not reached by the sub-MIPs")
    if m.separators and has_share_sites(prob):
        return _timed(_without_flow(prob, m, lp, bound, opts, new_highs, run, remaining(), best, log), began)
    full = _full(prob, m, opts, new_highs, run, remaining(), None if best is None else best["values"], bound)
    if full["values"] is None and best is not None:
        full = {**full, "values": best["values"], "objective": best["objective"], "status": TIME_LIMIT}
    if full["values"] is not None:
        full["bound"] = bound if full["bound"] is None else tighter(prob.sense, full["bound"], bound)
        full["gap"] = gap_of(full["objective"], full["bound"])
        if within(full["objective"], full["bound"], opts):
            full["status"] = OPTIMAL
    return _timed(full, began)


def _search(prob, m: Model, lp, bound, fractional, opts, new_highs, run, remaining, log, publish, widenings=WIDENINGS,
            given: dict | None = None):
    """Sub-MIPs around the relaxation, widened while they are infeasible or short of the gap; (best, free columns).

    Each round frees, besides the integer columns free before, every integer column that shares a local row with
    one of them, and starts from the best allocation so far. It stops at the gap, after ``widenings`` widenings, or
    when a round ends at its time limit (more freedom would not help within the time). ``given``: a start (values and
    objective): the best so far from the outset, and the first round frees where it and the relaxation disagree."""
    best, free = given, fractional
    if given is not None:
        idx = np.flatnonzero(m.integer)
        free = np.union1d(fractional, idx[np.round(lp[idx]) != np.round(given["values"][idx])])
        log(f"a start: {len(free) - len(fractional):,} integer columns where it and the relaxation disagree freed too")
        if within(given["objective"], bound, opts):
            return best, free
    for attempt in range(1 + widenings):
        answer = _neighbourhood(prob, m, lp, free, opts, new_highs, run, SUB_MIP_SHARE * remaining(),
                                None if best is None else best["values"])
        found = answer is not None and answer["values"] is not None
        if found and (best is None or _better(prob.sense, answer["objective"], best["objective"])):
            best = answer
            publish(best["values"], best["objective"], bound)
        cuts = f", {m.n_cuts:,} site cuts" if m.n_cuts else ""
        n_free = answer.get("free_integers", len(free)) if answer is not None else len(free)
        if found:
            log(f"sub-MIP around the relaxation ({n_free:,} integer columns free{cuts}): {answer['objective']:,.6g}, "
                f"gap {gap_of(best['objective'], bound):.4%} to the relaxation's bound")
        else:
            log(f"sub-MIP around the relaxation ({n_free:,} integer columns free{cuts}): "
                f"{'infeasible' if answer is not None and answer['status'] == INFEASIBLE else 'no allocation'}")
        done = best is not None and within(best["objective"], bound, opts)
        ran_out = answer is None or answer["status"] not in (INFEASIBLE, OPTIMAL)
        if done or ran_out or attempt == widenings:
            break
        wider = _widen(m, free, None if best is None else best["values"])
        if len(wider) == len(free):  # nothing more to free: the full MIP takes over
            break
        free = wider
    return best, free


def _relaxation(prob: Problem, m: Model, opts: SolveOptions, new_highs, remaining, log) -> dict:
    """The LP relaxation of the full problem: lazy rows added as they are violated and, in the same rounds, the cuts
    of the problem's separators (at most ``CUT_ROUNDS`` rounds of them); the cuts found join ``m``. The deferred rows
    and their auxiliary columns stay out (the LP holds the other columns only)."""
    import highspy

    h = new_highs(dataclasses.replace(opts, presolve="off"))
    h.setOptionValue("solver", "simplex")
    active = np.flatnonzero(~m.lazy & ~m.deferred)
    kept = np.flatnonzero(~m.auxiliary)
    pass_arrays(h, prob.sense, prob.offset, m.a[active][:, kept], m.row_lo[active], m.row_hi[active], m.cost[kept],
                m.lb[kept], m.ub[kept], np.zeros(len(kept), bool))
    waiting = np.flatnonzero(m.lazy)
    cuts = []
    x = np.zeros(len(m.lb))
    t, rounds = time.perf_counter(), 0
    while True:
        h.setOptionValue("time_limit", h.getRunTime() + remaining())
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return {"status": "infeasible"}
        if status != highspy.HighsModelStatus.kOptimal:
            return {"status": h.modelStatusToString(status)}
        x[kept] = h.getSolution().col_value
        rounds += 1
        new = m.violated(x, waiting) if len(waiting) else waiting
        found = _cuts(m.separators, len(x), lambda s: s.separate(x, m.seen)) if len(cuts) < CUT_ROUNDS else None
        if len(new) == 0 and found is None:
            break
        if len(new):
            _add_rows(h, m.a[new][:, kept], m.row_lo[new], m.row_hi[new])
            waiting = np.setdiff1d(waiting, new, assume_unique=True)
        if found is not None:
            _add_rows(h, found[:, kept], np.full(found.shape[0], -np.inf), np.zeros(found.shape[0]))
            cuts.append(found)
    objective = h.getInfo().objective_function_value
    lazy_in = int(m.lazy.sum()) - len(waiting)
    log(f"LP relaxation: bound {objective:,.6g} after {rounds} round(s), {lazy_in:,} of {int(m.lazy.sum()):,} zoning rows "
        f"needed, {len(active):,} other rows{_deferred_note(m)} ({time.perf_counter() - t:.1f} s)")
    if cuts:
        m.append(sp.vstack(cuts, format="csr"))
        log(f"site cuts in the relaxation: {m.n_cuts:,} in {len(cuts)} round(s)")
    return {"status": "optimal", "x": x, "objective": objective}


def _deferred_note(m: Model) -> str:
    n = int(m.deferred.sum())
    return f" ({n:,} rows of the site flow left to the sub-MIPs: the site cuts take their place)" if n else ""


def _cuts(separators, n_cols: int, find) -> sp.csr_matrix | None:
    """The cut rows ``find(separator)`` returns (indptr, columns, values) for each separator, stacked (None: none)."""
    found = []
    for separator in separators:
        indptr, cols, vals = find(separator)
        if len(indptr) > 1:
            found.append(sp.csr_matrix((vals, cols, indptr), shape=(len(indptr) - 1, n_cols)))
    return sp.vstack(found, format="csr") if found else None


@dataclasses.dataclass
class _Columns:
    """What :func:`ruimtepuzzel.solvers.highs._run` needs to know of a model: its columns."""

    integer: np.ndarray
    offset: float

    @property
    def n_cols(self) -> int:
        return len(self.integer)

    def integrality(self) -> np.ndarray:
        return self.integer


def _neighbourhood(prob, m: Model, lp, fractional, opts, new_highs, run, seconds, start=None, enumerate_cuts=True,
                   repairs: int = SITE_REPAIRS) -> dict | None:
    """RENS: the integer columns integral in the relaxation fixed and substituted out; only rows a free
    column could still break are passed (the others hold whatever the sub-MIP does). ``start``: an allocation of
    the full problem to start from (its fixed columns must agree with the relaxation's, as a former round's do).

    The deferred rows (the site flow) and their auxiliary columns stay out: an allocation with a site too small is
    cut off (:meth:`~ruimtepuzzel.model.formulation.site_cuts.SiteCuts.small_site_cuts`) and the sub-MIP solved again,
    at most ``SITE_REPAIRS`` times; the flow of the final allocation is filled in, and the whole checked against
    every row of the full problem."""
    free = ~m.integer & ~m.auxiliary
    free[fractional] = True
    value = np.where(free | m.auxiliary, 0.0, np.round(lp))
    for separator in m.separators:  # a site fixed below its minimum: free it and its neighbours
        free[separator.stranded(free, value)] = True
    free[_spare_floor_columns(m, free, value, prob.sense)] = True
    value[free] = 0.0
    fixed = ~free & ~m.auxiliary
    n_free = int((free & m.integer).sum())
    local = _cuts(m.separators, len(free), lambda s: s.neighbourhood_cuts(free, value, m.seen)) if enumerate_cuts else None
    if local is not None:
        m.append(local)
    deadline = time.monotonic() + seconds
    for _ in range(1 + repairs):
        answer, values = _sub_mip(prob, m, free, value, opts, new_highs, run, max(deadline - time.monotonic(), 1.0),
                                  start if start is not None and np.array_equal(np.round(start[fixed]), value[fixed]) else None)
        if values is None:
            return {**answer, "free_integers": n_free}
        cuts = _cuts(m.separators, len(values), lambda s: s.small_site_cuts(values, m.seen))
        if cuts is None:
            break
        m.append(cuts)
        start = None
        if time.monotonic() >= deadline:
            return {**answer, "values": None, "status": TIME_LIMIT, "free_integers": n_free}
    else:
        return {**answer, "values": None, "status": TIME_LIMIT, "free_integers": n_free}
    for separator in m.separators:
        separator.complete(values)
    if len(m.violated(values, np.arange(len(m.row_lo)))):  # cannot happen; never trust it
        return None
    return {**answer, "values": values, "objective": float(prob.offset + m.cost @ values), "free_integers": n_free}


def _without_flow(prob, m: Model, lp, bound, opts, new_highs, run, seconds, best, log) -> dict:
    """The last stage for minimum sites of divisible claims: the MIP of every integer column, the site flow left out as
    in the sub-MIPs (its cuts in its place, a site too small cut off and solved again). The full MIP would hold the
    flow: on ``nl-provinces`` with 5 ha sites its root alone ran 151 s against a time limit of 20 s (HiGHS checks no
    time limit inside its root LPs), and its bound stood at 99.7 % after 635 s. Without the flow the MIP is a
    relaxation of the full problem with valid cuts, so its dual bound is a bound of the full problem too. Its sites
    are repaired (the sites too small cut off, solved again) until none is too small or its time is up."""
    answer = _neighbourhood(prob, m, lp, np.flatnonzero(m.integer), opts, new_highs, run, seconds,
                            None if best is None else best["values"], enumerate_cuts=False, repairs=FINAL_SITE_REPAIRS)
    found = answer is not None and answer["values"] is not None
    if found and (best is None or _better(prob.sense, answer["objective"], best["objective"])):
        best = answer
    sub_bound = None if answer is None else answer.get("bound")
    if sub_bound is not None and np.isfinite(sub_bound) and answer["status"] in (OPTIMAL, TIME_LIMIT):
        bound = tighter(prob.sense, bound, float(sub_bound))
    log(f"the MIP without the site flow: {'no allocation' if not found else format(answer['objective'], ',.6g')}, "
        f"bound {bound:,.6g}")
    if best is None:
        return _answer(TIME_LIMIT, None, None, bound, time.monotonic(), "no allocation (the MIP without the site flow)")
    proven = within(best["objective"], bound, opts)
    return _answer(OPTIMAL if proven else TIME_LIMIT, best["values"], best["objective"], bound, time.monotonic(),
                   f"{'optimal within the gap' if proven else 'gap not reached'} (the MIP without the site flow)")


def _spare_floor_columns(m: Model, free: np.ndarray, value: np.ndarray, sense: str) -> np.ndarray:
    """Per demand floor, the ``FLOOR_SPARE`` best integer columns fixed at 0 that could be set to 1 without breaking a
    row (the others held): a floor met in the relaxation by fractions can then take a whole unit more rather than
    fall short by the fraction (nl-100m-full: 3.2 ha of business floors short, most of the 4 % gap)."""
    floors = np.flatnonzero(m.floor)
    a = m.a
    candidates = np.unique(a[floors].indices)
    candidates = candidates[m.integer[candidates] & ~free[candidates] & (value[candidates] == 0) & (m.ub[candidates] >= 1)]
    if len(candidates) == 0:
        return candidates
    held = a @ np.where(free, 0.0, value)  # free columns may move either way: check against the fixed part only
    by_col = a[:, candidates].tocsc()
    rows_of = by_col.indices
    raised = held[rows_of] + by_col.data
    breaks = (raised > m.row_hi[rows_of] + FEASIBLE) & ~m.floor[rows_of]
    breaks |= (raised < m.row_lo[rows_of] - FEASIBLE) & (by_col.data < 0)
    col_of_entry = np.repeat(np.arange(len(candidates)), np.diff(by_col.indptr))
    ok = candidates[np.bincount(col_of_entry[breaks], minlength=len(candidates)) == 0]
    gain = m.cost[ok] if sense == "max" else -m.cost[ok]
    spare = []
    for row in floors:
        in_row = np.intersect1d(a.indices[a.indptr[row]:a.indptr[row + 1]], ok, assume_unique=False)
        spare.append(in_row[np.argsort(-gain[np.searchsorted(ok, in_row)], kind="stable")[:FLOOR_SPARE]])
    return np.concatenate(spare) if spare else np.empty(0, np.int64)


def _sub_mip(prob, m: Model, free: np.ndarray, value: np.ndarray, opts, new_highs, run, seconds, start):
    """(answer, values of the full problem or None): the sub-MIP over the ``free`` columns, the others at ``value``."""
    rows = _binding_rows(m, free, np.where(free, m.lb, value), np.where(free, m.ub, value))
    rows = rows[~m.deferred[rows]]
    cols = np.flatnonzero(free)
    a = m.a[rows]
    shift = a @ value
    sub = a[:, cols]
    offset = float(prob.offset + m.cost @ value)
    h = new_highs(opts)
    pass_arrays(h, prob.sense, offset, sub, m.row_lo[rows] - shift, m.row_hi[rows] - shift, m.cost[cols], m.lb[cols],
                m.ub[cols], m.integer[cols])
    if start is not None:
        h.setSolution(len(cols), np.arange(len(cols), dtype=np.int32), np.ascontiguousarray(start[cols], float))
    answer = run(h, dataclasses.replace(opts, time_limit_s=seconds, mip_rel_gap=opts.mip_rel_gap / 2),
                 _Columns(m.integer[cols], offset))
    if answer["values"] is None:
        return answer, None
    values = value.copy()
    values[cols] = answer["values"]
    return answer, values


def _widen(m: Model, free: np.ndarray, values: np.ndarray | None) -> np.ndarray:
    """The integer columns ``free``, every integer column sharing a local row with one of them (a row of at most
    ``LOCAL_ROW_NNZ`` entries: a site, a zoning pair or link, a unit's single use; not a regional floor or cap), and,
    when ``values`` leaves demand floors short, the integer columns of those floors (the smallest first, up to
    ``SHORT_FLOOR_COLUMNS``): the sub-MIP may then move the claim anywhere in its region."""
    by_col = m.a.T.tocsr()
    rows = np.unique(by_col[free].indices)
    rows = rows[np.diff(m.a.indptr)[rows] <= LOCAL_ROW_NNZ]
    cols = np.unique(m.a[rows].indices)
    wider = np.union1d(free, cols[m.integer[cols]])
    if values is None:
        return wider
    floors = np.flatnonzero(m.floor)
    a = m.a[floors]
    short = floors[a @ np.where(m.shortfall, values, 0.0) > FEASIBLE]
    budget = SHORT_FLOOR_COLUMNS
    for row in short[np.argsort(np.diff(m.a.indptr)[short], kind="stable")]:
        row_cols = m.a.indices[m.a.indptr[row]:m.a.indptr[row + 1]]
        row_cols = row_cols[m.integer[row_cols]]
        if len(row_cols) > budget:
            break
        wider, budget = np.union1d(wider, row_cols), budget - len(row_cols)
    return wider


def _binding_rows(m: Model, free: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Rows that some values of the free columns (within their bounds) could violate, the fixed ones held.

    The others hold whatever the sub-MIP does (most zoning rows: their housing column is fixed at 0).
    """
    a = m.a
    entry_col = a.indices
    row_of_entry = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    is_free = free[entry_col]
    fixed_part = np.bincount(row_of_entry[~is_free], weights=a.data[~is_free] * lb[entry_col[~is_free]], minlength=a.shape[0])
    low, high = a.data[is_free] * lb[entry_col[is_free]], a.data[is_free] * ub[entry_col[is_free]]
    with np.errstate(invalid="ignore"):
        most = np.bincount(row_of_entry[is_free], weights=np.fmax(low, high), minlength=a.shape[0])
        least = np.bincount(row_of_entry[is_free], weights=np.fmin(low, high), minlength=a.shape[0])
    can_break = (fixed_part + most > m.row_hi + FEASIBLE) | (fixed_part + least < m.row_lo - FEASIBLE)
    return np.flatnonzero(can_break | np.isnan(most) | np.isnan(least))


def _full(prob, m: Model, opts, new_highs, run, seconds, start_values, bound=None) -> dict:
    h = new_highs(opts)
    _pass(h, prob, m, np.arange(len(m.row_lo)), m.lb, m.ub, integer=True)
    if start_values is not None:  # every column's value: a partial start can make HiGHS misreport (solvers/starts.py)
        offer(h, start_values)
    return run(h, dataclasses.replace(opts, time_limit_s=seconds), prob, bound)


def _pass(h, prob: Problem, m: Model, rows: np.ndarray, lb, ub, integer: bool) -> None:
    kinds = m.integer if integer else np.zeros(len(lb), bool)
    pass_arrays(h, prob.sense, prob.offset, m.a[rows], m.row_lo[rows], m.row_hi[rows], m.cost, lb, ub, kinds)


def _add_rows(h, a: sp.csr_matrix, lo: np.ndarray, hi: np.ndarray) -> None:
    a = sp.csr_matrix(a)
    h.addRows(a.shape[0], np.ascontiguousarray(lo, float), np.ascontiguousarray(hi, float), int(a.nnz),
              np.ascontiguousarray(a.indptr[:-1], np.int32), np.ascontiguousarray(a.indices, np.int32),
              np.ascontiguousarray(a.data, float))


def _answer(status, values, objective, bound, start, message) -> dict:
    gap = gap_of(objective, bound) if objective is not None and bound is not None else None
    return {"status": status, "values": values, "objective": objective, "bound": bound, "gap": gap,
            "times": {"solve": time.monotonic() - start}, "message": message}


def _timed(answer: dict, start: float) -> dict:
    answer["times"] = {**answer.get("times", {}), "solve": time.monotonic() - start}
    return answer
