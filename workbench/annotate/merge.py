"""Merge case stores (one per analyst) into a new one without losing or duplicating anything.
Layer: annotate (pure; no Qt).

* Taxonomy: the union of the tags, in order of appearance; a tag whose label, colour or description
  differ between stores keeps the first store's and the difference is reported; a shortcut already
  taken is left unset on the later tag.
* Cases, by id: a new id is copied; an identical case is skipped; two different versions of one
  case (a store copied and edited in both places) keep the newer edit (``updated``) as the case and
  the other in the case-version table with the name of the store it came from.
* Queues (with their review position and links to cases), adjudications, marker spans (by id) and
  kept case versions are copied once each (identical ones are recognised and skipped).

Inputs are opened read-only; a damaged input is refused (export what can be read from it first).
The result is built in a temporary file beside ``out`` and renamed over nothing: ``out`` must not
exist. Merging is idempotent: merging a result again with one of its inputs changes nothing.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence


class MergeError(Exception):
    """A merge was refused or failed; the message names the file. ``out`` is not created."""


@dataclass
class MergeReport:
    """What a merge did: the input and output stores and how many cases, versions, tags and spans
    were added, found identical or kept side by side."""

    inputs: list[str]
    out: str
    cases: int = 0
    cases_added: int = 0
    cases_identical: int = 0
    versions_kept: int = 0
    tags_added: int = 0
    tag_conflicts: list[str] = field(default_factory=list)
    queues_added: int = 0
    queues_identical: int = 0
    adjudications_added: int = 0
    spans_added: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return asdict(self)


def merge_stores(inputs: Sequence[str | Path], out: str | Path) -> MergeReport:
    """Merge the stores ``inputs`` (two or more) into the new store ``out``; see the module doc."""
    from workbench.annotate.store import CaseStore, StoreError

    paths = [Path(p) for p in inputs]
    target = Path(out)
    if len(paths) < 2:
        raise MergeError("give at least two case stores to merge")
    if target.exists():
        raise MergeError(f"{target}: already exists; merging writes a new file and never overwrites one")
    for p in paths:
        if not p.is_file():
            raise MergeError(f"{p}: no such case store")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.merging-{os.getpid()}")
    report = MergeReport([str(p) for p in paths], str(target))
    try:
        with CaseStore(tmp) as dst:
            for t in dst.tags():  # start from the first input's taxonomy, not the defaults
                dst.remove_tag(t.name)
            origin: dict[str, str] = {}
            for p in paths:
                with CaseStore(p, readonly=True) as src:
                    if src.damage:
                        raise MergeError(f"{p}: the case store is damaged ({src.damage}); export what can be "
                                         "read from it and merge a repaired copy")
                    _merge_tags(src, dst, report)
                    _merge_cases(src, dst, p.name, origin, report)
                    _merge_queues(src, dst, report)
                    _merge_adjudications(src, dst, report)
                    report.spans_added += _merge_spans(src, dst)
            report.cases = dst.count()
        os.replace(tmp, target)
    except StoreError as exc:
        raise MergeError(str(exc)) from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            if leftover.exists():
                leftover.unlink()
    return report


def _merge_tags(src: Any, dst: Any, report: MergeReport) -> None:
    have = {t.name: t for t in dst.tags()}
    taken = {t.shortcut for t in have.values() if t.shortcut is not None}
    for t in src.tags():
        if t.name in have:
            mine = have[t.name]
            if (mine.label, mine.color, mine.description) != (t.label, t.color, t.description):
                report.tag_conflicts.append(f"tag {t.name!r}: kept label {mine.label!r}, colour {mine.color}; "
                                            f"{src.path.name} has {t.label!r}, {t.color}")
            continue
        shortcut = t.shortcut if t.shortcut not in taken else None
        have[t.name] = dst.add_tag(t.label, shortcut=shortcut, color=t.color, description=t.description,
                                   name=t.name)
        if shortcut is not None:
            taken.add(shortcut)
        report.tags_added += 1


def _merge_cases(src: Any, dst: Any, name: str, origin: dict[str, str], report: MergeReport) -> None:
    existing = set(dst.case_ids())
    for case in src.list_cases():
        if case.id not in existing:
            dst.add_case(case)
            existing.add(case.id)
            origin[case.id] = name
            report.cases_added += 1
            continue
        current = dst.get_case(case.id)
        if current == case:
            report.cases_identical += 1
            continue
        if (case.updated or "") > (current.updated or ""):
            report.versions_kept += dst.keep_version(current, origin.get(case.id, "merged store"))
            dst.save_case(case, touch=False)
            origin[case.id] = name
        else:
            report.versions_kept += dst.keep_version(case, name)
    for kept_origin, version in src.case_versions():
        report.versions_kept += dst.keep_version(version, kept_origin)


def _queue_signature(store: Any, q: Any) -> tuple[Any, ...]:
    items = tuple(sorted(str(it.to_dict()) for it, _ in store.queue_items(q.id)))
    return (q.name, q.model, q.field, q.source, q.created, items)


def _merge_queues(src: Any, dst: Any, report: MergeReport) -> None:
    have = {_queue_signature(dst, q): q for q in dst.queues()}
    for q in src.queues():
        sig = _queue_signature(src, q)
        items = src.queue_items(q.id)
        target = have.get(sig)
        if target is None:
            target = dst.create_queue(q.name, [it for it, _ in items], model=q.model, field=q.field,
                                      source=q.source, created=q.created)
            have[sig] = target
            report.queues_added += 1
        else:
            report.queues_identical += 1
        done = dst.queue_items(target.id)
        for pos, ((_, case_id), (_, linked)) in enumerate(zip(items, done)):
            if case_id and not linked and case_id in set(dst.case_ids()):
                dst.link_queue_case(target.id, pos, case_id)
        if q.position > dst.get_queue(target.id).position:
            dst.set_queue_position(target.id, q.position)


def _merge_adjudications(src: Any, dst: Any, report: MergeReport) -> None:
    have = set(dst.adjudications(history=True))
    for a in src.adjudications(history=True):
        if a not in have:
            dst.adjudicate(a.item, a.tag, a.final, a.decided_by, note=a.note, decided_at=a.decided_at)
            have.add(a)
            report.adjudications_added += 1


def _merge_spans(src: Any, dst: Any) -> int:
    have = {s.id for s in dst.spans()}
    added = 0
    for span in src.spans():
        if span.id not in have:
            try:
                dst.add_span(span)
            except Exception as exc:  # noqa: BLE001 - the case text differs between stores: say which span
                raise MergeError(f"{src.path}: span {span.id} of case {span.case_id} does not fit the merged "
                                 f"case ({exc})") from None
            have.add(span.id)
            added += 1
    return added
