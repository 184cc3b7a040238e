"""Phasing (docs/model.md, *Phasing*): one allocation per period; what is allocated stays allocated.

With ``periods: [t_1 < … < t_T]`` the problem is the single-period problem formulated once
from one preparation (one set of allowed pairs and spatial relations) and expanded into
period blocks of the same labelled problem (every label gains ``period``):

* every group of columns is repeated per period, ``x[u,k,t]`` as column t·n + j for pair j,
  except the once-only groups: a demand row's shortfall and the fulfilment t;
* every family holds in every period on that period's state: its rows are repeated with
  the columns of the period (single use, stacking, new–new zoning, the links to existing
  uses with T[u,t], minimum sites with their own roots and flows, balance with its own
  slack, no net loss (with ``additional``: the floors of that period), resource caps, the budget against
  ``max_eur`` or ``max_eur[t]``);
* a demand floor or ceiling holds once, on the state of its own period (``period``,
  default the last): cumulative, with its own shortfall;
* what is allocated stays allocated (family ``phasing``)::

      x[u,k,t] − x[u,k,t+1] ≤ 0          for consecutive periods (a divisible share can only grow)

* a locked pair is fixed to 1 from its ``period`` on (default the first).

The objective (:mod:`.objectives`) weights each period's state by
``objective.period_weights``. An instance without ``periods`` never comes here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ruimtepuzzel.model.formulation import budget, compensation, demand, locked
from ruimtepuzzel.model.formulation.common import labels, pair_claims, pair_units, unit_ids
from ruimtepuzzel.model.prepare.prepared import Prepared
from ruimtepuzzel.model.problem import INF, Periods, Problem

FAMILY = "phasing"
ONCE = frozenset({"shortfall"})  # groups a demand row owns: not repeated per period
ROW_PERIOD = frozenset({demand.FLOOR, demand.CEILING})  # families whose rows hold in one period each


def expand(prep: Prepared, single: Problem) -> Problem:
    """The phased problem of ``single`` (formulated for one period, without objective)."""
    cfg = prep.config
    years = tuple(cfg.periods)
    n_periods = len(years)
    out = Problem(sense=single.sense, offset=single.offset)
    out.periods = Periods(years, single.group("x").size)
    mapped = _mapper(single, *_groups(prep, single, out, years))
    for block in single.blocks:
        if block.family in ROW_PERIOD:
            _row_period_block(prep, block, out, mapped, years)
        else:
            _repeated_block(prep, block, out, mapped, years, single)
    if n_periods > 1:
        _kept(prep, out)
    _locked(prep, single, out)
    out.separators = [cuts.remapped(lambda cols, t=t: mapped(cols, np.full(len(cols), t)))
                      for cuts in single.separators for t in range(n_periods)]
    return out


def _groups(prep, single: Problem, out: Problem, years) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Copy every group into ``out``; returns per old group its new start, its size and whether it repeats."""
    lb_all, ub_all = _raw_bounds(single)
    integer_all = single.integrality()
    starts, sizes, repeated = [], [], []
    for name, g in single.groups.items():
        lb, ub, integer = lb_all[g.slice], ub_all[g.slice], integer_all[g.slice]
        if name in ONCE:
            lab = g.labels.assign(period=[prep.config.demand_period(prep.config.demand[i]) for i in g.labels["demand"]])
            start = out.add_vars(name, lab, lb, ub, g.integer)[0] if g.size else out.n_cols
            out.set_integrality(name, integer)
        else:
            lab = pd.concat([g.labels.assign(period=y) for y in years], ignore_index=True)
            cols = out.add_vars(name, lab, np.tile(lb, len(years)), np.tile(ub, len(years)), g.integer, copies=len(years))
            start = cols[0] if len(cols) else out.n_cols
            out.set_integrality(name, np.tile(integer, len(years)))
        starts.append(start), sizes.append(g.size), repeated.append(name not in ONCE)
    return np.asarray(starts), np.asarray(sizes), np.asarray(repeated)


def _raw_bounds(prob: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Column bounds without the fixings (locked pairs are fixed per period here)."""
    lb = np.concatenate(prob._lb) if prob._lb else np.empty(0)
    ub = np.concatenate(prob._ub) if prob._ub else np.empty(0)
    return lb, ub


def _mapper(single: Problem, starts, sizes, repeated):
    old_starts = np.array([g.start for g in single.groups.values()])

    def mapped(cols: np.ndarray, period_index: np.ndarray) -> np.ndarray:
        """New column of each old column in the period of each entry."""
        g = np.searchsorted(old_starts, cols, side="right") - 1
        return starts[g] + np.where(repeated[g], period_index * sizes[g], 0) + (cols - old_starts[g])

    return mapped


def _row_period_block(prep, block, out, mapped, years) -> None:
    cfg = prep.config
    row_year = np.array([cfg.demand_period(cfg.demand[i]) for i in block.labels["demand"]])
    row_index = np.array([years.index(y) for y in row_year], dtype=np.int64)
    cols = mapped(block.cols.astype(np.int64), row_index[block.rows])
    out.add_rows(block.family, block.name, block.labels.assign(period=row_year), block.rows, cols, block.vals,
                 block.lower, block.upper)


def _repeated_block(prep, block, out, mapped, years, single=None) -> None:
    if block.family == compensation.FAMILY and compensation.additional_floors(prep.config):
        return _compensation_block(prep, block, out, mapped, years, single)
    n_periods, size = len(years), block.size
    period_index = np.repeat(np.arange(n_periods), len(block.rows))
    rows = np.tile(block.rows.astype(np.int64), n_periods) + period_index * size
    cols = mapped(np.tile(block.cols.astype(np.int64), n_periods), period_index)
    upper = np.tile(block.upper, n_periods)
    if block.family == budget.FAMILY:
        upper = np.repeat([prep.config.budget.limit(y) for y in years], size)
    lab = pd.concat([block.labels.assign(period=y) for y in years], ignore_index=True)
    out.add_rows(block.family, block.name, lab, rows, cols, np.tile(block.vals, n_periods),
                 np.tile(block.lower, n_periods), upper)


def _compensation_block(prep, block, out, mapped, years, single) -> None:
    """No net loss with ``additional``: in each period the row holds the floors of that period only."""
    g = single.group("shortfall")
    demand_of = g.labels["demand"].to_numpy().astype(np.int64)
    rows, cols, vals, upper = [], [], [], []
    for t, year in enumerate(years):
        keep, up = compensation.period_terms(prep, block, g.start, demand_of, year)
        rows.append(block.rows[keep].astype(np.int64) + t * block.size)
        cols.append(mapped(block.cols[keep].astype(np.int64), np.full(int(keep.sum()), t)))
        vals.append(block.vals[keep])
        upper.append(up)
    lab = pd.concat([block.labels.assign(period=y) for y in years], ignore_index=True)
    out.add_rows(block.family, block.name, lab, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                 np.tile(block.lower, len(years)), np.concatenate(upper))


def _kept(prep: Prepared, out: Problem) -> None:
    """x[j,t] − x[j,t+1] ≤ 0 for every pair and consecutive periods."""
    n, years = out.periods.n_pairs, out.periods.years
    steps = len(years) - 1
    j = np.tile(np.arange(n), steps)
    t = np.repeat(np.arange(steps), n)
    rows = np.arange(n * steps)
    lab = labels(unit_id=unit_ids(prep, np.tile(pair_units(prep), steps)), claim=np.tile(pair_claims(prep), steps),
                 period=np.asarray(years)[t], next_period=np.asarray(years)[t + 1])
    out.add_rows(FAMILY, FAMILY, lab, np.concatenate([rows, rows]), np.concatenate([t * n + j, (t + 1) * n + j]),
                 np.concatenate([np.ones(n * steps), -np.ones(n * steps)]), -INF, 0.0)


def _locked(prep: Prepared, single: Problem, out: Problem) -> None:
    """A locked pair is fixed to 1 from its period on."""
    years, n = out.periods.years, out.periods.n_pairs
    assert all(f.family == locked.FAMILY for f in single.fixings), "only locked pairs are fixed"
    first = np.array([years.index(prep.config.locked_period(lk)) for lk in prep.config.locked], dtype=np.int64)
    for t in range(len(years)):
        out.fix(locked.FAMILY, t * n + prep.locked_pairs[first <= t], 1.0)
