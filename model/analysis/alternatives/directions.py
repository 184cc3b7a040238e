"""Directions over region × claim totals: plan j maximises Σ d_j[g,k] · allocated_ha[g,k] within the budget row.

A directions file (``--directions FILE``) is a YAML list; each item is one direction, a
mapping ``"<level>:<region>:<claim>": weight``, e.g.::

    - {"province:PV26:housing": 1}                             # the most housing in Utrecht
    - {"province:PV26:housing": -1, "province:PV27:housing": 1}

``national:NL:<claim>`` addresses the whole instance. Each direction is one plan (plans 1 …
n, in the file's order). Without a file, ``--count`` directions are drawn at random
(``--seed``): a weight uniform in [−1, 1] for every region of the level (``--ranges LEVEL``,
else the instance's first region level) and every claim. ``allocated_ha[g,k]`` is the used
area of claim k in region g in the last period.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ruimtepuzzel.model.analysis.alternatives import plans
from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.schema import NATIONAL
from ruimtepuzzel.model.inputs.values import Refused, read_number
from ruimtepuzzel.model.inputs.yaml_reader import MAX_BYTES, load_spelled
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import Problem

SENSE = "max"
Key = tuple  # (level, region, claim)


def region_codes(prep: Prepared, level: str) -> set[str]:
    """The region codes of ``level`` that hold units ({'NL'} nationally)."""
    if level == NATIONAL:
        return {"NL"}
    return {str(c) for c in np.unique(prep.instance.region_codes(level).astype(str))}


def check_level(prep: Prepared, level: str, option: str) -> str:
    levels = [NATIONAL, *prep.config.regions]
    if level not in levels:
        raise InputError(f"{option}: unknown level {level!r}; the instance's levels are {', '.join(levels)}")
    return level


def parse_key(prep: Prepared, text: str, where: str) -> Key:
    """(level, region, claim) of a '<level>:<region>:<claim>' key, each part checked against the instance."""
    parts = str(text).split(":")
    if len(parts) < 3:
        raise InputError(f"{where}: key {text!r} is not '<level>:<region>:<claim>'")
    level, region, claim = parts[0], ":".join(parts[1:-1]), parts[-1]
    check_level(prep, level, f"{where}: key {text!r}")
    if region not in region_codes(prep, level):
        raise InputError(f"{where}: key {text!r}: unknown region {region!r} at level {level}")
    if claim not in prep.config.claims:
        raise InputError(f"{where}: key {text!r}: unknown claim {claim!r}; the claims are {', '.join(prep.config.claims)}")
    return level, region, claim


def read_directions(prep: Prepared, path) -> list[dict[Key, float]]:
    """The directions of a YAML file; every key and weight checked (InputError naming the file, item and key)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"{path}: refused: the directions file is larger than {MAX_BYTES:,} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the directions file: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = load_spelled(text)
    except Exception as exc:  # a YAML error of any kind: one line naming the file
        raise InputError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, list) or not data:
        raise InputError(f"{path}: expected a non-empty list of directions ({{'<level>:<region>:<claim>': weight}} each)")
    out = []
    for i, item in enumerate(data, start=1):
        where = f"{path}: direction {i}"
        if not isinstance(item, dict) or not item:
            raise InputError(f"{where}: expected a mapping '<level>:<region>:<claim>': weight, got {item!r}")
        direction = {}
        for key, weight in item.items():
            parsed = parse_key(prep, key, where)
            try:
                direction[parsed] = read_number(weight)
            except Refused as exc:
                raise InputError(f"{where}: key {key!r}: weight {exc}") from None
        out.append(direction)
    return out


def random_directions(prep: Prepared, level: str, count: int, seed: int) -> list[dict[Key, float]]:
    """``count`` directions with a weight uniform in [−1, 1] per region of ``level`` and claim."""
    rng = np.random.default_rng(seed)
    keys = [(level, r, k) for r in sorted(region_codes(prep, level)) for k in prep.config.claims]
    return [dict(zip(keys, rng.uniform(-1.0, 1.0, len(keys)).round(6))) for _ in range(count)]


def key_pairs(prep: Prepared, key: Key) -> np.ndarray:
    """The pairs counted in allocated_ha of (level, region, claim)."""
    level, region, claim = key
    mask = prep.pairs["claim"].to_numpy(dtype=object) == claim
    if level != NATIONAL:
        mask &= prep.instance.region_codes(level).astype(str)[prep.pairs["unit"].to_numpy()] == str(region)
    return np.flatnonzero(mask)


def area_vector(prep: Prepared, problem: Problem, weights: dict[Key, float]) -> np.ndarray:
    """The column vector Σ weight · allocated_ha[key] (last period)."""
    per_pair = np.zeros(len(prep.pairs))
    used = plans.used(prep)
    for key, w in weights.items():
        idx = key_pairs(prep, key)
        per_pair[idx] += w * used[idx]
    return plans.on_last(prep, problem, per_pair)


def describe(direction: dict[Key, float]) -> str:
    """'province:PV26:housing=1; …' (at most five terms, then how many more)."""
    terms = [f"{':'.join(k)}={w:g}" for k, w in direction.items() if not math.isclose(w, 0.0)]
    return "; ".join(terms[:5]) + (f"; … {len(terms) - 5} more" if len(terms) > 5 else "")
