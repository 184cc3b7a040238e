"""The prepared instance: allowed pairs, their coefficients, exclusions and spatial relations.

What :func:`ruimtepuzzel.model.prepare.pairs.prepare` returns and every constraint family reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.inputs.schema import NATIONAL, Demand

if TYPE_CHECKING:
    from ruimtepuzzel.model.prepare.existing import ExistingUses


@dataclass
class Prepared:
    """The instance after the hard rules: one row per allowed pair (pair j is column j of the problem)."""

    instance: Instance
    claims: list[str]
    pairs: pd.DataFrame  # one row per allowed pair (= x column): unit, claim, used_ha, value, penalty, cost_eur
    pair_of: dict[str, np.ndarray]  # claim -> pair index per unit, -1 where not allowed
    exclusions: pd.DataFrame  # rule, claim, level, region, excluded_ha, excluded_only_ha
    zoning: pd.DataFrame  # heavy_pair, sensitive_pair: new-new conflicts closer than the guideline distance
    site_edges: dict[str, tuple[np.ndarray, np.ndarray]]  # min-site claim -> undirected edges between allowed units
    site_reach_ha: dict[str, np.ndarray]  # min-site claim -> eligible component area per unit (big-M)
    locked_pairs: np.ndarray
    warnings: list[str] = field(default_factory=list)
    existing: Optional["ExistingUses"] = None  # existing heavy categories and sensitive uses per unit
    links: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["existing_unit", "side", "pair"]))  # see prepare.existing
    findings: list = field(default_factory=list)  # feasibility.Finding, found before any model is built
    _by_region: dict = field(default_factory=dict, repr=False, compare=False)  # level -> pairs grouped by claim × region

    @property
    def units(self) -> pd.DataFrame:
        return self.instance.units

    @property
    def config(self):
        return self.instance.config

    def _pairs_by_region(self, level: str):
        """Pair indices grouped by (claim, region at ``level``), computed once per level."""
        if level not in self._by_region:
            claim = self.pairs["claim"].cat.codes.to_numpy().astype(np.int64)
            if level == NATIONAL:
                region, uniques = np.zeros(len(claim), np.int64), ["NL"]
            else:
                codes, uniques = pd.factorize(self.instance.region_codes(level))
                region = codes[self.pairs["unit"].to_numpy()].astype(np.int64)
            width = len(uniques) + 1  # the last slot takes units without a code
            key = claim * width + np.where(region < 0, width - 1, region)
            order = np.argsort(key, kind="stable")
            starts = np.searchsorted(key[order], np.arange(len(self.pairs["claim"].cat.categories) * width + 1))
            where = {u: i for i, u in enumerate(uniques)}
            self._by_region[level] = (order, starts, where, width)
        return self._by_region[level]

    def demand_coefficients(self, demand: Demand) -> tuple[np.ndarray, np.ndarray]:
        """(pair indices, coefficients) of the allocated amount a demand row counts."""
        pairs = self.pairs
        order, starts, where, width = self._pairs_by_region(demand.level)
        categories = pairs["claim"].cat.categories
        region = 0 if demand.level == NATIONAL else where.get(demand.region)
        if demand.claim not in categories or region is None:
            idx = np.empty(0, np.int64)
        else:
            slot = categories.get_loc(demand.claim) * width + region
            idx = order[starts[slot]:starts[slot + 1]]
        if demand.measure:
            coef = np.nan_to_num(self.units[demand.measure].to_numpy(float)[pairs["unit"].to_numpy()[idx]])
        else:
            coef = pairs["used_ha"].to_numpy()[idx]
        return idx, coef
