"""report.html and factsheets.html for a run folder: maps, tables and the trade-offs, in names.

The report is static HTML with PNG maps beside it, readable in any browser without a server.
It is built from the run folder's own tables; the geometry and the region nesting come from
the instance the manifest names. Every sentence comes from :mod:`.facts` and carries the
figures it states (``data-facts``), so a test can check it against the tables; tables show
names (codes in brackets where a region has a name) and each quantity in its own measure.

factsheets.html holds one printable page per region of the first level: what the region is
asked, what it gets, which floors of it and of the regions inside it fall short, and which of
its constraints have a shadow price. In a phased run each sheet also states, period by period,
the hectares each claim holds by that year and the floors of that year that fall short; the
report draws one allocation map per period (map_allocation_<year>.png).

The report's sections are the functions in :data:`REPORT_SECTIONS`; a new trade-off is one
more function there.
"""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.inputs.schema import NATIONAL
from ruimtepuzzel.model.outputs import facts as F
from ruimtepuzzel.model.outputs import numbers as fmt
from ruimtepuzzel.model.outputs import park_facts as P
from ruimtepuzzel.model.outputs.maps import allocation_map, period_state, shortfall_map, unit_raster
from ruimtepuzzel.model.outputs.names import capital, level_name, measure_name, plural, region_label, rule_name

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #1f6f8b; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; } th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #ddd; }
th { background: #f0f4f6; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.meta { color: #555; } .maps { display: flex; gap: 1em; flex-wrap: wrap; } .maps img { max-width: 100%; border: 1px solid #ccc; }
.maps img.one { width: 520px; } .short { color: #b30000; font-weight: 600; }
section.sheet { page-break-after: always; margin-bottom: 3em; }
"""


# --------------------------------------------------------------------------- reading a run


def _read(run_dir: Path, name: str, levels=()) -> pd.DataFrame | None:
    path = run_dir / name
    if not path.exists():
        return None
    text = {c: str for c in ("region", "unit_id", "key", "zone", "level", "claim", "measure", *levels)}
    return pd.read_csv(path, dtype=text, keep_default_na=True)


def read_run(run_dir: Path, instance: Instance) -> tuple[F.RunTables, dict]:
    """The run's tables as the sentences read them, and the optional extras (rules, rule costs)."""
    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    levels = instance.config.regions
    summary = _read(run_dir, "summary.csv", levels)
    alloc = _read(run_dir, "allocation.csv", levels)
    duals = _read(run_dir, "duals.csv")
    if duals is not None and manifest.get("shadow_prices") is False:
        duals = None
    columns = list(dict.fromkeys(list(levels) + [r.zone_attr for r in instance.config.resources.values()
                                                 if r.zone_attr in instance.units.columns]))
    uses = None
    if "current_use" in instance.units.columns:
        uses = pd.Series(instance.units["current_use"].to_numpy(), index=instance.units["unit_id"].astype(str))
    tables = F.RunTables(manifest, summary, alloc if alloc is not None else pd.DataFrame(columns=["unit_id", "claim", "used_ha"]),
                         duals, instance.config, instance.units[columns], uses)
    extras = {"rules": _read(run_dir, "rules.csv"), "rule_costs": _read(run_dir, "rule_costs.csv"),
              "pareto": (run_dir / "pareto.png").exists()}
    return tables, extras


# --------------------------------------------------------------------------- HTML pieces


def _static(text: str, tag: str = "h2") -> str:
    """A heading or caption that states no figure (it carries an empty fact list, so the check sees it)."""
    return F.Statement(text, []).html(tag)


def _cell(value, decimals: int = 1) -> str:
    if isinstance(value, (bool, np.bool_)):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, (int, np.integer)):
        return f'<td class="n">{fmt.number(value)}</td>'
    if isinstance(value, (float, np.floating)):
        return f'<td class="n">{fmt.number(value, decimals)}</td>'
    return f"<td>{'' if value is None or value != value else html.escape(str(value))}</td>"


def _table(frame: pd.DataFrame, decimals: dict | None = None) -> str:
    """``decimals``: per column, an int or a column of ints (one per row)."""
    decimals = decimals or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for i, rec in enumerate(frame.itertuples(index=False)):
        cells = []
        for column, value in zip(frame.columns, rec):
            d = decimals.get(column, 1)
            cells.append(_cell(value, int(d[i]) if isinstance(d, (list, np.ndarray, pd.Series)) else d))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _demand_table(t: F.RunTables, rows: pd.DataFrame, with_region: bool) -> str:
    """One row per summary row: names, the measure, and floor, ceiling, allocated and shortfall in that measure."""
    measure = rows["measure"].where(rows["measure"].notna(), "ha").to_numpy()
    allocated = np.where(rows["allocated"].notna(), rows["allocated"].astype(float), rows["allocated_ha"].astype(float))
    out = pd.DataFrame({
        "Claim": [t.config.claim_name(k) for k in rows["claim"]],
        "Measure": [measure_name(m) for m in measure],
        "Floor": rows["demand_min"].astype(float).to_numpy(),
        "Ceiling": rows["demand_max"].astype(float).to_numpy(),
        "Allocated": allocated,
        "Shortfall": rows["shortfall"].astype(float).to_numpy(),
        "% met": rows["pct_met"].astype(float).to_numpy(),
        "Land used (ha)": rows["allocated_ha"].astype(float).to_numpy(),
    })
    if with_region:
        out.insert(0, "Region", [region_label(t.config, lv, r) for lv, r in zip(rows["level"], rows["region"])])
    if "period" in rows.columns and rows["period"].notna().any():  # a phased run: each row is of one period
        out.insert(0, "Period", rows["period"].astype("Int64").astype(str).to_numpy())
    decimals = {c: [fmt.measure_decimals(m, v if v == v else 0.0) for m, v in zip(measure, out[c])]
                for c in ("Floor", "Ceiling", "Allocated", "Shortfall")}
    return _table(out, {**decimals, "% met": 1, "Land used (ha)": 1})


def _list(items: list[F.Statement]) -> str:
    return "<ul>" + "".join(s.html("li") for s in items) + "</ul>" if items else ""


# --------------------------------------------------------------------------- the report's sections


def _section_shortfall(t: F.RunTables, extras: dict) -> str:
    short = t.floors[[F.is_short(s, f) for s, f in zip(t.floors["shortfall"], t.floors["demand_min"])]]
    parts = [_static("Where demand is not met"), F.floors_overview(t).html()]
    if len(short):
        parts.append(_demand_table(t, short, with_region=True))
    return "\n".join(parts)


def _section_national(t: F.RunTables, extras: dict) -> str:
    national = t.summary[t.summary["level"] == NATIONAL]
    return "\n".join([_static("What is allocated"), F.land_overview(t).html(), _demand_table(t, national, with_region=False)])


def _section_parks(t: F.RunTables, extras: dict) -> str:
    """Existing business parks that change use, and the land for firms that replaces them (with a no-net-loss rule)."""
    statements = P.park_statements(t, NATIONAL, "NL")
    if not statements:
        return ""
    return "\n".join([_static("Business parks that change use")] + [s.html() for s in statements])


def _section_per_region(t: F.RunTables, extras: dict) -> str:
    """Allocated hectares per region of the first level and claim; one table per period in a phased run."""
    level = t.config.regions[0]
    rows = t.summary[t.summary["level"] == level]
    periods = t.manifest.get("periods")
    if not periods:
        return "\n".join([F.Statement(f"Allocated hectares per {level_name(level)} (used area, ha)", []).html("h2"),
                          _region_table(t, level, rows)])
    parts = [F.Statement(f"Allocated hectares per {level_name(level)} and period (used area, ha)", []).html("h2")]
    for year, fact in F.period_facts(t):
        parts += [F.Statement(f"In {year}", [fact]).html("h3"), _region_table(t, level, rows[rows["period"] == year])]
    return "\n".join(parts)


def _region_table(t: F.RunTables, level: str, rows: pd.DataFrame) -> str:
    pivot = rows.pivot_table(index="region", columns="claim", values="allocated_ha", aggfunc="sum", sort=True).fillna(0.0)
    pivot = pivot[[k for k in t.config.claims if k in pivot.columns]]
    pivot.columns = [t.config.claim_name(k) for k in pivot.columns]
    pivot.insert(0, capital(plural(level_name(level))), [region_label(t.config, level, r) for r in pivot.index])
    return _table(pivot.reset_index(drop=True), {})


def _section_prices(t: F.RunTables, extras: dict) -> str:
    parts = [_static("Shadow prices (integer decisions fixed)"), F.prices_overview(t).html()]
    if t.duals is not None:
        nz = t.priced_rows(NATIONAL, "NL", "all").sort_values("shadow_price", key=np.abs, ascending=False, kind="stable")
        if len(nz):
            parts.append(_table(pd.DataFrame({
                "Row": [F.describe_row(t, r)[0] for _, r in nz.iterrows()],
                "Shadow price": nz["shadow_price"].astype(float).to_numpy(),
                "Unit": nz["unit"].to_numpy(),
                "Binding": nz["binding"].astype(str).str.lower().eq("true").to_numpy(),
            }), {"Shadow price": [fmt.significant_decimals(v) for v in nz["shadow_price"].astype(float)]}))
    return "\n".join(parts)


def _section_rules(t: F.RunTables, extras: dict) -> str:
    rules = extras.get("rules")
    if rules is None:
        return ""
    if rules.empty:
        return "\n".join([_static("What the rules exclude"), _static("No hard rule or filter removes any land.", "p")])
    top = rules[rules["level"] == NATIONAL].sort_values("excluded_ha", ascending=False, kind="stable")
    table = pd.DataFrame({"Rule": [rule_name(t.config, r) for r in top["rule"]],
                          "Claim": [t.config.claim_name(k) for k in top["claim"]],
                          "Excluded (ha)": top["excluded_ha"].astype(float).to_numpy(),
                          "Excluded by this rule alone (ha)": top["excluded_only_ha"].astype(float).to_numpy()})
    return "\n".join([_static("What the rules exclude (national, eligible land removed)"), _table(table, {})])


def _section_rule_costs(t: F.RunTables, extras: dict) -> str:
    costs = extras.get("rule_costs")
    if costs is None:
        return ""
    shown = costs.copy()
    shown.insert(1, "description", [rule_name(t.config, r) for r in shown["rule"]])
    return "\n".join([_static("What each hard rule costs (re-solve without it)"), _table(shown)])


def _section_pareto(t: F.RunTables, extras: dict) -> str:
    if not extras.get("pareto"):
        return ""
    return "\n".join([_static("Pareto front"), "<img src='pareto.png' alt='Pareto front'>"])


REPORT_SECTIONS: list[Callable[[F.RunTables, dict], str]] = [
    _section_shortfall, _section_national, _section_parks, _section_per_region, _section_prices, _section_rules, _section_rule_costs,
    _section_pareto,
]


# --------------------------------------------------------------------------- fact sheets


def fact_sheet(t: F.RunTables, level: str, region: str) -> str:
    parts = [F.sheet_heading(t, level, region).html("h2")]
    parts += [s.html() for s in F.sheet_asked(t, level, region)]
    parts.append(F.sheet_gets(t, level, region).html())
    parts += [s.html() for s in P.park_statements(t, level, region)]
    head, lines = F.sheet_shortfall(t, level, region)
    parts += [head.html(css="short" if lines else None), _list(lines)]
    own = t.summary[(t.summary["level"] == level) & (t.summary["region"].astype(str) == str(region))]
    own = own[own["demand_min"].notna() | own["demand_max"].notna() | (own["allocated_ha"] > 0)]
    parts += [_static(f"Claims in this {level_name(level)}", "h3"), _demand_table(t, own, with_region=False)]
    within = t.scope_rows(t.floors, level, region, "within")
    sub = within[within["level"] != level]
    if len(sub):
        parts += [_static("Floors of the regions in it", "h3"), _demand_table(t, sub, with_region=True)]
    periods = F.period_facts(t)
    if periods:  # a phased run: what the region holds and which floors fall short, period by period
        parts.append(_static("Period by period", "h3"))
        for year, fact in periods:
            parts += [F.Statement(f"By {year}", [fact]).html("h4"), F.sheet_period_gets(t, level, region, year, fact).html()]
            head, lines = F.sheet_period_shortfall(t, level, region, year, fact)
            parts += [head.html(css="short" if lines else None), _list(lines)]
    parts.append(_static("What its binding constraints cost", "h3"))
    head, lines = F.sheet_prices(t, level, region)
    parts += [head.html(), _list(lines)]
    return f"<section class='sheet' id='{html.escape(str(region))}'>" + "\n".join(parts) + "</section>"


# --------------------------------------------------------------------------- writing


def allocation_map_name(year: int | None = None) -> str:
    """map_allocation.png, or map_allocation_<year>.png for one period of a phased run."""
    return "map_allocation.png" if year is None else f"map_allocation_{int(year)}.png"


def write_report(run_dir: Path, instance: Instance, maps: bool = True) -> Path:
    """Write report.html, factsheets.html, map_allocation.png and map_shortfall.png into ``run_dir``; a phased run
    gets map_allocation_<year>.png, one per period's state, instead of map_allocation.png.

    ``maps=False`` leaves the two PNG files out (the HTML still refers to them): for checks of the text alone.
    """
    run_dir = Path(run_dir)
    t, extras = read_run(run_dir, instance)
    periods = [int(y) for y in t.manifest.get("periods") or []]
    panels = ["shortfall map not drawn"]
    if maps:
        raster = unit_raster(instance)
        if periods:  # one map per period's state, map_allocation_<year>.png
            for year in periods:
                allocation_map(instance, period_state(t.allocation, year), run_dir / allocation_map_name(year), raster, year)
        else:
            allocation_map(instance, t.allocation, run_dir / "map_allocation.png", raster)
        panels = shortfall_map(instance, t.summary, run_dir / "map_shortfall.png", raster)
    level = t.config.regions[0]
    if periods:
        images = "".join(f"<img class='one' src='{allocation_map_name(y)}' alt='allocation map, {y}'>" for y in periods)
    else:
        images = "<img class='one' src='map_allocation.png' alt='allocation map'>"
    images += f"<img class='{'one' if len(panels) == 1 else 'many'}' src='map_shortfall.png' alt='shortfall map: {html.escape('; '.join(panels))}'>"
    parts = [F.run_heading(t).html("h1"), F.run_status(t).html(css="meta"), F.run_size(t).html(css="meta"),
             f"<p class='meta' data-facts='[]'><a href='factsheets.html'>Fact sheets per {html.escape(level_name(level))}</a></p>",
             f"<div class='maps'>{images}</div>"]
    parts += [section(t, extras) for section in REPORT_SECTIONS]
    title = t.manifest["instance"] + (f" — {t.manifest['scenario']}" if t.manifest.get("scenario") else "")
    (run_dir / "report.html").write_text(_page(f"ruimtepuzzel — {title}", "\n".join(p for p in parts if p)))

    regions = sorted(t.summary.loc[t.summary["level"] == level, "region"].dropna().astype(str).unique())
    sheets = [fact_sheet(t, level, r) for r in regions]
    (run_dir / "factsheets.html").write_text(_page(f"Fact sheets — {title}", "\n".join(sheets)))
    return run_dir / "report.html"


def instance_of_run(run_dir: Path, given=None) -> tuple[Instance, list[str]]:
    """The instance a run was solved on, with warnings: ``given`` (a folder or a built-in name) if set, else the
    folder the manifest names, else the built-in instance of the manifest's name. An instance folder that moved
    is an input error naming the folder the manifest gives; one of another name is an input error too."""
    from ruimtepuzzel.model.errors import InputError
    from ruimtepuzzel.model.inputs.builtin import INSTANCES, resolve_instance
    from ruimtepuzzel.model.inputs.instance import load_instance

    run_dir = Path(run_dir)
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists() or not (run_dir / "summary.csv").exists():
        raise InputError(f"{run_dir}: not the folder of a solved run (no manifest.json or summary.csv)")
    manifest = json.loads(manifest_path.read_text())
    warnings = []
    if given is not None:
        folder = resolve_instance(str(given))
    else:
        folder = Path(manifest.get("instance_folder", ""))
        if not (folder / "instance.yaml").exists():
            fallback = INSTANCES / manifest["instance"]
            if not (fallback / "instance.yaml").exists():
                raise InputError(f"{run_dir}: the instance folder its manifest names, {folder}, is not there (moved?); "
                                 "give the instance with --instance FOLDER")
            warnings.append(f"{folder} is not there; using the built-in instance {manifest['instance']} ({fallback})")
            folder = fallback
    instance = load_instance(folder, manifest.get("scenario"))
    if instance.name != manifest["instance"]:
        raise InputError(f"{folder} is instance {instance.name!r}, but {run_dir} is a run of {manifest['instance']!r}")
    if instance.content_hash() != manifest.get("instance_hash"):
        warnings.append(f"{folder} changed since this run (its hash differs from the manifest's); the maps use its current geometry")
    return instance, warnings


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")
