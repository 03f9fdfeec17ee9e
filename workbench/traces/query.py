"""Query helpers over a loaded TraceSet for the GUI and the CLI. Layer: traces (pure; no Qt).

* :func:`timeline_frame`: one user's events sorted by time, with ``t`` = epoch seconds (float64), for
  plotting (``frame["t"].to_numpy()``).
* :func:`search_events`: free-text search (case-insensitive, literal, Chinese included) over titles,
  OCR/ASR, cover descriptions, item titles, search keywords and dialogue turns.
* :func:`daily_activity`: per-user event counts per calendar day (zeros filled) for sparklines.
* :func:`summary`: the per-user summary that ``workbench info`` prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any, cast

import polars as pl

from workbench.traces import schema
from workbench.traces.traceset import TraceSet

#: Keys of the payload JSON text; removed before searching so that "like" does not match "like_cnt".
_KEY_PATTERN = r'"(?:[^"\\]|\\.)*":'


def epoch_seconds(ts: pl.Expr | str = "ts") -> pl.Expr:
    """A polars expression: the datetime column ``ts`` as float seconds since the epoch, named ``t``."""
    col = pl.col(ts) if isinstance(ts, str) else ts
    return (col.dt.epoch("us").cast(pl.Float64) / 1e6).alias("t")


def timeline_frame(traces: TraceSet | pl.DataFrame, user_id: str, keep_undated: bool = False) -> pl.DataFrame:
    """One user's events (no payload columns) sorted by time then ``event_index``, with ``t`` (epoch
    seconds, Float64). Events whose timestamp could not be parsed are left out unless
    ``keep_undated`` (then they come last with ``t`` null)."""
    events = traces.events if isinstance(traces, TraceSet) else traces
    cols = [c for c in events.columns if c not in schema.PAYLOAD_COLUMNS]
    frame = events.lazy().filter(pl.col("user_id") == user_id).select(cols)
    if not keep_undated:
        frame = frame.filter(pl.col("ts").is_not_null())
    return (frame.with_columns(epoch_seconds("ts"))
            .sort(["ts", "event_index"], nulls_last=True).collect())


def search_events(traces: TraceSet, query: str, user_id: str | None = None) -> list[int] | pl.DataFrame:
    """Events whose text contains ``query`` (case-insensitive, literal).

    With ``user_id``: the matching ``event_index`` values, ascending. Without: a frame
    (``user_id``, ``event_index``) of matches across all users, in file order."""
    query = query.strip()
    if user_id is not None:
        frame = traces.user_events(user_id)
    else:
        frame = traces.with_payload()
    if not query:
        return [] if user_id is not None else frame.select("user_id", "event_index").clear()
    pattern = "(?i)" + re.escape(query)
    text = pl.concat_str([
        pl.col("title").fill_null(""),
        pl.col("category").fill_null(""),
        pl.col("context").fill_null("").str.replace_all(_KEY_PATTERN, " "),
        pl.col("actions").fill_null("").str.replace_all(_KEY_PATTERN, " "),
    ], separator="\n")
    hits = frame.filter(text.str.contains(pattern)).select("user_id", "event_index")
    if user_id is not None:
        return sorted(hits["event_index"].to_list())
    return hits


def daily_activity(traces: TraceSet | pl.DataFrame, user_id: str | None = None) -> pl.DataFrame:
    """Events per user per day: columns ``user_id``, ``day`` (Date), ``events`` (Int64), every day
    from the first to the last day of the whole set present (zeros filled), sorted."""
    events = traces.events if isinstance(traces, TraceSet) else traces
    frame = events.lazy().filter(pl.col("ts").is_not_null())
    if user_id is not None:
        frame = frame.filter(pl.col("user_id") == user_id)
    counts = (frame.group_by("user_id", pl.col("ts").dt.date().alias("day"))
              .agg(pl.len().cast(pl.Int64).alias("events")).collect())
    if counts.is_empty():
        return pl.DataFrame(schema={"user_id": pl.String, "day": pl.Date, "events": pl.Int64})
    first, last = cast(date, counts["day"].min()), cast(date, counts["day"].max())
    days = pl.DataFrame({"day": pl.date_range(first, last, "1d", eager=True)})
    users = counts.select("user_id").unique()
    grid = users.join(days, how="cross")
    return (grid.join(counts, on=["user_id", "day"], how="left")
            .with_columns(pl.col("events").fill_null(0)).sort("user_id", "day"))


def _iso(value: Any) -> str | None:
    return value.isoformat(sep=" ") if value is not None else None


def summary(traces: TraceSet) -> dict[str, Any]:
    """``{"users": [{user_id, events, scenarios, actions, first, last}], "warnings": [...]}``:
    scenario keys are canonical English names, action keys ``"<scenario>/<action>"``."""
    return {"users": list(summary_rows(traces)), "warnings": [w.to_dict() for w in traces.warnings]}


def summary_rows(traces: TraceSet) -> Iterator[dict[str, Any]]:
    """The users of :func:`summary` one at a time, in the user table's order (the per-user counts
    are aggregated by polars; only the row being yielded is a Python dict, so a million users cost
    their columns, not a million dicts)."""
    ev = traces.events
    scen = (ev.group_by("user_id", "scenario").agg(pl.len().alias("n"))
            .group_by("user_id").agg(pl.col("scenario").alias("s_keys"), pl.col("n").alias("s_counts")))
    acts = (ev.select("user_id", "scenario", "action_types").explode("action_types")
            .filter(pl.col("action_types").is_not_null())
            .group_by("user_id", "scenario", "action_types").agg(pl.len().alias("n"))
            .group_by("user_id").agg((pl.col("scenario") + "/" + pl.col("action_types")).alias("a_keys"),
                                     pl.col("n").alias("a_counts")))
    table = (traces.users.select("user_id", "event_count", "first_ts", "last_ts")
             .join(scen, on="user_id", how="left", maintain_order="left")
             .join(acts, on="user_id", how="left", maintain_order="left"))
    order = {s: i for i, s in enumerate(schema.SCENARIOS)}
    for u, n, first, last, s_keys, s_counts, a_keys, a_counts in table.iter_rows():
        scenarios = dict(sorted(zip(s_keys or [], s_counts or []), key=lambda kv: order.get(kv[0], 99)))
        actions = dict(sorted(zip(a_keys or [], a_counts or []),
                              key=lambda kv: (order.get(kv[0].split("/", 1)[0], 99), kv[0])))
        yield {"user_id": u, "events": int(n), "scenarios": scenarios, "actions": actions,
               "first": _iso(first), "last": _iso(last)}
