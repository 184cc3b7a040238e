"""Compile tests: the exact rows a family emits on a 3-unit instance (no solver involved)."""
import numpy as np

from ruimtepuzzel.model.formulation import formulate
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.prepare.pairs import prepare

from .helpers import row_units, solve, write_instance


def build(tmp_path, config, units):
    prep = prepare(load_instance(write_instance(tmp_path / "inst", config, units)))
    return prep, formulate(prep)


def rows_of(prob, family):
    """Each row of a family as (lower, upper, {column label: coefficient})."""
    a, lo, hi = prob.matrix(fmt="csr")
    x = prob.group("x").labels
    names = [f"{u}/{k}" for u, k in zip(x.unit_id, x.claim)] + [f"{g.name}:{i}" for g in list(prob.groups.values())[1:] for i in range(g.size)]
    out = []
    for b in prob.blocks:
        if b.family != family:
            continue
        for r in range(b.start, b.start + b.size):
            row = a.getrow(r)
            out.append((lo[r], hi[r], {names[c]: v for c, v in zip(row.indices, row.data)}))
    return out


def test_single_use_rows(tmp_path):
    _, prob = build(tmp_path, {"claims": {"housing": {}, "business": {}, "solar": {"stacks_on": ["business"]}}}, row_units(2))
    assert rows_of(prob, "single_use") == [
        (-np.inf, 1.0, {"u1/housing": 1, "u1/business": 1}),
        (-np.inf, 1.0, {"u2/housing": 1, "u2/business": 1}),
    ]


def test_stacking_rows(tmp_path):
    claims = {"logistics": {}, "business": {}, "solar": {"stacks_on": ["logistics", "business"], "area_factor": 0.6}}
    _, prob = build(tmp_path, {"claims": claims}, row_units(1))
    assert rows_of(prob, "stacking") == [(-np.inf, 0.0, {"u1/solar": 1, "u1/logistics": -1, "u1/business": -1})]


def test_floor_and_ceiling_rows(tmp_path):
    config = {"claims": {"housing": {}, "solar": {"stacks_on": ["housing"], "area_factor": 0.5}},
              "demand": [{"level": "province", "region": "A", "claim": "solar", "min_ha": 1, "max_ha": 2}]}
    _, prob = build(tmp_path, config, row_units(2, area=2.0))
    assert rows_of(prob, "demand_floor") == [(1.0, np.inf, {"u1/solar": 1.0, "u2/solar": 1.0, "shortfall:0": 1.0})]
    assert rows_of(prob, "demand_ceiling") == [(-np.inf, 2.0, {"u1/solar": 1.0, "u2/solar": 1.0})]
    lb, ub = prob.bounds()
    assert ub[prob.group("shortfall").start] == 1.0


def test_zoning_rows_are_the_close_pairs(tmp_path):
    config = {"claims": {"housing": {"sensitive": True}, "industry": {"env_category": "4.1"}},
              "env_zoning": {"distance_m": {"4.1": 150}}}
    _, prob = build(tmp_path, config, row_units(4))
    rows = rows_of(prob, "env_zoning")
    assert all(lo == -np.inf and hi == 1.0 and set(c.values()) == {1.0} for lo, hi, c in rows)
    conflicts = {tuple(sorted(c)) for _, _, c in rows}
    # cells 100 m wide: neighbours are 0 m apart, cells two apart 100 m (< 150: conflict), u1–u4 200 m (no conflict);
    # industry and housing on the same unit are left to single use
    close = [(i, j) for i in range(1, 5) for j in range(1, 5) if i != j and abs(i - j) <= 2]
    assert conflicts == {tuple(sorted((f"u{i}/industry", f"u{j}/housing"))) for i, j in close}
    assert len(rows) == 10


def test_balance_row(tmp_path):
    config = {"claims": {"housing": {}, "business": {}},
              "balance": [{"level": "province", "work_claims": ["business"], "housing_claim": "housing", "work_ha_per_housing_ha": 0.25}]}
    _, prob = build(tmp_path, config, row_units(2, area=4.0))
    assert rows_of(prob, "balance") == [(0.0, np.inf, {"u1/business": 4.0, "u2/business": 4.0, "u1/housing": -1.0, "u2/housing": -1.0})]


def test_compensation_row(tmp_path):
    config = {"claims": {"housing": {}, "business": {}},
              "compensation": {"level": "province", "business_use": "bp", "work_claims": ["business"]}}
    _, prob = build(tmp_path, config, row_units(2, current_use=["bp", "farm"]))
    # converting u1 (bp) to housing counts +1; new business on u2 (farm) counts −1; business on bp is neither
    assert rows_of(prob, "compensation") == [(-np.inf, 0.0, {"u1/housing": 1.0, "u2/business": -1.0})]


def test_resource_and_budget_rows(tmp_path):
    config = {"claims": {"energy": {}, "logistics": {}},
              "resources": {"grid": {"zone_attr": "zone", "per_ha": {"energy": -2, "logistics": 0.5}, "cap": {"Z": 3, "EMPTY": 0}}},
              "budget": {"cost_attr": "cost", "max_eur": 1e6}}
    _, prob = build(tmp_path, config, row_units(2, zone=["Z", None], cost=[1.0, 2.0]))
    assert rows_of(prob, "resources") == [(-np.inf, 3.0, {"u1/energy": -2.0, "u1/logistics": 0.5}), (-np.inf, 0.0, {})]
    assert rows_of(prob, "budget") == [(-np.inf, 1e6, {"u1/energy": 1e4, "u1/logistics": 1e4, "u2/energy": 2e4, "u2/logistics": 2e4})]


def test_min_site_row_counts(tmp_path):
    # 3 cells in a row, one claim with a minimum: 3 units, 2 edges → 4 arcs.
    # conservation 3 + flow caps 4 + supply min 3 + supply max 3 + roots 3 = 16 rows; r, g (3 each) + f (4) = 10 extra columns
    _, prob = build(tmp_path, {"claims": {"logistics": {"min_site_ha": 2}}}, row_units(3))
    assert sum(b.size for b in prob.blocks if b.family == "min_site") == 16
    assert prob.n_cols == 3 + 10
    conservation = rows_of(prob, "min_site")[:3]
    arcs = prob.group("site_flow[logistics]").labels
    expected = {"u2/logistics": -1.0, "site_supply[logistics]:1": 1.0}
    for i, arc in arcs.iterrows():  # inflow +1, outflow −1
        if "u2" in (arc.to_unit, arc.from_unit):
            expected[f"site_flow[logistics]:{i}"] = 1.0 if arc.to_unit == "u2" else -1.0
    assert conservation[1] == (0.0, 0.0, expected)
    assert len(arcs) == 4 and set(zip(arcs.from_unit, arcs.to_unit)) == {("u1", "u2"), ("u2", "u1"), ("u2", "u3"), ("u3", "u2")}


def test_everything_excluded_is_an_empty_but_valid_plan(tmp_path):
    config = {"claims": {"housing": {"value_per_ha": 1}}, "rules": [{"name": "all", "attr": "x", "op": ">", "value": 0}]}
    run = solve(tmp_path, config, row_units(2))
    assert run.result.status == "optimal" and run.result.objective == 0 and len(run.allocation) == 0


def test_same_input_same_allocation_bytes(tmp_path):
    from ruimtepuzzel.model.pipeline import solve_instance

    folder = write_instance(tmp_path / "inst", {"claims": {"housing": {"value_per_ha": 10, "suitability_attr": "s"},
                                                          "business": {"value_per_ha": 6}},
                                               "demand": [{"level": "province", "region": "A", "claim": "business", "min_ha": 3}]},
                            row_units(12, s=[1.0, 0.5] * 6))
    a = solve_instance(folder, out=tmp_path / "a", gap=0)
    b = solve_instance(folder, out=tmp_path / "b", gap=0)
    for name in ("allocation.csv", "summary.csv", "rules.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert a.manifest["instance_hash"] == b.manifest["instance_hash"]


def test_min_site_needs_no_rows_when_every_unit_is_large_enough(tmp_path):
    # units of 3 ha against a 2 ha minimum: any site holds a unit, so no flow rows or columns
    _, prob = build(tmp_path, {"claims": {"logistics": {"min_site_ha": 2}}}, row_units(3, area=3.0))
    assert not any(b.family == "min_site" for b in prob.blocks) and prob.n_cols == 3
    # one unit below the minimum brings the rows back for the whole claim
    _, prob = build(tmp_path / "mixed", {"claims": {"logistics": {"min_site_ha": 2}}}, row_units(3, area_ha=[3.0, 1.5, 3.0]))
    assert sum(b.size for b in prob.blocks if b.family == "min_site") == 16


def test_zoning_rows_merge_heavy_claims_of_one_unit_into_a_clique(tmp_path):
    # two heavy claims on each of 3 cells; housing on u1 conflicts with both on u2 (0 m) and u3 (100 m < 150):
    # one clique row per (housing pair, heavy unit): x[u1,housing] + x[u2,industry] + x[u2,logistics] ≤ 1
    config = {"claims": {"housing": {"sensitive": True}, "industry": {"env_category": "4.1"}, "logistics": {"env_category": "4.1"}},
              "env_zoning": {"distance_m": {"4.1": 150}}}
    _, prob = build(tmp_path, config, row_units(3))
    rows = rows_of(prob, "env_zoning")
    assert len(rows) == 6  # 3 housing pairs × 2 other units (12 edges before merging)
    assert (-np.inf, 1.0, {"u1/housing": 1.0, "u2/industry": 1.0, "u2/logistics": 1.0}) in rows
    labels = [b for b in prob.blocks if b.family == "env_zoning"][0].labels
    assert set(labels["heavy_claim"]) == {"industry+logistics"}
    # with a divisible heavy claim the edges stay separate: a clique would cut off feasible shares
    config["claims"]["logistics"]["divisible"] = True
    _, prob = build(tmp_path / "div", config, row_units(3))
    assert len(rows_of(prob, "env_zoning")) == 12


def test_merged_zoning_has_the_same_optimum_as_the_edges(tmp_path, monkeypatch):
    from ruimtepuzzel.model.formulation import zoning

    config = {"claims": {"housing": {"value_per_ha": 10, "sensitive": True, "suitability_attr": "s"},
                         "industry": {"value_per_ha": 7, "env_category": "4.1"}, "logistics": {"value_per_ha": 6, "env_category": "4.1"}},
              "env_zoning": {"distance_m": {"4.1": 150}},
              "demand": [{"level": "province", "region": "A", "claim": "industry", "min_ha": 2},
                         {"level": "province", "region": "A", "claim": "logistics", "min_ha": 2}]}
    units = row_units(8, s=[0.2, 1.5, 0.3, 1.2, 0.9, 0.1, 1.4, 0.8])
    merged = solve(tmp_path / "a", config, units)
    monkeypatch.setattr(zoning, "MERGE", False)
    edges = solve(tmp_path / "b", config, units)
    assert merged.result.objective == edges.result.objective
    assert merged.problem.n_rows < edges.problem.n_rows
