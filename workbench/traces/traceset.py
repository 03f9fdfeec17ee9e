"""The loaded traces: the canonical event table, the user table and the import warnings.
Layer: traces (pure; no Qt).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import polars as pl

from workbench.traces import schema
from workbench.traces.errors import TraceIssue


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

