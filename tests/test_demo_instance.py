"""The built-in default instance: regenerable, valid, and its solution passes the checker."""
import io
from pathlib import Path

import pytest

from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.pipeline import solve_instance

from .checker import check

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "instances" / "demo"


def test_committed_units_are_what_the_generator_makes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_demo", ROOT / "instances" / "make_demo.py")
    make_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_demo)
    buffer = io.StringIO()
    make_demo.make_units().to_csv(buffer, index=False, lineterminator="\n")
    assert buffer.getvalue() == (DEMO / "units.csv").read_text()


def test_demo_loads_with_its_regions_and_area():
    inst = load_instance(DEMO)
    assert len(inst.units) == 48 * 32 and inst.units["area_ha"].sum() == pytest.approx(38_400)
    assert set(inst.units["province"]) == {"W", "O"} and set(inst.units["corop"]) == {"W-N", "W-Z", "O-N", "O-Z"}


@pytest.mark.parametrize("scenario", [None, "grid-relief"])
def test_default_solve_passes_the_checker(tmp_path, scenario):
    run = solve_instance(DEMO, scenario=scenario, out=tmp_path / "run", gap=0.01, time_limit=300)
    assert run.result.status == "optimal" and run.result.gap <= 0.01 + 1e-9
    check(run.instance, run.allocation, run.summary, run.result.objective)
    floors = run.summary[run.summary["demand_min"].notna()]
    assert (floors["allocated"] + floors["shortfall"] >= floors["demand_min"] - 1e-6).all()
