"""Existing uses in the environmental zoning, and their transformation (docs/model.md).

A unit keeps its current use, and with it its existing environmental category, unless it
is allocated to a non-stacking claim: then the existing use leaves. Write
``T[u] = Σ_{k non-stacking, (u,k) allowed} x[u,k]`` (a divisible share counts with its
share). Two kinds of existing units take part in the zoning:

* an **existing heavy** unit e (its ``existing_category_attr`` is set, category c) keeps
  every new sensitive pair (j, s) with distance(e, j) < distance_m[c] away until it is
  transformed: ``x[j,s] ≤ T[e]``;
* an **existing sensitive** unit e (its ``current_use`` is in ``sensitive_uses``) keeps
  every new heavy pair (i, h) with distance(e, i) < distance_m[category(h)] away:
  ``x[i,h] ≤ T[e]``.

For the unit itself (j = e or i = e) the link of a binary pair holds by itself: a
non-stacking claim is part of T[e], and a stacking claim needs a non-stacking host on the
same unit. So binary pairs are only linked to other units. A divisible pair counts in the
zoning by its presence (:mod:`ruimtepuzzel.model.formulation.presence`): any share needs
T[e] = 1, which a share of its own does not give, so a divisible pair on e itself is
linked too (distance 0). Existing–existing pairs are today's situation and are not
constrained.

A unit that no allowed non-stacking pair can transform is *fixed*: T[e] ≡ 0, and its
links become plain exclusions, removed before the model is built (``rules.csv``:
``env-zoning-existing``, itself included at distance 0). Removing pairs can leave another
existing unit without an allowed non-stacking pair, so :func:`ruimtepuzzel.model.prepare.pairs.prepare`
repeats the filters until no further unit becomes fixed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.prepare.spatial import units_closer_than

HEAVY, SENSITIVE = "existing heavy", "existing sensitive"
LINK_COLUMNS = ("existing_unit", "side", "pair")


@dataclass(frozen=True)
class ExistingUses:
    """Which units carry an existing use that takes part in the zoning.

    ``category``: per unit the existing category (str) or None; ``sensitive``: per unit
    whether its current use is sensitive. Both arrays have one entry per unit.
    """

    category: np.ndarray
    sensitive: np.ndarray

    @property
    def any(self) -> np.ndarray:
        return (self.category != None) | self.sensitive  # noqa: E711 (element-wise)

    def heavy_units(self, category: str, among: np.ndarray) -> np.ndarray:
        return np.flatnonzero((self.category == category) & among)

    def categories(self) -> list[str]:
        return sorted({c for c in self.category if c is not None})


def existing_uses(instance: Instance) -> ExistingUses:
    ez = instance.config.env_zoning
    n = len(instance.units)
    category = np.full(n, None, dtype=object)
    sensitive = np.zeros(n, bool)
    if ez is not None and ez.existing_category_attr:
        values = instance.units[ez.existing_category_attr].to_numpy(dtype=object)
        present = pd.notna(values)
        category[present] = values[present]
    if ez is not None and ez.sensitive_uses:
        sensitive = instance.units["current_use"].isin(ez.sensitive_uses).to_numpy()
    return ExistingUses(category, sensitive)


def _heavy_categories(instance: Instance) -> dict[str, list[str]]:
    """Heavy claims grouped by their category."""
    out: dict[str, list[str]] = {}
    for k, c in instance.config.claims.items():
        if c.env_category is not None:
            out.setdefault(instance.config.env_zoning.category(c.env_category), []).append(k)
    return out


def exclusion_masks(instance: Instance, existing: ExistingUses, fixed: np.ndarray) -> dict[str, np.ndarray]:
    """Per claim, the units it may not use because a *fixed* existing unit is closer than the distance.

    ``fixed``: bool per unit, the existing units no allowed non-stacking pair can transform.
    A fixed unit counts against itself (distance 0).
    """
    ez = instance.config.env_zoning
    masks: dict[str, np.ndarray] = {}
    if ez is None or not fixed.any():
        return masks
    n = len(instance.units)
    every = np.arange(n)
    cfg = instance.config.claims
    sources = np.flatnonzero(existing.sensitive & fixed)
    for category, claims in _heavy_categories(instance).items():
        if len(sources):
            near, _ = units_closer_than(instance, every, sources, ez.distance_of(category))
            for k in claims:
                masks.setdefault(k, np.zeros(n, bool))[near] = True
    heavy_near = np.zeros(n, bool)
    for category in existing.categories():
        heavy = existing.heavy_units(category, fixed)
        if len(heavy):
            near, _ = units_closer_than(instance, every, heavy, ez.distance_of(category))
            heavy_near[near] = True
    if heavy_near.any():
        for k, c in cfg.items():
            if c.sensitive:
                masks[k] = masks.get(k, np.zeros(n, bool)) | heavy_near
    return masks


def links(instance: Instance, existing: ExistingUses, movable: np.ndarray, pair_of: dict[str, np.ndarray]) -> pd.DataFrame:
    """The linking pairs of movable existing units: one row per (existing unit, side, new pair).

    ``movable``: bool per unit, existing units with at least one allowed non-stacking pair.
    Returns columns existing_unit (unit index), side (HEAVY or SENSITIVE: which existing use
    links), pair (the new pair's index); sorted, without duplicates; a pair on the unit itself
    only when its claim is divisible.
    """
    ez = instance.config.env_zoning
    frames = []
    if ez is not None and movable.any():
        cfg = instance.config.claims
        sensitive_claims = [k for k, c in cfg.items() if c.sensitive]
        if sensitive_claims:
            targets = np.flatnonzero(np.any([pair_of[s] >= 0 for s in sensitive_claims], axis=0))
            for category in existing.categories():
                sources = existing.heavy_units(category, movable)
                frames += _pairs_near(instance, sources, targets, ez.distance_of(category), sensitive_claims, pair_of, HEAVY)
        sources = np.flatnonzero(existing.sensitive & movable)
        for category, heavy_claims in _heavy_categories(instance).items():
            targets = np.flatnonzero(np.any([pair_of[h] >= 0 for h in heavy_claims], axis=0))
            frames += _pairs_near(instance, sources, targets, ez.distance_of(category), heavy_claims, pair_of, SENSITIVE)
    if not frames:
        return pd.DataFrame({"existing_unit": np.empty(0, np.int64), "side": np.empty(0, object), "pair": np.empty(0, np.int64)})
    out = pd.concat(frames, ignore_index=True).drop_duplicates()
    return out.sort_values(["existing_unit", "side", "pair"], ignore_index=True)


def _pairs_near(instance, sources, targets, distance, claims, pair_of, side) -> list[pd.DataFrame]:
    if len(sources) == 0 or len(targets) == 0:
        return []
    i, j = units_closer_than(instance, sources, targets, distance)
    e, u = sources[i], targets[j]
    other = e != u  # the unit itself: the link of a binary pair holds by itself, a divisible share's presence does not
    frames = []
    for k in claims:
        p = pair_of[k][u]
        ok = (p >= 0) & (other | instance.config.claims[k].divisible)
        frames.append(pd.DataFrame({"existing_unit": e[ok], "side": side, "pair": p[ok]}))
    return frames


def transformable(allowed: dict[str, np.ndarray], non_stacking: list[str], n: int) -> np.ndarray:
    """Per unit: does any allowed non-stacking pair exist (so the existing use could leave)?"""
    masks = [allowed[k] for k in non_stacking]
    return np.any(masks, axis=0) if masks else np.zeros(n, bool)
