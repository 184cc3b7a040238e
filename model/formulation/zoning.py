"""Environmental zoning between new heavy and new sensitive claims (new–new).

The conflicts are every heavy claim h on unit i and sensitive claim s on unit j with
distance(i, j) < distance_m[category(h)] (i = j too when one of the two claims is
stacking, or both are divisible: distance 0). Write v[p] for the column that stands for
pair p: x[p] for a binary pair, its presence z[p] ∈ {0,1} for a divisible one
(:mod:`.presence`: x[p] ≤ z[p], so any share counts). The edge form is

    v[i,h] + v[j,s] ≤ 1                       for each conflict.

Rows are merged per (sensitive pair, heavy unit) into the clique form

    v[j,s] + Σ_{h ∈ H(i,j)} x[i,h] ≤ 1         H(i,j): heavy claims on i in conflict with (j,s)

when the heavy claims are binary and non-stacking (v[j,s] is binary either way): the
heavy claims on one unit then exclude each other by single use, so on integer points the
clique holds exactly when all its edges do. It is fewer rows and a tighter LP. Divisible
heavy claims keep the edge form: two shares of them may be present on one unit together.

Existing uses (an existing heavy category, or a current use in
``env_zoning.sensitive_uses``) are linked to their unit's transformation in
:mod:`.zoning_existing`, or removed in preprocessing when their unit cannot be
transformed. The conflict pairs come from a spatial index.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Problem
from ruimtepuzzel.model.formulation import presence
from ruimtepuzzel.model.formulation.common import joined_claims, labels, pair_claims, pair_units, unit_ids

FAMILY = "env_zoning"
MERGE = True  # tests switch this off to compare with the edge form


def apply(prep: Prepared, prob: Problem) -> None:
    heavy = prep.zoning["heavy_pair"].to_numpy()
    sens = prep.zoning["sensitive_pair"].to_numpy()
    if len(heavy) == 0:
        return
    units, claims = pair_units(prep), pair_claims(prep)
    row = _row_of_conflict(prep, heavy, sens, units, claims) if MERGE else np.arange(len(heavy))
    n_rows = int(row.max()) + 1
    first = np.full(n_rows, -1)
    order = np.arange(len(row))[::-1]
    first[row[order]] = order  # the first conflict of each row names it
    heavy_claims = joined_claims(prep, row, n_rows, heavy)
    lab = labels(
        heavy_unit=unit_ids(prep, units[heavy[first]]), heavy_claim=heavy_claims,
        sensitive_unit=unit_ids(prep, units[sens[first]]), sensitive_claim=claims[sens[first]],
    )
    rows = np.concatenate([row, np.arange(n_rows)])
    cols = np.concatenate([presence.columns(prep, prob, heavy), presence.columns(prep, prob, sens[first])])
    prob.add_rows(FAMILY, FAMILY, lab, rows, cols, np.ones(len(rows)), -INF, 1.0)


def _row_of_conflict(prep: Prepared, heavy, sens, units, claims) -> np.ndarray:
    """Row number of each conflict: shared by conflicts that merge into one clique (binary non-stacking heavy claims;
    the sensitive side is binary, as x or as its presence z)."""
    cfg = prep.config.claims
    plain = pd.Series({k: not c.divisible and not c.stacking for k, c in cfg.items()})
    mergeable = plain.reindex(claims[heavy]).to_numpy(bool)
    key_heavy_unit = np.where(mergeable, units[heavy], -1 - np.arange(len(heavy)))  # unique key when not mergeable
    keys = pd.MultiIndex.from_arrays([sens, key_heavy_unit])
    return pd.factorize(keys, sort=False)[0]
