"""Resource caps per zone: grid capacity (MW), fresh water, nitrogen deposition.

    Σ_{u ∈ z, k} r[k] · used[u,k] · x[u,k] ≤ cap[z]     for every zone z in ``cap``

r = ``per_ha[k]``; a negative r supplies capacity (e.g. a battery or substation
relieving grid congestion). Zones are the values of ``zone_attr``; a unit with an
empty zone is in no zone. Without ``zone_attr`` (an extension) every unit is in the one zone
that ``cap`` names, e.g. a national ceiling on new economic land. Every capped zone gets a row, even an empty one, so that
an impossible cap (below 0 with nothing to supply it) is reported, not hidden.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem
from ruimtepuzzel.model.formulation.common import labels, pair_units, used_ha

FAMILY = "resources"


def apply(prep: Prepared, prob: Problem) -> None:
    used, units = used_ha(prep), pair_units(prep)
    for name, res in prep.config.resources.items():
        zones = list(res.cap)
        if not zones:
            continue
        rate = np.array([res.per_ha.get(k, 0.0) for k in prep.claims])
        per_pair = rate[prep.pairs["claim"].cat.codes.to_numpy()] * used
        unit_zone = res.zones(prep.units)[units]
        rows = pd.Index(zones).get_indexer(unit_zone).astype(np.int64)
        take = (rows >= 0) & (per_pair != 0)
        lab = labels(resource=name, zone=zones, unit=res.unit or "")
        prob.add_rows(FAMILY, f"resources[{name}]", lab, rows[take], np.flatnonzero(take), per_pair[take], -INF,
                      np.array([res.cap[z] for z in zones]))
