"""Import OmniBehavior traces into the canonical event table. Layer: traces (pure; no Qt).

Sources: a JSON file of many users, a folder of per-user JSON (or JSONL) files, a JSONL file (one
``{user_id: {...}}`` object per line), or a Parquet file of the canonical table. English or Chinese
scenario names. JSON/JSONL sources are cached as Parquet (see :mod:`workbench.traces.cache`); the
payload columns (``context``/``actions``) then stay on disk until a user's events are asked for.

Ordinary files are parsed whole with orjson (fastest); big ones (and any file orjson rejects) go
through a streaming path: a structural scan (:mod:`workbench.traces.scan`) finds each user's
``action_history`` array and the event boundaries, and events are parsed in batches, so memory stays
bounded, a bad event is named precisely and skipped, and a truncated file yields what is complete.
"""

from __future__ import annotations

import mmap
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl

from workbench.traces import build, cache, schema
from workbench.traces.errors import IssueLog, TraceError, TraceIssue
from workbench.traces.scan import key_before, scan

#: Files larger than this are refused.
MAX_FILE_BYTES = 32 * 1024 ** 3
#: Files up to this size are parsed whole (faster); larger ones are streamed.
FAST_PATH_MAX_BYTES = 256 * 1024 * 1024
#: Events parsed per batch on the streaming path.
BATCH_EVENTS = 20_000
#: A single JSON string longer than this (bytes) is refused.
MAX_STRING_BYTES = 64 * 1024 * 1024
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
    try:
        return _load(source, task, use_cache, background_cache_write)
    except OSError as exc:
        where = exc.filename if isinstance(exc.filename, str) else str(source)
        raise TraceError(TraceIssue(where, expected="a readable file or folder",
                                    message=exc.strerror or _short(exc))) from None


def _load(source: Path, task, use_cache: bool, background_cache_write: bool) -> TraceSet:
    if source.is_file() and source.suffix.lower() == ".parquet":
        return read_parquet(source)
    files = _source_files(source)
    if not use_cache:
        return _import(source, files, task)
    sig = cache.signature(source, files)
    digest = known = cache.lookup_hash(sig)
    if digest is None:
        digest = cache.content_hash(source, files)
    target = cache.parquet_path(digest)
    if target.exists():
        try:
            ts = read_parquet(target, source=source)
            if known is None:
                cache.remember_hash(sig, digest)
            return ts
        except (TraceError, OSError, pl.exceptions.PolarsError):
            pass  # a damaged cache entry: rebuild it
    ts = _import(source, files, task)
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


def _import(source: Path, files: list[Path], task) -> TraceSet:
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
            _read_json(f, size, state)
    events = state.finish()
    if not state.users:
        found = issues.issues()
        if found:
            raise TraceError(found[0])
        raise TraceError(TraceIssue(str(source), expected="at least one user", message="no users found"))
    users = _user_table(events, state.users)
    return TraceSet(events, users, issues.issues(), source)


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

    def events(self, file: str, uid: str, history: Any) -> None:
        if not isinstance(history, list):
            self.issues.add(TraceIssue(file, uid, None, "action_history", "a list of events",
                                       f"found {build._kind(history)}; user kept with no events"))
            return
        n = len(history)
        for s in range(0, n, BATCH_EVENTS):
            e = min(n, s + BATCH_EVENTS)
            self.builder.add_list(file, uid, history[s:e], s)
            for i in range(s, e):  # free the parsed events now: their memory is reused at once
                history[i] = None
            if len(self.builder) >= BATCH_EVENTS:
                self.flush()
            if self.task is not None:
                self.task.check()
                self.task.progress(e, n, f"reading the events of {uid}")


# -- JSON -------------------------------------------------------------------------------------------


def _read_json(f: Path, size: int, state: _ImportState) -> None:
    file = str(f)
    if size <= FAST_PATH_MAX_BYTES:
        data = f.read_bytes()
        try:
            doc = orjson.loads(memoryview(data)[3:] if data.startswith(_BOM) else data)
        except orjson.JSONDecodeError:
            _stream_json(f, np.frombuffer(data, np.uint8), data, state)
            return
        if not isinstance(doc, dict):
            raise TraceError(TraceIssue(file, expected="a JSON object {user_id: {user_profile, action_history}}",
                                        message=f"found {build._kind(doc)}"))
        del data
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
    st = scan(buf, keep_depth=3, chunk=scan_chunk, on_progress=scan_progress)
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
    for uid, record in doc.items():
        u = state.user(file, uid, record)
        if u is None:
            continue
        history = record.get("action_history")
        if isinstance(history, dict) and set(history) == {_SLICE_KEY}:
            i, j = arrays[history[_SLICE_KEY]]
            _stream_events(file, u, raw, P, C, D, i, j, limit, state, total)
        else:
            state.events(file, u, history)


def _stream_events(file: str, uid: str, raw, P, C, D, i: int, j: int | None, limit: int,
                   state: _ImportState, total: int) -> None:
    start = int(P[i]) + 1
    end = int(P[j]) if j is not None else limit
    hi = j if j is not None else P.size
    inner = np.arange(i + 1, hi)
    commas = inner[(C[i + 1:hi] == ord(",")) & (D[i + 1:hi] == 3)]
    starts = np.concatenate(([start], P[commas] + 1)).astype(np.int64)
    ends = np.concatenate((P[commas], [end])).astype(np.int64)
    if commas.size == 0 and not bytes(raw[start:end]).strip():
        return
    n = starts.size
    for b0 in range(0, n, BATCH_EVENTS):
        b1 = min(n, b0 + BATCH_EVENTS)
        s, e = int(starts[b0]), int(ends[b1 - 1])
        chunk = raw[s:e]
        items: list | None
        try:
            items = orjson.loads(b"[" + chunk + b"]")
            if not isinstance(items, list) or len(items) != b1 - b0:
                items = None
        except orjson.JSONDecodeError:
            items = None
        if items is None:
            for k in range(b0, b1):
                piece = raw[int(starts[k]):int(ends[k])]
                try:
                    ev = orjson.loads(piece)
                except orjson.JSONDecodeError as exc:
                    what = "an empty element" if not piece.strip() else _short(exc)
                    state.issues.add(TraceIssue(file, uid, k, "", "a valid JSON event object",
                                                f"{what}; event skipped"))
                    continue
                state.builder.add(file, uid, k, ev)
        else:
            state.builder.add_list(file, uid, items, b0)
        del chunk, items
        if len(state.builder) >= BATCH_EVENTS:
            state.flush()
        _release(raw, s, e)
        if state.task is not None:
            state.task.check()
            state.task.progress(total + e, 2 * total, f"reading events of {uid}")


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
    tmp = cache.temp_path_for(out)
    try:
        events.select(list(schema.EVENT_SCHEMA)).write_parquet(
            tmp, compression="lz4", row_group_size=ROW_GROUP, statistics=True, metadata=meta)
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


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
