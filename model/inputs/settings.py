"""Run settings given on the command line or to the Python API, checked in one place.

The command line's option types (:mod:`ruimtepuzzel.cli`) and :func:`solve_options
<ruimtepuzzel.model.solve.stages.solve_options>` both read them here, so ``--gap 5``
is refused the same way as ``solve_instance(..., gap=5)`` and as ``solver:
{mip_rel_gap: 5}`` in instance.yaml: a relative gap is a fraction, and 5 would be 500 %.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from ruimtepuzzel.model.errors import InputError, quoted
from ruimtepuzzel.model.inputs.values import Refused, read_count, read_number, spelled


def gap(value: Any) -> float:
    """A relative MIP gap: a fraction in [0, 1); 0 asks for a proven optimum."""
    number = read_number(value)
    if number < 0:
        raise Refused(f"{spelled(value)} is negative; a relative gap is a fraction in [0, 1) (0 asks for a proven optimum)")
    if number >= 1:
        raise Refused(f"{spelled(value)} would be {number * 100:g} %; a relative gap is a fraction in [0, 1) "
                      f"(for {number:g} % write {number / 100:g})")
    return number


def seconds(value: Any) -> float:
    """A time limit: a finite number of seconds above 0."""
    number = read_number(value)
    if number <= 0:
        raise Refused(f"{spelled(value)} is not above 0 seconds")
    return number


def whole(minimum: int, maximum: Optional[int] = None):
    """A whole number in [minimum, maximum]."""
    def read(value: Any) -> int:
        number = read_count(value)
        if number < minimum or (maximum is not None and number > maximum):
            bounds = f"at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
            raise Refused(f"{spelled(value)} is not {bounds}")
        return number
    read.__doc__ = f"a whole number, at least {minimum}" + (f" and at most {maximum}" if maximum is not None else "")
    return read


SOLVER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")


def solver_name(value: Any) -> str:
    """A solver's name: ``highs``, ``pyomo-highs`` or a Pyomo solver name (cbc, glpk, gurobi_direct…): letters,
    digits, ``-`` and ``_``. A path is refused: an instance file must not make the tool run a program of its choosing."""
    if not isinstance(value, str) or not SOLVER_NAME.fullmatch(value.strip()):
        raise Refused(f"{quoted(spelled(value))} is not a solver name (highs, pyomo-highs, or a Pyomo solver name "
                      "such as cbc, glpk or gurobi: letters, digits, - and _)")
    return value.strip()


threads = whole(0)
seed = whole(0)
points = whole(2)
workers = whole(1)


def checked(option: str, read, value: Any):
    """``value`` read by ``read``; None stays None (the instance's own setting); refusals name the option."""
    if value is None:
        return None
    try:
        return read(value)
    except Refused as exc:
        raise InputError(f"{option}: {exc}") from None
