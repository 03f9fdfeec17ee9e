"""How a real or predicted value reads to a person. Layer: annotate (pure).

Binary questions read Yes/No (never 0/1 or True/False), counts and durations read as plain numbers
(``3930``, ``12.5``; never ``3.93e+03``), text has its runs of whitespace collapsed, a missing value
is an em dash. Used by the Cases panel and presentation mode, so a value reads the same everywhere.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def binary_fields() -> frozenset[str]:
    """Names of the benchmark's Yes/No questions."""
    try:
        from workbench.simulate.questions import FIELDS
    except ImportError:       # a partial install: numbers are still shown plainly
        return frozenset()
    return frozenset(f for f, (kind, _) in FIELDS.items() if kind == "binary")


def number_text(value: float) -> str:
    """A number without exponent: integers whole, others with at most two decimals."""
    if not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def value_text(field: str, value: Any, limit: int | None = None) -> str:
    """``value`` of question ``field`` as text (``limit`` characters at most, with an ellipsis)."""
    if value is None:
        text = "—"
    elif field in binary_fields() and (isinstance(value, bool) or value in (0, 1)):
        text = "Yes" if value else "No"
    elif isinstance(value, bool):
        text = "Yes" if value else "No"
    elif isinstance(value, (int, float)):
        text = number_text(float(value))
    else:
        text = " ".join(str(value).split())
    if limit is not None and len(text) > limit:
        text = text[: max(1, limit - 1)] + "…"
    return text
