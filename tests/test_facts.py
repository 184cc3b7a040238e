"""Every sentence of report.html and factsheets.html is true of the run's tables, on every built-in instance
and every scenario of it.

Each instance × scenario is solved up to the solver's first allocation
(``mip_max_improving_sols: 1``, deterministic): an early allocation has shortfalls, unmet floors
in sub-regions and priced rows, so the sentences are tried on more situations than an optimum
gives (the maps are left out here: tests/test_rendering.py renders them). The default run
checks each instance's base and one phased scenario this way; ``-m slow`` checks every other
scenario, and solves each instance × scenario at the instance's own settings too. The checker (``tests/fact_check.py``) recomputes every
stated figure from the CSV files, the manifest and the units in its own code.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from ruimtepuzzel.model.outputs.report import write_report
from ruimtepuzzel.model.pipeline import solve_instance

from .fact_check import Tables, check_report, check_statement, statements
from .helpers import row_units, write_instance

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
FIRST_ALLOCATION = {"solver": {"options": {"mip_max_improving_sols": 1}}}


def built_in_runs() -> list[tuple[str, str | None]]:
    """(instance, scenario) for every built-in instance and every scenario it has, the base included."""
    out = []
    for folder in sorted(p.parent for p in INSTANCES.glob("*/instance.yaml")):
        out.append((folder.name, None))
        out += [(folder.name, s.stem) for s in sorted((folder / "scenarios").glob("*.yaml"))]
    return out


RUNS = built_in_runs()
# the default run checks each instance's base and one phased scenario; every other scenario with -m slow
DEFAULT_RUNS = {(name, None) for name, _ in RUNS} | {("nl-provinces", "horizon-2050-land-share")}
EARLY_RUNS = [pytest.param(name, scenario, id=f"{name}-{scenario or 'base'}",
                           marks=() if (name, scenario) in DEFAULT_RUNS else pytest.mark.slow) for name, scenario in RUNS]


def test_there_are_built_in_runs_to_check():
    assert len({name for name, _ in RUNS}) >= 1 and any(s is not None for _, s in RUNS)


@pytest.mark.parametrize("name, scenario", EARLY_RUNS)
def test_every_sentence_is_true_on_an_early_allocation(tmp_path, name, scenario):
    run = solve_instance(INSTANCES / name, scenario=scenario, out=tmp_path / "run", overrides=FIRST_ALLOCATION, time_limit=120)
    write_report(run.out, run.instance, maps=False)  # the maps are rendered and checked in test_rendering.py
    assert check_report(run.out, INSTANCES / name) > 10


@pytest.mark.slow
@pytest.mark.parametrize("name, scenario", RUNS, ids=[f"{n}-{s or 'base'}" for n, s in RUNS])
def test_every_sentence_is_true_at_the_instance_settings(tmp_path, name, scenario):
    run = solve_instance(INSTANCES / name, scenario=scenario, out=tmp_path / "run", with_report=True)
    assert check_report(run.out, INSTANCES / name) > 10


# --------------------------------------------------------------------------- hand-checked cases


def nested(tmp_path, shortfall_in_corop: bool):
    """Province P with COROP regions C1 (2 cells) and C2 (2 cells). P asks 2 ha of housing (met);
    C1 asks 3 ha of logistics — only 2 cells there, so 1 ha short when ``shortfall_in_corop``."""
    config = {"regions": ["province", "corop"],
              "region_names": {"province": {"P": "Gelderland"}, "corop": {"C1": "Arnhem/Nijmegen", "C2": "Achterhoek"}},
              "claims": {"housing": {"value_per_ha": 10, "label": "Woningbouw"},
                         "logistics": {"value_per_ha": 6, "label": "Grootschalige logistiek"},
                         "solar": {"value_per_ha": 1, "stacks_on": ["logistics"], "area_factor": 0.5, "label": "Zon op dak"}},
              "demand": [{"level": "province", "region": "P", "claim": "housing", "min_ha": 2},
                         {"level": "corop", "region": "C1", "claim": "logistics", "min_ha": 3 if shortfall_in_corop else 1}]}
    units = [dict(u, province="P", corop="C1" if i < 2 else "C2") for i, u in enumerate(row_units(4))]
    folder = write_instance(tmp_path / "inst", config, units)
    return folder, solve_instance(folder, out=tmp_path / "run", gap=0.0, with_report=True)


def sheet_text(run) -> str:
    return " | ".join(text for _, text, _ in statements(run.out / "factsheets.html"))


def test_a_province_sheet_accounts_for_the_floors_of_its_corop_regions(tmp_path):
    folder, run = nested(tmp_path, shortfall_in_corop=True)
    text = sheet_text(run)
    assert "Every floor" not in text  # the Gelderland bug: a COROP floor inside it is short
    assert "1 of the 2 floors of Gelderland (P) and of the COROP regions in it is not fully met:" in text
    assert "Grootschalige logistiek in Arnhem/Nijmegen (C1): 2.0 ha of 3.0 ha, 1.0 ha short (66.7 % met)." in text
    assert "It holds 2 COROP regions, with 1 floor of their own." in text
    assert check_report(run.out, folder) > 10


def test_a_province_sheet_says_every_floor_is_met_only_when_it_is(tmp_path):
    folder, run = nested(tmp_path, shortfall_in_corop=False)
    text = sheet_text(run)
    assert "Every floor of Gelderland (P) and of the COROP regions in it is met (2 floors)." in text
    # the C1 floor takes one cell for logistics (0.5 ha of solar on it); housing (10/ha) takes the other three
    assert "Gelderland (P) gets 4.0 ha of land, with 0.5 ha of stacked use on it (Zon op dak)." in text
    assert check_report(run.out, folder) > 10


def test_measures_are_never_added_together(tmp_path):
    # 60 dwellings asked of housing and 2 ha of business: the sheet names each in its own measure, never "62"
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 5}},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "measure": "dwellings_capacity", "min": 60},
                         {"level": "province", "region": "A", "claim": "business", "min_ha": 2}]}
    folder = write_instance(tmp_path / "inst", config, row_units(4, dwellings_capacity=30))
    run = solve_instance(folder, out=tmp_path / "run", gap=0.0, with_report=True)
    text = sheet_text(run)
    assert "A is asked 2 floors: housing 60 dwellings; business 2.0 ha." in text
    assert "62" not in text
    assert check_report(run.out, folder) > 5


def test_a_phased_run_says_which_period_each_floor_is_of(tmp_path):
    # housing asks 3 ha by 2030 of 4 cells, but a 2050 ceiling of 2 ha and a 2050 business floor of 2 ha: what is
    # allocated stays allocated, so housing stops at 2 ha in 2030 and is 1 ha short there
    config = {"claims": {"housing": {"value_per_ha": 10, "label": "Woningbouw"}, "business": {"value_per_ha": 6}},
              "periods": [2030, 2050],
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 3, "period": 2030},
                         {"level": "province", "region": "A", "claim": "business", "min_ha": 2, "period": 2050},
                         {"level": "province", "region": "A", "claim": "housing", "max_ha": 2, "period": 2050}]}
    folder = write_instance(tmp_path / "inst", config, row_units(4))
    run = solve_instance(folder, out=tmp_path / "run", gap=0.0, with_report=True)
    text = sheet_text(run)
    assert "A is asked 2 floors: Woningbouw 3.0 ha (2030); business 2.0 ha (2050)." in text
    assert "Woningbouw in A (2030): 2.0 ha of 3.0 ha, 1.0 ha short (66.7 % met)." in text
    assert "A gets 4.0 ha of land in 2050, the last period." in text
    assert "the Woningbouw floor of A in 2030: \u22121,000 value per extra ha demanded." in text
    assert check_report(run.out, folder) > 10


def test_the_checker_catches_a_false_sentence(tmp_path):
    folder, run = nested(tmp_path, shortfall_in_corop=True)
    t = Tables(run.out, folder)
    fact = {"kind": "floors_short", "where": {"level": "province", "region": "P", "scope": "within"}, "value": 0}
    with pytest.raises(AssertionError, match="the tables say 1"):
        check_statement(t, "p", "Every floor of Gelderland is met.", [fact], "hand")
    fact = {"kind": "floors", "where": {"level": "province", "region": "P", "scope": "within"}, "value": 2}
    with pytest.raises(AssertionError, match="states the number 60500"):
        check_statement(t, "p", "Asked: 60,500.0 ha over 2 floors.", [fact], "hand")
    with pytest.raises(AssertionError, match="carries no data-facts"):
        check_statement(t, "p", "Every floor is met.", None, "hand")


# --------------------------------------------------------------------------- business parks that change use


def parks(tmp_path):
    """Province P (Utrecht) with municipalities G1 (Nieuwegein: u1 a 2 ha park, u3 3 ha of farmland) and G2 (Houten: u2 a
    1 ha park, u4 1 ha of farmland). Housing (10/ha) may take the parks, business (1/ha) the farmland; a business floor of
    1 ha, compensation additional. Converting both parks (30) needs 3 ha of business beyond the floor: u3 and u4 give 4 ha,
    1 of it the floor's, so the optimum takes all four units (34)."""
    config = {"regions": ["province", "gemeente"],
              "region_names": {"province": {"P": "Utrecht"}, "gemeente": {"G1": "Nieuwegein", "G2": "Houten"}},
              "claims": {"housing": {"value_per_ha": 10, "label": "Woningbouw"},
                         "business": {"value_per_ha": 1, "label": "Bedrijventerreinen"}},
              "rules": [{"name": "no-housing", "claims": ["housing"], "attr": "current_use", "op": "==", "value": "farm"},
                        {"name": "no-business", "claims": ["business"], "attr": "current_use", "op": "==", "value": "business_park"}],
              "demand": [{"level": "province", "region": "P", "claim": "business", "min_ha": 1}],
              "compensation": {"level": "province", "business_use": "business_park", "work_claims": ["business"], "additional": True}}
    units = row_units(4, province="P", gemeente=["G1", "G2", "G1", "G2"], area_ha=[2, 1, 3, 1],
                      current_use=["business_park", "business_park", "farm", "farm"])
    folder = write_instance(tmp_path / "inst", config, units)
    return folder, solve_instance(folder, out=tmp_path / "run", gap=0.0, with_report=True)


def test_the_sheets_say_which_parks_change_use_where_and_what_replaces_them(tmp_path):
    folder, run = parks(tmp_path)
    assert run.result.objective == pytest.approx(34)
    text = sheet_text(run)
    assert "In Utrecht (P), 3.0 ha of existing business park changes use: Woningbouw 3.0 ha." in text
    assert "It lies in 2 municipalities: Nieuwegein (G1) 2.0 ha; Houten (G2) 1.0 ha." in text
    assert ("New land for firms (Bedrijventerreinen) outside existing business parks: 4.0 ha, 3.0 ha of it beyond its own "
            "growth floors for firms; the no-net-loss rule holds in it: every hectare of business park that changes use is "
            "replaced there, on top of the growth.") in text
    report = " | ".join(text for _, text, _ in statements(run.out / "report.html"))
    assert "In the Netherlands, 3.0 ha of existing business park changes use: Woningbouw 3.0 ha." in report
    assert check_report(run.out, folder) > 10


def test_the_checker_recomputes_the_park_figures(tmp_path):
    folder, run = parks(tmp_path)
    t = Tables(run.out, folder)
    where = {"level": "province", "region": "P"}
    with pytest.raises(AssertionError, match="the tables say 3.0"):
        check_statement(t, "p", "2.0 ha of park changes use.", [{"kind": "park_use", "where": where, "value": 2.0}], "hand")
    with pytest.raises(AssertionError, match="the tables say 'G1'"):
        check_statement(t, "p", "Most in Houten.", [{"kind": "park_use_rank", "where": {**where, "of": "gemeente", "rank": 1},
                                                     "value": "G2"}], "hand")
    with pytest.raises(AssertionError, match="the tables say 3.0"):
        check_statement(t, "p", "4.0 ha beyond the floors.", [{"kind": "beyond_floors", "where": {**where, "of": "province"},
                                                                "value": 4.0}], "hand")
    with pytest.raises(AssertionError, match="the tables say 0"):
        check_statement(t, "p", "Not met in 1 province.", [{"kind": "net_loss_regions", "where": {**where, "of": "province"},
                                                            "value": 1}], "hand")
