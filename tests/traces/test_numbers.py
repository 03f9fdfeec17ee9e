"""The one numeric coercion (the benchmark's three ways of reading a number), table-driven."""

from __future__ import annotations

import math

import pytest

from workbench.traces.numbers import (
    benchmark_numeric,
    duration_seconds,
    positive_count,
    to_number,
)

# value -> what the benchmark's context coercion returns (the value itself when it has no number)
NUMERIC = [
    (5, 5), (5.5, 5.5), (0, 0), (-3, -3), (True, True), (False, False),
    ("12", 12), (" 12 ", 12), ("-5", -5), ("+5", 5), ("1_000", 1000), ("007", 7),
    ("1.5", 1.5), ("5.", 5.0), (".5", 0.5), ("1.5e3", 1500.0), ("-0.25", -0.25),
    ("60秒", 60), ("12.5万", 12.5), ("1e3", 1), ("3 次", 3), ("1.2.3", 1.2), ("10w-100w", 10),
    ("1,200", 1), ("5mins", 5),
    ("", ""), ("   ", "   "), ("abc", "abc"), ("-5abc", "-5abc"), ("nan", "nan"), ("inf", "inf"),
    ("约 5 秒", "约 5 秒"), (None, None), ([1], [1]), ({"a": 1}, {"a": 1}),
]


@pytest.mark.parametrize("value,expected", NUMERIC)
def test_benchmark_numeric(value, expected):
    got = benchmark_numeric(value)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("value,expected", [
    (5, 5), (True, 1), (False, 0), ("60秒", 60), ("1.5e3", 1500.0), ("5.", 5.0),
    ("", None), ("abc", None), ("-5abc", None), ("nan", None), (None, None), ([1], None),
    (float("inf"), float("inf")),
])
def test_to_number(value, expected):
    got = to_number(value)
    assert got == expected and type(got) is type(expected)


def test_to_number_keeps_float_nan():
    assert math.isnan(to_number(float("nan")))


@pytest.mark.parametrize("value,expected", [
    (42, 42.0), (42.5, 42.5), (True, 1.0), (0, 0.0),
    ("42", 42.0), ("42秒", 42.0), (" 42 秒 ", 42.0), ("4秒2秒", 42.0), ("1.5", 1.5), ("-3", -3.0),
    ("1分30秒", 0.0), ("12 s", 0.0), ("5mins", 0.0), ("", 0.0), ("秒", 0.0), ("abc", 0.0),
    (None, 0.0), ([12], 0.0), ({"s": 1}, 0.0), ("1e2", 100.0), ("inf", float("inf")),
])
def test_duration_seconds(value, expected):
    got = duration_seconds(value)
    assert got == expected and type(got) is float


def test_duration_seconds_nan_string():
    assert math.isnan(duration_seconds("nan"))


@pytest.mark.parametrize("value,positive,fails", [
    (1, True, False), (0, False, False), (-2, False, False), (0.5, True, False),
    (True, True, False), (False, False, False), (float("nan"), False, False),
    ("3", True, True), ("0", False, True), ("abc", False, True), ("", False, True),
    (None, False, True), ([1], False, True), ("2次", True, True),
])
def test_positive_count(value, positive, fails):
    assert positive_count(value) == (positive, fails)
