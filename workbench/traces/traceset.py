"""The loaded traces: the canonical event table, the user table and the import warnings.
Layer: traces (pure; no Qt).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench.traces import schema
from workbench.traces.errors import TraceIssue
from workbench.traces.user import UserCache, UserEvents


class TraceSet:
    """Loaded traces: the canonical event table, the user table and the import warnings.

    ``events`` may lack the payload columns (``context``/``actions``) when they live in a Parquet
    file (the cache, or a canonical Parquet source). ``user`` gives one user's events with their
    payload, decoded once and shared (:class:`workbench.traces.user.UserEvents`; ``user_events``
    and ``raw_events`` read from it); ``with_payload`` gives everyone's.
    """

    #: The columns a user's events and ``with_payload`` have (sources with more, such as OPeRA's
    #: session and rationale columns, extend it).
    columns: tuple[str, ...] = tuple(schema.EVENT_SCHEMA)

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
        self._users = UserCache(self._decode_user)

    def __repr__(self) -> str:
        return (f"TraceSet({self.source}, users={self.users.height}, events={self.events.height}, "
                f"warnings={len(self.warnings)})")

    @property
    def has_payload(self) -> bool:
        """Whether the event table keeps the raw payload columns (context, actions) for prompts."""
        return all(c in self.events.columns for c in schema.PAYLOAD_COLUMNS)

    def user_ids(self) -> list[str]:
        """The user ids in table order."""
        if self._uids is None:
            self._uids = self.users["user_id"].to_list()
        return list(self._uids)

    def has_user(self, user_id: str) -> bool:
        """True when the traces hold that user."""
        return user_id in self._profile_map()

    def _profile_map(self) -> dict[str, str]:
        if self._profiles is None:
            self._profiles = dict(zip(self.users["user_id"].to_list(), self.users["profile"].to_list()))
        return self._profiles

    def profile(self, user_id: str) -> str:
        """The user's profile text ("" when the file had none); KeyError for an unknown user."""
        try:
            return self._profile_map()[user_id]
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

    def user(self, user_id: str) -> UserEvents:
        """One user's events, decoded once and shared (see :mod:`workbench.traces.user`).
        Raises KeyError for a user the traces do not have."""
        self.profile(user_id)  # raises the KeyError for an unknown user
        return self._users.get(user_id)

    @property
    def decodes(self) -> dict[str, int]:
        """How many times each user's events were decoded (read and rebuilt) so far."""
        return dict(self._users.decodes)

    def _decode_user(self, user_id: str) -> UserEvents:
        return UserEvents(user_id, self.profile(user_id), self._source_of(user_id), self._read_user(user_id))

    def _source_of(self, user_id: str) -> str:
        rows = self.users.filter(pl.col("user_id") == user_id)["source"].to_list()
        return rows[0] if rows else str(self.source)

    def user_events(self, user_id: str) -> pl.DataFrame:
        """That user's rows with the payload columns, in ``event_index`` order (empty for an
        unknown user)."""
        if not self.has_user(user_id):
            return self._read_user(user_id)
        return self.user(user_id).frame

    def _read_user(self, user_id: str) -> pl.DataFrame:
        full = self._full
        if full is not None:
            frame = full.filter(pl.col("user_id") == user_id)
        elif self.has_payload or self.parquet is None:
            frame = self.events.filter(pl.col("user_id") == user_id)
        else:
            frame = (pl.scan_parquet(self.parquet).filter(pl.col("user_id") == user_id)
                     .select(list(self.columns)).collect())
        return frame.sort("event_index")

    def raw_events(self, user_id: str) -> list[dict[str, Any]]:
        """Raw OmniBehavior event dicts (type/timestamp/context?/action), file order (an event the
        importer skipped is missing: use ``user(...).raw()`` to keep the event indices)."""
        if not self.has_user(user_id):
            return []
        return list(self.user(user_id).raw().values())

    def with_payload(self) -> pl.DataFrame:
        """The full canonical table, payload columns included (reads them from Parquet if needed)."""
        full = self._full
        if full is not None:
            return full
        if self.has_payload or self.parquet is None:
            return self.events.select([c for c in self.columns if c in self.events.columns])
        return pl.read_parquet(self.parquet).select(list(self.columns))

    def payload_batches(self, columns: Sequence[str], rows: int = 65536,
                        where: pl.Expr | None = None) -> Iterator[pl.DataFrame]:
        """The full table's ``columns`` (payload columns allowed) in slices of at most ``rows`` rows,
        in table order, each slice keeping only the rows where ``where`` holds (an expression on
        ``columns``; None keeps all). A Parquet file is read one slice at a time by polars' own
        reader (the payload of every user is never in memory at once; ``with_payload`` reads it
        whole)."""
        keep = where if where is not None else pl.lit(True)
        full = self._full
        if full is None and self.parquet is not None and not self.has_payload:
            scan = pl.scan_parquet(self.parquet)
            for start in range(0, scan.select(pl.len()).collect().item(), rows):
                yield scan.slice(start, rows).select(list(columns)).filter(keep).collect()
            return
        table = full if full is not None else self.events
        for start in range(0, table.height, rows):
            yield table.slice(start, rows).select(list(columns)).filter(keep)

