"""Maps and charts of ``alternatives`` (matplotlib, drawn as the report's maps are: one raster of unit indices).

- ``map_selection_frequency.png``: a panel per claim (stacking claims aside) with a plan: each unit
  in all plans (the claim's colour), in some (a pale shade) or in none (grey);
- ``ranges_<region>.png``: per region of the ranges' level, a bar per claim from min_ha to max_ha
  with plan 0's optimum_ha marked;
- ``map_importance.png``: plan 0's groups coloured by replacement cost (no other allocation left:
  the darkest class).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ruimtepuzzel.model.analysis.alternatives.sentences import chart_name
from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.outputs import maps
from ruimtepuzzel.model.outputs.styles import claim_colours

PALE = 0.35  # how much of the claim's colour a unit in some plans keeps
PANELS_PER_ROW = 4


def _rgb(config) -> dict:
    return {k: np.array([int(c) / 255 for c in v.split(",")] + [1.0]) for k, v in claim_colours(config.claims).items()}


def selection_map(instance: Instance, freq: pd.DataFrame, n_plans: int, path: Path, raster) -> None:
    from matplotlib.patches import Patch

    plt = maps._plt()
    config = instance.config
    stacking = {k for k, c in config.claims.items() if c.stacking}
    claims = [k for k in config.claims if k not in stacking and (freq["claim"] == k).any()]
    if not claims:
        return
    rgb = _rgb(config)
    index = pd.Index(instance.units["unit_id"].astype(str))
    cols = min(len(claims), PANELS_PER_ROW)
    rows = -(-len(claims) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 4.6 * rows), dpi=90, squeeze=False, layout="constrained")
    for ax in axes.ravel()[len(claims):]:
        ax.set_axis_off()
    for ax, claim in zip(axes.ravel(), claims):
        colours = np.tile(np.array(maps.EMPTY), (len(instance.units), 1))
        rows = freq[freq["claim"] == claim]
        units = index.get_indexer(rows["unit_id"].astype(str))
        every = rows["plans"].to_numpy() >= n_plans
        pale = PALE * rgb[claim] + (1 - PALE) * np.array([1.0, 1.0, 1.0, 1.0])
        colours[units[~every]] = pale
        colours[units[every]] = rgb[claim]
        maps._draw(ax, instance, raster, colours, config.regions[0])
        ax.set_axis_off()
        ax.set_title(config.claim_name(claim), fontsize=10)
        ax.legend(handles=[Patch(color=rgb[claim], label=f"in all {n_plans} plans"), Patch(color=pale, label="in some"),
                           Patch(color=maps.EMPTY, label="in none")], loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=7, frameon=False)
    fig.suptitle("Selection frequency over the near-optimal plans", fontsize=11)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def range_chart(instance: Instance, rows: pd.DataFrame, path: Path) -> None:
    plt = maps._plt()
    config = instance.config
    rgb = _rgb(config)
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(rows) + 1.2), dpi=90, layout="constrained")
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows.itertuples()):
        colour = rgb.get(r.claim, np.array([0.4, 0.4, 0.4, 1.0]))
        ax.plot([r.min_ha, r.max_ha], [yi, yi], color=colour, linewidth=8, solid_capstyle="butt", alpha=0.6)
        ax.plot([r.optimum_ha], [yi], marker="|", color="black", markersize=14, markeredgewidth=2)
    ax.set_yticks(y, [config.claim_name(k) for k in rows["claim"]])
    ax.set_xlabel("ha within the slack (bar: least to most; mark: the optimum)")
    first = rows.iloc[0]
    ax.set_title(config.region_name(first.level, str(first.region)), fontsize=10)
    ax.set_xlim(left=0)
    fig.savefig(path)
    plt.close(fig)


def importance_map(instance: Instance, importance: pd.DataFrame, path: Path, raster) -> None:
    import matplotlib as mpl

    plt = maps._plt()
    cost = importance["replacement_cost"].to_numpy(float)
    finite = cost[np.isfinite(cost)]
    top = max(float(finite.max()) if len(finite) else 1.0, 1e-9)
    norm = mpl.colors.Normalize(vmin=0.0, vmax=top)
    cmap = mpl.colormaps["YlOrRd"]
    colours = np.tile(np.array(maps.EMPTY), (len(instance.units), 1))
    index = pd.Index(instance.units["unit_id"].astype(str))
    for units, c in zip(importance["units"], cost):
        idx = index.get_indexer(str(units).split())
        colours[idx[idx >= 0]] = (0.35, 0.0, 0.15, 1.0) if not np.isfinite(c) else cmap(norm(max(c, 0.0)))
    fig, axes = maps._figure(plt, raster, instance)
    ax = axes[0][0]
    maps._draw(ax, instance, raster, colours, instance.config.regions[0])
    ax.set_axis_off()
    fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.6, label="replacement cost (objective)")
    ax.set_title("Replacement cost of plan 0's groups (dark red: irreplaceable)", fontsize=10)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def write_all(outcome, instance: Instance, out: Path, progress) -> None:
    raster = maps.unit_raster(instance)
    n_plans = int(outcome.alternatives["objective"].notna().sum())
    selection_map(instance, outcome.selection_frequency, n_plans, out / "map_selection_frequency.png", raster)
    if outcome.ranges is not None:
        for region, rows in outcome.ranges.groupby("region", sort=False):
            range_chart(instance, rows, out / chart_name(str(region)))
    if outcome.importance is not None and len(outcome.importance):
        importance_map(instance, outcome.importance, out / "map_importance.png", raster)
