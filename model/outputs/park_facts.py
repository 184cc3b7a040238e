"""The sentences on existing business parks that change use, and the new land for firms that replaces them.

An instance with a no-net-loss rule (``compensation``) converts existing business parks (units whose ``current_use``
is ``compensation.business_use``) when it allocates them to a claim outside ``compensation.work_claims``: housing on
an urban park, an energy station on port land. The report states, nationally and per region of its first level:

- how many hectares of business park change use, and to which claims (:func:`parks_changed`);
- where: the finest regions with the most, at most :data:`LARGEST` of them (:func:`parks_where`);
- the new land for firms on land that was no business park, how much of it lies beyond the growth floors for firms
  (with ``compensation.additional``), and whether the no-net-loss rule holds in each of its regions
  (:func:`parks_replaced`).

Every figure is a :class:`~.facts.Fact` that ``tests/fact_check.py`` recomputes from ``allocation.csv``,
``summary.csv`` and the units' ``current_use``. Fact kinds (``where`` keys in brackets):

- ``park_use`` [level, region, claim?]: used ha of non-stacking allocations on business-park units to a claim outside
  the work claims (of ``claim`` only, when given);
- ``park_use_regions`` [level, region, of]: how many regions of the finer level ``of`` have such ha;
- ``park_use_rank`` [level, region, of, rank]: the code of the region of ``of`` with the rank-th most such ha
  (rank 1 the most; ties by code);
- ``new_work`` [level, region]: used ha of non-stacking allocations of work claims on units of another current use;
- ``beyond_floors`` [level, region, of]: Σ over the regions g of ``of`` (the compensation level) in the region of
  new_work(g) − Σ met part (floor − shortfall) of the hectare floors of work claims of g;
- ``net_loss_regions`` [level, region, of]: how many of those regions g have park_use(g) above what compensates it
  (beyond_floors(g) with ``additional``, else new_work(g)), beyond a tolerance of 1e-6 ha.

In a phased run ``allocation.csv`` holds the last period's state, and the floors are those of the last period.
"""
from __future__ import annotations

from typing import Optional

import pandas as pd

from ruimtepuzzel.model.inputs.schema import NATIONAL
from ruimtepuzzel.model.outputs import numbers as fmt
from ruimtepuzzel.model.outputs.facts import Fact, RunTables, Statement, _count, _manifest
from ruimtepuzzel.model.outputs.names import level_name, plural

LARGEST = 3  # how many of the finest regions a sentence names
TOLERANCE = 1e-6  # ha


def applies(t: RunTables) -> bool:
    """Whether the run has a no-net-loss rule and the units' current uses to state it with."""
    return t.config.compensation is not None and t.uses is not None


def _inside(t: RunTables, level: str, region: str) -> pd.DataFrame:
    """Non-stacking allocation rows inside the region, with the unit's current use (column ``use``)."""
    a = t.allocation
    a = a[~a["claim"].isin(t.stacking)]
    if level != NATIONAL:
        a = a[a[level].astype(str) == str(region)]
    return a.assign(use=a["unit_id"].astype(str).map(t.uses).to_numpy(), used_ha=a["used_ha"].astype(float))


def _changed(t: RunTables, level: str, region: str) -> pd.DataFrame:
    comp = t.config.compensation
    a = _inside(t, level, region)
    return a[(a["use"] == comp.business_use) & ~a["claim"].isin(comp.work_claims)]


def _when(t: RunTables) -> tuple[str, list[Fact]]:
    periods = t.manifest.get("periods")
    if not periods:
        return "", []
    return f" by {periods[-1]}, the last period", [Fact("manifest", {"key": "periods", "last": True}, int(periods[-1]))]


def parks_changed(t: RunTables, level: str, region: str) -> Statement:
    """'In Noord-Brabant (PV30), 440.6 ha of existing business park changes use: Woningbouw 440.6 ha.'"""
    label, name_fact = t.name(level, region)
    where = {"level": level, "region": str(region)}
    changed = _changed(t, level, region)
    total = float(changed["used_ha"].sum())
    when, when_facts = _when(t)
    facts = [name_fact, Fact("park_use", where, total)] + when_facts
    if total <= TOLERANCE:
        return Statement(f"No existing business park in {label} changes use{when}.", facts)
    order = {k: i for i, k in enumerate(t.config.claims)}
    per_claim = changed.groupby("claim")["used_ha"].sum()
    parts = []
    for claim in sorted(per_claim.index, key=lambda k: order.get(k, len(order))):
        name, claim_fact = t.claim(claim)
        parts.append(f"{name} {fmt.amount(per_claim[claim])}")
        facts += [claim_fact, Fact("park_use", {**where, "claim": claim}, float(per_claim[claim]))]
    return Statement(f"In {label}, {fmt.amount(total)} of existing business park changes use{when}: {'; '.join(parts)}.", facts)


def parks_where(t: RunTables, level: str, region: str) -> Optional[Statement]:
    """The finest regions (municipalities) with the most business park changing use; None when nothing changes or the
    region is of the finest level."""
    finest = t.config.regions[-1]
    if level == finest:
        return None
    changed = _changed(t, level, region)
    if changed["used_ha"].sum() <= TOLERANCE:
        return None
    per = changed.groupby(changed[finest].astype(str))["used_ha"].sum()
    per = per[per > TOLERANCE]
    ranked = sorted(per.index, key=lambda code: (-per[code], code))
    where = {"level": level, "region": str(region), "of": finest}
    facts = [Fact("park_use_regions", where, len(ranked))]
    parts = []
    for rank, code in enumerate(ranked[:LARGEST], start=1):
        label, name_fact = t.name(finest, code)
        parts.append(f"{label} {fmt.amount(per[code])}")
        facts += [Fact("park_use_rank", {**where, "rank": rank}, code), name_fact,
                  Fact("park_use", {"level": finest, "region": code}, float(per[code]))]
    noun = level_name(finest)
    head = f"It lies in {_count(len(ranked), noun)}" + (":" if len(ranked) <= LARGEST else ", the most in")
    return Statement(f"{head} {'; '.join(parts)}.", facts)


def _compensation_regions(t: RunTables, level: str, region: str) -> Optional[list[str]]:
    """The regions of the compensation level in (level, region); None when the region is finer than that level."""
    levels = [NATIONAL] + list(t.config.regions)
    at = t.config.compensation.level
    if levels.index(level) > levels.index(at):
        return None
    if level == at:
        return [str(region)]
    return t.regions_within(level, region)[at]


def _met_floors(t: RunTables, at: str) -> pd.Series:
    """Per region of level ``at``: the met part of its hectare floors of work claims (the last period's)."""
    comp = t.config.compensation
    rows = t.floors[(t.floors["level"] == at) & t.floors["claim"].isin(comp.work_claims) & (t.floors["measure"] == fmt.HA)]
    periods = t.manifest.get("periods")
    if periods and "period" in rows.columns:
        rows = rows[rows["period"].astype(float) == float(periods[-1])]
    met = rows["demand_min"].astype(float) - rows["shortfall"].astype(float).fillna(0.0)
    return met.groupby(rows["region"].astype(str)).sum()


def parks_replaced(t: RunTables, level: str, region: str) -> Optional[Statement]:
    """The new land for firms outside existing parks, the part beyond the growth floors, and whether no net loss holds."""
    regions = _compensation_regions(t, level, region)
    if regions is None:
        return None
    comp = t.config.compensation
    at = comp.level
    where = {"level": level, "region": str(region)}
    a = _inside(t, level, region)
    on_park, work = (a["use"] == comp.business_use).to_numpy(), a["claim"].isin(comp.work_claims).to_numpy()
    codes = a[at].astype(str) if at != NATIONAL else pd.Series("NL", index=a.index)
    new_by = a.loc[~on_park & work, "used_ha"].groupby(codes[~on_park & work]).sum().reindex(regions, fill_value=0.0)
    lost_by = a.loc[on_park & ~work, "used_ha"].groupby(codes[on_park & ~work]).sum().reindex(regions, fill_value=0.0)
    beyond_by = new_by - (_met_floors(t, at).reindex(regions, fill_value=0.0) if comp.additional else 0.0)
    new, beyond = float(new_by.sum()), float(beyond_by.sum())
    short = int((lost_by > beyond_by + TOLERANCE).sum())
    when, when_facts = _when(t)
    names = ", ".join(t.config.claim_name(k) for k in comp.work_claims)
    facts = [Fact("new_work", where, new), Fact("beyond_floors", {**where, "of": at}, beyond),
             Fact("net_loss_regions", {**where, "of": at}, short)] + when_facts
    facts += [t.claim(k)[1] for k in comp.work_claims]
    noun = plural(level_name(at), len(regions))
    changed = float(lost_by.sum()) > TOLERANCE
    text = f"New land for firms ({names}) outside existing business parks{when}: {fmt.amount(new)}"
    if comp.additional:
        whose = "its own growth floors for firms" if level == at else f"the growth floors for firms of the {noun} in it"
        text += f", {fmt.amount(beyond)} of it beyond {whose}"
    if short == 0:
        text += f"; the no-net-loss rule holds in {'it' if len(regions) == 1 else 'each of them'}"
        if changed:
            text += ": every hectare of business park that changes use is replaced there"
            text += ", on top of the growth" if comp.additional else ""
        text += "."
    else:
        text += f"; the no-net-loss rule is not met in {_count(short, level_name(at))}."
    return Statement(text, facts)


def park_statements(t: RunTables, level: str, region: str) -> list[Statement]:
    """The sentences of a region (or of the country, level ``national``) on business parks that change use."""
    if not applies(t):
        return []
    out = [parks_changed(t, level, region), parks_where(t, level, region), parks_replaced(t, level, region)]
    return [s for s in out if s is not None]
