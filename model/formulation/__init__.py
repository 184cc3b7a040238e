"""The MIP, one module per constraint family (docs/model.md).

``formulate(prep)`` creates the allocation variables x[u,k] for the allowed pairs
only (column j is pair j), then lets each family emit its labelled rows, then sets
the objective. Adding a family means adding a module and listing it in FAMILIES. A phased
instance (``periods``) is formulated once and expanded into period blocks (:mod:`.phasing`).
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import Problem
from ruimtepuzzel.model.formulation import (balance, budget, compensation, demand, locked, min_site, presence, resources, single_use,
                                             stacking, zoning, zoning_existing)
from ruimtepuzzel.model.formulation.common import labels, pair_claims, pair_units, unit_ids

FAMILIES = (single_use, stacking, demand, presence, zoning, zoning_existing, min_site, balance, compensation, resources, budget, locked)

# families whose rows can never make the model infeasible (they carry their own slack)
SOFT_FAMILIES = frozenset({demand.FLOOR})


def allocation_vars(prep: Prepared, prob: Problem) -> np.ndarray:
    """x[u,k] ∈ {0,1} per allowed pair; continuous in [0,1] for divisible claims."""
    claims = pair_claims(prep)
    divisible = np.isin(claims, [k for k, c in prep.config.claims.items() if c.divisible])
    lab = labels(unit_id=unit_ids(prep, pair_units(prep)), claim=prep.pairs["claim"].array)  # categoricals: compact at scale
    x = prob.add_vars("x", lab, 0.0, 1.0, integer=True)
    prob.set_integrality("x", ~divisible)  # divisible shares are continuous
    return x


def formulate(prep: Prepared, sense: str | None = None) -> Problem:
    from ruimtepuzzel.model.formulation.objectives import apply_objective

    prob = Problem()
    x = allocation_vars(prep, prob)
    assert len(x) == 0 or x[0] == 0, "x must be the first column group: column j is pair j"
    for family in FAMILIES:
        family.apply(prep, prob)
    if prep.config.periods:
        from ruimtepuzzel.model.formulation.phasing import expand

        prob = expand(prep, prob)
    apply_objective(prep, prob, sense or prep.config.objective.sense)
    return prob
