"""Progress: the solver's incumbent, bound and gap cross the process boundary; people read them formatted;
a log gets a line per improvement at most every 10 s; a terminal gets one status line."""
import io
import multiprocessing as mp

import numpy as np
import pytest

from ruimtepuzzel.model.formulation import formulate
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.outputs import progress as progress_module
from ruimtepuzzel.model.outputs.progress import Progress, describe
from ruimtepuzzel.model.pipeline import solve_instance
from ruimtepuzzel.model.prepare.pairs import prepare
from ruimtepuzzel.solvers import SolveOptions
from ruimtepuzzel.solvers.base import SolveProgress, run_in_worker
from ruimtepuzzel.solvers.highs import STATE, _progress, solve_here

from .helpers import row_units, write_instance


def small_problem(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}},
              "demand": [{"level": "province", "region": "A", "claim": "business", "min_ha": 2}]}
    folder = write_instance(tmp_path / "inst", config, row_units(6))
    return formulate(prepare(load_instance(folder)))


def _solve_and_read_the_shared_state(conn, problem):
    incumbent, state = mp.RawArray("d", problem.n_cols), mp.RawArray("d", STATE)
    state[1] = state[3] = np.inf
    answer = solve_here(problem, SolveOptions(mip_rel_gap=0.0, time_limit_s=60), incumbent=incumbent, state=state)
    conn.send({"status": answer["status"], "objective": answer["objective"], "seen": _progress(state),
               "incumbent": np.frombuffer(incumbent).copy(), "values": answer["values"]})


def test_the_solver_shares_incumbent_bound_and_gap_through_shared_memory(tmp_path):
    problem = small_problem(tmp_path)  # HiGHS runs in a forked worker, as in every solve: never in the test process
    got, killed = run_in_worker(_solve_and_read_the_shared_state, (problem,), deadline_s=120)
    assert not killed and got["status"] == "optimal" and got["objective"] == pytest.approx(52)  # 4 ha housing, 2 ha business
    seen = got["seen"]
    assert seen.objective == pytest.approx(52)  # the incumbent, as the improving-solution callback shared it
    assert seen.bound is None or seen.bound >= 52 - 1e-6  # the bound once the branch-and-bound has reported one
    assert np.allclose(got["incumbent"], got["values"])


def test_the_parent_polls_while_the_worker_runs():
    polls = []

    def slow(conn):
        import time

        time.sleep(1.2)
        conn.send({"done": True})

    message, killed = run_in_worker(slow, (), deadline_s=30, poll=polls.append)
    assert message == {"done": True} and not killed
    assert len(polls) >= 2 and polls == sorted(polls)  # elapsed seconds, growing


def test_progress_reads_like_a_person_writes():
    assert describe(SolveProgress(12.04, 35797.25, 35819.0, 0.0006075)) == "solving: 12.0 s, incumbent 35,797, bound 35,819, gap 0.06 %"
    assert describe(SolveProgress(0.5, None, -1.33041e06, None)) == "solving: 0.50 s, no allocation found yet, bound \u22121,330,410"


def test_a_log_gets_a_line_per_improvement_at_most_every_ten_seconds(monkeypatch):
    clock = iter([0.0, 3.0, 11.0, 12.0, 30.0])
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
    log = io.StringIO()
    p = Progress(log)
    for objective in (10.0, 11.0, 12.0, 12.0, 12.0):
        p.solver(SolveProgress(1.0, objective, 20.0, 0.5))
    lines = log.getvalue().splitlines()
    assert lines == ["solving: 1.0 s, incumbent 10, bound 20, gap 50 %", "solving: 1.0 s, incumbent 12, bound 20, gap 50 %"]


def test_a_terminal_gets_one_status_line_that_messages_replace():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    p = Progress(screen)
    p.begin("loading demo…")
    p.solver(SolveProgress(2.0, 10.0, 20.0, 0.5))
    p("optimal: objective 10")
    text = screen.getvalue()
    assert "loading demo…" in text and "solving: 2.0 s, incumbent 10" in text and "\r" in text
    assert text.rstrip().endswith("optimal: objective 10")


def test_a_solve_reports_each_step_and_the_solver_as_it_goes(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": {"housing": {"value_per_ha": 1}}}, row_units(3))
    said, solving = [], []

    class Recorder:
        def __call__(self, message):
            said.append(message)

        def begin(self, what):
            said.append(f"begin: {what}")

        def solver(self, p):
            solving.append(p)

    solve_instance(folder, out=tmp_path / "run", gap=0.0, progress=Recorder(), with_report=True)
    begun = [m for m in said if m.startswith("begin: ")]
    assert [m.split()[1] for m in begun] == ["loading", "preprocessing:", "building", "extracting", "writing", "writing"]
    assert any(m.startswith("optimal: objective 3") for m in said) and any(m.startswith("report:") for m in said)
    assert solving and all(isinstance(p, SolveProgress) for p in solving)
