"""Multi-use stacking.

    x[u,s] ≤ Σ_{h ∈ hosts(s)} x[u,h]        for every allowed stacking pair (u,s)

A stacking claim (e.g. rooftop solar on logistics) needs one of its host claims
on the same unit. Its used area is ``area_factor · a_u``; it does not count in
single use. Preprocessing already removed stacking pairs without any allowed host.
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem
from ruimtepuzzel.model.formulation.common import labels, unit_ids

FAMILY = "stacking"


def apply(prep: Prepared, prob: Problem) -> None:
    rows, cols, vals, lab_units, lab_claims = [], [], [], [], []
    n_rows = 0
    for s, claim in prep.config.claims.items():
        if not claim.stacking:
            continue
        units = np.flatnonzero(prep.pair_of[s] >= 0)
        local = np.arange(n_rows, n_rows + len(units))
        rows.append(local), cols.append(prep.pair_of[s][units]), vals.append(np.ones(len(units)))
        for h in claim.stacks_on:
            host = prep.pair_of[h][units]
            ok = host >= 0
            rows.append(local[ok]), cols.append(host[ok]), vals.append(-np.ones(int(ok.sum())))
        lab_units.append(unit_ids(prep, units)), lab_claims.append(np.full(len(units), s, dtype=object))
        n_rows += len(units)
    if n_rows:
        prob.add_rows(
            FAMILY, FAMILY, labels(unit_id=np.concatenate(lab_units), claim=np.concatenate(lab_claims)),
            np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), -INF, 0.0,
        )
