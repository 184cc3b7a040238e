"""The table's solver: one worker process holding the instance, the base problem and a kept HiGHS model.

Runs in a process of its own (spawned by :mod:`web.worker`); nothing here imports the web stack.
The process loads the instance once, prepares and formulates the base problem once and loads it
into HiGHS once (:class:`solvers.kept.KeptHighs`). A proposal arrives as the merged configuration
of its instance (the base with every change of its ancestors and its own):

- when only bounds, right-hand sides and costs differ from the base (:func:`sweep.patch.patched`),
  the parent's allocation repaired for the change (values clipped into the new bounds, shortfalls
  and slacks recomputed: a shortfall rises to a new floor) goes out first as the proposal's first
  allocation (a ``_start`` message with its cells and value). A MIP is then solved by the first
  stage of :mod:`solvers.warm` (the relaxation and one sub-MIP, ties broken toward the parent's
  plan); when that stage does not prove the gap, the kept model gets the new bounds and costs and
  is re-solved by branch and bound from the better of its allocation and the repaired parent, a
  **full** start (:meth:`KeptHighs.solve <solvers.kept.KeptHighs.solve>`), with the same
  tie-break. An LP goes to the kept model directly. When the repaired plan breaks a hard row,
  there is no first allocation and the solve starts without a start;
- otherwise the proposal is prepared, formulated and solved afresh.

Every objective reported is recomputed from the allocation (c·x + offset) and the gap from it
and the solver's bound (``KeptHighs`` checks its answer; a claimed optimum whose recomputed gap
still exceeds the requested one is solved again cold here). Progress (incumbent recomputed the same way, bound, gap) goes to the events
queue; the shared ``cancel`` values (:func:`stopped`) interrupt HiGHS when the proposal is cancelled or
superseded by a newer one.
"""
from __future__ import annotations

import dataclasses
import time
import traceback
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

SOLVE_STATUS = {"optimal": "optimal", "time_limit": "time_limit", "no_solution": "time_limit",
                "infeasible": "infeasible", "unbounded": "error", "error": "error"}
DUALS_TIME_LIMIT_S = 60.0
PROGRESS_EVERY_S = 0.5
FIRST_STAGE_SKIPS = 4  # re-solves straight to branch and bound after the first stage fell short of the gap
DUALS_PENDING = "the shadow prices are being computed"
CSV = {"index": False, "float_format": "%.6f", "lineterminator": "\n"}  # as the run folder's tables (run_folder.write_csv)


@dataclass
class Job:
    """One proposal to solve: its id, its merged configuration and the parent's solution as a start."""

    id: int
    data: dict
    start: Optional[np.ndarray] = None  # the parent's solution, a vector of the base problem's columns
    gap: Optional[float] = None
    time_limit: Optional[float] = None
    token: int = 0  # the submission's number: a newer submission stops the older ones
    keep: bool = False  # never stopped by a newer submission (revision 0), only by a cancel
    parent_objective: Optional[float] = None  # the parent's objective: sizes the tie-break toward its plan (solvers.warm)
    parent_data: Optional[dict] = None  # the parent's merged configuration and its proven bound: a bound of this
    parent_bound: Optional[float] = None  # proposal too when the change only tightens (solvers.kept.only_tightens)


@dataclass
class Ranges:
    """The near-optimal ranges of a solved proposal: its configuration, its allocation (z*), a level and a slack.

    Not a :class:`Job`: a newer proposal does not stop it (it has no token); it runs when the jobs sent before it
    are done, and the jobs sent after it wait for it.
    """

    id: int
    data: dict
    x: np.ndarray
    level: str
    slack: float
    gap: Optional[float] = None
    time_limit: Optional[float] = None


@dataclass
class Alternatives:
    """``count`` Hop-Skip-Jump plans within ``slack`` of a solved proposal (its allocation is plan 0); as :class:`Ranges`,
    never stopped by a newer proposal."""

    id: int
    data: dict
    x: np.ndarray
    count: int
    slack: float
    status: str = "optimal"  # the proposal's own status: plan 0's
    gap: Optional[float] = None
    time_limit: Optional[float] = None


@dataclass
class Export:
    """Write a proposal's run folder: its configuration and solution vector (of its own problem)."""

    id: int
    data: dict
    x: np.ndarray
    scalars: dict
    out: str




def objective_of(problem, x: np.ndarray) -> float:
    """c·x + offset of the allocation as the results read it (:func:`solvers.answer.objective_of`, imported here: the
    web process loads no solver module)."""
    from ruimtepuzzel.solvers.answer import objective_of as value

    return value(problem, x)


def relative_gap(objective: Optional[float], bound: Optional[float]) -> Optional[float]:
    """|bound − objective| / |objective| (0 when equal), as HiGHS reports it; None when unknown."""
    if objective is None or bound is None or not np.isfinite(bound):
        return None
    if objective == bound:
        return 0.0
    return abs(bound - objective) / abs(objective) if objective else None


class Engine:
    """The loaded base and the solves; ``emit(message)`` sends progress to the server."""

    def __init__(self, folder: str, scenario: Optional[str], emit: Callable[[dict], None], cancel):
        from ruimtepuzzel.model.formulation import formulate
        from ruimtepuzzel.model.inputs.instance import load_instance
        from ruimtepuzzel.model.prepare.pairs import prepare
        from ruimtepuzzel.model.analysis.sweep.patch import PATCHABLE_SENSES
        from ruimtepuzzel.model.solve.stages import solve_options
        from ruimtepuzzel.solvers.kept import KeptHighs

        self.emit, self.cancel = emit, cancel
        self.instance = load_instance(folder, scenario)
        self.opts = dataclasses.replace(solve_options(self.instance), log_path=None)
        self.prep = prepare(self.instance)
        self.problem = formulate(self.prep)
        cfg = self.instance.config
        self.keeps = self.opts.solver == "highs" and cfg.objective.sense in PATCHABLE_SENSES and not cfg.periods
        self.kept = KeptHighs(self.problem, self.opts) if self.keeps else None
        self.pair_area = self.prep.pairs["used_ha"].to_numpy(float)  # per pair column (x), the tie-break's weights
        self.pending: list[tuple] = []  # the answered plans whose shadow prices are still to compute, oldest first
        self.skips = 0  # re-solves left that go straight to branch and bound: the first stage fell short of the gap

    # ------------------------------------------------------------------ solving

    def solve(self, job: Job) -> dict:
        """The proposal's result (never raises): status, objective, bound, gap, times, tables, solution."""
        from ruimtepuzzel.model.errors import InfeasibleError, InputError

        started = time.perf_counter()
        times: dict = {}
        try:
            return self._solve(job, times, started)
        except InfeasibleError as exc:
            return {"status": "infeasible", "message": str(exc), "times": times}
        except InputError as exc:
            return {"status": "error", "message": str(exc), "times": times}
        except Exception as exc:  # a failed proposal must not take the table down; its record says why
            return {"status": "error", "message": f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}", "times": times}

    def _options(self, job: Job, instance=None):
        """The solve options of the job's instance (``instance``: that instance when it is built already)."""
        from ruimtepuzzel.model.solve.stages import solve_options

        instance = instance if instance is not None else self._instance_of(job.data)
        return dataclasses.replace(solve_options(instance, time_limit=job.time_limit, gap=job.gap), log_path=None)

    def _instance_of(self, data: dict):
        from ruimtepuzzel.model.inputs.instance import with_config

        return with_config(self.instance, data, "proposal")

    def _built(self, data: dict, instance=None):
        """(instance, prep, problem, delta or None): patched onto the base when only bounds and costs move
        (``instance``: the configuration's instance when it is built already)."""
        from ruimtepuzzel.model.analysis.sweep.patch import patched
        from ruimtepuzzel.model.formulation import formulate
        from ruimtepuzzel.model.prepare.pairs import prepare
        from ruimtepuzzel.solvers.kept import delta

        instance = instance if instance is not None else self._instance_of(data)
        if self.keeps:
            got = patched(self.prep, self.problem, instance.config)
            if got is not None:
                prep, problem = got
                d = delta(self.problem, problem)
                if d is not None:
                    return instance, prep, problem, d
        prep = prepare(instance)
        return instance, prep, formulate(prep), None

    def _solve(self, job: Job, times: dict, started: float) -> dict:
        from ruimtepuzzel.model.solve.stages import solve_stages
        from ruimtepuzzel.solvers import lp_first, warm

        t = time.perf_counter()
        instance = self._instance_of(job.data)  # checked once: the options and the problem read the same instance
        opts = self._options(job, instance)
        instance, prep, problem, d = self._built(job.data, instance)
        times["setup"] = time.perf_counter() - t
        watch = _Watch(self.emit, lambda: stopped(self.cancel, job), job.id, problem)
        message = None
        if d is not None:
            path = "patched"
            repaired = self._announce_start(prep, problem, job.start, watch)
            answer, start = None, job.start
            mip = warm.applies(problem, opts)
            whole = mip and lp_first.wanted(problem, opts)  # as a cold solve: LP-first throughout
            if whole or (mip and self._first_stage()):  # relaxation and sub-MIP first, tie-break
                times["apply"] = self.kept.apply(d)  # the shadow prices read the kept model with this proposal's bounds
                answer = self._warm(problem, opts, job, watch, whole, repaired if whole else None)
                times["first_stage"] = answer.get("times", {}).get("solve", 0.0)
                inherited = self._inherited_bound(job, problem) if answer["status"] != "optimal" else None
                if inherited is not None and not watch.cancelled:
                    answer = _with_bound(answer, problem, opts, inherited)
                    message = answer["message"] if answer["status"] == "optimal" else None
                if not whole and answer["status"] != "optimal" and not watch.cancelled:  # short: branch and bound from the better
                    self.skips = FIRST_STAGE_SKIPS
                    start = _better(problem, answer.get("values"), repaired)
                    answer = None
            if answer is None and not watch.cancelled:
                answer = self._kept(problem, d, opts, start, watch, self._tie(problem, opts, job) if mip else None)
                if "first_stage" in times:
                    answer.setdefault("times", {})["solve"] = answer.get("times", {}).get("solve", 0.0) + times["first_stage"]
                note = answer.get("start")
                if start is job.start and job.start is not None and note and not str(note).startswith("full"):
                    message = f"the parent's plan was not a start: {note}"
            result = _verified(answer, problem, opts)
            if result is None and not watch.cancelled:  # a last check: the allocation's value against the bound
                path, message = "fresh", "the kept model's answer did not verify; solved again from scratch"
                result = _result(solve_new(problem, opts, None, watch))
        else:
            path = "fresh"
            result = solve_stages(prep, problem, opts, solve=lambda prob, o: _result(solve_new(prob, o, None, watch)))
        times["solve"] = result.times.get("solve", 0.0)
        if watch.cancelled:
            return {"status": "cancelled", "message": "cancelled", "times": times, "path": path}
        return self._answer(job, instance, prep, problem, result, d, opts, times, path, message, started)

    def _inherited_bound(self, job: Job, problem) -> Optional[float]:
        """The parent's proven bound when the proposal only tightens the parent's problem
        (:func:`solvers.kept.only_tightens`: the proposal's optimum is then no better than the parent's), else None. The
        first stage's own bound is the relaxation's, which on ``zuid-holland`` stands 1.5 % from the optimum, while the
        parent's branch and bound proved 0.05 %."""
        from ruimtepuzzel.model.analysis.sweep.patch import patched
        from ruimtepuzzel.solvers.kept import only_tightens

        bound = _finite(job.parent_bound)
        if bound is None or job.parent_data is None:
            return None
        got = patched(self.prep, self.problem, self._instance_of(job.parent_data).config)
        return bound if got is not None and only_tightens(got[1], problem) else None

    def _first_stage(self) -> bool:
        """Whether this re-solve tries the first stage: not for ``FIRST_STAGE_SKIPS`` re-solves after one that fell
        short of the gap (an instance whose relaxation is too weak for it: it would only add its second), then again."""
        if self.skips > 0:
            self.skips -= 1
            return False
        return True

    def _kept(self, problem, d, opts, start: Optional[np.ndarray], watch, tie: Optional[np.ndarray] = None) -> dict:
        """Branch and bound on the kept model from ``start`` (the parent's plan or the first stage's allocation)
        repaired into a full start (or none); checked. ``tie``: the tie-break toward the parent (:mod:`solvers.warm`):
        the kept model solves the perturbed costs at the narrower gap, and gets the proposal's own costs back after
        (the shadow prices read it); the caller recomputes the objective with ``problem``'s."""
        from ruimtepuzzel.solvers import warm
        from ruimtepuzzel.solvers.kept import delta

        target, o = problem, opts
        if tie is not None:
            target = warm.perturbed(problem, tie)
            o = dataclasses.replace(opts, mip_rel_gap=(1.0 - warm.BONUS_SHARE) * opts.mip_rel_gap)
        h = self.kept.h
        h.cbMipImprovingSolution.subscribe(watch.improving)
        h.cbMipInterrupt.subscribe(watch.interrupt)
        try:  # the start repaired into a full vector (or none), the answer checked: solvers.kept, solvers.starts
            return self.kept.solve(target, d if tie is None else delta(self.problem, target), o, start=start)
        finally:
            h.cbMipImprovingSolution.unsubscribe(watch.improving)
            h.cbMipInterrupt.unsubscribe(watch.interrupt)
            if tie is not None:
                self.kept.apply(d)

    def _tie(self, problem, opts, job: Job) -> Optional[np.ndarray]:
        """The tie-break toward the parent's plan (:func:`solvers.warm.bonus`), or None."""
        from ruimtepuzzel.solvers import warm

        return warm.bonus(problem, self.pair_area, job.start, opts.mip_rel_gap, job.parent_objective)

    def _warm(self, problem, opts, job: Job, watch, whole: bool = False, start: Optional[np.ndarray] = None) -> dict:
        """The first stage of LP-first (:mod:`solvers.warm`), with the tie-break toward the parent's plan when it has
        one and the gap is above 0; ``whole``: all of LP-first, widenings and the full MIP included, as the instance's
        own solve runs it; the tie-break is left out on the largest models (``lp_first.AUTO_MIN_INTEGERS`` integer
        columns or more: on ``zuid-holland-100m`` it doubled the solve, 86 s against 41 s), kept on the others.
        Every stage's allocation and bound go out as progress, a cancel interrupts its MIPs. ``start``: the parent's plan
        repaired for the proposal, where LP-first starts (only for ``whole``: the first stage alone stays as measured)."""
        from ruimtepuzzel.solvers import lp_first, warm
        from ruimtepuzzel.solvers.highs import _new_highs, _run

        large = int(np.asarray(problem.integrality()).sum()) >= lp_first.AUTO_MIN_INTEGERS
        tie = None if whole and large else self._tie(problem, opts, job)  # all of LP-first at 0.9·g: twice as slow there

        def run(h, o, columns, bound, solved):
            h.setOptionValue("time_limit", h.getRunTime() + o.time_limit_s)
            h.setOptionValue("mip_rel_gap", o.mip_rel_gap)
            watched = columns is solved  # a sub-MIP's columns are not the problem's: its incumbents are not shown
            h.cbMipInterrupt.subscribe(watch.interrupt)
            if watched:
                h.cbMipImprovingSolution.subscribe(watch.improving)
            try:
                return _run(h, columns, o, None, None, bound)
            finally:
                h.cbMipInterrupt.unsubscribe(watch.interrupt)
                if watched:
                    h.cbMipImprovingSolution.unsubscribe(watch.improving)

        def publish(values, objective, bound):
            if values is not None:
                watch.objective = objective_of(problem, values)
            if bound is not None:
                watch.bound = _finite(bound)
            watch.send()

        return warm.solve(problem, opts, _new_highs, run, tie, publish, whole=whole, start=start)

    def _announce_start(self, prep, problem, x: Optional[np.ndarray], watch) -> Optional[np.ndarray]:
        """The parent's plan repaired for the proposal is its first allocation: its value goes out as progress, and
        the allocation itself (the main claim per unit, as :func:`cells`) as a ``_start`` message, before the solve.
        Returns that repaired plan (None without a parent or when no repair satisfies every row)."""
        from ruimtepuzzel.model.outputs import extract
        from ruimtepuzzel.solvers import starts

        if x is None or len(x) != problem.n_cols:
            return None
        full, _ = starts.repaired(problem, x)
        if full is None:
            return None
        watch.objective = objective_of(problem, full)
        watch.send()
        self.emit({"type": "_start", "id": watch.pid, "objective": watch.objective,
                   "elapsed_s": round(time.perf_counter() - watch.start, 3), "cells": cells(prep, extract.allocation(prep, full))})
        return full

    def _duals(self, prep, problem, values, d) -> tuple:
        from ruimtepuzzel.model.analysis import duals
        from ruimtepuzzel.solvers.highs import duals_here

        try:
            if d is not None:
                self.kept.apply(d)  # the plan's own bounds: another proposal may have been solved since
                lp = self.kept.fixed_integer_duals(problem, values, DUALS_TIME_LIMIT_S)
            else:
                lp = duals_here(problem, values, DUALS_TIME_LIMIT_S)
        except Exception as exc:
            return None, f"no shadow prices: {exc}"
        if lp is None or lp.get("duals") is None:
            return None, "no shadow prices: the fixed-integer LP did not solve"
        return duals.shadow_prices(prep, problem, lp["duals"], lp["activity"]), None

    def _answer(self, job, instance, prep, problem, result, d, opts, times, path, message, started) -> dict:
        from ruimtepuzzel.model.outputs import extract
        from ruimtepuzzel.model.outputs.names import with_names

        status = SOLVE_STATUS.get(result.status, "error")
        out = {"status": status, "message": message or (result.message if status not in ("optimal",) else None),
               "path": path, "times": times}
        if not result.has_solution:
            if status == "time_limit":
                out["message"] = "no feasible allocation within the time limit"
            out["bound"] = _finite(result.bound)
            return out
        values = np.asarray(result.values, dtype=float)
        objective = objective_of(problem, values)
        bound = _finite(result.bound)
        t = time.perf_counter()
        alloc = extract.allocation(prep, values)
        summary = extract.summary(prep, alloc)
        times["extract"] = time.perf_counter() - t
        config = instance.config
        self.pending.append((job.id, prep, problem, values, d, config))  # shadow prices after the plan is out
        times["total"] = time.perf_counter() - started
        out.update({
            "objective": objective, "bound": bound, "gap": relative_gap(objective, bound) if status == "optimal" or bound is not None else None,
            "x": values, "x_base": d is not None,
            "allocation": with_names(alloc, config).to_csv(**CSV),
            "summary": _records(with_names(summary, config)),
            "summary_csv": with_names(summary, config).to_csv(**CSV),
            "cells": cells(prep, alloc),
            "duals": None,
            "duals_message": DUALS_PENDING,
        })
        if status == "optimal" and out["gap"] is not None and out["gap"] > opts.mip_rel_gap + 1e-9:
            out["message"] = f"the solver's bound is {out['gap']:.4%} from the allocation's value"
        return out

    def pending_duals(self) -> Optional[dict]:
        """The shadow prices (the fixed-integer LP) of the plan answered last of those still without, or None when
        there is none. The worker computes them when no job waits (:func:`main`): a proposal made meanwhile is
        solved first (on ``zuid-holland-100m`` the LP takes seconds)."""
        from ruimtepuzzel.model.outputs.names import with_names

        if not self.pending:
            return None
        pid, prep, problem, values, d, config = self.pending.pop()
        t = time.perf_counter()
        try:
            prices, message = self._duals(prep, problem, values, d)
            rows = _records(with_names(prices, config)) if prices is not None else None
        except Exception as exc:
            rows, message = None, f"no shadow prices: {type(exc).__name__}: {exc}"
        return {"type": "_duals", "id": pid, "duals": rows, "duals_message": message, "duals_s": time.perf_counter() - t}

    # ------------------------------------------------------------------ ranges

    def _space(self, job):
        """(instance, prep, space): the proposal formulated afresh with the budget row, its allocation taken as z*."""
        from ruimtepuzzel.model.analysis.alternatives.space import NearOptimal
        from ruimtepuzzel.model.formulation import formulate
        from ruimtepuzzel.model.prepare.pairs import prepare

        instance = self._instance_of(job.data)
        opts = self._options(Job(job.id, job.data, gap=job.gap, time_limit=job.time_limit))
        prep = prepare(instance)
        problem = formulate(prep)
        x = np.asarray(job.x, float)
        if len(x) != problem.n_cols:
            raise ValueError(f"the proposal's allocation has {len(x)} columns, its problem {problem.n_cols}")
        space = NearOptimal(prep, problem, opts)
        space.set_optimum(x)
        return instance, prep, space

    def ranges(self, job: Ranges) -> dict:
        """``{"ok": True, "rows": [...]}``: per region of ``job.level`` × claim with a floor or an allocation, the least
        and most hectares within ``job.slack`` of the proposal's objective (:func:`alternatives.ranges.ranges_for` on the
        proposal formulated afresh, the budget row appended); ``{"ok": False, "message"}`` on failure."""
        from ruimtepuzzel.model.analysis.alternatives import plans
        from ruimtepuzzel.model.analysis.alternatives.ranges import range_keys, ranges_for

        try:
            instance, prep, space = self._space(job)
            keys = range_keys(prep, job.level, plans.state(prep, space.plan0))
            frame = ranges_for(space, keys, job.slack)
            config = instance.config
            rows = [{"level": r.level, "region": r.region, "region_name": config.region_name(r.level, r.region),
                     "claim": r.claim, "claim_name": config.claim_name(r.claim), "optimum_ha": _finite(r.optimum_ha),
                     "min_ha": _finite(r.min_ha), "max_ha": _finite(r.max_ha), "min_status": r.min_status,
                     "max_status": r.max_status} for r in frame.itertuples()]
            return {"ok": True, "rows": rows}
        except Exception as exc:
            return {"ok": False, "message": f"{type(exc).__name__}: {exc}"}

    def alternatives(self, job: Alternatives) -> dict:
        """``{"ok": True, "rows": [...]}``: plan 0 (the proposal) and up to ``job.count`` Hop-Skip-Jump plans within
        ``job.slack``, one row each as alternatives.csv (objective, objective_loss_pct, hsj_objective, overlap_ha,
        distance_ha, ...); the chain stops at the first plan not found."""
        from ruimtepuzzel.model.analysis.alternatives import hsj, plans, tables
        from ruimtepuzzel.model.analysis.alternatives.worker import plan_record

        try:
            _, prep, space = self._space(job)
            found = [(space.plan0, {"status": job.status, "objective": space.z_star})]
            for _ in range(job.count):
                states = [plans.state(prep, v) for v, _ in found]
                aux = hsj.objective(prep, space.problem, states)
                answer = space.near(aux, hsj.SENSE, job.slack, start=found[-1][0])
                found.append((answer.values if answer.found else None, plan_record(space, answer)))
                if not answer.found:
                    break
            table = tables.plan_table(prep, space.objective, space.z_star, "hsj", found)
            return {"ok": True, "rows": _records(table)}
        except Exception as exc:
            return {"ok": False, "message": f"{type(exc).__name__}: {exc}"}

    # ------------------------------------------------------------------ exports

    def export(self, job: Export) -> dict:
        """Write the proposal's run folder (as ``solve`` writes it) to ``job.out``."""
        from ruimtepuzzel.model import pipeline
        from ruimtepuzzel.model.outputs import extract
        from ruimtepuzzel.solvers import SolveResult
        from ruimtepuzzel.solvers.highs import version

        try:
            instance, prep, problem, d = self._built(job.data)
            opts = self._options(Job(job.id, job.data, gap=job.scalars.get("gap_requested"),
                                     time_limit=job.scalars.get("time_limit")))
            values = job.x
            alloc = extract.allocation(prep, values)
            summary = extract.summary(prep, alloc)
            prices, _ = self._duals(prep, problem, values, d)
            result = SolveResult(status=job.scalars["status"], values=values, objective=objective_of(problem, values),
                                 bound=job.scalars.get("bound"), gap=job.scalars.get("gap"),
                                 times={"solve": job.scalars.get("solve_s") or 0.0}, solver="highs", version=version(),
                                 message=f"negotiation table proposal {job.id}")
            run = pipeline.Run(instance, prep, problem, result, alloc, summary, manifest={},
                               times={"solve": job.scalars.get("solve_s") or 0.0}, duals=prices)
            pipeline.write_run(run, opts, job.out)
            return {"ok": True}
        except Exception as exc:
            return {"ok": False, "message": f"{type(exc).__name__}: {exc}"}


def cells(prep, alloc) -> dict:
    """Per unit (instance order) the main claim's index in the instance's claims (largest used share; a stacking claim
    never) or -1, and its share."""
    config = prep.config
    keys = list(config.claims)
    n = len(prep.instance.units)
    claim = np.full(n, -1, dtype=np.int64)
    share = np.zeros(n)
    if len(alloc):
        stacking = {k for k, c in config.claims.items() if c.stacking}
        units = np.asarray(alloc.attrs["unit_index"])
        main = ~alloc["claim"].isin(stacking).to_numpy()
        units, kinds, shares = units[main], alloc["claim"].to_numpy()[main], alloc["share"].to_numpy()[main]
        order = np.lexsort((-shares, units))  # per unit, the largest share first
        units, kinds, shares = units[order], kinds[order], shares[order]
        first = np.ones(len(units), bool)
        first[1:] = units[1:] != units[:-1]
        index = {k: i for i, k in enumerate(keys)}
        claim[units[first]] = [index[k] for k in kinds[first]]
        share[units[first]] = shares[first]
    return {"claims": keys, "claim": claim.tolist(), "share": np.round(share, 6).tolist()}


def _records(frame) -> list[dict]:
    """Rows as dicts of plain values, NaN as None (through pandas' JSON writer: fast on large tables)."""
    import json

    return json.loads(frame.to_json(orient="records", double_precision=10))


def _finite(v) -> Optional[float]:
    return float(v) if v is not None and np.isfinite(v) else None


def _result(answer: dict):
    from ruimtepuzzel.solvers import SolveResult
    from ruimtepuzzel.solvers.highs import version

    result = SolveResult(status="error", solver="highs", version=version())
    for key, value in answer.items():
        setattr(result, key, value)
    return result


def _better(problem, a: Optional[np.ndarray], b: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """Of two allocations of ``problem`` (either may be None: the first stage's, the parent's plan repaired for it),
    the one of better value c·x + offset."""
    if a is None or b is None:
        return a if b is None else b
    va, vb = objective_of(problem, a), objective_of(problem, b)
    return a if (va >= vb if problem.sense == "max" else va <= vb) else b


def _verified(answer: dict, problem, opts):
    """The kept model's answer with its objective recomputed; None when a claimed optimum is not one."""
    result = _result(answer)
    if result.has_solution:
        result.objective = objective_of(problem, np.asarray(result.values, float))
        gap = relative_gap(result.objective, _finite(result.bound))
        if result.status == "optimal" and problem.integrality().any() and (gap is None or gap > opts.mip_rel_gap + 1e-7):
            return None
    return result


def _with_bound(answer: dict, problem, opts, bound: float) -> dict:
    """``answer`` proven within the gap by ``bound`` (a bound of ``problem`` proven elsewhere: the parent's), or
    unchanged when that does not prove it."""
    from ruimtepuzzel.solvers import lp_first

    values = answer.get("values")
    if values is None:
        return answer
    objective = objective_of(problem, np.asarray(values, float))
    tighter = lp_first.tighter(problem.sense, bound, _finite(answer.get("bound")))
    if not lp_first.within(objective, tighter, opts):
        return answer
    return {**answer, "status": "optimal", "objective": objective, "bound": tighter, "gap": lp_first.gap_of(objective, tighter),
            "message": "proven within the gap by the parent's bound (the change only tightens the parent's problem)"}


class _Watch:
    """HiGHS callbacks: the incumbent's value recomputed from its columns, the bound, and the cancel flag."""

    def __init__(self, emit, stop: Callable[[], bool], pid: int, problem):
        import os

        self.emit, self.stop, self.pid = emit, stop, pid
        self.parent = os.getppid()
        self.cost, self.offset = problem.objective(), problem.offset
        self.start = time.perf_counter()
        self.last = 0.0
        self.objective: Optional[float] = None
        self.bound: Optional[float] = None
        self.cancelled = False

    def send(self) -> None:
        self.last = time.perf_counter()
        self.emit({"type": "progress", "id": self.pid, "elapsed_s": round(self.last - self.start, 3),
                   "objective": self.objective, "bound": self.bound, "gap": relative_gap(self.objective, self.bound)})

    def improving(self, e) -> None:
        x = np.asarray(e.data_out.mip_solution, float)
        if len(x) == len(self.cost):
            self.objective = float(np.dot(self.cost, x) + self.offset)
        self.bound = _finite(e.data_out.mip_dual_bound)
        self.send()

    def interrupt(self, e) -> None:
        import os

        if self.stop() or os.getppid() != self.parent:  # cancelled, superseded, or the server is gone
            self.cancelled = True
            e.interrupt()
            return
        if time.perf_counter() - self.last >= PROGRESS_EVERY_S:
            self.bound = _finite(e.data_out.mip_dual_bound)
            self.send()


def solve_loaded(h, problem, opts, start: Optional[np.ndarray], watch: _Watch) -> dict:
    """Solve the model loaded in ``h`` from a full start (every column's value) or none; the answer as ``solvers.highs``."""
    from ruimtepuzzel.solvers.highs import _run, highs_options

    for key, value in highs_options(opts).items():
        h.setOptionValue(key, value)
    h.clearSolver()
    if start is not None:
        h.setSolution(len(start), np.arange(len(start), dtype=np.int32), np.asarray(start, float))
    h.cbMipImprovingSolution.subscribe(watch.improving)
    h.cbMipInterrupt.subscribe(watch.interrupt)
    try:
        return _run(h, problem, opts)
    finally:
        h.cbMipImprovingSolution.unsubscribe(watch.improving)
        h.cbMipInterrupt.unsubscribe(watch.interrupt)


def solve_new(problem, opts, start, watch: _Watch) -> dict:
    """Load ``problem`` into a new HiGHS and solve it (the fresh path)."""
    from ruimtepuzzel.solvers.highs import _new_highs, pass_model

    h = _new_highs(opts)
    pass_model(h, problem)
    answer = solve_loaded(h, problem, opts, start, watch)
    if answer.get("values") is not None:
        answer["objective"] = objective_of(problem, np.asarray(answer["values"], float))
    return answer


def stopped(cancel, job: Job) -> bool:
    """``cancel`` = (below, exact) shared integers: a submission older than ``below`` (unless kept) or equal to ``exact``."""
    below, exact = cancel
    return (not job.keep and job.token < below.value) or job.token == exact.value


def main(folder: str, scenario: Optional[str], jobs, events, cancel) -> None:
    """The worker process: load, then answer jobs from the ``jobs`` pipe until it sends None."""
    def emit(message: dict) -> None:
        events.put(message)

    try:
        engine = Engine(folder, scenario, emit, cancel)
    except Exception as exc:
        events.put({"type": "_failed", "fatal": True, "message": f"the solver could not load the instance: {type(exc).__name__}: {exc}"})
        return
    events.put({"type": "_ready", "keeps": engine.keeps})
    while True:
        if engine.pending and not jobs.poll():  # idle: the shadow prices of the plans answered, the newest first
            events.put(engine.pending_duals())
            continue
        job = jobs.recv()
        if job is None:
            return
        if isinstance(job, Export):
            events.put({"type": "_exported", "id": job.id, "out": job.out, **engine.export(job)})
            continue
        if isinstance(job, Ranges):
            events.put({"type": "_ranges_started", "id": job.id, "key": job.level, "slack": job.slack})
            events.put({"type": "_ranges", "id": job.id, "key": job.level, "slack": job.slack, **engine.ranges(job)})
            continue
        if isinstance(job, Alternatives):
            events.put({"type": "_alternatives_started", "id": job.id, "key": job.count, "slack": job.slack})
            events.put({"type": "_alternatives", "id": job.id, "key": job.count, "slack": job.slack, **engine.alternatives(job)})
            continue
        if stopped(cancel, job):
            events.put({"type": "_done", "id": job.id, "result": {"status": "cancelled", "message": "cancelled"}})
            continue
        events.put({"type": "_started", "id": job.id})
        events.put({"type": "_done", "id": job.id, "result": engine.solve(job)})
