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
from datetime import date
from typing import Any, cast

import polars as pl

from workbench.traces import schema
from workbench.traces.traceset import TraceSet

#: Keys of the payload JSON text; removed before searching so that "like" does not match "like_cnt".
_KEY_PATTERN = r'"(?:[^"\\]|\\.)*":'


def epoch_seconds(ts: pl.Expr | str = "ts") -> pl.Expr:
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
    ev = traces.events
    scen = ev.group_by("user_id", "scenario").agg(pl.len().alias("n"))
    acts = (ev.select("user_id", "scenario", "action_types").explode("action_types")
            .filter(pl.col("action_types").is_not_null())
            .group_by("user_id", "scenario", "action_types").agg(pl.len().alias("n")))
    scen_map: dict[str, dict[str, int]] = {}
    for u, s, n in scen.iter_rows():
        scen_map.setdefault(u, {})[s] = n
    act_map: dict[str, dict[str, int]] = {}
    for u, s, a, n in acts.iter_rows():
        act_map.setdefault(u, {})[f"{s}/{a}"] = n
    order = {s: i for i, s in enumerate(schema.SCENARIOS)}
    users = []
    for row in traces.users.iter_rows(named=True):
        u = row["user_id"]
        scenarios = dict(sorted(scen_map.get(u, {}).items(), key=lambda kv: order.get(kv[0], 99)))
        actions = dict(sorted(act_map.get(u, {}).items(),
                              key=lambda kv: (order.get(kv[0].split("/", 1)[0], 99), kv[0])))
        users.append({"user_id": u, "events": int(row["event_count"]), "scenarios": scenarios,
                      "actions": actions, "first": _iso(row["first_ts"]), "last": _iso(row["last_ts"])})
    return {"users": users, "warnings": [w.to_dict() for w in traces.warnings]}
