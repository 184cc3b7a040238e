"""No net loss of economy, per region of ``compensation.level``.

    Σ_{u: use(u) = B, k ∉ W, k non-stacking} used[u,k] · x[u,k]
        − Σ_{u: use(u) ≠ B, k ∈ W} used[u,k] · x[u,k] ≤ 0

B = ``business_use``, W = ``work_claims``: business-park area converted to another
use is compensated by new work area on land of another current use in the same
region. Rows only for regions where a conversion is possible.
"""
from __future__ import annotations

import numpy as np

from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem
from ruimtepuzzel.model.formulation.common import labels, pair_claims, pair_units, region_rows, stacking_pairs, used_ha

FAMILY = "compensation"


def apply(prep: Prepared, prob: Problem) -> None:
    comp = prep.config.compensation
    if comp is None:
        return
    claims, used = pair_claims(prep), used_ha(prep)
    on_business = (prep.units["current_use"].to_numpy(dtype=object) == comp.business_use)[pair_units(prep)]
    in_work = np.isin(claims, comp.work_claims)
    converted = np.flatnonzero(on_business & ~in_work & ~stacking_pairs(prep))
    if len(converted) == 0:
        return
    new_work = np.flatnonzero(~on_business & in_work)
    entries = np.concatenate([converted, new_work])
    coef = np.concatenate([used[converted], -used[new_work]])
    regions, rows = region_rows(prep, comp.level, entries)
    has_conv = np.zeros(len(regions), bool)
    has_conv[rows[: len(converted)]] = True
    take = has_conv[rows]
    new_row = np.cumsum(has_conv) - 1
    lab = labels(level=comp.level, region=regions[has_conv], business_use=comp.business_use)
    prob.add_rows(FAMILY, FAMILY, lab, new_row[rows[take]], entries[take], coef[take], -INF, 0.0)
