"""Distances the builder computes in numpy are those GEOS gives (no shared data needed)."""
def test_nearest_points_in_numpy_equals_the_geos_query():
    # grid cells (some clipped, so not rectangles) against point features, with ties and points on cell edges: the
    # numpy path for rectangles must give GEOS's nearest feature and its rounded distance, unit for unit
    import numpy as np
    import shapely

    from ruimtepuzzel.model.build.builder import nearest_features, nearest_km

    rng = np.random.default_rng(7)
    xs, ys = np.meshgrid(np.arange(0, 4000, 100.0), np.arange(0, 3000, 100.0))
    cells = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + 100, ys.ravel() + 100)
    cells[::37] = shapely.intersection(cells[::37], shapely.Point(2000, 1500).buffer(1400))  # clipped
    cells = cells[~shapely.is_empty(cells)]
    pts = rng.uniform([0, 0], [4000, 3000], size=(25, 2)).round(0)
    pts = np.vstack([pts, [[1000, 1000], [1200, 1000], [1100, 1500], [1100, 1500]]])  # equidistant and repeated points
    points = shapely.points(pts)
    nearest, km = nearest_km(cells, points)
    want_nearest, want_m = nearest_features(cells, points)
    assert np.array_equal(km, np.round(want_m / 1000.0, 4))
    assert np.array_equal(nearest, want_nearest)
