"""Generate the units of the built-in ``demo`` instance: a synthetic delta landscape.

A 24 × 16 km rectangle, split into a low-lying western province (``W``: deep
polders, peat, a port with an industrial cluster and a city) and a sandy eastern
province (``O``: a town, a campus, heath under Natura 2000), each split in two
COROP-like regions by a river with its floodplain. The geography is invented;
see ``demo/SOURCES.md`` for what is taken from published figures and what is not.

    python instances/make_demo.py                  # writes instances/demo/units.csv (500 m cells)
    python instances/make_demo.py --cell-m 250 --out /tmp/demo250/units.csv

Deterministic for a given seed and cell size.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

WIDTH_M, HEIGHT_M = 24_000, 16_000
ORIGIN = (80_000, 420_000)  # an RD New offset, so that coordinates look like RD New
DWELLINGS_PER_HA = 30  # greenfield density (SOURCES.md)
TOWNS = [((6_000, 11_500), 2_000), ((17_000, 4_500), 1_500), ((21_500, 13_000), 800)]
QUAYS = [(2_500, None), (8_500, None), (18_000, None)]
SUBSTATIONS = [(5_000, 13_000), (13_500, 2_500), (21_000, 9_500)]
CORRIDORS = [((0, 4_500), (24_000, 6_500)), ((16_000, 0), (16_000, 16_000))]
CAMPUS = (14_500, 6_000)
HEATH = ((20_000, 12_500), 2_300)
PORT_X = (500, 4_500)


def river_y(x: np.ndarray) -> np.ndarray:
    return 8_000 + 1_500 * np.sin(np.asarray(x) / 6_000)


def point_distance(x, y, points) -> np.ndarray:
    return np.min([np.hypot(x - px, y - py) for px, py in points], axis=0)


def segment_distance(x, y, a, b) -> np.ndarray:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = np.clip(((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy), 0, 1)
    return np.hypot(x - (ax + t * dx), y - (ay + t * dy))


def make_units(cell_m: float = 500.0, seed: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    xs = np.arange(cell_m / 2, WIDTH_M, cell_m)
    ys = np.arange(cell_m / 2, HEIGHT_M, cell_m)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    x, y = gx.ravel(), gy.ravel()
    n = len(x)
    noise = rng.normal(0, 1, n)
    ry = river_y(x)
    above_river = y > ry

    province = np.where(x < WIDTH_M / 2, "W", "O")
    corop = np.char.add(province.astype(str), np.where(above_river, "-N", "-Z"))

    floodplain = np.abs(y - ry) < 600
    polder_depth = np.clip(5.5 - x / 2_000 + 0.4 * noise, 0, None).round(2)
    flood_depth = np.where(floodplain, 2.5, 0.0) + 0.8 * polder_depth
    peat = (x < 11_000) & (polder_depth > 1.0) & (polder_depth < 4.8) & (rng.random(n) < 0.7)
    natura = np.hypot(x - HEATH[0][0], y - HEATH[0][1]) < HEATH[1]

    quays = [(qx, float(river_y(qx))) for qx, _ in QUAYS]
    dist_quay = point_distance(x, y, quays) / 1_000
    dist_hv = point_distance(x, y, SUBSTATIONS) / 1_000
    dist_corridor = np.min([segment_distance(x, y, a, b) for a, b in CORRIDORS], axis=0) / 1_000
    dist_campus = np.hypot(x - CAMPUS[0], y - CAMPUS[1]) / 1_000
    cluster = (2_500, float(river_y(2_500)) - 1_000)
    dist_cluster = np.hypot(x - cluster[0], y - cluster[1]) / 1_000
    dist_town = np.min([np.hypot(x - tx, y - ty) - r for (tx, ty), r in TOWNS], axis=0) / 1_000

    use = np.full(n, "agriculture", dtype=object)
    use[natura] = "nature"
    in_town = dist_town < 0
    use[in_town] = "housing"
    port = (x > PORT_X[0]) & (x < PORT_X[1]) & (y < ry - 600) & (y > ry - 3_000)
    town_park = (np.abs(dist_town - 0.35) < 0.3) & (rng.random(n) < 0.35) & ~in_town
    use[port | town_park] = "business_park"
    use[dist_campus < 0.5] = "campus"
    use[floodplain & (use == "agriculture")] = "floodplain"

    category = np.full(n, None, dtype=object)
    category[port] = np.where(dist_cluster[port] < 1.2, "5.1", "4.2")
    category[town_park] = "3.2"
    protected = port & (dist_cluster < 1.2)

    cost = np.select(
        [use == "housing", use == "business_park", use == "campus", use == "nature"],
        [650.0, 160.0, 220.0, 8.0],
        default=14.0,
    ) * np.exp(0.15 * rng.normal(0, 1, n))
    cost[town_park & (rng.random(n) < 0.15)] = 1_600.0  # occupied parks too dear to relocate
    area_ha = np.full(n, cell_m * cell_m / 10_000)
    suit_housing = np.clip(1.2 - np.clip(dist_town, 0, None) / 8, 0.3, 1.2).round(3)
    dwellings = np.round(area_ha * DWELLINGS_PER_HA * np.where(dist_town < 1.5, 1.3, 1.0))

    wbs_class = np.select([floodplain, polder_depth > 4.0, peat, polder_depth > 1.0], ["D", "C", "C", "B"], default="A")
    grid_zone = np.where(x < WIDTH_M / 2, "ZW", "ZO")

    ix = np.rint((x - cell_m / 2) / cell_m).astype(int)
    iy = np.rint((y - cell_m / 2) / cell_m).astype(int)
    return pd.DataFrame({
        "unit_id": [f"c{i:03d}_{j:03d}" for i, j in zip(ix, iy)],
        "area_ha": area_ha,
        "province": province,
        "corop": corop,
        "current_use": use,
        "x": x + ORIGIN[0],
        "y": y + ORIGIN[1],
        "cell_m": cell_m,
        "floodplain": floodplain,
        "polder_depth_m": polder_depth,
        "flood_depth_m": flood_depth.round(2),
        "peat": peat,
        "wbs_class": wbs_class,
        "natura2000": natura,
        "dist_quay_km": dist_quay.round(3),
        "dist_hv_km": dist_hv.round(3),
        "dist_corridor_km": dist_corridor.round(3),
        "dist_campus_km": dist_campus.round(3),
        "dist_cluster_km": dist_cluster.round(3),
        "env_category_existing": category,
        "protected": protected,
        "cost_eur_per_m2": cost.round(2),
        "suit_housing": suit_housing,
        "dwellings_capacity": dwellings,
        "grid_zone": grid_zone,
    })


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell-m", type=float, default=500.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "demo" / "units.csv")
    args = parser.parse_args(argv)
    units = make_units(args.cell_m, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    units.to_csv(args.out, index=False, lineterminator="\n")
    print(f"wrote {len(units):,} units to {args.out}")


if __name__ == "__main__":
    main()
