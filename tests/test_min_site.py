"""Minimum site size: pruning of small components, and the exact flow formulation."""
import pytest

from ruimtepuzzel.model.prepare.spatial import adjacency
import numpy as np
import shapely

from .helpers import allocated, row_units, solve


def site_config(min_site, housing_suit="suit"):
    return {"claims": {"logistics": {"value_per_ha": 5, "min_site_ha": min_site},
                       "housing": {"value_per_ha": 4, "suitability_attr": housing_suit}}}


def test_small_components_are_pruned(tmp_path):
    # 4 cells; logistics excluded on u2 → eligible components {u1} (1 ha) and {u3,u4} (2 ha).
    # min site 2: logistics u3,u4 (10) + housing u1,u2 (8) = 18 (without: 15 + 4 = 19)
    config = site_config(2)
    config["rules"] = [{"name": "no-logistics", "claims": ["logistics"], "attr": "blocked", "op": "==", "value": True}]
    run = solve(tmp_path, config, row_units(4, suit=1, blocked=["false", "true", "false", "false"]))
    assert run.result.objective == pytest.approx(18)
    assert allocated(run) == {("u1", "housing"), ("u2", "housing"), ("u3", "logistics"), ("u4", "logistics")}
    ex = run.prep.exclusions.query("level == 'national' and rule == 'min-site-size'")
    assert ex[["claim", "excluded_ha"]].values.tolist() == [["logistics", 1.0]]


def test_min_site_changes_the_optimum_in_a_row(tmp_path):
    # 5 cells, housing worth 4,4,20,4,4. Without a minimum: logistics on u1,u2,u4,u5 (20) + housing u3 (20) = 40.
    # With 3 ha: the side pairs are 2 ha sites → all housing 36 beats 23 (3 logistics + 2 housing) and 25.
    units = row_units(5, suit=[1, 1, 5, 1, 1])
    free = solve(tmp_path, {"claims": {"logistics": {"value_per_ha": 5}, "housing": {"value_per_ha": 4, "suitability_attr": "suit"}}}, units)
    assert free.result.objective == pytest.approx(40)
    run = solve(tmp_path, site_config(3), units)
    assert run.result.objective == pytest.approx(36)
    assert {c for _, c in allocated(run)} == {"housing"}


def grid_units(n, suit):
    return [{"unit_id": f"c{i}{j}", "area_ha": 1.0, "province": "A", "x": 50 + 100 * i, "y": 50 + 100 * j,
             "cell_m": 100, "suit": suit(i, j)} for i in range(n) for j in range(n)]


@pytest.mark.parametrize("min_site,expected", [(3, 60), (8, 60), (9, 52)])
def test_ring_site_on_a_grid(tmp_path, min_site, expected):
    # 3×3 grid, housing worth 20 in the centre and 4 elsewhere, logistics 5 everywhere.
    # The outer ring (8 ha, a cycle) with housing in the centre: 40 + 20 = 60 when the minimum is ≤ 8.
    # Minimum 9: the ring alone is too small; all housing 52 beats all logistics 45.
    units = grid_units(3, lambda i, j: 5 if (i, j) == (1, 1) else 1)
    run = solve(tmp_path, site_config(min_site), units)
    assert run.result.objective == pytest.approx(expected)


@pytest.mark.parametrize("solver", ["highs", "pyomo-highs"])
def test_two_sites_each_large_enough(tmp_path, solver):
    # 7 cells; housing worth 20 on u4 only. Logistics (min 3 ha) can take u1..u3 and u5..u7 as two sites: 30 + 20 = 50
    run = solve(tmp_path, site_config(3), row_units(7, suit=[1, 1, 1, 5, 1, 1, 1]), solver=solver)
    assert run.result.objective == pytest.approx(50)


def test_corner_touching_parcels_are_not_adjacent():
    squares = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 1, 2, 2), shapely.box(1, 0, 2, 1),
                        shapely.Polygon([(2, 0), (3, 0), (3, 2), (2, 2)])])
    u, v = adjacency(squares)
    assert sorted(zip(u.tolist(), v.tolist())) == [(0, 2), (1, 2), (1, 3), (2, 3)]


def test_grid_fast_path_matches_geometry():
    xs, ys = np.meshgrid(np.arange(5) * 100 + 50.0, np.arange(4) * 100 + 50.0)
    x, y = xs.ravel(), ys.ravel()
    keep = np.ones(len(x), bool)
    keep[[3, 7, 8]] = False  # holes
    x, y = x[keep], y[keep]
    geoms = shapely.box(x - 50, y - 50, x + 50, y + 50)
    fast = adjacency(geoms, {"x": x, "y": y, "cell_m": np.full(len(x), 100.0)})
    slow = adjacency(geoms)
    assert sorted(zip(*map(np.ndarray.tolist, fast))) == sorted(zip(*map(np.ndarray.tolist, slow)))
    assert len(fast[0]) > 0


def test_parcels_from_geopackage(tmp_path):
    # P1–P2 share an edge (one 2 ha site); P3 touches P2 only at a corner, so it is a 1 ha site of its own.
    # logistics 5/ha with a 2 ha minimum, housing 1/ha → logistics P1, P2 (10) + housing P3 (1) = 11
    import geopandas as gpd
    import yaml

    from ruimtepuzzel.model.pipeline import solve_instance

    from .checker import check

    folder = tmp_path / "parcels"
    folder.mkdir()
    geoms = [shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100), shapely.box(200, 100, 300, 200)]
    gpd.GeoDataFrame({"unit_id": ["P1", "P2", "P3"], "area_ha": 1.0, "province": "A"}, geometry=geoms,
                     crs="EPSG:28992").to_file(folder / "units.gpkg", layer="units", driver="GPKG")
    config = {"name": "parcels", "regions": ["province"],
              "claims": {"logistics": {"value_per_ha": 5, "min_site_ha": 2}, "housing": {"value_per_ha": 1}}}
    (folder / "instance.yaml").write_text(yaml.safe_dump(config))
    run = solve_instance(folder, out=tmp_path / "run", gap=0)
    check(run.instance, run.allocation, run.summary, run.result.objective)
    assert run.result.objective == pytest.approx(11)
    assert allocated(run) == {("P1", "logistics"), ("P2", "logistics"), ("P3", "housing")}
    out = gpd.read_file(tmp_path / "run" / "allocation.gpkg", layer="allocation")
    assert out.crs.to_epsg() == 28992 and set(out.geom_type) == {"Polygon"} and len(out) == 3


def test_a_lattice_finds_the_same_close_pairs_as_the_shapes():
    # square cells on one lattice: the stencil of offsets gives exactly the pairs shapely's distances give
    from ruimtepuzzel.model.prepare.spatial import closer_than, lattice_of

    rng = np.random.default_rng(7)
    cells = rng.choice(40 * 30, size=500, replace=False)
    x, y = 50.0 + 100 * (cells // 30), 1050.0 + 100 * (cells % 30)
    grid = {"x": x, "y": y, "cell_m": np.full(len(x), 100.0)}
    boxes = shapely.box(x - 50, y - 50, x + 50, y + 50)
    lattice = lattice_of(grid)
    for distance in (10, 100, 150, 200, 500, 707.2, 1000):
        sources, targets = rng.choice(500, 80, replace=False), rng.choice(500, 300, replace=False)
        for a, b in ((sources, targets), (targets, sources)):
            got = lattice.closer_than(a, b, distance)
            want = closer_than(boxes[a], boxes[b], distance)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
    shifted = dict(grid, x=x + 0.3)  # one cell off the lattice: no lattice
    shifted["x"][0] += 20
    assert lattice_of(shifted) is None
