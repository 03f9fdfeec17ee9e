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
from typing import Any

import polars as pl

from workbench.traces import cache, canonical, forked, importer, limits, schema, whole
from workbench.traces.canonical import read_parquet, write_parquet
from workbench.traces.errors import IssueLog, TraceError, TraceIssue
from workbench.traces.importer import ImportState, short
from workbench.traces.traceset import TraceSet

__all__ = ["TraceSet", "load_traces", "read_parquet", "write_parquet"]


def load_traces(path: str | os.PathLike, task=None, use_cache: bool = True,
                background_cache_write: bool = True) -> TraceSet:
    """Load a trace source (see the module docstring). Raises :class:`TraceError` when nothing usable
    can be read; otherwise problems are listed in ``TraceSet.warnings``.

    With ``use_cache`` a JSON/JSONL source is read from its Parquet cache when there is one; after a
    first import the cache is written in a background thread (``TraceSet.wait_cache``); meanwhile
    the payload stays in memory. ``events`` never holds the payload columns when a cache is used."""
    source = Path(path)
    importer.check_source(source)
    # An import makes millions of objects and frees none in cycles: the cyclic GC would traverse the
    # parsed document again and again (about 20% of the import time); it is off meanwhile.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        ts = _load(source, task, use_cache, background_cache_write)
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


def _load(source: Path, task, use_cache: bool, background_cache_write: bool) -> TraceSet:
    """Read the source (from the cache when it can), again once when a file changed meanwhile;
    TraceError when it changed both times."""
    if source.is_file() and source.suffix.lower() == ".parquet":
        return read_parquet(source)
    other = _other_format(source, task, use_cache, background_cache_write)
    if other is not None:
        return other
    files = _source_files(source)
    if not source.is_dir():
        _refuse_unreadable(files[0])
    note = cache.usable() if use_cache else None
    for _attempt in range(2):
        before = importer.snapshot(files)
        if use_cache and note is None:
            ts, finish = _load_cached(source, files, task)
        else:
            ts, finish = _import(source, files, task), None
        changed = [f for f, a, b in zip(files, before, importer.snapshot(files)) if a != b]
        if not changed:
            break
        ts._garbage = []
    else:
        raise TraceError(TraceIssue(importer.display(changed[0]), expected="a file that stays the same while it is read",
                                    message="it changed while it was read, twice; open it again once it is written"))
    if finish is not None:
        ts = finish(background_cache_write)
    if note is not None:
        ts.warnings.append(TraceIssue("trace cache", field="cache", message=note))
    return ts


def _load_cached(source: Path, files: list[Path], task) -> tuple[TraceSet, Any]:
    """``(traces, finish)``: from the cache (``finish`` None), or imported, ``finish(background)``
    then keeps the payload and writes the cache entry."""
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
            ts = _import(source, files, task, prefetched)
            return ts, lambda background: _cache_imported(ts, pending(), sig, background)
        digest = pending
    if digest is None:
        digest = cache.content_hash(source, files)
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
    ts = _import(source, files, task, prefetched)
    return ts, lambda background: _cache_imported(ts, digest, sig, background)


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


def _write_cache(ts: TraceSet, full: pl.DataFrame, target: Path, sig: str, digest: str) -> None:
    try:
        canonical.write_canonical(full, ts.users, ts.warnings, target, ts.source)
        cache.remember_hash(sig, digest)
    except Exception as exc:  # noqa: BLE001 - a failed cache write must never lose the loaded data
        ts.warnings.append(TraceIssue(str(target), message=f"could not write the cache: {short(exc)}"))
        return
    ts.parquet = target
    ts._full = None


def _source_files(source: Path) -> list[Path]:
    if source.is_dir():
        files = sorted(p for p in source.iterdir()
                       if p.is_file() and p.suffix.lower() in (".json", ".jsonl") and not p.name.startswith("."))
        if not files:
            raise TraceError(TraceIssue(importer.display(source), expected="a folder of OmniBehavior .json files",
                                        message="no .json or .jsonl file in it"))
        return files
    return [source]


def _import(source: Path, files: list[Path], task, prefetched: dict[Path, list] | None = None) -> TraceSet:
    issues = IssueLog()
    state = ImportState(issues, task)
    for f in files:
        if task is not None:
            task.check()
        size = f.stat().st_size
        if size > limits.MAX_FILE_BYTES:
            raise TraceError(TraceIssue(importer.display(f), expected=f"a file of at most {limits.MAX_FILE_BYTES / 1e9:.0f} GB",
                                        message=f"file has {size / 1e9:.1f} GB"))
        err = _not_json(f)
        if err is not None:
            if len(files) == 1:
                raise TraceError(err)
            issues.add(err)
            continue
        if f.suffix.lower() == ".jsonl":
            whole.read_jsonl(f, state)
        else:
            whole.read_json(f, size, state, (prefetched or {}).pop(f, None))
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


