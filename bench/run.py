"""Benchmark: ruimtepuzzel against HiGHS solving the same matrix directly.

The instance is the bare assignment core: N cells × 7 claims, single use,
floors per region and claim, a suitability objective, HiGHS presolve off. For each size
it prints units, pairs, rows, non-zeros, the times of preprocess, build, transfer, solve
and extract, the peak RSS, and the ratio of our total (load excluded) to the direct path
(the same matrix handed to highspy: transfer + solve). Each measurement runs in its own
process, so peak RSS is per run; ours and direct runs alternate, and the table shows
medians of the repeats.

Cells are 1 ha and floors are whole hectares. With fractional floors (an earlier version
of this bench) the LP relaxation is fractional and HiGHS spends minutes in sub-MIP
heuristics (50k cells: about 290 s); with whole floors the LP optimum is integral, as in
the reference measurements (200k cells solved directly in 40–55 s here).

    python bench/run.py                         # 10k, 50k and 200k cells, medians of 3
    python bench/run.py --sizes 10000 --repeats 1
    python bench/run.py --national /tmp/nl-100m      # the 100 m national instance (generated there if absent)
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ["housing", "energy", "circular", "logistics", "campus", "business", "industry"]
REGIONS = 12


def write_instance(n: int, folder: Path, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x, y = (i % side) * 100.0 + 50, (i // side) * 100.0 + 50
    region = np.array([f"R{r:02d}" for r in (i % side) * REGIONS // side])
    units = pd.DataFrame({"unit_id": [f"c{k}" for k in i], "area_ha": 1.0, "province": region, "x": x, "y": y, "cell_m": 100.0})
    for k in CLAIMS:
        units[f"suit_{k}"] = rng.uniform(0.2, 1.0, n).round(3)
    folder.mkdir(parents=True, exist_ok=True)
    units.to_csv(folder / "units.csv", index=False)
    per_region = n / REGIONS
    shares = dict(zip(CLAIMS, [0.25, 0.02, 0.03, 0.06, 0.01, 0.08, 0.03]))
    config = {
        "name": f"bench{n}", "regions": ["province"],
        "claims": {k: {"value_per_ha": float(v), "suitability_attr": f"suit_{k}"} for k, v in zip(CLAIMS, [10, 3, 7, 6, 9, 5, 8])},
        "demand": [{"level": "province", "region": f"R{r:02d}", "claim": k, "min_ha": float(round(per_region * s))}
                   for r in range(REGIONS) for k, s in shares.items()],
        "solver": {"presolve": "off", "mip_rel_gap": 0.01, "threads": 2, "time_limit_s": 3600},
    }
    (folder / "instance.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return folder


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def _pass_only(prob) -> dict:
    """Build the highspy model and pass it, in a worker, without solving (for sizes too slow to solve here)."""
    from ruimtepuzzel.solvers.base import run_in_worker
    from ruimtepuzzel.solvers.highs import pass_model

    def worker(conn):
        import highspy

        t = time.perf_counter()
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        pass_model(h, prob)
        conn.send({"transfer": time.perf_counter() - t, "peak_rss_mb": peak_rss_mb()})

    message, _ = run_in_worker(worker, (), deadline_s=3600)
    return message


def run_ours(folder: Path, solve: bool = True) -> dict:
    from ruimtepuzzel.model.outputs import extract
    from ruimtepuzzel.model.formulation import formulate
    from ruimtepuzzel.model.inputs.instance import load_instance
    from ruimtepuzzel.model.prepare.pairs import prepare
    from ruimtepuzzel.model.solve.stages import solve_options
    from ruimtepuzzel import solvers

    inst = load_instance(folder)
    t = time.perf_counter()
    prep = prepare(inst)
    t_pre = time.perf_counter() - t
    t = time.perf_counter()
    prob = formulate(prep)
    t_build = time.perf_counter() - t
    if solve:
        result = solvers.solve(prob, solve_options(inst))
        values, times, objective, status = result.values, result.times, result.objective, result.status
    else:
        passed = _pass_only(prob)
        values, times, objective, status = np.zeros(prob.n_cols), {"transfer": passed["transfer"], "solve": 0.0}, None, "not solved"
    t = time.perf_counter()
    alloc = extract.allocation(prep, values)
    extract.summary(prep, alloc)
    t_ext = time.perf_counter() - t
    size = prob.size()
    return {"units": len(inst.units), "pairs": len(prep.pairs), "rows": size["rows"], "nonzeros": size["nonzeros"],
            "preprocess": t_pre, "build": t_build, "transfer": times["transfer"], "solve": times["solve"],
            "extract": t_ext, "objective": objective, "status": status, "peak_rss_mb": peak_rss_mb()}


def run_direct(folder: Path, solve: bool = True) -> dict:
    """The same matrix, built by us once (not timed), then handed straight to highspy in a fresh worker.

    The fastest way into highspy we know: one ``passModel`` call with int32/float64 arrays, so the ratio is
    against the best a hand-written script could do (not against a ``HighsLp`` filled field by field).
    """
    from ruimtepuzzel.model.formulation import formulate
    from ruimtepuzzel.model.inputs.instance import load_instance
    from ruimtepuzzel.model.prepare.pairs import prepare
    from ruimtepuzzel.model.solve.stages import solve_options
    from ruimtepuzzel.solvers.base import run_in_worker
    from ruimtepuzzel.solvers.highs import highs_options

    inst = load_instance(folder)
    prob = formulate(prepare(inst))
    a, lo, hi = prob.matrix(fmt="csc")
    a.indptr, a.indices = a.indptr.astype(np.int32), a.indices.astype(np.int32)  # HiGHS's own index type: no conversion in the timed part
    lb, ub = prob.bounds()
    arrays = {"a": a, "lo": lo, "hi": hi, "lb": lb, "ub": ub, "cost": np.ascontiguousarray(prob.objective(), float),
              "int": prob.integrality().astype(np.int32)}
    del prob, inst
    opts = solve_options(load_instance(folder))

    def worker(conn):
        import highspy

        t = time.perf_counter()
        m = arrays["a"]
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        for key, value in highs_options(opts).items():
            h.setOptionValue(key, value)
        h.passModel(m.shape[1], m.shape[0], m.nnz, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMaximize), 0.0,
                    arrays["cost"], arrays["lb"], arrays["ub"], arrays["lo"], arrays["hi"],
                    m.indptr[:-1], m.indices, m.data, arrays["int"])
        transfer = time.perf_counter() - t
        t = time.perf_counter()
        if solve:
            h.run()
        conn.send({"transfer": transfer, "solve": time.perf_counter() - t, "objective": h.getInfo().objective_function_value,
                   "peak_rss_mb": peak_rss_mb()})

    message, _ = run_in_worker(worker, (), deadline_s=7200)
    return message


def measure(n: int, mode: str, solve: bool = True) -> dict:
    """One run in a fresh process, so that its peak RSS is its own."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_instance(n, Path(tmp) / "inst")
        extra = [] if solve else ["--no-solve"]
        proc = subprocess.run([sys.executable, __file__, "--one", mode, str(folder)] + extra, capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(proc.stderr[-2000:])
        return json.loads(proc.stdout.strip().splitlines()[-1])


def national(folder: Path, repeats: int) -> None:
    """The whole country at 100 m (instances: nl-100m): the full pipeline through the command line."""
    if not (folder / "instance.yaml").exists():
        print(f"building nl-100m into {folder} (instances/make_nl.py: the build of instances/specs/nl-100m.yaml; long)", flush=True)
        subprocess.run([sys.executable, str(ROOT / "instances" / "make_nl.py"), "nl-100m", "--out", str(folder)], check=True)
    keys = ("load", "preprocess", "build", "aggregate", "transfer", "solve", "extract", "duals", "write")
    print("| run | units | pairs | classes | columns (classes) | rows | status | gap | " + " | ".join(keys) + " | total | peak RSS MB |")
    print("|" + "---|" * (len(keys) + 10))
    for i in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "solve", str(folder), "--out", str(Path(tmp) / "run"),
                                   "--no-report", "--json", "--quiet"], capture_output=True, text=True)
            wall = time.perf_counter() - start
            if proc.returncode:
                raise RuntimeError(proc.stderr[-2000:])
            m = json.loads(proc.stdout)
        t, agg = m["times_s"], m.get("aggregation") or {}
        print(f"| {i + 1} | {m['size']['units']:,} | {m['size']['pairs']:,} | {agg.get('classes', 0):,} | {m['size']['cols']:,} | "
              f"{m['size']['rows']:,} | {m['status']} | {m['gap']:.5f} | " + " | ".join(f"{t.get(k, 0):.1f}" for k in keys)
              + f" | {wall:.1f} | {m['peak_rss_mb']:,.0f} |", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-solve", action="store_true",
                        help="build and pass the model but do not solve it: the modelling overhead and memory at sizes too slow to solve")
    parser.add_argument("--national", type=Path, metavar="DIR", help="benchmark the 100 m national instance in DIR instead")
    parser.add_argument("--one", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.national:
        national(args.national, args.repeats)
        return
    if args.one:
        mode, folder = args.one
        solve = not args.no_solve
        print(json.dumps(run_ours(Path(folder), solve) if mode == "ours" else run_direct(Path(folder), solve)))
        return
    header = ("cells", "pairs", "rows", "nonzeros", "preprocess", "build", "transfer", "solve", "extract", "total", "RSS MB",
              "direct", "direct RSS", "ratio", "RSS ratio")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for n in args.sizes:
        ours, direct = [], []
        for _ in range(args.repeats):  # alternate, so that drift in the machine's load hits both sides alike
            ours.append(measure(n, "ours", not args.no_solve))
            direct.append(measure(n, "direct", not args.no_solve))
        med = {k: statistics.median(r[k] for r in ours) for k in ("preprocess", "build", "transfer", "solve", "extract", "peak_rss_mb")}
        total = statistics.median(r["preprocess"] + r["build"] + r["transfer"] + r["solve"] + r["extract"] for r in ours)
        d_total = statistics.median(r["transfer"] + r["solve"] for r in direct)
        d_rss = statistics.median(r["peak_rss_mb"] for r in direct)
        o = ours[0]
        ratio = "–" if args.no_solve else f"{total / d_total:.2f}"  # without a solve, "direct" is a transfer only
        print(f"| {n:,} | {o['pairs']:,} | {o['rows']:,} | {o['nonzeros']:,} | {med['preprocess']:.2f} | {med['build']:.2f} | "
              f"{med['transfer']:.2f} | {med['solve']:.2f} | {med['extract']:.2f} | {total:.2f} | {med['peak_rss_mb']:.0f} | "
              f"{d_total:.2f} | {d_rss:.0f} | {ratio} | {med['peak_rss_mb'] / d_rss:.2f} |", flush=True)


if __name__ == "__main__":
    main()
