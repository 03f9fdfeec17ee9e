"""Import OmniBehavior traces into the canonical event table. Layer: traces (pure; no Qt).

Sources: a JSON file of many users, a folder of per-user JSON (or JSONL) files, a JSONL file (one
``{user_id: {...}}`` object per line), or a Parquet file of the canonical table. English or Chinese
scenario names. JSON/JSONL sources are cached as Parquet (see :mod:`workbench.traces.cache`); the
payload columns (``context``/``actions``) then stay on disk until a user's events are asked for.

Ordinary files are parsed whole with orjson (fastest). From ``PARALLEL_MIN_BYTES`` on, two processes
share the work: when the last user's history is most of the file, a forked worker parses and builds
its tail while this process parses and builds the rest (``_read_split``); otherwise the document is
parsed here and a forked worker builds the rows of the second half of the events
(``_read_doc_parallel``). Either way the result is the same as with one process. Big files (and
any file orjson rejects) go through a streaming path: a structural scan (:mod:`workbench.traces.scan`)
finds each user's ``action_history`` array and the event boundaries, and events are parsed in
batches, so memory stays bounded, a bad event is named precisely and skipped, and a truncated file
yields what is complete. There too two processes share the scan (``_scan``) and the batches
(``_stream_two_processes``) from ``PARALLEL_MIN_BYTES`` on.
"""

from __future__ import annotations

import gc
import io
import itertools
import mmap
import multiprocessing
import os
import pickle
import re
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl

from workbench import fileio
from workbench.traces import build, cache, schema
from workbench.traces.errors import IssueLog, TraceError, TraceIssue
from workbench.traces.scan import Structure, join, key_before, scan

#: Files larger than this are refused.
MAX_FILE_BYTES = 32 * 1024 ** 3
#: Files up to this size are parsed whole (faster); larger ones are streamed.
FAST_PATH_MAX_BYTES = 256 * 1024 * 1024
#: Events parsed per batch on the streaming path.
BATCH_EVENTS = 20_000
#: A single JSON string longer than this (bytes) is refused.
MAX_STRING_BYTES = 64 * 1024 * 1024
#: Files at least this big (bytes), parsed whole, have their events built by two processes: a
#: forked worker builds the rows of the second half while this process builds the first.
PARALLEL_MIN_BYTES = 20 * 1024 * 1024
#: ... when they hold at least this many events.
PARALLEL_MIN_EVENTS = 4096
#: Share of the events the worker takes (this process also makes frames of the worker's columns).
WORKER_SHARE = 0.5
#: Share of the events the worker builds on the streaming path (more than half: this process also
#: makes the frames of all of them; measured on a 1M-event file).
STREAM_WORKER_SHARE = 0.57
#: Parsed events freed per step after an import (about a third of a millisecond each).
_FREE_STEP = 250
#: Parquet row groups (small enough that reading one user's payload skips the others).
ROW_GROUP = 32_768

_META_USERS = "workbench.users"
_META_WARNINGS = "workbench.warnings"
_META_VERSION = "workbench.schema"
_SLICE_KEY = "__workbench_event_slice__"
_BOM = b"\xef\xbb\xbf"

_NON_PAYLOAD = [c for c in schema.EVENT_SCHEMA if c not in schema.PAYLOAD_COLUMNS]

# -- the TraceSet -----------------------------------------------------------------------------------


class TraceSet:
    """Loaded traces: the canonical event table, the user table and the import warnings.

    ``events`` may lack the payload columns (``context``/``actions``) when they live in a Parquet
    file (the cache, or a canonical Parquet source); ``user_events`` and ``raw_events`` read them for
    one user, ``with_payload`` for everyone.
    """

    def __init__(self, events: pl.DataFrame, users: pl.DataFrame, warnings: list[TraceIssue],
                 source: Path, parquet: Path | None = None) -> None:
        self.events = events
        self.users = users
        self.warnings = warnings
        self.source = Path(source)
        self.parquet = parquet  #: Parquet file holding the full table (payload included), if any
        self._full: pl.DataFrame | None = None  # the full table while the cache is being written
        self._writer: threading.Thread | None = None
        self._uids: list[str] | None = None
        self._profiles: dict[str, str] | None = None
        self._garbage: list = []  # parsed documents of the import, to be freed

    def __repr__(self) -> str:
        return (f"TraceSet({self.source}, users={self.users.height}, events={self.events.height}, "
                f"warnings={len(self.warnings)})")

    @property
    def has_payload(self) -> bool:
        return all(c in self.events.columns for c in schema.PAYLOAD_COLUMNS)

    def user_ids(self) -> list[str]:
        if self._uids is None:
            self._uids = self.users["user_id"].to_list()
        return list(self._uids)

    def profile(self, user_id: str) -> str:
        if self._profiles is None:
            self._profiles = dict(zip(self.users["user_id"].to_list(), self.users["profile"].to_list()))
        try:
            return self._profiles[user_id]
        except KeyError:
            raise KeyError(f"unknown user {user_id!r}") from None

    def wait_cache(self, timeout: float | None = None) -> bool:
        """Wait until the columnar cache (written in the background after a first import) is on
        disk; True when nothing is pending any more."""
        writer = self._writer
        if writer is not None:
            writer.join(timeout)
            return not writer.is_alive()
        return True

    def user_events(self, user_id: str) -> pl.DataFrame:
        """That user's rows with the payload columns, in ``event_index`` order."""
        full = self._full
        if full is not None:
            frame = full.filter(pl.col("user_id") == user_id)
        elif self.has_payload or self.parquet is None:
            frame = self.events.filter(pl.col("user_id") == user_id)
        else:
            frame = (pl.scan_parquet(self.parquet).filter(pl.col("user_id") == user_id)
                     .select(list(schema.EVENT_SCHEMA)).collect())
        return frame.sort("event_index")

    def raw_events(self, user_id: str) -> list[dict[str, Any]]:
        """Raw OmniBehavior event dicts (type/timestamp/context?/action), file order."""
        return schema.events_from_frame(self.user_events(user_id))

    def with_payload(self) -> pl.DataFrame:
        """The full canonical table, payload columns included (reads them from Parquet if needed)."""
        full = self._full
        if full is not None:
            return full
        if self.has_payload or self.parquet is None:
            return self.events.select([c for c in schema.EVENT_SCHEMA if c in self.events.columns])
        return pl.read_parquet(self.parquet).select(list(schema.EVENT_SCHEMA))


# -- public entry points ----------------------------------------------------------------------------


def load_traces(path: str | os.PathLike, task=None, use_cache: bool = True,
                background_cache_write: bool = True) -> TraceSet:
    """Load a trace source (see the module docstring). Raises :class:`TraceError` when nothing usable
    can be read; otherwise problems are listed in ``TraceSet.warnings``.

    With ``use_cache`` a JSON/JSONL source is read from its Parquet cache when there is one; after a
    first import the cache is written in a background thread (``TraceSet.wait_cache``); meanwhile
    the payload stays in memory. ``events`` never holds the payload columns when a cache is used."""
    source = Path(path)
    if not source.exists():
        raise TraceError(TraceIssue(str(source), expected="an existing file or folder",
                                    message="not found"))
    # An import makes millions of objects and frees none in cycles: the cyclic GC would traverse the
    # parsed document again and again (about 20% of the import time); it is off meanwhile.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        ts = _load(source, task, use_cache, background_cache_write)
        if ts._garbage:
            # freeing millions of parsed objects takes a while (and the GIL): in the background,
            # started last so that it does not slow down the rest of the load
            threading.Thread(target=_free_later, args=(ts._garbage,), name="trace-free", daemon=True).start()
            ts._garbage = []
        return ts
    except OSError as exc:
        where = exc.filename if isinstance(exc.filename, str) else str(source)
        raise TraceError(TraceIssue(where, expected="a readable file or folder",
                                    message=exc.strerror or _short(exc))) from None
    finally:
        if gc_was_enabled:
            gc.enable()


def _load(source: Path, task, use_cache: bool, background_cache_write: bool) -> TraceSet:
    if source.is_file() and source.suffix.lower() == ".parquet":
        return read_parquet(source)
    files = _source_files(source)
    if not use_cache:
        return _import(source, files, task)
    sig = cache.signature(source, files)
    digest = known = cache.lookup_hash(sig)
    prefetched: dict[Path, list] = {}
    if digest is None and source.is_file() and source.suffix.lower() != ".jsonl" \
            and 0 < source.stat().st_size <= min(FAST_PATH_MAX_BYTES, MAX_FILE_BYTES):
        # an unknown single file parsed whole: hash its bytes in a thread while orjson parses them
        # (when the hash then names an existing cache entry, the parse is wasted; that is rare)
        prefetched[source] = _prefetch(source)
        pending = prefetched[source].pop()
        if callable(pending):
            # a big file parsed on both cores: the hash runs beside the parse and is looked at
            # afterwards; a copy of an already cached file then costs one parse (rare)
            ts = _import(source, files, task, prefetched)
            return _cache_imported(ts, pending(), sig, background_cache_write)
        digest = pending
    if digest is None:
        digest = cache.content_hash(source, files)
    target = cache.parquet_path(digest)
    if target.exists():
        try:
            prefetched.clear()
            ts = read_parquet(target, source=source)
            if known is None:
                cache.remember_hash(sig, digest)
            return ts
        except (TraceError, OSError, pl.exceptions.PolarsError):
            pass  # a damaged cache entry: rebuild it
    ts = _import(source, files, task, prefetched)
    return _cache_imported(ts, digest, sig, background_cache_write)


def _cache_imported(ts: TraceSet, digest: str, sig: Any, background_cache_write: bool) -> TraceSet:
    """Keep the payload of a fresh import in memory and write it to the cache (in the background
    unless told otherwise). An entry that already exists for this content (a copy of a cached
    file) is simply written again: atomic, identical, and never a damaged entry trusted."""
    target = cache.parquet_path(digest)
    full = ts.events
    ts._full = full
    ts.events = full.drop(list(schema.PAYLOAD_COLUMNS))
    if background_cache_write:
        ts._writer = threading.Thread(target=_write_cache, args=(ts, full, target, sig, digest),
                                      name="trace-cache-writer", daemon=False)
        ts._writer.start()
    else:
        _write_cache(ts, full, target, sig, digest)
    return ts


def _prefetch(f: Path) -> list:
    """``[bytes (a bytearray), parsed document or _UNPARSED, content hash]`` of a file, hashed in a
    thread while the bytes are parsed."""
    data = _read_file(f)
    if len(data) >= PARALLEL_MIN_BYTES and _can_fork():  # parsed in two halves later (_read_split)
        out_big: list = []
        hasher_big = threading.Thread(target=lambda: out_big.append(cache.bytes_hash(data)),
                                      name="trace-hash", daemon=True)
        hasher_big.start()

        def digest() -> str:
            hasher_big.join()
            return out_big[0] if out_big else cache.bytes_hash(data)
        return [data, None, digest]
    out: list = []

    hasher = threading.Thread(target=lambda: out.append(cache.bytes_hash(data)), name="trace-hash",
                              daemon=True)
    hasher.start()
    try:
        doc = _parse_whole(data)
    finally:
        hasher.join()
    return [data, doc, out[0] if out else cache.bytes_hash(data)]


_UNPARSED = object()


def _read_file(f: Path) -> bytearray:
    """The bytes of ``f``, in a bytearray: a forked worker may then change its own copy in place
    instead of copying its part (see ``_split_worker``)."""
    with open(f, "rb", buffering=0) as fh:
        data = bytearray(os.fstat(fh.fileno()).st_size)
        view = memoryview(data)
        got = 0
        while got < len(data):
            n = fh.readinto(view[got:])
            if not n:
                break
            got += n
        view.release()
        if got < len(data):  # shrank meanwhile
            del data[got:]
        else:  # or grew
            data += fh.read()
    return data


def _parse_whole(data: bytes) -> Any:
    """The whole document, or ``_UNPARSED`` when orjson rejects it (the streaming path then says
    where and reads what it can)."""
    try:
        return orjson.loads(memoryview(data)[3:] if data.startswith(_BOM) else data)
    except orjson.JSONDecodeError:
        return _UNPARSED


def _write_cache(ts: TraceSet, full: pl.DataFrame, target: Path, sig: str, digest: str) -> None:
    try:
        _write_canonical(full, ts.users, ts.warnings, target, ts.source)
        cache.remember_hash(sig, digest)
    except Exception as exc:  # noqa: BLE001 - a failed cache write must never lose the loaded data
        ts.warnings.append(TraceIssue(str(target), message=f"could not write the cache: {_short(exc)}"))
        return
    ts.parquet = target
    ts._full = None


def write_parquet(traceset: TraceSet, path: str | os.PathLike) -> Path:
    """Write the canonical table (payload included) and the user table to one Parquet file."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_canonical(traceset.with_payload(), traceset.users, traceset.warnings, out, traceset.source)
    return out


def read_parquet(path: Path, source: Path | None = None) -> TraceSet:
    """Read a canonical Parquet file (payload columns left on disk)."""
    path = Path(path)
    try:
        file_schema = pl.read_parquet_schema(path)
        meta = pl.read_parquet_metadata(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise TraceError(TraceIssue(str(path), expected="a Parquet file of the canonical event table",
                                    message=_short(exc))) from None
    for col, dtype in schema.EVENT_SCHEMA.items():
        if col not in file_schema:
            raise TraceError(TraceIssue(str(path), field=col,
                                        expected="a column of the canonical event table",
                                        message="column missing"))
        if file_schema[col] != dtype:
            raise TraceError(TraceIssue(str(path), field=col, expected=str(dtype),
                                        message=f"column has type {file_schema[col]}"))
    try:
        events = pl.read_parquet(path, columns=_NON_PAYLOAD)
    except pl.exceptions.PolarsError as exc:
        raise TraceError(TraceIssue(str(path), expected="a readable Parquet file",
                                    message=_short(exc))) from None
    root = Path(source) if source is not None else path
    users_meta: list[dict] = []
    warnings: list[TraceIssue] = []
    try:
        if _META_USERS in meta:
            users_meta = orjson.loads(meta[_META_USERS])
        if _META_WARNINGS in meta:
            warnings = [TraceIssue.from_dict(w) for w in orjson.loads(meta[_META_WARNINGS])]
    except (orjson.JSONDecodeError, TypeError, AttributeError):
        users_meta, warnings = [], [TraceIssue(str(path), field="metadata",
                                               message="user table metadata unreadable")]
    if not users_meta:
        users_meta = [{"user_id": u, "profile": "", "source": ""}
                      for u in events["user_id"].unique(maintain_order=True).to_list()]
    users = _user_table(events, [(u["user_id"], u.get("profile") or "", _resolve(root, u.get("source") or ""))
                                 for u in users_meta])
    return TraceSet(events, users, warnings, root, parquet=path)


# -- sources ----------------------------------------------------------------------------------------


def _source_files(source: Path) -> list[Path]:
    if source.is_dir():
        files = sorted(p for p in source.iterdir()
                       if p.is_file() and p.suffix.lower() in (".json", ".jsonl") and not p.name.startswith("."))
        if not files:
            raise TraceError(TraceIssue(str(source), expected="a folder of OmniBehavior .json files",
                                        message="no .json or .jsonl file in it"))
        return files
    return [source]


def _import(source: Path, files: list[Path], task, prefetched: dict[Path, list] | None = None) -> TraceSet:
    issues = IssueLog()
    state = _ImportState(issues, task)
    for f in files:
        if task is not None:
            task.check()
        size = f.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TraceError(TraceIssue(str(f), expected=f"a file of at most {MAX_FILE_BYTES / 1e9:.0f} GB",
                                        message=f"file has {size / 1e9:.1f} GB"))
        if size == 0 or not _has_content(f):
            err = TraceIssue(str(f), expected="a JSON object of users", message="the file is empty")
            if len(files) == 1:
                raise TraceError(err)
            issues.add(err)
            continue
        if f.suffix.lower() == ".jsonl":
            _read_jsonl(f, state)
        else:
            _read_json(f, size, state, (prefetched or {}).pop(f, None))
    events = state.finish()
    if not state.users:
        found = issues.issues()
        if found:
            raise TraceError(found[0])
        raise TraceError(TraceIssue(str(source), expected="at least one user", message="no users found"))
    users = _user_table(events, state.users)
    ts = TraceSet(events, users, issues.issues(), source)
    ts._garbage, state.garbage = state.garbage, []  # freed by load_traces once it is done
    return ts


def _free_later(garbage: list) -> None:
    """Free parsed documents a few hundred events at a time, offering the GIL to other threads after
    each step (one big ``clear`` would hold it for a tenth of a second or more)."""
    while garbage:
        doc = garbage.pop()
        if isinstance(doc, dict):
            lists = [r.get("action_history") for r in doc.values() if isinstance(r, dict)]
        else:
            lists = [doc]
        for history in lists:
            if isinstance(history, list):
                while history:
                    del history[-_FREE_STEP:]
                    time.sleep(0)  # releases the GIL: a waiting thread runs now, not in 5 ms
        del doc, lists


def _has_content(f: Path) -> bool:
    with open(f, "rb") as fh:
        while chunk := fh.read(1 << 16):
            if chunk.strip():
                return True
    return False


class _ImportState:
    """Users and event frames gathered across files."""

    def __init__(self, issues: IssueLog, task) -> None:
        self.issues = issues
        self.task = task
        self.users: list[tuple[str, str, str]] = []  # user_id, profile, file
        self.seen: set[str] = set()
        self.file_of_user: dict[str, str] = {}
        self.frames: list[pl.DataFrame] = []
        self.builder = build.EventBuilder(issues)
        self.garbage: list = []  # parsed documents to free after the import

    def flush(self) -> None:
        if len(self.builder):
            self.frames.append(self.builder.frame(self.file_of_user))
            self.builder = build.EventBuilder(self.issues)

    def finish(self) -> pl.DataFrame:
        self.flush()
        if not self.frames:
            return schema.empty_events()
        return pl.concat(self.frames, how="vertical", rechunk=False) if len(self.frames) > 1 else self.frames[0]

    def user(self, file: str, uid: Any, record: Any) -> str | None:
        """Register a user record; returns the user id, or None when the record is skipped."""
        if not isinstance(uid, str):
            uid = str(uid)
        if uid in self.seen:
            self.issues.add(TraceIssue(file, uid, None, "", "unique user ids",
                                       "user appears again; this later copy is skipped"))
            return None
        if not isinstance(record, dict):
            self.issues.add(TraceIssue(file, uid, None, "", "a user object with action_history",
                                       f"found {build._kind(record)}; user skipped"))
            return None
        profile = record.get("user_profile", "")
        if profile is None:
            profile = ""
        if not isinstance(profile, str):
            self.issues.add(TraceIssue(file, uid, None, "user_profile", "a string",
                                       f"found {build._kind(profile)}; kept as its JSON text"))
            profile = orjson.dumps(profile).decode()
        if len(profile) > build.MAX_PROFILE_CHARS:
            raise TraceError(TraceIssue(file, uid, None, "user_profile",
                                        f"at most {build.MAX_PROFILE_CHARS} characters",
                                        f"profile has {len(profile)} characters"))
        self.seen.add(uid)
        self.users.append((uid, profile, file))
        self.file_of_user[uid] = file
        return uid

    def events(self, file: str, uid: str, history: Any, first: int = 0, stop: int | None = None,
               free: bool = True, base: int = 0) -> None:
        """Build the events ``history[first:stop]`` (all of them by default; ``history[0]`` has event
        index ``base``); ``free`` drops each parsed batch from ``history`` once built."""
        if not isinstance(history, list):
            self.issues.add(_not_a_history(file, uid, history))
            return
        n = len(history) if stop is None else stop
        for s in range(first, n, BATCH_EVENTS):
            e = min(n, s + BATCH_EVENTS)
            self.builder.add_list(file, uid, history[s:e], base + s)
            if free:
                for i in range(s, e):  # free the parsed events now: their memory is reused at once
                    history[i] = None
            if len(self.builder) >= BATCH_EVENTS:
                self.flush()
            if self.task is not None:
                self.task.check()
                self.task.progress(e, n, f"reading the events of {uid}")


def _not_a_history(file: str, uid: str, history: Any) -> TraceIssue:
    return TraceIssue(file, uid, None, "action_history", "a list of events",
                      f"found {build._kind(history)}; user kept with no events")


# -- JSON -------------------------------------------------------------------------------------------


def _read_json(f: Path, size: int, state: _ImportState, pre: list | None = None) -> None:
    file = str(f)
    if size <= FAST_PATH_MAX_BYTES:
        if pre is not None:  # [bytes, document or None] read (and maybe parsed) already
            data, doc = pre[0], pre[1]
            pre.clear()
        else:
            data, doc = _read_file(f), None
        if doc is None:
            if size >= PARALLEL_MIN_BYTES and _can_fork() and _read_split(file, data, state):
                return
            doc = _parse_whole(data)
        if doc is _UNPARSED:
            _stream_json(f, np.frombuffer(data, np.uint8), data, state)
            return
        if not isinstance(doc, dict):
            raise TraceError(TraceIssue(file, expected="a JSON object {user_id: {user_profile, action_history}}",
                                        message=f"found {build._kind(doc)}"))
        del data
        if size >= PARALLEL_MIN_BYTES and _can_fork():
            _read_doc_parallel(file, doc, state)
            # freeing millions of parsed objects takes a while: do it after the import returns
            state.garbage.append(doc)  # freed once the import is done
            del doc
            return
        for uid, record in doc.items():
            u = state.user(file, uid, record)
            if u is not None:
                state.events(file, u, record.get("action_history"))
        return
    with open(f, "rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        _stream_json(f, np.frombuffer(mm, np.uint8), mm, state)
    finally:
        try:
            mm.close()
        except BufferError:
            pass  # numpy views still alive; released with them


# -- two processes ----------------------------------------------------------------------------------


def _fork(target, args: tuple, name: str = "trace-import-worker"):
    """``target(*args)`` started in a forked daemon process, or None when that cannot be done. The
    workers run no threads and no polars (its thread pool does not survive a fork)."""
    worker = multiprocessing.get_context("fork").Process(target=target, args=args, name=name, daemon=True)
    try:
        with warnings.catch_warnings():  # "multi-threaded process forked": the worker runs no threads
            warnings.simplefilter("ignore", DeprecationWarning)
            worker.start()
    except (OSError, ValueError, AssertionError):
        return None
    return worker


def _can_fork() -> bool:
    try:
        return ("fork" in multiprocessing.get_all_start_methods()
                and not multiprocessing.current_process().daemon)  # daemons may not have children
    except Exception:  # noqa: BLE001 - no multiprocessing here: stay in one process
        return False


_EVENT_START = re.compile(rb'\}\s*(,)\s*\{\s*"type"\s*:\s*(?:"[^"\\]*"|null)\s*,\s*"timestamp"\s*:')
_SPLIT_MARK_TEXT = "\x00workbench-split-7f3a9c"
_SPLIT_MARK = b',"\\u0000workbench-split-7f3a9c"'
_DOC_END = re.compile(rb'\]\s*\}\s*\}\s*\Z')


def _read_split(file: str, data: bytes | bytearray, state: _ImportState) -> bool:
    """Parse and build a document whose last user's ``action_history`` is most of it with two
    processes from the start: a forked worker parses (``orjson``) and builds the tail of that
    history while this process parses everything before it (closed with ``]}}``) and builds that.

    The cut is a comma before something that looks like an event (``{"type": .., "timestamp":``)
    after the last ``"action_history"`` key; the file must end with ``]}}``. Both parses succeeding
    proves the cut is the comma between two events of that history (the prefix can only be closed
    by ``]}}`` at that depth, outside any string) and that the tail is the rest of it. Returns False,
    having changed nothing, when the document does not have that shape (the caller then parses it
    whole). Rows, frames and warnings are the same as with one process."""
    base = 3 if data.startswith(_BOM) else 0
    size = len(data)
    end = _DOC_END.search(data, max(base, size - 4096))
    if end is None:
        return False
    cut_from = base + int((size - base) * (1.0 - WORKER_SHARE))
    # the last user's history must hold the cut: start after its key when that lies further on
    # (only the part after the cut is searched; the parse below checks the rest)
    cut_from = max(cut_from, data.rfind(b'"action_history"', cut_from))
    found = _EVENT_START.search(data, cut_from, end.start())
    if found is None:
        return False
    comma, stop = found.start(1), end.start()
    answers, answer_out = multiprocessing.Pipe(duplex=False)
    _widen(answer_out)
    orders_in, orders = multiprocessing.Pipe(duplex=False)
    worker = _fork(_split_worker, (data, comma + 1, stop, file, orders_in, answer_out))
    if worker is None:
        for conn in (answers, answer_out, orders_in, orders):
            conn.close()
        return False
    answer_out.close()
    orders_in.close()
    try:
        try:
            prefix = bytearray(memoryview(data)[base:comma])
            prefix += _SPLIT_MARK + b"]}}"
            doc = orjson.loads(prefix)
            del prefix
        except orjson.JSONDecodeError:
            doc = None
        last = None
        if isinstance(doc, dict) and doc:  # the marker must end the last user's history
            uid, record = next(reversed(doc.items()))
            if isinstance(record, dict) and record and next(reversed(record)) == "action_history":
                history = record["action_history"]
                if isinstance(history, list) and history and history[-1] == _SPLIT_MARK_TEXT:
                    history.pop()
                    last = (uid, history)
        status = _receive(answers, worker, state.task) if last is not None else None
        if status is None or status[0] != "parsed":
            _tell(orders, None)
            return False
        # the split holds: from here on the document is read (the worker's part here if it fails)
        state.garbage.append(doc)
        todo: list[tuple[str, Any]] = []
        last_uid: str | None = None
        for uid, record in doc.items():  # users first, so that the worker can start at once
            u = state.user(file, uid, record)
            if u is not None:
                history = record.get("action_history")
                todo.append((u, history))
                if history is last[1]:
                    last_uid = u
        _tell(orders, (last_uid, len(last[1])) if last_uid is not None else None)
        for u, history in todo:
            state.events(file, u, history, free=False)
        del todo
        if last_uid is None:  # the last user was skipped (e.g. seen in an earlier file)
            return True
        state.flush()
        answer = _receive(answers, worker, state.task)
    finally:
        for conn in (answers, orders):
            conn.close()
        if worker.is_alive():
            worker.terminate()
        worker.join()
    if answer is None or answer[0] == "failed":  # the worker died: parse and build its part here
        items = orjson.loads(b"[" + memoryview(data)[comma + 1:stop] + b"]")
        state.events(file, last_uid, items, free=False, base=len(last[1]))
        state.garbage.append(items)
        state.flush()
        return True
    if answer[0] == "error":
        raise TraceError(TraceIssue.from_dict(answer[1]))
    _add_worker_rows(state, answer)
    return True


def _widen(conn) -> None:
    """A 1 MiB pipe buffer (Linux): the worker's columns (tens of MB) then cross in far fewer steps."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError, ValueError):
        pass


def _tell(conn, message) -> None:
    try:
        conn.send(message)
    except OSError:
        pass  # the worker is gone: its answer will be missing and this process does its part


def _split_worker(data: bytes | bytearray, start: int, stop: int, file: str, orders, answers) -> None:
    """In the forked worker: parse ``data[start:stop]`` (the tail of the last user's history) as a
    list, say so, then build the rows of those events for the user and first index we are told."""
    gc.disable()  # a collection would touch (and so copy) every object shared with the parent
    try:
        try:
            if isinstance(data, bytearray) and data[start - 1] == 0x2C and data[stop] == 0x5D:
                # ",{tail}]": open the list where the comma is, in this process's own copy of the
                # bytes (the parent's stay as they are), instead of copying the tail
                data[start - 1] = 0x5B
                items = orjson.loads(memoryview(data)[start - 1:stop + 1])
            else:
                items = orjson.loads(b"[" + memoryview(data)[start:stop] + b"]")
        except orjson.JSONDecodeError:
            items = None
        answers.send_bytes(pickle.dumps(("parsed", len(items)) if isinstance(items, list) else ("failed", "")))
        if not isinstance(items, list):
            return
        order = orders.recv()
        if order is None:
            return
        uid, offset = order
        issues = IssueLog()
        builder = build.EventBuilder(issues)
        try:
            builder.add_list(file, uid, items, offset)
            answer: tuple = ("ok", builder.columns(), issues._items, issues._counts)
        except TraceError as exc:
            answer = ("error", exc.issue.to_dict())
        except BaseException as exc:  # noqa: BLE001 - reported; the parent then builds this part itself
            answer = ("failed", _short(exc))
        answers.send_bytes(_pack(answer))
    except (EOFError, OSError):
        pass  # the parent went away or gave up on us
    finally:
        answers.close()


def _pack(answer: tuple) -> bytes:
    """A worker's answer pickled without the memo: its columns hold ~10^5 distinct strings and bytes
    and no cycles, and memoising each of them is a third of the pickling time (measured)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(answer)
    return out.getvalue()


def _add_worker_rows(state: _ImportState, answer: tuple) -> None:
    """Frames from the columns a worker built (and its warnings, after ours)."""
    _, columns, items, counts = answer
    _merge_issues(state.issues, items, counts)
    n = len(columns[0]) if columns else 0
    for b0 in range(0, n, BATCH_EVENTS):
        part = [c[b0:b0 + BATCH_EVENTS] for c in columns]
        state.frames.append(build.columns_frame(part, state.issues, state.file_of_user))
    if state.task is not None:
        state.task.progress(1, 1, "events read")


def _read_doc_parallel(file: str, doc: dict, state: _ImportState) -> None:
    """Build the events of a parsed document with two processes: a forked worker builds the rows of
    the last ``WORKER_SHARE`` of the events (pure Python, no polars: polars' thread pool does not
    survive a fork) and sends them back as columns (``_pack``); this process builds the first part
    meanwhile, then makes frames of the worker's columns. The result (rows, frames, warnings with their event
    indices) is the same as with one process; when the worker fails, this process builds its part."""
    work: list[tuple[str, list]] = []
    for uid, record in doc.items():
        u = state.user(file, uid, record)
        if u is None:
            continue
        history = record.get("action_history")
        if isinstance(history, list):
            work.append((u, history))
        else:
            state.events(file, u, history)  # logs the problem
    total = sum(len(h) for _, h in work)
    if total < PARALLEL_MIN_EVENTS:
        for u, h in work:
            state.events(file, u, h)
        return
    cut = int(total * (1.0 - WORKER_SHARE))
    mine: list[tuple[str, list, int, int]] = []
    theirs: list[tuple[str, list, int, int]] = []
    pos = 0
    for u, h in work:
        n = len(h)
        if pos + n <= cut:
            mine.append((u, h, 0, n))
        elif pos >= cut:
            theirs.append((u, h, 0, n))
        else:
            mine.append((u, h, 0, cut - pos))
            theirs.append((u, h, cut - pos, n))
        pos += n
    del work
    receiver, sender = multiprocessing.Pipe(duplex=False)
    _widen(sender)
    worker = _fork(_worker_main, (sender, file, theirs))
    if worker is None:
        sender.close()
        receiver.close()
        for u, h, s, e in itertools.chain(mine, theirs):
            state.events(file, u, h, s, e)
        return
    sender.close()
    try:
        for u, h, s, e in mine:  # parsed events freed after the import (see _free_later)
            state.events(file, u, h, s, e, free=False)
        state.flush()
        answer = _receive(receiver, worker, state.task)
    finally:
        receiver.close()
        if worker.is_alive():
            worker.terminate()
        worker.join()
    if answer is None or answer[0] == "failed":  # the worker died or failed: do its part here
        for u, h, s, e in theirs:
            state.events(file, u, h, s, e)
        return
    if answer[0] == "error":
        raise TraceError(TraceIssue.from_dict(answer[1]))
    _add_worker_rows(state, answer)


def _receive(receiver, worker, task) -> Any:
    """The worker's pickled answer, or None when it died without one."""
    while not receiver.poll(0.05):
        if task is not None:
            task.check()
        if not worker.is_alive() and not receiver.poll(0):
            return None
    try:
        return pickle.loads(receiver.recv_bytes())
    except (EOFError, OSError, pickle.UnpicklingError):
        return None


def _worker_main(sender, file: str, parts: list[tuple[str, list, int, int]]) -> None:
    """In the forked worker: build the rows of ``parts`` and send them (or the error) back."""
    gc.disable()  # a collection would touch (and so copy) every object shared with the parent
    try:
        issues = IssueLog()
        builder = build.EventBuilder(issues)
        for u, h, s, e in parts:
            builder.add_list(file, u, itertools.islice(h, s, e), s)
        answer: tuple = ("ok", builder.columns(), issues._items, issues._counts)
    except TraceError as exc:
        answer = ("error", exc.issue.to_dict())
    except BaseException as exc:  # noqa: BLE001 - reported; the parent then builds this part itself
        answer = ("failed", _short(exc))
    try:
        sender.send_bytes(_pack(answer))
    finally:
        sender.close()


def _merge_issues(log: IssueLog, items: list[TraceIssue], counts: dict[tuple, int]) -> None:
    """Add the worker's issues (kept ones and counts of those left out) to ``log``, after its own."""
    last: dict[tuple, TraceIssue] = {}
    sent: dict[tuple, int] = {}
    for issue in items:
        log.add(issue)
        key = (issue.file, issue.field, issue.expected)
        last[key] = issue
        sent[key] = sent.get(key, 0) + 1
    for key, n in counts.items():
        for _ in range(n - sent.get(key, 0)):  # only past the cap: counted, not listed again
            log.add(last[key])


def _release(raw, start: int, end: int) -> None:
    """Drop already-read pages of an mmap from our resident set (they stay in the page cache)."""
    if isinstance(raw, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        page = mmap.PAGESIZE
        s = (start // page) * page
        if end > s:
            try:
                raw.madvise(mmap.MADV_DONTNEED, s, end - s)
            except (OSError, ValueError):
                pass


def _stream_json(f: Path, buf: np.ndarray, raw, state: _ImportState) -> None:
    file = str(f)
    task = state.task

    def scan_progress(done: int, total: int) -> None:
        _release(raw, max(0, done - scan_chunk), done)
        if task is not None:
            task.check()
            task.progress(done, 2 * total, f"scanning {f.name}")

    scan_chunk = 1 << 25
    st = _scan(buf, raw, scan_chunk, scan_progress, task)
    if st.max_string > MAX_STRING_BYTES:
        raise TraceError(TraceIssue(file, expected=f"strings of at most {MAX_STRING_BYTES // 2**20} MiB",
                                    message=f"a string of {st.max_string / 1e6:.0f} MB"))
    first = _first_byte(buf)
    if first != ord("{"):
        raise TraceError(TraceIssue(file, expected="a JSON object {user_id: {user_profile, action_history}}",
                                    message=f"the file starts with {chr(first)!r}" if first >= 0 else "empty"))
    P, C, D = st.pos, st.char, st.depth_before
    A = st.depth_after
    limit = st.size
    ntok = P.size
    tail_openers: list[int] = []
    if not st.complete:
        bound = st.first_negative if st.first_negative >= 0 else limit
        commas = np.flatnonzero((C == ord(",")) & (D <= 3) & (D >= 1) & (P < bound))
        if not commas.size:
            raise TraceError(TraceIssue(file, expected="complete JSON",
                                        message=_incomplete_message(st) + "; nothing complete to read"))
        cut = int(commas[-1])
        limit = int(P[cut])
        ntok = cut
        d = int(D[cut])
        for level in range(d - 1, -1, -1):
            cand = np.flatnonzero((D[:cut] == level) & (_is_open(C[:cut])))
            tail_openers.append(int(cand[-1]))
        state.issues.add(TraceIssue(file, expected="complete JSON",
                                    message=_incomplete_message(st) + f"; read up to byte {limit}, the rest ignored"))
        P, C, D, A = P[:ntok], C[:ntok], D[:ntok], A[:ntok]

    # the action_history arrays of the users
    close_cand = np.flatnonzero(A <= 2)
    arrays: list[tuple[int, int | None]] = []  # (open token, close token or None = cut at limit)
    for i in np.flatnonzero((C == ord("[")) & (D == 2)).tolist():
        if key_before(raw, int(P[i])) != "action_history":
            continue
        k = np.searchsorted(close_cand, i, side="right")
        j = int(close_cand[k]) if k < close_cand.size else None
        if j is not None and C[j] != ord("]"):
            j = None
        arrays.append((i, j))
    excised = {i for i, _ in arrays}

    pieces: list[bytes] = []
    last = 3 if bytes(buf[:3]) == _BOM else 0
    for n, (i, j) in enumerate(arrays):
        pieces.append(bytes(raw[last:int(P[i])]))
        pieces.append(b'{"' + _SLICE_KEY.encode() + b'":' + str(n).encode() + b"}")
        last = int(P[j]) + 1 if j is not None else limit
    if last < limit:
        pieces.append(bytes(raw[last:limit]))
    for t in tail_openers:
        if t in excised:
            continue
        pieces.append(b"}" if C[t] == ord("{") else b"]")
    skeleton = b"".join(pieces)
    try:
        doc = orjson.loads(skeleton)
    except orjson.JSONDecodeError as exc:
        raise TraceError(TraceIssue(file, expected="valid JSON outside the action histories",
                                    message=_short(exc))) from None
    del skeleton, pieces
    if not isinstance(doc, dict):
        raise TraceError(TraceIssue(file, expected="a JSON object {user_id: {user_profile, action_history}}",
                                    message=f"found {build._kind(doc)}"))
    total = int(limit)
    jobs: list[tuple] = []  # in the order of the file: (user, history) or (user, b0, starts, ends)
    for uid, record in doc.items():
        u = state.user(file, uid, record)
        if u is None:
            continue
        history = record.get("action_history")
        if isinstance(history, dict) and set(history) == {_SLICE_KEY}:
            i, j = arrays[history[_SLICE_KEY]]
            jobs.extend(_event_batches(u, raw, P, C, D, i, j, limit))
        else:
            jobs.append((u, history))
    del st, P, C, D, A, close_cand  # the token arrays can be hundreds of MB: gone before the build
    events = sum(len(job[2]) for job in jobs if len(job) == 4)
    if total >= PARALLEL_MIN_BYTES and events >= PARALLEL_MIN_EVENTS and _can_fork():
        _stream_two_processes(file, raw, jobs, state, total, events)
        return
    for job in jobs:
        _stream_job(file, raw, job, state, total)


def _scan(buf: np.ndarray, raw, chunk: int, on_progress, task) -> Structure:
    """``scan(buf, keep_depth=3)``; for a big file with two processes: a forked worker scans from the
    first event boundary (``_EVENT_START``: a comma between two events, at depth 3, outside any
    string in valid JSON) after the middle on, assuming that depth, while this process scans up to
    it, then checks that it does end there at depth 3 outside a string. If not (invalid JSON, or
    a look-alike deeper down), or when the worker fails, this process scans the rest itself."""
    n = int(buf.size)
    found = _EVENT_START.search(raw, n // 2) if n >= PARALLEL_MIN_BYTES and _can_fork() else None
    if found is None:
        return scan(buf, keep_depth=3, chunk=chunk, on_progress=on_progress)
    split = found.start(1)
    receiver, sender = multiprocessing.Pipe(duplex=False)
    worker = _fork(_scan_worker, (sender, buf, raw, split, chunk), "trace-scan-worker")
    if worker is None:
        sender.close()
        receiver.close()
        return scan(buf, keep_depth=3, chunk=chunk, on_progress=on_progress)
    sender.close()
    try:
        head = scan(buf[:split], keep_depth=3, chunk=chunk,
                    on_progress=lambda done, _total: on_progress(done, n))
        tail = _receive(receiver, worker, task)
    finally:
        receiver.close()
        if worker.is_alive():
            worker.terminate()
        worker.join()
    whole = join(head, tail, split) if isinstance(tail, Structure) else None
    if whole is None:
        return scan(buf, keep_depth=3, chunk=chunk, on_progress=on_progress)
    on_progress(n, n)
    return whole


def _scan_worker(sender, buf: np.ndarray, raw, split: int, chunk: int) -> None:
    """In the forked worker: scan ``buf[split:]`` from depth 3 and send the Structure back."""
    gc.disable()
    try:
        try:
            tail = scan(buf[split:], keep_depth=3, chunk=chunk, start_depth=3,
                        on_progress=lambda done, _n: _release(raw, split + max(0, done - chunk), split + done))
        except Exception:  # noqa: BLE001 - the parent then scans this part itself
            tail = None
        sender.send_bytes(pickle.dumps(tail, protocol=pickle.HIGHEST_PROTOCOL))
    except (EOFError, OSError):
        pass
    finally:
        sender.close()


def _event_batches(uid: str, raw, P, C, D, i: int, j: int | None, limit: int) -> list[tuple]:
    """Batches ``(uid, first event index, starts, ends)`` of the events in the history array whose
    ``[`` is token ``i`` and ``]`` token ``j`` (None: cut at ``limit``)."""
    start = int(P[i]) + 1
    end = int(P[j]) if j is not None else limit
    hi = j if j is not None else P.size
    inner = np.arange(i + 1, hi)
    commas = inner[(C[i + 1:hi] == ord(",")) & (D[i + 1:hi] == 3)]
    starts = np.concatenate(([start], P[commas] + 1)).astype(np.int64)
    ends = np.concatenate((P[commas], [end])).astype(np.int64)
    if commas.size == 0 and not bytes(raw[start:end]).strip():
        return []
    return [(uid, b0, starts[b0:b0 + BATCH_EVENTS], ends[b0:b0 + BATCH_EVENTS])
            for b0 in range(0, starts.size, BATCH_EVENTS)]


def _stream_job(file: str, raw, job: tuple, state: _ImportState, total: int) -> None:
    """One job of ``_stream_json`` in this process."""
    if len(job) == 2:
        state.events(file, job[0], job[1])
        return
    _build_batch(file, raw, job, state.builder)
    if len(state.builder) >= BATCH_EVENTS:
        state.flush()
    if state.task is not None:
        state.task.check()
        state.task.progress(total + int(job[3][-1]), 2 * total, f"reading events of {job[0]}")


def _build_batch(file: str, raw, job: tuple, builder: build.EventBuilder) -> None:
    """Parse one batch of events (one by one when the batch does not parse, so that a bad event is
    named and skipped) and add them to ``builder``."""
    uid, b0, starts, ends = job
    s, e = int(starts[0]), int(ends[-1])
    items: list | None
    try:
        items = orjson.loads(b"[" + raw[s:e] + b"]")
        if not isinstance(items, list) or len(items) != len(starts):
            items = None
    except orjson.JSONDecodeError:
        items = None
    if items is None:
        for k in range(len(starts)):
            piece = raw[int(starts[k]):int(ends[k])]
            try:
                ev = orjson.loads(piece)
            except orjson.JSONDecodeError as exc:
                what = "an empty element" if not piece.strip() else _short(exc)
                builder.issues.add(TraceIssue(file, uid, b0 + k, "", "a valid JSON event object",
                                              f"{what}; event skipped"))
                continue
            builder.add(file, uid, b0 + k, ev)
    else:
        builder.add_list(file, uid, items, b0)
    del items
    _release(raw, s, e)


def _stream_two_processes(file: str, raw, jobs: list[tuple], state: _ImportState, total: int,
                          events: int) -> None:
    """Run the jobs of ``_stream_json`` in two processes: a forked worker builds the events of the
    last ``STREAM_WORKER_SHARE`` of them, writes each ``BATCH_EVENTS`` rows as columns to a spool
    file (an unlinked temporary file: a pipe would make it wait for us) and says where, while this
    process builds the first part and makes frames of the worker's columns in between. The table
    is the same as with one process; the worker's warnings come after ours. When the worker fails,
    this process does its part."""
    cut, mine = 0, 0
    while cut < len(jobs) and mine < events * (1.0 - STREAM_WORKER_SHARE):
        if len(jobs[cut]) == 4:
            mine += len(jobs[cut][2])
        cut += 1
    theirs = jobs[cut:]
    if not theirs:
        for job in jobs:
            _stream_job(file, raw, job, state, total)
        return
    try:
        spool = tempfile.TemporaryFile(prefix="workbench-import-")
    except OSError:
        spool = None
    receiver, sender = multiprocessing.Pipe(duplex=False)
    worker = _fork(_stream_worker, (sender, file, raw, theirs, spool)) if spool is not None else None
    if worker is None:
        sender.close()
        receiver.close()
        if spool is not None:
            spool.close()
        for job in jobs:
            _stream_job(file, raw, job, state, total)
        return
    sender.close()
    theirs_log = IssueLog(state.issues.cap)
    their_frames: list[pl.DataFrame] = []
    outcome: list[tuple] = []

    def read_mail(wait: bool) -> None:
        while not outcome:
            if not receiver.poll(0.05 if wait else 0):
                if not wait:
                    return
                if state.task is not None:
                    state.task.check()
                if not worker.is_alive() and not receiver.poll(0):
                    outcome.append(("F",))
                continue
            try:
                note = receiver.recv()
            except (EOFError, OSError, pickle.UnpicklingError):
                outcome.append(("F",))
                return
            if note[0] != "R":
                outcome.append(note)
                return
            _, at, size, end = note
            try:
                columns, items, counts = pickle.loads(_read_at(spool, at, size))
            except (OSError, EOFError, pickle.UnpicklingError, ValueError):
                outcome.append(("F",))  # the spool let us down: do the worker's part here
                return
            _merge_issues(theirs_log, items, counts)
            if columns and len(columns[0]):
                their_frames.append(build.columns_frame(columns, theirs_log, state.file_of_user))
            del columns
            if state.task is not None:
                state.task.progress(total + end, 2 * total, "reading events")

    try:
        for job in jobs[:cut]:
            _stream_job(file, raw, job, state, total)
            read_mail(wait=False)
        state.flush()
        read_mail(wait=True)
    finally:
        receiver.close()
        if worker.is_alive():
            worker.terminate()
        worker.join()
        spool.close()
    if outcome[0][0] == "E":
        raise TraceError(TraceIssue.from_dict(outcome[0][1]))
    if outcome[0][0] != "D":  # the worker died or failed: do its part here
        for job in theirs:
            _stream_job(file, raw, job, state, total)
        return
    state.frames.extend(their_frames)
    _merge_issues(state.issues, theirs_log._items, theirs_log._counts)


def _read_at(spool, at: int, size: int) -> bytes:
    out = os.pread(spool.fileno(), size, at)
    while len(out) < size:
        more = os.pread(spool.fileno(), size - len(out), at + len(out))
        if not more:
            raise OSError(f"spool file ends at {at + len(out)}, {size - len(out)} bytes short")
        out += more
    return out


def _stream_worker(sender, file: str, raw, jobs: list[tuple], spool) -> None:
    """In the forked worker: build ``jobs``; every ``BATCH_EVENTS`` rows, write (columns, issues,
    issue counts) pickled to ``spool`` and send ``("R", offset, size, end byte)``; at the end send
    ``("D",)`` (done), ``("E", issue)`` (a TraceError) or ``("F",)`` (failed: the parent then does
    it all)."""
    gc.disable()  # a collection would touch (and so copy) every object shared with the parent
    at = 0

    def post(builder: build.EventBuilder, log: IssueLog, end: int) -> None:
        nonlocal at
        data = memoryview(_pack((builder.columns(), log._items, log._counts)))
        done = 0
        while done < len(data):
            done += os.pwrite(spool.fileno(), data[done:], at + done)
        sender.send(("R", at, len(data), end))
        at += len(data)

    try:
        log = IssueLog()
        builder = build.EventBuilder(log)
        end = 0
        try:
            for job in jobs:
                if len(job) == 2:
                    uid, history = job
                    if isinstance(history, list):
                        builder.add_list(file, uid, history)
                    else:
                        log.add(_not_a_history(file, uid, history))
                else:
                    _build_batch(file, raw, job, builder)
                    end = int(job[3][-1])
                if len(builder) >= BATCH_EVENTS:
                    post(builder, log, end)
                    log = IssueLog()
                    builder = build.EventBuilder(log)
            post(builder, log, end)
            sender.send(("D",))
        except TraceError as exc:
            sender.send(("E", exc.issue.to_dict()))
        except Exception:  # noqa: BLE001 - reported; the parent then builds this part itself
            sender.send(("F",))
    except (EOFError, OSError):
        pass  # the parent went away or gave up on us
    finally:
        sender.close()


def _is_open(chars: np.ndarray) -> np.ndarray:
    return (chars == ord("{")) | (chars == ord("["))


def _first_byte(buf: np.ndarray) -> int:
    for off in range(0, buf.size, 1 << 16):
        part = buf[off:off + (1 << 16)]
        nz = np.flatnonzero(~np.isin(part, (32, 9, 10, 13)))
        if nz.size:
            b = int(part[nz[0]])
            if off == 0 and nz[0] == 0 and bytes(buf[:3]) == _BOM:
                return _first_byte(buf[3:])
            return b
    return -1


def _incomplete_message(st) -> str:
    if st.first_negative >= 0:
        return f"unbalanced closing bracket at byte {st.first_negative}"
    if st.ends_in_string:
        return "the file is truncated inside a string"
    return f"the file is truncated ({st.final_depth} brackets left open)"


# -- JSONL ------------------------------------------------------------------------------------------


def _read_jsonl(f: Path, state: _ImportState) -> None:
    file = str(f)
    with open(f, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if lineno == 1 and line.startswith(_BOM):
                line = line[3:]
            if not line.strip():
                continue
            if state.task is not None:
                state.task.check()
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                state.issues.add(TraceIssue(f"{file}:{lineno}", expected="one JSON object {user_id: {...}} per line",
                                            message=f"{_short(exc)}; line skipped"))
                continue
            if not isinstance(doc, dict):
                state.issues.add(TraceIssue(f"{file}:{lineno}", expected="one JSON object {user_id: {...}} per line",
                                            message=f"found {build._kind(doc)}; line skipped"))
                continue
            for uid, record in doc.items():
                u = state.user(file, uid, record)
                if u is not None:
                    state.events(file, u, record.get("action_history"))


# -- Parquet writing and the user table -------------------------------------------------------------


def _write_canonical(events: pl.DataFrame, users: pl.DataFrame, warnings: list[TraceIssue],
                     out: Path, source: Path) -> None:
    root = Path(source)
    users_meta = [{"user_id": u, "profile": p, "source": _relative(root, s)}
                  for u, p, s in users.select("user_id", "profile", "source").iter_rows()]
    meta = {
        _META_USERS: orjson.dumps(users_meta).decode(),
        _META_WARNINGS: orjson.dumps([w.to_dict() for w in warnings]).decode(),
        _META_VERSION: cache.CACHE_VERSION,
    }
    # a cache can be rebuilt from its source: atomic, but no fsync
    fileio.atomic_write(out, lambda tmp: events.select(list(schema.EVENT_SCHEMA)).write_parquet(
        tmp, compression="lz4", row_group_size=ROW_GROUP, statistics=True, metadata=meta), fsync=False)


def _user_table(events: pl.DataFrame, users: list[tuple[str, str, str]]) -> pl.DataFrame:
    base = pl.DataFrame({"user_id": [u[0] for u in users], "profile": [u[1] for u in users],
                         "source": [u[2] for u in users]},
                        schema={"user_id": pl.String, "profile": pl.String, "source": pl.String})
    stats = events.group_by("user_id").agg(
        pl.len().cast(pl.Int64).alias("event_count"),
        pl.col("ts").min().alias("first_ts"), pl.col("ts").max().alias("last_ts"))
    table = base.join(stats, on="user_id", how="left", maintain_order="left").with_columns(
        pl.col("event_count").fill_null(0))
    return table.select([pl.col(c).cast(t) for c, t in schema.USER_SCHEMA.items()])


def _relative(root: Path, path: str) -> str:
    if not path:
        return ""
    p = Path(path)
    if root.is_dir():
        try:
            return str(p.relative_to(root))
        except ValueError:
            return str(p)
    return "" if p == root else str(p)


def _resolve(root: Path, rel: str) -> str:
    if not rel:
        return str(root)
    p = Path(rel)
    return str(p if p.is_absolute() else root / p)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
