"""The sentences of report.html and factsheets.html, each with the figures it states.

Every sentence a person reads in the report is built here from the run's own tables
(``summary.csv``, ``allocation.csv``, ``duals.csv``, ``manifest.json``) and the instance's
units (which sub-regions and resource zones lie in a region). A builder returns a
:class:`Statement`: the text, and the :class:`Fact` list behind it — every number, name and
count the text states, with where it comes from. The HTML carries the facts beside the text
(``data-facts``), so a test can recompute each one from the tables and check that the text
states nothing else (``tests/test_facts.py``): a sentence that can be false is a defect.

Quantities carry their measure and are never summed across measures: a province asked
60,000 dwellings and 250 ha is asked exactly that, not "60,250". A region's sheet accounts for
the floors of its sub-regions too ("every floor is met" covers the COROP regions inside it).

Fact kinds (``where`` keys in brackets; see the test for their independent recomputation):

- ``manifest`` [key]: a value of manifest.json at a dotted key; ``gap`` and ``mip_rel_gap`` in %; for a list,
  ``last`` or ``index`` picks one item (the periods of a phased run).
- ``summary`` [level, region, claim, column]: a cell of summary.csv.
- ``floors`` / ``floors_short`` [level, region, scope, period]: how many floors (rows with ``demand_min``),
  and how many of them short (shortfall above :data:`SHORT_TOLERANCE` of the floor), with
  scope ``all`` (every level), ``own`` (the region's own rows), ``inside`` (the rows of every
  finer region with units in it) or ``within`` (own and inside); with ``period``, only the rows of that period.
- ``regions_within`` [level, region, of]: how many regions of the finer level ``of`` have units in it.
- ``land_ha`` / ``stacked_ha`` [level, region]: allocated used area of non-stacking / stacking claims.
- ``priced`` [level, region, scope]: how many rows of duals.csv have a non-zero shadow price
  (scope ``all``; or ``within``: rows of the region and its finer regions, and resource caps
  of zones with units in the region); ``priced_rows``: how many rows duals.csv has.
- ``dual`` [family, key]: a shadow price from duals.csv; ``dual_zone`` [key]: the zone of a resource row;
  ``dual_key`` [family, key]: a row of a family the sentences have no words for, by its key.
- ``name`` [of, level/region/claim/rule]: a display name from the instance configuration.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from ruimtepuzzel.model.inputs.schema import NATIONAL, InstanceConfig
from ruimtepuzzel.model.outputs import numbers as fmt
from ruimtepuzzel.model.outputs.names import capital, level_name, measure_name, plural, region_label

SHORT_TOLERANCE = 1e-6  # a floor is short when its shortfall exceeds this share of the floor (at least this much)


@dataclass(frozen=True)
class Fact:
    kind: str
    where: dict
    value: object

    def as_json(self) -> dict:
        return {"kind": self.kind, "where": self.where, "value": _plain(self.value)}


@dataclass
class Statement:
    text: str
    facts: list[Fact] = field(default_factory=list)

    def html(self, tag: str = "p", css: Optional[str] = None) -> str:
        data = html.escape(json.dumps([f.as_json() for f in self.facts], ensure_ascii=False), quote=True)
        klass = f" class='{css}'" if css else ""
        return f"<{tag}{klass} data-facts=\"{data}\">{html.escape(self.text)}</{tag}>"


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value  # numpy scalars as Python's, for JSON


def is_short(shortfall, floor) -> bool:
    if shortfall is None or floor is None or pd.isna(shortfall) or pd.isna(floor):
        return False
    return float(shortfall) > SHORT_TOLERANCE * max(1.0, float(floor))


@dataclass
class RunTables:
    """What the sentences are built from: a run folder's tables, the instance configuration and its units."""

    manifest: dict
    summary: pd.DataFrame
    allocation: pd.DataFrame
    duals: Optional[pd.DataFrame]
    config: InstanceConfig
    units: pd.DataFrame  # region level columns and resource zone columns, one row per unit
    uses: Optional[pd.Series] = None  # unit_id (as text) → current_use, for the sentences on business parks (park_facts)

    def __post_init__(self):
        self.floors = self.summary[self.summary["demand_min"].notna()]
        self.stacking = {k for k, c in self.config.claims.items() if c.stacking}
        # each distinct combination of region codes and resource zones once: nesting without scanning every unit
        self.places = self.units.astype(str).drop_duplicates().reset_index(drop=True)

    # ----------------------------------------------------------------- regions

    def region_mask(self, level: str, region: str) -> np.ndarray:
        """Rows of :attr:`places` inside (level, region)."""
        if level == NATIONAL:
            return np.ones(len(self.places), bool)
        return (self.places[level] == str(region)).to_numpy()

    def finer(self, level: str) -> list[str]:
        levels = list(self.config.regions)
        return levels if level == NATIONAL else levels[levels.index(level) + 1:]

    def regions_within(self, level: str, region: str) -> dict[str, list[str]]:
        """The regions of every finer level with units in (level, region), per level."""
        mask = self.region_mask(level, region)
        return {lv: sorted(self.places.loc[mask, lv].unique()) for lv in self.finer(level)}

    def scope_rows(self, frame: pd.DataFrame, level: str, region: str, scope: str) -> pd.DataFrame:
        if scope == "all":
            return frame
        own = (frame["level"] == level) & (frame["region"].astype(str) == str(region))
        if scope == "own":
            return frame[own]
        keep = own.copy() if scope == "within" else pd.Series(False, index=frame.index)
        for lv, codes in self.regions_within(level, region).items():
            keep |= (frame["level"] == lv) & frame["region"].astype(str).isin(codes)
        return frame[keep]

    def zones_within(self, level: str, region: str) -> list[str]:
        """Resource-cap keys ('grid_mw ZW') of zones with units in the region."""
        mask = self.region_mask(level, region)
        keys = []
        for name, res in self.config.resources.items():
            if res.zone_attr in self.places.columns:
                for zone in sorted(self.places.loc[mask, res.zone_attr].dropna().unique()):  # a unit with an empty zone is in no zone
                    if zone in res.cap:
                        keys.append(f"{name} {zone}")
        return keys

    def priced_rows(self, level: str, region: str, scope: str) -> pd.DataFrame:
        if self.duals is None or self.duals.empty:
            return pd.DataFrame(columns=["family", "key", "shadow_price"])
        d = self.duals[self.duals["shadow_price"].fillna(0) != 0]
        if scope == "all":
            return d
        regional = self.scope_rows(d[d["level"].notna()], level, region, "within")
        zones = d[(d["family"] == "resources") & d["key"].isin(self.zones_within(level, region))]
        return pd.concat([regional, zones])

    # ----------------------------------------------------------------- figures

    def land(self, level: str, region: str) -> tuple[float, float]:
        """(used ha of non-stacking claims, used ha of stacking claims) allocated in the region."""
        a = self.allocation
        if a.empty:
            return 0.0, 0.0
        inside = a if level == NATIONAL else a[a[level].astype(str) == str(region)]
        stacked = inside["claim"].isin(self.stacking)
        return float(inside.loc[~stacked, "used_ha"].sum()), float(inside.loc[stacked, "used_ha"].sum())

    def name(self, level: str, region: str) -> tuple[str, Fact]:
        label = region_label(self.config, level, region)
        return label, Fact("name", {"of": "region", "level": level, "region": str(region)}, self.config.region_name(level, str(region)))

    def claim(self, claim: str) -> tuple[str, Fact]:
        label = self.config.claim_name(claim)
        return label, Fact("name", {"of": "claim", "claim": claim}, label)


def _period(row) -> Optional[int]:
    """The row's period (a year) in a phased run, else None."""
    value = row.get("period") if hasattr(row, "get") else None
    return None if value is None or pd.isna(value) else int(value)


def _cell(row, column: str) -> Fact:
    where = {"level": row["level"], "region": str(row["region"]), "claim": row["claim"], "column": column}
    if _period(row) is not None:
        where["period"] = _period(row)
    return Fact("summary", where, _plain(row[column]))


def _when(row) -> tuple[str, list[Fact]]:
    """' (2030)' and its fact for a row of a phased run; nothing for one period."""
    year = _period(row)
    return ("", []) if year is None else (f" ({year})", [_cell(row, "period")])


def _manifest(key: str, value, scale: float = 1.0) -> Fact:
    return Fact("manifest", {"key": key, "scale": scale}, value if value is None or isinstance(value, str) else float(value) * scale)


# --------------------------------------------------------------------------- the report


def run_heading(t: RunTables) -> Statement:
    m = t.manifest
    text = m["instance"] + (f" — scenario {m['scenario']}" if m.get("scenario") else "")
    facts = [_manifest("instance", m["instance"])] + ([_manifest("scenario", m["scenario"])] if m.get("scenario") else [])
    return Statement(text, facts)


def run_status(t: RunTables) -> Statement:
    """How the run ended: status, objective, bound and gap against the gap asked for."""
    m = t.manifest
    asked = m["parameters"]["solver"]["mip_rel_gap"]
    sense = m["parameters"]["objective"]["sense"]
    facts = [_manifest("status", m["status"]), _manifest("parameters.objective.sense", sense),
             _manifest("parameters.solver.mip_rel_gap", asked, 100.0), _manifest("objective", m["objective"])]
    if m["status"] == "optimal":
        head = f"Solved within the requested gap of {fmt.percent(asked)} (status optimal)"
    else:
        head = (f"The solver stopped before proving the requested gap of {fmt.percent(asked)} (status {m['status']}); "
                "this is the best allocation it found")
    text = f"{head}: objective {fmt.objective(m['objective'])} ({sense})"
    if m.get("bound") is not None and m.get("gap") is not None:
        text += f", bound {fmt.objective(m['bound'])}, gap {fmt.percent(m['gap'])}"
        facts += [_manifest("bound", m["bound"]), _manifest("gap", m["gap"], 100.0)]
    return Statement(text + ".", facts)


def run_size(t: RunTables) -> Statement:
    m = t.manifest
    size, solve = m.get("size", {}), m["times_s"]["solve"]
    text = (f"{fmt.number(size.get('units'))} units, {fmt.number(size.get('pairs'))} allowed unit–claim pairs, "
            f"a model of {fmt.number(size.get('rows'))} rows and {fmt.number(size.get('cols'))} columns; "
            f"solved in {fmt.number(solve, 1)} s. Instance hash {m['instance_hash'][:12]}.")
    facts = [_manifest(f"size.{k}", size.get(k)) for k in ("units", "pairs", "rows", "cols")]
    facts += [_manifest("times_s.solve", solve), Fact("manifest", {"key": "instance_hash", "prefix": True}, m["instance_hash"][:12])]
    return Statement(text, facts)


def floors_overview(t: RunTables) -> Statement:
    n = len(t.floors)
    short = t.floors[[is_short(s, f) for s, f in zip(t.floors["shortfall"], t.floors["demand_min"])]]
    facts = [Fact("floors", {"level": NATIONAL, "region": "NL", "scope": "all"}, n),
             Fact("floors_short", {"level": NATIONAL, "region": "NL", "scope": "all"}, len(short))]
    if n == 0:
        return Statement("The instance sets no demand floor.", facts)
    if len(short) == 0:
        return Statement(f"Every demand floor is met ({_count(n, 'floor')}, all levels).", facts)
    return Statement(f"{len(short)} of {_count(n, 'demand floor')} {'is' if len(short) == 1 else 'are'} not fully met; "
                     "the table lists each with its shortfall in its own measure.", facts)


def land_overview(t: RunTables, level: str = NATIONAL, region: str = "NL", subject: str = "The allocation uses") -> Statement:
    land, stacked = t.land(level, region)
    where = {"level": level, "region": str(region)}
    text = f"{subject} {fmt.amount(land)} of land"
    facts = [Fact("land_ha", where, land)]
    periods = t.manifest.get("periods")
    if periods:  # allocation.csv holds the last period's state
        text += f" in {periods[-1]}, the last period"
        facts.append(Fact("manifest", {"key": "periods", "last": True}, int(periods[-1])))
    if t.stacking:
        names = [t.config.claim_name(k) for k in sorted(t.stacking)]
        text += f", with {fmt.amount(stacked)} of stacked use on it ({', '.join(names)})"
        facts += [Fact("stacked_ha", where, stacked)] + [t.claim(k)[1] for k in sorted(t.stacking)]
    return Statement(text + ".", facts)


def prices_overview(t: RunTables) -> Statement:
    if t.duals is None:
        return Statement("Shadow prices were not computed for this run.", [Fact("priced_rows", {}, None)])
    nz = t.priced_rows(NATIONAL, "NL", "all")
    facts = [Fact("priced", {"level": NATIONAL, "region": "NL", "scope": "all"}, len(nz)), Fact("priced_rows", {}, len(t.duals))]
    if len(nz) == 0:
        return Statement(f"None of the {_count(len(t.duals), 'priced row')} has a non-zero shadow price: "
                         "with the integer decisions fixed, a small change to any of them leaves the objective as it is.", facts)
    return Statement(f"{len(nz)} of {_count(len(t.duals), 'priced row')} {'has' if len(nz) == 1 else 'have'} a non-zero shadow price "
                     "(the change in the objective per unit of the row's bound, with the integer decisions fixed):", facts)


# --------------------------------------------------------------------------- a region's fact sheet


def sheet_heading(t: RunTables, level: str, region: str) -> Statement:
    label, fact = t.name(level, region)
    return Statement(f"{capital(level_name(level))} {label}", [fact])


def sheet_asked(t: RunTables, level: str, region: str) -> list[Statement]:
    """What the region itself is asked (each floor in its own measure), and how many floors its sub-regions have."""
    own = t.scope_rows(t.floors, level, region, "own")
    label, name_fact = t.name(level, region)
    where = {"level": level, "region": str(region)}
    out = []
    if own.empty:
        out.append(Statement(f"No demand floor is set for {label} itself.", [name_fact, Fact("floors", {**where, "scope": "own"}, 0)]))
    else:
        parts, facts = [], [name_fact, Fact("floors", {**where, "scope": "own"}, len(own))]
        for _, row in own.iterrows():
            claim, claim_fact = t.claim(row["claim"])
            when, when_facts = _when(row)
            parts.append(f"{claim} {fmt.amount(row['demand_min'], row['measure'], measure_name(row['measure']))}{when}")
            facts += [claim_fact, _cell(row, "demand_min"), _cell(row, "measure")] + when_facts
        out.append(Statement(f"{label} is asked {_count(len(own), 'floor')}: {'; '.join(parts)}.", facts))
    finer = t.finer(level)
    if finer:
        inside = t.scope_rows(t.floors, level, region, "inside")
        regions = t.regions_within(level, region)
        counts = " and ".join(f"{_count(len(regions[lv]), level_name(lv))}" for lv in finer)
        facts = [Fact("floors", {**where, "scope": "inside"}, len(inside))]
        facts += [Fact("regions_within", {**where, "of": lv}, len(regions[lv])) for lv in finer]
        tail = f"with {_count(len(inside), 'floor')} of their own" if len(inside) else "none of which has a floor of its own"
        out.append(Statement(f"It holds {counts}, {tail}.", facts))
    return out


def sheet_gets(t: RunTables, level: str, region: str) -> Statement:
    label, _ = t.name(level, region)
    statement = land_overview(t, level, region, subject=f"{label} gets")
    statement.facts.append(t.name(level, region)[1])
    return statement


def sheet_shortfall(t: RunTables, level: str, region: str) -> tuple[Statement, list[Statement]]:
    """Whether every floor of the region and its sub-regions is met; if not, one line per short floor."""
    return _floors_met(t, level, region)


def _floors_met(t: RunTables, level: str, region: str, year: int | None = None,
                year_fact: Fact | None = None) -> tuple[Statement, list[Statement]]:
    """The floors of the region and its sub-regions (those of ``year`` in a phased run): all met, or the short ones."""
    label, name_fact = t.name(level, region)
    where = {"level": level, "region": str(region), "scope": "within"}
    within = t.scope_rows(t.floors, level, region, "within")
    of_year = ""
    if year is not None:
        where["period"] = int(year)
        within = _of_period(within, year)
        of_year = f" of {year}"
    short = within[[is_short(s, f) for s, f in zip(within["shortfall"], within["demand_min"])]]
    finer = [plural(level_name(lv)) for lv in t.finer(level)]
    facts = ([year_fact] if year_fact is not None else []) + [name_fact, Fact("floors", where, len(within)),
                                                               Fact("floors_short", where, len(short))]
    if within.empty:
        return Statement(f"No demand floor{of_year} applies to {label}" + "".join(f" or to the {f} in it" for f in finer)
                         + ".", facts), []
    subs = "".join(f" and of the {f} in it" for f in finer)
    if short.empty:
        return Statement(f"Every floor{of_year} of {label}{subs} is met ({_count(len(within), 'floor')}).", facts), []
    head = Statement(f"{len(short)} of the {_count(len(within), 'floor')}{of_year} of {label}{subs} "
                     f"{'is' if len(short) == 1 else 'are'} not fully met:", facts)
    return head, [short_floor(t, row) for _, row in short.iterrows()]


def short_floor(t: RunTables, row) -> Statement:
    claim, claim_fact = t.claim(row["claim"])
    where, where_fact = t.name(row["level"], row["region"])
    m = measure_name(row["measure"])
    when, when_facts = _when(row)
    text = (f"{claim} in {where}{when}: {fmt.amount(row['allocated'], row['measure'], m)} of "
            f"{fmt.amount(row['demand_min'], row['measure'], m)}, "
            f"{fmt.amount(row['shortfall'], row['measure'], m)} short ({fmt.number(row['pct_met'], 1)} % met).")
    facts = [claim_fact, where_fact] + [_cell(row, c) for c in ("allocated", "demand_min", "shortfall", "pct_met", "measure")]
    facts += when_facts
    return Statement(text, facts)


# --------------------------------------------------------------------------- a phased run, period by period


def period_facts(t: RunTables) -> list[tuple[int, Fact]]:
    """(year, the fact that states it) for each period of a phased run; empty for one period."""
    return [(int(y), Fact("manifest", {"key": "periods", "index": i}, int(y))) for i, y in enumerate(t.manifest.get("periods") or [])]


def _of_period(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    return frame[frame["period"].astype(float) == float(year)] if "period" in frame.columns else frame.iloc[0:0]


def sheet_period_gets(t: RunTables, level: str, region: str, year: int, year_fact: Fact) -> Statement:
    """What the region holds by ``year`` (that period's state): the used hectares of each claim, from the
    region's rows of summary.csv for the period; a row whose floor or ceiling is in another measure also states
    the allocated amount in that measure (beside the hectares, never added to them)."""
    label, name_fact = t.name(level, region)
    own = _of_period(t.summary[(t.summary["level"] == level) & (t.summary["region"].astype(str) == str(region))], year)
    order = {k: i for i, k in enumerate(t.config.claims)}
    own = own.sort_values("claim", key=lambda c: c.map(order), kind="stable")
    facts, parts = [year_fact, name_fact], []
    for _, row in own.iterrows():
        facts.append(_cell(row, "allocated_ha"))
        if pd.isna(row["allocated_ha"]) or float(row["allocated_ha"]) <= 1e-9:
            continue
        claim, claim_fact = t.claim(row["claim"])
        text = f"{claim} {fmt.amount(row['allocated_ha'])}"
        facts.append(claim_fact)
        if isinstance(row.get("measure"), str) and row["measure"] != fmt.HA and not pd.isna(row.get("allocated")):
            text += f" ({fmt.amount(row['allocated'], row['measure'], measure_name(row['measure']))})"
            facts += [_cell(row, "allocated"), _cell(row, "measure")]
        parts.append(text)
    if not parts:
        return Statement(f"By {year}, nothing is allocated in {label}.", facts)
    return Statement(f"By {year}, {label} has {'; '.join(parts)} (used area per claim).", facts)


def sheet_period_shortfall(t: RunTables, level: str, region: str, year: int, year_fact: Fact) -> tuple[Statement, list[Statement]]:
    """Whether every floor of ``year`` of the region and its sub-regions is met; if not, one line per short floor."""
    return _floors_met(t, level, region, year, year_fact)


def sheet_prices(t: RunTables, level: str, region: str) -> tuple[Statement, list[Statement]]:
    label, name_fact = t.name(level, region)
    if t.duals is None:
        return Statement("Shadow prices were not computed for this run.", [Fact("priced_rows", {}, None)]), []
    rows = t.priced_rows(level, region, "within").sort_values("shadow_price", key=np.abs, ascending=False, kind="stable")
    facts = [name_fact, Fact("priced", {"level": level, "region": str(region), "scope": "within"}, len(rows))]
    if rows.empty:
        return Statement(f"No floor, ceiling, balance or compensation row of {label} or the regions in it, "
                         "and no resource cap of a zone in it, has a non-zero shadow price.", facts), []
    head = Statement(f"{_count(len(rows), 'row')} of {label}, the regions in it or the resource zones in it "
                     f"{'has' if len(rows) == 1 else 'have'} a non-zero shadow price:", facts)
    return head, [price_line(t, row) for _, row in rows.iterrows()]


def price_line(t: RunTables, row) -> Statement:
    fact = Fact("dual", {"family": row["family"], "key": row["key"]}, float(row["shadow_price"]))
    what, facts = describe_row(t, row)
    value = fmt.objective(row["shadow_price"])
    return Statement(f"{what}: {value} {row['unit']}.", [fact] + facts)


def describe_row(t: RunTables, row) -> tuple[str, list[Fact]]:
    """A duals.csv row in words: 'the Woningbouw floor of Noord-Brabant (PV30)', 'the grid_mw cap of zone ZW'
    (with ' in 2030' in a phased run)."""
    what, facts = _describe_row(t, row)
    year = _period(row)
    if year is None:
        return what, facts
    return f"{what} in {year}", facts + [Fact("dual", {"family": row["family"], "key": row["key"], "column": "period"}, year)]


def _describe_row(t: RunTables, row) -> tuple[str, list[Fact]]:
    family = row["family"]
    if family in ("demand_floor", "demand_ceiling", "balance", "compensation") and isinstance(row.get("level"), str):
        where, where_fact = t.name(row["level"], row["region"] if row["level"] != NATIONAL else "NL")
        facts = [where_fact]
        if family in ("demand_floor", "demand_ceiling"):
            claim, claim_fact = t.claim(row["claim"])
            kind = "floor" if family == "demand_floor" else "ceiling"
            return f"the {claim} {kind} of {where}", facts + [claim_fact]
        return f"the {'woon-werk balance' if family == 'balance' else 'no-net-loss rule'} of {where}", facts
    if family == "resources":
        return f"the {row['key'].split(' ', 1)[0]} cap of zone {row['zone']}", [Fact("dual_zone", {"key": row["key"]}, str(row["zone"]))]
    if family == "budget":
        return "the budget", []
    return f"the {family} row {row['key']}", [Fact("dual_key", {"family": family, "key": row["key"]}, str(row["key"]))]


def _count(n: int, noun: str) -> str:
    return f"{fmt.number(n)} {plural(noun, n)}"
