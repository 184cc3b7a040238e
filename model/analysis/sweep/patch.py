"""Scenario problems without rebuilding: patch the base problem's bounds and costs.

Most sweep parameters move a right-hand side or an objective coefficient: a demand
floor or ceiling (and with it a no-net-loss row's with ``additional``), a resource cap, the budget, a shortfall or balance penalty. For
those, the scenario's problem is the base problem with a few row bounds, column
bounds and costs changed — the same numbers :func:`model.formulation.formulate`
would produce from scratch (tests compare the two array by array).

:func:`patched` returns None when the configurations differ in anything else (a
rule, a claim, a zoning distance, a floor that appears or disappears, a
``max_min_fulfilment`` objective whose matrix holds the floors): the caller then
prepares and formulates the scenario in full.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Optional

from ruimtepuzzel.model.formulation import objectives
from ruimtepuzzel.model.formulation import budget as budget_family
from ruimtepuzzel.model.formulation import compensation as compensation_family
from ruimtepuzzel.model.formulation import demand as demand_family
from ruimtepuzzel.model.formulation import resources as resources_family
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import Problem
from ruimtepuzzel.model.inputs.schema import InstanceConfig

PATCHABLE_SENSES = ("max_value", "min_cost")  # the two-stage senses are solved afresh, both stages


def _skeleton(cfg: InstanceConfig) -> dict:
    """The configuration with every patchable number replaced by whether its row exists."""
    data = cfg.model_dump()
    for d, raw in zip(cfg.demand, data["demand"]):
        for key in ("min_ha", "max_ha", "min", "max", "shortfall_penalty"):
            raw.pop(key, None)
        raw["_floor"] = d.lower is not None and d.lower > 0
        raw["_ceiling"] = d.upper is not None
    for res in data["resources"].values():
        res["cap"] = list(res["cap"])  # which zones are capped, in row order
    if data.get("budget"):
        data["budget"]["max_eur"] = data["budget"]["max_eur"] is not None
    for b in data["balance"]:
        b["penalty_per_ha"] = b["penalty_per_ha"] is not None
    data["objective"].pop("shortfall_penalty_per_ha")
    data.pop("solver")
    data.pop("name", None)
    data.pop("description", None)
    return data


def patchable(base: InstanceConfig, new: InstanceConfig) -> bool:
    if base.objective.sense not in PATCHABLE_SENSES or new.objective.sense != base.objective.sense:
        return False
    return _skeleton(base) == _skeleton(new)


def _copy_block(block):
    return dataclasses.replace(block, lower=block.lower.copy(), upper=block.upper.copy())


def patched(base_prep: Prepared, base: Problem, new_config: InstanceConfig) -> Optional[tuple[Prepared, Problem]]:
    """(Prepared, Problem) of the scenario with ``new_config``, derived from the base; None if not patchable."""
    if not patchable(base_prep.config, new_config):
        return None
    instance = dataclasses.replace(base_prep.instance, config=new_config)
    prep = dataclasses.replace(base_prep, instance=instance)
    prob = copy.copy(base)
    prob.blocks = [_copy_block(b) for b in base.blocks]
    prob._lb, prob._ub = list(base._lb), [u.copy() for u in base._ub]
    demand = new_config.demand
    for block in prob.blocks:
        if block.family == demand_family.FLOOR:
            block.lower[:] = [demand[i].lower for i in block.labels["demand"]]
        elif block.family == demand_family.CEILING:
            block.upper[:] = [demand[i].upper for i in block.labels["demand"]]
        elif block.family == resources_family.FAMILY:
            res = new_config.resources[block.name[len("resources["):-1]]
            block.upper[:] = [res.cap[z] for z in block.labels["zone"]]
        elif block.family == budget_family.FAMILY:
            block.upper[:] = new_config.budget.max_eur
        elif block.family == compensation_family.FAMILY:  # with ``additional``, − the floors of the row's region
            block.upper[:] = compensation_family.upper_bounds(new_config, block.labels)
    if prob.has("shortfall"):
        prob.set_bounds("shortfall", upper=[demand[i].lower for i in prob.group("shortfall").labels["demand"]])
    objectives.apply_objective(prep, prob, new_config.objective.sense)
    return prep, prob
