"""One reading of every scalar an instance supplies (docs/instances.md, *Reading values*).

Instance files are typed by planners, often from Excel. A value is read by its
spelling and converted by what the key or column means, never by what a YAML or CSV
library guesses:

* **codes** (unit ids, region codes, categories, claim keys, zones, uses) keep their
  spelling: ``007`` is "007", ``0363`` is "0363" (never the octal 243), ``5.0`` is
  "5.0" (matched to the category "5" where categories are compared);
* **numbers** are decimal spellings (``12``, ``-0.5``, ``1e3``, ``1_000``) and finite:
  ``.nan``, ``.inf``, ``0x1F``, ``1:30`` and a decimal comma are refused by name;
* **booleans** in YAML are true/false, yes/no, ja/nee, on/off, 1/0 in any case; in
  a units CSV true/false, 1/0, yes/no, ja/nee, j/n, waar/onwaar in any case.

YAML files are read with every plain scalar as its spelling by :mod:`.yaml_reader`
(``null``, ``~`` and an empty value stay None). The schema (:mod:`.schema`) turns spellings into values with :data:`Number`,
:data:`Count`, :data:`Flag` and :data:`Code`; the units reader (:mod:`.units`) reads
cells with the CSV sets below.
"""
from __future__ import annotations

import math
import re
import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator

YAML_TRUE = frozenset({"true", "yes", "ja", "on", "1"})
YAML_FALSE = frozenset({"false", "no", "nee", "off", "0"})
CSV_TRUE = frozenset({"true", "1", "yes", "ja", "j", "waar"})
CSV_FALSE = frozenset({"false", "0", "no", "nee", "n", "onwaar"})
BOOLEAN_WORDS = YAML_TRUE | YAML_FALSE | CSV_TRUE | CSV_FALSE  # what a rule value may spell against a boolean column
MISSING_NUMBER = frozenset({"", "na", "nan"})  # in a numeric column: missing (any case)

_DIGITS = r"\d+(?:_\d+)*"
NUMBER_SPELLING = re.compile(rf"^[+-]?(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?\d+)?$")
_NOT_FINITE = re.compile(r"^[+-]?\.?(?:nan|inf|infinity)$", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+(?:\.\d{3})*,\d+$")


class Refused(ValueError):
    """A spelling that cannot be read as what its key or column needs; the message says why."""


def spelled(value: Any) -> str:
    """A value as it would be written: strings as given (stripped), numbers without a trailing ``.0``."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def number_or_none(text: str) -> float | None:
    """The number a decimal spelling means, or None when it is not one (finite numbers only)."""
    text = text.strip()
    if not NUMBER_SPELLING.match(text):
        return None
    value = float(text.replace("_", ""))
    return value if math.isfinite(value) else None


def read_number(value: Any) -> float:
    """A finite number from its spelling (or from a Python number); anything else is refused."""
    if isinstance(value, bool):
        raise Refused(f"{spelled(value)} is not a number")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise Refused(f"{value} is not a finite number")
        return float(value)
    if not isinstance(value, str):
        raise Refused(f"expected a number, got {type(value).__name__}")
    text = value.strip()
    if _NOT_FINITE.match(text):
        raise Refused(f"{text!r} is not a finite number")
    if NUMBER_SPELLING.match(text):
        number = float(text.replace("_", ""))
        if not math.isfinite(number):
            raise Refused(f"{text!r} is too large to be a finite number")
        return number
    if _DECIMAL_COMMA.match(text):
        raise Refused(f"{text!r} is not a number: write a decimal point ({text.replace('.', '').replace(',', '.')})")
    raise Refused(f"{text!r} is not a number")


def read_count(value: Any) -> int:
    """A whole number (threads, seeds, samples)."""
    number = read_number(value)
    if not number.is_integer():
        raise Refused(f"{spelled(value)!r} is not a whole number")
    return int(number)


def read_flag(value: Any) -> bool:
    """true/false, yes/no, ja/nee, on/off, 1/0 in any case (and Python booleans)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in YAML_TRUE:
            return True
        if word in YAML_FALSE:
            return False
    raise Refused(f"{spelled(value)!r} is not a boolean (true/false, yes/no, ja/nee, on/off or 1/0)")


def read_code(value: Any) -> str:
    """A code keeps its spelling (stripped, in Unicode normal form NFC); a number given from Python is spelled
    without a trailing .0."""
    if isinstance(value, str):
        text = unicodedata.normalize("NFC", value.strip())
        if not text:
            raise Refused("empty code")
        return text
    if isinstance(value, bool):
        raise Refused(f"{spelled(value)} is a boolean, not a code (quote it if it is one)")
    if isinstance(value, float) and not math.isfinite(value):
        raise Refused(f"{value} is not a code")
    if isinstance(value, (int, float)):
        return spelled(value)
    raise Refused(f"expected a code, got {type(value).__name__}")


def read_csv_flag(text: str) -> bool | None:
    """A units-CSV boolean cell: True, False, or None when it is not one of the CSV spellings."""
    word = text.strip().lower()
    if word in CSV_TRUE:
        return True
    if word in CSV_FALSE:
        return False
    return None


def read_rule_flag(value: Any) -> bool | None:
    """A rule value against a boolean column: any boolean spelling of YAML or CSV; None when it is none."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in YAML_TRUE | CSV_TRUE:
            return True
        if word in YAML_FALSE | CSV_FALSE:
            return False
    return None


def spells_boolean_word(value: Any) -> bool:
    """A rule value that can only mean a boolean (true, ja, on…; not 1 or 0, which are numbers too)."""
    if isinstance(value, bool):
        return True
    return isinstance(value, str) and value.strip().lower() in BOOLEAN_WORDS - {"1", "0"}


def _check(reader):
    def check(value):
        if value is None:
            return None
        return reader(value)
    return check


Number = Annotated[float, BeforeValidator(_check(read_number))]
Count = Annotated[int, BeforeValidator(_check(read_count))]
Flag = Annotated[bool, BeforeValidator(_check(read_flag))]
Code = Annotated[str, BeforeValidator(_check(read_code))]
