"""Faults: runs that share a name, folders that cannot be written, full disks, file-size limits, Ctrl-C and SIGTERM.

Every one ends in a one-line error (or exit 130 for an interrupt), never a traceback; no
run folder is overwritten, no hidden staging folder is left, and a solve that finished
keeps what could be written.
"""
from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from ruimtepuzzel.model.errors import WriteError
from ruimtepuzzel.model.outputs import run_folder
from ruimtepuzzel.model.outputs.run_folder import PARTIAL_PREFIX, deferred_signals, staging
from ruimtepuzzel.model.pipeline import solve_instance

from .helpers import row_units, write_instance

ROOT = Path(__file__).resolve().parents[1]
CONFIG = {"claims": {"housing": {"value_per_ha": 2}, "business": {"value_per_ha": 1}},
          "demand": [{"level": "national", "claim": "housing", "max_ha": 2}]}


def tiny(tmp_path: Path) -> Path:
    return write_instance(tmp_path / "inst", CONFIG, row_units(4))


def hidden(folder: Path) -> list[str]:
    """Staging folders left anywhere below ``folder``."""
    return [str(p) for p in Path(folder).rglob(f"{PARTIAL_PREFIX}*")]


def cli(*args, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, **kwargs)


def last_line(res: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in res.stderr, res.stderr[-3000:]
    return res.stderr.strip().splitlines()[-1]


# --------------------------------------------------------------------------- run folder names

class FixedClock(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 12, 7, 18, 0, 0)


def test_two_solves_in_the_same_second_keep_both_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(run_folder, "datetime", FixedClock)
    folder = tiny(tmp_path)
    first = solve_instance(folder, results_root=tmp_path / "results", gap=0)
    second = solve_instance(folder, results_root=tmp_path / "results", gap=0)
    assert first.out.name == "20261207T180000" and second.out.name == "20261207T180000-2"
    for run in (first, second):
        assert json.loads((run.out / "manifest.json").read_text())["status"] == "optimal"
    assert not hidden(tmp_path)


def test_two_solve_processes_at_once_both_keep_their_run(tmp_path):
    """Two `solve` processes started together into the default results folder (the same second, most likely):
    two complete run folders, whichever names they got."""
    folder = tiny(tmp_path)
    procs = [subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "solve", str(folder), "--no-report", "--quiet"],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    codes = [p.wait(timeout=300) for p in procs]
    assert codes == [0, 0], [p.stderr.read() for p in procs]
    runs = sorted((tmp_path / "results" / "test").iterdir())
    assert len(runs) == 2 and all((run / "manifest.json").exists() for run in runs)
    assert not hidden(tmp_path)


def test_two_runs_finishing_with_one_name_never_overwrite(tmp_path):
    """Interleaved by hand: both stage, both finish; the second is moved beside the first, never onto it."""
    out = tmp_path / "results" / "inst" / "20261207T180000"
    a, b = staging(out, unique=True), staging(out, unique=True)
    with a as tmp_a:
        with b as tmp_b:
            assert tmp_a != tmp_b
            (tmp_a / "who").write_text("a")
            (tmp_b / "who").write_text("b")
        assert b.out == out  # b finished first and took the name
    assert a.out == out.with_name(out.name + "-2")
    assert (out / "who").read_text() == "b" and (a.out / "who").read_text() == "a"
    assert not hidden(tmp_path)


def test_an_explicit_out_that_appears_meanwhile_keeps_the_run_beside_it(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(WriteError) as caught:
        with staging(out) as tmp:
            (tmp / "allocation.csv").write_text("x\n")
            out.mkdir()
            (out / "theirs").write_text("other run")
    assert (out / "theirs").exists() and (tmp_path / "run-2" / "allocation.csv").exists()
    assert "run-2" in str(caught.value) and not hidden(tmp_path)


# --------------------------------------------------------------------------- write failures

def test_an_unwritable_out_is_one_line(tmp_path):
    folder = tiny(tmp_path)
    (tmp_path / "afile").write_text("not a folder")
    res = cli("solve", folder, "--out", tmp_path / "afile" / "run", "--no-report", cwd=tmp_path)
    assert res.returncode == 1
    line = last_line(res)
    assert line.startswith("error: ") and "afile" in line and "not a folder" in line
    assert not hidden(tmp_path)


def no_space(after: int = 0):
    """A writer that writes ``after`` bytes and then finds the disk full."""
    def write(*args, **kwargs):
        path = next(a for a in args if isinstance(a, Path))
        path.write_bytes(b"x" * after)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return write


def test_a_full_disk_keeps_the_finished_solve(tmp_path, monkeypatch):
    """The summary cannot be written: the allocation and the manifest are kept, the half file is removed, the
    manifest says what failed, and the error is one line with the objective."""
    folder = tiny(tmp_path)
    real = run_folder.write_csv

    def write_csv(frame, path):
        if Path(path).name == "summary.csv":
            no_space(100)(Path(path))
        real(frame, path)

    monkeypatch.setattr(run_folder, "write_csv", write_csv)
    with pytest.raises(WriteError) as caught:
        solve_instance(folder, out=tmp_path / "run", gap=0)
    message = str(caught.value)
    assert "\n" not in message and "summary.csv" in message and "No space left on device" in message
    assert "(optimal, objective 6)" in message and "allocation.csv" in message  # 2 ha housing at 2, 2 ha business at 1
    written = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"allocation.csv", "manifest.json", "rules.csv"} <= written and "summary.csv" not in written
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["failed_outputs"] == {"summary.csv": "No space left on device"} and manifest["status"] == "optimal"
    assert not hidden(tmp_path)


def test_a_disk_full_from_the_first_file_leaves_nothing(tmp_path, monkeypatch):
    folder = tiny(tmp_path)
    monkeypatch.setattr(run_folder, "write_csv", lambda frame, path: no_space(10)(Path(path)))
    with pytest.raises(WriteError, match="nothing was kept"):
        solve_instance(folder, out=tmp_path / "run", gap=0)
    assert not (tmp_path / "run").exists() and not hidden(tmp_path)


def test_an_infeasible_run_that_cannot_write_everything_still_exits_as_infeasible(tmp_path, monkeypatch):
    from ruimtepuzzel.model.errors import InfeasibleError

    config = {"claims": {"housing": {"value_per_ha": 1}},
              "rules": [{"name": "flood", "attr": "flood", "op": "==", "value": True}],
              "locked": [{"unit_id": "u1", "claim": "housing"}]}
    folder = write_instance(tmp_path / "inst", config, row_units(2, flood=[True, False]))
    monkeypatch.setattr(run_folder, "write_csv", lambda frame, path: no_space(10)(Path(path)))
    with pytest.raises(InfeasibleError) as caught:  # exit 2: the diagnosis is what matters
        solve_instance(folder, out=tmp_path / "run", gap=0)
    assert "flood" in str(caught.value) and "could not write rules.csv (No space left on device)" in str(caught.value)
    assert (tmp_path / "run" / "infeasibility.txt").exists() and not (tmp_path / "run" / "rules.csv").exists()
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["failed_outputs"] == {
        "rules.csv": "No space left on device"}


def test_a_failed_report_is_listed_in_the_manifest(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    pytest.importorskip("geopandas")
    from ruimtepuzzel.model.outputs import report

    def write_report(run_dir, instance, maps=True):
        (Path(run_dir) / "report.html").write_text("<html>half")
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))

    monkeypatch.setattr(report, "write_report", write_report)
    with pytest.raises(WriteError, match="report.html"):
        solve_instance(tiny(tmp_path), out=tmp_path / "run", gap=0, with_report=True)
    assert not (tmp_path / "run" / "report.html").exists()
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["failed_outputs"] == {"report.html": "File too large"}


def test_a_file_size_limit_is_one_line_and_keeps_the_tables(tmp_path):
    """RLIMIT_FSIZE (EFBIG) set in the solving process: a GeoPackage is larger than 50 kB, the tables are not."""
    pytest.importorskip("pyogrio")
    folder = tiny(tmp_path)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    res = cli("solve", folder, "--out", tmp_path / "run", "--no-report", "--gap", "0", cwd=tmp_path, preexec_fn=limit)
    assert res.returncode == 1
    line = last_line(res)
    assert line.startswith("error: ") and "allocation.gpkg" in line and "File too large" in line
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert "allocation.gpkg" in manifest["failed_outputs"] and manifest["status"] == "optimal"
    assert (tmp_path / "run" / "allocation.csv").exists() and not (tmp_path / "run" / "allocation.gpkg").exists()
    assert not hidden(tmp_path)


# --------------------------------------------------------------------------- interrupts

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_solve_exits_130_and_leaves_nothing(tmp_path, sig):
    """The signal is sent once the solve has started (a line on stderr says so); the demo's solve at gap 0 takes
    seconds, so the signal always arrives while it runs."""
    out = tmp_path / "results" / "run"
    # SIGINT as at a terminal: a shell starts background jobs with it ignored, and a child inherits that
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "solve", "demo", "--gap", "0", "--no-report",
                             "--out", str(out)], cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in proc.stderr:
            if line.startswith("solving with"):
                proc.send_signal(sig)
                break
        rest = proc.stderr.read()
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130, rest
    assert "Traceback" not in rest and "nothing half-written was left" in rest.strip().splitlines()[-1]
    assert not out.exists() and not hidden(tmp_path)
    assert not (tmp_path / "results").exists()  # the parent made for the run is removed too


def test_an_interrupt_inside_the_staging_folder_removes_it(tmp_path):
    out = tmp_path / "results" / "inst" / "run"
    with pytest.raises(KeyboardInterrupt):
        with staging(out) as tmp:
            (tmp / "allocation.csv").write_text("half")
            raise KeyboardInterrupt
    assert not (tmp_path / "results").exists()


def test_signals_wait_while_a_folder_is_moved_into_place():
    """signal.raise_signal delivers to this (the main) thread: os.kill of the own process may hand the signal to
    another thread of the test process, and Python then runs its handler whenever the main thread next looks."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own, whatever earlier tests left
    try:
        reached = False
        with pytest.raises(KeyboardInterrupt):
            with deferred_signals():
                signal.raise_signal(signal.SIGINT)
                reached = True  # the interrupt did not cut the block short
        assert reached
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)


def test_writing_a_computed_run_into_a_plain_staged_folder(tmp_path, monkeypatch):
    """A caller's own `with staging(out) as tmp` (e.g. an export of a computed run): every file is written, and a
    file that cannot be written raises WriteError, so the folder is discarded whole."""
    from ruimtepuzzel.model.inputs.instance import load_instance
    from ruimtepuzzel.model.pipeline import _write_solution, compute, skipped_outputs
    from ruimtepuzzel.model.solve.stages import solve_options

    instance = load_instance(tiny(tmp_path))
    opts = solve_options(instance, gap=0)
    run = compute(instance, opts)
    with staging(tmp_path / "ok") as tmp:
        _write_solution(run, opts, None, run.times, tmp, skipped_outputs(with_report=False))
    assert {"allocation.csv", "summary.csv", "manifest.json"} <= {p.name for p in (tmp_path / "ok").iterdir()}
    real = run_folder.write_csv
    monkeypatch.setattr(run_folder, "write_csv",
                        lambda frame, path: no_space()(Path(path)) if Path(path).name == "duals.csv" else real(frame, path))
    with pytest.raises(WriteError, match="duals.csv"):
        with staging(tmp_path / "failed") as tmp:
            _write_solution(run, opts, None, run.times, tmp, skipped_outputs(with_report=False))
    assert not (tmp_path / "failed").exists() and not hidden(tmp_path)
