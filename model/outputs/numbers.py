"""Numbers for people: thousands separators, a true minus sign, sensible decimals, percentages.

Every figure a person reads (console, report, fact sheets, plots) goes through these, so the
same value is spelled the same everywhere: ``-1330410.2`` → ``−1,330,410``, a gap of
``0.008270750979924017`` → ``0.83 %``, 102.75 ha → ``102.8 ha``. Machine-readable files
(CSV, JSON, Parquet) keep full precision.
"""
from __future__ import annotations

import math
from typing import Optional

MINUS = "\u2212"  # the typographic minus: "−1,330,410", never "-1,330,410"
HA = "ha"


def number(value: Optional[float], decimals: int = 0) -> str:
    """``value`` with ``decimals`` decimals and thousands separators; '' for None or NaN. Never '−0'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else MINUS + "∞"
    text = f"{abs(value):,.{decimals}f}"
    negative = value < 0 and any(c not in "0.," for c in text)
    return (MINUS if negative else "") + text


def significant_decimals(value: float, digits: int = 4, most: int = 6) -> int:
    """Decimals that show ``digits`` significant digits of ``value``, whole numbers at least (35797.2 → 0, 0.98765 → 4)."""
    if value == 0 or not math.isfinite(value):
        return 0
    return int(min(most, max(0, digits - 1 - math.floor(math.log10(abs(value))))))


def objective(value: Optional[float]) -> str:
    """An objective value or bound: four significant digits, whole numbers at least (−1,330,410; 0.9877)."""
    if value is None:
        return "n/a"
    text = number(value, significant_decimals(float(value)))
    return text.rstrip("0").rstrip(".") if "." in text else text  # 12.00 → 12, 0.9870 → 0.987


def measure_decimals(measure: Optional[str], value: float) -> int:
    """Hectares take one decimal; other measures (dwellings, MW, jobs) none when whole or from 1,000 up, else one."""
    if measure in (None, HA):
        return 1
    return 0 if abs(value) >= 1000 or float(value).is_integer() else 1


def amount(value: Optional[float], measure: Optional[str] = HA, label: Optional[str] = None) -> str:
    """A quantity with its measure: ``1,025.0 ha``, ``60,075 dwellings``. ``label`` overrides the spelled measure."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{number(value, measure_decimals(measure, float(value)))} {label or measure or HA}"


def percent(fraction: Optional[float], decimals: int = 2) -> str:
    """A fraction as a percentage: 0.00827 → '0.83 %'; a positive value too small to show → '< 0.01 %'."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "n/a"
    pct = 100.0 * float(fraction)
    smallest = 10.0 ** -decimals
    if 0 < abs(pct) < smallest / 2:
        return f"< {number(smallest, decimals)} %"
    if pct == round(pct):
        return f"{number(pct, 0)} %"
    return f"{number(pct, decimals)} %"


def seconds(value: Optional[float]) -> str:
    """A duration: '0.42 s', '12.3 s', '2 min 5 s'."""
    if value is None:
        return "n/a"
    value = float(value)
    if value < 1:
        return f"{value:.2f} s"
    if value < 120:
        return f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest} s"
