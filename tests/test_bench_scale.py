"""bench/scale.py: HiGHS's log read onto one time line, and the harness end to end on a small build."""
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def scale():
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_scale"] = module
    spec.loader.exec_module(module)
    return module


LOG = """LP has 100 rows; 50 cols; 300 nonzeros
  Iteration        Objective     Infeasibilities num(sum)
          0    -0.0000000000e+00 Pr: 7(488699) 1.2s
HiGHS run time      :          6.25
ruimtepuzzel: LP relaxation: bound -336,825
MIP has 100 rows; 50 cols; 300 nonzeros; 40 integer variables (40 binary)
        Nodes      |    B&B Tree     |            Objective Bounds              |  Dynamic Constraints |       Work
Src  Proc. InQueue |  Leaves   Expl. | BestBound       BestSol              Gap |   Cuts   InLp Confl. | LpIters     Time

         0       0         0   0.00%   -336835.02268   inf                  inf        0      0      0         0     2.0s
 J       0       0         0   0.00%   inf             -755839.365392     Large        0      0      0         0    10.2s
 R       0       0         0   0.00%   -336835.02268   -376996.613312    10.65%        0      0      0      1200    14.1s
 L       0       0         0   0.00%   -336844.963155  -336846.346992     0.00%     4045     37      0      2483    25.9s

Solving report
  Timing            25.93
"""


def test_highs_log_on_one_time_line():
    log = scale().read_highs_log(LOG)
    assert log["runs"] == 2 and log["notes"] == ["LP relaxation: bound -336,825"]
    assert log["first_feasible_s"] == pytest.approx(6.25 + 10.2)  # the MIP's clock starts after the LP's 6.25 s
    times = [p[0] for p in log["gap_over_time"]]
    assert times == pytest.approx([8.25, 16.45, 20.35, 32.15])
    assert [p[1] for p in log["gap_over_time"]] == [None, None, 10.65, 0.0]  # no solution yet, then a gap too large to print
    assert log["gap_over_time"][2][2:] == [-336835.02268, -376996.613312]


ROUNDS = """LP has 100 rows; 50 cols; 300 nonzeros
Solving LP without presolve or useful basis
HiGHS run time      :          2.00
LP has 110 rows; 50 cols; 320 nonzeros
Solving LP with useful basis
HiGHS run time      :          3.00
LP has 115 rows; 50 cols; 330 nonzeros
Solving LP with useful basis
HiGHS run time      :          3.50
ruimtepuzzel: LP relaxation: bound -336,825 after 3 round(s)
MIP has 100 rows; 50 cols; 300 nonzeros; 40 integer variables (40 binary)
 J       0       0         0   0.00%   inf             -755839.365392     Large        0      0      0         0     1.5s
"""


def test_relaxation_rounds_of_one_model_keep_one_clock():
    # LP-first re-runs one LP model after adding rows: its run time goes on (2.0, 3.0, 3.5 s in all), it does not
    # restart; the MIP after it starts its own clock. First allocation: 3.5 + 1.5 s (not 2 + 3 + 3.5 + 1.5).
    log = scale().read_highs_log(ROUNDS)
    assert log["runs"] == 4 and log["first_feasible_s"] == pytest.approx(5.0)


def test_harness_end_to_end_on_a_small_build(tmp_path):
    """The regional instance with every family built at 2 km (a few hundred cells): built, solved in a process of its
    own, the same matrix solved directly, and the tables written; a second call reuses the build."""
    bench = scale()
    out = tmp_path / "scale"
    args = ["zuid-holland-100m", "--cell-m", "2000", "--dir", str(tmp_path / "built"), "--repeats", "1", "--time-limit", "60",
            "--gap", "0.01", "--out", str(out)]
    bench.main(args)
    result = json.loads(out.with_suffix(".json").read_text())
    s = result["summaries"][0]
    assert s["instance"] == "zuid-holland-100m" and s["status"] == ["optimal"] and not s["build"]["reused"]
    assert s["build"]["time_s"] > 0 and s["build"]["peak_mb"] > 0
    for step in ("load", "preprocess", "formulate", "transfer", "solve", "extract", "duals", "write"):
        assert s["times_s"][step] is not None, step
    assert s["peak_mb"]["load"] <= s["peak_mb"]["write"]  # a running peak
    assert {"single_use", "demand_floor", "env_zoning"} <= set(s["size"]["families"])
    assert sum(f["rows"] for f in s["size"]["families"].values()) == s["size"]["rows"]
    assert s["direct_s"] > 0 and s["ratio"] == pytest.approx(s["ours_s"] / s["direct_s"])
    run = result["runs"]["zuid-holland-100m"][0]
    assert run["direct"]["objective"] == pytest.approx(run["objective"], rel=0.011)  # both within the 1 % gap
    assert s["first_feasible_s"] is not None and s["gap_over_time"]
    assert "| zuid-holland-100m |" in out.with_suffix(".md").read_text()
    again = bench.main(args[:-2] + ["--no-direct"])  # the build is up to date: reused
    assert again[0]["build"] == {"reused": True} and again[0]["ratio"] is None
