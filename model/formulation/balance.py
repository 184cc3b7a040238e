"""Woon-werk balance, per region of ``level``.

    Σ_{u ∈ r, k ∈ work} used[u,k] · x[u,k] − ρ · Σ_{u ∈ r} used[u,h] · x[u,h] + w[r] ≥ 0

with ρ = ``work_ha_per_housing_ha`` and h = ``housing_claim``. Hard (no w) unless
``penalty_per_ha`` is given; then w[r] ≥ 0 is a slack penalised in ``max_value``.
Rows only for regions with housing pairs (elsewhere the row holds trivially).
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem
from ruimtepuzzel.model.formulation.common import labels, pair_claims, region_rows, used_ha

FAMILY = "balance"


def apply(prep: Prepared, prob: Problem) -> None:
    claims, used = pair_claims(prep), used_ha(prep)
    for i, b in enumerate(prep.config.balance):
        housing = np.flatnonzero(claims == b.housing_claim)
        work = np.flatnonzero(np.isin(claims, b.work_claims))
        if len(housing) == 0:
            continue
        entries = np.concatenate([work, housing])
        coef = np.concatenate([used[work], -b.work_ha_per_housing_ha * used[housing]])
        regions, rows = region_rows(prep, b.level, entries)
        with_housing = np.zeros(len(regions), bool)
        with_housing[rows[len(work):]] = True
        keep_row = np.cumsum(with_housing) - 1
        take = with_housing[rows]
        entries, coef, rows = entries[take], coef[take], keep_row[rows[take]]
        regions = regions[with_housing]
        lab = labels(balance=i, level=b.level, region=regions, housing_claim=b.housing_claim)
        if b.penalty_per_ha is not None:
            slack = prob.add_vars(f"balance_slack[{i}]", lab, 0.0, INF, integer=False)
            entries = np.concatenate([entries, slack])
            coef = np.concatenate([coef, np.ones(len(slack))])
            rows = np.concatenate([rows, np.arange(len(slack))])
        prob.add_rows(FAMILY, f"balance[{i}]", lab, rows, entries, coef, 0.0, INF)
