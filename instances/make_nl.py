"""Generate the built-in Dutch instances from the schematic geography in ``nl_geography``.

    python instances/make_nl.py                       # all three built-in instances
    python instances/make_nl.py nl-provinces          # one of them
    python instances/make_nl.py nl-provinces --cell-m 100 --out /tmp/nl100   # a finer copy for benchmarks

Units are square cells whose centre lies on land. Every cell goes to the COROP
region of its nearest anchor point, with one additive weight per province
calibrated (on a fixed 2 km grid, so the map does not depend on the cell size)
until province areas are in the proportions of the CBS land areas. Attributes
are smooth fields of position (elevation interpolated between control points,
distances to features, noise on a fixed 5 km lattice), so a finer grid shows the
same country in more detail. Deterministic for a seed; ``SOURCES.md`` in each
instance says which figures are published and which are estimates.
"""
from __future__ import annotations

import argparse
import gzip
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from scipy.interpolate import RegularGridInterpolator
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nl_demand  # noqa: E402
import nl_geography as geo  # noqa: E402

HERE = Path(__file__).resolve().parent
SEED = 42
CALIBRATION_CELL_KM = 2.0
NOISE_STEP_KM = 5.0
BBOX_KM = (10.0, 305.0, 280.0, 615.0)  # xmin, ymin, xmax, ymax around the outline


def land_polygon() -> shapely.Geometry:
    waters = shapely.union_all([shapely.Polygon(p) for p in geo.WATERS.values()])
    return shapely.Polygon(geo.OUTLINE).difference(waters)


def grid_centres(cell_km: float, within: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Centres (km) of the cells of a grid anchored at (0, 0) whose centre lies in ``within``."""
    xmin, ymin, xmax, ymax = within.bounds
    i0, i1 = int(np.floor(xmin / cell_km)), int(np.ceil(xmax / cell_km))
    j0, j1 = int(np.floor(ymin / cell_km)), int(np.ceil(ymax / cell_km))
    xs = (np.arange(i0, i1) + 0.5) * cell_km
    ys = (np.arange(j0, j1) + 0.5) * cell_km
    shapely.prepare(within)
    out_x, out_y = [], []
    for y in ys:  # one row at a time keeps memory flat at 100 m
        row_y = np.full(len(xs), y)
        inside = shapely.contains_xy(within, xs, row_y)
        out_x.append(xs[inside])
        out_y.append(row_y[inside])
    return np.concatenate(out_x), np.concatenate(out_y)


# --- regions ---------------------------------------------------------------------------

def _anchors() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    codes, provinces, points = [], [], []
    for code, (_, province, anchors) in geo.COROPS.items():
        for p in anchors:
            codes.append(code)
            provinces.append(province)
            points.append(p)
    return np.array(codes), np.array(provinces), np.array(points, dtype=float)


def _nearest_anchor(x: np.ndarray, y: np.ndarray, points: np.ndarray, weight: np.ndarray, chunk: int = 400_000) -> np.ndarray:
    out = np.empty(len(x), dtype=np.int64)
    for s in range(0, len(x), chunk):
        d2 = (x[s:s + chunk, None] - points[None, :, 0]) ** 2 + (y[s:s + chunk, None] - points[None, :, 1]) ** 2
        out[s:s + chunk] = np.argmin(d2 - weight[None, :], axis=1)
    return out


def province_weights(iterations: int = 200) -> dict[str, float]:
    """Additive power-diagram weights (km²) per province so areas follow CBS land areas."""
    codes, provinces, points = _anchors()
    x, y = grid_centres(CALIBRATION_CELL_KM, land_polygon())
    names = sorted(geo.PROVINCES)
    target = np.array([geo.PROVINCES[p][1] for p in names], dtype=float)
    target = target / target.sum() * len(x)
    index = np.searchsorted(names, provinces)
    w = np.zeros(len(names))
    for _ in range(iterations):
        got = np.bincount(index[_nearest_anchor(x, y, points, w[index])], minlength=len(names))
        w += 60.0 * np.clip((target - got) / target, -0.5, 0.5)
        w -= w.mean()
    return dict(zip(names, np.round(w, 1)))


def assign_regions(x: np.ndarray, y: np.ndarray, weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    codes, provinces, points = _anchors()
    w = np.array([weights[p] for p in provinces])
    nearest = _nearest_anchor(x, y, points, w)
    return provinces[nearest], codes[nearest]


# --- fields ----------------------------------------------------------------------------

def smooth_noise(x: np.ndarray, y: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """Standard-normal noise on a fixed 5 km lattice, interpolated bilinearly."""
    rng = np.random.default_rng([seed, salt])
    xmin, ymin, xmax, ymax = BBOX_KM
    gx = np.arange(xmin, xmax + NOISE_STEP_KM, NOISE_STEP_KM)
    gy = np.arange(ymin, ymax + NOISE_STEP_KM, NOISE_STEP_KM)
    lattice = rng.normal(0.0, 1.0, (len(gx), len(gy)))
    return RegularGridInterpolator((gx, gy), lattice)(np.column_stack([x, y]))


def elevation(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    pts = np.array(geo.ELEVATION_POINTS, dtype=float)
    d2 = (x[:, None] - pts[None, :, 0]) ** 2 + (y[:, None] - pts[None, :, 1]) ** 2 + 25.0
    w = 1.0 / d2 ** 1.5
    base = (w * pts[None, :, 2]).sum(axis=1) / w.sum(axis=1)
    return base + (0.6 + 0.08 * np.abs(base)) * smooth_noise(x, y, seed, 1)


def line_distance(x: np.ndarray, y: np.ndarray, lines) -> np.ndarray:
    geom = shapely.multilinestrings([shapely.linestrings(line) for line in lines])
    return shapely.distance(geom, shapely.points(x, y))


def point_distance(x: np.ndarray, y: np.ndarray, points) -> np.ndarray:
    return cKDTree(np.asarray(points, dtype=float)).query(np.column_stack([x, y]))[0]


def disk_distance(x: np.ndarray, y: np.ndarray, disks) -> tuple[np.ndarray, np.ndarray]:
    """Distance (km) to the edge of the nearest disk (negative inside), and that disk's index."""
    disks = np.asarray(disks, dtype=float)
    best = np.full(len(x), np.inf)
    which = np.zeros(len(x), dtype=np.int64)
    for i, (cx, cy, r) in enumerate(disks):
        d = np.hypot(x - cx, y - cy) - r
        closer = d < best
        best[closer] = d[closer]
        which[closer] = i
    return best, which


def segment_band(x: np.ndarray, y: np.ndarray, segments) -> np.ndarray:
    inside = np.zeros(len(x), dtype=bool)
    for a, b, half_width in segments:
        inside |= line_distance(x, y, [[a, b]]) <= half_width
    return inside


# --- units -----------------------------------------------------------------------------

def make_units(cell_m: float = 1000.0, provinces: list[str] | None = None, seed: int = SEED) -> pd.DataFrame:
    cell_km = cell_m / 1000.0
    x, y = grid_centres(cell_km, land_polygon())
    province, corop = assign_regions(x, y, province_weights())
    if provinces:
        keep = np.isin(province, provinces)
        x, y, province, corop = x[keep], y[keep], province[keep], corop[keep]
    n = len(x)
    area_ha = np.full(n, cell_m * cell_m / 10_000)
    rng = np.random.default_rng([seed, int(cell_m)])

    elev = elevation(x, y, seed)
    polder_depth = np.clip(-elev, 0, None)
    floodplain = line_distance(x, y, geo.RIVERS.values()) < 0.7
    peat_disk, _ = disk_distance(x, y, geo.PEAT_DISTRICTS)
    peat = (peat_disk < 0) & (elev < 1.0) & (smooth_noise(x, y, seed, 2) > -0.6)
    subsidence = np.where(peat, 6.0 + 2.0 * smooth_noise(x, y, seed, 3), 1.0 + 0.5 * np.clip(-elev, 0, 4))
    subsidence = np.clip(subsidence, 0.0, None)
    nature_disk, _ = disk_distance(x, y, geo.NATURE)
    dunes = line_distance(x, y, [geo.DUNE_COAST]) < 1.8
    natura = (nature_disk < 0) | dunes

    city_d, city_i = disk_distance(x, y, list(geo.CITIES.values()))
    dist_corridor = line_distance(x, y, geo.FREIGHT_CORRIDORS.values())
    dist_motorway = np.minimum(line_distance(x, y, geo.MOTORWAYS.values()), dist_corridor)
    dist_quay = point_distance(x, y, geo.QUAYS)
    dist_hv = point_distance(x, y, geo.HV_SUBSTATIONS)
    dist_campus = point_distance(x, y, list(geo.CAMPUSES.values()))
    dist_cluster = point_distance(x, y, [p for pts in geo.INDUSTRY_CLUSTERS.values() for p in pts])
    greenhouse_d, _ = disk_distance(x, y, geo.GREENHOUSES)

    use = np.full(n, "agriculture", dtype=object)
    use[natura] = "nature"
    use[(greenhouse_d < 0) & ~natura] = "greenhouse"
    use[city_d < 0] = "housing"
    port = segment_band(x, y, geo.PORT_AREAS) & ~natura
    use[port] = "business_park"
    use[dist_campus < 0.5 * max(cell_km, 0.5)] = "campus"
    category = np.full(n, None, dtype=object)
    category[port] = np.where(dist_cluster[port] < 2.5, "5.2", "4.2")
    category[port & (dist_cluster < 1.0)] = "5.3"
    _business_parks(use, category, province, area_ha, city_d, dist_motorway, smooth_noise(x, y, seed, 4) + 0.3 * rng.normal(size=n))
    protected = port.copy()

    wbs_class = np.select(
        [floodplain | (polder_depth > 5.0), (polder_depth > 3.0) | (peat & (subsidence > 6.0)), peat | (polder_depth > 1.0)],
        ["D", "C", "B"], default="A",
    )
    cost = np.select(
        [use == "housing", use == "business_park", use == "campus", use == "greenhouse", use == "nature"],
        [600.0, 150.0, 220.0, 45.0, 6.0], default=8.0,
    ) * np.exp(0.15 * smooth_noise(x, y, seed, 5))
    suit_housing = np.clip(1.25 - np.clip(city_d, 0, None) / 6.0, 0.4, 1.25)
    suit_logistics = np.clip(1.3 - dist_corridor / 15.0, 0.6, 1.3)

    i = np.floor(x / cell_km).astype(np.int64)
    j = np.floor(y / cell_km).astype(np.int64)
    width = len(str(int(np.ceil(BBOX_KM[2] / cell_km))))
    unit_id = np.char.add(np.char.add(np.char.zfill(i.astype(str), width), "_"), np.char.zfill(j.astype(str), width))
    return pd.DataFrame({
        "unit_id": np.char.add("c", unit_id),
        "area_ha": area_ha,
        "province": province,
        "corop": corop,
        "current_use": use,
        "x": np.round(x * 1000.0, 1),
        "y": np.round(y * 1000.0, 1),
        "cell_m": cell_m,
        "elevation_m": elev.round(2),
        "polder_depth_m": polder_depth.round(2),
        "floodplain": floodplain,
        "peat": peat,
        "subsidence_mm_yr": subsidence.round(1),
        "wbs_class": wbs_class,
        "natura2000": natura,
        "dist_city_km": np.clip(city_d, 0, None).round(2),
        "nearest_city": np.array(list(geo.CITIES))[city_i],
        "dist_corridor_km": dist_corridor.round(2),
        "dist_motorway_km": dist_motorway.round(2),
        "dist_quay_km": dist_quay.round(2),
        "dist_hv_km": dist_hv.round(2),
        "dist_campus_km": dist_campus.round(2),
        "dist_cluster_km": dist_cluster.round(2),
        "env_category_existing": category,
        "protected": protected,
        "cost_eur_per_m2": cost.round(1),
        "suit_housing": suit_housing.round(3),
        "suit_logistics": suit_logistics.round(3),
        "grid_zone": province,
    })


def _business_parks(use, category, province, area_ha, city_d, dist_motorway, noise) -> None:
    """Mark existing business parks per province until the CBS 2017 area is reached.

    Port-industrial land is already marked; the rest goes to the cells that score
    best on being just outside a town and near a motorway.
    """
    score = -np.abs(city_d - 0.6) - 0.25 * dist_motorway + 0.6 * noise
    free = (use == "agriculture") | (use == "greenhouse")
    for code, target_ha in nl_demand.BUSINESS_PARK_HA.items():
        in_prov = province == code
        if not in_prov.any():
            continue
        have = area_ha[in_prov & (use == "business_park")].sum()
        cand = np.flatnonzero(in_prov & free)
        need = int(round(max(target_ha - have, 0.0) / area_ha[in_prov][0]))
        chosen = cand[np.argsort(-score[cand], kind="stable")[:need]]
        use[chosen] = "business_park"
        rank = np.arange(len(chosen)) % 10
        category[chosen] = np.where(rank < 2, "4.1", np.where(rank < 8, "3.2", "2"))


def hard_plans(units: pd.DataFrame, hectares: float) -> np.ndarray:
    """Mark the hard plan supply for business parks: free cells nearest to towns and motorways."""
    free = (units["current_use"] == "agriculture") & ~units["floodplain"] & ~units["natura2000"]
    score = units["dist_city_km"] + units["dist_motorway_km"]
    order = score[free].sort_values(kind="stable").index
    need = int(round(hectares / units["area_ha"].iloc[0]))
    mark = np.zeros(len(units), dtype=bool)
    mark[order[:need]] = True
    return mark


# --- writing ---------------------------------------------------------------------------

def csv_text(units: pd.DataFrame) -> str:
    buffer = io.StringIO()
    units.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def write_units(units: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = csv_text(units).encode()
    if path.suffix == ".gz":
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(data)
    else:
        path.write_bytes(data)


def build(name: str, out: Path | None = None, cell_m: float | None = None, seed: int = SEED) -> Path:
    spec = nl_demand.INSTANCES[name]
    out = out or HERE / name
    cell = cell_m or spec["cell_m"]
    units = make_units(cell, spec.get("provinces"), seed)
    if spec.get("plain"):
        step = nl_demand.SUITABILITY_STEP
        for col in [c for c in units.columns if c.startswith("suit_")]:
            units[col] = (np.round(units[col] / step) * step).round(3)
    if "PV30" in (spec.get("provinces") or []):
        units["hard_plan_business"] = hard_plans(units, nl_demand.STEC_BRABANT["hard_supply"])
    units_file = "units.csv.gz"
    write_units(units, out / units_file)
    nl_demand.write_instance(name, units, out, units_file, cell)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one of {', '.join(nl_demand.INSTANCES)} (default: all)")
    parser.add_argument("--cell-m", type=float, help="cell side in metres (default: the instance's own)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, help="output folder (only with one name)")
    args = parser.parse_args(argv)
    names = args.names or [n for n, spec in nl_demand.INSTANCES.items() if not spec.get("on_request")]
    unknown = sorted(set(names) - set(nl_demand.INSTANCES))
    if unknown:
        parser.error(f"unknown instance {unknown}; choose from {list(nl_demand.INSTANCES)}")
    if args.out and len(names) != 1:
        parser.error("--out needs exactly one instance name")
    for name in names:
        out = build(name, args.out, args.cell_m, args.seed)
        print(f"wrote {name} to {out}")


if __name__ == "__main__":
    main()
