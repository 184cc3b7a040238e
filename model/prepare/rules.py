"""Layer rules as data: ``unit[attr] op value`` evaluated column-wise, never as code.

A missing value (empty cell) never matches. Booleans compare with booleans,
numbers with numbers, anything else by its spelling (``"A"``, ``"4.1"``).
"""
from __future__ import annotations

import operator

import numpy as np
import pandas as pd

from ruimtepuzzel.model.inputs.schema import Rule, category_str

OPERATORS = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def _is_boolean_column(col: pd.Series) -> bool:
    return pd.api.types.infer_dtype(col, skipna=True) == "boolean"  # every present value a bool (and at least one)


def rule_mask(units: pd.DataFrame, rule: Rule) -> np.ndarray:
    """Boolean array: the units the rule matches."""
    col = units[rule.attr]
    present = col.notna().to_numpy()
    compare = OPERATORS[rule.op]
    if col.dtype == float:
        value = float(rule.value) if not isinstance(rule.value, str) else np.nan
        with np.errstate(invalid="ignore"):
            hit = compare(col.to_numpy(float), value)
    elif _is_boolean_column(col):
        if isinstance(rule.value, bool):
            value = rule.value
        else:
            value = category_str(rule.value).lower() in ("true", "1", "yes")
        hit = compare(col.where(col.notna(), False).astype(bool).to_numpy(), value)
    else:
        value = category_str(rule.value)
        if pd.api.types.infer_dtype(col, skipna=True) == "string":  # spell each distinct value once, not each unit
            codes, uniques = pd.factorize(col)  # (only for text: a hash table would merge True, 1 and 1.0)
            spelled = np.array([category_str(v) for v in uniques], dtype=object)
            hit = np.zeros(len(col), dtype=bool)
            hit[codes >= 0] = np.asarray(compare(spelled, value), dtype=bool)[codes[codes >= 0]]
        else:
            hit = compare(col.map(lambda v: category_str(v) if v is not None and v == v else "").to_numpy(dtype=object), value)
            hit = np.asarray(hit, dtype=bool)
    return present & hit


def rule_claims(rule: Rule, claims: list[str]) -> list[str]:
    return list(rule.claims) if rule.claims is not None else list(claims)
