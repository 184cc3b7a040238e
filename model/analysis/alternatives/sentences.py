"""The sentences of ``alternatives.html``, each with the facts it states (see :mod:`model.outputs.facts`).

Per region of the ranges' level and claim: "every near-optimal plan gives Utrecht at least 1,050 ha
of housing; the most generous one 1,380 ha". Fact kinds beyond the run's: ``range`` [level, region,
claim, column] (a cell of ranges.csv) and ``importance`` [group, claim, column] (a cell of
importance.csv); the test's fact checker recomputes them from those files.
"""
from __future__ import annotations

import html

import numpy as np

from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.outputs import numbers as fmt
from ruimtepuzzel.model.outputs.facts import Fact, Statement
from ruimtepuzzel.model.outputs.report import CSS

MOST_IMPORTANT = 5


def _ha(value: float) -> str:
    return fmt.number(value, 1 if abs(value) < 100 else 0)


def _as_written(value: float) -> float:
    """A figure as the CSV files hold it (six decimals), so that the sentence states what the table says."""
    return round(float(value), 6)


def _range_fact(row, column: str) -> Fact:
    return Fact("range", {"level": row.level, "region": str(row.region), "claim": row.claim, "column": column},
                _as_written(getattr(row, column)))


def headline(outcome, instance: Instance) -> Statement:
    plans = int(outcome.alternatives["objective"].notna().sum())
    text = (f"{plans} plans lie within {fmt.number(100 * outcome.slack, 1)} % of the optimum's objective "
            f"({fmt.number(outcome.z_star)}), the optimum itself included.")
    return Statement(text, [Fact("manifest", {"key": "plans", "scale": 1.0}, float(plans)),
                            Fact("manifest", {"key": "slack", "scale": 100.0}, 100.0 * outcome.slack),
                            Fact("manifest", {"key": "objective", "scale": 1.0}, float(outcome.z_star))])


def range_sentence(row, instance: Instance) -> Statement:
    config = instance.config
    region, claim = config.region_name(row.level, str(row.region)), config.claim_name(row.claim)
    facts = [Fact("name", {"of": "region", "level": row.level, "region": str(row.region)}, region),
             Fact("name", {"of": "claim", "claim": row.claim}, claim)]
    if not (np.isfinite(row.min_ha) and np.isfinite(row.max_ha)):
        return Statement(f"{region}, {claim}: no range (a solve found no allocation).", facts)
    lo, hi = _ha(row.min_ha), _ha(row.max_ha)
    if lo == hi:
        text = f"Every near-optimal plan gives {region} {lo} ha of {claim}, no more and no less."
        facts.append(_range_fact(row, "min_ha"))
    else:
        text = f"Every near-optimal plan gives {region} at least {lo} ha of {claim}; the most generous one {hi} ha."
        facts += [_range_fact(row, "min_ha"), _range_fact(row, "max_ha")]
    if row.min_status != "optimal" or row.max_status != "optimal":
        text += " (Not proven: a solve stopped at its time limit; the true range may be wider.)"
        facts += [Fact("range", {"level": row.level, "region": str(row.region), "claim": row.claim, "column": c}, getattr(row, c))
                  for c in ("min_status", "max_status")]
    return Statement(text, facts)


def importance_sentence(row, instance: Instance) -> Statement:
    claim = instance.config.claim_name(row.claim)
    where = {"group": row.group, "claim": row.claim}
    facts = [Fact("importance", {**where, "column": "group"}, row.group), Fact("name", {"of": "claim", "claim": row.claim}, claim),
             Fact("importance", {**where, "column": "used_ha"}, _as_written(row.used_ha))]
    if not np.isfinite(row.replacement_cost):
        return Statement(f"{row.group} ({claim}, {_ha(row.used_ha)} ha) cannot be replaced: without it no allocation remains.", facts)
    facts.append(Fact("importance", {**where, "column": "replacement_cost"}, _as_written(row.replacement_cost)))
    return Statement(f"{row.group} ({claim}, {_ha(row.used_ha)} ha): replacement cost {fmt.number(row.replacement_cost)}.", facts)


def page(outcome, instance: Instance) -> str:
    parts = [Statement(f"Room to negotiate: {instance.name}", [Fact("manifest", {"key": "instance"}, instance.name)]).html("h1"),
             headline(outcome, instance).html("p")]
    images = ["map_selection_frequency.png"]
    if outcome.ranges is not None and len(outcome.ranges):
        parts.append(Statement("Ranges within the slack").html("h2"))
        for region, rows in outcome.ranges.groupby("region", sort=False):
            first = rows.iloc[0]
            name = instance.config.region_name(first.level, str(region))
            parts.append(Statement(name, [Fact("name", {"of": "region", "level": first.level, "region": str(region)}, name)]).html("h3"))
            parts.append("<ul>" + "".join(range_sentence(r, instance).html("li") for r in rows.itertuples()) + "</ul>")
            parts.append(f"<img src='{html.escape(chart_name(str(region)))}' alt='ranges'>")
    if outcome.importance is not None and len(outcome.importance):
        parts.append(Statement("The least replaceable groups of the optimum").html("h2"))
        top = outcome.importance.sort_values("replacement_cost", ascending=False, kind="stable").head(MOST_IMPORTANT)
        parts.append("<ul>" + "".join(importance_sentence(r, instance).html("li") for r in top.itertuples()) + "</ul>")
        images.append("map_importance.png")
    parts += [f"<img src='{name}' alt='{name}'>" for name in images]
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(instance.name)}: alternatives</title>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>\n")


def chart_name(region: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in region)
    return f"ranges_{safe}.png"
