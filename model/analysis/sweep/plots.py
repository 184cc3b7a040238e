"""Plots planners read: a tornado chart (one-at-a-time), box plots (Monte Carlo) and a
heat map of shortfall by region × scenario (every design, every region with a floor)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ruimtepuzzel.model.outputs import numbers as fmt


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def tornado(wide: pd.DataFrame, params: list[str], path: Path, title: str) -> None:
    """Per parameter, how far its range moves the objective and the total shortfall from the base.

    A parameter whose objective change the gap could not resolve (``change_resolved`` false) is drawn hatched and
    labelled "within the gap"; one proven to leave the objective as it is is labelled "no effect".
    """
    plt = _plt()
    base = wide[wide["varied"] == "base"]
    if base.empty:
        return
    metrics = [("objective", "objective"), ("total_shortfall_ha", "total shortfall (ha)")]
    fig, axes = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 0.6 * len(params) + 1.8), squeeze=False)
    resolved = wide["change_resolved"] if "change_resolved" in wide else pd.Series(True, index=wide.index)
    for ax, (col, label) in zip(axes[0], metrics):
        if col not in wide:
            ax.set_visible(False)
            continue
        ref = float(base[col].iloc[0])
        spans = []
        for p in params:
            mine = wide["varied"] == p
            moved = wide.loc[mine, col].astype(float) - ref
            hidden = col == "objective" and bool((resolved[mine] == False).any())  # noqa: E712 (pd.NA is neither)
            spans.append((p, moved.min() if len(moved) else 0.0, moved.max() if len(moved) else 0.0, hidden))
        spans.sort(key=lambda s: abs(s[2] - s[1]))
        y = np.arange(len(spans))
        lo = np.array([min(0.0, s[1]) for s in spans])
        hi = np.array([max(0.0, s[2]) for s in spans])
        hatch = ["///" if s[3] else "" for s in spans]
        ax.barh(y, hi, color=["#bbbbbb" if s[3] else "#2b8cbe" for s in spans], hatch=hatch, label="above base")
        ax.barh(y, lo, color=["#bbbbbb" if s[3] else "#e34a33" for s in spans], hatch=hatch, label="below base")
        names = [f"{s[0]}\n(within the gap)" if s[3] else f"{s[0]}\n(no effect)" if s[1] == s[2] == 0 else s[0] for s in spans]
        ax.set_yticks(y, names, fontsize=8)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel(f"change in {label} from the base ({fmt.objective(ref) if col == 'objective' else fmt.amount(ref)})")
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _shortfall_by_region(regions: pd.DataFrame, level: str) -> pd.DataFrame:
    floors = regions[(regions["level"] == level) & regions["demand_min"].notna()]
    if "region_name" in floors:  # people read names; the code stays beside a name that differs
        names = floors["region_name"].astype(str)
        floors = floors.assign(region=[n if n == r else f"{n} ({r})" for n, r in zip(names, floors["region"].astype(str))])
    return floors.pivot_table(index="region", columns="scenario", values="shortfall_ha", aggfunc="sum", fill_value=0.0)


def heatmap(regions: pd.DataFrame, path: Path, title: str) -> bool:
    """Shortfall (ha, summed over claims) per region with a floor × scenario; regions of every level, labelled
    with their level. False when there is nothing to show."""
    floors = regions[regions["demand_min"].notna()] if len(regions) else pd.DataFrame()
    if floors.empty:
        return False
    names = floors["region_name"].astype(str) if "region_name" in floors else floors["region"].astype(str)
    floors = floors.assign(where=floors["level"].astype(str) + " " + names)
    table = floors.pivot_table(index="where", columns="scenario", values="shortfall_ha", aggfunc="sum", fill_value=0.0, sort=False)
    plt = _plt()
    values = table.to_numpy(float)
    fig, ax = plt.subplots(figsize=(min(18, 3.5 + 0.35 * table.shape[1]), 2 + 0.3 * table.shape[0]))
    image = ax.imshow(values, aspect="auto", cmap="Reds", vmin=0.0, vmax=max(1.0, float(np.nanmax(values))))
    ax.set_yticks(range(table.shape[0]), table.index, fontsize=8)
    step = max(1, table.shape[1] // 40)
    ax.set_xticks(range(0, table.shape[1], step), table.columns[::step], rotation=90, fontsize=7)
    ax.set_xlabel("scenario")
    fig.colorbar(image, ax=ax, label="shortfall (ha)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def monte_carlo(wide: pd.DataFrame, regions: pd.DataFrame, level: str, path: Path, title: str) -> None:
    """Box plots of shortfall per region across the samples, and the objective's distribution."""
    plt = _plt()
    table = _shortfall_by_region(regions, level) if len(regions) else pd.DataFrame()
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [3, 1]})
    if not table.empty:
        axes[0].boxplot([table.loc[r].to_numpy(float) for r in table.index], showfliers=True)
        axes[0].set_xticks(range(1, len(table.index) + 1), table.index, rotation=90, fontsize=8)
    axes[0].set_ylabel(f"shortfall (ha) per {level}")
    objective = wide["objective"].dropna().astype(float)
    if len(objective):
        axes[1].hist(objective, bins=min(30, max(5, len(objective) // 3)), color="#2b8cbe")
        for q, style in ((0.05, ":"), (0.5, "-"), (0.95, ":")):
            axes[1].axvline(objective.quantile(q), color="black", ls=style, lw=0.8)
    axes[1].set_xlabel("objective (5 %, median, 95 %)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
