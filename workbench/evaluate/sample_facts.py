"""What sampling reads of a user's events. Layer: evaluate (pure; no Qt).

Sampling (:mod:`workbench.evaluate.sampling`, docs/benchmark.md#test-samples) needs, per user, the
events inside a window, and for each test-window event: rule A (sufficient context), rule B (the
evaluation filter, docs/benchmark.md#event-filter), its Chinese scenario and whether it is
high-value. :class:`TestFacts` holds these answers; two sources give the same ones:

* a list of raw event dicts (``events[i]`` the event with ``event_index`` ``i``, ``{}`` for a
  skipped one): :func:`window_indices` and :func:`test_facts` apply the rules to the dicts;
* a loaded TraceSet (:class:`TraceTable`): the windows come from the raw timestamps (``ts_raw``,
  compared as the benchmark compares them), and only the test-window events the rules have to look
  at are decoded, and of those only the part a rule reads (the context of Video, Live and Ad
  events, the action list of events with a ``watch`` or a high-value action type), in one pass over
  the table for all users, one batch at a time. The rules themselves are the same functions.

:class:`TraceEvents` is one user's raw events of a TraceSet as a sequence that is decoded on first
use (an evaluation builds prompts from them; sampling alone never decodes a whole trace).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, overload

from workbench.simulate.memory import in_window

if TYPE_CHECKING:
    import polars as pl

    from workbench.traces.traceset import TraceSet

Window = tuple[str | None, str | None] | None

#: High-value action types per Chinese canonical scenario (balanced sampling).
HIGH_VALUE_ACTIONS: dict[str, frozenset[str]] = {
    "视频浏览": frozenset({"like", "collect", "share", "comment"}),
    "直播间": frozenset({"send_gift", "add_to_cart", "follow"}),
    "商城购物": frozenset({"purchase", "order_success", "add_to_cart"}),
    "广告推荐": frozenset({"conversion", "activation", "purchase", "submit", "click"}),
    "电商客服对话": frozenset({"purchase"}),
}
_HIGH_ANY = sorted(frozenset().union(*HIGH_VALUE_ACTIONS.values()))

_ALIASES = {
    "Video Browsing": "视频浏览", "Live Streaming": "直播间", "E-commerce": "商城购物",
    "Advertisement": "广告推荐", "Customer Service": "电商客服对话", "Search Behavior": "搜索行为",
}
_ALIASES_CASEFOLD = {k.casefold(): v for k, v in _ALIASES.items()}

#: Rows decoded per batch of the table (bounds the payload in memory at once).
BATCH_ROWS = 65536


def scenario_zh(event: Mapping[str, Any], default: str = "unknown") -> str:
    """Chinese canonical scenario of a raw event, as the reference normalises ``type``."""
    raw = event.get("type", default)
    if not isinstance(raw, str):
        return default
    s = raw.strip()
    if not s:
        return default
    return _ALIASES.get(s, _ALIASES_CASEFOLD.get(s.casefold(), s))


def is_high_value(event: Mapping[str, Any]) -> bool:
    """An action of the event is high-value for its scenario."""
    targets = HIGH_VALUE_ACTIONS.get(scenario_zh(event, ""))
    if not targets:
        return False
    actions = event.get("action", [])
    if not isinstance(actions, list):
        return False
    return any(isinstance(a, Mapping) and a.get("type") in targets for a in actions)


def _filters() -> tuple[Callable[[dict], bool], Callable[[dict], bool]]:
    from workbench.simulate.filters import has_sufficient_context, is_filtered

    return has_sufficient_context, is_filtered


@dataclass(frozen=True)
class TestFacts:
    """One user's test-window events (``indices``: event indices, file order) and per event: rule A
    passed (``sufficient``), rule B matched (``filtered``; False where rule A failed), the Chinese
    scenario, and high-value (``high``; False unless the event is a candidate, i.e. rule A passed
    and rule B did not)."""

    indices: list[int]
    sufficient: list[bool]
    filtered: list[bool]
    scenario: list[str]
    high: list[bool]


def window_indices(events: Sequence[Mapping[str, Any]], window: Window) -> list[int]:
    """Indices of the events in the window, file order (all with None); an empty placeholder (an
    event the importer skipped) is never in a window."""
    if isinstance(events, TraceEvents):
        return events.window(window)
    if window is None:
        return [i for i, e in enumerate(events) if e]
    start, end = window
    return [i for i, e in enumerate(events) if e and in_window(e.get("timestamp", ""), start, end)]


def test_facts(events: Sequence[Mapping[str, Any]], window: Window) -> TestFacts:
    """The :class:`TestFacts` of the events in ``window``."""
    if isinstance(events, TraceEvents):
        return events.test_facts(window)
    sufficient, filtered = _filters()
    idx = window_indices(events, window)
    suff, filt, scen, high = [], [], [], []
    for i in idx:
        ev = events[i]
        s = bool(sufficient(ev))  # type: ignore[arg-type]  # raw events are plain dicts
        f = s and bool(filtered(ev))  # type: ignore[arg-type]
        suff.append(s)
        filt.append(f)
        scen.append(scenario_zh(ev))
        high.append(s and not f and is_high_value(ev))
    return TestFacts(idx, suff, filt, scen, high)


class TraceEvents(Sequence[dict[str, Any]]):
    """One user's raw events of a TraceSet, positional (``[i]`` is the event with ``event_index``
    ``i``, ``{}`` where the importer skipped one): decoded on first access and kept; ``len`` and the
    sampling facts (:meth:`window`, :meth:`test_facts`) need no decoding."""

    def __init__(self, table: TraceTable, user_id: str, length: int) -> None:
        self._table = table
        self.user_id = user_id
        self._length = length
        self._decoded: list[dict[str, Any]] | None = None

    def _events(self) -> list[dict[str, Any]]:
        decoded = self._decoded
        if decoded is None:
            decoded = self._decoded = self._table.ts.user(self.user_id).positional()
        return decoded

    @property
    def traceset(self) -> Any:
        """The TraceSet these events come from."""
        return self._table.ts

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self._events()[i]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._events())

    def decoded_chunks(self, rows: int = 8192) -> Iterator[tuple[list[int], list[dict[str, Any]]]]:
        """``(event indices, raw events)`` of at most ``rows`` events at a time, in file order,
        decoded for the caller only (the events already decoded are given as they are): a pass
        over every event of every user then holds a few thousand decoded events at a time. An
        event the importer skipped is not given."""
        if self._decoded is not None:
            yield list(range(len(self._decoded))), self._decoded
            return
        from workbench.traces import schema

        frame = self._table.ts.user_events(self.user_id)
        for start in range(0, frame.height, rows):
            part = frame.slice(start, rows)
            yield part["event_index"].to_list(), schema.events_from_frame(part)

    def window(self, window: Window) -> list[int]:
        """Event indices of this user in ``window`` (see :func:`window_indices`)."""
        return self._table.windows(window).get(self.user_id, [])

    def test_facts(self, window: Window) -> TestFacts:
        """This user's :class:`TestFacts` for ``window``."""
        return self._table.facts(window).get(self.user_id) or TestFacts([], [], [], [], [])


class TraceTable:
    """Sampling facts of some users of a TraceSet, computed for all of them at once from its event
    table and kept per window."""

    def __init__(self, ts: TraceSet, user_ids: Sequence[str]) -> None:
        self.ts = ts
        self.user_ids = list(user_ids)
        self._lock = threading.Lock()
        self._windows: dict[Window, dict[str, list[int]]] = {}
        self._facts: dict[Window, dict[str, TestFacts]] = {}

    def _mine(self) -> pl.Expr:
        import polars as pl

        return pl.col("user_id").is_in(self.user_ids)

    def lengths(self) -> dict[str, int]:
        """``{user_id: highest event_index + 1}`` (the positional length of each user's events)."""
        import polars as pl

        ev = self.ts.events.filter(self._mine())
        return dict(ev.group_by("user_id").agg(pl.col("event_index").max() + 1).iter_rows())

    def windows(self, window: Window) -> dict[str, list[int]]:
        """``{user_id: event indices in window, ascending}`` (users with none are absent)."""
        with self._lock:
            found = self._windows.get(window)
            if found is None:
                import polars as pl

                rows = self.ts.events.filter(self._mine() & _in_window(window))
                agg = rows.group_by("user_id").agg(pl.col("event_index").sort())
                found = self._windows[window] = dict(agg.iter_rows())
            return found

    def facts(self, window: Window) -> dict[str, TestFacts]:
        """``{user_id: TestFacts}`` for ``window`` (users with no event in it are absent)."""
        with self._lock:
            found = self._facts.get(window)
            if found is None:
                found = self._facts[window] = self._compute(window)
            return found

    def _compute(self, window: Window) -> dict[str, TestFacts]:
        import polars as pl

        parts = []
        gc_was_enabled = gc.isenabled()
        gc.disable()  # many short-lived dicts and no cycles (see schema.events_from_frame)
        try:
            for rows in self.ts.payload_batches(_BATCH_COLUMNS, BATCH_ROWS, self._mine() & _in_window(window)):
                if rows.height:
                    parts.append(_batch_facts(rows))
        finally:
            if gc_was_enabled:
                gc.enable()
        if not parts:
            return {}
        table = pl.concat(parts).sort("user_id", "event_index")
        agg = table.group_by("user_id", maintain_order=True).agg(
            "event_index", "sufficient", "filtered", "scenario", "high")
        return {uid: TestFacts(idx, suff, filt, scen, high)
                for uid, idx, suff, filt, scen, high in agg.iter_rows()}


_BATCH_COLUMNS = ("user_id", "event_index", "ts_raw", "scenario_raw", "has_context", "context",
                  "actions", "act_watch", "action_types")


def _in_window(window: Window) -> pl.Expr:
    """:func:`workbench.simulate.memory.in_window` on ``ts_raw`` (a missing one reads as "";
    strings compare by code point, as UTF-8 bytes do)."""
    import polars as pl

    if window is None:
        return pl.lit(True)
    start, end = window
    ts = pl.col("ts_raw").fill_null("")
    cond = pl.lit(True)
    if start:
        cond = cond & (ts >= start)
    if end:
        cond = cond & (ts <= end)
    return cond


def _batch_facts(rows: pl.DataFrame) -> pl.DataFrame:
    """``user_id, event_index, sufficient, filtered, scenario, high`` of the window's rows of one
    batch, by the rule functions themselves, each given what it reads:

    * rule A reads the context of Video and Live events only (every other event passes);
    * rule B reads the context of Ad and Live events, and the ``watch`` actions of any event;
    * high-value reads the scenario and the actions.

    Where the context's JSON text settles what rule A and the context part of rule B find
    (:func:`_settled`: a caption, OCR, ASR, live title or category that is a non-blank string; a
    live context with a key other than the two counts; an ad's ``show_cnt`` absent or plainly not
    0), only the actions are left to judge; the other Live and Ad events are decoded (context and
    actions) and judged one by one, the other Video events have their context decoded for rule A.
    Rule B and high-value of the rest depend on (``type``, action list) alone and are judged once
    per distinct pair (a release of 1.6 million events has a few thousand). An event whose action
    types show neither a ``watch`` nor a high-value action is judged with an empty action list
    (what the rules read of it is the same)."""
    import polars as pl

    from workbench.traces.schema import AD, LIVE, VIDEO, canonical_scenario

    names = rows["scenario_raw"].unique().to_list()
    kind_of = {r: canonical_scenario(r) for r in names}

    def named(kind: str) -> pl.Expr:
        return pl.col("scenario_raw").is_in([r for r in names if r is not None and kind_of[r] == kind]).fill_null(False)

    rows = rows.with_columns(
        # a real watch or high-value action always shows in these columns (they may show more)
        pl.when(pl.col("act_watch").fill_null(False)
                | pl.col("action_types").list.eval(pl.element().is_in(_HIGH_ANY)).list.any().fill_null(False))
        .then(pl.col("actions")).otherwise(None).alias("_acts"),
        named(VIDEO).alias("_video"), named(LIVE).alias("_live"), named(AD).alias("_ad"))
    rows = _with_settled(rows)
    keys = ["user_id", "event_index", "scenario_raw"]
    alone = (pl.col("_live") | pl.col("_ad")) & ~pl.col("_settled")
    one_by_one = rows.filter(alone)
    by_pair = rows.filter(~alone)
    parts = [_judge_whole(one_by_one).select(*keys, "sufficient", "filtered", "high")]
    if by_pair.height:
        pairs = by_pair.select("scenario_raw", "_acts").unique()
        judged = _judge_pairs(pairs)
        suff = _rule_a(by_pair.filter(pl.col("_video") & ~pl.col("_settled")))
        by_pair = by_pair.join(judged, on=["scenario_raw", "_acts"], how="left", nulls_equal=True)
        by_pair = by_pair.join(suff, on=["user_id", "event_index"], how="left").with_columns(
            pl.col("_suff").fill_null(True))  # rule A passes every event but Video and Live (settled ones too)
        parts.append(by_pair.select(
            *keys, pl.col("_suff").alias("sufficient"),
            (pl.col("_suff") & pl.col("_filt")).alias("filtered"),
            (pl.col("_suff") & ~pl.col("_filt") & pl.col("_high")).alias("high")))
    zh = {r: scenario_zh({"type": r}) for r in names if r is not None}
    out = pl.concat(parts)
    return out.with_columns(pl.col("scenario_raw").replace_strict(zh, default=None, return_dtype=pl.String)
                            .fill_null(scenario_zh({"type": None})).alias("scenario")).drop("scenario_raw")


def _with_settled(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with ``_settled`` (see :func:`_settled`), the JSON text read only for the events of
    the kinds it concerns (row order not kept)."""
    import polars as pl

    # Video: the caption settles most events; OCR and ASR are looked for only in the others
    video = rows.filter(pl.col("_video")).with_columns(_settled("_video", ("caption",)).alias("_settled"))
    parts = [video.filter(pl.col("_settled")),
             video.filter(~pl.col("_settled")).with_columns(_settled("_video", ("ocr", "asr")).alias("_settled"))]
    parts += [rows.filter(pl.col(kind)).with_columns(_settled(kind).alias("_settled")) for kind in ("_live", "_ad")]
    parts.append(rows.filter(~(pl.col("_video") | pl.col("_live") | pl.col("_ad")))
                 .with_columns(pl.lit(False).alias("_settled")))
    return pl.concat(parts)


def _settled(kind: str, video_keys: Sequence[str] = ("caption", "ocr", "asr")) -> pl.Expr:
    """For events of one kind (``kind``: ``_video``, ``_live`` or ``_ad``), true where the context's JSON text alone settles rule A as passed and the context part of
    rule B as not matched, read only from a *plain* text: one object (its only ``{`` the first
    character), no backslash (so no escaped key or quote, and every ``"`` opens or closes a
    string); in such a text ``{`` or ``,``, then ``"name"`` and ``:`` is exactly a top-level key.

    * Video: ``caption``, ``ocr`` or ``asr`` (those of ``video_keys``) appears once as a key, with a
      string value whose first character is not blank (so rule A passes);
    * Live: ``live_title`` or ``live_category`` so (rule A passes, a non-blank string is present;
      and rule B's live part needs exactly the keys ``live_comment_cnt`` and ``live_like_cnt``);
    * Ad: ``show_cnt`` absent, or once with a value that is a string, ``null``, ``true`` or a
      number without exponent whose first digit is not 0 (none equals 0).

    Every other event is judged from its decoded context."""
    import polars as pl

    ctx = pl.when(pl.col("has_context")).then(pl.col("context"))
    plain = (ctx.str.starts_with("{") & ~ctx.str.slice(1).str.contains("{", literal=True)
             & ~ctx.str.contains("\\", literal=True)).fill_null(False)

    def keys(name: str) -> pl.Expr:
        return ctx.str.count_matches(rf'[{{,]\s*"{name}"\s*:')

    def text(name: str) -> pl.Expr:     # once, a string starting with a character that is not blank
        return (keys(name) == 1) & ctx.str.contains(rf'[{{,]\s*"{name}"\s*:\s*"[^\s"\\\x00-\x1f]')

    if kind == "_video":
        settled = pl.lit(False)
        for name in video_keys:
            settled = settled | text(name)
    elif kind == "_live":
        # a title or category key: the context is not exactly the two counts rule B looks for
        settled = text("live_title") | text("live_category")
    else:
        show = keys("show_cnt")
        not_zero = r'[{,]\s*"show_cnt"\s*:\s*("|null\s*[,}]|true\s*[,}]|-?[1-9][0-9]*(\.[0-9]+)?\s*[,}])'
        settled = (show == 0) | ((show == 1) & ctx.str.contains(not_zero))
    return (plain & settled).fill_null(False)


def _judge_whole(rows: pl.DataFrame) -> pl.DataFrame:
    """Live and Ad events, decoded and judged one by one."""
    import orjson
    import polars as pl

    sufficient, filtered = _filters()
    loads = orjson.loads
    suff: list[bool] = []
    filt: list[bool] = []
    high: list[bool] = []
    for kind, has, ctx, acts in zip(*(rows[c].to_list() for c in ("scenario_raw", "has_context", "context", "_acts"))):
        # the event as schema.events_from_frame rebuilds it (the actions only where they matter)
        ev: dict[str, Any] = {"type": kind}
        if has and ctx is not None:
            ev["context"] = loads(ctx)
        ev["action"] = loads(acts) if acts else []
        s = bool(sufficient(ev))
        f = s and bool(filtered(ev))
        suff.append(s)
        filt.append(f)
        high.append(s and not f and is_high_value(ev))
    return rows.with_columns(pl.Series("sufficient", suff, pl.Boolean), pl.Series("filtered", filt, pl.Boolean),
                             pl.Series("high", high, pl.Boolean))


def _judge_pairs(pairs: pl.DataFrame) -> pl.DataFrame:
    """Rule B and high-value of events other than Live and Ad, per distinct (type, actions)."""
    import orjson
    import polars as pl

    _, filtered = _filters()
    filt: list[bool] = []
    high: list[bool] = []
    for kind, acts in pairs.iter_rows():
        ev = {"type": kind, "action": orjson.loads(acts) if acts else []}
        filt.append(bool(filtered(ev)))
        high.append(is_high_value(ev))
    return pairs.with_columns(pl.Series("_filt", filt, pl.Boolean), pl.Series("_high", high, pl.Boolean))


def _rule_a(rows: pl.DataFrame) -> pl.DataFrame:
    """Rule A of Video events (``user_id, event_index, _suff``): their context decoded."""
    import orjson
    import polars as pl

    sufficient, _ = _filters()
    loads = orjson.loads
    out: list[bool] = []
    for kind, has, ctx in zip(*(rows[c].to_list() for c in ("scenario_raw", "has_context", "context"))):
        ev: dict[str, Any] = {"type": kind}
        if has and ctx is not None:
            ev["context"] = loads(ctx)
        out.append(bool(sufficient(ev)))
    return rows.select("user_id", "event_index").with_columns(pl.Series("_suff", out, pl.Boolean))
