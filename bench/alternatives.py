"""alternatives: the kept model with warm starts against a model rebuilt for every solve.

    python bench/alternatives.py [--plans 3] [--ranges 4] [--sites 6] [--time-limit 20] [--repeats 1]

Two cases, each solved both ways in this process (one HiGHS model at a time):

- ``nl-provinces``: plan 0, then ``--plans`` HSJ plans (slack 0.05) and the least and most of
  ``--ranges`` province × claim keys (the first ones of ``--ranges province``);
- ``zuid-holland``: the replacement cost of ``--sites`` sites of plan 0 (the largest ones).

*warm*: one kept model; each solve changes the objective, the budget row and bounds, with a full
start from the nearest plan. *rebuild*: before each solve the model is passed to a new HiGHS
instance (``NearOptimal.reload``) and solved without a start. Per solve the transfer and solve
seconds are recorded; the script prints medians and totals per case and way, the extrapolation
to every key / site of the instance, and the load (``os.getloadavg``) before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

from ruimtepuzzel.model.analysis.alternatives import hsj, importance, plans, ranges
from ruimtepuzzel.model.analysis.alternatives.space import NearOptimal
from ruimtepuzzel.model.formulation import formulate
from ruimtepuzzel.model.inputs.builtin import resolve_instance
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.prepare.pairs import prepare
from ruimtepuzzel.model.solve.stages import solve_options


def _space(name: str, time_limit: float):
    instance = load_instance(resolve_instance(name))
    t = time.perf_counter()
    prep = prepare(instance)
    problem = formulate(prep)
    build = time.perf_counter() - t
    opts = solve_options(instance, None, time_limit, None, None, None)
    space = NearOptimal(prep, problem, opts)
    return space, build


def _timed(space: NearOptimal, way: str, solve):
    transfer = space.reload() if way == "rebuild" else 0.0
    t = time.perf_counter()
    answer = solve(way == "warm")
    return {"transfer_s": transfer, "solve_s": time.perf_counter() - t, "status": answer.status,
            "objective": answer.objective, "aux": answer.aux, "values": answer.values}


def nl_case(args) -> dict:
    space, build = _space("nl-provinces", args.time_limit)
    t = time.perf_counter()
    first = space.optimum()
    plan0_s = time.perf_counter() - t
    prep = space.prep
    keys = ranges.range_keys(prep, "province", plans.state(prep, space.plan0))
    out = {"build_s": build, "plan0_s": plan0_s, "plan0": first.status, "z_star": space.z_star, "range_keys": len(keys)}
    for way in ("warm", "rebuild"):
        found, rows = [space.plan0], []
        for _ in range(args.plans):
            vector = hsj.objective(prep, space.problem, [plans.state(prep, v) for v in found])
            r = _timed(space, way, lambda warm: space.near(vector, "min", 0.05, start=found[-1] if warm else None))
            rows.append({"kind": "hsj", **r})
            if r["values"] is not None:
                found.append(r["values"])
        for key in keys[:args.ranges]:
            vector = ranges.directions.area_vector(prep, space.problem, {key: 1.0})
            for sense in ("min", "max"):
                areas = [ranges.area(prep, plans.state(prep, v), key) for v in found]
                start = found[int(np.argmin(areas) if sense == "min" else np.argmax(areas))]
                rows.append({"kind": "range", **_timed(space, way, lambda warm: space.near(vector, sense, 0.05,
                                                                                       start=start if warm else None))})
        out[way] = rows
    return out


def zh_case(args) -> dict:
    space, build = _space("zuid-holland", args.time_limit)
    t = time.perf_counter()
    first = space.optimum()
    plan0_s = time.perf_counter() - t
    groups = importance.groups(space.prep, plans.state(space.prep, space.plan0), "site")
    chosen = sorted(groups, key=lambda g: -g.used_ha)[:args.sites]
    out = {"build_s": build, "plan0_s": plan0_s, "plan0": first.status, "z_star": space.z_star, "sites": len(groups)}
    for way in ("warm", "rebuild"):
        rows = []
        for g in chosen:
            cols = plans.all_columns(space.prep, space.problem, g.pairs)
            start = space.plan0.copy()
            start[cols] = 0.0
            rows.append({"kind": "site", "used_ha": g.used_ha,  # noqa: B023 (solved at once)
                         **_timed(space, way, lambda warm: space.without(cols, start=start if warm else None))})
        out[way] = rows
    return out


def summarise(name: str, case: dict, total_key: str, per_key: int) -> None:
    print(f"{name}: build {case['build_s']:.1f} s, plan 0 {case['plan0_s']:.1f} s ({case['plan0']}, z* {case['z_star']:,.1f})")
    for way in ("warm", "rebuild"):
        rows = case[way]
        for kind in sorted({r["kind"] for r in rows}):
            sel = [r for r in rows if r["kind"] == kind]
            med = statistics.median(r["transfer_s"] + r["solve_s"] for r in sel)
            statuses = {s: sum(r["status"] == s for r in sel) for s in {r["status"] for r in sel}}
            print(f"  {way:8s} {kind:6s} n={len(sel):2d} median {med:6.2f} s per solve (transfer "
                  f"{statistics.median(r['transfer_s'] for r in sel):.2f} s) {statuses}")
            if kind != "hsj":
                print(f"           all {case[total_key]} {kind} solves x{per_key}: ~{med * case[total_key] * per_key / 60:.1f} min on one worker")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=3)
    parser.add_argument("--ranges", type=int, default=4)
    parser.add_argument("--sites", type=int, default=6)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--case", choices=["nl", "zh", "both"], default="both")
    parser.add_argument("--json", help="Write the raw measurements here.")
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()}")
    raw = {}
    if args.case in ("nl", "both"):
        raw["nl-provinces"] = nl_case(args)
        summarise("nl-provinces", raw["nl-provinces"], "range_keys", 2)
    if args.case in ("zh", "both"):
        raw["zuid-holland"] = zh_case(args)
        summarise("zuid-holland", raw["zuid-holland"], "sites", 1)
    print(f"load after: {os.getloadavg()}")
    for case in raw.values():
        for way in ("warm", "rebuild"):
            for r in case[way]:
                r.pop("values", None)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=2, default=str)


if __name__ == "__main__":
    main()
