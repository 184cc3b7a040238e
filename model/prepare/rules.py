"""Layer rules as data: ``unit[attr] op value`` evaluated column-wise, never as code.

A missing value (empty cell) never matches. The value is read in the column's type
(:func:`..inputs.references.rule_value`): numbers compare with numbers ("1" is 1),
booleans with booleans ("ja" is true), text by its spelling ("A", "0363").
"""
from __future__ import annotations

import operator

import numpy as np
import pandas as pd

from ruimtepuzzel.model.inputs.references import column_kind, rule_value
from ruimtepuzzel.model.inputs.schema import InstanceConfig, Rule
from ruimtepuzzel.model.inputs.units import BOOLEAN, NUMBER

OPERATORS = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def rule_mask(units: pd.DataFrame, rule: Rule, config: InstanceConfig) -> np.ndarray:
    """Boolean array: the units the rule matches."""
    col = units[rule.attr]
    present = col.notna().to_numpy()
    compare = OPERATORS[rule.op]
    value = rule_value(config, units, rule)
    kind = column_kind(col)
    if kind == NUMBER:
        with np.errstate(invalid="ignore"):
            hit = compare(col.to_numpy(float), float(value))
    elif kind == BOOLEAN:
        hit = compare(col.where(col.notna(), False).astype(bool).to_numpy(), bool(value))
    else:  # text: spell each distinct value once, not each unit
        codes, uniques = pd.factorize(col)
        spelled = np.array([str(v) for v in uniques], dtype=object)
        hit = np.zeros(len(col), dtype=bool)
        hit[codes >= 0] = np.asarray(compare(spelled, value), dtype=bool)[codes[codes >= 0]]
    return present & np.asarray(hit, dtype=bool)


def rule_claims(rule: Rule, claims: list[str]) -> list[str]:
    return list(rule.claims) if rule.claims is not None else list(claims)
