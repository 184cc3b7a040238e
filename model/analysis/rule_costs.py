"""What each hard rule costs: the optimum and the shortfall with the rule dropped.

Each hard (``exclude``) rule is dropped in turn and the instance re-solved with the same
options; so are the existing uses in the zoning (``env-zoning-existing``: the instance
solved as if every existing heavy category and sensitive use were gone, i.e. relocated
for free — what keeping them costs). Dropping a rule adds pairs, so the model is rebuilt for each (the preprocessing
and build are a small part of a solve; see the manifest's times). A change smaller than
the solves' gap is within the solver's tolerance, so the gaps are reported alongside.
"""
from __future__ import annotations

from typing import Callable

import pandas as pd

from ruimtepuzzel.model.inputs.config import deep_merge
from ruimtepuzzel.model.inputs.instance import Instance, load_instance
from ruimtepuzzel.model.prepare.pairs import ZONING_EXISTING

COLUMNS = ["rule", "layer", "status", "objective", "objective_change", "shortfall_ha", "shortfall_change_ha", "gap"]


def total_shortfall_ha(summary: pd.DataFrame) -> float:
    floors = summary[summary["demand_min"].notna()]
    return float(floors["shortfall_ha"].fillna(0.0).sum())


def rule_costs(instance: Instance, base_objective: float, base_summary: pd.DataFrame, solve_one: Callable[[Instance], object],
               overrides: dict | None = None, progress: Callable[[str], None] = lambda m: None) -> pd.DataFrame:
    """``solve_one(instance)`` returns a Run; ``overrides`` are those the base run was loaded with."""
    base_short = total_shortfall_ha(base_summary)
    rows = []
    variants = [(rule.name, rule.layer, {"rules": [r.model_dump(exclude_none=True) for r in instance.config.rules if r.name != rule.name]})
                for rule in instance.config.rules if rule.effect == "exclude"]
    ez = instance.config.env_zoning
    if ez is not None and (ez.existing_category_attr or ez.sensitive_uses):
        variants.append((ZONING_EXISTING, "occupation", {"env_zoning": {"existing_category_attr": None, "sensitive_uses": []}}))
    for i, (name, layer, change) in enumerate(variants, 1):
        variant = load_instance(instance.folder, instance.scenario, deep_merge(overrides or {}, change))
        progress(f"rule cost {i}/{len(variants)}: without {name}")
        try:
            run = solve_one(variant)
        except Exception as exc:  # an infeasible or failed variant is a finding, not a crash
            rows.append({"rule": name, "layer": layer, "status": f"failed: {str(exc).splitlines()[0]}"})
            continue
        short = total_shortfall_ha(run.summary)
        rows.append({"rule": name, "layer": layer, "status": run.result.status, "objective": run.result.objective,
                     "objective_change": run.result.objective - base_objective, "shortfall_ha": short,
                     "shortfall_change_ha": short - base_short, "gap": run.result.gap})
    return pd.DataFrame(rows, columns=COLUMNS)
