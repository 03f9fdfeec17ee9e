"""Import OmniBehavior traces into the canonical event table: the entry point, the dispatch
between sources and the columnar cache. Layer: traces (pure; no Qt).

Sources: a JSON file of many users, a folder of per-user JSON (or JSONL) files, a JSONL file (one
``{user_id: {...}}`` object per line), or a Parquet file of the canonical table
(:mod:`workbench.traces.canonical`). Two other formats have their own importers, chosen here: a
folder of OPeRA web-shopping tables (:mod:`workbench.traces.opera`) and a JSONL file of
conversations of real or simulated users (:mod:`workbench.traces.conversations`). English or Chinese scenario names. JSON/JSONL sources are
cached as Parquet (see :mod:`workbench.traces.cache`); the payload columns (``context``/``actions``)
then stay on disk until a user's events are asked for.

How one file is read is :mod:`workbench.traces.whole`'s business: parsed whole with orjson, by two
processes from ``limits.PARALLEL_MIN_BYTES`` on (:mod:`workbench.traces.forked`), or streamed
(:mod:`workbench.traces.stream`) when big or rejected by orjson. Either way the result is the same.
"""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path
from typing import Any, Callable

import polars as pl

from workbench.traces import cache, canonical, forked, importer, limits, pool, schema, whole
from workbench.traces.canonical import read_parquet, write_parquet
from workbench.traces.errors import IssueLog, TraceError, TraceIssue
from workbench.traces.importer import ImportState, short
from workbench.traces.sink import CanonicalSink
from workbench.traces.traceset import TraceSet

__all__ = ["TraceSet", "load_traces", "read_parquet", "write_parquet"]


def load_traces(path: str | os.PathLike, task=None, use_cache: bool = True,
                background_cache_write: bool = True, on_users: pool.UsersCallback | None = None) -> TraceSet:
    """Load a trace source (see the module docstring). Raises :class:`TraceError` when nothing usable
    can be read; otherwise problems are listed in ``TraceSet.warnings``.

    With ``use_cache`` a JSON/JSONL source is read from its Parquet cache when there is one; a first
    import writes the cache as it goes (:mod:`workbench.traces.sink`), so the payload is never all in
    memory. ``events`` never holds the payload columns when a cache is used. ``background_cache_write``
    concerns the sources with their own importers (OPeRA) that write their cache afterwards.

    ``on_users(users, events)``, when given, hears of the users of each file of a folder as soon as
    they are read on a first import (their rows of the user table and their events without payload;
    the returned TraceSet is what counts: a user of a later file that an earlier one already had is
    told of and then skipped)."""
    source = Path(path)
    importer.check_source(source)
    # An import makes millions of objects and frees none in cycles: the cyclic GC would traverse the
    # parsed document again and again (about 20% of the import time); it is off meanwhile.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        ts = _load(source, task, use_cache, background_cache_write, on_users)
        if ts._garbage:
            # freeing millions of parsed objects takes a while (and the GIL): in the background,
            # started last so that it does not slow down the rest of the load
            threading.Thread(target=importer.free_later, args=(ts._garbage,), name="trace-free", daemon=True).start()
            ts._garbage = []
        return ts
    except OSError as exc:
        where = importer.display(exc.filename) if isinstance(exc.filename, str) else importer.display(source)
        raise TraceError(TraceIssue(where, expected="a readable file or folder",
                                    message=exc.strerror or short(exc))) from None
    finally:
        if gc_was_enabled:
            gc.enable()


def _load(source: Path, task, use_cache: bool, background_cache_write: bool,
          on_users: pool.UsersCallback | None = None) -> TraceSet:
    """Read the source (from the cache when it can), again once when a file changed meanwhile
    (also when the import failed: a file that changed while it was read may fail in any way, a big
    one read by position finds itself cut short); TraceError when it changed both times."""
    if source.is_file() and source.suffix.lower() == ".parquet":
        return read_parquet(source)
    other = _other_format(source, task, use_cache, background_cache_write)
    if other is not None:
        return other
    files = _source_files(source)
    if task is not None and len(files) > 1:
        task.progress(0, len(files), f"{len(files)} files")  # the window shows its bar at once
    if not source.is_dir():
        _refuse_unreadable(files[0])
    note = cache.usable() if use_cache else None
    for _attempt in range(2):
        before = importer.snapshot(files)
        try:
            if use_cache and note is None:
                ts, finish = _load_cached(source, files, task, on_users)
            else:
                ts, finish = _import(source, files, task, on_users=on_users), None
        except TraceError:
            changed = _changed(files, before)
            if not changed:
                raise
            continue  # what failed was read while the file changed: read it again
        try:
            changed = _changed(files, before)
        except BaseException:
            if finish is not None:
                finish(False)
            raise
        if not changed:
            break
        if finish is not None:
            finish(False)  # the cache entry written meanwhile is dropped
        ts._garbage = []
    else:
        raise TraceError(TraceIssue(importer.display(changed[0]), expected="a file that stays the same while it is read",
                                    message="it changed while it was read, twice; open it again once it is written"))
    if finish is not None:
        ts = finish(True)
    if note is not None:
        ts.warnings.append(TraceIssue("trace cache", field="cache", message=note))
    return ts


def _changed(files: list[Path], before: list[tuple[int, int, int, int]]) -> list[Path]:
    """The files whose ``importer.snapshot`` (inode, size, mtime, ctime) is no longer ``before``."""
    return [f for f, a, b in zip(files, before, importer.snapshot(files)) if a != b]


def _load_cached(source: Path, files: list[Path], task, on_users=None) -> tuple[TraceSet, Any]:
    """``(traces, finish)``: from the cache (``finish`` None), or imported while the cache entry is
    written (see ``_import_cached``): ``finish(True)`` then completes the entry, ``finish(False)``
    drops it."""
    sig = cache.signature(source, files)
    digest = known = cache.lookup_hash(sig)
    prefetched: dict[Path, list] = {}
    if digest is None and source.is_file() and source.suffix.lower() != ".jsonl" \
            and 0 < source.stat().st_size <= min(limits.FAST_PATH_MAX_BYTES, limits.MAX_FILE_BYTES):
        # an unknown single file parsed whole: hash its bytes in a thread while orjson parses them
        # (when the hash then names an existing cache entry, the parse is wasted; that is rare)
        prefetched[source] = _prefetch(source)
        pending = prefetched[source].pop()
        if callable(pending):
            # a big file parsed on both cores: the hash runs beside the parse and is looked at
            # afterwards; a copy of an already cached file then costs one parse (rare)
            return _import_cached(source, files, task, prefetched, pending, sig)
        digest = pending
    if digest is None and source.is_dir() and not cache.seen_source(source) and pool.usable(files):
        # a folder never opened before: its files are hashed by the workers that parse them (when
        # the hash then names an existing entry, a copy of a cached folder, the import is wasted)
        digests: list[str] = []
        return _import_cached(source, files, task, prefetched, lambda: cache.folder_hash(files, digests), sig,
                              on_users, digests)
    if digest is None:
        digest = cache.content_hash(source, files, task)
    target = cache.parquet_path(digest)
    if target.exists():
        try:
            prefetched.clear()
            ts = read_parquet(target, source=source)
            if known is None:
                try:
                    cache.remember_hash(sig, digest)
                except OSError:
                    pass  # the index could not be written: the next open hashes the file again
            return ts, None
        except (TraceError, OSError, pl.exceptions.PolarsError):
            pass  # a damaged cache entry: rebuild it
    known_digest = digest
    return _import_cached(source, files, task, prefetched, lambda: known_digest, sig, on_users)


def _refuse_unreadable(f: Path) -> None:
    """TraceError at once for a single-file source that is empty or not JSON (judged from its
    first bytes: a file of NUL bytes is refused without reading it all)."""
    problem = _not_json(f)
    if problem is not None:
        raise TraceError(problem)


def _not_json(f: Path) -> TraceIssue | None:
    """Why ``f`` cannot be a JSON/JSONL trace judged from its first significant byte, or None."""
    expected = ("one JSON object {user_id: {...}} per line" if f.suffix.lower() == ".jsonl"
                else "a JSON object {user_id: {user_profile, action_history}}")
    found = importer.first_byte(f)
    if found is None:
        return TraceIssue(importer.display(f), expected=expected, message="the file is empty")
    byte, offset = found
    if byte != ord("{"):
        return TraceIssue(importer.display(f), expected=expected,
                          message=f"the file starts with {importer.describe_byte(byte)} at byte {offset}; "
                                  "not read")
    return None


def _other_format(source: Path, task, use_cache: bool, background_cache_write: bool) -> TraceSet | None:
    """An OPeRA folder or a conversation JSONL file, read by its own importer; None otherwise."""
    if source.is_dir():
        from workbench.traces.opera_tables import looks_like_opera

        if looks_like_opera(source):
            from workbench.traces.opera import load_opera

            return load_opera(source, task, use_cache, background_cache_write)
    elif source.suffix.lower() == ".jsonl":
        from workbench.traces.conversations import (
            load_conversations,
            looks_like_conversations,
        )

        if looks_like_conversations(source):
            return load_conversations(source)
    return None


def _import_cached(source: Path, files: list[Path], task, prefetched: dict[Path, list],
                   digest: Callable[[], str], sig: str, on_users: pool.UsersCallback | None = None,
                   digests: list[str] | None = None) -> tuple[TraceSet, Callable[[bool], TraceSet]]:
    """Import the source while its canonical table (payload included) is written to a temporary
    cache file, so that only the columns without payload stay in memory; returns the traces and
    ``finish(keep)``: with ``keep`` the entry named by ``digest()`` is completed (an entry that
    already exists for this content, a copy of a cached file, is simply written again: atomic,
    identical, never a damaged entry trusted); without, the temporary file is removed. When the
    entry cannot be written, ``finish`` imports the source again with its payload kept in memory
    and a warning."""
    sink = CanonicalSink(cache.cache_root())
    try:
        try:
            ts = _import(source, files, task, prefetched, sink, on_users, digests, restartable=not source.is_dir())
        except importer.ReadAgainError:  # a file read in one pass needs two after all: again, with a new sink
            sink.abort()
            sink = CanonicalSink(cache.cache_root())
            ts = _import(source, files, task, prefetched, sink, on_users, digests)
    except BaseException:
        sink.abort()
        raise

    def finish(keep: bool) -> TraceSet:
        if not keep:
            sink.abort()
            return ts
        try:
            name = digest()
            target = cache.parquet_path(name)
            sink.commit(target, canonical.metadata(ts.users, ts.warnings, ts.source))
        except Exception as exc:  # noqa: BLE001 - a failed cache write must never lose the loaded data
            again = _import(source, files, task)
            again.warnings.append(TraceIssue("trace cache", field="cache",
                                             message=f"could not write the cache: {short(exc)}"))
            return again
        ts.parquet = target
        try:
            cache.remember_hash(sig, name)
        except OSError as exc:  # the entry is whole; the next open hashes the source again to find it
            ts.warnings.append(TraceIssue("trace cache", field="cache",
                                          message=f"could not write the cache index: {short(exc)}"))
        return ts

    return ts, finish


def _prefetch(f: Path) -> list:
    """``[bytes (a bytearray), parsed document or _UNPARSED, content hash]`` of a file, hashed in a
    thread while the bytes are parsed."""
    data = importer.read_file(f)
    if whole.many_users(data) or (len(data) >= limits.PARALLEL_MIN_BYTES and forked.can_fork()):
        # parsed later a slice of users at a time (whole.read_json) or in two halves (forked.read_split)
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
        doc = importer.parse_whole(data)
    finally:
        hasher.join()
    return [data, doc, out[0] if out else cache.bytes_hash(data)]


def _source_files(source: Path) -> list[Path]:
    if source.is_dir():
        files = sorted(p for p in source.iterdir()
                       if p.is_file() and p.suffix.lower() in (".json", ".jsonl") and not p.name.startswith("."))
        if not files:
            raise TraceError(TraceIssue(importer.display(source), expected="a folder of OmniBehavior .json files",
                                        message="no .json or .jsonl file in it"))
        return files
    return [source]


def _import(source: Path, files: list[Path], task, prefetched: dict[Path, list] | None = None,
            sink: CanonicalSink | None = None, on_users: pool.UsersCallback | None = None,
            digests: list[str] | None = None, restartable: bool = False) -> TraceSet:
    """Import ``files`` (the folder's by worker processes when worthwhile: :mod:`workbench.traces.pool`);
    ``on_users`` hears of each file's users as soon as they are read; ``digests``, when given, is
    filled with each file's content hash (``cache.file_hash``) (the pool hashes beside the parse).
    ``restartable``: the caller imports again with a new sink on :class:`importer.ReadAgainError`."""
    issues = IssueLog()
    state = ImportState(issues, task)
    state.sink = sink
    state.restartable = restartable

    def read_here(i: int, f: Path) -> None:
        if on_users is None:
            _read_one(f, state, files, prefetched)
            return
        state.flush()  # the file's rows then start a frame of their own
        users, frames = len(state.users), len(state.frames)
        _read_one(f, state, files, prefetched)
        if len(state.users) > users:
            _tell_users(state, users, frames, on_users)

    if pool.usable(files):
        hashes = pool.read_folder(files, state, read_here, digests is not None, on_users)
        if digests is not None:
            digests.extend(hashes)
    else:
        for i, f in enumerate(files):
            if task is not None:
                task.check()
                if len(files) > 1:
                    task.progress(i, len(files), f"reading {f.name} ({i + 1} of {len(files)})")
            read_here(i, f)
            if digests is not None:
                digests.append(cache.file_hash(f))
    events = state.finish()
    if not state.users:
        found = issues.issues()
        if found:
            raise TraceError(found[0])
        raise TraceError(TraceIssue(importer.display(source), expected="at least one user", message="no users found"))
    users = canonical.user_table(events, state.users)
    ts = TraceSet(events, users, issues.issues(), source)
    ts._garbage, state.garbage = state.garbage, []  # freed by load_traces once it is done
    return ts


def _read_one(f: Path, state: ImportState, files: list[Path], prefetched: dict[Path, list] | None) -> None:
    """Import one file of ``files`` into ``state`` by the ordinary path (a problem that spoils only
    this file of several is a warning)."""
    size = f.stat().st_size
    if size > limits.MAX_FILE_BYTES:
        raise TraceError(TraceIssue(importer.display(f), expected=f"a file of at most {limits.MAX_FILE_BYTES / 1e9:.0f} GB",
                                    message=f"file has {size / 1e9:.1f} GB"))
    err = _not_json(f)
    if err is not None:
        if len(files) == 1:
            raise TraceError(err)
        state.issues.add(err)
        return
    if f.suffix.lower() == ".jsonl":
        whole.read_jsonl(f, state)
    else:
        whole.read_json(f, size, state, (prefetched or {}).pop(f, None))
    if state.garbage and f is not files[-1]:
        # a big file's parsed document: freed while the next files are read, not kept until the end
        threading.Thread(target=importer.free_later, args=(state.garbage,), name="trace-free",
                         daemon=True).start()
        state.garbage = []


def _tell_users(state: ImportState, first: int, frames: int, on_users: pool.UsersCallback) -> None:
    """``on_users`` of the users ``state.users[first:]`` just read, whose rows are in
    ``state.frames[frames:]`` once the builder is flushed."""
    state.flush()
    users = state.users[first:]
    parts = [f.drop([c for c in schema.PAYLOAD_COLUMNS if c in f.columns]) for f in state.frames[frames:]]
    events = pl.concat(parts) if parts else schema.empty_events().drop(list(schema.PAYLOAD_COLUMNS))
    on_users(canonical.user_table(events, users), events)


