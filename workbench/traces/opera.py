"""Import OPeRA web-shopping traces into the canonical event table. Layer: traces (pure; no Qt).

Source: a folder with OPeRA's Parquet tables (the dataset root, ``OPeRA_filtered`` or ``OPeRA_full``,
one or both splits; :mod:`workbench.traces.opera_tables` finds them). One canonical row per action:

* ``user_id``: the user uuid that prefixes the ``session_id`` (``<user>_<start>_<end>``);
  ``event_index``: the user's actions in time order (session start, timestamp, file order);
* ``ts``: the ISO timestamp (``2025-04-14T21:52:57.792Z``) as naive UTC; ``ts_raw`` as stored;
* ``scenario``: typed search terms (``input``) and clicks on search buttons or suggested terms go on
  the search lane (``Search Behavior``); every other action on the e-commerce lane (``E-commerce``);
* ``actions``: one action whose ``type`` is ``purchase`` for a click of click type ``purchase``
  (outcome 2, a conversion: causal chains start there), ``search`` for searches, ``terminate`` for
  the end of a session, else the action type (``click``; ``scroll`` etc. in the full version), with
  the original ``action_type``/``click_type``/``semantic_id``/``input_text``;
* ``context``: the light fields of the row with the JSON strings parsed (``element_meta`` also
  one level deeper, its ``data`` is JSON text in JSON), ``item_title``/``keyword``/``items`` for
  causal chains, and ``source`` (file and row) from which the heavy columns (simplified HTML, page
  meta, screenshots) are read per event on demand (:mod:`workbench.traces.opera_observe`);
* two extra columns: ``session_id`` and ``rationale`` (the shopper's own words; null when empty).

The persona (the user table's ``profile``) is the survey rendered as text, plus the interview
summary when there is one. Problems (bad timestamps, JSON that does not parse, unknown sessions,
action counts that disagree with the session table, users without a survey) are listed as warnings
naming file, user, event and field; a missing or unreadable action table raises :class:`TraceError`.
The table is cached as Parquet like the JSON sources (keyed by the files' names, sizes and times).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import polars as pl

from workbench import fileio
from workbench.traces import cache, schema
from workbench.traces.errors import IssueLog, TraceError, TraceIssue
from workbench.traces.opera_build import build_events, loads
from workbench.traces.opera_tables import (
    ACTION_LIGHT,
    ACTION_REQUIRED,
    SESSION_REQUIRED,
    USER_REQUIRED,
    USER_TEXT,
    OperaTables,
    TableFile,
    check_columns,
    discover,
)
from workbench.traces.traceset import TraceSet

if TYPE_CHECKING:
    from workbench.tasks import TaskState

#: Bumped when the OPeRA mapping changes (part of the cache key).
OPERA_VERSION = "1"
#: Extra canonical columns of OPeRA traces.
EXTRA_SCHEMA: dict[str, pl.DataType] = {schema.SESSION_COLUMN: pl.String(), "rationale": pl.String()}
_META = "workbench.opera"
_USER_RE = r"^(.+?)_\d{4}-\d{2}-\d{2}T"
_START_RE = r"_(\d{4}-\d{2}-\d{2}T[^_]*)_[^_]*$"
_ISO = "%Y-%m-%dT%H:%M:%S%.fZ"
_PAYLOAD_AND_EXTRA = [*schema.EVENT_SCHEMA, *EXTRA_SCHEMA]


class OperaTraceSet(TraceSet):
    """A :class:`TraceSet` of OPeRA sessions: ``events`` has the extra ``session_id`` and
    ``rationale`` columns; ``tables`` says where the source files are (for the heavy columns)."""

    kind = "opera"
    columns = tuple(_PAYLOAD_AND_EXTRA)

    def __init__(self, events: pl.DataFrame, users: pl.DataFrame, warnings: list[TraceIssue],
                 source: Path, tables: OperaTables, parquet: Path | None = None) -> None:
        super().__init__(events, users, warnings, source, parquet=parquet)
        self.tables = tables
        self.image_index: dict[str, tuple[int, int]] | None = None  # filled by opera_observe


# -- entry point ------------------------------------------------------------------------------------


def load_opera(folder: str | Path, task: TaskState | None = None, use_cache: bool = True,
               background_cache_write: bool = True) -> OperaTraceSet:
    """Load an OPeRA folder (see the module docstring). Raises :class:`TraceError` when no action
    table can be read; other problems are ``warnings`` on the result."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TraceError(TraceIssue(str(folder), expected="a folder of OPeRA Parquet tables",
                                    message="not found" if not folder.exists() else "not a folder"))
    tables = discover(folder)
    digest = _digest(folder, tables) if use_cache else None
    if digest is not None:
        target = cache.parquet_path(digest)
        if target.exists():
            try:
                return read_cached(target, folder, tables)
            except (TraceError, OSError, pl.exceptions.PolarsError, KeyError, ValueError):
                pass  # a damaged cache entry: rebuild it
    ts = import_opera(folder, tables, task)
    if digest is None:
        return ts
    full = ts.events
    ts._full = full
    ts.events = full.drop(list(schema.PAYLOAD_COLUMNS))
    target = cache.parquet_path(digest)
    if background_cache_write:
        ts._writer = threading.Thread(target=_write_cache, args=(ts, full, target), daemon=False,
                                      name="opera-cache-writer")
        ts._writer.start()
    else:
        _write_cache(ts, full, target)
    return ts


def _digest(folder: Path, tables: OperaTables) -> str:
    """Cache key: names, sizes and modification times of the files (Parquet shards are written once;
    hashing gigabytes of HTML would cost more than the import)."""
    h = hashlib.sha256(f"opera|{cache.CACHE_VERSION}|{OPERA_VERSION}|{folder.resolve()}".encode())
    for t in tables.all_files():
        st = t.path.stat()
        h.update(f"|{tables.relative(t.path)}|{t.kind}|{st.st_size}|{st.st_mtime_ns}".encode())
    return "opera-" + h.hexdigest()[:40]


# -- the import -------------------------------------------------------------------------------------


def import_opera(folder: Path, tables: OperaTables, task: TaskState | None = None) -> OperaTraceSet:
    """Read the tables and build the canonical frame (no cache)."""
    issues = IssueLog()
    for note in tables.notes:
        issues.add(note)
    actions = _read_actions(tables, task)
    sessions = _read_sessions(tables, issues)
    personas, user_files = _read_users(tables, issues)
    if task is not None:
        task.check()
    actions = _order(actions)
    _check_sessions(actions, sessions, tables, issues)
    if task is not None:
        task.progress(1, 2, "building events")
    events = _frame(actions, tables, issues)
    _check_timestamps(events, actions, tables, issues)
    users = _users(events, personas, user_files, folder, issues)
    return OperaTraceSet(events, users, issues.issues(), folder, tables)


def _read_actions(tables: OperaTables, task: TaskState | None) -> pl.DataFrame:
    frames = []
    for i, t in enumerate(tables.actions):
        if task is not None:
            task.check()
            task.progress(i, len(tables.actions), f"reading {t.path.name}")
        check_columns(t, ACTION_REQUIRED, ACTION_LIGHT)
        cols = [c for c in ACTION_LIGHT if c in t.columns]
        try:
            df = pl.read_parquet(t.path, columns=cols)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise TraceError(TraceIssue(str(t.path), expected="a readable Parquet file",
                                        message=str(exc).splitlines()[0][:200] if str(exc) else "")) from None
        df = df.select([(pl.col(c).cast(pl.String) if c in cols else pl.lit(None, pl.String)).alias(c)
                        for c in ACTION_LIGHT])
        frames.append(df.with_columns(_file=pl.lit(i, pl.Int32), _row=pl.int_range(pl.len(), dtype=pl.Int64),
                                      _split=pl.lit(t.split, pl.String)))
    return pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]


def _order(actions: pl.DataFrame) -> pl.DataFrame:
    """User from the session id, parsed times, the canonical order and the event index."""
    sid = pl.col("session_id")
    df = actions.with_columns(
        _user=sid.str.extract(_USER_RE, 1),
        ts=pl.col("timestamp").str.strptime(pl.Datetime("us"), _ISO, strict=False),
        _start=sid.str.extract(_START_RE, 1).str.strptime(pl.Datetime("us"), _ISO, strict=False),
    )
    df = df.with_columns(user_id=pl.coalesce(pl.col("_user"), sid, pl.lit("(no session)")))
    df = df.sort(["user_id", "_start", "session_id", "ts", "_file", "_row"], nulls_last=True,
                 maintain_order=True)
    return df.with_columns(event_index=pl.int_range(pl.len(), dtype=pl.Int64).over("user_id"))


def _frame(actions: pl.DataFrame, tables: OperaTables, issues: IssueLog) -> pl.DataFrame:
    """The canonical frame (``EVENT_SCHEMA`` then ``EXTRA_SCHEMA``) of the ordered actions."""
    files = [tables.relative(t.path) for t in tables.actions]
    frame = build_events(actions, files, [str(t.path) for t in tables.actions], issues)
    missing = frame["ts"].is_null() & frame["ts_raw"].is_not_null()
    if missing.any():  # other ISO spellings, parsed one by one (only those rows)
        fixed = _fallback_ts(frame["ts_raw"].filter(missing))
        ts = frame["ts"].to_list()
        for pos, value in zip(missing.arg_true().to_list(), fixed.to_list()):
            ts[pos] = value
        frame = frame.with_columns(ts=pl.Series("ts", ts, dtype=pl.Datetime("us")))
    spec = {**schema.EVENT_SCHEMA, **EXTRA_SCHEMA}
    return frame.select([pl.col(c).cast(d) for c, d in spec.items()])


def _fallback_ts(raw: pl.Series) -> pl.Series:
    """Other ISO spellings (offsets, no ``Z``) parsed one by one, as UTC; None when not ISO."""
    from datetime import UTC, datetime

    out: list[datetime | None] = []
    for value in raw.to_list():
        dt = None
        if isinstance(value, str) and value.strip():
            try:
                dt = datetime.fromisoformat(value.strip())
                if dt.tzinfo is not None:
                    dt = dt.astimezone(UTC).replace(tzinfo=None)
            except ValueError:
                dt = None
        out.append(dt)
    return pl.Series("ts", out, dtype=pl.Datetime("us"))


def _check_timestamps(events: pl.DataFrame, actions: pl.DataFrame, tables: OperaTables,
                      issues: IssueLog) -> None:
    bad = events.filter(pl.col("ts").is_null())
    if not bad.height:
        return
    where = dict(zip(zip(actions["user_id"].to_list(), actions["event_index"].to_list()),
                     actions["_file"].to_list()))
    for user, index, raw in bad.select("user_id", "event_index", "ts_raw").iter_rows():
        file = str(tables.actions[where.get((user, index), 0)].path)
        issues.add(TraceIssue(file, user, index, "timestamp", "an ISO time like 2025-04-14T21:52:57.792Z",
                              f"cannot parse {str(raw)[:60]!r}; kept with no time"))


# -- sessions and users -----------------------------------------------------------------------------


def _read_table(t: TableFile, required: tuple[str, ...], wanted: tuple[str, ...],
                issues: IssueLog) -> pl.DataFrame | None:
    """A session or user table (only ``wanted`` columns), or None with a warning when unreadable."""
    try:
        check_columns(t, required, tuple(c for c in wanted if c != "action_count"))
        cols = [c for c in wanted if c in t.columns]
        return pl.read_parquet(t.path, columns=cols)
    except TraceError as exc:
        issues.add(TraceIssue(exc.issue.file, field=exc.issue.field, expected=exc.issue.expected,
                              message=f"{exc.issue.message}; table skipped"))
    except (OSError, pl.exceptions.PolarsError) as exc:
        issues.add(TraceIssue(str(t.path), expected="a readable Parquet file",
                              message=f"{str(exc)[:160]}; table skipped"))
    return None


def _read_sessions(tables: OperaTables, issues: IssueLog) -> dict[str, tuple[str | None, int | None, str]]:
    out: dict[str, tuple[str | None, int | None, str]] = {}
    for t in tables.sessions:
        df = _read_table(t, SESSION_REQUIRED, ("session_id", "user_id", "action_count"), issues)
        if df is None:
            continue
        counts = (df["action_count"].cast(pl.Int64, strict=False).to_list() if "action_count" in df.columns
                  else [None] * df.height)
        for sid, uid, n in zip(df["session_id"].to_list(), df["user_id"].to_list(), counts):
            if sid is not None:
                out.setdefault(str(sid), (None if uid is None else str(uid), n, str(t.path)))
    return out


def _check_sessions(actions: pl.DataFrame, sessions: dict, tables: OperaTables, issues: IssueLog) -> None:
    """Warnings for sessions the two tables disagree about, and for session ids without a user."""
    per = actions.group_by("session_id", maintain_order=True).agg(
        pl.len().alias("n"), pl.first("user_id"), pl.first("_user"), pl.first("_file"), pl.min("event_index"))
    for sid, n, user, parsed_user, file_i, first in per.iter_rows():
        file = str(tables.actions[file_i].path)
        if sid is None or parsed_user is None:
            issues.add(TraceIssue(file, user, first, "session_id", "<user uuid>_<start ISO>_<end ISO>",
                                  f"found {sid!r}; the whole id is taken as the user"))
        if not sessions or sid is None:
            continue
        known = sessions.get(sid)
        if known is None:
            issues.add(TraceIssue(file, user, first, "session_id", "a session of the session table",
                                  f"session {sid[:80]} is not in it; its {n} actions are kept"))
            continue
        s_user, count, s_file = known
        if s_user is not None and s_user != user:
            issues.add(TraceIssue(s_file, user, None, "user_id", f"the user of the session id ({user})",
                                  f"session {sid[:80]} names user {s_user}; the session id's user is used"))
        if count is not None and count != n:
            issues.add(TraceIssue(s_file, user, None, "action_count", f"{n} (actions found)",
                                  f"session {sid[:80]} says {count}"))
    found = set(per["session_id"].to_list())
    for sid, (s_user, _count, s_file) in sessions.items():
        if sid not in found:
            issues.add(TraceIssue(s_file, s_user, None, "session_id", "actions in the action table",
                                  f"session {sid[:80]} has none"))


def _read_users(tables: OperaTables, issues: IssueLog) -> tuple[dict[str, str], dict[str, str]]:
    """Persona text and user-table file per user."""
    personas: dict[str, str] = {}
    files: dict[str, str] = {}
    for t in tables.users:
        df = _read_table(t, USER_REQUIRED, ("user_id", *USER_TEXT), issues)
        if df is None:
            continue
        surveys = df["survey"].to_list() if "survey" in df.columns else [None] * df.height
        summaries = (df["interview_transcript_processed"].to_list()
                     if "interview_transcript_processed" in df.columns else [None] * df.height)
        for uid, survey, summary in zip(df["user_id"].to_list(), surveys, summaries):
            if uid is None:
                continue
            uid = str(uid)
            if uid in personas:  # the same user in both splits
                continue
            parsed, ok = loads(survey)
            if not ok:
                issues.add(TraceIssue(str(t.path), uid, None, "survey", "JSON text",
                                      "does not parse; the persona is the survey as given"))
            if survey is None or (isinstance(survey, str) and not survey.strip()):
                issues.add(TraceIssue(str(t.path), uid, None, "survey", "the user's survey",
                                      "empty; no persona"))
            personas[uid] = persona_text(parsed if ok else survey, summary)
            files[uid] = str(t.path)
    return personas, files


def persona_text(survey: Any, interview_summary: Any = None) -> str:
    """The persona as readable text: the survey's sections and answers, one per line (nested
    objects indented), then the interview summary when there is one."""
    lines: list[str] = []

    def walk(value: Any, depth: int) -> None:
        pad = "  " * depth
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, (dict, list)) and v:
                    lines.append(f"{pad}{k}:")
                    walk(v, depth + 1)
                else:
                    lines.append(f"{pad}{k}: {'' if v is None else v}")
        elif isinstance(value, list):
            for v in value:
                if isinstance(v, (dict, list)):
                    walk(v, depth)
                else:
                    lines.append(f"{pad}- {v}")
        elif value is not None and str(value).strip():
            lines.append(f"{pad}{value}")

    walk(survey, 0)
    if isinstance(interview_summary, str) and interview_summary.strip():
        lines += ["", "Interview summary:", interview_summary.strip()]
    return "\n".join(lines)


def _users(events: pl.DataFrame, personas: dict[str, str], user_files: dict[str, str], folder: Path,
           issues: IssueLog) -> pl.DataFrame:
    stats = events.group_by("user_id", maintain_order=True).agg(
        pl.len().cast(pl.Int64).alias("event_count"), pl.col("ts").min().alias("first_ts"),
        pl.col("ts").max().alias("last_ts"))
    ids = stats["user_id"].to_list()
    if personas:
        for uid in ids:
            if uid not in personas:
                issues.add(TraceIssue(str(folder), uid, None, "user_id", "a row in the user table",
                                      "user has sessions but no survey; no persona"))
    extra = [u for u in personas if u not in set(ids)]
    table = pl.DataFrame({"user_id": ids + extra}, schema={"user_id": pl.String}).join(
        stats, on="user_id", how="left", maintain_order="left")
    return table.with_columns(
        profile=pl.Series([personas.get(u, "") for u in ids + extra], dtype=pl.String),
        event_count=pl.col("event_count").fill_null(0),
        source=pl.Series([user_files.get(u, str(folder)) for u in ids + extra], dtype=pl.String),
    ).select([pl.col(c).cast(t) for c, t in schema.USER_SCHEMA.items()])


# -- cache ------------------------------------------------------------------------------------------


def _write_cache(ts: OperaTraceSet, full: pl.DataFrame, target: Path) -> None:
    root = Path(ts.source)
    users = [{"user_id": u, "profile": p, "source": s} for u, p, s in
             ts.users.select("user_id", "profile", "source").iter_rows()]
    meta = {_META: orjson.dumps({"users": users, "warnings": [w.to_dict() for w in ts.warnings],
                                 "root": str(root), "tables": ts.tables.relative(ts.tables.root)}).decode()}
    try:
        fileio.atomic_write(target, lambda tmp: full.select(_PAYLOAD_AND_EXTRA).write_parquet(
            tmp, compression="lz4", row_group_size=32_768, statistics=True, metadata=meta), fsync=False)
    except Exception as exc:  # noqa: BLE001 - a failed cache write must never lose the loaded data
        ts.warnings.append(TraceIssue(str(target), message=f"could not write the cache: {exc}"[:200]))
        return
    ts.parquet = target
    ts._full = None


def read_cached(target: Path, folder: Path, tables: OperaTables) -> OperaTraceSet:
    """An OPeRA trace set from its cache file (payload columns left on disk)."""
    meta = orjson.loads(pl.read_parquet_metadata(target)[_META])
    events = pl.read_parquet(target, columns=[c for c in _PAYLOAD_AND_EXTRA if c not in schema.PAYLOAD_COLUMNS])
    ids = [u["user_id"] for u in meta["users"]]
    stats = events.group_by("user_id").agg(
        pl.len().cast(pl.Int64).alias("event_count"), pl.col("ts").min().alias("first_ts"),
        pl.col("ts").max().alias("last_ts"))
    users = pl.DataFrame({"user_id": ids, "profile": [u["profile"] for u in meta["users"]],
                          "source": [u["source"] for u in meta["users"]]},
                         schema={"user_id": pl.String, "profile": pl.String, "source": pl.String}).join(
        stats, on="user_id", how="left", maintain_order="left").with_columns(pl.col("event_count").fill_null(0))
    users = users.select([pl.col(c).cast(t) for c, t in schema.USER_SCHEMA.items()])
    warnings = [TraceIssue.from_dict(w) for w in meta["warnings"]]
    return OperaTraceSet(events, users, warnings, folder, tables, parquet=target)
