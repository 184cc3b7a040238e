"""report.html and factsheets.html for a run folder: maps, tables and the trade-offs.

The report is static HTML with PNG maps beside it (matplotlib via geopandas), readable in
any browser without a server. It is built from the run folder's own tables; the geometry
comes from the instance the manifest names (units of every region, for the shortfall map).

factsheets.html holds one printable page per region of the first level: what the region is
asked, what it gets, where it falls short, and what its binding constraints cost.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.outputs.styles import claim_colours

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #1f6f8b; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; } th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #ddd; }
th { background: #f0f4f6; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.meta { color: #555; } .maps { display: flex; gap: 1em; flex-wrap: wrap; } .maps img { width: 520px; border: 1px solid #ccc; }
.short { color: #b30000; font-weight: 600; } section.sheet { page-break-after: always; margin-bottom: 3em; }
"""


def _table(frame: pd.DataFrame, digits: int = 1) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for rec in frame.itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, (float, np.floating)):
                cells.append(f'<td class="n">{"" if np.isnan(v) else f"{v:,.{digits}f}"}</td>')
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                cells.append(f'<td class="n">{v:,}</td>')
            else:
                cells.append(f"<td>{html.escape(str(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _read(run_dir: Path, name: str) -> pd.DataFrame | None:
    path = run_dir / name
    return pd.read_csv(path, dtype={"region": str, "unit_id": str}, keep_default_na=True) if path.exists() else None


def _maps(instance: Instance, alloc: pd.DataFrame, summary: pd.DataFrame, level: str, out: Path) -> None:
    import geopandas as gpd
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    units = gpd.GeoDataFrame(instance.units[["unit_id", level]].copy(), geometry=list(instance.geometry), crs=instance.config.crs)
    colours = claim_colours(instance.config.claims)
    fig, ax = plt.subplots(figsize=(7, 7.5), dpi=90)
    units.plot(ax=ax, color="#e8e8e8", linewidth=0)
    placed = units.merge(alloc.drop_duplicates("unit_id")[["unit_id", "claim"]], on="unit_id")
    handles = []
    for claim, part in placed.groupby("claim"):
        rgb = tuple(int(c) / 255 for c in colours[claim].split(","))
        part.plot(ax=ax, color=rgb, linewidth=0)
        handles.append(Patch(color=rgb, label=instance.config.claims[claim].label or claim))
    ax.legend(handles=handles, loc="lower right", fontsize=7, frameon=True)
    ax.set_axis_off()
    ax.set_title("Allocation by claim")
    fig.tight_layout()
    fig.savefig(out / "map_allocation.png")
    plt.close(fig)

    floors = summary[(summary["level"] == level) & summary["demand_min"].notna() & summary["shortfall_ha"].notna()]
    short = floors.groupby("region")["shortfall_ha"].sum()
    units["shortfall_ha"] = units[level].astype(str).map(short).fillna(0.0)
    fig, ax = plt.subplots(figsize=(7, 7.5), dpi=90)
    units.plot(ax=ax, column="shortfall_ha", cmap="Reds", linewidth=0, legend=True, vmin=0,
               legend_kwds={"label": f"shortfall (ha) per {level}", "shrink": 0.6})
    ax.set_axis_off()
    ax.set_title(f"Shortfall per {level} (all claims, ha)")
    fig.tight_layout()
    fig.savefig(out / "map_shortfall.png")
    plt.close(fig)


def _region_table(summary: pd.DataFrame, level: str, region: str) -> pd.DataFrame:
    rows = summary[(summary["level"] == level) & (summary["region"] == region)]
    rows = rows[rows["demand_min"].notna() | rows["demand_max"].notna() | (rows["allocated_ha"] > 0)]
    return rows[["claim", "demand_min", "demand_max", "allocated_ha", "shortfall_ha", "pct_met"]]


def _region_prices(duals: pd.DataFrame | None, region: str) -> pd.DataFrame:
    if duals is None or duals.empty:
        return pd.DataFrame(columns=["family", "key", "shadow_price", "unit"])
    mine = duals[((duals["region"] == region) | (duals["zone"] == region)) & (duals["shadow_price"] != 0)]
    return mine[["family", "key", "shadow_price", "unit"]]


def write_report(run_dir: Path, instance: Instance) -> Path:
    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    summary, alloc = _read(run_dir, "summary.csv"), _read(run_dir, "allocation.csv")
    rules, duals, costs = _read(run_dir, "rules.csv"), _read(run_dir, "duals.csv"), _read(run_dir, "rule_costs.csv")
    level = instance.config.regions[0]
    _maps(instance, alloc, summary, level, run_dir)

    floors = summary[summary["demand_min"].notna()]
    short = floors[floors["shortfall_ha"].fillna(0) > 1e-6]
    regions = sorted(summary.loc[summary["level"] == level, "region"].dropna().unique())
    size = manifest.get("size", {})
    parts = [f"<h1>{html.escape(manifest['instance'])}{' — ' + html.escape(manifest['scenario']) if manifest.get('scenario') else ''}</h1>",
             f"<p class='meta'>status <b>{manifest['status']}</b>, objective {manifest['objective']:,.1f}, gap {manifest['gap'] or 0:.4%}; "
             f"{size.get('units', 0):,} units, {size.get('pairs', 0):,} pairs, {size.get('rows', 0):,} rows; solve {manifest['times_s']['solve']:.1f} s. "
             f"Instance hash {manifest['instance_hash'][:12]}. <a href='factsheets.html'>Fact sheets per {level}</a>.</p>",
             "<div class='maps'><img src='map_allocation.png' alt='allocation map'><img src='map_shortfall.png' alt='shortfall map'></div>",
             "<h2>Where demand is not met</h2>",
             _table(short[["level", "region", "claim", "demand_min", "allocated_ha", "shortfall_ha", "pct_met"]]) if len(short)
             else "<p>Every demand floor is met.</p>"]
    national = summary[summary["level"] == "national"][["claim", "demand_min", "demand_max", "allocated_ha", "shortfall_ha"]]
    parts += ["<h2>National totals per claim</h2>", _table(national)]
    pivot = summary[(summary["level"] == level)].pivot_table(index="region", columns="claim", values="allocated_ha", aggfunc="sum").fillna(0)
    parts += [f"<h2>Allocated hectares per {level}</h2>", _table(pivot.reset_index(), 0)]
    if duals is not None and len(duals):
        nz = duals[duals["shadow_price"] != 0].sort_values("shadow_price", key=np.abs, ascending=False)
        parts += ["<h2>Shadow prices (integer decisions fixed)</h2>",
                  _table(nz[["family", "key", "shadow_price", "unit", "binding"]]) if len(nz) else "<p>No constraint has a non-zero shadow price.</p>"]
    if rules is not None:
        top = rules[rules["level"] == "national"].sort_values("excluded_ha", ascending=False)
        parts += ["<h2>What the rules exclude (national, ha)</h2>", _table(top[["rule", "claim", "excluded_ha", "excluded_only_ha"]], 0)]
    if costs is not None:
        parts += ["<h2>What each hard rule costs (re-solve without it)</h2>", _table(costs)]
    if (run_dir / "pareto.png").exists():
        parts += ["<h2>Pareto front</h2>", "<img src='pareto.png' alt='Pareto front'>"]
    (run_dir / "report.html").write_text(_page(f"ruimtepuzzel — {manifest['instance']}", "\n".join(parts)))

    sheets = []
    for region in regions:
        table = _region_table(summary, level, region)
        asked = table[table["demand_min"].notna()]
        gaps = asked[asked["shortfall_ha"].fillna(0) > 1e-6]
        prices = _region_prices(duals, region)
        sheets.append(
            f"<section class='sheet' id='{html.escape(region)}'><h2>{html.escape(level)} {html.escape(region)}</h2>"
            f"<p><b>Asked</b>: {asked['demand_min'].sum():,.1f} ha over {len(asked)} claims. <b>Gets</b>: {table['allocated_ha'].sum():,.1f} ha. "
            + (f"<span class='short'>Falls short by {gaps['shortfall_ha'].sum():,.1f} ha ({', '.join(gaps['claim'])}).</span>" if len(gaps)
               else "Every floor is met.") + "</p>"
            + _table(table) + "<h3>What its binding constraints cost</h3>"
            + (_table(prices) if len(prices) else "<p>No binding constraint of this region has a price.</p>") + "</section>")
    (run_dir / "factsheets.html").write_text(_page(f"Fact sheets — {manifest['instance']}", "\n".join(sheets)))
    return run_dir / "report.html"


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")
