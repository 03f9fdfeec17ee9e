"""Several annotators in one case store: adjudications, superseded case versions and marker
spans. Layer: annotate (pure; no Qt).

:class:`LabelMixin` is part of :class:`~workbench.annotate.store.CaseStore`. An adjudication
records the final label of one item and tag after annotators disagreed, who decided and when; every
decision is kept and the latest per item and tag holds. A case version is a whole case (as JSON)
that a merge replaced by a newer edit of the same case, kept with the store it came from. A span
(:class:`~workbench.annotate.spans.Span`) is checked against its case's message when stored.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Sequence

import orjson

from workbench.annotate.model import Case, CasePrediction, Turn, utc_now
from workbench.annotate.spans import Span, SpanError, target_text
from workbench.annotate.store_file import dumps_json

_SPAN_COLUMNS = ("id", "case_id", "target", "start_cp", "end_cp", "quote", "marker", "status", "source",
                 "lang", "annotator", "created")


@dataclass(frozen=True)
class Adjudication:
    """The final label (1 = the tag applies, 0 = it does not) of ``item`` for ``tag``."""

    item: str
    tag: str
    final: int
    decided_by: str
    decided_at: str
    note: str = ""


class LabelMixin:
    """Adjudication and case-version methods of :class:`~workbench.annotate.store.CaseStore`."""

    _db: Any
    path: Any

    def _write(self, sql: str, params: Sequence[Any] = ()) -> Any:  # provided by CaseStore
        raise NotImplementedError

    def adjudicate(self, item: str, tag: str, final: bool | int, decided_by: str, *, note: str = "",
                   decided_at: str | None = None) -> Adjudication:
        """Record the final label of ``item`` (see :func:`workbench.annotate.agreement.item_key`) for
        ``tag``. ValueError for an empty item, tag or decider; earlier decisions are kept."""
        if not item or not tag or not decided_by.strip():
            raise ValueError("an adjudication needs the item, the tag and who decided")
        adj = Adjudication(item, tag, int(bool(final)), decided_by.strip(), decided_at or utc_now(), note)
        self._write("INSERT INTO adjudications(item, tag, final, decided_by, decided_at, note) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (adj.item, adj.tag, adj.final, adj.decided_by,
                                                  adj.decided_at, adj.note))
        return adj

    def adjudications(self, *, history: bool = False) -> list[Adjudication]:
        """The decisions in the order made; only the latest per item and tag unless ``history``."""
        rows = self._db.execute("SELECT item, tag, final, decided_by, decided_at, note FROM adjudications "
                                "ORDER BY decided_at, id").fetchall()
        found = [Adjudication(*r) for r in rows]
        if history:
            return found
        latest = {(a.item, a.tag): a for a in found}
        return list(latest.values())

    def add_span(self, span: Span) -> Span:
        """Store a decided or manual span after checking it against its case's message (SpanError
        when the quote is not the text at its offsets, KeyError for an unknown case)."""
        if span.status not in ("manual", "accepted", "rejected"):
            raise SpanError(f"only decided or manual spans are stored, not {span.status!r} ones")
        text = target_text(self.get_case(span.case_id), span.target)  # type: ignore[attr-defined]
        if text[span.start:span.end] != span.quote:
            raise SpanError(f"case {span.case_id} {span.target}: the text at {span.start}..{span.end} is "
                            f"not the quoted {span.quote[:40]!r}")
        self._write(f"INSERT OR IGNORE INTO spans({', '.join(_SPAN_COLUMNS)}) VALUES "
                    f"({', '.join('?' * len(_SPAN_COLUMNS))})",
                    (span.id, span.case_id, span.target, span.start, span.end, span.quote, span.marker,
                     span.status, span.source, span.lang, span.annotator, span.created))
        return span

    def delete_span(self, span_id: str) -> None:
        """Remove a span (undo); KeyError when there is none with that id."""
        if self._write("DELETE FROM spans WHERE id=?", (span_id,)).rowcount == 0:
            raise KeyError(f"no span {span_id!r} in {self.path}")

    def spans(self, case_id: str | None = None) -> list[Span]:
        """Stored spans (of one case, or all), in case, message and text order."""
        sql = f"SELECT {', '.join(_SPAN_COLUMNS)} FROM spans"
        params: tuple[Any, ...] = ()
        if case_id is not None:
            sql += " WHERE case_id=?"
            params = (case_id,)
        rows = self._db.execute(sql + " ORDER BY case_id, target, start_cp, created", params).fetchall()
        return [Span(*r) for r in rows]

    def keep_version(self, case: Case, origin: str) -> bool:
        """Keep ``case`` (a version a merge superseded) with the name of the store it came from;
        False when that exact version is already kept."""
        data = case.to_dict()
        if case.snapshot_png is not None:
            data["snapshot_png_base64"] = base64.b64encode(bytes(case.snapshot_png)).decode("ascii")
        cur = self._write("INSERT OR IGNORE INTO case_versions(case_id, updated, origin, data) VALUES (?, ?, ?, ?)",
                          (case.id, case.updated, origin, dumps_json(data)))
        return bool(cur.rowcount)

    def case_versions(self, case_id: str | None = None) -> list[tuple[str, Case]]:
        """Superseded versions as (origin store name, case), oldest edit first."""
        sql = "SELECT origin, data FROM case_versions"
        params: tuple[Any, ...] = ()
        if case_id is not None:
            sql += " WHERE case_id=?"
            params = (case_id,)
        return [(r[0], case_from_dict(orjson.loads(r[1])))
                for r in self._db.execute(sql + " ORDER BY updated", params)]


def case_from_dict(data: dict[str, Any]) -> Case:
    """A :class:`Case` back from its ``to_dict()`` form (plus ``snapshot_png_base64`` if kept)."""
    fields = {k: v for k, v in data.items() if k in Case.__dataclass_fields__}
    fields.update(fields=tuple(data.get("fields") or ()), tags=tuple(data.get("tags") or ()),
                  neighbours=tuple(data.get("neighbours") or ()),
                  real_values=dict(data.get("real_values") or {}),
                  predictions=tuple(CasePrediction.from_mapping(x) for x in data.get("predictions") or ()),
                  transcript=tuple(Turn(str(x.get("role", "")), str(x.get("content", "")))
                                   for x in data.get("transcript") or ()),
                  snapshot_png=(base64.b64decode(data["snapshot_png_base64"])
                                if data.get("snapshot_png_base64") else None))
    return Case(**fields)
