"""Changes in the sweep path language, applied to a merged configuration.

A scenario overlay may list ``changes`` beside its keys; they are applied, in order, after the
overlay is merged onto ``instance.yaml``, so one floor moves without copying the list:

    changes:
      - {path: "demand[claim=housing,region=PV26].min_ha", value: 1200}
      - {path: "demand[claim=business].min_ha", factor: 1.1}

``value`` sets every value the path addresses; ``factor`` multiplies every one that has a value
(see :mod:`model.inputs.path_language` for the grammar). The negotiation table's proposals are the
same changes.
"""
from __future__ import annotations

import copy
import math

from ruimtepuzzel.model.errors import InputError


def _finite(value) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    if isinstance(value, str):
        return not value.strip().lower().lstrip("+-.").startswith(("nan", "inf"))
    return False


def checked(change, where: str) -> dict:
    """One change as ``{path, value}`` or ``{path, factor}``; an InputError naming ``where`` otherwise."""
    if not isinstance(change, dict) or "path" not in change or not isinstance(change["path"], str):
        raise InputError(f"{where}: a change is a mapping {{path, value}} or {{path, factor}} (got {change!r})")
    extra = sorted(set(change) - {"path", "value", "factor"})
    if extra:
        raise InputError(f"{where}: {change['path']}: unknown key(s) {extra} (a change has path and value or factor)")
    if ("value" in change) == ("factor" in change):
        raise InputError(f"{where}: {change['path']}: give exactly one of value or factor")
    key = "value" if "value" in change else "factor"
    value = change[key]
    if key == "factor" and isinstance(value, str):  # a scenario file is read by spelling: "1.1" is the number 1.1
        from ruimtepuzzel.model.inputs.values import number_or_none

        value = number_or_none(value) if number_or_none(value) is not None else value
    if isinstance(value, (dict, list)) or not _finite(value):
        raise InputError(f"{where}: {change['path']}: {key} {value!r} is not a finite number, a boolean or a word")
    if key == "factor" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise InputError(f"{where}: {change['path']}: factor {value!r} is not a number")
    return {"path": change["path"], key: value}


def apply_changes(data: dict, changes, where: str) -> dict:
    """``data`` (a merged configuration) with every change applied in order; a new dict.

    Raises:
        InputError: a change that is not ``{path, value|factor}``, an unknown path or a selector
            matching nothing, a non-finite value, a factor on a value that is not a number;
            the message names ``where``, the path and the value.
    """
    from ruimtepuzzel.model.inputs.path_language import assign_path

    if not isinstance(changes, list):
        raise InputError(f"{where}: changes: expected a list of {{path, value}} or {{path, factor}} (got {type(changes).__name__})")
    out = copy.deepcopy(data)
    for i, raw in enumerate(changes):
        change = checked(raw, f"{where}: changes[{i}]")
        scales = "factor" in change
        amount = change["factor"] if scales else change["value"]
        try:
            assign_path(out, change["path"], amount, scales, change["path"])
        except InputError as exc:
            raise InputError(f"{where}: changes[{i}] ({change['path']} {'×' if scales else '='} {amount!r}): {exc}") from None
    return out
