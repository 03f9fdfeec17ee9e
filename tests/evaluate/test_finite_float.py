"""``finite_float``: the one reader of "a value as a finite float" (bias rows, population spread,
annotator agreement), on every kind of value those callers see."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from workbench.evaluate.bias_rows import finite_float


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), (True, 1.0), (False, 0.0), (0, 0.0), (-3, -3.0), (2.5, 2.5), (-0.0, 0.0),
    ("1.5", 1.5), (" 2 ", 2.0), ("1e3", 1000.0), ("", None), ("abc", None), ("1,5", None),
    ("nan", None), ("inf", None), ("-Infinity", None), ("1e999", None),
    (math.nan, None), (math.inf, None), (-math.inf, None),
    (np.float64(0.25), 0.25), (np.int64(7), 7.0), (np.float64("nan"), None), (Decimal("1.25"), 1.25),
    ([1], None), ({}, None), (object(), None),
])
def test_finite_float_reads_every_value_kind(value: object, expected: float | None) -> None:
    got = finite_float(value)
    assert got == expected and (got is None) == (expected is None)
    assert got is None or type(got) is float


def test_agreement_and_population_share_the_one_reader() -> None:
    from workbench.annotate import agreement
    from workbench.evaluate import population

    assert agreement.finite_float is finite_float and population.finite_float is finite_float
    assert not hasattr(agreement, "_clean") and not hasattr(population, "_num")
