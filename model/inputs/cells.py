"""Columns of text cells, and the few operations the units reader needs on them.

With pyarrow installed (the default) a column is a ``pyarrow.ChunkedArray`` of strings and
every operation is one vectorised compute kernel: a national instance has millions of
cells per column. Without pyarrow a column is a numpy object array and the same
operations run in plain Python, slower, with the same results. A missing cell is null
(None). Masks come back as numpy boolean arrays.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Optional

import numpy as np
import pandas as pd

try:  # an optional accelerator: the reader gives the same answers without it
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover - exercised by the tests with ARROW switched off
    pa = pc = None

ARROW = pa is not None
FLOAT_SPELLING = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$", re.ASCII | re.IGNORECASE)


def _arrow(col) -> bool:
    return ARROW and isinstance(col, (pa.ChunkedArray, pa.Array))


def column(values: list) -> Any:
    """A column from Python strings (None for a missing cell)."""
    if ARROW:
        return pa.chunked_array([pa.array(values, type=pa.string())])
    return np.array(values, dtype=object)


def size(col) -> int:
    return len(col)


def cell(col, i: int) -> Optional[str]:
    return col[i].as_py() if _arrow(col) else col[i]


def is_null(col) -> np.ndarray:
    if _arrow(col):
        return pc.is_null(col).to_numpy(zero_copy_only=False)
    return np.array([v is None for v in col], dtype=bool)


def _map(col, f):
    return np.array([None if v is None else f(v) for v in col], dtype=object)


def clean(col):
    """Cells without surrounding spaces (a no-break space included), in Unicode normal form NFC (one spelling of
    ``Súdwest`` whether its accent was typed as one character or as a combining one); an empty or blank cell is null."""
    if _arrow(col):
        if pc.all(pc.string_is_ascii(col)).as_py() is not False:
            text = pc.ascii_trim_whitespace(col)
        else:
            text = pc.utf8_normalize(pc.utf8_trim_whitespace(col), form="NFC")
        blank = pc.equal(pc.binary_length(text), 0)
        return pc.if_else(blank, pa.scalar(None, pa.string()), text) if pc.any(blank).as_py() else text
    return np.array([None if v is None or not v.strip() else unicodedata.normalize("NFC", v.strip()) for v in col], dtype=object)


def lower(col):
    return pc.utf8_lower(col) if _arrow(col) else _map(col, str.lower)


def matches(col, pattern: str) -> np.ndarray:
    """Cells that match ``pattern`` as a whole (it carries its own ^ and $); null cells do not."""
    if _arrow(col):
        return pc.fill_null(pc.match_substring_regex(col, pattern), False).to_numpy(zero_copy_only=False)
    rx = re.compile(pattern, re.ASCII)
    return np.array([v is not None and rx.search(v) is not None for v in col], dtype=bool)


def any_contains(col, text: str) -> bool:
    if _arrow(col):
        return bool(pc.any(pc.match_substring(col, text)).as_py())
    return any(v is not None and text in v for v in col)


def replace(col, pattern: str, new: str):
    """Every match of the regular expression ``pattern`` replaced by ``new``."""
    if _arrow(col):
        return pc.replace_substring_regex(col, pattern, new)
    rx = re.compile(pattern)
    return _map(col, lambda v: rx.sub(new, v))


def nulled(col, mask: np.ndarray):
    """The column with the cells under ``mask`` made null."""
    if not mask.any():
        return col
    if _arrow(col):
        return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), col)
    out = col.copy()
    out[mask] = None
    return out


def to_float(col) -> np.ndarray:
    """Floats (NaN for null); ValueError when a cell is no plain float spelling (nan and inf spellings are)."""
    if _arrow(col):
        try:
            return pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False).astype(float, copy=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise ValueError("not every cell is a number") from None
    out = np.full(len(col), np.nan)
    for i, v in enumerate(col):
        if v is not None:
            if not FLOAT_SPELLING.match(v):
                raise ValueError("not every cell is a number")
            out[i] = float(v)
    return out


def words(col) -> set:
    """The distinct cells (nulls aside)."""
    if _arrow(col):
        return set(pc.unique(col).drop_null().to_pylist())
    return {v for v in col if v is not None}


def equal(col, word: str) -> np.ndarray:
    if _arrow(col):
        return pc.fill_null(pc.equal(col, word), False).to_numpy(zero_copy_only=False)
    return np.array([v == word for v in col], dtype=bool)


def objects(col) -> np.ndarray:
    """An object array of the cells, None for null."""
    if _arrow(col):
        return col.to_numpy(zero_copy_only=False).astype(object, copy=False)
    return col


def series(col) -> pd.Series:
    """pandas' string dtype (Arrow-backed when pyarrow is installed), missing for null."""
    if _arrow(col):
        return col.to_pandas()
    return pd.Series(col, dtype="str")
