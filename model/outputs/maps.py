"""The report's maps: the allocation by claim, and the shortfall per region level with floors.

Units are drawn as one raster image (each pixel holds the index of the unit under it), so a
map of 35,584 cells takes a fraction of a second instead of drawing 35,584 polygons. Square
cells of one size are placed straight on their own grid; other polygons are burnt in with
rasterio; point units are drawn as dots.

The shortfall map has one panel per region level that has floors (national floors cover
every unit and are reported in the text instead). Each region is coloured by the largest
unmet share of its floors — a share, so floors in dwellings and in hectares are never added
— in classes with a legend; regions without a floor at that level are grey, and a level
whose floors are all met says so in its title.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.inputs.schema import NATIONAL
from ruimtepuzzel.model.outputs.facts import is_short
from ruimtepuzzel.model.outputs.names import capital, level_name, plural
from ruimtepuzzel.model.outputs.styles import claim_colours

MAX_PIXELS = 600  # the longer side of a map image (about its size on the page, so outlines are not lost)
MAX_LABELS = 60  # regions named on the shortfall map when there are no more than this
EMPTY = (0.91, 0.91, 0.91, 1.0)  # units with nothing allocated, regions without a floor
OUTSIDE = (1.0, 1.0, 1.0, 0.0)
# unmet share of the worst floor: met, then up to 10 %, 25 %, 50 %, above
SHORT_CLASSES = [(0.0, "every floor met", (0.78, 0.90, 0.76, 1.0)), (0.10, "up to 10 % unmet", (0.99, 0.80, 0.67, 1.0)),
                 (0.25, "10–25 % unmet", (0.99, 0.55, 0.38, 1.0)), (0.50, "25–50 % unmet", (0.89, 0.29, 0.20, 1.0)),
                 (np.inf, "over 50 % unmet", (0.65, 0.06, 0.08, 1.0))]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def unit_raster(instance: Instance) -> tuple[np.ndarray, tuple] | None:
    """(image of unit indices, −1 outside any unit; extent (left, right, bottom, top)), or None for point units."""
    grid = instance.grid
    if grid is not None and len(grid["cell_m"]) and np.all(grid["cell_m"] == grid["cell_m"][0]):
        cell = float(grid["cell_m"][0])
        x0, y0 = grid["x"].min(), grid["y"].min()
        ix = np.rint((grid["x"] - x0) / cell).astype(np.int64)
        iy = np.rint((grid["y"] - y0) / cell).astype(np.int64)
        if np.allclose(x0 + ix * cell, grid["x"]) and np.allclose(y0 + iy * cell, grid["y"]):
            image = np.full((iy.max() + 1, ix.max() + 1), -1, np.int64)
            image[iy.max() - iy, ix] = np.arange(len(ix))
            scale = max(1, MAX_PIXELS // max(image.shape))  # a few pixels per cell, so region outlines stay thin
            image = np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)
            extent = (x0 - cell / 2, x0 + (ix.max() + 0.5) * cell, y0 - cell / 2, y0 + (iy.max() + 0.5) * cell)
            return image, extent
    import shapely

    geometry = instance.geometry
    if len(geometry) == 0 or np.all(shapely.get_type_id(geometry) == 0):
        return None
    import rasterio.features
    import rasterio.transform

    left, bottom, right, top = shapely.total_bounds(geometry)
    pixel = max(right - left, top - bottom) / MAX_PIXELS
    shape = (max(1, int(np.ceil((top - bottom) / pixel))), max(1, int(np.ceil((right - left) / pixel))))
    transform = rasterio.transform.from_origin(left, top, pixel, pixel)
    image = rasterio.features.rasterize(zip(geometry, range(len(geometry))), out_shape=shape, transform=transform,
                                        fill=-1, dtype="int32", all_touched=True)
    return image.astype(np.int64), (left, left + shape[1] * pixel, top - shape[0] * pixel, top)


def _draw(ax, instance: Instance, raster, colours: np.ndarray, level: str | None = None, labels: dict | None = None) -> None:
    """Colour each unit with ``colours[unit]`` (RGBA rows); outline the regions of ``level`` and write ``labels``
    (region code → text) at their centres."""
    if raster is None:
        import shapely

        xy = shapely.get_coordinates(shapely.centroid(instance.geometry))
        ax.scatter(xy[:, 0], xy[:, 1], c=colours, s=6, linewidths=0)
        ax.set_aspect("equal")
        centres = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
    else:
        image, extent = raster
        rgba = np.where(image[..., None] >= 0, colours[np.maximum(image, 0)], OUTSIDE)
        if level is not None:
            codes = pd.factorize(instance.units[level].astype(str))[0]
            region = np.where(image >= 0, codes[np.maximum(image, 0)], -1)
            edge = np.zeros(region.shape, bool)
            across, down = region[:, 1:] != region[:, :-1], region[1:, :] != region[:-1, :]
            edge[:, 1:] |= across
            edge[:, :-1] |= across
            edge[1:, :] |= down
            edge[:-1, :] |= down
            rgba[edge & (region >= 0)] = (0.25, 0.25, 0.25, 1.0)
        ax.imshow(rgba, extent=extent, interpolation="nearest")
        if level is None or not labels:  # the unit centres place region labels only
            return
        rows, cols = np.nonzero(image >= 0)
        units = image[rows, cols]
        left, right, bottom, top = extent
        centres = pd.DataFrame(index=np.arange(len(instance.units)), columns=["x", "y"], dtype=float)
        grouped = pd.DataFrame({"unit": units, "x": left + (cols + 0.5) * (right - left) / image.shape[1],
                                "y": top - (rows + 0.5) * (top - bottom) / image.shape[0]}).groupby("unit").mean()
        centres.loc[grouped.index] = grouped.to_numpy()
    if level is not None and labels:
        where = centres.assign(region=instance.units[level].astype(str).to_numpy()).dropna().groupby("region")[["x", "y"]].mean()
        for code, text in labels.items():
            if code in where.index:
                ax.annotate(text, (where.at[code, "x"], where.at[code, "y"]), ha="center", va="center", fontsize=6,
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})


def _figure(plt, raster, instance: Instance, panels: int = 1):
    """A figure whose panels follow the map's aspect ratio."""
    if raster is not None:
        left, right, bottom, top = raster[1]
    else:
        import shapely

        left, bottom, right, top = shapely.total_bounds(instance.geometry)
    aspect = (top - bottom) / max(right - left, 1e-9)
    width = 6.5
    height = float(np.clip(width * aspect, 2.5, 9.0)) + 0.8
    return plt.subplots(1, panels, figsize=(width * panels + 2.2, height), dpi=90, squeeze=False, layout="constrained")


def period_state(alloc: pd.DataFrame, year: int) -> pd.DataFrame:
    """The pairs of a phased run's allocation.csv that are allocated in ``year`` (``share_<year>`` > 0), with
    ``share`` and ``used_ha`` of that period's state."""
    column = f"share_{year}"
    if column not in alloc.columns:
        raise ValueError(f"allocation.csv has no {column} column: not a run with period {year}")
    share = alloc[column].astype(float)
    state = alloc[share > 0].copy()
    full = alloc.loc[share > 0, "share"].astype(float).replace(0.0, np.nan)
    state["used_ha"] = (state["used_ha"].astype(float) * share[share > 0] / full).fillna(0.0)
    state["share"] = share[share > 0]
    return state


def allocation_map(instance: Instance, alloc: pd.DataFrame, path: Path, raster=None, year: int | None = None) -> None:
    """Each unit in the colour of the (non-stacking) claim it is allocated to; a legend with the claims' names.

    ``year``: the map is of that period's state of a phased run (``alloc`` already holds only its pairs), and its
    title says so."""
    from matplotlib.patches import Patch

    plt = _plt()
    config = instance.config
    rgb = {k: tuple(int(c) / 255 for c in v.split(",")) + (1.0,) for k, v in claim_colours(config.claims).items()}
    colours = np.tile(np.array(EMPTY), (len(instance.units), 1))
    stacking = {k for k, c in config.claims.items() if c.stacking}
    land = alloc[~alloc["claim"].isin(stacking)] if len(alloc) else alloc
    index = pd.Index(instance.units["unit_id"].astype(str))
    handles = []
    for claim in config.claims:
        if claim in stacking or len(land) == 0:
            continue
        units = index.get_indexer(land.loc[land["claim"] == claim, "unit_id"].astype(str))
        if len(units):
            colours[units[units >= 0]] = rgb[claim]
            handles.append(Patch(color=rgb[claim], label=config.claim_name(claim)))
    fig, axes = _figure(plt, raster, instance)
    ax = axes[0][0]
    level = config.regions[0]
    _draw(ax, instance, raster, colours, level)
    handles.append(Patch(color=EMPTY, label="not allocated"))
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
    ax.set_axis_off()
    when = f" in {year}" if year is not None else ""
    ax.set_title(f"Allocation by claim{when} (land use; stacked claims not shown)", fontsize=10)
    fig.savefig(path, bbox_inches="tight")  # a long claim name in the legend is not cut off
    plt.close(fig)


def unmet_share(summary: pd.DataFrame, level: str) -> pd.Series:
    """Per region of ``level`` with a floor: the largest unmet share of its floors (0 when every floor is met)."""
    floors = summary[(summary["level"] == level) & summary["demand_min"].notna()]
    if floors.empty:
        return pd.Series(dtype=float)
    short = [is_short(s, f) for s, f in zip(floors["shortfall"], floors["demand_min"])]
    share = np.where(short, floors["shortfall"].astype(float) / floors["demand_min"].astype(float).clip(lower=1e-12), 0.0)
    return pd.Series(share, index=floors["region"].astype(str).to_numpy()).groupby(level=0).max()


def levels_with_floors(instance: Instance, summary: pd.DataFrame) -> list[str]:
    have = set(summary.loc[summary["demand_min"].notna(), "level"])
    return [lv for lv in instance.config.regions if lv in have]


def shortfall_map(instance: Instance, summary: pd.DataFrame, path: Path, raster=None) -> list[str]:
    """One panel per region level with floors (one that says so when no region has a floor); returns the panel titles."""
    from matplotlib.patches import Patch

    levels = levels_with_floors(instance, summary)
    plt = _plt()
    if not levels:
        from matplotlib.patches import Patch

        fig, axes = _figure(plt, raster, instance)
        _draw(axes[0][0], instance, raster, np.tile(np.array(EMPTY), (len(instance.units), 1)), instance.config.regions[0])
        title = "No region has a demand floor: nothing to fall short of"
        axes[0][0].set_title(title, fontsize=10)
        axes[0][0].set_axis_off()
        axes[0][0].legend(handles=[Patch(color=EMPTY, label="no regional floor")], loc="upper left", bbox_to_anchor=(1.0, 1.0),
                          fontsize=7, frameon=False)
        fig.savefig(path, bbox_inches="tight")  # a long claim name in the legend is not cut off
        plt.close(fig)
        return [title]
    fig, axes = _figure(plt, raster, instance, len(levels))
    titles = []
    for ax, level in zip(axes[0], levels):
        share = unmet_share(summary, level)
        codes = instance.units[level].astype(str)
        classes = np.full(len(codes), -1)
        has = codes.isin(share.index).to_numpy()
        values = codes[has].map(share).to_numpy(float)
        classes[has] = np.searchsorted([c[0] for c in SHORT_CLASSES], values, side="left")
        palette = np.array([c[2] for c in SHORT_CLASSES] + [EMPTY])
        names = instance.config.region_names.get(level, {})
        labels = {code: names.get(code, code) for code in codes.unique()} if codes.nunique() <= MAX_LABELS else None
        _draw(ax, instance, raster, palette[classes], level, labels)
        short = int((share > 0).sum())
        noun = plural(level_name(level))
        titles.append(f"{capital(level_name(level))} floors: every one met ({len(share)} {noun} with floors)" if short == 0 else
                      f"{capital(level_name(level))} floors: {short} of {len(share)} {noun} short of a floor")
        ax.set_title(titles[-1], fontsize=10)
        ax.set_axis_off()
        shown = sorted(set(np.unique(classes[has])))
        handles = [Patch(color=SHORT_CLASSES[c][2], label=SHORT_CLASSES[c][1]) for c in shown]
        if (~has).any():
            handles.append(Patch(color=EMPTY, label=f"no {level_name(level)} floor"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False,
                  title="largest unmet share\nof a floor", title_fontsize=7)
    title = "Shortfall against demand floors (national floors: see the text)" if NATIONAL in set(summary["level"]) else ""
    if "period" in summary.columns and summary["period"].notna().any():  # a phased run: a floor of any period counts
        title = (title or "Shortfall against demand floors") + "; each region by its worst floor of any period"
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, bbox_inches="tight")  # a long claim name in the legend is not cut off
    plt.close(fig)
    return titles
