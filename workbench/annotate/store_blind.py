"""Blind-test sessions in a case store. Layer: annotate (pure; no Qt).

:class:`BlindMixin` is part of :class:`~workbench.annotate.store.CaseStore`. Every pick is one
durable transaction, so a session killed at any moment resumes at the first item the annotator has
not picked (:meth:`BlindMixin.next_blind_item`); an item the annotator found easy (confidence 3 and
right) becomes a case in the same transaction, with the reasons as tags.
"""

from __future__ import annotations

from typing import Any, Sequence

import orjson

from workbench.annotate.blind import BlindItem, Pick
from workbench.annotate.model import CasePrediction, new_case, utc_now
from workbench.annotate.store_file import dumps_json
from workbench.traces.schema import english_scenario

_ITEM_COLUMNS = ("id", "position", "user_id", "event_index", "scenario", "model", "kind", "context",
                 "a_text", "b_text", "real_side", "source")


class BlindMixin:
    """Blind-session methods of :class:`~workbench.annotate.store.CaseStore`."""

    _db: Any
    path: Any

    def _tx(self) -> Any:  # provided by CaseStore
        raise NotImplementedError

    def add_blind_items(self, items: Sequence[BlindItem]) -> None:
        """Store a session's items (in one transaction)."""
        with self._tx() as db:
            _insert_items(db, items)

    def append_blind_items(self, items: Sequence[BlindItem]) -> list[BlindItem]:
        """Store ``items`` after the session's existing ones (positions renumbered to follow them), in
        one transaction; returns the items as stored."""
        from dataclasses import replace

        with self._tx() as db:
            base = db.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM blind_items").fetchone()[0]
            stored = [replace(i, position=base + n) for n, i in enumerate(items)]
            _insert_items(db, stored)
        return stored

    def blind_items(self) -> list[BlindItem]:
        """The store's blind items in session order."""
        rows = self._db.execute(f"SELECT {', '.join(_ITEM_COLUMNS)} FROM blind_items ORDER BY position, id")
        out = []
        for r in rows.fetchall():
            d = dict(zip(_ITEM_COLUMNS, r))
            d["context"] = tuple(orjson.loads(d["context"]))
            out.append(BlindItem(**d))
        return out

    def blind_picks(self, annotator: str | None = None) -> list[Pick]:
        """The annotators' picks (only ``annotator``'s when given), oldest first."""
        sql = "SELECT item_id, annotator, pick, confidence, reasons, note, created FROM blind_picks"
        params: tuple[Any, ...] = ()
        if annotator is not None:
            sql += " WHERE annotator=?"
            params = (annotator,)
        return [Pick(r[0], r[1], r[2], int(r[3]), tuple(orjson.loads(r[4])), r[5], r[6])
                for r in self._db.execute(sql + " ORDER BY created", params).fetchall()]

    def next_blind_item(self, annotator: str, among: Sequence[str] | None = None) -> BlindItem | None:
        """The first item ``annotator`` has not picked yet (only items whose id is in ``among`` when
        given); None when the session is done."""
        done = {p.item_id for p in self.blind_picks(annotator)}
        wanted = None if among is None else set(among)
        return next((i for i in self.blind_items() if i.id not in done and (wanted is None or i.id in wanted)), None)

    def record_pick(self, item: BlindItem, annotator: str, pick: str, confidence: int,
                    reasons: Sequence[str] = (), note: str = "") -> str | None:
        """Store one pick durably; returns the id of the case made when the pick was easy (confidence
        3 and right), else None. ValueError for a bad side or confidence, or a repeated pick."""
        if pick not in ("A", "B") or confidence not in (1, 2, 3) or not annotator.strip():
            raise ValueError("a pick needs side A or B, confidence 1-3 and the annotator")
        case_id = None
        with self._tx() as db:
            if db.execute("SELECT 1 FROM blind_picks WHERE item_id=? AND annotator=?",
                          (item.id, annotator)).fetchone():
                raise ValueError(f"{annotator} already picked item {item.position + 1}")
            db.execute("INSERT INTO blind_picks(item_id, annotator, pick, confidence, reasons, note, created) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (item.id, annotator, pick, confidence, dumps_json(list(reasons)), note, utc_now()))
            if confidence == 3 and pick == item.real_side:
                case_id = self._easy_case(db, item, annotator, reasons, note)
        return case_id

    def _easy_case(self, db: Any, item: BlindItem, annotator: str, reasons: Sequence[str], note: str) -> str:
        fake = item.b_text if item.real_side == "A" else item.a_text
        real = item.a_text if item.real_side == "A" else item.b_text
        known = {r[0] for r in db.execute("SELECT name FROM tags")}
        tags = [t for t in reasons if t in known]
        field = "next_user_message" if item.kind == "message" else "reactions"
        case = new_case(source=item.source, user_id=item.user_id, event_index=item.event_index,
                        scenario=english_scenario(item.scenario), fields=[field], real_values={field: real},
                        predictions=[CasePrediction(item.model, field, fake, fake, fake, True)],
                        transcript=item.context, tags=tags, author=annotator,
                        note=("Blind test: the simulated side was easy to tell (confidence 3)."
                              + (f" Why: {note}" if note else "")))
        row = self._row_of(case)  # type: ignore[attr-defined]
        from workbench.annotate.store import _CASE_COLUMNS

        db.execute(f"INSERT INTO cases({', '.join(_CASE_COLUMNS)}) VALUES ({', '.join('?' * len(row))})", row)
        db.executemany("INSERT INTO case_tags(case_id, tag) VALUES (?, ?)", [(case.id, t) for t in tags])
        return case.id


def _insert_items(db: Any, items: Sequence[BlindItem]) -> None:
    db.executemany(f"INSERT INTO blind_items({', '.join(_ITEM_COLUMNS)}) VALUES "
                   f"({', '.join('?' * len(_ITEM_COLUMNS))})",
                   [(i.id, i.position, i.user_id, i.event_index, i.scenario, i.model, i.kind,
                     dumps_json(list(i.context)), i.a_text, i.b_text, i.real_side, i.source)
                    for i in items])
