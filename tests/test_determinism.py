"""Determinism and time limits: the same inputs give the same bytes; any input byte moves the hash;
a time limit without a feasible allocation is exit 3 with the bound."""
import hashlib

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruimtepuzzel import solvers
from ruimtepuzzel.cli import main
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.solvers.base import NO_SOLUTION, SolveResult

from .helpers import row_units, write_instance

CONFIG = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}},
          "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 2}]}


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["instance.yaml", "units.csv", "scenarios/high.yaml"]), st.integers(0, 10_000), st.integers(0, 255))
def test_any_changed_input_byte_changes_the_instance_hash(tmp_path_factory, name, position, byte):
    folder = write_instance(tmp_path_factory.mktemp("h"), CONFIG, row_units(3), scenarios={"high": {"objective": {"shortfall_penalty_per_ha": 5}}})
    before = load_instance(folder, "high").content_hash()
    path = folder / name
    data = bytearray(path.read_bytes())
    i = position % len(data)
    if data[i] == byte:
        return
    data[i] = byte
    path.write_bytes(bytes(data))
    try:
        after = load_instance(folder, "high").content_hash()
    except Exception:
        return  # the change broke the file: an input error, covered by the fuzz tests
    assert after != before


def test_same_inputs_same_bytes_across_runs(tmp_path):
    folder = write_instance(tmp_path / "inst", CONFIG, row_units(12))
    digests = []
    for i in range(2):
        out = tmp_path / f"run{i}"
        assert CliRunner().invoke(main, ["solve", str(folder), "--out", str(out), "--quiet"]).exit_code == 0
        digests.append({n: hashlib.sha256((out / n).read_bytes()).hexdigest() for n in ("allocation.csv", "summary.csv", "rules.csv")})
    assert digests[0] == digests[1]


def test_time_limit_without_a_feasible_allocation_is_exit_3_with_the_bound(tmp_path, monkeypatch):
    folder = write_instance(tmp_path / "inst", CONFIG, row_units(3))
    monkeypatch.setattr(solvers, "solve", lambda prob, opts, skip=frozenset(), watch=None: SolveResult(NO_SOLUTION, bound=42.5, solver="highs"))
    res = CliRunner().invoke(main, ["solve", str(folder), "--out", str(tmp_path / "run"), "--time-limit", "1"])
    assert res.exit_code == 3
    assert "time limit of 1 s reached without a feasible allocation; best bound 42.5" in res.output
    assert not (tmp_path / "run").exists()
