"""Single use, demand floors with shortfall, ceilings, measures: optima computed by hand."""
import pytest

from .helpers import allocated, row_units, solve

CLAIMS = {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}}


@pytest.mark.parametrize("solver", ["highs", "pyomo-highs"])
def test_single_use_takes_the_best_claim_per_unit(tmp_path, solver):
    # 2 units × 1 ha: housing (10) beats business (6) on both → 20; never both on one unit
    run = solve(tmp_path, {"claims": CLAIMS}, row_units(2), solver=solver)
    assert run.result.objective == pytest.approx(20)
    assert allocated(run) == {("u1", "housing"), ("u2", "housing")}


def test_ceiling_changes_the_optimum(tmp_path):
    # housing at most 1 ha in A → one unit housing (10), the other business (6) = 16
    config = {"claims": CLAIMS, "demand": [{"level": "province", "region": "A", "claim": "housing", "max_ha": 1}]}
    run = solve(tmp_path, config, row_units(2))
    assert run.result.objective == pytest.approx(16)


@pytest.mark.parametrize("penalty", [100, 5])
def test_floor_met_when_shortfall_is_dear(tmp_path, penalty):
    # 3 units, business floor 2 ha. Options: 2 business + 1 housing = 22; 1 business + 2 housing = 26 − p;
    # 3 housing = 30 − 2p. p = 100 → 22; p = 5 → max(22, 21, 20) = 22.
    config = {"claims": CLAIMS, "objective": {"shortfall_penalty_per_ha": penalty},
              "demand": [{"level": "province", "region": "A", "claim": "business", "min_ha": 2}]}
    run = solve(tmp_path, config, row_units(3))
    assert run.result.objective == pytest.approx(22.0)
    row = run.summary.query("level == 'province' and claim == 'business'").iloc[0]
    assert row.allocated_ha == pytest.approx(2) and row.shortfall_ha == pytest.approx(0) and row.pct_met == pytest.approx(100)


def test_cheap_shortfall_is_accepted_and_reported(tmp_path):
    # p = 1: 3 housing = 30 − 2 = 28 beats 22 and 26 − 1 = 25 → shortfall 2 ha, 0 % met
    config = {"claims": CLAIMS, "objective": {"shortfall_penalty_per_ha": 1},
              "demand": [{"level": "province", "region": "A", "claim": "business", "min_ha": 2}]}
    run = solve(tmp_path, config, row_units(3))
    assert run.result.objective == pytest.approx(28)
    row = run.summary.query("level == 'province' and claim == 'business'").iloc[0]
    assert row.shortfall_ha == pytest.approx(2) and row.pct_met == pytest.approx(0)


def test_row_penalty_replaces_the_default(tmp_path):
    # default penalty 1 but this row's own shortfall_penalty 100 → meet it: 22
    config = {"claims": CLAIMS, "objective": {"shortfall_penalty_per_ha": 1},
              "demand": [{"level": "province", "region": "A", "claim": "business", "min_ha": 2, "shortfall_penalty": 100}]}
    assert solve(tmp_path, config, row_units(3)).result.objective == pytest.approx(22)


def test_measure_floor_in_dwellings(tmp_path):
    # housing demand 150 dwellings; units hold 100, 60, 30 dwellings. penalty 1 per dwelling.
    # housing value 10, business 12: all business = 36 − 150 = −114;
    # u1+u2 housing (160 dw) + u3 business = 20 + 12 = 32; u1+u3 (130 dw): 20 + 12 − 20 = 12 → 32
    config = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 12}},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "measure": "dwellings", "min": 150,
                          "shortfall_penalty": 1}]}
    run = solve(tmp_path, config, row_units(3, dwellings=[100, 60, 30]))
    assert run.result.objective == pytest.approx(32)
    row = run.summary.query("level == 'province' and claim == 'housing'").iloc[0]
    assert row.measure == "dwellings" and row.allocated == pytest.approx(160) and row.shortfall == pytest.approx(0)


def test_national_floor_counts_every_region(tmp_path):
    units = row_units(2, region="A") + [dict(u, unit_id=f"b{i}", province="B", x=u["x"] + 1000) for i, u in enumerate(row_units(2))]
    config = {"claims": CLAIMS, "demand": [{"level": "national", "claim": "business", "min_ha": 3}]}
    run = solve(tmp_path, config, units)
    assert run.result.objective == pytest.approx(3 * 6 + 10)
    row = run.summary.query("level == 'national' and claim == 'business'").iloc[0]
    assert row.region == "NL" and row.allocated_ha == pytest.approx(3)


def test_divisible_claim_takes_a_share(tmp_path):
    # one 2 ha unit; solar divisible, value 5, ceiling 1 ha; housing 1 per ha → half solar (5) + half housing (1) = 6
    config = {"claims": {"solar": {"value_per_ha": 5, "divisible": True}, "housing": {"value_per_ha": 1, "divisible": True}},
              "demand": [{"level": "province", "region": "A", "claim": "solar", "max_ha": 1}]}
    run = solve(tmp_path, config, row_units(1, area=2.0))
    assert run.result.objective == pytest.approx(6)
    shares = dict(zip(run.allocation.claim, run.allocation.share))
    assert shares == pytest.approx({"solar": 0.5, "housing": 0.5})
