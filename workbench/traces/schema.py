"""Canonical event table: names, types and the rules that derive analysis columns.

Layer: traces (pure; no Qt). Every other package reads traces through these names.

One row per event (one element of a user's ``action_history``):

==================  ==================  =============================================================
column              polars type         meaning
==================  ==================  =============================================================
user_id             String              the key of the user object in the source file
event_index         Int64               0-based position in that user's ``action_history`` as given
                                        in the file: the stable event id everywhere in the product
ts                  Datetime("us")      parsed timestamp; date-only values are midnight; null when
                                        the timestamp could not be parsed (a warning says so)
ts_raw              String              the timestamp exactly as stored (windows and prompts compare
                                        and print this string, as the benchmark does)
ts_date_only        Boolean             the stored timestamp had no time part (``YYYY-MM-DD``)
scenario            String              canonical English name, one of ``SCENARIOS`` ("Other" for
                                        unknown names, which are kept, never dropped)
scenario_raw        String              the event's own ``type`` string, as stored
has_context         Boolean             the ``context`` key was present (Search events have none)
context             String              the ``context`` object as compact JSON text (UTF-8, not
                                        ASCII-escaped); null when the key was absent. Lossless
actions             String              the ``action`` list as compact JSON text. Lossless
action_types        List(String)        the ``type`` of each action, in order
act_<type>          Boolean             one column per known action type (``ACTION_TYPES``): the
                                        event holds at least one action of that type
watch_seconds       Float64             ``play_duration`` (or ``watch_seconds``) of the first
                                        ``watch`` action; "12秒" strings are parsed; null when there
                                        is no watch action or no duration in it
like_count          Int64               Live ``like_cnt`` sum; otherwise the number of like actions
comment_count       Int64               Live ``comment_cnt`` sum; otherwise the number of comments
gift_amount         Float64             sum of ``gift_amount`` (yuan) over send_gift actions; null
                                        when the event has none
outcome             Int8                0 passive view, 1 engagement (like, comment, share, gift,
                                        follow, collect, join_group), 2 conversion (cart that was
                                        added, purchase that was paid, ad activation/submit/
                                        conversion with a count > 0, live click_cart)
title               String              a short human title: video/ad caption, live title (or the
                                        cover description), item title, ad product, search keyword,
                                        customer-service product or ticket category
category            String              the finest category known: item category level 3..1, live
                                        category, ad industry_sub/industry_main, search
                                        query_category; null when none
==================  ==================  =============================================================

User table, one row per user: ``user_id``, ``profile`` (free text, "" when missing),
``event_count``, ``first_ts``, ``last_ts`` (Datetime, nulls ignored), ``source`` (path of the file).

Raw events can be rebuilt from a row with :func:`event_from_row`; the benchmark-faithful code in
``simulate`` and ``evaluate`` works on those raw dicts (type/timestamp/context/action), exactly as the
reference implementation does.
"""

from __future__ import annotations

import gc
import re
from datetime import datetime
from typing import Any, Mapping

import orjson
import polars as pl

# -- scenarios --------------------------------------------------------------------------------------

VIDEO = "Video Browsing"
LIVE = "Live Streaming"
SHOP = "E-commerce"
SERVICE = "Customer Service"
AD = "Advertisement"
SEARCH = "Search Behavior"
OTHER = "Other"

#: Canonical English scenario names, in lane order for the timeline.
SCENARIOS: tuple[str, ...] = (VIDEO, LIVE, SHOP, SERVICE, AD, SEARCH, OTHER)

#: English canonical -> Chinese canonical (the benchmark's internal and prompt names).
ZH_NAME: dict[str, str] = {
    VIDEO: "视频浏览",
    LIVE: "直播间",
    SHOP: "商城购物",
    AD: "广告推荐",
    SERVICE: "电商客服对话",
    SEARCH: "搜索行为",
}
_FROM_ZH = {zh: en for en, zh in ZH_NAME.items()}
_FROM_EN_LOWER = {en.lower(): en for en in ZH_NAME}

#: Prefix of the predicted fields per scenario (docs/benchmark.md#data-format).
FIELD_PREFIX: dict[str, str] = {VIDEO: "video_", LIVE: "live_", SHOP: "shop_", AD: "ad_"}


def canonical_scenario(raw: Any) -> str:
    """Map an event ``type`` to its canonical English scenario name.

    As the benchmark does it: strip, exact English match, else case-insensitive English match; the Chinese
    canonical names are accepted too. Anything else (including non-strings) is ``"Other"``.
    """
    if not isinstance(raw, str):
        return OTHER
    s = raw.strip()
    if s in ZH_NAME:
        return s
    if s in _FROM_ZH:
        return _FROM_ZH[s]
    return _FROM_EN_LOWER.get(s.lower(), OTHER)


def english_scenario(raw: Any) -> str:
    """The canonical English name for display; unknown names are kept as given (never "Other")."""
    en = canonical_scenario(raw)
    if en == OTHER:
        return raw.strip() if isinstance(raw, str) else str(raw)
    return en


def chinese_scenario(raw: Any) -> str:
    """The benchmark's Chinese canonical name; unknown names are kept as given."""
    en = canonical_scenario(raw)
    if en == OTHER:
        return raw.strip() if isinstance(raw, str) else str(raw)
    return ZH_NAME[en]


# -- actions ----------------------------------------------------------------------------------------

#: The 22 action types the benchmark code uses (docs/benchmark.md#data-format). Each gets an ``act_<type>`` column.
ACTION_TYPES: tuple[str, ...] = (
    "watch", "like", "comment", "share", "collect", "download", "follow", "unfollow", "dislike",
    "report", "send_gift", "click_cart", "join_group", "cart", "purchase", "conversion",
    "activation", "submit", "search", "show", "click", "dialogue",
)

ENGAGEMENT_TYPES = frozenset({"like", "comment", "share", "send_gift", "follow", "collect", "join_group"})

OUTCOME_VIEW, OUTCOME_ENGAGE, OUTCOME_CONVERT = 0, 1, 2
OUTCOME_NAMES = ("view", "engagement", "conversion")


def act_column(action_type: str) -> str:
    """The name of the boolean column saying whether an event has an action of ``action_type``: ``act_<type>``."""
    return f"act_{action_type}"


# -- polars schema ----------------------------------------------------------------------------------

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "user_id": pl.String(),
    "event_index": pl.Int64(),
    "ts": pl.Datetime("us"),
    "ts_raw": pl.String(),
    "ts_date_only": pl.Boolean(),
    "scenario": pl.String(),
    "scenario_raw": pl.String(),
    "has_context": pl.Boolean(),
    "context": pl.String(),
    "actions": pl.String(),
    "action_types": pl.List(pl.String()),
    **{act_column(t): pl.Boolean() for t in ACTION_TYPES},
    "watch_seconds": pl.Float64(),
    "like_count": pl.Int64(),
    "comment_count": pl.Int64(),
    "gift_amount": pl.Float64(),
    "outcome": pl.Int8(),
    "title": pl.String(),
    "category": pl.String(),
}

#: Optional column of sources made of sessions (OPeRA): the session an event belongs to. Sources
#: without sessions (OmniBehavior) do not have it.
SESSION_COLUMN = "session_id"

#: Columns that hold the big text payloads; readers may leave them out until asked for.
PAYLOAD_COLUMNS: tuple[str, ...] = ("context", "actions")

USER_SCHEMA: dict[str, pl.DataType] = {
    "user_id": pl.String(),
    "profile": pl.String(),
    "event_count": pl.Int64(),
    "first_ts": pl.Datetime("us"),
    "last_ts": pl.Datetime("us"),
    "source": pl.String(),
}


def empty_events() -> pl.DataFrame:
    """An empty event table with the canonical schema."""
    return pl.DataFrame(schema=EVENT_SCHEMA)


def empty_users() -> pl.DataFrame:
    """An empty user table with the canonical schema."""
    return pl.DataFrame(schema=USER_SCHEMA)


# -- timestamps -------------------------------------------------------------------------------------

_TS_RE = re.compile(r"^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*$")


def parse_timestamp(raw: Any) -> tuple[datetime | None, bool]:
    """Parse ``YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]`` (also ``/`` separators, as the benchmark's history
    statistics accept). Returns ``(datetime or None, date_only)``."""
    if not isinstance(raw, str):
        return None, False
    if len(raw) >= 19 and raw[4] == "-" and raw[10] == " " and len(raw) == 19:
        try:
            return datetime.fromisoformat(raw), False
        except ValueError:
            pass
    m = _TS_RE.match(raw)
    if not m:
        return None, False
    y, mo, d, hh, mi, ss, frac = m.groups()
    try:
        if hh is None:
            return datetime(int(y), int(mo), int(d)), True
        us = int((frac or "0").ljust(6, "0"))
        return datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss or 0), us), False
    except ValueError:
        return None, False


# -- rebuilding raw events --------------------------------------------------------------------------


def event_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild the raw OmniBehavior event dict (``type``, ``timestamp``, ``context``?, ``action``)
    from a canonical row that still has its payload columns. ``context`` is omitted when the source
    had no context key, exactly as in the file."""
    event: dict[str, Any] = {"type": row["scenario_raw"], "timestamp": row["ts_raw"]}
    if row.get("has_context") and row.get("context") is not None:
        event["context"] = orjson.loads(row["context"])
    event["action"] = orjson.loads(row["actions"]) if row.get("actions") else []
    return event


def events_from_frame(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Raw event dicts for every row of a frame that has the payload columns, in row order (what
    ``event_from_row`` gives for each row, read column-wise: twice as fast as named rows)."""
    loads = orjson.loads
    out: list[dict[str, Any]] = []
    append = out.append
    # millions of new dicts and no cycles: the cyclic GC would traverse every live one again and
    # again (with all users decoded, about as long as the decoding itself); off meanwhile
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        # the payload as bytes, not str: orjson then reads the UTF-8 as stored, where a str (of
        # Chinese text) would be made and then encoded back (measured: decoding takes half as long)
        columns = [frame[c].to_list() for c in ("scenario_raw", "ts_raw", "has_context")]
        columns += [frame[c].cast(pl.Binary).to_list() for c in ("context", "actions")]
        for kind, ts, has, ctx, act in zip(*columns):
            event: dict[str, Any] = {"type": kind, "timestamp": ts}
            if has and ctx is not None:
                event["context"] = loads(ctx)
            event["action"] = loads(act) if act else []
            append(event)
    finally:
        if gc_was_enabled:
            gc.enable()
    return out
