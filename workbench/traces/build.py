"""Turn raw OmniBehavior events into the canonical event table. Layer: traces (pure; no Qt).

``EventBuilder.add`` takes one raw event (a parsed JSON value) and appends one row to column lists;
``EventBuilder.frame`` makes the polars frame (timestamps and ``act_<type>`` columns vectorised).
The payloads are kept as compact JSON text (orjson), so nothing in them is lost; the derived columns
follow the rules documented in :mod:`workbench.traces.schema`.
"""

from __future__ import annotations

import pickle
from array import array
from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson
import polars as pl
import pyarrow as pa

from workbench.traces import schema
from workbench.traces.numbers import to_number
from workbench.traces.errors import IssueLog, TraceError, TraceIssue
from workbench.traces.schema import AD, LIVE, OTHER, SEARCH, SERVICE, SHOP, VIDEO

#: One event's payload (context + action JSON text) may not be larger than this.
MAX_EVENT_BYTES = 64 * 1024 * 1024
#: A user profile may not be longer than this (characters).
MAX_PROFILE_CHARS = 1024 * 1024
#: Titles are cut to this many characters.
TITLE_CHARS = 200

#: orjson.dumps returns its output in a buffer of at least 4 KiB that is never shrunk; a kept result
#: therefore holds 4 KiB of heap however short it is (measured: 200k small results take 786 MB and
#: about one page fault each). The builder appends each payload to one buffer (:class:`Payload`)
#: and drops the result at once, which frees orjson's buffer for the next call.
_dumps = orjson.dumps
_ENGAGE = schema.ENGAGEMENT_TYPES
_scenario_cache: dict[str, str] = {}


def _scenario(raw: Any) -> str:
    if type(raw) is str:
        s = _scenario_cache.get(raw)
        if s is None:
            s = schema.canonical_scenario(raw)
            if len(_scenario_cache) < 10_000:
                _scenario_cache[raw] = s
        return s
    return OTHER


def _num(value: Any) -> float | None:
    t = type(value)
    if t is int or t is float:
        return float(value)
    if t is str:
        n = to_number(value)
        return None if n is None else float(n)
    return None


_MAX_COUNT = 2 ** 53


def _count(value: Any) -> int | None:
    n = _num(value)
    if n is None or not (-_MAX_COUNT < n < _MAX_COUNT):  # also rejects nan and inf
        return None
    return int(n)


def _text(value: Any) -> str | None:
    if type(value) is str:
        value = value.strip()
        if value:
            return value[:TITLE_CHARS] if len(value) > TITLE_CHARS else value
    return None


def _first_text(ctx: dict, keys: tuple[str, ...]) -> str | None:
    for k in keys:
        v = ctx.get(k)
        if v is not None:
            t = _text(v)
            if t is not None:
                return t
    return None


_TITLE_KEYS: dict[str, tuple[str, ...]] = {
    VIDEO: ("caption",),
    AD: ("caption", "product"),
    LIVE: ("live_title", "live_cover_content"),
    SHOP: ("item_title", "external_item_title"),
    SEARCH: ("keyword",),
    SERVICE: ("product_name", "ticket_category"),
    OTHER: ("caption", "live_title", "item_title", "product", "product_name", "keyword", "title"),
}
_CATEGORY_KEYS: dict[str, tuple[str, ...]] = {
    SHOP: ("category_level3_name", "category_level2_name", "category_level1_name"),
    LIVE: ("live_category",),
    AD: ("industry_sub", "industry_main"),
    SEARCH: ("query_category",),
    SERVICE: ("product_category_info",),
    VIDEO: (),
    OTHER: (),
}


_SEP = "\x1f"      # joins action types in one string (split again, vectorised, in ``frame``)
_NULL_TYPE = "\x00"  # stands for an action without a string ``type``
#: the fields of a row tuple (the payload columns ``context``/``actions`` are kept apart, in
#: :class:`Payload` buffers)
_ROW_FIELDS = ("user_id", "event_index", "ts_raw", "scenario", "scenario_raw", "has_context",
               "action_types", "watch_seconds", "like_count", "comment_count", "gift_amount",
               "outcome", "title", "category", "act_mask")
#: bit of each known action type in the per-event mask that becomes the ``act_<type>`` columns
_ACT_BIT = {t: 1 << i for i, t in enumerate(schema.ACTION_TYPES)}
#: how a purchase-like action says it converted: a true flag, or a count above 0
_CONVERT_FLAGS = {"cart": ("is_add_to_cart",), "click_cart": ("is_click_cart_action",),
                  "purchase": ("is_pay", "paid", "order_success")}
_CONVERT_COUNTS = {"purchase": "pay_cnt", "activation": "activation_cnt", "submit": "form_submit_total_cnt",
                   "conversion": "conversion_cnt"}


class Payload:
    """One payload column (compact JSON texts) as Arrow buffers: the texts one after another in
    ``data``, the end offset of each row's text in ``ends`` and 1 (a text) or 0 (null) per row in
    ``valid``. Kept this way, a payload costs its bytes and no Python object per event (orjson's
    4 KiB result buffers are freed at once), crosses to another process as three buffers and
    becomes a column without a copy per string."""

    __slots__ = ("data", "ends", "valid")

    def __init__(self, data: bytearray | bytes | None = None, ends: array | None = None,
                 valid: bytearray | None = None) -> None:
        self.data = bytearray() if data is None else data
        self.ends = array("q") if ends is None else ends
        self.valid = bytearray() if valid is None else valid

    def __len__(self) -> int:
        return len(self.valid)

    def __reduce_ex__(self, protocol: Any) -> tuple:
        # protocol 5: the texts may travel out of band, without a copy (see workbench.traces.pool)
        data = pickle.PickleBuffer(self.data) if int(protocol) >= 5 else self.data
        return Payload, (data, self.ends, self.valid)

    def __getitem__(self, part: slice) -> Payload:
        """The rows ``part`` (a slice with step 1) as a Payload of their own."""
        a, b, _ = part.indices(len(self))
        b = max(a, b)
        ends = np.frombuffer(self.ends, dtype=np.int64)
        lo = int(ends[a - 1]) if a else 0
        hi = int(ends[b - 1]) if b > a else lo
        out = array("q")
        out.frombytes((ends[a:b] - lo).tobytes())
        return Payload(self.data[lo:hi], out, self.valid[a:b])

    def text(self, row: int) -> bytes | None:
        """Row ``row``'s JSON text (None for null)."""
        if not self.valid[row]:
            return None
        return bytes(self.data[(self.ends[row - 1] if row else 0):self.ends[row]])

    def series(self, name: str) -> pl.Series:
        """The column as a polars String series (null where ``valid`` is 0)."""
        return pl.Series(name, self.array(), dtype=pl.String)

    def array(self) -> pa.Array:
        """The column as an Arrow large_string array over these buffers (no copy)."""
        n = len(self)
        offsets = np.zeros(n + 1, dtype=np.int64)
        offsets[1:] = np.frombuffer(self.ends, dtype=np.int64)
        valid = np.frombuffer(self.valid, dtype=np.uint8).astype(bool)
        bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
        return pa.Array.from_buffers(pa.large_string(), n, [bitmap, pa.py_buffer(offsets),
                                                             pa.py_buffer(self.data)])


class EventBuilder:
    """Rows of the canonical event table, added one raw event at a time (one tuple per event, the
    payload in two :class:`Payload` buffers; columns are made in :meth:`frame`)."""

    def __init__(self, issues: IssueLog) -> None:
        self.issues = issues
        self.rows: list[tuple] = []
        self.context = Payload()
        self.actions = Payload()

    def __len__(self) -> int:
        return len(self.rows)

    def _issue(self, file: str, user: str, index: int, field: str, expected: str, message: str) -> None:
        self.issues.add(TraceIssue(file, user, index, field, expected, message))

    def add(self, file: str, user: str, index: int, ev: Any) -> bool:
        """Append one event; returns False (and logs an issue) when it cannot be kept."""
        return self.add_list(file, user, (ev,), index) == 1

    def add_list(self, file: str, user: str, events: Any, start: int = 0) -> int:
        """Append ``events`` (a sequence of raw events whose first has event index ``start``);
        returns how many were kept. Raises :class:`TraceError` for an event whose payload exceeds
        ``MAX_EVENT_BYTES``. This is the importer's hot path: names are bound locally."""
        rows_append = self.rows.append
        ctx_out, acts_out = self.context, self.actions
        ctx_data, ctx_ends, ctx_valid = ctx_out.data, ctx_out.ends.append, ctx_out.valid.append
        acts_data, acts_ends, acts_valid = acts_out.data, acts_out.ends.append, acts_out.valid.append
        cache, payload, derive, labels = _scenario_cache, self._payload, _derive, _labels
        kept = 0
        index = start - 1
        for ev in events:
            index += 1
            if type(ev) is not dict:
                self._issue(file, user, index, "", "an event object", f"found {_kind(ev)}; event skipped")
                continue
            raw_type = ev.get("type")
            scen = cache.get(raw_type) if type(raw_type) is str else None
            ts = ev.get("timestamp")
            if scen is None or scen == OTHER or type(ts) is not str:
                try:
                    scen, raw_type, ts = self._check_head(file, user, index, raw_type, ts)
                except orjson.JSONEncodeError as exc:
                    self._unstorable(file, user, index, exc)
                    continue
            found = payload(file, user, index, ev)
            if found is None:
                continue
            ctx, ctx_json, acts, acts_json = found
            types, mask, watch, likes, comments, gift, outcome, keyword, query_cat = derive(acts, scen)
            title, category = labels(scen, ctx, keyword, query_cat)
            rows_append((user, index, ts, scen, raw_type, ctx_json is not None, types, watch, likes,
                         comments, gift, outcome, title, category, mask))
            if ctx_json is None:
                ctx_valid(0)
            else:
                ctx_data += ctx_json
                ctx_valid(1)
            ctx_ends(len(ctx_data))
            if acts_json is None:
                acts_valid(0)
            else:
                acts_data += acts_json
                acts_valid(1)
            acts_ends(len(acts_data))
            kept += 1
        return kept

    def _payload(self, file: str, user: str, index: int, ev: dict) -> tuple | None:
        """``(context dict, context JSON or None, actions, actions JSON or None)`` of an event
        (a context or action that is not what it should be is kept as given, read as empty, and
        logged); None when the event cannot be stored (logged). TraceError when too big."""
        dumps = _dumps
        try:
            if "context" in ev:
                ctx = ev["context"]
                ctx_json = dumps(ctx)
                if type(ctx) is not dict:
                    if ctx is not None:
                        self._issue(file, user, index, "context", "an object",
                                    f"found {_kind(ctx)}; kept as given, read as empty")
                    ctx = {}
            else:
                ctx, ctx_json = {}, None
            if "action" in ev:
                acts = ev["action"]
                acts_json = dumps(acts)
                if type(acts) is not list:
                    self._issue(file, user, index, "action", "a list of actions",
                                f"found {_kind(acts)}; kept as given, read as empty")
                    acts = ()
            else:
                self._issue(file, user, index, "action", "a list of actions", "missing; read as empty")
                acts, acts_json = (), None
        except orjson.JSONEncodeError as exc:
            self._unstorable(file, user, index, exc)
            return None
        size = len(acts_json or b"") + len(ctx_json or b"")
        if size > MAX_EVENT_BYTES:
            raise TraceError(TraceIssue(file, user, index, "context/action",
                                        f"at most {MAX_EVENT_BYTES // (1024 * 1024)} MiB of payload",
                                        f"event holds {size / 1e6:.0f} MB"))
        return ctx, ctx_json, acts, acts_json

    def _unstorable(self, file: str, user: str, index: int, exc: Exception) -> None:
        self._issue(file, user, index, "", "an event orjson can store",
                    f"{str(exc)[:120]} (nested too deeply or a number out of range); event skipped")

    def _check_head(self, file: str, user: str, index: int, raw_type: Any, ts: Any) -> tuple[str, Any, Any]:
        """The slow path for an event's ``type`` and ``timestamp``: unknown or non-string values."""
        scen = _scenario(raw_type)
        if type(raw_type) is not str:
            self._issue(file, user, index, "type", "a scenario name (string)",
                        f"found {_kind(raw_type)}; kept as Other")
            raw_type = None if raw_type is None else _dumps(raw_type).decode()
        elif scen == OTHER:
            self._issue(file, user, index, "type", "a known scenario name",
                        f"unknown scenario {raw_type[:80]!r} kept as Other")
        if type(ts) is not str:
            self._issue(file, user, index, "timestamp", "a 'YYYY-MM-DD[ HH:MM:SS]' string",
                        f"found {_kind(ts)}; time left empty")
            ts = None if ts is None else _dumps(ts).decode()
        return scen, raw_type, ts

    def frame(self, file_of_user: Mapping[str, str] | None = None) -> pl.DataFrame:
        """The canonical frame (columns in ``schema.EVENT_SCHEMA`` order); unparseable timestamps are
        logged as issues (``file_of_user`` names the file for each user)."""
        if not self.rows:
            return schema.empty_events()
        return columns_frame(self.columns(), self.issues, file_of_user)

    def columns(self) -> list:
        """The rows as columns: one tuple per field of ``_ROW_FIELDS``, then the context and actions
        :class:`Payload`; what ``columns_frame`` takes (each may be sliced alike), and the cheapest
        form to send to another process (see the importer's workers)."""
        if not self.rows:
            return []
        return [*zip(*self.rows), self.context, self.actions]


def _derive(acts: Any, scen: str) -> tuple:
    """What the canonical columns derive from an event's actions (see :mod:`workbench.traces.schema`):
    ``(action types joined by _SEP or None, act mask, watch seconds, likes, comments, gift amount,
    outcome 0/1/2, search keyword, query category)``."""
    types: list[str] = []
    mask = 0
    watch: float | None = None
    seen_watch = engaged = converted = False
    likes = comments = 0
    gift: float | None = None
    keyword = query_cat = None
    for a in acts:
        if type(a) is not dict or type(t := a.get("type")) is not str:
            types.append(_NULL_TYPE)
            continue
        types.append(t)
        mask |= _ACT_BIT.get(t, 0)
        if t == "watch":
            if not seen_watch:
                seen_watch = True
                v = a.get("play_duration")
                if v is None:
                    v = a.get("watch_seconds")
                watch = float(v) if type(v) is int or type(v) is float else _num(v)
            continue
        if t in _ENGAGE:
            engaged = True
        if t == "like":
            n = _count(a.get("like_cnt")) if scen == LIVE else None
            likes += n if n is not None else 1
        elif t == "comment":
            n = _count(a.get("comment_cnt")) if scen == LIVE else None
            comments += n if n is not None else 1
        elif t == "send_gift":
            amount = _num(a.get("gift_amount"))
            gift = (gift or 0.0) + (amount or 0.0)
        elif t == "search":
            if keyword is None:
                keyword = _text(a.get("keyword"))
                query_cat = _text(a.get("query_category"))
        elif not converted and (t in _CONVERT_FLAGS or t in _CONVERT_COUNTS):
            converted = (any(a.get(k) for k in _CONVERT_FLAGS.get(t, ()))
                         or (t in _CONVERT_COUNTS and (_num(a.get(_CONVERT_COUNTS[t])) or 0) > 0))
    if likes > _MAX_COUNT or likes < -_MAX_COUNT:
        likes = max(-_MAX_COUNT, min(likes, _MAX_COUNT))
    if comments > _MAX_COUNT or comments < -_MAX_COUNT:
        comments = max(-_MAX_COUNT, min(comments, _MAX_COUNT))
    return (_SEP.join(types) if types else None, mask, watch, likes, comments, gift,
            2 if converted else 1 if engaged else 0, keyword, query_cat)


def _labels(scen: str, ctx: dict, keyword: str | None, query_cat: str | None) -> tuple[str | None, str | None]:
    """``(title, category)`` of an event: from its search action or its context, by scenario."""
    if scen == SEARCH:
        return keyword or _first_text(ctx, ("keyword",)), query_cat or _first_text(ctx, ("query_category",))
    title = category = None
    if ctx:
        title = _first_text(ctx, _TITLE_KEYS[scen])
        category = _first_text(ctx, _CATEGORY_KEYS[scen])
    if scen == OTHER and title is None:
        title = keyword
    return title, category


def columns_frame(columns: list, issues: IssueLog, file_of_user: Mapping[str, str] | None = None,
                  payload: bool = True) -> pl.DataFrame:
    """The canonical frame from ``EventBuilder.columns()`` (or a slice of each of its columns);
    unparseable timestamps are logged in ``issues``. Without ``payload`` the frame lacks the
    payload columns (their :class:`Payload` ``array()`` goes straight to the cache writer)."""
    if not columns or not len(columns[0]):
        empty = schema.empty_events()
        return empty if payload else empty.drop(list(schema.PAYLOAD_COLUMNS))
    S = schema.EVENT_SCHEMA
    cols = dict(zip(_ROW_FIELDS + ("context", "actions"), columns))
    ts_raw = pl.Series("ts_raw", cols["ts_raw"], dtype=pl.String)
    ts, date_only = parse_timestamps(ts_raw)
    bad = (ts.is_null() & ts_raw.is_not_null()).arg_true()
    if len(bad):
        users, indices = cols["user_id"], cols["event_index"]
        for i in bad.to_list():
            u, raw = users[i], cols["ts_raw"][i]
            issues.add(TraceIssue(
                (file_of_user or {}).get(u, ""), u, indices[i], "timestamp",
                "'YYYY-MM-DD HH:MM:SS' or 'YYYY-MM-DD'",
                f"cannot parse {str(raw)[:60]!r}; kept with no time"))
    joined = pl.Series("action_types", cols["action_types"], dtype=pl.String)
    types = joined.str.split(_SEP).fill_null(pl.Series([[]], dtype=S["action_types"]))
    if joined.str.contains(_NULL_TYPE, literal=True).any():
        types = pl.select(types.list.eval(
            pl.when(pl.element() == _NULL_TYPE).then(None).otherwise(pl.element()))).to_series()
    series: dict[str, pl.Series] = {
        "user_id": pl.Series("user_id", cols["user_id"], dtype=pl.String),
        "event_index": pl.Series("event_index", cols["event_index"], dtype=pl.Int64),
        "ts": ts,
        "ts_raw": ts_raw,
        "ts_date_only": date_only,
        "scenario": pl.Series("scenario", cols["scenario"], dtype=pl.String),
        "scenario_raw": pl.Series("scenario_raw", cols["scenario_raw"], dtype=pl.String),
        "has_context": pl.Series("has_context", cols["has_context"], dtype=pl.Boolean),
        "action_types": types.alias("action_types"),
        "watch_seconds": pl.Series("watch_seconds", cols["watch_seconds"], dtype=pl.Float64),
        "like_count": pl.Series("like_count", cols["like_count"], dtype=pl.Int64),
        "comment_count": pl.Series("comment_count", cols["comment_count"], dtype=pl.Int64),
        "gift_amount": pl.Series("gift_amount", cols["gift_amount"], dtype=pl.Float64),
        "outcome": pl.Series("outcome", cols["outcome"], dtype=pl.Int8),
        "title": pl.Series("title", cols["title"], dtype=pl.String),
        "category": pl.Series("category", cols["category"], dtype=pl.String),
    }
    mask = pl.Series("act_mask", cols["act_mask"], dtype=pl.Int64)
    series.update({schema.act_column(t): (mask & bit) != 0 for t, bit in _ACT_BIT.items()})
    if payload:
        series["context"] = cols["context"].series("context")
        series["actions"] = cols["actions"].series("actions")
    frame = pl.DataFrame(series)
    return frame.select([pl.col(c).cast(S[c]) for c in S if payload or c not in schema.PAYLOAD_COLUMNS])


def parse_timestamps(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Vectorised ``schema.parse_timestamp``: (Datetime("us") series, date-only boolean series).
    The two usual formats are parsed by polars; anything else falls back to the schema parser."""
    full = raw.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False, exact=True)
    day = raw.str.strptime(pl.Date, "%Y-%m-%d", strict=False, exact=True)
    # polars accepts some spellings the schema parser does not (and vice versa): only trust polars on
    # the canonical shapes, by length.
    n = raw.str.len_bytes()
    full = pl.select(pl.when(n == 19).then(full).otherwise(None)).to_series()
    day = pl.select(pl.when(n == 10).then(day).otherwise(None)).to_series()
    ts = full.fill_null(day.cast(pl.Datetime("us")))
    date_only = day.is_not_null() & full.is_null()
    left = (ts.is_null() & raw.is_not_null()).arg_true()
    if len(left):
        values = ts.to_list()
        flags = date_only.to_list()
        strings = raw.to_list()
        for i in left.to_list():
            dt, only = schema.parse_timestamp(strings[i])
            values[i] = dt
            flags[i] = bool(only) if dt is not None else False
        ts = pl.Series(values, dtype=pl.Datetime("us"))
        date_only = pl.Series(flags, dtype=pl.Boolean)
    return ts.alias("ts"), date_only.alias("ts_date_only")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
