"""Environmental zoning between new heavy and new sensitive claims.

    x[i,h] + x[j,s] ≤ 1     for every heavy claim h on unit i and sensitive claim s on unit j
                            with distance(i, j) < distance_m[category(h)]

Existing uses (an existing heavy category, or a current use in
``env_zoning.sensitive_uses``) are applied in preprocessing by removing pairs,
since they do not move. The conflict pairs come from a spatial index.
"""
from __future__ import annotations

import numpy as np

from ..preprocess import Prepared
from ..problem import INF, Problem
from .common import labels, pair_claims, pair_units, unit_ids

FAMILY = "env_zoning"


def apply(prep: Prepared, prob: Problem) -> None:
    heavy = prep.zoning["heavy_pair"].to_numpy()
    sens = prep.zoning["sensitive_pair"].to_numpy()
    n = len(heavy)
    if n == 0:
        return
    units, claims = pair_units(prep), pair_claims(prep)
    lab = labels(
        heavy_unit=unit_ids(prep, units[heavy]), heavy_claim=claims[heavy],
        sensitive_unit=unit_ids(prep, units[sens]), sensitive_claim=claims[sens],
    )
    rows = np.concatenate([np.arange(n), np.arange(n)])
    prob.add_rows(FAMILY, FAMILY, lab, rows, np.concatenate([heavy, sens]), np.ones(2 * n), -INF, 1.0)
