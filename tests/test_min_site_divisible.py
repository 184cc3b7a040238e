"""Minimum sites of a divisible claim: a unit is in a site when a share of it is allocated, and the site's
used area is Σ area · share. Hand-checked optima at gap 0, on every solve path, through the checker
(which reads sites by share > 1e-6 with used area area · share)."""
import numpy as np
import pytest

from ruimtepuzzel.model.formulation import presence
from ruimtepuzzel.model.formulation.site_cuts import SiteCuts

from .helpers import row_units, solve

# how each path is chosen: (solver name, solver settings)
PATHS = {
    "direct": ("highs", {"strategy": "direct"}),
    "lp_first": ("highs", {"strategy": "lp_first"}),
    "lp_first_no_cuts": ("highs", {"strategy": "lp_first", "site_cuts": False}),
    "aggregate": ("highs", {"strategy": "direct", "aggregate": True}),
    "pyomo": ("pyomo-highs", {}),
}


def run_on(tmp_path, path, config, units):
    solver, settings = PATHS[path]
    return solve(tmp_path, {**config, "solver": {**config.get("solver", {}), **settings}}, units, solver=solver)


def shares(run, claim):
    """{unit_id: share} of ``claim`` in the allocation table."""
    mine = run.allocation[run.allocation["claim"] == claim]
    return dict(zip(mine["unit_id"], mine["share"].round(9)))


def logistics(minimum=2.5, value=10, **extra):
    return {"value_per_ha": value, "divisible": True, "min_site_ha": minimum, **extra}


@pytest.mark.parametrize("path", list(PATHS))
def test_three_cells_with_shares_one_one_half(tmp_path, path):
    # 3 cells of 1 ha; logistics (divisible, 10/ha, minimum 2.5 ha) capped at 2.5 ha nationally, housing
    # (divisible) worth 1, 2, 3 per ha. A site needs 2.5 ha, so all three cells with shares summing to 2.5
    # (the cap allows no more): 25, and the 0.5 ha left goes to housing where it is worth most (u3): 1.5. 26.5.
    # No logistics: housing 6. Shadow price of the ceiling (presence fixed, shares free): one more ha of logistics on
    # u3 in place of housing, 10 − 3 = 7.
    config = {"claims": {"logistics": logistics(), "housing": {"value_per_ha": 1, "divisible": True, "suitability_attr": "suit"}},
              "demand": [{"level": "national", "claim": "logistics", "max_ha": 2.5}]}
    run = run_on(tmp_path, path, config, row_units(3, suit=[1, 2, 3]))
    assert run.result.objective == pytest.approx(26.5)
    assert shares(run, "logistics") == {"u1": 1.0, "u2": 1.0, "u3": 0.5}
    assert shares(run, "housing") == {"u3": 0.5}
    prices = run.duals.set_index("family")["shadow_price"]
    assert prices["demand_ceiling"] == pytest.approx(7)


@pytest.mark.parametrize("path", list(PATHS))
def test_a_half_cell_alone_is_not_a_site(tmp_path, path):
    # 3 cells; housing (divisible) 4/ha; logistics (divisible, worth 0) must have 0.5 ha (shortfall 1000/ha).
    # Without a minimum: 0.5 ha of logistics on one cell, housing on the rest: 2.5 · 4 = 10.
    # With 2.5 ha: a share of 0.5 on one cell is a site of 0.5 ha, too small; the floor is met by a 2.5 ha site over
    # the three cells, housing takes the 0.5 ha left: 2. (Falling short costs 500.)
    units = row_units(3)
    claims = {"housing": {"value_per_ha": 4, "divisible": True}}
    floor = [{"level": "national", "claim": "logistics", "min_ha": 0.5}]
    free = run_on(tmp_path, path, {"claims": {**claims, "logistics": {"value_per_ha": 0, "divisible": True}}, "demand": floor}, units)
    assert free.result.objective == pytest.approx(10)
    run = run_on(tmp_path, path, {"claims": {**claims, "logistics": logistics(value=0)}, "demand": floor}, units)
    assert run.result.objective == pytest.approx(2)
    assert sum(shares(run, "logistics").values()) == pytest.approx(2.5)
    assert set(shares(run, "logistics")) == {"u1", "u2", "u3"}


@pytest.mark.parametrize("path", list(PATHS))
def test_one_large_unit_with_a_small_share_is_not_a_site(tmp_path, path):
    # One unit of 3 ha (at least the minimum on its own, so a whole unit would always be a site). Logistics
    # (divisible, worth 0) must have 1 ha, housing (divisible) 4/ha. Without a minimum: logistics share 1/3,
    # housing 2 ha: 8. With 2.5 ha the share must give at least 2.5 ha: housing 0.5 ha, 2.
    units = row_units(1, area=3.0)
    claims = {"housing": {"value_per_ha": 4, "divisible": True}}
    floor = [{"level": "national", "claim": "logistics", "min_ha": 1}]
    free = run_on(tmp_path, path, {"claims": {**claims, "logistics": {"value_per_ha": 0, "divisible": True}}, "demand": floor}, units)
    assert free.result.objective == pytest.approx(8)
    run = run_on(tmp_path, path, {"claims": {**claims, "logistics": logistics(value=0)}, "demand": floor}, units)
    assert run.result.objective == pytest.approx(2)
    assert shares(run, "logistics") == {"u1": pytest.approx(2.5 / 3)}


def bridge_config(housing_divisible: bool) -> dict:
    # 5 cells; housing only on u3 (a rule), worth 100; logistics (divisible, 10/ha, minimum 2.5) anywhere.
    return {"claims": {"logistics": logistics(), "housing": {"value_per_ha": 100, "divisible": housing_divisible}},
            "rules": [{"name": "housing-only-u3", "claims": ["housing"], "attr": "bridge", "op": "==", "value": False}]}


@pytest.mark.parametrize("path", list(PATHS))
def test_two_pieces_below_the_minimum_and_an_empty_cell_between(tmp_path, path):
    # Whole housing on u3 (100) leaves {u1,u2} and {u4,u5}, 2 ha each: both too small, and u3, with no share of
    # logistics, cannot join them. So housing u3 alone (100) beats logistics on all five (50); u1,u2,u4,u5 with
    # housing (140) is not allowed.
    run = run_on(tmp_path, path, bridge_config(False), row_units(5, bridge=[False, False, True, False, False]))
    assert run.result.objective == pytest.approx(100)
    assert shares(run, "logistics") == {}
    assert shares(run, "housing") == {"u3": 1.0}


@pytest.mark.parametrize("path", list(PATHS))
def test_a_tiny_share_joins_two_pieces(tmp_path, path):
    # As above with housing divisible: a share t of logistics on u3 makes one site u1..u5 of 4 + t ha, worth
    # 40 + 10 t + 100 (1 − t) = 140 − 90 t. A present share is at least ε = PRESENT_SHARE (read as allocated), so the
    # optimum is t = ε: 140 − 90 ε; the allocation table shows that share.
    run = run_on(tmp_path, path, bridge_config(True), row_units(5, bridge=[False, False, True, False, False]))
    assert run.result.objective == pytest.approx(140 - 90 * presence.PRESENT_SHARE, abs=1e-6)
    got = shares(run, "logistics")
    assert set(got) == {"u1", "u2", "u3", "u4", "u5"}
    assert got["u3"] == pytest.approx(presence.PRESENT_SHARE, abs=1e-8)


@pytest.mark.parametrize("path", ["direct", "lp_first"])
def test_phased_sites_grow_by_share(tmp_path, path):
    # Two periods, 3 cells; housing (divisible) 4/ha; logistics (divisible, worth 0, minimum 2.5) must have 0.5 ha by
    # 2030 and 2.8 ha by 2040 (shortfall 1000/ha); shares only grow; weights 1 per period. Each period's site is
    # whole: 2.5 ha at least in 2030 (a 0.5 ha share alone is too small) and 2.8 ha in 2040, so housing, which can
    # only grow too, has at most 0.2 ha in 2040 and so in 2030: 0.8 + 0.8 = 1.6. (Housing 0.5 ha in 2030 leaves
    # 2040 short by 0.3 ha: −298.)
    config = {"periods": [2030, 2040],
              "claims": {"housing": {"value_per_ha": 4, "divisible": True}, "logistics": logistics(value=0)},
              "demand": [{"level": "national", "claim": "logistics", "min_ha": 0.5, "period": 2030},
                         {"level": "national", "claim": "logistics", "min_ha": 2.8, "period": 2040}]}
    run = run_on(tmp_path, path, config, row_units(3))
    assert run.result.objective == pytest.approx(1.6)
    mine = run.allocation[run.allocation["claim"] == "logistics"]
    assert 2.5 - 1e-6 <= mine["share_2030"].sum() <= 2.8 + 1e-6 and mine["share_2040"].sum() == pytest.approx(2.8)


def cuts_row():
    """A row of 3 units of 1 ha, L = 2.5: presence columns 0..2, share columns 3..5 (no flow columns needed)."""
    return SiteCuts("logistics", np.arange(3), np.ones(3), 2.5, np.arange(6, 9), np.arange(9, 12), np.arange(12, 16),
                    np.array([0, 1, 1, 2]), np.array([1, 0, 2, 1]), shares=np.arange(3, 6))


def test_share_cuts_cut_off_a_site_too_small_and_keep_every_whole_one():
    # Present on all three cells with shares 0.5, 0.5, 0.5: a site of 1.5 ha (3 ha at full share): a share cut per
    # unit, each violated by the allocation; an allocation with shares 1, 1, 0.5 satisfies every one.
    cuts = cuts_row()
    small = np.zeros(16)
    small[:3], small[3:6] = 1.0, 0.5
    indptr, cols, vals = cuts.small_site_cuts(small, set())
    assert len(indptr) - 1 == 3
    import scipy.sparse as sp
    a = sp.csr_matrix((vals, cols, indptr), shape=(3, 16))
    assert (a @ small > 1e-9).all()
    whole = small.copy()
    whole[3:6] = [1.0, 1.0, 0.5]
    assert (a @ whole <= 1e-12).all()
    assert len(cuts.small_site_cuts(whole, set())[0]) == 1  # no cut: the site is whole
    none = np.zeros(16)
    assert (a @ none <= 1e-12).all()


def test_completed_flow_carries_the_shares():
    cuts = cuts_row()
    values = np.zeros(16)
    values[:3], values[3:6] = 1.0, [1.0, 1.0, 0.5]
    cuts.complete(values)
    assert values[9:12].sum() == pytest.approx(2.5)  # one root supplies the site's used area
    assert values[6:9].sum() == 1.0


# --- against an independent model: every presence pattern of logistics enumerated, each an LP in the shares


def brute_force(areas, edges, suit, hsuit, minimum, floor, penalty):
    """The optimum over every set P of cells with logistics present: shares s ∈ [ε, 1] on P and 0 elsewhere, housing
    shares h ∈ [0, 1], s + h ≤ 1, every component C of P with Σ_C a·s ≥ minimum, floor Σ a·s + short ≥ floor;
    maximise Σ a·(suit·s + hsuit·h) − penalty·short. A different model from the site flow: sites are fixed per P."""
    import networkx as nx
    from scipy.optimize import linprog

    n = len(areas)
    a = np.asarray(areas, float)
    cost = -np.concatenate([a * suit, a * hsuit, [-penalty]])
    best = -np.inf
    for mask in range(2 ** n):
        present = [i for i in range(n) if mask >> i & 1]
        g = nx.Graph()
        g.add_nodes_from(present)
        g.add_edges_from((u, v) for u, v in edges if u in g and v in g)
        rows, rhs = [], []
        for i in range(n):  # single use
            row = np.zeros(2 * n + 1)
            row[i] = row[n + i] = 1.0
            rows.append(row), rhs.append(1.0)
        for comp in nx.connected_components(g):  # each site at least the minimum
            row = np.zeros(2 * n + 1)
            row[list(comp)] = -a[list(comp)]
            rows.append(row), rhs.append(-minimum)
        row = np.zeros(2 * n + 1)
        row[:n], row[-1] = -a, -1.0
        rows.append(row), rhs.append(-floor)
        bounds = [(presence.PRESENT_SHARE, 1.0) if i in g else (0.0, 0.0) for i in range(n)] + [(0.0, 1.0)] * n + [(0.0, None)]
        res = linprog(cost, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")
        if res.status == 0:
            best = max(best, -res.fun)
    return best


def grid_case(seed):
    rng = np.random.default_rng(seed)
    nx_, ny = int(rng.integers(2, 4)), int(rng.integers(1, 3))
    cells = [(i, j) for i in range(nx_) for j in range(ny)]
    areas = rng.choice([0.5, 1.0, 2.0], len(cells))
    suit = rng.choice([-2.0, -1.0, 1.0, 3.0, 5.0], len(cells))
    hsuit = rng.choice([0.0, 1.0, 2.0, 4.0], len(cells))
    minimum = float(rng.choice([1.5, 2.5, 4.0]))
    floor = float(rng.choice([0.0, 0.5, 2.0, 3.0]))
    penalty = float(rng.choice([2.0, 20.0]))
    pos = {c: k for k, c in enumerate(cells)}
    edges = [(pos[(i, j)], pos[(i + di, j + dj)]) for (i, j) in cells for di, dj in ((1, 0), (0, 1)) if (i + di, j + dj) in pos]
    units = [{"unit_id": f"c{i}_{j}", "area_ha": float(ar), "province": "A", "x": 50 + 100 * i, "y": 50 + 100 * j, "cell_m": 100,
              "suit": float(s), "hsuit": float(h)} for (i, j), ar, s, h in zip(cells, areas, suit, hsuit)]
    config = {"claims": {"logistics": {"value_per_ha": 1, "divisible": True, "min_site_ha": minimum, "suitability_attr": "suit"},
                         "housing": {"value_per_ha": 1, "divisible": True, "suitability_attr": "hsuit"}},
              "objective": {"shortfall_penalty_per_ha": penalty}}
    if floor > 0:
        config["demand"] = [{"level": "national", "claim": "logistics", "min_ha": floor}]
    return config, units, brute_force(areas, edges, suit, hsuit, minimum, floor, penalty)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("path", ["direct", "lp_first"])
def test_random_grids_match_an_enumeration_of_sites(tmp_path, seed, path):
    config, units, best = grid_case(seed)
    run = run_on(tmp_path, path, config, units)
    assert run.result.objective == pytest.approx(best, abs=1e-5)  # HiGHS meets rows within 1e-6: shares may be so far off
    assert run.result.status == "optimal"  # and proven: LP-first's last stage (the MIP without the flow) gives a bound


def test_a_site_that_cannot_be_whole_is_diagnosed(tmp_path):
    # logistics locked on u1 (share 1) needs a 2.5 ha site, but a ceiling allows 2 ha: infeasible, and the
    # diagnosis names the minimum site size and the ceiling.
    from ruimtepuzzel.model.errors import InfeasibleError
    from ruimtepuzzel.model.pipeline import solve_instance

    from .helpers import write_instance

    config = {"claims": {"logistics": logistics()},
              "demand": [{"level": "national", "claim": "logistics", "max_ha": 2}],
              "locked": [{"unit_id": "u1", "claim": "logistics"}]}
    folder = write_instance(tmp_path / "inst", config, row_units(3))
    with pytest.raises(InfeasibleError):
        solve_instance(folder, out=tmp_path / "run", time_limit=30)
    written = (tmp_path / "run" / "infeasibility.txt").read_text()
    assert "min_site" in written and "demand_ceiling" in written
