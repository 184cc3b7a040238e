"""Names for what the tables hold as codes: regions, claims, rules and measures.

Codes stay in the machine-readable columns; people read names. A region's name comes from
the instance's ``region_names`` (its code when none is given), a claim's from its ``label``,
a rule's from its ``description`` (the built-in filters of the preprocessing have their own),
a measure's from its units column (``dwellings_capacity`` reads "dwellings").
"""
from __future__ import annotations

import re
from typing import Optional

import pandas as pd

from ruimtepuzzel.model.inputs.schema import NATIONAL, InstanceConfig

# the filters the preprocessing adds to rules.csv beside the instance's own rules
BUILT_IN_RULES = {
    "protected": "protected units keep their use (protected_claims only)",
    "budget-relocation": "relocation cost above max_relocation_eur_per_m2",
    "env-zoning-existing": "too close to an existing use that cannot leave (environmental zoning)",
    "min-site-size": "eligible land in pieces smaller than the minimum site",
    "no-host": "no host claim allowed to stack on",
}
LEVEL_NAMES = {NATIONAL: "national", "province": "province", "corop": "COROP region", "gemeente": "municipality",
               "municipality": "municipality"}
_MEASURE_SUFFIX = re.compile(r"_(capacity|cap|count|n|number)$")


def level_name(level: str) -> str:
    """How a region level reads in a sentence: 'province', 'COROP region'; other levels as written."""
    return LEVEL_NAMES.get(level, level.replace("_", " "))


def capital(text: str) -> str:
    """The first letter upper case, the rest as written ('COROP region' stays 'COROP region')."""
    return text[:1].upper() + text[1:]


def plural(word: str, n: int = 2) -> str:
    if n == 1:
        return word
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy")):
        return word[:-1] + "ies"
    return word + "s"


def measure_name(measure: Optional[str]) -> str:
    """The measure as people read it: 'ha' for used area, 'dwellings' for a ``dwellings_capacity`` column."""
    if measure is None or (isinstance(measure, float) and measure != measure) or measure == "ha":
        return "ha"
    return _MEASURE_SUFFIX.sub("", str(measure)).replace("_", " ")


def rule_name(config: Optional[InstanceConfig], rule: str) -> str:
    """A rule's description where the instance gives one (or a built-in filter's), else its name."""
    if config is not None:
        for r in config.rules:
            if r.name == rule:
                return r.description or rule
    return BUILT_IN_RULES.get(rule, rule)


def region_label(config: InstanceConfig, level: str, code) -> str:
    """'Gelderland (PV25)' when the region has a name, its code alone when not; 'the Netherlands' nationally."""
    code = str(code)
    if level == NATIONAL:
        return config.region_name(NATIONAL, code)
    name = config.region_name(level, code)
    return name if name == code else f"{name} ({code})"


def with_names(frame: pd.DataFrame, config: InstanceConfig) -> pd.DataFrame:
    """``frame`` with name columns appended for the codes it holds: ``region_name`` (with ``level``/``region``),
    ``claim_name`` (with ``claim``), ``<level>_name`` for every region level column, ``rule_name`` (with ``rule``)."""
    out = frame.copy()
    if len(out.columns) == 0:
        return out
    if {"level", "region"} <= set(out.columns):
        out["region_name"] = [config.region_name(lv, str(r)) if isinstance(lv, str) and r == r and r is not None else ""
                              for lv, r in zip(out["level"], out["region"])]
    for level in config.regions:
        if level in out.columns:
            names = config.region_names.get(level, {})
            out[f"{level}_name"] = out[level].astype(str).map(lambda c: names.get(c, c))
    if "claim" in out.columns:
        out["claim_name"] = out["claim"].map(lambda k: config.claim_name(k) if isinstance(k, str) else "")
    if "rule" in out.columns:
        out["rule_name"] = out["rule"].map(lambda r: rule_name(config, r))
    return out
