"""Pareto fronts: every front point undominated, repeated and dominated points marked with the point that beats
them, no-conflict said plainly, a constant metric refused, honest progress, every point a feasible allocation."""
import json

import pandas as pd
import pytest

from ruimtepuzzel.model.analysis.pareto import Metric, _dominance
from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.pipeline import pareto_instance

from .checker import check
from .helpers import row_units, write_instance

ZONED = {"claims": {"housing": {"value_per_ha": 10, "sensitive": True}, "business": {"value_per_ha": 6, "env_category": "4.1"}},
         "env_zoning": {"distance_m": {"4.1": 150}}}


def test_housing_against_business_front_by_hand(tmp_path):
    # 4 cells of 1 ha; a unit takes one claim; zoning keeps business (4.1, 150 m) away from housing.
    # Cells are 100 m wide, so business must be 2+ cells from housing: housing 1 ha leaves business only u4 (1 ha);
    # housing 2 ha (u1, u2) leaves none, and then housing on all 4 dominates. The front: (0, 4), (1, 1), (4, 0).
    folder = write_instance(tmp_path / "inst", ZONED, row_units(4))
    said = []
    table, out = pareto_instance(folder, "housing", "business", points=5, out=tmp_path / "front", gap=0.0, progress=said.append)
    assert list(table["status"].unique()) == ["optimal"]
    assert table["housing"].tolist() == pytest.approx([0, 1, 4, 4, 4])  # ε = 0, 1, 2, 3, 4 ha of housing
    assert table["business"].tolist() == pytest.approx([4, 1, 0, 0, 0])
    assert table["on_front"].tolist() == [True, True, True, False, False]
    assert table["note"].tolist()[3:] == ["the same figures as point 2"] * 2
    front = table[table["on_front"]]
    assert (front["business"].diff().dropna() < 0).all() and (front["housing"].diff().dropna() > 0).all()
    assert (out / "pareto.png").stat().st_size > 1000 and (out / "pareto.csv").exists()
    assert said[0] == "pareto point 1/5, step 1 of 2: the most business"  # no floor to hold: no solve before the ends
    results = [m for m in said if m.startswith("pareto point") and "step" not in m]
    assert [m.split(":")[0] for m in results] == [f"pareto point {k}/5" for k in range(1, 6)]  # five points, not six
    assert results[0] == "pareto point 1/5: housing 0.0 ha, business 4.0 ha (optimal, gap 0 %)"
    inst = load_instance(folder)
    allocations = pd.read_csv(out / "pareto_allocations.csv", dtype={"unit_id": str})
    for point, alloc in allocations.groupby("point"):
        check(inst, alloc.drop(columns="point").reset_index(drop=True))  # every point is feasible


def test_metrics_that_do_not_conflict_give_one_point_and_say_so(tmp_path):
    # housing only on u1-u2 (a rule), business only on u3-u4: both can have the most at once
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}},
              "rules": [{"name": "h", "claims": ["housing"], "attr": "zone", "op": "==", "value": "b", "effect": "exclude"},
                        {"name": "b", "claims": ["business"], "attr": "zone", "op": "==", "value": "h", "effect": "exclude"}]}
    folder = write_instance(tmp_path / "inst", config, row_units(4, zone=["h", "h", "b", "b"]))
    table, out = pareto_instance(folder, "housing", "business", points=5, out=tmp_path / "front", gap=0.0)
    assert len(table) == 1 and table.loc[0, "housing"] == 2 and table.loc[0, "business"] == 2
    held, note = table.attrs["notes"]
    assert held.startswith("every point is a plan of the instance")
    assert note.startswith("housing and business do not conflict in test: one allocation has the most housing (2.0 ha)")
    assert "the 3 points between the ends were not solved" in note
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["conflict"] is False and manifest["notes"] == [held, note]


def test_no_conflict_is_claimed_only_as_far_as_the_solves_prove_it():
    from types import SimpleNamespace as R

    import numpy as np

    from ruimtepuzzel.model.analysis.pareto import no_conflict_note

    m = Metric("housing", np.array([1.0, 0.0]), 1.0, "housing (ha)", "the most housing")
    n = Metric("business", np.array([0.0, 1.0]), 1.0, "business (ha)", "the most business")
    values = np.array([2.0, 3.0])
    proven = no_conflict_note(m, n, "demo", values, [R(status="optimal", gap=0.0)] * 4)
    assert proven == "housing and business do not conflict in demo: one allocation has the most housing (2.0 ha) and the most business (3.0 ha); the front is that one point"
    within = no_conflict_note(m, n, "demo", values, [R(status="optimal", gap=0.0), R(status="optimal", gap=0.008)])
    assert "do not conflict in demo within the solver's gap (up to 0.80 %)" in within
    stopped = no_conflict_note(m, n, "demo", values, [R(status="optimal", gap=0.0), R(status="time_limit", gap=0.6)])
    assert stopped.startswith("no conflict between housing and business among the allocations found, but not proven")
    assert "do not conflict" not in stopped and "longer --time-limit" in stopped


def test_dominated_points_are_never_on_the_front():
    # what a solve stopped early can give: point 1 is beaten by point 2 on both metrics, point 3 repeats point 2
    m = Metric("housing", None, 1.0, "housing (ha)", "the most housing")
    n = Metric("business", None, 1.0, "business (ha)", "the most business")
    rows = [{"point": 0, "x": 0.0, "y": 4.0, "status": "optimal"}, {"point": 1, "x": 1.0, "y": 1.0, "status": "time_limit"},
            {"point": 2, "x": 2.0, "y": 1.5, "status": "optimal"}, {"point": 3, "x": 2.0, "y": 1.5, "status": "optimal"},
            {"point": 4, "status": "no_solution"}]
    _dominance(rows, m, n)
    assert [r["on_front"] for r in rows] == [True, False, True, False, False]
    assert rows[1]["note"] == "dominated by point 2 (housing 2.0 ha against 1.0 ha, business 1.5 ha against 1.0 ha)"
    assert rows[3]["note"] == "the same figures as point 2" and rows[4]["note"] == "no allocation (no_solution)"


def test_a_metric_no_allocation_can_move_is_refused(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": {"housing": {"value_per_ha": 1}}}, row_units(2))
    with pytest.raises(InputError, match="'cost' is 0 for every allocation of test .no claim names a cost_attr"):
        pareto_instance(folder, "housing", "cost", out=tmp_path / "f")
    assert not (tmp_path / "f").exists()


def test_unknown_metric_is_an_input_error(tmp_path):
    folder = write_instance(tmp_path / "inst", {"claims": {"housing": {"value_per_ha": 1}}}, row_units(2))
    with pytest.raises(InputError, match="neither 'value', 'cost' nor a claim"):
        pareto_instance(folder, "housing", "nature", out=tmp_path / "f")
    assert not (tmp_path / "f").exists()


def test_every_point_holds_the_other_floors(tmp_path):
    # 6 cells of 1 ha; housing and business trade on every cell, energy asks 2 ha (penalty 1000 per ha short).
    # Without the energy floor the business end would take all 6 cells; held (it can be met), every point leaves 2
    # cells to energy: the front runs from (housing 0, business 4) to (housing 4, business 0).
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}, "energy": {"value_per_ha": 1}},
              "demand": [{"level": "province", "region": "A", "claim": "energy", "min_ha": 2},
                         {"level": "province", "region": "A", "claim": "housing", "min_ha": 1}],
              "objective": {"shortfall_penalty_per_ha": 1000}}
    folder = write_instance(tmp_path / "inst", config, row_units(6))
    table, out = pareto_instance(folder, "housing", "business", points=3, out=tmp_path / "front", gap=0.0)
    assert table["housing"].tolist() == pytest.approx([0, 2, 4]) and table["business"].tolist() == pytest.approx([4, 2, 0])
    assert (table["held_floors_short"] == 0).all()
    allocations = pd.read_csv(out / "pareto_allocations.csv", dtype={"unit_id": str})
    energy = allocations[allocations["claim"] == "energy"].groupby("point")["unit_id"].count()
    assert energy.reindex(range(3), fill_value=0).tolist() == [2, 2, 2]  # the energy floor met at every point
    held = table.attrs["notes"][0]
    assert "the floor of energy (province A) is held: every point has the least penalised shortfall" in held
    assert "the floors of housing (province A) are traded" in held


def test_a_floor_that_cannot_be_met_is_counted_short_not_dropped(tmp_path):
    # energy asks 8 ha of 4 cells: short at every point, by as little as the cells allow, and said so
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}, "energy": {"value_per_ha": 1}},
              "demand": [{"level": "province", "region": "A", "claim": "energy", "min_ha": 8}],
              "rules": [{"name": "no-energy", "claims": ["energy"], "attr": "keep", "op": "==", "value": 1, "effect": "exclude"}],
              "objective": {"shortfall_penalty_per_ha": 1000}}
    folder = write_instance(tmp_path / "inst", config, row_units(6, keep=[1, 1, 0, 0, 0, 0]))
    table, out = pareto_instance(folder, "housing", "business", points=2, out=tmp_path / "front", gap=0.0)
    assert (table["held_floors_short"] == 1).all()
    allocations = pd.read_csv(out / "pareto_allocations.csv", dtype={"unit_id": str})
    energy = allocations[allocations["claim"] == "energy"].groupby("point")["unit_id"].count()
    assert energy.tolist() == [4, 4]  # all four cells energy may take, at both ends
    assert table["housing"].tolist() == pytest.approx([0, 2]) and table["business"].tolist() == pytest.approx([2, 0])


@pytest.mark.slow
def test_the_demo_front_between_business_and_logistics_meets_the_housing_floors(tmp_path):
    # the demo's housing floors (dwellings) can be met (a solve meets them); they are held at every point
    from pathlib import Path

    demo = Path(__file__).resolve().parents[1] / "instances" / "demo"
    table, out = pareto_instance(demo, "business", "logistics", points=2, out=tmp_path / "front", gap=0.02, time_limit=60)
    assert (table["held_floors_short"] == 0).all()
    allocations = pd.read_csv(out / "pareto_allocations.csv", dtype={"unit_id": str})
    housing = allocations[allocations["claim"] == "housing"].groupby("point")["used_ha"].sum()
    assert len(housing) == len(table) and (housing > 0).all()
