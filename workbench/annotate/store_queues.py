"""Persisted annotation queues (resumable review) of a case store. Layer: annotate (pure; no Qt).

:class:`QueueMixin` is part of :class:`~workbench.annotate.store.CaseStore`; it uses the store's
connection and its one-transaction write helpers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import orjson

from workbench.annotate.model import CasePrediction, utc_now
from workbench.annotate.store_file import dumps_json as _dumps


@dataclass(frozen=True)
class QueueItem:
    """One entry of an annotation queue: a question where a model disagreed with the person."""

    user_id: str
    event_index: int
    field: str
    model: str
    true_value: Any = None
    predicted_value: Any = None
    predicted_label: Any = None
    raw_output: str = ""
    parse_ok: bool = True
    scenario: str = ""
    confidence: float = 0.0        # ranking key: higher = reviewed earlier
    memory: str = ""
    prompt_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The item as plain data."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def prediction(self) -> CasePrediction:
        """The item's prediction as a case prediction (for marking it as a case)."""
        return CasePrediction(model=self.model, field=self.field, predicted_value=self.predicted_value,
                              predicted_label=self.predicted_label, raw_output=self.raw_output,
                              parse_ok=self.parse_ok, memory=self.memory, prompt_hash=self.prompt_hash)


@dataclass(frozen=True)
class Queue:
    """A review queue: its id, name, what it holds (model, field, source), the reviewer's position
    and its size."""

    id: int
    name: str
    model: str
    field: str
    source: str
    position: int
    size: int
    created: str


class QueueMixin:
    """Queue methods of :class:`~workbench.annotate.store.CaseStore`."""

    _db: Any
    path: Any

    def _tx(self) -> Any:  # provided by CaseStore
        raise NotImplementedError

    def _write(self, sql: str, params: Sequence[Any] = ()) -> Any:  # provided by CaseStore
        raise NotImplementedError

    # -- annotation queues -------------------------------------------------------------------------
    def create_queue(self, name: str, items: Sequence[QueueItem], *, model: str = "", field: str = "",
                     source: str = "", created: str | None = None) -> Queue:
        """Persist a queue (in the given order) so review can stop and resume later (``created``
        defaults to now; a merge passes the original time)."""
        with self._tx() as db:
            cur = db.execute("INSERT INTO queues(name, model, field, source, position, created) "
                             "VALUES (?, ?, ?, ?, 0, ?)", (name, model, field, source, created or utc_now()))
            qid = int(cur.lastrowid or 0)
            db.executemany("INSERT INTO queue_items(queue_id, position, item) VALUES (?, ?, ?)",
                           [(qid, i, _dumps(it.to_dict())) for i, it in enumerate(items)])
        return self.get_queue(qid)

    def queues(self) -> list[Queue]:
        """Every queue with its size, oldest first."""
        rows = self._db.execute(
            "SELECT q.id, q.name, q.model, q.field, q.source, q.position, "
            "(SELECT COUNT(*) FROM queue_items i WHERE i.queue_id=q.id), q.created FROM queues q "
            "ORDER BY q.id").fetchall()
        return [Queue(*r) for r in rows]

    def get_queue(self, queue_id: int) -> Queue:
        """The queue with id ``queue_id``. KeyError when there is none."""
        for q in self.queues():
            if q.id == queue_id:
                return q
        raise KeyError(f"no queue {queue_id} in {self.path}")

    def queue_items(self, queue_id: int) -> list[tuple[QueueItem, str | None]]:
        """The queue's items in order, each with the id of the case made from it (or None)."""
        rows = self._db.execute("SELECT item, case_id FROM queue_items WHERE queue_id=? ORDER BY position",
                                (queue_id,)).fetchall()
        return [(QueueItem(**orjson.loads(r[0])), r[1]) for r in rows]

    def set_queue_position(self, queue_id: int, position: int) -> None:
        """Remember where the reviewer is in a queue. KeyError for an unknown queue."""
        cur = self._write("UPDATE queues SET position=? WHERE id=?", (int(position), queue_id))
        if cur.rowcount == 0:
            raise KeyError(f"no queue {queue_id} in {self.path}")

    def link_queue_case(self, queue_id: int, position: int, case_id: str | None) -> None:
        """Link a queue item to the case marked from it (None unlinks). KeyError for an unknown item."""
        cur = self._write("UPDATE queue_items SET case_id=? WHERE queue_id=? AND position=?",
                          (case_id, queue_id, position))
        if cur.rowcount == 0:
            raise KeyError(f"no item {position} in queue {queue_id} of {self.path}")

    def delete_queue(self, queue_id: int) -> None:
        """Delete a queue and its items (cases marked from it stay). KeyError for an unknown queue."""
        cur = self._write("DELETE FROM queues WHERE id=?", (queue_id,))
        if cur.rowcount == 0:
            raise KeyError(f"no queue {queue_id} in {self.path}")
