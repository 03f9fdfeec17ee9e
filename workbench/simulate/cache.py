"""LLM response cache in SQLite. Layer: simulate (pure; no Qt).

Key = sha256 over (model spec ``cache_params()``, prompt hash, question field, kind): a repeated
question costs nothing and works offline. Stored: the parsed prediction fields, raw output, tokens and
cost of the original call (never the API key: ``cache_params`` has none). Only successful answers
are stored. One connection guarded by a lock (asyncio code calls it from the loop thread; worker
threads may call it too); WAL journal.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from workbench.simulate.types import ModelSpec, Prediction

CACHE_FILE = "llm_responses.sqlite"


def cache_key(spec: ModelSpec, prompt_hash: str, field: str, kind: str) -> str:
    payload = json.dumps({"spec": spec.cache_params(), "prompt": prompt_hash, "field": field, "kind": kind},
                         sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            from workbench.paths import cache_dir

            path = cache_dir() / CACHE_FILE
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=10)
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("""CREATE TABLE IF NOT EXISTS responses (
                key TEXT PRIMARY KEY, model TEXT NOT NULL, field TEXT NOT NULL, kind TEXT NOT NULL,
                prediction TEXT NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER,
                cost REAL, created REAL NOT NULL)""")
            self._conn.commit()

    def get(self, spec: ModelSpec, prompt_hash: str, field: str, kind: str) -> Prediction | None:
        """The cached prediction (``cached=True``, ``cost=0.0``: a repeat costs nothing) or None."""
        key = cache_key(spec, prompt_hash, field, kind)
        with self._lock:
            row = self._conn.execute("SELECT prediction FROM responses WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        data.update(cached=True, cost=0.0)
        return Prediction(**data)

    def put(self, spec: ModelSpec, prompt_hash: str, field: str, kind: str, prediction: Prediction) -> None:
        if not prediction.parse_ok:
            return
        key = cache_key(spec, prompt_hash, field, kind)
        data = asdict(replace(prediction, cached=False))
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO responses VALUES (?,?,?,?,?,?,?,?,?)",
                (key, spec.model, field, kind, json.dumps(data, ensure_ascii=False),
                 prediction.prompt_tokens, prediction.completion_tokens, prediction.cost, time.time()))
            self._conn.commit()

    # -- plain text entries (the summary memory's paragraphs) -------------------------------------
    def get_text(self, spec: ModelSpec, prompt_hash: str, field: str) -> str | None:
        p = self.get(spec, prompt_hash, field, "text")
        return None if p is None else str(p.predicted_value)

    def put_text(self, spec: ModelSpec, prompt_hash: str, field: str, text: str, *,
                 prompt_tokens: int = 0, completion_tokens: int = 0, cost: float | None = None) -> None:
        self.put(spec, prompt_hash, field, "text",
                 Prediction(model=spec.model, field=field, predicted_value=text, predicted_label=text,
                            raw_output=text, parse_ok=True, prediction_method="summary",
                            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, cost=cost))

    def stats(self) -> dict[str, Any]:
        with self._lock:
            n, pt, ct, cost = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(prompt_tokens),0), COALESCE(SUM(completion_tokens),0), "
                "SUM(cost) FROM responses").fetchone()
        return {"entries": n, "prompt_tokens": pt, "completion_tokens": ct, "cost": cost}

    def clear(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM responses")
            self._conn.commit()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "ResponseCache":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
