"""Single use.

    Σ_{k ∈ K \\ stacking} x[u,k] ≤ 1        for every unit u

A unit gets at most one non-stacking claim (for divisible claims: shares add up
to at most the whole unit). Rows are emitted only for units with two or more
non-stacking pairs; for the others the variable bound already says it.
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem
from ruimtepuzzel.model.formulation.common import grouped_rows, labels, pair_units, stacking_pairs, unit_ids

FAMILY = "single_use"


def apply(prep: Prepared, prob: Problem) -> None:
    sel = np.flatnonzero(~stacking_pairs(prep))
    units = pair_units(prep)[sel]
    multi = np.bincount(units, minlength=len(prep.units))[units] >= 2
    sel, units = sel[multi], units[multi]
    row_units, rows = grouped_rows(units)
    prob.add_rows(FAMILY, FAMILY, labels(unit_id=unit_ids(prep, row_units)), rows, sel, np.ones(len(sel)), -INF, 1.0)
