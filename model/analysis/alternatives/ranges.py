"""Near-optimal ranges: the least and the most hectares a claim can have in a region within the budget row.

For every region g of LEVEL and claim k with a floor there (a demand row of that level,
region and claim) or an allocation in plan 0: ``min_ha`` = min allocated_ha[g,k] and
``max_ha`` = max allocated_ha[g,k] over every allocation that satisfies every hard
constraint and the budget row — what every near-optimal plan must give the claim there,
and what the most generous one can. ``optimum_ha`` is plan 0's. allocated_ha is the used
area in the last period. Each bound is one solve on the kept model, started from the plan
found so far with the least (for min) or most (for max) of that area.

:func:`ranges_for` is the entry point for a caller holding a :class:`~.space.NearOptimal`
(the negotiation table): it returns the ranges of any list of (level, region, claim).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from ruimtepuzzel.model.analysis.alternatives import directions, plans
from ruimtepuzzel.model.analysis.alternatives.space import NearOptimal
from ruimtepuzzel.model.inputs.schema import NATIONAL
from ruimtepuzzel.model.prepare.prepared import Prepared

COLUMNS = ["level", "region", "claim", "optimum_ha", "min_ha", "max_ha", "min_status", "max_status", "min_gap", "max_gap"]


def range_keys(prep: Prepared, level: str, plan0_state: np.ndarray) -> list[tuple]:
    """(level, region, claim) for every region of ``level`` and claim with a floor there or an allocation in plan 0."""
    directions.check_level(prep, level, "--ranges")
    floors = {(d.region_key, d.claim) for d in prep.config.demand if d.level == level and d.lower is not None}
    used = plans.used(prep) * plan0_state
    claims = prep.pairs["claim"].to_numpy(dtype=object)
    if level == NATIONAL:
        region = np.full(len(claims), "NL", dtype=object)
    else:
        region = prep.instance.region_codes(level).astype(str)[prep.pairs["unit"].to_numpy()]
    allocated = {(r, k) for r, k in zip(region[used > 0], claims[used > 0])}
    order = {k: i for i, k in enumerate(prep.config.claims)}
    found = sorted(floors | allocated, key=lambda rk: (str(rk[0]), order.get(rk[1], len(order))))
    return [(level, str(r), k) for r, k in found]


def area(prep: Prepared, state: np.ndarray, key: tuple) -> float:
    """allocated_ha of (level, region, claim) in a last-period state."""
    idx = directions.key_pairs(prep, key)
    return float(plans.used(prep)[idx] @ state[idx])


def range_of(space: NearOptimal, key: tuple, slack: float, known: list[np.ndarray]) -> dict:
    """One row of ranges.csv: the least and most area of ``key`` within ``slack`` (two solves)."""
    prep = space.prep
    vector = directions.area_vector(prep, space.problem, {key: 1.0})
    states = [plans.state(prep, v) for v in known]
    areas = [area(prep, s, key) for s in states]
    row = {"level": key[0], "region": key[1], "claim": key[2], "optimum_ha": area(prep, plans.state(prep, space.plan0), key)}
    for bound, sense, pick in (("min", "min", np.argmin), ("max", "max", np.argmax)):
        start = known[int(pick(areas))] if known else space.plan0
        answer = space.near(vector, sense, slack, start=start)
        row[f"{bound}_ha"] = area(prep, plans.state(prep, answer.values), key) if answer.found else np.nan
        row[f"{bound}_status"] = answer.status
        row[f"{bound}_gap"] = answer.gap
    return row


def proposal_ranges(prep: Prepared, problem, opts, keys: list[tuple], slack: float,
                    optimum: Optional[np.ndarray] = None) -> tuple[NearOptimal, pd.DataFrame]:
    """For a caller holding a prepared instance and its problem (the negotiation table): the kept near-optimal model
    and the ranges of ``keys`` within ``slack``. ``optimum``: the proposal's allocation (full column vector) taken as
    z*; None solves the optimum. The budget row is appended to ``problem`` (give it one it may keep). Keep the
    returned model to ask for more ranges with :func:`ranges_for`. Runs HiGHS in this process."""
    space = NearOptimal(prep, problem, opts)
    if optimum is None:
        space.optimum()
    else:
        space.set_optimum(optimum)
    return space, ranges_for(space, keys, slack)


def ranges_for(space: NearOptimal, keys: list[tuple], slack: float, known: Optional[list[np.ndarray]] = None) -> pd.DataFrame:
    """The ranges of ``keys`` ((level, region, claim) each) within ``slack`` of the optimum, as ranges.csv's rows.

    ``space`` must hold its optimum (:meth:`NearOptimal.optimum` or ``set_optimum``); ``known``: allocations
    (full column vectors) found before, used as starts. Solves one after the other on the kept model.
    """
    known = list(known) if known else [space.plan0]
    rows = [range_of(space, key, slack, known) for key in keys]
    return pd.DataFrame(rows, columns=COLUMNS)
