"""An independent check of report.html and factsheets.html against a run folder's tables.

Every paragraph, list item and heading of the report carries the facts its text states
(``data-facts``, see ``model/outputs/facts.py``). This module recomputes each fact from the
run's CSV files, its manifest and the instance's units file, in its own plain pandas code (it
imports nothing from the model), and checks that every number in the text is one of the facts.

    statements = check_report(run_dir, instance_folder)   # raises AssertionError naming the sentence
"""
from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import yaml

CHECKED_TAGS = {"p", "li", "h1", "h2", "h3", "h4"}
SKIPPED_TAGS = {"table", "style", "title", "script"}  # tables are data, not sentences
SHORT = 1e-6
NUMBER = re.compile(r"(?<![\w.,\u2212-])(<\s*)?([\u2212-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w])")


class _Statements(HTMLParser):
    """(tag, text, facts or None) for every checked element outside tables."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self._open, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self._skip += 1
        elif tag in CHECKED_TAGS and not self._skip:
            self._open.append([tag, [], dict(attrs).get("data-facts")])

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS:
            self._skip -= 1
        elif tag in CHECKED_TAGS and self._open and self._open[-1][0] == tag and not self._skip:
            tag, parts, facts = self._open.pop()
            self.found.append((tag, "".join(parts).strip(), None if facts is None else json.loads(facts)))

    def handle_data(self, data):
        if self._open and not self._skip:
            self._open[-1][1].append(data)


def statements(path: Path) -> list[tuple[str, str, list | None]]:
    parser = _Statements()
    parser.feed(Path(path).read_text())
    return parser.found


# --------------------------------------------------------------------------- the tables, read plainly


class Tables:
    def __init__(self, run_dir: Path, instance_folder: Path):
        run_dir = Path(run_dir)
        self.manifest = json.loads((run_dir / "manifest.json").read_text())
        config = yaml.safe_load((Path(instance_folder) / "instance.yaml").read_text())
        scenario = self.manifest.get("scenario")
        if scenario:
            overlay = yaml.safe_load((Path(instance_folder) / "scenarios" / f"{scenario}.yaml").read_text())
            config = _merge(config, overlay)
        self.config = config
        self.levels = list(config["regions"])
        text = {c: str for c in ["level", "region", "claim", "measure", "unit_id", "key", "zone", "family"] + self.levels}
        self.summary = pd.read_csv(run_dir / "summary.csv", dtype=text)
        self.allocation = pd.read_csv(run_dir / "allocation.csv", dtype=text)
        self.duals = pd.read_csv(run_dir / "duals.csv", dtype=text) if self.manifest.get("shadow_prices", True) else None
        self.units = _units(Path(instance_folder), config, self.levels)
        self.uses = self.units.set_index("unit_id")["current_use"] if "current_use" in self.units.columns else None
        self.stacking = {k for k, c in config["claims"].items() if (c or {}).get("stacks_on")}
        self.floors = self.summary[self.summary["demand_min"].notna()]
        extra = {c: str for c in ["level", "region", "claim", "group"]}
        self.ranges = pd.read_csv(run_dir / "ranges.csv", dtype=extra) if (run_dir / "ranges.csv").exists() else None
        self.importance = pd.read_csv(run_dir / "importance.csv", dtype=extra) if (run_dir / "importance.csv").exists() else None

    def region_name(self, level, code):
        if level == "national":
            return "the Netherlands"
        return str(self.config.get("region_names", {}).get(level, {}).get(code, code))

    def claim_name(self, claim):
        return (self.config["claims"].get(claim) or {}).get("label") or claim

    def in_region(self, level, region) -> pd.Series:
        return pd.Series(True, index=self.units.index) if level == "national" else self.units[level] == region

    def finer_regions(self, level, region) -> set[tuple[str, str]]:
        finer = self.levels if level == "national" else self.levels[self.levels.index(level) + 1:]
        inside = self.units[self.in_region(level, region)]
        return {(lv, code) for lv in finer for code in inside[lv].unique()}

    def in_scope(self, frame, level, region, scope) -> pd.DataFrame:
        if scope == "all":
            return frame
        keys = set(zip(frame["level"], frame["region"]))
        own = {(level, region)}
        chosen = {"own": own, "inside": self.finer_regions(level, region), "within": own | self.finer_regions(level, region)}[scope]
        return frame[[k in chosen for k in zip(frame["level"], frame["region"])]] if keys else frame.iloc[0:0]

    def short(self, rows) -> pd.DataFrame:
        return rows[rows["shortfall"].astype(float) > SHORT * rows["demand_min"].astype(float).clip(lower=1.0)]


def _merge(base: dict, overlay: dict) -> dict:
    out = dict(base)
    for k, v in overlay.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _units(folder: Path, config: dict, levels: list[str]) -> pd.DataFrame:
    names = [config["units"]] if config.get("units") else ["units.gpkg", "units.csv", "units.csv.gz"]
    path = next(folder / n for n in names if (folder / n).exists())
    zones = [r["zone_attr"] for r in (config.get("resources") or {}).values() if r.get("zone_attr")]  # none: one national zone
    columns = list(dict.fromkeys(levels + zones + (["unit_id", "current_use"] if config.get("compensation") else [])))
    if path.suffix == ".gpkg":
        import pyogrio

        units = pyogrio.read_dataframe(path, layer="units", columns=columns, read_geometry=False)
    else:
        units = pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False)
    return units.astype(str)


# --------------------------------------------------------------------------- facts, recomputed


def recompute(t: Tables, fact: dict):
    kind, w = fact["kind"], fact["where"]
    if kind == "manifest":
        value = t.manifest
        for part in w["key"].split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if w.get("prefix"):
            return fact["value"] if str(value).startswith(fact["value"]) else value
        if w.get("last"):
            return value[-1]
        if "index" in w:
            return value[w["index"]]
        return value * w.get("scale", 1.0) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    if kind == "summary":
        rows = t.summary[(t.summary["level"] == w["level"]) & (t.summary["region"] == w["region"]) & (t.summary["claim"] == w["claim"])]
        if "period" in w:
            rows = rows[rows["period"] == w["period"]]
        assert len(rows) == 1, f"summary.csv has {len(rows)} rows for {w}"
        value = rows.iloc[0][w["column"]]
        return None if isinstance(value, float) and math.isnan(value) else value
    if kind in ("floors", "floors_short"):
        rows = t.in_scope(t.floors, w["level"], w["region"], w["scope"])
        if "period" in w:
            rows = rows[rows["period"].astype(int) == int(w["period"])]
        return len(rows) if kind == "floors" else len(t.short(rows))
    if kind in ("land_ha", "stacked_ha"):
        a = t.allocation if w["level"] == "national" else t.allocation[t.allocation[w["level"]] == w["region"]]
        stacked = a["claim"].isin(t.stacking)
        return float(a.loc[stacked if kind == "stacked_ha" else ~stacked, "used_ha"].astype(float).sum())
    if kind == "regions_within":
        return int(t.units.loc[t.in_region(w["level"], w["region"]), w["of"]].nunique())
    if kind == "priced_rows":
        return None if t.duals is None else len(t.duals)
    if kind == "priced":
        nonzero = t.duals[t.duals["shadow_price"].astype(float) != 0]
        if w["scope"] == "all":
            return len(nonzero)
        regional = t.in_scope(nonzero[nonzero["level"].notna()], w["level"], w["region"], "within")
        inside = t.units[t.in_region(w["level"], w["region"])]
        zoned = {name: r for name, r in (t.config.get("resources") or {}).items() if r.get("zone_attr")}  # a national cap is no region's
        keys = {f"{name} {zone}" for name, r in zoned.items() for zone in inside[r["zone_attr"]].unique()
                if zone in {str(z) for z in r["cap"]}}
        return len(regional) + int((nonzero["family"].eq("resources") & nonzero["key"].isin(keys)).sum())
    if kind in ("dual", "dual_zone", "dual_key"):
        rows = t.duals[t.duals["key"] == w["key"]]
        rows = rows[rows["family"] == w["family"]] if "family" in w else rows
        assert len(rows) == 1, f"duals.csv has {len(rows)} rows for {w}"
        if kind == "dual" and w.get("column", "shadow_price") != "shadow_price":
            return int(rows.iloc[0][w["column"]])
        return {"dual": float(rows.iloc[0]["shadow_price"]), "dual_zone": rows.iloc[0]["zone"], "dual_key": rows.iloc[0]["key"]}[kind]
    if kind == "range":  # a cell of ranges.csv (alternatives)
        r = t.ranges
        rows = r[(r["level"] == w["level"]) & (r["region"] == w["region"]) & (r["claim"] == w["claim"])]
        assert len(rows) == 1, f"ranges.csv has {len(rows)} rows for {w}"
        return rows.iloc[0][w["column"]]
    if kind == "importance":  # a cell of importance.csv (alternatives)
        r = t.importance
        rows = r[(r["group"] == w["group"]) & (r["claim"] == w["claim"])]
        assert len(rows) == 1, f"importance.csv has {len(rows)} rows for {w}"
        return rows.iloc[0][w["column"]]
    if kind.startswith("park_use") or kind in ("new_work", "beyond_floors", "net_loss_regions"):
        return _parks(t, kind, w)
    if kind == "name":
        return t.region_name(w["level"], w["region"]) if w["of"] == "region" else t.claim_name(w["claim"])
    raise AssertionError(f"unknown fact kind {kind!r}")


# --------------------------------------------------------------------------- business parks that change use (no net loss)


def _park_rows(t: Tables, level, region) -> pd.DataFrame:
    """Allocation rows (stacking claims aside) in the region, with the unit's current use and whether the pair converts
    a business park (to a claim outside the work claims) or is new land for firms (a work claim on another use)."""
    comp = t.config["compensation"]
    a = t.allocation[~t.allocation["claim"].isin(t.stacking)]
    if level != "national":
        a = a[a[level] == region]
    use = a["unit_id"].map(t.uses)
    work = a["claim"].isin(comp["work_claims"])
    on_park = use == comp["business_use"]
    return a.assign(ha=a["used_ha"].astype(float), converts=on_park & ~work, new_work=~on_park & work)


def _beyond(t: Tables, level, code) -> float:
    """New land for firms of one region of the compensation level beyond the met part of its hectare floors of work claims
    (all of it without ``additional``), the last period's in a phased run."""
    comp = t.config["compensation"]
    rows = _park_rows(t, level, code)
    new = float(rows.loc[rows["new_work"], "ha"].sum())
    if not comp.get("additional"):
        return new
    f = t.floors
    f = f[(f["level"] == level) & (f["region"] == code) & f["claim"].isin(comp["work_claims"]) & (f["measure"] == "ha")]
    if t.manifest.get("periods"):
        f = f[f["period"].astype(float) == float(t.manifest["periods"][-1])]
    return new - float((f["demand_min"].astype(float) - f["shortfall"].astype(float).fillna(0.0)).sum())


def _parks(t: Tables, kind: str, w: dict):
    rows = _park_rows(t, w["level"], w["region"])
    if kind == "park_use":
        changed = rows[rows["converts"]]
        return float(changed.loc[changed["claim"] == w["claim"], "ha"].sum() if "claim" in w else changed["ha"].sum())
    if kind in ("park_use_regions", "park_use_rank"):
        per = rows[rows["converts"]].groupby(w["of"])["ha"].sum()
        per = per[per > 1e-6]
        if kind == "park_use_regions":
            return len(per)
        ranked = sorted(per.index, key=lambda code: (-per[code], code))
        return ranked[w["rank"] - 1]
    if kind == "new_work":
        return float(rows.loc[rows["new_work"], "ha"].sum())
    at = w["of"]
    codes = sorted(t.units.loc[t.in_region(w["level"], w["region"]), at].unique())
    if kind == "beyond_floors":
        return sum(_beyond(t, at, code) for code in codes)
    converted = {code: float(_park_rows(t, at, code).query("converts")["ha"].sum()) for code in codes}
    return sum(converted[code] > _beyond(t, at, code) + 1e-6 for code in codes)


def _same(stated, actual) -> bool:
    if stated is None or actual is None:
        return stated is None and actual is None
    if isinstance(stated, bool) or isinstance(actual, bool):
        return bool(stated) == bool(actual)
    if isinstance(stated, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(float(stated), float(actual), rel_tol=1e-9, abs_tol=1e-9)
    return str(stated) == str(actual)


def _numbers_in(text: str) -> list[tuple[bool, float, int]]:
    """(is an upper bound ('< 0.01'), value, decimals shown) of each number in ``text``."""
    out = []
    for m in NUMBER.finditer(text):
        below, sign, whole, frac = m.groups()
        value = float(whole.replace(",", "") + (frac or ""))
        out.append((bool(below), -value if sign else value, len(frac) - 1 if frac else 0))
    return out


def check_statement(t: Tables, tag: str, text: str, facts: list | None, where: str) -> None:
    assert facts is not None, f"{where}: <{tag}> {text!r} carries no data-facts: every sentence must state its figures"
    numeric = []
    for fact in facts:
        actual = recompute(t, fact)
        assert _same(fact["value"], actual), f"{where}: {text!r} states {fact['kind']} {fact['where']} = {fact['value']!r}; the tables say {actual!r}"
        if isinstance(fact["value"], (int, float)) and not isinstance(fact["value"], bool):
            numeric.append(float(fact["value"]))
    rest = text
    for fact in sorted((f for f in facts if isinstance(f["value"], str)), key=lambda f: -len(f["value"])):
        rest = rest.replace(fact["value"], " ")
    for below, value, decimals in _numbers_in(rest):
        half = 0.5 * 10.0 ** -decimals
        fits = [v for v in numeric if (abs(v) < value if below else abs(v - value) <= half * (1 + 1e-9))]
        assert fits, f"{where}: {text!r} states the number {value} that none of its facts {numeric} gives"


def check_report(run_dir: Path, instance_folder: Path, names=("report.html", "factsheets.html")) -> int:
    """Check the pages ``names`` (report.html and factsheets.html) of ``run_dir``; returns how many statements were checked."""
    t = Tables(run_dir, instance_folder)
    checked = 0
    for name in names:
        for tag, text, facts in statements(Path(run_dir) / name):
            check_statement(t, tag, text, facts, f"{run_dir.name}/{name}")
            checked += 1
    return checked
