"""Sweeps: designs and paths, patched problems equal rebuilt ones, kept-model answers equal fresh
ones, the store resumes, a crashed worker loses only its own scenario, and Dask gives the
same table as local workers."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.formulation import formulate
from ruimtepuzzel.model.inputs.config import merged_data
from ruimtepuzzel.model.inputs.instance import load_instance, with_config
from ruimtepuzzel.model.prepare.pairs import prepare
from ruimtepuzzel.model.pipeline import solve_instance
from ruimtepuzzel.model.analysis.sweep import sweep_instance
from ruimtepuzzel.model.analysis.sweep.patch import patched
from ruimtepuzzel.model.analysis.sweep.spec import SweepSpec, design_points, effective_data, locate
from ruimtepuzzel.model.analysis.sweep.store import Store, finished
from ruimtepuzzel.solvers.kept import delta, same_structure

from .helpers import row_units, write_instance

ROOT = Path(__file__).resolve().parents[1]
TIMING = ["setup_s", "transfer_s", "solve_s", "extract_s", "duals_s", "total_s", "key"]


def small(tmp_path: Path) -> Path:
    """10 cells of 1 ha. Housing (10/ha) up to 6 ha; business (4/ha, 1 MW/ha) floor 2 ha under a grid cap.

    With the cap C (integer MW) and shortfall penalty π: objective = 60 + 4·min(4, C) − π·max(0, 2 − min(4, C)).
    """
    config = {
        "claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 4}},
        "demand": [
            {"level": "province", "region": "A", "claim": "housing", "min_ha": 3, "max_ha": 6},
            {"level": "province", "region": "A", "claim": "business", "min_ha": 2},
        ],
        "rules": [{"name": "flood", "claims": ["housing"], "attr": "flood_m", "op": ">", "value": 9.0, "effect": "exclude"},
                  {"name": "peat", "claims": ["housing"], "attr": "flood_m", "op": ">", "value": 3.0, "effect": "penalty", "per_ha": 1.0}],
        "resources": {"grid_mw": {"zone_attr": "grid_zone", "per_ha": {"business": 1.0}, "cap": {"Z1": 6}}},
        "objective": {"sense": "max_value", "shortfall_penalty_per_ha": 100},
        "solver": {"mip_rel_gap": 0.0, "time_limit_s": 60},
    }
    units = row_units(10, flood_m=[0.5 * i for i in range(10)], grid_zone="Z1")
    return write_instance(tmp_path / "small", config, units)


def expected(cap: float, penalty: float) -> float:
    business = min(4.0, cap)
    return 60 + 4 * business - penalty * max(0.0, 2 - business)


def write_spec(path: Path, spec: dict) -> Path:
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


GRID = {"design": "grid", "parameters": [
    {"path": "resources.grid_mw.cap.Z1", "name": "cap", "values": [1, 2, 3, 6]},
    {"path": "objective.shortfall_penalty_per_ha", "name": "penalty", "values": [100, 10]},
]}


# --------------------------------------------------------------------------- spec and paths


def test_paths_select_items_and_report_what_is_wrong():
    data = {"demand": [{"claim": "housing", "region": "PV28", "min_ha": 5}, {"claim": "housing", "region": 28, "min_ha": 1}],
            "resources": {"grid": {"cap": {"Z1": 3}}}}
    assert len(locate(data, "demand[claim=housing].min_ha")) == 2
    (container, key), = locate(data, "demand[claim=housing,region=PV28].min_ha")
    assert container[key] == 5
    (container, key), = locate(data, "demand[region=28].min_ha")  # YAML numbers match their spelling
    assert container[key] == 1
    assert locate(data, "demand[1].min_ha")[0][0]["region"] == 28
    with pytest.raises(InputError, match=r"no item of 'demand' matches \[claim=energy\]"):
        locate(data, "demand[claim=energy].min_ha")
    with pytest.raises(InputError, match="no key 'grid_mw'"):
        locate(data, "resources.grid_mw.cap.Z1")
    with pytest.raises(InputError, match="is not a list"):
        locate(data, "resources[name=x].cap")
    with pytest.raises(InputError, match="out of range"):
        locate(data, "demand[5].min_ha")


def test_designs_have_the_right_number_of_points_and_monte_carlo_is_seeded():
    grid = SweepSpec.model_validate(GRID)
    assert [p.values for p in design_points(grid)][:2] == [(1, 100), (1, 10)] and len(design_points(grid)) == 8
    oat = SweepSpec.model_validate({**GRID, "design": "oat"})
    points = design_points(oat)
    assert len(points) == 1 + 4 + 2 and points[0].values == (None, None) and points[5].varied == "penalty"
    mc = {"design": "monte_carlo", "monte_carlo": {"samples": 25, "seed": 7}, "parameters": [
        {"path": "resources.grid_mw.cap.Z1", "distribution": {"kind": "triangular", "low": 1, "mode": 2, "high": 5}},
        {"path": "demand[claim=business].min_ha", "apply": "scale", "distribution": {"kind": "normal", "mean": 1, "sd": 0.5, "clip": [0, 2]}},
    ]}
    a, b = design_points(SweepSpec.model_validate(mc)), design_points(SweepSpec.model_validate(mc))
    assert len(a) == 25 and a == b
    values = np.array([p.values for p in a])
    assert values[:, 0].min() >= 1 and values[:, 0].max() <= 5 and values[:, 1].min() >= 0 and values[:, 1].max() <= 2


@pytest.mark.parametrize("bad, message", [
    ({"design": "grid", "parameters": [{"path": "a", "values": [1], "factors": [2]}]}, "exactly one of"),
    ({"design": "monte_carlo", "parameters": [{"path": "a", "values": [1]}], "monte_carlo": {"samples": 3}}, "needs a 'distribution'"),
    ({"design": "monte_carlo", "parameters": [{"path": "a", "distribution": {"kind": "normal", "mean": 1}}],
      "monte_carlo": {"samples": 3}}, "missing sd"),
    ({"design": "oat", "parameters": [{"path": "a", "values": [1]}, {"path": "a", "values": [2]}]}, "unique"),
])
def test_bad_specs_are_refused(bad, message):
    with pytest.raises(Exception, match=message):
        SweepSpec.model_validate(bad)


def test_bad_paths_and_values_fail_before_anything_runs(tmp_path):
    folder = small(tmp_path)
    spec = write_spec(tmp_path / "bad.yaml", {"design": "grid", "parameters": [{"path": "resources.grid.cap.Z1", "values": [1]}]})
    with pytest.raises(InputError, match="no key 'grid'"):
        sweep_instance(folder, spec, tmp_path / "out", quiet=True)
    spec = write_spec(tmp_path / "neg.yaml", {"design": "grid", "parameters": [{"path": "demand[claim=business].min_ha", "values": [-1]}]})
    with pytest.raises(InputError, match=r"scenario S0000 .*min_ha"):
        sweep_instance(folder, spec, tmp_path / "out2", quiet=True)
    spec = write_spec(tmp_path / "gap.yaml", {"design": "grid", "parameters": [{"path": "solver.mip_rel_gap", "values": [0.1]}]})
    with pytest.raises(InputError, match="cannot vary solver settings"):
        sweep_instance(folder, spec, tmp_path / "out3", quiet=True)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out2").exists() and not (tmp_path / "out3").exists()


# --------------------------------------------------------------------------- patched = rebuilt


PATCHABLE = [
    ("demand[claim=business].min_ha", 3.5),
    ("demand[claim=housing].max_ha", 4.0),
    ("resources.grid_mw.cap.Z1", 2.0),
    ("objective.shortfall_penalty_per_ha", 7.0),
    ("demand[claim=business].shortfall_penalty", 55.0),
]


def base_and_scenario(tmp_path, path, value):
    """The small instance prepared and formulated, and the configuration with ``path`` set to ``value``."""
    folder = small(tmp_path)
    base_instance = load_instance(folder)
    base_prep = prepare(base_instance)
    data, _, _ = merged_data(folder)
    spec = SweepSpec.model_validate({"design": "grid", "parameters": [{"path": path, "values": [value]}]})
    config = with_config(base_instance, effective_data(data, spec, design_points(spec)[0]), "test").config
    return base_instance, base_prep, formulate(base_prep), config


@pytest.mark.parametrize("path, value", PATCHABLE)
def test_a_patched_problem_equals_the_rebuilt_one_array_by_array(tmp_path, path, value):
    base_instance, base_prep, base, config = base_and_scenario(tmp_path, path, value)
    got = patched(base_prep, base, config)
    assert got is not None
    _, fast = got
    slow = formulate(prepare(with_config(base_instance, config.model_dump(exclude_none=True), "test")))
    assert same_structure(fast, slow)
    for a, b in zip(fast.bounds(), slow.bounds()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fast.objective(), slow.objective())
    for x, y in zip(fast.blocks, slow.blocks):
        np.testing.assert_array_equal(x.lower, y.lower)
        np.testing.assert_array_equal(x.upper, y.upper)
    d = delta(base, fast)
    assert d is not None and d.size > 0


@pytest.mark.parametrize("path, value", [("rules[name=flood].value", 2.0), ("claims.housing.value_per_ha", 12.0),
                                         ("demand[claim=housing].min_ha", 0.0)])
def test_structural_changes_are_not_patched(tmp_path, path, value):
    _, base_prep, base, config = base_and_scenario(tmp_path, path, value)
    assert patched(base_prep, base, config) is None


# --------------------------------------------------------------------------- end to end


def test_a_group_parameter_changes_the_items_that_have_the_field():
    # the README's example: business floors in two provinces and a national business ceiling without a floor
    base = {"demand": [{"level": "province", "region": "A", "claim": "business", "min_ha": 100},
                       {"level": "province", "region": "B", "claim": "business", "min_ha": 50, "max_ha": 80},
                       {"level": "national", "claim": "business", "max_ha": 500}]}
    scale = SweepSpec.model_validate({"design": "oat", "parameters": [{"path": "demand[claim=business].min_ha", "factors": [1.2]}]})
    (_, point) = design_points(scale)
    assert [d.get("min_ha") for d in effective_data(base, scale, point)["demand"]] == [120.0, 60.0, None]  # "cannot scale None" before
    put = SweepSpec.model_validate({"design": "oat", "parameters": [{"path": "demand[claim=business].min_ha", "values": [70]}]})
    (_, point) = design_points(put)
    assert [d.get("min_ha") for d in effective_data(base, put, point)["demand"]] == [70, 70, None]  # no floor added to the ceiling
    nothing = SweepSpec.model_validate({"design": "oat", "parameters": [{"path": "demand[claim=business].max_ha", "factors": [2]},
                                                                         {"path": "demand[region=A].max_ha", "name": "a", "factors": [2]}]})
    points = design_points(nothing)
    assert [d.get("max_ha") for d in effective_data(base, nothing, points[1])["demand"]] == [None, 160.0, 1000.0]
    with pytest.raises(InputError, match="parameter 'a': nothing to scale at 'demand\\[region=A\\].max_ha'"):
        effective_data(base, nothing, points[2])


def test_objective_changes_are_known_within_both_gaps():
    from ruimtepuzzel.model.analysis.sweep.table import change_interval

    base = {"status": "optimal", "objective": 100.0, "bound": 101.0}
    low, high, resolved = change_interval({"status": "optimal", "objective": 100.5, "bound": 101.2}, base)
    assert (low, high, resolved) == (pytest.approx(-0.5), pytest.approx(1.2), False)  # the gap hides the sign
    assert change_interval({"status": "optimal", "objective": 103.0, "bound": 103.5}, base)[2]  # above the base's bound
    exact = {"status": "optimal", "objective": 100.0, "bound": 100.0}
    assert change_interval(exact, exact) == (0.0, 0.0, True)  # both proven: no effect, proven
    assert change_interval({"status": "no_solution", "objective": None}, base) is None
    # an answer whose bound was not trusted (its solver claimed another objective): the optimum is unknown
    low, high, resolved = change_interval({"status": "time_limit", "objective": 150.0, "bound": None}, base)
    assert low == -np.inf and high == np.inf and not resolved


def _stopping_at_the_gap(original):
    """solve_task as HiGHS answers on a large instance at a gap above 0: a bound 1 % above the objective."""
    def solve_task(ctx, task):
        answer = original(ctx, task)
        record = answer["record"]
        if ctx.opts.mip_rel_gap > 0 and record["objective"] is not None:
            record["bound"], record["gap"] = record["objective"] * 1.0099, 0.0098
        return answer
    return solve_task


def test_changes_hidden_by_the_gap_are_refined_or_marked(tmp_path, monkeypatch):
    import ruimtepuzzel.model.analysis.sweep.execute as execute

    monkeypatch.setattr(execute, "solve_task", _stopping_at_the_gap(execute.solve_task))
    folder = small(tmp_path)
    spec = write_spec(tmp_path / "oat.yaml", {"design": "oat", "parameters": [
        {"path": "claims.business.value_per_ha", "name": "business_value", "values": [4.1]},  # +0.4 of 76: within 1 %
        {"path": "resources.grid_mw.cap.Z1", "name": "cap", "values": [1]}]})  # 60 + 4 − 100: far outside it
    plain = sweep_instance(folder, spec, tmp_path / "plain", quiet=True, refine=False, gap=0.01).table.set_index("scenario")
    assert list(plain["change_resolved"]) == [True, False, True] and not plain["refined"].any()  # S0000 is the base
    assert plain.loc["S0001", "change_low"] < 0 < plain.loc["S0001", "change_high"]  # the sign is unknown
    assert (tmp_path / "plain" / "tornado.png").exists()

    refined = sweep_instance(folder, spec, tmp_path / "refined", quiet=True, gap=0.01)
    table = refined.table.set_index("scenario")
    assert list(table["refined"]) == [True, True, False] and refined.refined == 2
    assert table["change_resolved"].all()
    assert table.loc["S0001", "objective_change"] == pytest.approx(0.4) and table.loc["S0001", "gap"] == 0  # proven at gap 0
    assert table.loc["S0000", "objective_change"] == pytest.approx(0.0)
    manifest = json.loads((tmp_path / "refined" / "manifest.json").read_text())
    assert manifest["refined_at_gap_0"] == ["S0000", "S0001"] and manifest["base"]["objective"] == pytest.approx(76)
    again = sweep_instance(folder, spec, tmp_path / "refined", quiet=True, gap=0.01)
    assert again.solved == 0  # refined answers are stored under their own keys


def test_grid_sweep_matches_hand_values_and_fresh_solves(tmp_path):
    folder = small(tmp_path)
    spec = write_spec(tmp_path / "grid.yaml", GRID)
    outcome = sweep_instance(folder, spec, tmp_path / "sweep", workers=2, quiet=True)
    table = outcome.table
    assert len(table) == 8 and outcome.solved == 8 and not outcome.failed
    assert (table["status"] == "optimal").all() and set(table["path"]) == {"patched"}
    for _, row in table.iterrows():
        assert row["objective"] == pytest.approx(expected(row["cap"], row["penalty"]), abs=1e-6)
        assert row["shortfall_ha:province:A:business"] == pytest.approx(max(0.0, 2 - min(4.0, row["cap"])), abs=1e-6)
    # one scenario solved independently through `solve`, with the same change as an override
    run = solve_instance(folder, out=tmp_path / "fresh", gap=0.0, overrides={"resources": {"grid_mw": {"cap": {"Z1": 1}}}})
    assert run.result.objective == pytest.approx(table.loc[table["cap"] == 1, "objective"].iloc[0], abs=1e-6)
    floor_price = table.set_index(["cap", "penalty"])["shadow_price:demand_floor:province A business"]
    assert floor_price[(1, 100)] == pytest.approx(-100.0) and floor_price[(1, 10)] == pytest.approx(-10.0)  # short: each ha costs π
    assert floor_price[(3, 100)] == pytest.approx(0.0)  # met with room to spare
    for name in ("sweep.csv", "sweep.parquet", "sweep_regions.csv", "sweep_duals.csv", "heatmap_shortfall.png", "manifest.json"):
        assert (outcome.out / name).exists(), name

    again = sweep_instance(folder, spec, tmp_path / "sweep", workers=2, quiet=True)
    assert again.solved == 0 and again.stored == 8
    pd.testing.assert_frame_equal(again.table.drop(columns=TIMING), table.drop(columns=TIMING))


def test_oat_with_rules_and_without_reuse_gives_the_same_answers(tmp_path):
    folder = small(tmp_path)
    spec = write_spec(tmp_path / "oat.yaml", {"design": "oat", "parameters": [
        {"path": "resources.grid_mw.cap.Z1", "name": "cap", "values": [1, 3]},
        {"path": "rules[name=flood].value", "name": "flood", "values": [1.0, 2.0]},
        {"path": "rules[name=peat].per_ha", "name": "peat", "factors": [5.0]},
    ]})
    kept = sweep_instance(folder, spec, tmp_path / "kept", quiet=True).table
    fresh = sweep_instance(folder, spec, tmp_path / "fresh", reuse=False, quiet=True).table
    assert len(kept) == 6 and list(kept["varied"]) == ["base", "cap", "cap", "flood", "flood", "peat"]
    assert list(kept["path"]) == ["patched", "patched", "patched", "fresh", "fresh", "rebuilt"]
    assert set(fresh["path"]) == {"fresh"}
    np.testing.assert_allclose(kept["objective"], fresh["objective"], atol=1e-6)
    # flood ≤ 1 m leaves 3 cells for housing: 30 + 4·min(7 cells, 6 MW) = 54; ≤ 2 m leaves 5: 50 + 4·5 = 70
    assert kept.loc[kept["flood"] == 1.0, "objective"].iloc[0] == pytest.approx(54.0)
    assert kept.loc[kept["flood"] == 2.0, "objective"].iloc[0] == pytest.approx(70.0)
    assert (tmp_path / "kept" / "tornado.png").exists()


def test_a_sweep_patches_and_rebuilds_instances_with_links_to_existing_uses(tmp_path):
    # 6 cells in a row; u1 is a park (category 4.1, 150 m) that keeps housing off u2, u3 until it is transformed.
    # Housing is worth 10, industry 4. The housing ceiling is patched onto the kept model, link rows and all;
    # every scenario must equal a fresh solve.
    config = {"claims": {"housing": {"value_per_ha": 10, "sensitive": True}, "industry": {"value_per_ha": 4, "env_category": "4.1"}},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "max_ha": 6}],
              "env_zoning": {"distance_m": {"3.1": 50, "4.1": 150}, "existing_category_attr": "cat", "sensitive_uses": ["housing"]},
              "solver": {"mip_rel_gap": 0.0, "time_limit_s": 60}}
    folder = write_instance(tmp_path / "parks", config, row_units(6, cat=["4.1", None, None, None, None, None],
                                                                   current_use=["business_park"] + ["farm"] * 5))
    spec = write_spec(tmp_path / "oat.yaml", {"design": "oat", "parameters": [
        {"path": "demand[claim=housing].max_ha", "name": "ceiling", "values": [1, 3]}]})
    kept = sweep_instance(folder, spec, tmp_path / "kept", quiet=True).table
    fresh = sweep_instance(folder, spec, tmp_path / "fresh", reuse=False, quiet=True).table
    assert list(kept["path"]) == ["patched", "patched", "patched"]
    np.testing.assert_allclose(kept["objective"], fresh["objective"], atol=1e-6)
    # ceiling 6: housing on all six (60). Ceiling 1: one housing unit costs the industry within 150 m of it, so
    # industry everywhere (24) wins. Ceiling 3: housing on u1..u3 (u1 transformed, so u2, u3 may) and industry on
    # u6, 200 m away (30 + 4 = 34).
    assert list(kept["objective"]) == pytest.approx([60.0, 24.0, 34.0])


def test_monte_carlo_sweep_writes_its_plot(tmp_path):
    folder = small(tmp_path)
    spec = write_spec(tmp_path / "mc.yaml", {"design": "monte_carlo", "monte_carlo": {"samples": 6, "seed": 3}, "parameters": [
        {"path": "resources.grid_mw.cap.Z1", "name": "cap", "distribution": {"kind": "uniform", "low": 0.5, "high": 5}}]})
    outcome = sweep_instance(folder, spec, tmp_path / "mc", quiet=True)
    assert len(outcome.table) == 6 and (outcome.out / "monte_carlo.png").exists()
    assert outcome.table["objective"].notna().all()


def _crash_on_s0002(original):
    def solve_task(ctx, task):
        if task.point.scenario == "S0002":
            os._exit(3)
        return original(ctx, task)
    return solve_task


def test_a_crashed_worker_loses_only_its_own_scenario(tmp_path, monkeypatch):
    import ruimtepuzzel.model.analysis.sweep.execute as execute

    folder = small(tmp_path)
    spec = write_spec(tmp_path / "grid.yaml", GRID)
    monkeypatch.setattr(execute, "solve_task", _crash_on_s0002(execute.solve_task))
    outcome = sweep_instance(folder, spec, tmp_path / "sweep", workers=2, quiet=True)
    assert len(outcome.failed) == 1 and "S0002" in next(iter(outcome.failed.values()))
    assert list(outcome.table.loc[outcome.table["status"] == "missing", "scenario"]) == ["S0002"]
    assert outcome.solved == 7
    monkeypatch.undo()
    again = sweep_instance(folder, spec, tmp_path / "sweep", workers=2, quiet=True)
    assert again.solved == 1 and again.stored == 7 and (again.table["status"] == "optimal").all()


def test_a_killed_sweep_resumes_where_it_stopped(tmp_path):
    folder = small(tmp_path)
    spec = write_spec(tmp_path / "long.yaml", {"design": "grid", "parameters": [
        {"path": "resources.grid_mw.cap.Z1", "values": [float(v) for v in np.linspace(0.5, 8, 40)]}]})
    out = tmp_path / "sweep"
    cmd = [sys.executable, str(ROOT / "cli.py"), "sweep", str(folder), "--spec", str(spec), "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    store = out / "scenarios"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(finished(out)) < 5:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(finished(out))  # whole files only: one being written aside is not a finished scenario
    assert 5 <= done_before < 40, "the sweep should have been killed half-way"
    Store(out)  # a new run clears any half-written file
    assert not list(store.glob(".tmp-*"))
    result = subprocess.run(cmd[:-1], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"{40 - done_before} solved now, {done_before} from the store" in result.stdout
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 40 and (table["status"] == "optimal").all()


def test_dask_gives_the_same_table_as_local_workers(tmp_path):
    distributed = pytest.importorskip("distributed")
    folder = small(tmp_path)
    spec = write_spec(tmp_path / "oat.yaml", {"design": "oat", "parameters": [
        {"path": "resources.grid_mw.cap.Z1", "name": "cap", "values": [1, 3]},
        {"path": "rules[name=flood].value", "name": "flood", "values": [2.0]},
    ]})
    local = sweep_instance(folder, spec, tmp_path / "local", workers=2, quiet=True).table
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            remote = sweep_instance(folder, spec, tmp_path / "dask", scheduler=client, quiet=True)
    assert not remote.failed
    pd.testing.assert_frame_equal(remote.table.drop(columns=TIMING), local.drop(columns=TIMING))


@pytest.mark.slow  # about 20 s: the built-in Zuid-Holland solved twice
def test_cli_sweep_on_a_built_in_instance(tmp_path):
    import yaml

    base_cap = yaml.safe_load((ROOT / "instances" / "zuid-holland" / "instance.yaml").read_text())["resources"]["grid_mw"]["cap"]["PV28"]
    spec = write_spec(tmp_path / "zh.yaml", {"design": "oat", "parameters": [
        {"path": "resources.grid_mw.cap.PV28", "name": "grid", "values": [800]}]})
    result = subprocess.run([sys.executable, str(ROOT / "cli.py"), "sweep", "zuid-holland", "--spec", str(spec),
                             "--out", str(tmp_path / "zh"), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(tmp_path / "zh" / "sweep.csv")
    assert list(table["grid"]) == [float(base_cap), 800.0] and (table["status"] == "optimal").all()
    assert table["objective"].iloc[1] < table["objective"].iloc[0]  # less grid capacity cannot be worth more
