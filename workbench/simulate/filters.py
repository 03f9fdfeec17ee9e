"""Which events the benchmark keeps (PROTOCOL 2.4 A and B, 3.3). Layer: simulate (pure; no Qt).

* :func:`has_sufficient_context` (rule A) decides whether a test-window event can be a test
  candidate at all.
* :func:`is_filtered` (rule B, the evaluation filter) drops events from history and marks targets
  ``filtered: true`` (excluded from metrics).
"""

from __future__ import annotations

from typing import Any

from workbench.simulate._events import (AD, LIVE, VIDEO, actions_named, context_of, scenario_of,
                                        to_number)


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


def _zero_duration(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, str):
        return value.strip() in ("0", "0秒")
    return False


def is_filtered(event: dict[str, Any]) -> bool:
    """Rule B (the evaluation filter): an ad shown 0 times; a Live event whose context is exactly
    ``live_comment_cnt`` and ``live_like_cnt`` both 0; any event whose ``watch`` action has
    ``play_duration == 0`` (number, "0" or "0秒") or ``watch_seconds == 0``."""
    scenario = scenario_of(event)
    ctx = context_of(event)
    if scenario == AD and "show_cnt" in ctx:
        n = to_number(ctx.get("show_cnt"))
        if n is not None and n == 0:
            return True
    if scenario == LIVE and set(ctx) == {"live_comment_cnt", "live_like_cnt"}:
        if to_number(ctx["live_comment_cnt"]) == 0 and to_number(ctx["live_like_cnt"]) == 0:
            return True
    for watch in actions_named(event, "watch"):
        if "play_duration" in watch and _zero_duration(watch["play_duration"]):
            return True
        if "watch_seconds" in watch and _zero_duration(watch["watch_seconds"]) \
                and not isinstance(watch["watch_seconds"], str):
            return True
    return False
