"""Columnar cache of imported traces. Layer: traces (pure; no Qt).

The first open of a JSON/JSONL source writes its canonical table to Parquet under
``paths.cache_dir()/traces/``, named by a content hash of the source (SHA-256 over the bytes; for a
folder over the file names and contents). A small index maps the source's cheap signature (path,
size, mtime of every file) to that hash, so later opens skip hashing a multi-GB file. Writes are
atomic (temp file, then rename).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from workbench import fileio, paths

#: Bumped whenever the canonical table or the importer's derivations change.
CACHE_VERSION = "4"
_HASH_CHUNK = 8 * 1024 * 1024


def cache_root() -> Path:
    root = paths.cache_dir() / "traces"
    root.mkdir(parents=True, exist_ok=True)
    return root


def signature(source: Path, files: list[Path]) -> str:
    parts = [str(source.resolve()), CACHE_VERSION]
    for f in files:
        st = f.stat()
        parts.append(f"{f.name}|{st.st_size}|{st.st_mtime_ns}")
    return "\n".join(parts)


def content_hash(source: Path, files: list[Path]) -> str:
    h = hashlib.sha256()  # hardware-accelerated (SHA-NI): about twice as fast as blake2b here
    folder = source.is_dir()
    for f in files:
        if folder:
            name = f.name.encode("utf-8", "surrogateescape")
            h.update(len(name).to_bytes(8, "little") + name)
            h.update(f.stat().st_size.to_bytes(8, "little"))
        with open(f, "rb") as fh:
            while chunk := fh.read(_HASH_CHUNK):
                h.update(chunk)
    return h.hexdigest()[:40]


def bytes_hash(data) -> str:
    """``content_hash`` of a single-file source whose bytes are already in memory (the same value;
    hashlib releases the GIL on big buffers, so this can run in a thread while the bytes are parsed)."""
    return hashlib.sha256(data).hexdigest()[:40]


def _index_path() -> Path:
    return cache_root() / "index.json"


def _read_index() -> dict[str, str]:
    try:
        data = orjson.loads(_index_path().read_bytes())
        return data if isinstance(data, dict) else {}
    except (OSError, orjson.JSONDecodeError):
        return {}


def lookup_hash(sig: str) -> str | None:
    value = _read_index().get(sig)
    return value if isinstance(value, str) else None


def remember_hash(sig: str, digest: str) -> None:
    index = _read_index()
    index[sig] = digest
    if len(index) > 2000:  # keep the index small: drop the oldest entries
        index = dict(list(index.items())[-1000:])
    fileio.atomic_write_bytes(_index_path(), orjson.dumps(index), fsync=False)


def parquet_path(digest: str) -> Path:
    return cache_root() / f"{digest}-v{CACHE_VERSION}.parquet"
