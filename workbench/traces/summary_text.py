"""The per-user summary of ``workbench info`` as text, made column-wise by polars. Layer: traces
(pure; no Qt).

:func:`workbench.traces.query.summary_rows` gives the summary one Python dict per user; printing a
million users that way costs about ten seconds of Python. Here the same lines (the table's, or the
``--json`` objects exactly as ``json.dumps(row, ensure_ascii=False)`` writes them) are built as
string columns and handed out a chunk of users at a time. A table that polars cannot render the
same way (a null user id or scenario, a time outside the years 1-9999, a scenario holding ``/``) takes
the row-by-row path instead, so the text is the same either way.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator

import polars as pl

from workbench.traces import schema
from workbench.traces.query import summary_rows
from workbench.traces.traceset import TraceSet

#: Users per chunk of text handed out (each chunk is one write of the terminal stream).
CHUNK_USERS = 4096
#: Chunks of users whose columns are made at once.
BLOCK_CHUNKS = 32

_ORDER = {s: i for i, s in enumerate(schema.SCENARIOS)}
#: characters ``json.dumps`` escapes in a string (``ensure_ascii=False``)
_JSON_ESCAPED = r'[\x00-\x1f"\\]'
_ISO = "%Y-%m-%d %H:%M:%S"


def table_chunks(traces: TraceSet) -> Iterator[str]:
    """The table lines of ``workbench info``, ``CHUNK_USERS`` users per string: user id (16
    characters), event count, first and last time (``-`` when none) and ``<scenario> <count>``
    pairs in the scenarios' canonical order."""
    if not _renderable(traces):
        yield from _chunks(_row_table_lines(traces), "")
        return
    uid = pl.col("user_id").str.slice(0, 16).str.pad_end(16)
    line = pl.concat_str([
        uid, pl.lit(" "), pl.col("event_count").cast(pl.String).str.pad_start(9), pl.lit("  "),
        pl.col("first").fill_null("-").str.pad_end(19), pl.lit("  "),
        pl.col("last").fill_null("-").str.pad_end(19), pl.lit("  "),
        pl.col("scenarios").fill_null(""), pl.lit("\n")])
    yield from _column_chunks(traces, False, line, "")


def json_chunks(traces: TraceSet) -> Iterator[str]:
    """The users of ``workbench info --json``, ``CHUNK_USERS`` per string: ``"\\n " + object`` per
    user, joined by commas (the first without one), each object as ``json.dumps(row,
    ensure_ascii=False)`` of :func:`~workbench.traces.query.summary_rows`' row."""
    if not _renderable(traces):
        yield from _chunks(("\n " + json.dumps(u, ensure_ascii=False) for u in summary_rows(traces)), ",")
        return

    def when(name: str) -> pl.Expr:
        return pl.when(pl.col(name).is_null()).then(pl.lit("null")).otherwise('"' + pl.col(name) + '"')

    line = pl.concat_str([
        pl.lit('\n {"user_id": '), pl.col("uid_json"), pl.lit(', "events": '),
        pl.col("event_count").cast(pl.String), pl.lit(', "scenarios": {'), pl.col("scenarios").fill_null(""),
        pl.lit('}, "actions": {'), pl.col("actions").fill_null(""), pl.lit('}, "first": '), when("first"),
        pl.lit(', "last": '), when("last"), pl.lit("}")])
    yield from _column_chunks(traces, True, line, ",")


def made_ahead(chunks: Iterator[str], depth: int = BLOCK_CHUNKS) -> Iterator[str]:
    """``chunks`` as they come, up to ``depth`` more made by a thread meanwhile (a block of users by
    default): polars makes a block's columns (mostly outside the GIL) while the caller makes the
    last chunk safe and writes it. An error in the thread is raised here; a caller that stops
    early stops the thread."""
    ready: queue.Queue = queue.Queue(depth)
    stop = threading.Event()
    end = object()

    def offer(item: tuple) -> bool:
        """Put ``item`` when there is room; False once the caller has stopped."""
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for chunk in chunks:
                if not offer((chunk, None)):
                    return
            offer((end, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            offer((end, exc))

    thread = threading.Thread(target=make, name="info-text", daemon=True)
    thread.start()
    try:
        while True:
            chunk, error = ready.get()
            if chunk is end:
                if error is not None:
                    raise error
                return
            yield chunk
    finally:
        stop.set()
        thread.join()


def _row_table_lines(traces: TraceSet) -> Iterator[str]:
    """The table lines from the rows of ``summary_rows`` (the path for tables polars cannot render alike)."""
    for u in summary_rows(traces):
        yield (f"{u['user_id'][:16]:<16} {u['events']:>9}  {u['first'] or '-':<19}  {u['last'] or '-':<19}  "
               + ", ".join(f"{k} {v}" for k, v in u["scenarios"].items()) + "\n")


def _chunks(pieces: Iterator[str], sep: str) -> Iterator[str]:
    """``pieces`` joined by ``sep``, ``CHUNK_USERS`` at a time (a chunk after the first starts with ``sep``)."""
    chunk: list[str] = []
    first = True
    for piece in pieces:
        chunk.append(piece)
        if len(chunk) >= CHUNK_USERS:
            yield ("" if first else sep) + sep.join(chunk)
            first = False
            chunk.clear()
    if chunk:
        yield ("" if first else sep) + sep.join(chunk)


def _column_chunks(traces: TraceSet, as_json: bool, line: pl.Expr, sep: str) -> Iterator[str]:
    """The ``line`` of each user's row of :func:`_columns` joined by ``sep``, ``CHUNK_USERS`` users
    at a time (as :func:`_chunks`). The columns are made a block of users at a time and the lines
    a chunk at a time, so that memory holds neither all the users' columns nor all their lines."""
    text = line.str.join(sep)
    for first, users, events in _blocks(traces):
        cols = _columns(users, events, as_json)
        for start in range(0, cols.height, CHUNK_USERS):
            yield (sep if first + start else "") + cols.slice(start, CHUNK_USERS).select(text).item()


def _blocks(traces: TraceSet) -> Iterator[tuple[int, pl.DataFrame, pl.DataFrame]]:
    """``(first user's row, users, their events)``, ``BLOCK_CHUNKS * CHUNK_USERS`` users at a time
    when the event table holds each user's events together in the user table's order (as an import
    writes them), else all users in one block."""
    users = traces.users.select("user_id", "event_count", "first_ts", "last_ts")
    events = traces.events.select("user_id", "scenario", "action_types")
    step = BLOCK_CHUNKS * CHUNK_USERS
    if users.height <= step or not _in_user_order(users, events):
        yield 0, users, events
        return
    ends = users["event_count"].cum_sum().to_list()
    for a in range(0, users.height, step):
        b = min(a + step, users.height)
        lo = ends[a - 1] if a else 0
        yield a, users.slice(a, b - a), events.slice(lo, ends[b - 1] - lo)


def _in_user_order(users: pl.DataFrame, events: pl.DataFrame) -> bool:
    """Whether ``events`` holds the events of the users with events one run per user, in the order
    of ``users``, each run ``event_count`` long (then a block of users is a slice of events)."""
    uid = events["user_id"]
    if uid.null_count() or events.height != users["event_count"].sum():
        return False
    starts = (uid != uid.shift(1)).fill_null(True).arg_true()
    present = users.filter(pl.col("event_count") > 0)
    if len(starts) != present.height or not uid.gather(starts).equals(present["user_id"]):
        return False
    lengths = (pl.concat([starts, pl.Series([events.height], dtype=starts.dtype)]).diff().drop_nulls())
    return lengths.cast(pl.Int64).equals(present["event_count"].cast(pl.Int64))


def _json_text(values: pl.Series) -> pl.Series:
    """Each string as ``json.dumps(value, ensure_ascii=False)`` writes it (quoted; null stays null):
    only the values holding a character JSON escapes go through Python."""
    needs = values.str.contains(_JSON_ESCAPED).fill_null(False)
    plain = ('"' + values + '"').alias(values.name)
    if not needs.any():
        return plain
    escaped = [json.dumps(v, ensure_ascii=False) if flag else None
               for v, flag in zip(values.to_list(), needs.to_list())]
    return pl.select(pl.when(needs).then(pl.Series(escaped, dtype=pl.String)).otherwise(plain)).to_series()


def _renderable(traces: TraceSet) -> bool:
    """Whether polars renders this table as ``summary_rows`` would (see the module docstring)."""
    users = traces.users
    if users["user_id"].null_count():
        return False
    for name in ("first_ts", "last_ts"):
        years = users[name].dt.year().drop_nulls()
        if len(years) and (years.min() < 1 or years.max() > 9999):  # type: ignore[operator]
            return False
    scenarios = traces.events["scenario"]
    return not scenarios.null_count() and not scenarios.str.contains("/", literal=True).any()


def _iso(name: str, out: str) -> pl.Expr:
    """``datetime.isoformat(sep=" ")`` of a Datetime column: microseconds only when not zero."""
    col = pl.col(name)
    return (pl.when(col.dt.microsecond() == 0).then(col.dt.strftime(_ISO))
            .otherwise(col.dt.strftime(_ISO + "%.6f")).alias(out))


def _joined(items: pl.DataFrame, name: str, out: str) -> pl.DataFrame:
    """``user_id`` and ``out``: each user's ``item`` texts joined by ``", "`` in the order of
    (``order``, ``name``) (sorted once for all users: a group keeps its rows' order)."""
    return (items.sort("order", name).group_by("user_id").agg(pl.col("item"))
            .select("user_id", pl.col("item").list.join(", ").alias(out)))


def _columns(users: pl.DataFrame, ev: pl.DataFrame, as_json: bool) -> pl.DataFrame:
    """One row per user of ``users`` in their order: ``user_id`` (and ``uid_json``), ``event_count``,
    ``first``/``last`` (ISO text or null) and ``scenarios`` (and ``actions`` for JSON) already joined
    as text, counted over the events ``ev``."""
    order = pl.col("scenario").replace_strict(_ORDER, default=99, return_dtype=pl.Int32)
    scen = ev.group_by("user_id", "scenario").agg(pl.len().alias("n"))
    label = _json_text(scen["scenario"]) + ": " if as_json else scen["scenario"] + " "
    scen = _joined(scen.with_columns(order.alias("order"), (label + scen["n"].cast(pl.String)).alias("item")),
                   "scenario", "scenarios")
    table = users.select("user_id", "event_count", _iso("first_ts", "first"), _iso("last_ts", "last"))
    table = table.join(scen, on="user_id", how="left", maintain_order="left")
    if as_json:
        acts = (ev.select("user_id", "scenario", "action_types").explode("action_types")
                .filter(pl.col("action_types").is_not_null())
                .group_by("user_id", "scenario", "action_types").agg(pl.len().alias("n"))
                .with_columns(order.alias("order"), (pl.col("scenario") + "/" + pl.col("action_types")).alias("key")))
        keys = acts["key"].unique()
        key_json = pl.DataFrame({"key": keys, "key_json": _json_text(keys)})
        acts = _joined(acts.join(key_json, on="key", how="left")
                       .with_columns((pl.col("key_json") + ": " + pl.col("n").cast(pl.String)).alias("item")),
                       "key", "actions")
        table = table.join(acts, on="user_id", how="left", maintain_order="left").with_columns(
            _json_text(table["user_id"]).alias("uid_json"))
    return table
