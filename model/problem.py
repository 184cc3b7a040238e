"""A solver-neutral, labelled sparse MIP: what every constraint family emits.

Columns come in named groups (``x`` for allocation pairs, ``shortfall``, ``site_root``…),
rows in blocks that carry their family name and a label table (region, claim, unit…),
so that reports, duals and infeasibility diagnoses can speak the planner's language.
Solver adapters turn a :class:`Problem` into a highspy model or a Pyomo model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
import scipy.sparse as sp

INF = np.inf
INDEX = np.int32  # HiGHS's own index type (HighsInt): row and column indices at half the bytes of int64


@dataclass
class VarGroup:
    name: str
    start: int
    size: int
    labels: pd.DataFrame
    integer: bool
    copies: int = 1  # phased problems: the group's columns repeat once per period, year after year

    @property
    def slice(self) -> slice:
        return slice(self.start, self.start + self.size)


@dataclass
class RowBlock:
    family: str
    name: str
    labels: pd.DataFrame  # one row per constraint row
    rows: np.ndarray  # local row index of each coefficient (INDEX)
    cols: np.ndarray  # global column index of each coefficient (INDEX)
    vals: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    start: int = 0  # global row offset, set when added

    @property
    def size(self) -> int:
        return len(self.lower)


@dataclass
class Fixing:
    family: str
    cols: np.ndarray
    value: float


@dataclass(frozen=True)
class Periods:
    """The periods of a phased problem: group ``x`` holds ``n_pairs`` columns per year, year after year."""

    years: tuple
    n_pairs: int

    def index(self, year) -> int:
        return self.years.index(year)


@dataclass
class Problem:
    """A labelled sparse MIP: variable groups (``groups``), row blocks per family (``blocks``), bounds and objective.

    ``periods`` is None for one period; for a phased problem every group except the
    once-only ones (shortfall, fulfilment) holds one block of columns per year.
    """

    sense: str = "max"  # "max" or "min"
    groups: dict[str, VarGroup] = field(default_factory=dict)
    blocks: list[RowBlock] = field(default_factory=list)
    fixings: list[Fixing] = field(default_factory=list)
    offset: float = 0.0
    _lb: list = field(default_factory=list)
    _ub: list = field(default_factory=list)
    _int: list = field(default_factory=list)
    cost: Optional[np.ndarray] = None
    n_cols: int = 0
    n_rows: int = 0
    periods: Optional[Periods] = None
    separators: list = field(default_factory=list)  # cut separators (e.g. site_cuts.SiteCuts): valid rows found from an LP point

    # ------------------------------------------------------------------ building

    def x_cols(self, pairs: np.ndarray, year=None) -> np.ndarray:
        """The columns of allocation pairs in the period ``year`` (the pairs themselves for one period)."""
        if self.periods is None:
            return np.asarray(pairs)
        return np.asarray(pairs) + self.periods.index(year) * self.periods.n_pairs

    def period_blocks(self, group: str) -> int:
        """How many period blocks of columns ``group`` holds: one per year, or 1 (once-only, or one period)."""
        return self.groups[group].copies

    def add_vars(self, name: str, labels: pd.DataFrame, lower, upper, integer: bool, copies: int = 1) -> np.ndarray:
        """Add a group of columns; returns their global indices (``copies``: period blocks, see :class:`Periods`)."""
        if name in self.groups:
            raise ValueError(f"variable group {name!r} exists")
        size = len(labels)
        self.groups[name] = VarGroup(name, self.n_cols, size, labels.reset_index(drop=True), integer, copies)
        self._lb.append(np.broadcast_to(np.asarray(lower, float), (size,)).copy())
        self._ub.append(np.broadcast_to(np.asarray(upper, float), (size,)).copy())
        self._int.append(np.full(size, integer))
        self.n_cols += size
        self.cost = None
        return np.arange(self.n_cols - size, self.n_cols)

    def add_rows(self, family: str, name: str, labels: pd.DataFrame, rows, cols, vals, lower, upper) -> RowBlock:
        size = len(labels)
        if self.n_rows + size > np.iinfo(INDEX).max or self.n_cols > np.iinfo(INDEX).max:
            raise ValueError(f"{family}: more than {np.iinfo(INDEX).max:,} rows or columns; HiGHS indexes with 32 bits")
        block = RowBlock(
            family=family, name=name, labels=labels.reset_index(drop=True),
            rows=np.asarray(rows).astype(INDEX, copy=False), cols=np.asarray(cols).astype(INDEX, copy=False),
            vals=np.asarray(vals, float),
            lower=np.broadcast_to(np.asarray(lower, float), (size,)).copy(),
            upper=np.broadcast_to(np.asarray(upper, float), (size,)).copy(),
            start=self.n_rows,
        )
        if size:
            self.blocks.append(block)
            self.n_rows += size
        return block

    def set_bounds(self, group: str, lower=None, upper=None) -> None:
        i = list(self.groups).index(group)
        if lower is not None:
            self._lb[i][:] = lower
        if upper is not None:
            self._ub[i][:] = upper

    def set_integrality(self, group: str, integer: np.ndarray) -> None:
        self._int[list(self.groups).index(group)][:] = integer

    def fix(self, family: str, cols: np.ndarray, value: float) -> None:
        if len(cols):
            self.fixings.append(Fixing(family, np.asarray(cols, np.int64), float(value)))

    def set_objective(self, cost: np.ndarray, sense: str, offset: float = 0.0) -> None:
        if len(cost) != self.n_cols:
            raise ValueError("objective length differs from the number of columns")
        self.cost, self.sense, self.offset = np.asarray(cost, float), sense, offset

    def group(self, name: str) -> VarGroup:
        return self.groups[name]

    def has(self, name: str) -> bool:
        return name in self.groups

    # ------------------------------------------------------------------ arrays for solvers

    def bounds(self, skip_families: frozenset = frozenset()) -> tuple[np.ndarray, np.ndarray]:
        lb = np.concatenate(self._lb) if self._lb else np.empty(0)
        ub = np.concatenate(self._ub) if self._ub else np.empty(0)
        for f in self.fixings:
            if f.family not in skip_families:
                lb[f.cols] = f.value
                ub[f.cols] = f.value
        return lb, ub

    def integrality(self) -> np.ndarray:
        return np.concatenate(self._int) if self._int else np.empty(0, bool)

    def objective(self) -> np.ndarray:
        return self.cost if self.cost is not None else np.zeros(self.n_cols)

    def families(self) -> list[str]:
        names = [b.family for b in self.blocks] + [f.family for f in self.fixings]
        return list(dict.fromkeys(names))

    def matrix(self, skip_families: frozenset = frozenset(), fmt: str = "csc"):
        """The constraint matrix and row bounds, without the rows of ``skip_families``."""
        blocks = [b for b in self.blocks if b.family not in skip_families]
        offsets = [0] + np.cumsum([b.size for b in blocks]).tolist()  # Python ints: the sums stay INDEX
        rows = np.concatenate([b.rows + o for b, o in zip(blocks, offsets)]) if blocks else np.empty(0, INDEX)
        cols = np.concatenate([b.cols for b in blocks]) if blocks else np.empty(0, INDEX)
        vals = np.concatenate([b.vals for b in blocks]) if blocks else np.empty(0)
        n_rows = int(offsets[-1])
        a = sp.coo_matrix((vals, (rows, cols)), shape=(n_rows, self.n_cols))
        del rows, cols, vals
        a = a.tocsc() if fmt == "csc" else a.tocsr()
        a.sum_duplicates()
        return a, *self.row_bounds(skip_families)

    def row_bounds(self, skip_families: frozenset = frozenset()) -> tuple[np.ndarray, np.ndarray]:
        blocks = [b for b in self.blocks if b.family not in skip_families]
        if not blocks:
            return np.empty(0), np.empty(0)
        return np.concatenate([b.lower for b in blocks]), np.concatenate([b.upper for b in blocks])

    def size(self) -> dict:
        return {
            "cols": int(self.n_cols),
            "rows": int(self.n_rows),
            "nonzeros": int(sum(len(b.vals) for b in self.blocks)),
            "integer_cols": int(self.integrality().sum()),
        }
