"""Helpers shared by the constraint families: pair attributes as arrays, region grouping."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ruimtepuzzel.model.prepare.prepared import Prepared


def pair_units(prep: Prepared) -> np.ndarray:
    return prep.pairs["unit"].to_numpy()


def pair_claims(prep: Prepared) -> np.ndarray:
    claim = prep.pairs["claim"]  # a categorical: take from its few names rather than convert every entry
    return np.asarray(claim.cat.categories, dtype=object)[claim.cat.codes.to_numpy()]


def used_ha(prep: Prepared) -> np.ndarray:
    return prep.pairs["used_ha"].to_numpy()


def stacking_pairs(prep: Prepared) -> np.ndarray:
    stacking = {k for k, c in prep.config.claims.items() if c.stacking}
    return np.isin(pair_claims(prep), list(stacking))


def unit_ids(prep: Prepared, units: np.ndarray) -> pd.Categorical:
    """The unit ids of ``units`` as a categorical: a code per entry, each id string stored once."""
    return pd.Categorical.from_codes(np.asarray(units, np.int64), dtype=prep.instance.unit_dtype())


def grouped_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row number per entry for one row per distinct key; returns (distinct keys, row of each entry)."""
    return np.unique(keys, return_inverse=True)


def region_rows(prep: Prepared, level: str, entry_pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct region codes at ``level`` of the entries' units, and each entry's row number."""
    codes, names = prep.instance.region_index(level)  # sorted names, so sorted codes give the same rows as sorted strings
    distinct, rows = grouped_rows(codes[pair_units(prep)[entry_pairs]])
    return np.asarray(names, dtype=object)[distinct].astype(str), rows


def labels(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def joined_claims(prep: Prepared, row: np.ndarray, n_rows: int, pairs: np.ndarray) -> np.ndarray:
    """Per row, the sorted claims of its ``pairs`` joined by "+" (row[i] is the row of pairs[i]); vectorised by bit sets."""
    names = np.asarray(prep.claims, dtype=object)
    code = prep.pairs["claim"].cat.codes.to_numpy().astype(np.int64)[pairs]
    mask = np.zeros(n_rows, np.int64)
    np.bitwise_or.at(mask, row, np.left_shift(1, code))
    spelled = {m: "+".join(names[[i for i in range(len(names)) if m >> i & 1]]) for m in np.unique(mask)}
    return pd.Series(mask).map(spelled).to_numpy(dtype=object)
