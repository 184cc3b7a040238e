"""Sweep throughput: scenarios per minute with 1 and 2 workers, with and without model re-use.

    python bench/sweep.py [--instance zuid-holland] [--repeats 3] [--scenarios 12]

Each configuration sweeps the same one-at-a-time design (demand floors, the grid cap
and the shortfall penalty: changes a kept model absorbs) into a fresh folder, in its
own process. Reported per configuration, medians over the repeats: wall time of the
whole sweep command, scenarios per minute, and per scenario the set-up (patch, or
preprocess + build), transfer (delta, or passing the matrix) and solve times.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def spec(scenarios: int) -> dict:
    per = max(1, (scenarios - 1) // 4)
    return {"design": "oat", "parameters": [
        {"path": "demand[claim=housing,level=province].min_ha", "name": "housing_floor", "factors": [0.8 + 0.4 * i / max(1, per - 1) for i in range(per)]},
        {"path": "demand[claim=business,level=province].min_ha", "name": "business_floor", "factors": [0.7 + 0.5 * i / max(1, per - 1) for i in range(per)]},
        {"path": "resources.grid_mw.cap.PV28", "name": "grid_cap", "factors": [0.4 + 1.2 * i / max(1, per - 1) for i in range(per)]},
        {"path": "objective.shortfall_penalty_per_ha", "name": "penalty", "values": [200 + 600 * i for i in range(per)]},
    ]}


def one(instance: str, spec_path: Path, workers: int, reuse: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sweep"
        cmd = [sys.executable, str(ROOT / "cli.py"), "sweep", instance, "--spec", str(spec_path), "--out", str(out),
               "--workers", str(workers), "--quiet"] + ([] if reuse else ["--no-reuse"])
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True)
        wall = time.perf_counter() - start
        manifest = json.loads((out / "manifest.json").read_text())
        import pandas as pd

        table = pd.read_parquet(out / "sweep.parquet")
    return {"wall": wall, "sweep_wall": manifest["wall_s"], "n": manifest["solved_now"],
            "setup": table["setup_s"].median(), "transfer": table["transfer_s"].median(), "solve": table["solve_s"].median(),
            "paths": table["path"].value_counts().to_dict()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instance", default="zuid-holland")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scenarios", type=int, default=13)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "spec.yaml"
        spec_path.write_text(yaml.safe_dump(spec(args.scenarios)))
        print(f"{args.instance}: one-at-a-time sweep, medians of {args.repeats}")
        print(f"{'workers':>7} {'re-use':>6} {'scen.':>5} {'wall s':>7} {'scen/min':>8} {'setup s':>8} {'transfer s':>10} {'solve s':>8}  paths")
        for workers in (1, 2):
            for reuse in (True, False):
                runs = [one(args.instance, spec_path, workers, reuse) for _ in range(args.repeats)]
                wall = statistics.median(r["wall"] for r in runs)
                n = runs[0]["n"]
                print(f"{workers:>7} {'yes' if reuse else 'no':>6} {n:>5} {wall:>7.1f} {60 * n / wall:>8.1f} "
                      f"{statistics.median(r['setup'] for r in runs):>8.4f} {statistics.median(r['transfer'] for r in runs):>10.4f} "
                      f"{statistics.median(r['solve'] for r in runs):>8.3f}  {runs[0]['paths']}", flush=True)


if __name__ == "__main__":
    main()
