"""alternatives: HSJ plans, ranges and replacement costs on instances worked out by hand (gap 0).

A (max_value): four 1-ha units in a row, u1 u2 in province A, u3 u4 in B; housing is worth 10/ha,
business 6/ha; a national housing floor of 2 ha (1,000 per ha short). The optimum puts housing on
all four: z* = 40.
- HSJ at slack 0.25 (objective ≥ 30): plan 1 keeps the fewest housing pairs: k housing units give
  10k + 6(4 − k) − 1000·max(0, 2 − k), so k = 2: objective 32, HSJ objective 2, overlap 2 ha,
  4 ha from plan 0. Plan 2 (weights 2 on the pairs both plans used, 1 on the others) puts housing
  where plan 1 put business and business where it put housing: HSJ objective 2, 4 ha from plan 0
  and 8 ha from plan 1.
- ranges by province at slack 0.1 (objective ≥ 36): one swap to business costs 4, so housing in
  A and in B runs from 1 to 2 ha.
- replacement costs: a unit without housing takes business (40 − 36 = 4); province A without
  housing: 12 + 20 = 32 (cost 8); the one site of four units without housing: 24 − 2,000
  (cost 2,016).

B (min_cost): units cost 1, 2, 3, 5 €/m² (10,000 to 50,000 € per ha); housing floor 2 ha, 10⁶
per ha short. The optimum is u1 + u2: 30,000. At slack 0.4 (≤ 42,000) plan 1 is u1 + u3 (40,000,
HSJ objective 1). Ranges: A housing 1 to 2 ha; nationally exactly 2. Replacement: without u1
the best is u2 + u3 (50,000: cost 20,000); without u2, u1 + u3 (cost 10,000).

C (minimum sites): logistics 10/ha with sites of at least 2 ha, housing 4/ha, four units in a
row: all logistics, z* = 40. Without logistics on u2, u1 cannot be a site alone: u1, u2
housing, u3 u4 logistics: 28 (cost 12); without u1: 34 (cost 6). The site of four: all housing
16 (cost 24). At slack 0.3 (≥ 28) plan 1 keeps two adjacent logistics units: 28, HSJ objective 2;
logistics ranges from 2 to 4 ha.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from ruimtepuzzel import api
from ruimtepuzzel.cli import main
from ruimtepuzzel.model.analysis.alternatives import alternatives_instance

from .checker import check
from .helpers import write_instance


def _units(regions=("A", "A", "B", "B"), **columns):
    out = []
    for i, region in enumerate(regions):
        unit = {"unit_id": f"u{i + 1}", "area_ha": 1.0, "province": region, "x": 50 + 100 * i, "y": 50, "cell_m": 100}
        for key, values in columns.items():
            unit[key] = values[i]
        out.append(unit)
    return out


def instance_a(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}},
              "demand": [{"level": "national", "claim": "housing", "min_ha": 2}],
              "objective": {"sense": "max_value", "shortfall_penalty_per_ha": 1000}}
    return write_instance(tmp_path / "a", config, _units())


def instance_b(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 0}},
              "demand": [{"level": "national", "claim": "housing", "min_ha": 2}],
              "budget": {"cost_attr": "cost"},
              "objective": {"sense": "min_cost", "shortfall_penalty_per_ha": 1.0e6}}
    return write_instance(tmp_path / "b", config, _units(cost=[1.0, 2.0, 3.0, 5.0]))


def instance_c(tmp_path):
    config = {"claims": {"logistics": {"value_per_ha": 10, "min_site_ha": 2}, "housing": {"value_per_ha": 4}},
              "objective": {"sense": "max_value"}}
    return write_instance(tmp_path / "c", config, _units(regions=("A",) * 4))


def _run(folder, tmp_path, name, **kw):
    kw.setdefault("gap", 0.0)
    kw.setdefault("time_limit", 30)
    return alternatives_instance(folder, out=tmp_path / name, **kw)


def _pairs(alloc, plan):
    rows = alloc[alloc["plan"] == plan]
    return set(zip(rows["unit_id"], rows["claim"]))


def test_hsj_max_value_by_hand(tmp_path):
    o = _run(instance_a(tmp_path), tmp_path, "hsj", slack=0.25, count=2)
    t = o.alternatives
    assert t["status"].tolist() == ["optimal"] * 3
    assert t["objective"].tolist() == pytest.approx([40, 32, 32])
    assert t["objective_loss"].tolist() == pytest.approx([0, 8, 8])
    assert t["objective_loss_pct"].tolist() == pytest.approx([0, 20, 20])
    assert t["hsj_objective"].iloc[1:].tolist() == pytest.approx([2, 2])
    assert math.isnan(t["hsj_objective"].iloc[0])
    assert t["overlap_ha"].tolist() == pytest.approx([4, 2, 2])
    assert math.isnan(t["distance_ha"].iloc[0])
    assert t["distance_ha"].iloc[1:].tolist() == pytest.approx([4, 4])
    p1, p2 = _pairs(o.allocation, 1), _pairs(o.allocation, 2)
    swapped = {(u, "business" if k == "housing" else "housing") for u, k in p1}
    assert p2 == swapped  # plan 2 avoids everything plan 1 used
    freq = o.selection_frequency.set_index(["unit_id", "claim"])
    assert freq["plans"].loc[("u1", "housing")] in (2, 3) and freq["share"].max() <= 1.0
    assert freq.loc[[(u, "housing") for u in ("u1", "u2", "u3", "u4")], "plans"].sum() == 4 + 2 + 2
    written = (tmp_path / "hsj" / "alternatives.csv").read_text().splitlines()[0].split(",")
    assert written[:10] == ["plan", "method", "status", "gap", "objective", "objective_loss", "objective_loss_pct",
                            "hsj_objective", "overlap_ha", "distance_ha"]


def test_ranges_and_importance_max_value_by_hand(tmp_path):
    folder = instance_a(tmp_path)
    o = _run(folder, tmp_path, "r", slack=0.1, count=1, ranges_level="province", importance_kind="unit", workers=2)
    r = o.ranges.set_index(["region", "claim"])
    assert list(r.index) == [("A", "housing"), ("B", "housing")]
    assert r["optimum_ha"].tolist() == [2, 2] and r["min_ha"].tolist() == pytest.approx([1, 1])
    assert r["max_ha"].tolist() == pytest.approx([2, 2])
    imp = o.importance
    assert imp["group"].tolist() == ["u1", "u2", "u3", "u4"] and set(imp["claim"]) == {"housing"}
    assert imp["objective_without"].tolist() == pytest.approx([36] * 4)
    assert imp["replacement_cost"].tolist() == pytest.approx([4] * 4)
    by_region = _run(folder, tmp_path, "r", slack=0.1, count=1, importance_kind="province").importance  # same folder: resumes
    assert by_region.set_index("group")["replacement_cost"].to_dict() == pytest.approx({"A": 8, "B": 8})
    site = _run(folder, tmp_path, "s", slack=0.1, count=1, importance_kind="site").importance
    assert len(site) == 1 and site["used_ha"].iloc[0] == 4
    assert site["objective_without"].iloc[0] == pytest.approx(24 - 2000)
    assert site["replacement_cost"].iloc[0] == pytest.approx(2016)


def test_min_cost_by_hand(tmp_path):
    folder = instance_b(tmp_path)
    o = _run(folder, tmp_path, "b", slack=0.4, count=1, ranges_level="province", importance_kind="unit")
    t = o.alternatives
    assert t["objective"].tolist() == pytest.approx([30000, 40000])
    assert t["objective_loss"].tolist() == pytest.approx([0, 10000])
    assert t["objective_loss_pct"].iloc[1] == pytest.approx(100 / 3)
    assert t["hsj_objective"].iloc[1] == pytest.approx(1)
    assert _pairs(o.allocation, 1) == {("u1", "housing"), ("u3", "housing")}
    r = o.ranges.set_index(["region", "claim"])
    assert list(r.index) == [("A", "housing")]
    assert (r["optimum_ha"].iloc[0], r["min_ha"].iloc[0], r["max_ha"].iloc[0]) == pytest.approx((2, 1, 2))
    national = _run(folder, tmp_path, "b", slack=0.4, count=1, ranges_level="national").ranges
    assert national[["optimum_ha", "min_ha", "max_ha"]].iloc[0].tolist() == pytest.approx([2, 2, 2])
    imp = o.importance.set_index("group")
    assert imp["replacement_cost"].to_dict() == pytest.approx({"u1": 20000, "u2": 10000})
    assert imp["objective_without"].to_dict() == pytest.approx({"u1": 50000, "u2": 40000})


def test_minimum_sites_by_hand(tmp_path):
    folder = instance_c(tmp_path)
    o = _run(folder, tmp_path, "c", slack=0.3, count=1, ranges_level="province", importance_kind="unit")
    imp = o.importance.set_index("group")
    assert imp["replacement_cost"].to_dict() == pytest.approx({"u1": 6, "u2": 12, "u3": 12, "u4": 6})
    t = o.alternatives
    assert t["objective"].tolist() == pytest.approx([40, 28]) and t["hsj_objective"].iloc[1] == pytest.approx(2)
    plan1 = sorted(int(u[1]) for u, k in _pairs(o.allocation, 1) if k == "logistics")
    assert len(plan1) == 2 and plan1[1] - plan1[0] == 1  # one site of two adjacent units
    r = o.ranges.set_index("claim")
    assert (r.loc["logistics", "min_ha"], r.loc["logistics", "max_ha"]) == pytest.approx((2, 4))
    site = _run(folder, tmp_path, "c", slack=0.3, count=1, importance_kind="site").importance
    assert site["replacement_cost"].tolist() == pytest.approx([24])


def test_locked_group_cannot_be_replaced(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}},
              "locked": [{"unit_id": "u1", "claim": "housing"}], "objective": {"sense": "max_value"}}
    folder = write_instance(tmp_path / "l", config, _units())
    imp = _run(folder, tmp_path, "l", count=1, importance_kind="unit").importance.set_index("group")
    assert imp.loc["u1", "replacement_cost"] == np.inf and np.isnan(imp.loc["u1", "objective_without"])
    assert imp.loc["u2", "replacement_cost"] == pytest.approx(4)
    assert "inf" in (tmp_path / "l" / "importance.csv").read_text()


def test_directions_by_hand(tmp_path):
    folder = instance_a(tmp_path)
    spec = tmp_path / "dirs.yaml"
    spec.write_text(yaml.safe_dump([{"province:A:business": 1}, {"province:B:business": 1, "province:A:housing": 1}]))
    o = _run(folder, tmp_path, "d", slack=0.1, method="directions", directions_file=spec)
    t = o.alternatives
    assert len(t) == 3 and t["objective"].iloc[1:].tolist() == pytest.approx([36, 36])
    assert _pairs(o.allocation, 1) >= {("u1", "business")} or _pairs(o.allocation, 1) >= {("u2", "business")}
    p2 = _pairs(o.allocation, 2)
    assert {("u1", "housing"), ("u2", "housing")} <= p2 and len([1 for u, k in p2 if k == "business"]) == 1
    assert "province:A:business=1" in t["direction"].iloc[1]


def test_rerun_solves_only_what_is_missing(tmp_path):
    folder = instance_a(tmp_path)
    first = _run(folder, tmp_path, "again", slack=0.25, count=1, ranges_level="province")
    assert first.solved["plans"] == 2 and first.solved["range"] == 2
    second = _run(folder, tmp_path, "again", slack=0.25, count=2, ranges_level="province")
    assert second.stored["plans"] == 2 and second.solved["plans"] == 1 and second.solved["range"] == 0
    assert second.alternatives["objective"].iloc[:2].tolist() == first.alternatives["objective"].tolist()


def test_api_returns_frames_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frames = api.alternatives(instance_a(tmp_path), slack=0.25, count=1, ranges="province", gap=0.0, time_limit=30)
    assert set(frames) == {"alternatives", "allocation", "selection_frequency", "ranges", "importance"}
    assert frames["importance"] is None and len(frames["alternatives"]) == 2
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("args, named", [
    (["--slack", "1"], "--slack"), (["--slack", "-0.1"], "--slack"), (["--slack", "abc"], "--slack"),
    (["--count", "0"], "--count"), (["--ranges", "corop"], "--ranges"), (["--importance", "parcel"], "--importance"),
    (["--method", "random"], "--method"),
])
def test_bad_options_exit_1(tmp_path, args, named):
    folder = instance_a(tmp_path)
    result = CliRunner().invoke(main, ["alternatives", str(folder), "--out", str(tmp_path / "x"), *args])
    assert result.exit_code == 1, result.output
    assert named in result.output and not (tmp_path / "x").exists()


@pytest.mark.parametrize("directions, named", [
    ([{"province:Z:housing": 1}], "unknown region 'Z'"), ([{"province:A:nature": 1}], "unknown claim 'nature'"),
    ([{"corop:A:housing": 1}], "unknown level 'corop'"), ([{"province:A:housing": "much"}], "weight"),
    ({"province:A:housing": 1}, "a non-empty list"),
])
def test_bad_directions_file_exit_1(tmp_path, directions, named):
    folder = instance_a(tmp_path)
    spec = tmp_path / "dirs.yaml"
    spec.write_text(yaml.safe_dump(directions))
    result = CliRunner().invoke(main, ["alternatives", str(folder), "--method", "directions", "--directions", str(spec),
                                       "--out", str(tmp_path / "x")])
    assert result.exit_code == 1, result.output
    assert named in result.output and str(spec) in result.output and not (tmp_path / "x").exists()


def test_every_plan_passes_the_checker(tmp_path):
    folder = instance_c(tmp_path)
    o = _run(folder, tmp_path, "chk", slack=0.3, count=2)
    from ruimtepuzzel.model.inputs.instance import load_instance
    from ruimtepuzzel.model.outputs import extract

    instance = load_instance(folder)
    for values, z in zip(o.plans, o.alternatives["objective"]):
        alloc = extract.allocation(o.prep, values)
        check(instance, alloc, extract.summary(o.prep, alloc), z)


def test_report_sentences_are_checked_against_the_tables(tmp_path):
    from .fact_check import check_report, statements

    folder = instance_a(tmp_path)
    _run(folder, tmp_path, "rep", slack=0.1, count=2, ranges_level="province", importance_kind="unit", report=True)
    out = tmp_path / "rep"
    assert check_report(out, folder, names=("alternatives.html",)) >= 5
    texts = [text for _, text, _ in statements(out / "alternatives.html")]
    assert "Every near-optimal plan gives A at least 1.0 ha of housing; the most generous one 2.0 ha." in texts
    for name in ("map_selection_frequency.png", "ranges_A.png", "ranges_B.png", "map_importance.png"):
        assert (out / name).stat().st_size > 1000


def test_a_false_range_sentence_is_caught(tmp_path):
    import pandas as pd

    from .fact_check import check_report

    folder = instance_a(tmp_path)
    _run(folder, tmp_path, "lie", slack=0.1, count=1, ranges_level="province", report=True)
    ranges_csv = tmp_path / "lie" / "ranges.csv"
    frame = pd.read_csv(ranges_csv)
    frame.loc[0, "min_ha"] = 0.0
    frame.to_csv(ranges_csv, index=False)
    with pytest.raises(AssertionError, match="the tables say"):
        check_report(tmp_path / "lie", folder, names=("alternatives.html",))


def test_two_stage_senses_hold_the_first_stage(tmp_path):
    """max_min_fulfilment on A: t* = 1 (the floor of 2 ha met) is held; the slack applies to max_value (40), so the
    figures are A's — except the site of four: without housing no allocation keeps t = 1 (inf). min_shortfall on B:
    no shortfall is held, the slack applies to min_cost (30,000): B's figures."""
    a = instance_a(tmp_path)
    text = (a / "instance.yaml").read_text().replace("sense: max_value", "sense: max_min_fulfilment")
    (a / "instance.yaml").write_text(text)
    o = _run(a, tmp_path, "mmf", slack=0.25, count=1, importance_kind="unit")
    assert o.alternatives["objective"].tolist() == pytest.approx([40, 32])
    assert o.alternatives["hsj_objective"].iloc[1] == pytest.approx(2)
    assert o.importance["replacement_cost"].tolist() == pytest.approx([4] * 4)
    site = _run(a, tmp_path, "mmf", slack=0.25, count=1, importance_kind="site").importance
    assert site["replacement_cost"].tolist() == [np.inf]
    b = instance_b(tmp_path)
    text = (b / "instance.yaml").read_text().replace("sense: min_cost", "sense: min_shortfall")
    (b / "instance.yaml").write_text(text)
    o = _run(b, tmp_path, "ms", slack=0.4, count=1, importance_kind="unit")
    assert o.alternatives["objective"].tolist() == pytest.approx([30000, 40000])
    assert o.importance.set_index("group")["replacement_cost"].to_dict() == pytest.approx({"u1": 20000, "u2": 10000})


@pytest.mark.slow
def test_dask_cluster_gives_the_same_figures(tmp_path):
    """The independent solves on a Dask cluster (a local one here) give the figures of the local workers."""
    distributed = pytest.importorskip("distributed")
    folder = instance_a(tmp_path)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        o = _run(folder, tmp_path, "dask", slack=0.1, count=1, ranges_level="province", importance_kind="unit", scheduler=client)
    assert not o.failed
    assert o.ranges["min_ha"].tolist() == pytest.approx([1, 1]) and o.ranges["max_ha"].tolist() == pytest.approx([2, 2])
    assert o.importance["replacement_cost"].tolist() == pytest.approx([4] * 4)


def test_infeasible_optimum_exits_2_and_leaves_no_folder(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 10}}, "demand": [{"level": "national", "claim": "housing", "max_ha": 1}],
              "locked": [{"unit_id": "u1", "claim": "housing"}, {"unit_id": "u2", "claim": "housing"}],
              "objective": {"sense": "max_value"}}
    folder = write_instance(tmp_path / "inf", config, _units())
    result = CliRunner().invoke(main, ["alternatives", str(folder), "--out", str(tmp_path / "x"), "--quiet"])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "x").exists()


def test_phased_instance_counts_the_last_period(tmp_path):
    """A over two periods: every use earns its value twice, z* = 80; at slack 0.25 (≥ 60) housing in A can drop to 0
    (B housing, A business: 32 a period); without housing anywhere: 2 · 24 − 2,000 (cost 2,032). HSJ weights count the
    last period's state: plan 1 keeps two housing pairs (HSJ objective 2)."""
    config = {"periods": [2030, 2040], "claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}},
              "demand": [{"level": "national", "claim": "housing", "min_ha": 2}],
              "objective": {"sense": "max_value", "shortfall_penalty_per_ha": 1000}}
    folder = write_instance(tmp_path / "p", config, _units())
    o = _run(folder, tmp_path, "p", slack=0.25, count=1, ranges_level="province", importance_kind="site")
    assert o.alternatives["objective"].iloc[0] == pytest.approx(80) and o.alternatives["hsj_objective"].iloc[1] == pytest.approx(2)
    assert o.ranges[["min_ha", "max_ha"]].to_numpy().tolist() == [[0, 2], [0, 2]]
    assert o.importance["replacement_cost"].tolist() == pytest.approx([2032])
    assert "period" in o.allocation.columns


def _proposal_ranges_in_a_worker(folder):
    from ruimtepuzzel.model.analysis.alternatives import proposal_ranges
    from ruimtepuzzel.model.formulation import formulate
    from ruimtepuzzel.model.inputs.instance import load_instance
    from ruimtepuzzel.model.prepare.pairs import prepare
    from ruimtepuzzel.model.solve.stages import solve_options

    instance = load_instance(folder)
    prep = prepare(instance)
    problem = formulate(prep)
    opts = solve_options(instance, None, 30, 0.0, None, None)
    keys = [("province", "A", "housing"), ("province", "B", "business"), ("national", "NL", "housing")]
    _, solved = proposal_ranges(prep, problem, opts, keys, 0.1)
    given = np.zeros(problem.n_cols)
    given[[0, 1, 2]] = 1.0  # a proposal: housing on u1 u2 u3, u4 empty (objective 30 − 0 shortfall)
    _, proposal = proposal_ranges(prep, formulate(prep), opts, keys, 0.1, optimum=given)
    return solved, proposal


def test_proposal_ranges_for_the_table(tmp_path):
    """Ranges of chosen keys on a kept model: of the optimum (z* = 40, ≥ 36), and of a proposal taken as z* (30,
    ≥ 27: housing in A from 0 — B housing 20 + A business 12 = 32 — to 2)."""
    import concurrent.futures as cf
    import multiprocessing as mp

    folder = instance_a(tmp_path)
    with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("fork")) as pool:  # HiGHS never in the test process
        solved, proposal = pool.submit(_proposal_ranges_in_a_worker, folder).result()
    assert solved[["optimum_ha", "min_ha", "max_ha"]].to_numpy().tolist() == [[2, 1, 2], [0, 0, 1], [4, 3, 4]]
    assert proposal[["optimum_ha", "min_ha", "max_ha"]].to_numpy().tolist() == [[2, 0, 2], [0, 0, 2], [3, 2, 4]]


def test_sentences_state_the_figures_as_the_tables_hold_them(tmp_path):
    """Areas with more decimals than the CSV files keep (six): the facts are the written figures."""
    from .fact_check import check_report

    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}},
              "objective": {"sense": "max_value"}}
    units = _units()
    for i, unit in enumerate(units):
        unit["area_ha"] = 1.12345678 + i
    folder = write_instance(tmp_path / "frac", config, units)
    _run(folder, tmp_path, "frac", slack=0.1, count=1, ranges_level="province", importance_kind="unit", report=True)
    assert check_report(tmp_path / "frac", folder, names=("alternatives.html",)) >= 8
