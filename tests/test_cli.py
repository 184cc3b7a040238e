"""The command line: exit codes, run folders written atomically, clean --json output."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .helpers import row_units, write_instance

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}}


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_solve_writes_every_result_file(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": CLAIMS}, row_units(3))
    out = tmp_path / "run"
    res = cli("solve", folder, "--out", out, "--gap", "0", "--json", "--quiet")
    assert res.returncode == 0, res.stderr
    manifest = json.loads(res.stdout)
    assert {p.name for p in out.iterdir()} == {"allocation.csv", "allocation.gpkg", "summary.csv", "rules.csv", "manifest.json", "solver.log",
                                               "duals.csv", "transformation.csv", "summary.xlsx", "report.html", "factsheets.html", "map_allocation.png",
                                               "map_shortfall.png"}
    assert manifest["status"] == "optimal" and manifest["objective"] == pytest.approx(30)
    assert set(manifest["times_s"]) == {"load", "preprocess", "build", "transfer", "solve", "extract", "duals", "write"}
    assert manifest["size"]["units"] == 3 and manifest["size"]["pairs"] == 6
    assert "HiGHS" in (out / "solver.log").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".partial")]


def test_default_run_folder_under_results(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": CLAIMS}, row_units(1))
    res = cli("solve", folder, "--quiet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    runs = list((tmp_path / "results" / "test").iterdir())
    assert len(runs) == 1 and (runs[0] / "manifest.json").exists()


def test_existing_out_folder_is_refused(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": CLAIMS}, row_units(1))
    (tmp_path / "run").mkdir()
    res = cli("solve", folder, "--out", tmp_path / "run")
    assert res.returncode == 1 and "exists already" in res.stderr


def test_input_error_exits_1_and_writes_nothing(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": CLAIMS, "colour": "red"}, row_units(1))
    res = cli("solve", folder, "--out", tmp_path / "run")
    assert res.returncode == 1
    assert "colour" in res.stderr and "unknown key" in res.stderr and "Traceback" not in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst"]


def test_infeasible_exits_2_with_the_families(tmp_path):
    # a ceiling of 0 ha housing in A, but a unit locked to housing
    config = {"claims": CLAIMS, "locked": [{"unit_id": "u1", "claim": "housing"}],
              "demand": [{"level": "province", "region": "A", "claim": "housing", "max_ha": 0}]}
    folder = write_instance(tmp_path / "inst", config, row_units(2))
    res = cli("solve", folder, "--out", tmp_path / "run")
    assert res.returncode == 2, res.stderr
    assert "demand_ceiling" in res.stderr and "locked" in res.stderr and "single_use" not in res.stderr
    assert "unit u1 is locked to housing" in res.stderr and "the ceiling of 0.0 ha for housing in province A" in res.stderr
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == ["infeasibility.txt", "manifest.json", "rules.csv", "solver.log"]
    assert "unit u1 is locked to housing" in (run / "infeasibility.txt").read_text()
    assert json.loads((run / "manifest.json").read_text())["status"] == "infeasible"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst", "run"]


def test_unknown_solver_is_an_input_error(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": CLAIMS}, row_units(1))
    res = cli("solve", folder, "--out", tmp_path / "run", "--solver", "nosuchsolver")
    assert res.returncode == 1 and "'nosuchsolver' is not available" in res.stderr
    assert not (tmp_path / "run").exists()


def test_validate_summarises(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": CLAIMS, "demand": [
        {"level": "province", "region": "A", "claim": "housing", "min_ha": 10}]}, row_units(3))
    res = cli("validate", folder, "--json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["units"] == 3 and info["pairs"] == 6 and info["pairs_per_claim"] == {"housing": 3, "business": 3}
    assert any("asks 10.0 ha" in w for w in info["warnings"])


def hard_knapsack(tmp_path):
    """Two claims under six measure ceilings with random per-unit coefficients: a
    multi-dimensional knapsack that HiGHS does not close at gap 0 within seconds."""
    rng = np.random.default_rng(7)
    n = 300
    cols = {f"m{j}": rng.integers(20, 100, n).tolist() for j in range(6)}
    units = row_units(n, suit=rng.integers(20, 100, n).tolist(), **cols)
    claims = {"a": {"value_per_ha": 1.0, "suitability_attr": "suit"}, "b": {"value_per_ha": 1.1, "suitability_attr": "suit"}}
    demand = [{"level": "national", "claim": k, "measure": f"m{j}", "max": float(n * 12)}
              for k in claims for j in range(6) if j % 2 == (k == "b")]
    return write_instance(tmp_path / "inst", {"claims": claims, "demand": demand}, units)


def test_time_limit_returns_the_incumbent_with_its_gap(tmp_path):
    res = cli("solve", hard_knapsack(tmp_path), "--out", tmp_path / "run", "--gap", "0", "--time-limit", "1", "--json", "--quiet")
    assert res.returncode == 0, res.stderr
    manifest = json.loads(res.stdout)
    assert manifest["status"] == "time_limit"
    assert manifest["gap"] > 0 and manifest["bound"] >= manifest["objective"] > 0
    assert manifest["times_s"]["solve"] < 10


def test_worker_that_ignores_its_deadline_is_killed():
    import time

    from ruimtepuzzel.solvers.base import run_in_worker

    def stubborn(conn):
        time.sleep(60)

    start = time.monotonic()
    message, killed = run_in_worker(stubborn, (), deadline_s=1.0)
    assert killed and message is None and time.monotonic() - start < 10


def test_a_run_killed_at_any_moment_leaves_no_run_folder_and_spares_earlier_runs(tmp_path):
    import hashlib
    import os
    import signal
    import subprocess
    import sys
    import time

    folder = hard_knapsack(tmp_path)
    done = tmp_path / "runs" / "done"
    assert cli("solve", folder, "--out", done, "--time-limit", "1", "--quiet").returncode == 0
    digest = lambda: {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(done.iterdir())}
    before = digest()
    for i, delay in enumerate([0.1, 0.6, 1.5, 3.0]):  # loading, preprocessing, solving, writing or later
        out = tmp_path / "runs" / f"killed{i}"
        proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "solve", str(folder), "--out", str(out), "--gap", "0",
                                 "--time-limit", "30", "--quiet"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not out.exists(), f"killed after {delay} s: a visible run folder"
    time.sleep(0.5)  # the solver worker dies with its parent
    assert digest() == before
    # the next run into the same parent removes the hidden staging folders of the dead runs
    assert cli("solve", folder, "--out", tmp_path / "runs" / "next", "--time-limit", "1", "--quiet").returncode == 0
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["done", "next"]


def test_an_existing_out_folder_is_refused_before_the_instance_is_loaded(tmp_path):
    (tmp_path / "run").mkdir()
    res = cli("solve", tmp_path / "no-such-instance", "--out", tmp_path / "run")
    assert res.returncode == 1 and "the run folder exists already" in res.stderr and "not found" not in res.stderr


def test_a_misspelt_instance_name_gets_the_built_in_one_suggested():
    res = cli("validate", "zuid_holland")
    assert res.returncode == 1 and "did you mean the built-in instance 'zuid-holland'?" in res.stderr
