"""The path language of sweeps, scenario changes and the negotiation table's proposals.

A path points into a merged instance configuration (instance.yaml plus the scenario), in a small
grammar — never evaluated as code:

    demand[claim=housing,region=PV28].min_ha     list items selected by key=value
    resources.grid_mw.cap.Z1                     mapping keys
    rules[name=wbs-flood-depth].value            a rule's threshold
    demand[0].max_ha                             a list item by position

An unknown key or a selector that matches nothing is an :class:`InputError` naming the path.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.values import number_or_none

_SEGMENT = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)(?:\[(?P<sel>[^\]]*)\])?$")


@dataclass(frozen=True)
class Step:
    key: str
    index: Optional[int] = None  # [3]
    match: tuple = ()  # ((field, value), ...) for [field=value,...]
    selects: bool = False


def parse_path(path: str) -> list[Step]:
    """``a[k=v].b.c`` → steps. Keys may hold letters, digits, '_' and '-' (dots separate)."""
    steps = []
    for part in _split(path):
        m = _SEGMENT.match(part)
        if not m:
            raise InputError(f"parameter path {path!r}: cannot read {part!r} (expected key, key[field=value,...] or key[N])")
        sel = m.group("sel")
        if sel is None:
            steps.append(Step(m.group("key")))
        elif sel.strip().isdigit():
            steps.append(Step(m.group("key"), index=int(sel), selects=True))
        else:
            pairs = []
            for item in sel.split(","):
                if "=" not in item:
                    raise InputError(f"parameter path {path!r}: selector {item!r} is not field=value")
                field, value = (s.strip() for s in item.split("=", 1))
                pairs.append((field, value))
            steps.append(Step(m.group("key"), match=tuple(pairs), selects=True))
    if not steps:
        raise InputError("parameter path is empty")
    return steps


def _split(path: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in path.strip():
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "." and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _same(a, b: str) -> bool:
    if isinstance(a, float) and a.is_integer():
        a = int(a)
    return str(a) == b


def locate(data: dict, path: str) -> list[tuple[object, object]]:
    """Every (container, key) the path addresses in ``data``; the last key may be absent from a mapping."""
    steps = parse_path(path)
    current = [data]
    trail = ""
    for n, step in enumerate(steps):
        last = n == len(steps) - 1
        trail += ("." if trail else "") + step.key
        nxt = []
        for node in current:
            if not isinstance(node, dict):
                raise InputError(f"parameter path {path!r}: {trail!r} is not inside a mapping")
            if step.key not in node:
                if last and not step.selects:
                    nxt.append((node, step.key))
                    continue
                raise InputError(f"parameter path {path!r}: no key {step.key!r} at {trail!r}")
            value = node[step.key]
            if not step.selects:
                nxt.append((node, step.key) if last else value)
                continue
            if not isinstance(value, list):
                raise InputError(f"parameter path {path!r}: {trail!r} is not a list, so it takes no [selector]")
            if step.index is not None:
                if not 0 <= step.index < len(value):
                    raise InputError(f"parameter path {path!r}: {trail}[{step.index}] is out of range (length {len(value)})")
                chosen = [step.index]
            else:
                chosen = [i for i, item in enumerate(value)
                          if isinstance(item, dict) and all(f in item and _same(item[f], v) for f, v in step.match)]
                if not chosen:
                    shown = ",".join(f"{f}={v}" for f, v in step.match)
                    raise InputError(f"parameter path {path!r}: no item of {trail!r} matches [{shown}]")
            nxt.extend((value, i) if last else value[i] for i in chosen)
        current = nxt
    return current


def _has_value(container, key) -> bool:
    return (isinstance(container, list) or key in container) and container[key] is not None


def assign_path(data: dict, path: str, value, scales: bool, label: str) -> None:
    """Set (or, with ``scales``, multiply by ``value``) every value ``path`` addresses, in place.

    A selector that matches several items changes those that have the field (``demand[claim=business].min_ha``
    scales every business floor and leaves a ceiling-only row alone); when none has it, a set creates it on
    every matched item and a scale is an error (there is nothing to scale). ``label`` names the change in errors.
    """
    places = locate(data, path)
    present = [(c, k) for c, k in places if _has_value(c, k)]
    if scales:
        if not present:
            raise InputError(f"parameter {label!r}: nothing to scale at {path!r} (no matched item has a value there)")
        for container, key in present:
            base = container[key]
            if isinstance(base, str):  # instance files are read by spelling: "150" is the number 150
                base = number_or_none(base) if number_or_none(base) is not None else base
            if isinstance(base, bool) or not isinstance(base, (int, float)):
                raise InputError(f"parameter {label!r}: cannot scale {base!r} at {path!r} (not a number)")
            container[key] = float(base) * float(value)
        return
    for container, key in (present or places):
        container[key] = value
