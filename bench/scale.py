"""Scale benchmark: the real-data instances at 100 m, built by ``build``, then solved, step by step.

For each instance it builds (``instances/make_nl.py NAME --out DIR/NAME``) or reuses the folder when its stamp says the
inputs are unchanged, then solves it ``--repeats`` times, each run in its own process, through the pipeline that
``ruimtepuzzel solve`` runs. Per run it records:

- the time and the peak memory of every step: build (once per instance), load, preprocess, formulate, aggregate (when
  ``solver.aggregate`` is on), transfer, solve, extract, duals, write. The memory of a step is the process's peak
  resident set when the step ends (a running peak); the solve runs in a forked worker, whose own peak is given apart;
- the model size: rows, columns and non-zeros per family of the problem handed to the solver;
- from HiGHS's log in the run folder (``solver.log``): the time to the first feasible solution and the gap over time.
  Times in the log count from the start of each HiGHS run; a solve with stages (a relaxation, a sub-MIP) is laid on
  one time line by adding the run times before it;
- the ratio of our time to HiGHS solving the same matrix directly: the problem is saved, and a fresh process hands it
  to highspy in one ``passModel`` call with the same options and solves it (as ``bench/run.py``). ``ratio`` is ours
  (preprocess, formulate, aggregate, transfer, solve, extract) over the direct transfer and solve; ``ratio_all`` counts
  every step of ours from load to write.

The tables give the median of each column over the repeats; the JSON keeps every run.

    python bench/scale.py                                     # zuid-holland-100m and nl-100m-full, 3 repeats
    python bench/scale.py zuid-holland-100m --repeats 1 --time-limit 120 --gap 0.01
    python bench/scale.py nl-100m-full --dir /tmp/nl100 --repeats 1 --time-limit 900 --out /tmp/scale
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
DEFAULT = ["zuid-holland-100m", "nl-100m-full"]
STEPS = ["load", "preprocess", "formulate", "aggregate", "transfer", "solve", "extract", "duals", "write"]
OURS = ["preprocess", "formulate", "aggregate", "transfer", "solve", "extract"]  # against the direct transfer + solve


def peak_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0


# --- the instances: built, or reused while their inputs are unchanged ----------------------------

def spec_chain(path: Path) -> list[Path]:
    """The spec and the specs it extends."""
    import yaml

    chain = [path]
    while True:
        parent = (yaml.safe_load(chain[-1].read_text()) or {}).get("extends")
        if parent is None:
            return chain
        chain.append(chain[-1].parent / str(parent))


def build_stamp(name: str, cell_m: Optional[float]) -> str:
    """A hash of everything the build of ``name`` reads: its specs, the calibration, the layers and the builder."""
    files = [*spec_chain(INSTANCES / "specs" / f"{name}.yaml"), INSTANCES / "nl_calibration.py", INSTANCES / "make_nl.py",
             *sorted((INSTANCES / "data").rglob("*")), *sorted((ROOT / "model" / "build").glob("*.py"))]
    digest = hashlib.sha256(f"{name} {cell_m}".encode())
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_built(name: str, folder: Path, cell_m: Optional[float], rebuild: bool) -> dict:
    """Build ``name`` into ``folder`` unless it is there and up to date; the build's time and peak memory."""
    stamp_file = folder.parent / f"{folder.name}.stamp"
    stamp = build_stamp(name, cell_m)
    if not rebuild and (folder / "instance.yaml").exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return {"reused": True}
    folder.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "--build-one", name, str(folder)] + (["--cell-m", str(cell_m)] if cell_m else [])
    print(f"building {name} into {folder} ...", flush=True)
    answer = child(command)
    stamp_file.write_text(stamp)
    return answer


def build_one(name: str, folder: Path, cell_m: Optional[float]) -> dict:
    sys.path.insert(0, str(INSTANCES))
    import make_nl

    start = time.perf_counter()
    make_nl.make(name, folder, cell_m=cell_m)
    return {"reused": False, "time_s": time.perf_counter() - start, "peak_mb": peak_mb()}


# --- one run of ours, in its own process ----------------------------------------------------------

class StepMemory:
    """Progress messages → the running peak memory at the end of each step (the pipeline reports each step's end)."""

    MARKS = {"loaded ": "load", "preprocessed:": "preprocess", "built:": "formulate", "aggregated": "aggregate",
             "wrote ": "write"}

    def __init__(self):
        self.start = time.perf_counter()
        self.peak: dict[str, float] = {}
        self.log: list[tuple[float, str]] = []

    def __call__(self, message: str) -> None:
        self.log.append((round(time.perf_counter() - self.start, 3), message))
        for mark, step in self.MARKS.items():
            if message.startswith(mark):
                self.peak[step] = peak_mb()
        if re.match(r"^(optimal|time_limit|no_solution|infeasible|unbounded|error)\b", message):
            self.peak["solve"] = peak_mb()


def family_sizes(problem) -> dict:
    """Rows, non-zeros and the columns they touch, per family; columns per variable group."""
    import numpy as np

    families: dict[str, dict] = {}
    for block in problem.blocks:
        f = families.setdefault(block.family, {"rows": 0, "nonzeros": 0, "columns": set()})
        f["rows"] += int(block.size)
        f["nonzeros"] += int(len(block.vals))
        f["columns"].update(np.unique(block.cols).tolist())
    out = {name: {"rows": f["rows"], "nonzeros": f["nonzeros"], "columns": len(f["columns"])} for name, f in families.items()}
    return {"families": out, "groups": {name: int(g.size) for name, g in problem.groups.items()}, **problem.size()}


def save_matrix(problem, path: Path, opts) -> None:
    """The solved problem's arrays and HiGHS options, for the direct run."""
    import numpy as np

    from ruimtepuzzel.solvers.highs import highs_options

    a, lo, hi = problem.matrix(fmt="csc")
    lb, ub = problem.bounds()
    np.savez(path, indptr=a.indptr.astype(np.int32), indices=a.indices.astype(np.int32), data=a.data, shape=np.array(a.shape),
             lo=lo, hi=hi, lb=lb, ub=ub, cost=np.ascontiguousarray(problem.objective(), float),
             integer=problem.integrality().astype(np.int32), maximize=np.array(problem.sense == "max"),
             offset=np.array(float(problem.offset)), options=np.array(json.dumps(highs_options(opts))))


def run_ours(folder: Path, time_limit: Optional[float], gap: Optional[float], matrix: Optional[Path]) -> dict:
    from ruimtepuzzel.model.pipeline import solve_instance
    from ruimtepuzzel.model.solve.stages import solve_options

    steps = StepMemory()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        try:
            run = solve_instance(folder, out=Path(tmp) / "run", time_limit=time_limit, gap=gap, progress=steps)
        except Exception as exc:  # an infeasible or unsolved run is a result too: its steps so far and the reason
            return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:2000], "wall_s": time.perf_counter() - start,
                    "peak_mb": steps.peak, "solver_peak_mb": peak_mb(resource.RUSAGE_CHILDREN), "progress": steps.log}
        wall = time.perf_counter() - start
        log = read_highs_log((Path(tmp) / "run" / "solver.log").read_text(errors="replace"))
    times = dict(run.times)
    times["formulate"] = times.pop("build", 0.0)
    if matrix is not None:
        save_matrix(run.problem, matrix, solve_options(run.instance, None, time_limit, gap))
    r = run.result
    return {"units": len(run.instance.units), "pairs": len(run.prep.pairs), "status": r.status, "objective": r.objective,
            "bound": r.bound, "gap": r.gap, "times_s": times, "wall_s": wall, "peak_mb": steps.peak,
            "peak_mb_end": peak_mb(), "solver_peak_mb": peak_mb(resource.RUSAGE_CHILDREN), "size": family_sizes(run.problem),
            "aggregation": run.aggregation, "highs": log, "progress": steps.log}


def run_direct(matrix: Path) -> dict:
    """The saved matrix handed straight to highspy in this (fresh) process, solved with the same options."""
    import highspy
    import numpy as np

    m = np.load(matrix)
    options = json.loads(str(m["options"]))
    start = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for key, value in options.items():
        h.setOptionValue(key, value)
    rows, cols = (int(v) for v in m["shape"])
    sense = highspy.ObjSense.kMaximize if bool(m["maximize"]) else highspy.ObjSense.kMinimize
    h.passModel(cols, rows, len(m["data"]), int(highspy.MatrixFormat.kColwise), int(sense), float(m["offset"]), m["cost"],
                m["lb"], m["ub"], m["lo"], m["hi"], m["indptr"][:-1], m["indices"], m["data"], m["integer"])
    transfer = time.perf_counter() - start
    start = time.perf_counter()
    h.run()
    info = h.getInfo()
    return {"transfer": transfer, "solve": time.perf_counter() - start, "objective": info.objective_function_value,
            "gap": info.mip_gap, "status": h.modelStatusToString(h.getModelStatus()), "peak_mb": peak_mb()}


# --- HiGHS's log ------------------------------------------------------------------------------------

MIP_ROW = re.compile(r"^\s*([A-Za-z]?)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)%\s+(\S+)\s+(\S+)\s+(\S+)\s+.*?([\d.]+)s\s*$")


def number(text: str) -> Optional[float]:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        return None  # inf, -inf, Large
    return value if abs(value) != float("inf") else None


def read_highs_log(text: str) -> dict:
    """The MIP progress rows of every HiGHS run in a ``solver.log`` on one time line.

    Returns ``{"first_feasible_s", "gap_over_time": [[t, gap %, best bound, best solution], ...], "runs", "notes"}``:
    ``t`` is in seconds since the first HiGHS run started (earlier runs' times added), a gap is None while there is no
    solution. ``notes`` are ruimtepuzzel's own lines between the runs (stages, sub-MIPs).
    """
    offset, current_end, runs, added = 0.0, 0.0, 0, 0.0
    points, notes, first = [], [], None
    for line in text.splitlines():
        if line.startswith(("LP has", "MIP has")):  # a new HiGHS run: its clock starts again
            offset += current_end
            added, current_end, runs = current_end, 0.0, runs + 1
            continue
        if line.startswith("Solving LP with useful basis"):  # a re-run of the same model (LP-first's relaxation rounds):
            offset -= added  # its clock went on from the run before, whose time is in it
            added = 0.0
            continue
        if line.startswith("ruimtepuzzel:"):
            notes.append(line.split(":", 1)[1].strip())
            continue
        finished = re.match(r"^\s*(HiGHS run time\s*:|Timing)\s+([\d.]+)", line)
        if finished:
            current_end = max(current_end, float(finished.group(2)))
            continue
        row = MIP_ROW.match(line)
        if row is None:
            continue
        t = float(row.group(9))
        current_end = max(current_end, t)
        best_bound, best_solution, gap = number(row.group(6)), number(row.group(7)), number(row.group(8))
        if best_solution is not None and first is None:
            first = round(offset + t, 2)
        points.append([round(offset + t, 2), gap if best_solution is not None else None, best_bound, best_solution])
    return {"first_feasible_s": first, "gap_over_time": points, "runs": runs, "notes": notes}


# --- processes, medians and tables -------------------------------------------------------------------

def child(command: list[str]) -> dict:
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(folder: Path, repeats: int, time_limit: Optional[float], gap: Optional[float], direct: bool) -> list[dict]:
    runs = []
    for _ in range(repeats):  # ours and direct alternate, so drift in the machine's load hits both alike
        with tempfile.TemporaryDirectory() as tmp:
            matrix = Path(tmp) / "matrix.npz"
            command = [sys.executable, __file__, "--run-one", str(folder)]
            command += (["--time-limit", str(time_limit)] if time_limit else []) + (["--gap", str(gap)] if gap is not None else [])
            ours = child(command + (["--matrix", str(matrix)] if direct else []))
            if ours["status"] == "failed":
                print(f"{folder.name}: the run failed: {ours['error']}", flush=True)
            elif direct:
                ours["direct"] = child([sys.executable, __file__, "--direct-one", str(matrix)])
        runs.append(ours)
    return runs


def median(values) -> Optional[float]:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(name: str, build: dict, runs: list[dict]) -> dict:
    if all(r["status"] == "failed" for r in runs):
        return {"instance": name, "repeats": len(runs), "build": build, "failed": runs[0]["error"]}
    runs = [r for r in runs if r["status"] != "failed"]
    times = {s: median(r["times_s"].get(s) for r in runs) for s in STEPS}
    peaks = {s: median(r["peak_mb"].get(s) for r in runs) for s in STEPS}
    ours = median(sum(r["times_s"].get(s, 0.0) for s in OURS) for r in runs)
    all_steps = median(sum(r["times_s"].get(s, 0.0) for s in STEPS) for r in runs)
    direct = [r["direct"] for r in runs if "direct" in r]
    direct_total = median(d["transfer"] + d["solve"] for d in direct) if direct else None
    first = runs[0]
    return {
        "instance": name, "repeats": len(runs), "build": build, "units": first["units"], "pairs": first["pairs"],
        "status": [r["status"] for r in runs], "gap": median(r["gap"] for r in runs),
        "objective": median(r["objective"] for r in runs), "times_s": times, "peak_mb": peaks,
        "solver_peak_mb": median(r["solver_peak_mb"] for r in runs), "size": first["size"], "aggregation": first["aggregation"],
        "first_feasible_s": median(r["highs"]["first_feasible_s"] for r in runs),
        "ours_s": ours, "all_steps_s": all_steps, "direct_s": direct_total,
        "direct_peak_mb": median(d["peak_mb"] for d in direct) if direct else None,
        "ratio": ours / direct_total if direct_total else None, "ratio_all": all_steps / direct_total if direct_total else None,
        "gap_over_time": first["highs"]["gap_over_time"],
    }


def fmt(value, spec: str = ".1f") -> str:
    return "–" if value is None else format(value, spec)


def markdown(summaries: list[dict]) -> str:
    lines = ["| instance | units | status | gap | build s | " + " | ".join(f"{s} s" for s in STEPS)
             + " | first feasible s | ours s | direct s | ratio | ratio (all steps) | peak MB | solver peak MB |",
             "|" + "---|" * (len(STEPS) + 12)]
    for s in summaries:
        if "failed" in s:
            lines.append(f"| {s['instance']} | – | failed: {s['failed'][:200]} |")
            continue
        build = "reused" if s["build"].get("reused") else fmt(s["build"].get("time_s"))
        peak = max(v for v in s["peak_mb"].values() if v is not None)
        lines.append(f"| {s['instance']} | {s['units']:,} | {'/'.join(sorted(set(s['status'])))} | {fmt(s['gap'], '.4f')} | {build} | "
                     + " | ".join(fmt(s["times_s"][k]) for k in STEPS)
                     + f" | {fmt(s['first_feasible_s'])} | {fmt(s['ours_s'])} | {fmt(s['direct_s'])} | {fmt(s['ratio'], '.2f')} | "
                       f"{fmt(s['ratio_all'], '.2f')} | {peak:,.0f} | {fmt(s['solver_peak_mb'], ',.0f')} |")
    summaries = [s for s in summaries if "failed" not in s]
    lines += ["", "| instance | family | rows | columns | non-zeros |", "|---|---|---|---|---|"]
    for s in summaries:
        for family, f in sorted(s["size"]["families"].items()):
            lines.append(f"| {s['instance']} | {family} | {f['rows']:,} | {f['columns']:,} | {f['nonzeros']:,} |")
        lines.append(f"| {s['instance']} | **total** | {s['size']['rows']:,} | {s['size']['cols']:,} | {s['size']['nonzeros']:,} |")
    lines += ["", "| instance | step | peak MB at its end |", "|---|---|---|"]
    for s in summaries:
        lines += [f"| {s['instance']} | {k} | {fmt(v, ',.0f')} |" for k, v in s["peak_mb"].items() if v is not None]
        if s["build"].get("peak_mb"):
            lines.append(f"| {s['instance']} | build (own process) | {s['build']['peak_mb']:,.0f} |")
    lines += ["", "| instance | t s | gap % | best bound | best solution |", "|---|---|---|---|---|"]
    for s in summaries:
        for t, gap, bound, best in s["gap_over_time"]:
            lines.append(f"| {s['instance']} | {t:.1f} | {fmt(gap, '.2f')} | {fmt(bound, '.6g')} | {fmt(best, '.6g')} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"instances of instances/make_nl.py (default: {' '.join(DEFAULT)})")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "ruimtepuzzel-scale",
                        help="where the instances are built, or reused when up to date (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--time-limit", type=float, help="seconds per solve (default: the instance's)")
    parser.add_argument("--gap", type=float, help="relative MIP gap (default: the instance's; the benchmark's goal: 0.01)")
    parser.add_argument("--cell-m", type=float, help="build on another grid (a smaller check of the harness)")
    parser.add_argument("--rebuild", action="store_true", help="build even when the folder is up to date")
    parser.add_argument("--no-direct", action="store_true", help="skip HiGHS on the same matrix (no ratio)")
    parser.add_argument("--out", type=Path, help="write OUT.json and OUT.md")
    parser.add_argument("--build-one", nargs=2, metavar=("NAME", "DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--run-one", type=Path, metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--matrix", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--direct-one", type=Path, metavar="NPZ", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_one:
        print(json.dumps(build_one(args.build_one[0], Path(args.build_one[1]), args.cell_m)))
        return []
    if args.run_one:
        print(json.dumps(run_ours(args.run_one, args.time_limit, args.gap, args.matrix), default=str))
        return []
    if args.direct_one:
        print(json.dumps(run_direct(args.direct_one)))
        return []
    sys.path.insert(0, str(INSTANCES))
    import nl_calibration

    names = args.names or DEFAULT
    unknown = sorted(set(names) - set(nl_calibration.INSTANCES))
    if unknown:
        parser.error(f"unknown instance {unknown}; choose from {list(nl_calibration.INSTANCES)}")
    summaries, every_run = [], {}
    for name in names:
        folder = args.dir / (name if not args.cell_m else f"{name}-{args.cell_m:g}m")
        build = ensure_built(name, folder, args.cell_m, args.rebuild)
        runs = measure(folder, args.repeats, args.time_limit, args.gap, not args.no_direct)
        summaries.append(summarise(name, build, runs))
        every_run[name] = runs
        if args.out:  # after each instance, so that a long national run leaves the regional answer behind
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.with_suffix(".json").write_text(json.dumps({"summaries": summaries, "runs": every_run}, indent=1, default=str))
            args.out.with_suffix(".md").write_text(markdown(summaries))
    print(markdown(summaries), end="")
    return summaries


if __name__ == "__main__":
    main()
