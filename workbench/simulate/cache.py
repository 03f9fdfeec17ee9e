"""LLM response cache in SQLite. Layer: simulate (pure; no Qt).

Key = sha256 over (model spec ``cache_params()``, the effective endpoint when it does not come from
the spec, prompt hash, question field, kind): a repeated question costs nothing and works offline,
and answers of one server are never served as another's. Stored: the parsed prediction fields, raw
output, tokens and cost of the original call (never the API key: ``cache_params`` has none). Only
successful answers are stored. One connection guarded by a lock (asyncio code calls it from the
loop thread; worker threads may call it too); WAL journal.

The cache is optional: when its file cannot be opened, read or written (read-only folder, full disk,
a damaged file) it switches itself off, ``problem`` says why in one line (``on_problem`` is called
once with it), and every later ``get`` misses and ``put`` does nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Callable

from workbench.simulate.types import ModelSpec, Prediction

log = logging.getLogger(__name__)

CACHE_FILE = "llm_responses.sqlite"


def cache_key(spec: ModelSpec, prompt_hash: str, field: str, kind: str) -> str:
    """The cache key of one question of one model (hex sha256)."""
    from workbench.simulate.endpoints import endpoint_from_environment

    payload: dict[str, Any] = {"spec": spec.cache_params(), "prompt": prompt_hash, "field": field, "kind": kind}
    endpoint = endpoint_from_environment(spec)
    if endpoint is not None:
        payload["endpoint"] = endpoint
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResponseCache:
    """The SQLite response cache at ``path`` (default: the user's cache folder). Never raises for a
    file problem: see the module docstring."""

    def __init__(self, path: str | Path | None = None, *,
                 on_problem: Callable[[str], None] | None = None) -> None:
        self.problem: str | None = None
        self.on_problem = on_problem
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        unusable: OSError | None = None
        if path is None:
            from workbench.paths import cache_dir

            try:
                path = cache_dir() / CACHE_FILE
            except OSError as exc:            # the cache folder cannot even be created
                path = Path(exc.filename or "cache") / CACHE_FILE
                unusable = exc
        self.path = Path(path)
        if unusable is not None:
            self._give_up(unusable)
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=10)
            self._conn = conn
            with self._lock:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("""CREATE TABLE IF NOT EXISTS responses (
                    key TEXT PRIMARY KEY, model TEXT NOT NULL, field TEXT NOT NULL, kind TEXT NOT NULL,
                    prediction TEXT NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER,
                    cost REAL, created REAL NOT NULL)""")
                conn.commit()
        except (sqlite3.Error, OSError) as exc:
            self._give_up(exc)

    @property
    def usable(self) -> bool:
        """False once the cache has switched itself off."""
        return self._conn is not None

    def _give_up(self, exc: BaseException) -> None:
        """Switch the cache off after a file problem; report it once."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        if self.problem is not None:
            return
        self.problem = (f"the response cache {self.path} cannot be used ({_plain(exc)}); "
                        "running without it: answers are not cached")
        log.debug("response cache off: %s", self.problem)
        if self.on_problem is not None:
            self.on_problem(self.problem)

    def get(self, spec: ModelSpec, prompt_hash: str, field: str, kind: str) -> Prediction | None:
        """The cached prediction (``cached=True``, ``cost=0.0``: a repeat costs nothing) or None."""
        if self._conn is None:
            return None
        key = cache_key(spec, prompt_hash, field, kind)
        try:
            with self._lock:
                if self._conn is None:
                    return None
                row = self._conn.execute("SELECT prediction FROM responses WHERE key=?", (key,)).fetchone()
        except (sqlite3.Error, OSError) as exc:
            self._give_up(exc)
            return None
        if row is None:
            return None
        try:
            data = json.loads(row[0])
            data.update(cached=True, cost=0.0)
            return Prediction(**data)
        except (ValueError, TypeError):
            return None          # an entry written by another version: ask again

    def put(self, spec: ModelSpec, prompt_hash: str, field: str, kind: str, prediction: Prediction) -> None:
        """Store a parsed answer (failed ones are not stored)."""
        if not prediction.parse_ok or self._conn is None:
            return
        key = cache_key(spec, prompt_hash, field, kind)
        data = asdict(replace(prediction, cached=False))
        try:
            with self._lock:
                if self._conn is None:
                    return
                self._conn.execute(
                    "INSERT OR REPLACE INTO responses VALUES (?,?,?,?,?,?,?,?,?)",
                    (key, spec.model, field, kind, json.dumps(data, ensure_ascii=False),
                     prediction.prompt_tokens, prediction.completion_tokens, prediction.cost, time.time()))
                self._conn.commit()
        except (sqlite3.Error, OSError) as exc:
            self._give_up(exc)

    # -- plain text entries (the summary memory's paragraphs) -------------------------------------
    def get_text(self, spec: ModelSpec, prompt_hash: str, field: str) -> str | None:
        """A cached plain-text entry, or None."""
        p = self.get(spec, prompt_hash, field, "text")
        return None if p is None else str(p.predicted_value)

    def put_text(self, spec: ModelSpec, prompt_hash: str, field: str, text: str, *,
                 prompt_tokens: int = 0, completion_tokens: int = 0, cost: float | None = None) -> None:
        """Store a plain-text entry."""
        self.put(spec, prompt_hash, field, "text",
                 Prediction(model=spec.model, field=field, predicted_value=text, predicted_label=text,
                            raw_output=text, parse_ok=True, prediction_method="summary",
                            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, cost=cost))

    def stats(self) -> dict[str, Any]:
        """Entries, tokens and cost stored (zeros when the cache is off)."""
        if self._conn is None:
            return {"entries": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost": None}
        with self._lock:
            n, pt, ct, cost = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(prompt_tokens),0), COALESCE(SUM(completion_tokens),0), "
                "SUM(cost) FROM responses").fetchone()
        return {"entries": n, "prompt_tokens": pt, "completion_tokens": ct, "cost": cost}

    def clear(self) -> None:
        """Delete every entry."""
        if self._conn is None:
            return
        with self._lock:
            self._conn.execute("DELETE FROM responses")
            self._conn.commit()

    def close(self) -> None:
        """Close the file (idempotent)."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    def __enter__(self) -> "ResponseCache":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _plain(exc: BaseException) -> str:
    """A file error in a few plain words."""
    import errno

    text = str(exc).strip() or type(exc).__name__
    code = getattr(exc, "errno", None)
    low = text.lower()
    if code == errno.ENOSPC or "disk is full" in low or "disk full" in low:
        return "the disk is full"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in low or "read-only" in low:
        return "it is read-only"
    return text
