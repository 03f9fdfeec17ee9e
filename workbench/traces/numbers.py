"""Numeric coercion of raw event values, the way the benchmark reads them. Layer: traces (pure; no Qt).

This module is the ONE owner of "turn a raw JSON value into a number" for the whole workbench: the
trace table, the questions' true values, the evaluation filter, the prompt renderer and case marking
all call it. The benchmark reads numbers in three different ways depending on where a value is used,
and each has its own function here (see ``docs/benchmark.md``, "Malformed values"):

* :func:`benchmark_numeric` / :func:`to_number`: the coercion it applies to numeric context fields
  before rendering. Numbers (booleans included: they are integers in Python) pass unchanged; a string
  is stripped and read whole (``int`` when it has no ".", else ``float``: so "1_000" -> 1000,
  "1.5e3" -> 1500.0, "-5" -> -5), otherwise its leading unsigned number is taken ("60秒" -> 60,
  "12.5万" -> 12.5, "1e3" -> 1); anything else is returned unchanged by the benchmark, and is None
  from :func:`to_number`.
* :func:`duration_seconds`: how it reads a watch duration (``play_duration``, a video's
  ``duration``): strings lose every "秒" and must then parse whole as a float ("1分30秒" -> 0.0,
  "12 s" -> 0.0, "nan" -> nan); numbers are converted with ``float``; anything else is 0.
* :func:`positive_count`: how it tests a count in a label (``activation_cnt > 0``): the raw value
  is compared with 0, so a string or ``None`` count makes the benchmark stop with a ``TypeError``.
  We go on instead (the value's :func:`to_number` reading, 0 when it has none) and say so.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple, TypeGuard

__all__ = [
    "PositiveCount",
    "benchmark_numeric",
    "describe_value",
    "duration_seconds",
    "is_number",
    "positive_count",
    "to_number",
]

_LEADING = re.compile(r"^(\d+\.?\d*)")


def is_number(value: Any) -> TypeGuard[int | float]:
    """True for ``int`` and ``float`` values, booleans included (the benchmark's ``isinstance``
    test treats ``True`` as the integer 1)."""
    return isinstance(value, (int, float))


def benchmark_numeric(value: Any) -> Any:
    """The benchmark's coercion of a numeric context field: an ``int``/``float`` for numbers and for
    strings that start with a number, else ``value`` itself, unchanged. Never raises."""
    if is_number(value):
        return value
    if not isinstance(value, str):
        return value
    s = value.strip()
    if not s:
        return value
    try:
        return float(s) if "." in s else int(s)
    except ValueError:
        pass
    m = _LEADING.match(s)
    if m:
        num = m.group(1)
        try:
            return float(num) if "." in num else int(num)
        except ValueError:  # pragma: no cover - the pattern only matches valid numbers
            return value
    return value


def to_number(value: Any) -> int | float | None:
    """:func:`benchmark_numeric` as a number, or None when the benchmark would keep a non-number
    (``None``, an empty or non-numeric string, a list, a dict). Booleans give 0/1."""
    n = benchmark_numeric(value)
    if isinstance(n, bool):
        return int(n)
    return n if is_number(n) else None


def duration_seconds(value: Any) -> float:
    """A watch duration in seconds as the benchmark reads it: a string without its "秒" characters
    must parse whole as a float, else 0.0; a number (or boolean) is converted with ``float``; an
    empty string, ``None`` and every other type give 0.0. Never raises."""
    if isinstance(value, str):
        if not value:
            return 0.0
        try:
            return float(value.replace("秒", "").strip())
        except ValueError:
            return 0.0
    if is_number(value):
        return float(value)
    return 0.0


class PositiveCount(NamedTuple):
    """Result of :func:`positive_count`: whether the count is above 0, and whether the benchmark
    itself could not have compared the raw value (it stops with a ``TypeError`` there)."""

    positive: bool
    benchmark_fails: bool


def positive_count(value: Any) -> PositiveCount:
    """``value > 0`` the benchmark's way (raw comparison; a missing count is 0). Numbers compare
    as they are (``nan`` is not positive); any other value cannot be compared by the benchmark, and
    here it counts through :func:`to_number` (0 when it has no number)."""
    if is_number(value):
        return PositiveCount(bool(value > 0), False)
    n = to_number(value)
    return PositiveCount(n is not None and not (isinstance(n, float) and math.isnan(n)) and n > 0, True)


def describe_value(value: Any, limit: int = 40) -> str:
    """A short ``repr`` of a raw value for warnings (at most ``limit`` characters)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
