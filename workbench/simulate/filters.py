"""Which events the benchmark keeps (docs/benchmark.md#event-filter). Layer: simulate (pure; no Qt).

* :func:`has_sufficient_context` (rule A) decides whether a test-window event can be a test
  candidate at all.
* :func:`is_filtered` (rule B, the evaluation filter) drops events from history and marks targets
  ``filtered: true`` (excluded from metrics).
"""

from __future__ import annotations

from typing import Any

from workbench.simulate._events import AD, LIVE, VIDEO, actions_named, context_of, scenario_of
from workbench.traces.numbers import is_number


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == ""


def _present(value: Any) -> bool:
    """The reference's ``str(value or "").strip()`` test: strings count only with a non-blank
    character; other values by truthiness."""
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)


def has_sufficient_context(event: dict[str, Any]) -> bool:
    """Rule A: Video needs a caption, OCR or ASR text (a caption that is not a string counts as
    empty); Live needs a title or a category that is not blank after stripping whitespace.
    Every other scenario passes (Search and Customer Service included)."""
    scenario = scenario_of(event)
    ctx = context_of(event)
    if scenario == VIDEO:
        caption = ctx.get("caption")
        if not isinstance(caption, str):
            caption = ""
        return not (_blank(caption) and _blank(ctx.get("ocr")) and _blank(ctx.get("asr")))
    if scenario == LIVE:
        return _present(ctx.get("live_title")) or _present(ctx.get("live_category"))
    return True


def _equals_zero(value: Any) -> bool:
    """The benchmark's raw ``value == 0``: numbers and booleans compare, strings never equal 0."""
    return is_number(value) and value == 0


def _zero_play_duration(value: Any) -> bool:
    """A ``play_duration`` the benchmark reads as 0: a number equal to 0, or a string that parses
    whole as a float equal to 0 once its "秒" characters are removed ("0", "0.0", " 0 秒")."""
    if isinstance(value, str):
        try:
            return float(value.replace("秒", "").strip()) == 0
        except ValueError:
            return False
    return _equals_zero(value)


def is_filtered(event: dict[str, Any]) -> bool:
    """Rule B (the evaluation filter), the benchmark's comparisons on the raw values: an ad whose
    ``show_cnt`` equals 0; a Live event whose context is exactly ``live_comment_cnt`` and
    ``live_like_cnt``, both equal to 0; any event with a ``watch`` action whose ``play_duration``
    reads as 0 (see :func:`_zero_play_duration`) or whose ``watch_seconds`` equals 0. A count given
    as a string ("0") is not equal to 0 here, exactly as in the benchmark."""
    scenario = scenario_of(event)
    ctx = context_of(event)
    if scenario == AD and _equals_zero(ctx.get("show_cnt")):
        return True
    if scenario == LIVE and set(ctx) == {"live_comment_cnt", "live_like_cnt"}:
        if _equals_zero(ctx["live_comment_cnt"]) and _equals_zero(ctx["live_like_cnt"]):
            return True
    for watch in actions_named(event, "watch"):
        if watch.get("play_duration") is not None and _zero_play_duration(watch["play_duration"]):
            return True
        if _equals_zero(watch.get("watch_seconds")):
            return True
    return False
