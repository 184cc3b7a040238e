"""Shadow prices: with the integer decisions fixed, the LP duals of the rows planners negotiate over.

For each demand floor and ceiling, woon-werk balance, no-net-loss row, resource cap and
budget, ``duals.csv`` gives the change in the objective per unit of the row's right-hand
side (a phased instance: per period, with a ``period`` column): per extra hectare (or dwelling) demanded, per extra hectare allowed under a ceiling,
per extra MW of grid capacity. The duals hold for small changes that keep the integer
decisions as they are.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ruimtepuzzel.model.problem import Problem
from ruimtepuzzel.model.prepare.prepared import Prepared

FAMILIES = ("demand_floor", "demand_ceiling", "balance", "compensation", "resources", "budget")
COLUMNS = ["family", "key", "level", "region", "claim", "zone", "shadow_price", "unit", "activity", "rhs", "binding"]
TOL = 1e-7


def _objective_unit(prep: Prepared) -> str:
    sense = prep.config.objective.sense
    return {"max_value": "value", "min_cost": "€", "min_shortfall": "weighted shortfall", "max_min_fulfilment": "value"}[sense]


def _row_meaning(block, lab: dict, prep: Prepared) -> tuple[str, str, str]:
    """(key, unit text, rhs side) of one row."""
    what = _objective_unit(prep)
    f = block.family
    if f in ("demand_floor", "demand_ceiling"):
        measure = "ha" if lab.get("measure") in (None, "ha") else lab["measure"]
        where = "NL" if lab["level"] == "national" else lab["region"]
        extra = "demanded" if f == "demand_floor" else "allowed"
        return f"{lab['level']} {where} {lab['claim']}", f"{what} per extra {measure} {extra}", "lower" if f == "demand_floor" else "upper"
    if f == "balance":
        return f"{lab['level']} {lab['region']} balance", f"{what} per extra ha of work land required", "lower"
    if f == "compensation":
        return f"{lab['level']} {lab['region']} no net loss", f"{what} per extra ha of compensation required", "upper"  # converted − new work ≤ rhs
    if f == "resources":
        unit = lab.get("unit") or "unit"
        return f"{lab['resource']} {lab['zone']}", f"{what} per extra {unit} of {lab['resource']} capacity", "upper"
    return "budget", f"{what} per extra € of budget", "upper"


def shadow_prices(prep: Prepared, problem: Problem, duals: np.ndarray, activity: np.ndarray) -> pd.DataFrame:
    rows = []
    offset = 0
    for block in problem.blocks:
        if block.family in FAMILIES:
            for local, lab in enumerate(block.labels.to_dict("records")):
                r = offset + local
                key, unit, side = _row_meaning(block, lab, prep)
                if "period" in lab:
                    key = f"{key} {lab['period']}"
                rhs = block.lower[local] if side == "lower" else block.upper[local]
                dual = float(duals[r]) + 0.0
                dual = 0.0 if abs(dual) < TOL else dual
                rows.append({
                    **({"period": lab["period"]} if "period" in lab else {}),
                    "family": block.family, "key": key, "level": lab.get("level"), "region": lab.get("region"),
                    "claim": lab.get("claim") or lab.get("housing_claim"), "zone": lab.get("zone"),
                    "shadow_price": dual, "unit": unit, "activity": float(activity[r]), "rhs": float(rhs),
                    "binding": bool(abs(activity[r] - rhs) <= 1e-6 * max(1.0, abs(rhs))),
                })
        offset += block.size
    return pd.DataFrame(rows, columns=(["period"] if problem.periods is not None else []) + COLUMNS)
