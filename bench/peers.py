"""Benchmark: ruimtepuzzel against the solvers a user would pick instead, on the same exported MIP.

For each instance the exact MIP that ``solve`` formulates (``api.prepare`` → ``api.build_problem``,
passed to HiGHS with the project's own ``pass_model`` and written with ``writeModel``) is exported
to an MPS file. Then, side by side in one run, each in its own process with the same time limit and
a 1 % relative gap:

- ``ours``: ``python cli.py solve INSTANCE --gap 0.01 --time-limit T`` (the whole command as a user
  runs it, report and maps included unless ``--no-report``; its solve stage from the manifest's ``times_s``);
- ``highs``: highspy with default options reading the MPS;
- ``scip``: SCIP through ``pyscipopt`` reading the MPS;
- ``ortools-scip``: OR-Tools' linear solver wrapper with its SCIP backend (the MPS read by OR-Tools);
- ``cp-sat``: OR-Tools' CP-SAT, only when every column is integer and every coefficient and bound is
  a whole number (CP-SAT accepts nothing else); otherwise skipped with the reason;
- ``cbc``: the CBC binary (Debian's ``coinor-cbc`` if on the path, else the one PuLP ships).

Each figure is the median of ``--repeat`` runs; the machine's 1-minute load
(``os.getloadavg()``) is printed beside it (the median of the loads at the start of those runs).
"wall" is the whole process, from start to exit (Python start, imports, reading, solve); "CPU" its
user + system seconds, its own child processes included (on a loaded machine the steadier figure);
"solve" is the solver's own time as the process measures it around the solve call; "obj" is the
objective of the allocation found (the MPS carries the objective offset), "status" what the solver
says. The last columns are ratios ours/best peer: wall against the fastest peer's wall, CPU against the
smallest peer's CPU, solve
against the fastest peer's solve, among the peers that reached 1 % (status optimal / gap ≤ 1 %).

    python bench/peers.py                                   # demo, nl-provinces, zuid-holland; medians of 3, 60 s limit
    python bench/peers.py --repeat 1 --time-limit 30 --instances demo
    python bench/peers.py --instances zuid-holland-100m --time-limit 300   # on request only: minutes and GBs each
    python bench/peers.py --peers highs,cbc --json out.json

Needs the ``bench`` extra (``pip install -e ".[bench]"``); a peer whose package is missing is
reported as skipped, with the reason.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INSTANCES = ["demo", "nl-provinces", "zuid-holland"]
PEERS = ["highs", "scip", "ortools-scip", "cp-sat", "cbc"]
GAP = 0.01


# --------------------------------------------------------------------------- export


def export_mps(instance: str, path: Path) -> dict:
    """Write the MIP that ``solve`` formulates for ``instance`` to ``path`` (MPS); returns its size and class."""
    import highspy
    import numpy as np

    import ruimtepuzzel as rp
    from ruimtepuzzel.solvers.highs import pass_model

    prep = rp.prepare(rp.load(instance))
    prob = rp.build_problem(prep)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    pass_model(h, prob)
    h.writeModel(str(path))
    a, lo, hi = prob.matrix()
    lb, ub = prob.bounds()
    integer = prob.integrality()
    values = np.concatenate([a.data, lo[np.isfinite(lo)], hi[np.isfinite(hi)], lb[np.isfinite(lb)], ub[np.isfinite(ub)],
                             prob.objective(), [prob.offset]])
    return {**prob.size(), "all_integer": bool(integer.all()) if len(integer) else False,
            "whole_coefficients": bool(np.all(values == np.round(values))), "separators": len(prob.separators)}


# --------------------------------------------------------------------------- one peer in its own process


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def run_highs(mps: str, limit: float) -> dict:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", limit)
    h.setOptionValue("mip_rel_gap", GAP)
    h.readModel(mps)
    _, solve = _timed(h.run)
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    has = info.primal_solution_status == 2
    return {"solve": solve, "obj": info.objective_function_value if has else None, "status": status,
            "gap": info.mip_gap if has else None}


def run_scip(mps: str, limit: float) -> dict:
    from pyscipopt import Model

    m = Model()
    m.hideOutput()
    m.readProblem(mps)
    m.setParam("limits/time", limit)
    m.setParam("limits/gap", GAP)
    _, solve = _timed(m.optimize)
    has = m.getNSols() > 0
    return {"solve": solve, "obj": m.getObjVal() if has else None, "status": m.getStatus(),
            "gap": m.getGap() if has else None}


def run_ortools_scip(mps: str, limit: float) -> dict:
    from ortools.linear_solver.python import model_builder

    builder = model_builder.ModelBuilder()
    if not builder.import_from_mps_file(mps):
        return {"status": "error: OR-Tools could not read the MPS"}
    solver = model_builder.Solver("SCIP")
    if not solver.solver_is_supported():
        return {"status": "skipped: OR-Tools built without SCIP"}
    solver.set_time_limit_in_seconds(limit)
    solver.set_solver_specific_parameters(f"limits/gap = {GAP}")
    status, solve = _timed(lambda: solver.solve(builder))
    has = status in (model_builder.SolveStatus.OPTIMAL, model_builder.SolveStatus.FEASIBLE)
    return {"solve": solve, "obj": solver.objective_value if has else None, "status": status.name,
            "bound": solver.best_objective_bound if has else None}


def run_cp_sat(mps: str, limit: float) -> dict:
    import math

    from ortools.linear_solver.python import model_builder
    from ortools.sat.python import cp_model

    builder = model_builder.ModelBuilder()
    builder.import_from_mps_file(mps)
    proto = builder.export_to_proto()
    model = cp_model.CpModel()
    xs = []
    for v in proto.variable:
        lo = -cp_model.INT32_MAX if math.isinf(v.lower_bound) else int(v.lower_bound)
        hi = cp_model.INT32_MAX if math.isinf(v.upper_bound) else int(v.upper_bound)
        xs.append(model.new_int_var(lo, hi, v.name))
    for c in proto.constraint:
        expr = sum(int(a) * xs[i] for i, a in zip(c.var_index, c.coefficient))
        if not math.isinf(c.lower_bound):
            model.add(expr >= int(c.lower_bound))
        if not math.isinf(c.upper_bound):
            model.add(expr <= int(c.upper_bound))
    objective = sum(int(v.objective_coefficient) * xs[i] for i, v in enumerate(proto.variable) if v.objective_coefficient)
    objective += int(proto.objective_offset)
    model.maximize(objective) if proto.maximize else model.minimize(objective)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.relative_gap_limit = GAP
    solver.parameters.num_workers = 2
    status, solve = _timed(lambda: solver.solve(model))
    has = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return {"solve": solve, "obj": solver.objective_value if has else None, "status": solver.status_name(status),
            "bound": solver.best_objective_bound if has else None}


def cbc_binary() -> str | None:
    found = shutil.which("cbc")
    if found:
        return found
    try:
        import pulp

        path = pulp.PULP_CBC_CMD().path
        return path if path and Path(path).exists() else None
    except ImportError:
        return None


def run_cbc(mps: str, limit: float) -> dict:
    binary = cbc_binary()
    if binary is None:
        return {"status": "skipped: no cbc binary (apt-get install coinor-cbc, or pip install pulp)"}
    with tempfile.TemporaryDirectory() as tmp:
        sol = Path(tmp) / "cbc.sol"
        # -max: not every CBC build reads the MPS's OBJSENSE section; -timeMode elapsed: the limit in wall seconds
        sense = ["-max"] if _mps_maximises(mps) else []
        cmd = [binary, mps, *sense, "-timeMode", "elapsed", "-sec", str(limit), "-ratio", str(GAP), "-threads", "1",
               "-solve", "-solu", str(sol)]
        out, solve = _timed(lambda: subprocess.run(cmd, capture_output=True, text=True))
        lines = sol.read_text().splitlines() if sol.exists() else []
    if not lines:
        return {"solve": solve, "obj": None, "status": (out.stdout.strip().splitlines() or ["no output"])[-1]}
    status = lines[0].split(" - objective")[0].strip()
    if "no integer solution" in status or "infeasible" in status.lower():
        return {"solve": solve, "obj": None, "status": status}
    values = {}
    for line in lines[1:]:  # "index name value reduced-cost"; "**" marks an infeasible value
        parts = line.replace("**", "").split()
        if len(parts) >= 3:
            values[parts[1]] = float(parts[2])
    # the objective of the allocation CBC returns, recomputed from the MPS (c·x + offset): CBC's own line leaves
    # the offset out and its sign depends on the build
    return {"solve": solve, "obj": _objective_of(mps, values),
            "status": status}


def _objective_of(mps: str, values: dict) -> float:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(mps)
    lp = h.getLp()
    names = list(lp.col_names_)
    return float(sum(c * values.get(n, 0.0) for c, n in zip(lp.col_cost_, names)) + lp.offset_)


def _mps_maximises(mps: str) -> bool:
    with open(mps) as f:
        head = [next(f, "") for _ in range(12)]
    return any(line.strip().upper() == "MAX" for line in head)


RUNNERS = {"highs": run_highs, "scip": run_scip, "ortools-scip": run_ortools_scip, "cp-sat": run_cp_sat, "cbc": run_cbc}


def child(peer: str, mps: str, limit: float) -> None:
    """Entry of a peer's own process: solve and print one JSON line."""
    t = time.perf_counter()
    try:
        out = RUNNERS[peer](mps, limit)
    except ImportError as exc:
        out = {"status": f"skipped: {exc.name} not installed (pip install -e '.[bench]')"}
    out["inside"] = time.perf_counter() - t
    print(json.dumps(out))


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far: a child's own is the difference."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def spawn(cmd: list[str], timeout: float) -> tuple[dict | None, float, str]:
    t, cpu = time.perf_counter(), children_cpu()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - t, "killed at the bench's timeout"
    wall = time.perf_counter() - t
    cpu = children_cpu() - cpu
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    if p.returncode != 0 or not lines:
        return None, wall, (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
    return {**json.loads(lines[-1]), "cpu": cpu}, wall, ""


def run_peer(peer: str, mps: Path, limit: float, info: dict) -> dict:
    if peer == "cp-sat" and not (info["all_integer"] and info["whole_coefficients"]):
        why = "not every column integer" if not info["all_integer"] else "fractional coefficients or bounds"
        return {"status": f"skipped: CP-SAT needs an integral model ({why})", "skip": True}
    load = os.getloadavg()[0]
    out, wall, err = spawn([sys.executable, __file__, "--child", peer, str(mps), str(limit)], limit * 3 + 120)
    if out is None:
        return {"status": f"failed: {err}", "wall": wall, "load": load}
    if out.get("status", "").startswith("skipped"):
        return {**out, "skip": True}
    return {**out, "wall": wall, "load": load}


def run_ours(instance: str, limit: float, report: bool = True) -> dict:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, str(ROOT / "cli.py"), "solve", instance, "--out", str(out), "--gap", str(GAP),
               "--time-limit", str(limit), "--quiet", *([] if report else ["--no-report"])]
        t, cpu = time.perf_counter(), children_cpu()
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        wall, cpu = time.perf_counter() - t, children_cpu() - cpu
        if p.returncode != 0:
            return {"status": f"failed: {(p.stderr.strip().splitlines() or ['?'])[-1]}", "wall": wall, "load": load}
        manifest = json.loads((out / "manifest.json").read_text())
    times = manifest.get("times_s", {})
    return {"wall": wall, "cpu": cpu, "solve": times.get("solve"), "obj": manifest.get("objective"), "status": manifest.get("status"),
            "gap": manifest.get("gap"), "load": load, "times_s": times}


# --------------------------------------------------------------------------- medians and the table


def median_of(runs: list[dict]) -> dict:
    ok = [r for r in runs if "wall" in r and not str(r.get("status", "")).startswith("failed")]
    if not ok:
        return runs[0]
    med = lambda key: statistics.median(r[key] for r in ok if r.get(key) is not None) if any(r.get(key) is not None for r in ok) else None
    statuses = sorted({str(r.get("status")) for r in ok})
    objectives = [r["obj"] for r in ok if r.get("obj") is not None]
    return {"wall": med("wall"), "cpu": med("cpu"), "solve": med("solve"), "load": med("load"),
            "obj": statistics.median(objectives) if objectives else None, "status": " / ".join(statuses),
            "runs": len(ok), "loads": [round(r["load"], 1) for r in ok]}


def reached(result: dict) -> bool:
    """Within 1 %: the solver says optimal at the gap asked (HiGHS "Optimal", SCIP "optimal" or "gaplimit",
    OR-Tools "OPTIMAL", CBC "Optimal (within gap tolerance)"); every run of the median did."""
    statuses = str(result.get("status", "")).lower().split(" / ")
    return all(s.startswith("optimal") or s == "gaplimit" for s in statuses)


def fmt_s(v) -> str:
    return "–" if v is None else f"{v:.2f} s"


def table(rows: list[dict]) -> str:
    lines = ["| instance | solver | wall (load) | CPU | solve | objective | status | ours/peer wall | ours/peer CPU | ours/peer solve |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        r = row["result"]
        load = f" ({r['load']:.1f})" if r.get("load") is not None else ""
        obj = "–" if r.get("obj") is None else f"{r['obj']:,.2f}"
        lines.append(f"| {row['instance']} | {row['solver']} | {fmt_s(r.get('wall'))}{load} | {fmt_s(r.get('cpu'))} | {fmt_s(r.get('solve'))} | {obj} | "
                     f"{r.get('status')} | {row.get('ratio_wall', '')} | {row.get('ratio_cpu', '')} | {row.get('ratio_solve', '')} |")
    return "\n".join(lines)


def rows_of(instance: str, med: dict) -> list[dict]:
    """The table's rows for one instance, ours with its ratios to the best peer that reached 1 %."""
    done = {s: m for s, m in med.items() if s != "ours" and reached(m) and m.get("wall") is not None}
    rows = []
    for solver, m in med.items():
        row = {"instance": instance, "solver": solver, "result": m}
        if solver == "ours" and m.get("wall") is not None and done:
            for key in ("wall", "cpu", "solve"):
                have = {s: d[key] for s, d in done.items() if d.get(key)}
                if have and m.get(key) is not None:
                    peer = min(have, key=have.get)
                    row[f"ratio_{key}"] = f"{m[key] / have[peer]:.1f}× {peer}"
        rows.append(row)
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", default=",".join(DEFAULT_INSTANCES), help="built-in names or folders, comma-separated")
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--repeat", type=int, default=3, help="runs per solver; medians are shown")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds, the same for every solver")
    ap.add_argument("--no-report", action="store_true", help="run ours without report.html and the maps")
    ap.add_argument("--keep", type=Path, help="a folder to keep the MPS files in")
    ap.add_argument("--json", type=Path, help="also write every run's figures here")
    ap.add_argument("--table", type=Path, help="only print the table of a --json file written before")
    ap.add_argument("--child", nargs=3, metavar=("PEER", "MPS", "LIMIT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], float(args.child[2]))
        return
    if args.table:
        saved = json.loads(args.table.read_text())
        print(table([row for name, one in saved.items() for row in rows_of(name, {s: median_of(rs) for s, rs in one["runs"].items()})]))
        return
    peers = [p for p in args.peers.split(",") if p and p != "none"]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="peers-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; load at start {os.getloadavg()[0]:.1f}; "
          f"time limit {args.time_limit:g} s, gap {GAP:.0%}, medians of {args.repeat}", flush=True)
    rows, raw = [], {}
    for instance in [i for i in args.instances.split(",") if i]:
        mps = folder / f"{Path(instance).name}.mps"
        info = export_mps(instance, mps)
        print(f"\n{instance}: {info['rows']:,} rows, {info['cols']:,} columns ({info['integer_cols']:,} integer), "
              f"{info['nonzeros']:,} non-zeros -> {mps}", flush=True)
        runs = {s: [] for s in ["ours", *peers]}
        for k in range(args.repeat):  # solvers alternate, so a change in load falls on all of them alike
            for solver in runs:
                r = run_ours(instance, args.time_limit, not args.no_report) if solver == "ours" else run_peer(solver, mps, args.time_limit, info)
                runs[solver].append(r)
                print(f"  run {k + 1} {solver:12s} wall {fmt_s(r.get('wall'))} CPU {fmt_s(r.get('cpu'))} solve {fmt_s(r.get('solve'))} "
                      f"obj {r.get('obj')} {r.get('status')} (load {os.getloadavg()[0]:.1f})", flush=True)
        for solver in [s for s in runs if runs[s][0].get("skip")]:
            runs[solver] = runs[solver][:1]
        med = {s: median_of(rs) for s, rs in runs.items()}
        raw[instance] = {"model": info, "runs": runs, "medians": med}
        rows += rows_of(instance, med)
    print("\n" + table(rows))
    print(f"\nload at end {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1, default=str))


if __name__ == "__main__":
    main()
