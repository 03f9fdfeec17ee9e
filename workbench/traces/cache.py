"""Columnar cache of imported traces. Layer: traces (pure; no Qt).

The first open of a JSON/JSONL source writes its canonical table to Parquet under
``paths.cache_dir()/traces/``, named by a content hash of the source (XXH3-128 over the bytes; for a
folder over the file names, sizes and each file's hash). XXH3 reads about 10 GB/s where SHA-256 reads
1 GB/s (a tenth of a cold open's CPU on the release-shaped folder); the hash only tells contents
apart (it guards no secret), and 128 bits make an accidental collision negligible. A small index maps the source's cheap signature to that
hash, so later opens skip hashing a multi-GB file. The signature holds, for every file, its inode,
size, mtime and ctime (an edit that keeps size and mtime still changes the ctime, which no user can
set) and a hash of its first and last 64 KiB, so an edited file is never served stale. Writes are
atomic (temp file, then rename).

An unusable cache folder (read-only, not creatable, full) never stops a load: :func:`usable` says
so once, and the trace is read without the cache (:func:`notices` keeps the message for the
command line).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import orjson
import xxhash

from workbench import fileio, paths
from workbench.traces.importer import display

#: Bumped whenever the canonical table or the importer's derivations change.
CACHE_VERSION = "4"
_HASH_CHUNK = 8 * 1024 * 1024


_SAMPLE = 64 * 1024
_notices: list[str] = []


def cache_root() -> Path:
    """The cache folder (created if needed). Raises OSError when it cannot be."""
    root = paths.cache_dir() / "traces"
    root.mkdir(parents=True, exist_ok=True)
    return root


def usable() -> str | None:
    """None when the cache folder can be created and written, else a one-line reason (remembered
    in :func:`notices` once)."""
    try:
        root = cache_root()
        probe = root / f".probe-{os.getpid()}-{threading.get_ident()}"
        probe.write_bytes(b"")
        probe.unlink()
        return None
    except OSError as exc:
        where = exc.filename if isinstance(exc.filename, str) else "the cache folder"
        reason = (f"the trace cache folder {display(where)} is not usable ({exc.strerror or exc}); "
                  "traces are read without the cache")
        if reason not in _notices:
            _notices.append(reason)
        return reason


def notices() -> list[str]:
    """One-line messages about the cache said so far in this process (for the command line)."""
    return list(_notices)


def signature(source: Path, files: list[Path]) -> str:
    """The cheap identity of a source's current contents (see the module docstring)."""
    parts = [display(source.resolve()), CACHE_VERSION]
    for f in files:
        st = f.stat()
        parts.append(f"{display(f.name)}|{st.st_ino}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}|"
                     f"{_sample_hash(f, st.st_size)}")
    return "\n".join(parts)


def _sample_hash(f: Path, size: int) -> str:
    h = xxhash.xxh3_128()
    with open(f, "rb") as fh:
        h.update(fh.read(_SAMPLE))
        if size > 2 * _SAMPLE:
            fh.seek(size - _SAMPLE)
            h.update(fh.read(_SAMPLE))
    return h.hexdigest()[:16]


def content_hash(source: Path, files: list[Path], task=None) -> str:
    """XXH3-128 (32 hex digits) of the source's bytes (for a folder: of its file names, sizes and
    each file's ``file_hash``, see :func:`folder_hash`); ``task`` (a TaskState) hears of each file of a folder hashed and may cancel. Raises OSError
    when a file cannot be read."""
    if source.is_dir():
        digests = []
        for i, f in enumerate(files):
            if task is not None:
                task.check()
                task.progress(i, len(files), f"checking the cache: {f.name}")
            digests.append(file_hash(f))
        return folder_hash(files, digests)
    return file_hash(files[0])


def file_hash(f: Path) -> str:
    """XXH3-128 (32 hex digits) of a file's bytes: ``bytes_hash`` of them, read in steps. Raises OSError."""
    h = xxhash.xxh3_128()
    with open(f, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def folder_hash(files: list[Path], digests: list[str]) -> str:
    """The content hash of a folder from its files' names, sizes and ``file_hash`` values (the
    workers that parse a folder's files hash them beside: :mod:`workbench.traces.pool`)."""
    h = xxhash.xxh3_128()
    for f, digest in zip(files, digests, strict=True):
        name = f.name.encode("utf-8", "surrogateescape")
        h.update(len(name).to_bytes(8, "little") + name)
        h.update(f.stat().st_size.to_bytes(8, "little"))
        h.update(digest.encode("ascii"))
    return h.hexdigest()


def bytes_hash(data) -> str:
    """``content_hash`` of a single-file source whose bytes are already in memory (the same value;
    xxhash releases the GIL on big buffers, so this can run in a thread while the bytes are parsed)."""
    return xxhash.xxh3_128(data).hexdigest()


def _index_path() -> Path:
    return cache_root() / "index.json"


def _read_index() -> dict[str, str]:
    try:
        data = orjson.loads(_index_path().read_bytes())
        return data if isinstance(data, dict) else {}
    except (OSError, orjson.JSONDecodeError):
        return {}


def lookup_hash(sig: str) -> str | None:
    """The content hash remembered for a signature, or None."""
    value = _read_index().get(sig)
    return value if isinstance(value, str) else None


def seen_source(source: Path) -> bool:
    """Whether the index remembers any version of this source (by its path): its content may then
    be cached already, and is worth hashing before it is imported."""
    head = signature_head(source)
    return any(k.startswith(head) for k in _read_index())


def signature_head(source: Path) -> str:
    """How every ``signature`` of ``source`` begins."""
    return f"{display(source.resolve())}\n{CACHE_VERSION}\n"


def remember_hash(sig: str, digest: str) -> None:
    """Remember ``digest`` for ``sig`` (atomic write). Raises OSError."""
    index = _read_index()
    index[sig] = digest
    if len(index) > 2000:  # keep the index small: drop the oldest entries
        index = dict(list(index.items())[-1000:])
    fileio.atomic_write_bytes(_index_path(), orjson.dumps(index), fsync=False)


def parquet_path(digest: str) -> Path:
    """Where the cached table of that content lives."""
    return cache_root() / f"{digest}-v{CACHE_VERSION}.parquet"
