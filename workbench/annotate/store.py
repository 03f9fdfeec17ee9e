"""The case store: one SQLite file per project. Layer: annotate (pure; no Qt).

Crash safety (docs/architecture.md#crash-safety): WAL journal with ``synchronous=FULL``, so every committed transaction
is on disk before the call returns and a killed process leaves an intact file holding every commit.
Every public write is one short transaction, cheap enough to call on each (debounced) keystroke:
:meth:`CaseStore.update_note` is a single ``UPDATE``.

The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` are applied in order when an
older file is opened, and a file from a newer build is refused with a clear error.

A store object belongs to the thread that opened it (SQLite's default); a worker thread that exports
opens its own :class:`CaseStore` on the same path (WAL lets readers and one writer work together).
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Sequence

import orjson

from workbench.annotate.model import (SEVERITY_MAX, SEVERITY_MIN, Case, CasePrediction, Turn,
                                      utc_now)
from workbench.annotate.store_file import (APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, SalvageReport,
                                           connect_readonly, hold_open, inspect_store_file, quick_check,
                                           release, salvage, write_problem)
from workbench.annotate.store_file import dumps_json as _dumps
from workbench.annotate.store_blind import BlindMixin
from workbench.annotate.store_labels import Adjudication, LabelMixin
from workbench.annotate.store_queues import Queue, QueueItem, QueueMixin
from workbench.annotate.taxonomy import DEFAULT_TAGS, Tag, resolve_tag, slugify

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Adjudication", "CaseStore", "Queue", "QueueItem",
           "StoreError", "default_store_path"]


class StoreError(Exception):
    """A case store could not be opened or a write was refused; the message names the file."""



_CASE_COLUMNS = ("id", "source", "user_id", "event_index", "start_ts", "end_ts", "scenario", "fields",
                 "real_values", "predictions", "prompt", "transcript", "event", "neighbours", "severity",
                 "note", "author", "created", "updated", "snapshot")


def default_store_path(source: str | Path | None = None) -> Path:
    """The case store of a project: one SQLite file per trace source in the data folder
    (``cases/<name>-<hash>.db``), or ``cases/cases.db`` when no trace is open."""
    import hashlib
    import re

    from workbench.paths import data_dir

    folder = data_dir() / "cases"
    if not source:
        return folder / "cases.db"
    p = Path(source).expanduser()
    try:
        p = p.resolve()
    except OSError:
        pass
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", p.stem or p.name)[:48] or "trace"
    digest = hashlib.sha256(str(p).encode("utf-8")).hexdigest()[:10]
    return folder / f"{stem}-{digest}.db"


def _loads(text: str | None, default: Any) -> Any:
    if text is None:
        return default
    return orjson.loads(text)


class CaseStore(QueueMixin, LabelMixin, BlindMixin):
    """Open (creating if needed) the case store at ``path``. Use as a context manager or ``close()``."""

    def __init__(self, path: str | Path, *, create: bool = True, readonly: bool = False) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection = None  # type: ignore[assignment]  # set by opening; None once closed
        #: True when opened with ``readonly=True``: every write raises :class:`StoreError`.
        self.readonly = readonly
        #: SQLite's complaint when the file is damaged ("" when sound); only read-only opens get here.
        self.damage = ""
        #: What was read from a damaged or older store (read-only opens copy it into memory).
        self.salvage: SalvageReport | None = None
        self._held: tuple[int, int] | None = None   # the file is open here (see store_file.hold_open)
        info = inspect_store_file(self.path)
        if info.kind in ("foreign", "not-sqlite", "unreadable", "newer"):
            raise StoreError(info.message)
        if info.kind == "missing" and (readonly or not create):
            raise StoreError(f"{self.path}: no such case store")
        if readonly:
            self._open_readonly(info.kind, info.version)
        else:
            self._open_for_writing()

    def _open_readonly(self, kind: str, version: int) -> None:
        """Open without writing a byte: a sound store of the current schema directly, a damaged or
        older one (or an empty file) as an in-memory copy of what can be read."""
        try:
            db = connect_readonly(self.path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot be read ({exc})") from None
        self.damage = quick_check(db) if kind == "ours" else ""
        if kind == "ours" and version == SCHEMA_VERSION and not self.damage:
            self._db = db
            self._held = hold_open(self.path)
            return
        try:
            self._db, self.salvage = salvage(db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: damaged beyond reading ({exc})") from None
        finally:
            db.close()

    def _open_for_writing(self) -> None:
        problem = write_problem(self.path)
        if problem:
            raise StoreError(f"{self.path}: {problem}; refused for writing (it can be listed and "
                             "exported read-only)")
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(self.path), isolation_level=None, timeout=10.0)
            self._held = hold_open(self.path)
            self._db.execute("PRAGMA busy_timeout=10000")
            damage = quick_check(self._db)
            if damage:
                raise StoreError(f"{self.path}: the case store is damaged ({damage}); refused for "
                                 "writing (export it read-only to keep what can be read)")
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{self.path}: cannot use WAL journal (got {mode!r})")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            if "readonly" in str(exc).replace(" ", ""):
                raise StoreError(f"{self.path}: read-only ({exc}); refused for writing") from None
            raise StoreError(f"{self.path}: not a usable case store ({exc})") from None
        except StoreError:
            self._close_quietly()
            raise

    # -- lifecycle ---------------------------------------------------------------------------------
    def _close_quietly(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            try:
                db.close()
            except sqlite3.Error:
                pass
            self._db = None  # type: ignore[assignment]
        self._release()

    def _release(self) -> None:
        release(getattr(self, "_held", None))
        self._held = None

    def close(self) -> None:
        """Close the database connection (idempotent); the store cannot be used afterwards."""
        if self._db is not None:
            self._db.close()
            self._db = None  # type: ignore[assignment]
        self._release()

    def __enter__(self) -> "CaseStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The store's schema version (SQLite ``user_version``)."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _application_id(self) -> int:
        return int(self._db.execute("PRAGMA application_id").fetchone()[0])

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` result: ``ok`` for a sound file."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: case store schema {version} is newer than this build "
                             f"understands ({SCHEMA_VERSION}); update the workbench")
        if version == SCHEMA_VERSION and self._application_id() == APPLICATION_ID:
            return
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            version = self.schema_version  # re-read under the write lock (another process may have won)
            for target in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                if target == 0:
                    self._seed_defaults()
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _seed_defaults(self) -> None:
        self._db.execute("INSERT INTO meta(key, value) VALUES ('created', ?)", (utc_now(),))
        for pos, tag in enumerate(DEFAULT_TAGS):
            self._db.execute("INSERT INTO tags(name, label, shortcut, color, description, position) "
                             "VALUES (?, ?, ?, ?, ?, ?)",
                             (tag.name, tag.label, tag.shortcut, tag.color, tag.description, pos))

    def _refuse_if_readonly(self) -> None:
        if self.readonly:
            why = f"damaged ({self.damage})" if self.damage else "opened read-only"
            raise StoreError(f"{self.path}: {why}; nothing was written")

    def _write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """One statement in its own transaction (autocommit mode commits it durably)."""
        self._refuse_if_readonly()
        return self._db.execute(sql, params)

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, exc_type: object, *rest: object) -> None:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")

    def _tx(self) -> "CaseStore._Tx":
        self._refuse_if_readonly()
        return CaseStore._Tx(self._db)

    # -- taxonomy ----------------------------------------------------------------------------------
    def tags(self) -> list[Tag]:
        """The store's tags in display order."""
        rows = self._db.execute("SELECT name, label, shortcut, color, description FROM tags "
                                "ORDER BY position, name").fetchall()
        return [Tag(name=r[0], label=r[1], shortcut=r[2], color=r[3], description=r[4]) for r in rows]

    def resolve_tag(self, text: str) -> Tag:
        """A tag by name, label or shortcut digit; KeyError listing the known tags otherwise."""
        return resolve_tag(text, self.tags())

    def tag_for_shortcut(self, digit: int) -> Tag | None:
        """The tag bound to the digit key ``digit`` (1-9), or None."""
        return next((t for t in self.tags() if t.shortcut == digit), None)

    def add_tag(self, label: str, *, shortcut: int | None = None, color: str = "#888888",
                description: str = "", name: str | None = None) -> Tag:
        """Add a tag (name derived from ``label`` unless given); returns it. StoreError when the name
        or the shortcut is taken, or the store is read-only."""
        tag_name = name or slugify(label)
        with self._tx() as db:
            if db.execute("SELECT 1 FROM tags WHERE name=?", (tag_name,)).fetchone():
                raise StoreError(f"{self.path}: tag {tag_name!r} already exists")
            if shortcut is not None:
                db.execute("UPDATE tags SET shortcut=NULL WHERE shortcut=?", (shortcut,))
            pos = db.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM tags").fetchone()[0]
            db.execute("INSERT INTO tags(name, label, shortcut, color, description, position) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (tag_name, label, shortcut, color, description, pos))
        return Tag(tag_name, label, shortcut, color, description)

    def edit_tag(self, name: str, *, label: str | None = None, new_name: str | None = None,
                 shortcut: int | None | str = "keep", color: str | None = None,
                 description: str | None = None) -> Tag:
        """Change a tag. Renaming (``new_name``) carries every case's tag along. ``shortcut=None``
        clears the key; a shortcut already used by another tag is moved to this one."""
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM tags WHERE name=?", (name,)).fetchone():
                raise KeyError(f"unknown tag {name!r}")
            if label is not None:
                db.execute("UPDATE tags SET label=? WHERE name=?", (label, name))
            if color is not None:
                db.execute("UPDATE tags SET color=? WHERE name=?", (color, name))
            if description is not None:
                db.execute("UPDATE tags SET description=? WHERE name=?", (description, name))
            if shortcut != "keep":
                if shortcut is not None:
                    db.execute("UPDATE tags SET shortcut=NULL WHERE shortcut=? AND name<>?", (shortcut, name))
                db.execute("UPDATE tags SET shortcut=? WHERE name=?", (shortcut, name))
            if new_name is not None and new_name != name:
                if db.execute("SELECT 1 FROM tags WHERE name=?", (new_name,)).fetchone():
                    raise StoreError(f"{self.path}: tag {new_name!r} already exists")
                db.execute("UPDATE tags SET name=? WHERE name=?", (new_name, name))
                name = new_name
        return next(t for t in self.tags() if t.name == name)

    def remove_tag(self, name: str) -> None:
        """Delete a tag from the taxonomy and from every case that had it."""
        cur = self._write("DELETE FROM tags WHERE name=?", (name,))
        if cur.rowcount == 0:
            raise KeyError(f"unknown tag {name!r}")

    # -- cases -------------------------------------------------------------------------------------
    def add_case(self, case: Case) -> Case:
        """Insert a case (its tags must be in the taxonomy). Returns it as stored."""
        self._check_tags(case.tags)
        with self._tx() as db:
            db.execute(f"INSERT INTO cases({', '.join(_CASE_COLUMNS)}) VALUES "
                       f"({', '.join('?' * len(_CASE_COLUMNS))})", self._row_of(case))
            db.executemany("INSERT INTO case_tags(case_id, tag) VALUES (?, ?)",
                           [(case.id, t) for t in case.tags])
        return case

    def save_case(self, case: Case, *, touch: bool = True) -> Case:
        """Replace every column of an existing case (``updated`` is set to now unless ``touch`` is
        False, which a merge uses to keep the edit's own time)."""
        self._check_tags(case.tags)
        if touch:
            case = replace(case, updated=utc_now())
        with self._tx() as db:
            cols = [c for c in _CASE_COLUMNS if c != "id"]
            row = self._row_of(case)
            cur = db.execute(f"UPDATE cases SET {', '.join(c + '=?' for c in cols)} WHERE id=?",
                             (*row[1:], case.id))
            if cur.rowcount == 0:
                raise KeyError(f"no case {case.id!r} in {self.path}")
            db.execute("DELETE FROM case_tags WHERE case_id=?", (case.id,))
            db.executemany("INSERT INTO case_tags(case_id, tag) VALUES (?, ?)",
                           [(case.id, t) for t in case.tags])
        return case

    def update_note(self, case_id: str, text: str) -> None:
        """Autosave the note: one short durable UPDATE (call it on a debounced keystroke)."""
        cur = self._write("UPDATE cases SET note=?, updated=? WHERE id=?", (text, utc_now(), case_id))
        if cur.rowcount == 0:
            raise KeyError(f"no case {case_id!r} in {self.path}")

    def set_severity(self, case_id: str, severity: int) -> None:
        """Set a case's severity (0-3). ValueError for another value, KeyError for an unknown case."""
        if not isinstance(severity, int) or not SEVERITY_MIN <= severity <= SEVERITY_MAX:
            raise ValueError(f"severity must be an integer 0-3, got {severity!r}")
        cur = self._write("UPDATE cases SET severity=?, updated=? WHERE id=?", (severity, utc_now(), case_id))
        if cur.rowcount == 0:
            raise KeyError(f"no case {case_id!r} in {self.path}")

    def set_snapshot(self, case_id: str, png: bytes | None) -> None:
        """Store (or with None, clear) a case's timeline snapshot PNG. KeyError for an unknown case."""
        cur = self._write("UPDATE cases SET snapshot=?, updated=? WHERE id=?", (png, utc_now(), case_id))
        if cur.rowcount == 0:
            raise KeyError(f"no case {case_id!r} in {self.path}")

    def set_tags(self, case_id: str, tags: Iterable[str]) -> tuple[str, ...]:
        """Replace a case's tags (repeats dropped); returns them in display order. KeyError for an
        unknown case or tag."""
        wanted = tuple(dict.fromkeys(tags))
        self._check_tags(wanted)
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM cases WHERE id=?", (case_id,)).fetchone():
                raise KeyError(f"no case {case_id!r} in {self.path}")
            db.execute("DELETE FROM case_tags WHERE case_id=?", (case_id,))
            db.executemany("INSERT INTO case_tags(case_id, tag) VALUES (?, ?)", [(case_id, t) for t in wanted])
            db.execute("UPDATE cases SET updated=? WHERE id=?", (utc_now(), case_id))
        return self.case_tags(case_id)

    def toggle_tag(self, case_id: str, tag: str) -> tuple[str, ...]:
        """Add the tag if the case lacks it, remove it otherwise; returns the case's tags."""
        self._check_tags((tag,))
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM cases WHERE id=?", (case_id,)).fetchone():
                raise KeyError(f"no case {case_id!r} in {self.path}")
            cur = db.execute("DELETE FROM case_tags WHERE case_id=? AND tag=?", (case_id, tag))
            if cur.rowcount == 0:
                db.execute("INSERT INTO case_tags(case_id, tag) VALUES (?, ?)", (case_id, tag))
            db.execute("UPDATE cases SET updated=? WHERE id=?", (utc_now(), case_id))
        return self.case_tags(case_id)

    def case_tags(self, case_id: str) -> tuple[str, ...]:
        """A case's tags in display order (empty for an unknown case)."""
        rows = self._db.execute("SELECT ct.tag FROM case_tags ct JOIN tags t ON t.name = ct.tag "
                                "WHERE ct.case_id=? ORDER BY t.position, t.name", (case_id,)).fetchall()
        return tuple(r[0] for r in rows)

    def delete_case(self, case_id: str) -> None:
        """Delete a case (its tags and spans go with it). KeyError for an unknown case."""
        cur = self._write("DELETE FROM cases WHERE id=?", (case_id,))
        if cur.rowcount == 0:
            raise KeyError(f"no case {case_id!r} in {self.path}")

    def get_case(self, case_id: str) -> Case:
        """The case with id ``case_id``. KeyError when there is none."""
        rows = self._select("WHERE c.id=?", (case_id,))
        if not rows:
            raise KeyError(f"no case {case_id!r} in {self.path}")
        return rows[0]

    def count(self) -> int:
        """How many cases the store holds."""
        return int(self._db.execute("SELECT COUNT(*) FROM cases").fetchone()[0])

    def case_ids(self) -> list[str]:
        """Every case id, oldest first."""
        return [r[0] for r in self._db.execute("SELECT id FROM cases ORDER BY created, rowid")]

    def list_cases(self, *, tag: str | None = None, user: str | None = None, model: str | None = None,
                   field: str | None = None, text: str | None = None, scenario: str | None = None,
                   min_severity: int | None = None, ids: Iterable[str] | None = None,
                   with_snapshots: bool = True) -> list[Case]:
        """Cases in creation order, filtered by any combination of tag, user, model (of a prediction),
        field, scenario, minimum severity and free text (note, user, prompt, fields, scenario, id,
        predictions' raw output; case-insensitive)."""
        where: list[str] = []
        params: list[Any] = []
        if tag:
            where.append("EXISTS (SELECT 1 FROM case_tags ct WHERE ct.case_id=c.id AND ct.tag=?)")
            params.append(tag)
        if user:
            where.append("c.user_id=?")
            params.append(user)
        if model:
            where.append("EXISTS (SELECT 1 FROM json_each(c.predictions) j "
                         "WHERE json_extract(j.value, '$.model')=?)")
            params.append(model)
        if field:
            where.append("EXISTS (SELECT 1 FROM json_each(c.fields) j WHERE j.value=?)")
            params.append(field)
        if scenario:
            where.append("c.scenario=?")
            params.append(scenario)
        if min_severity is not None:
            where.append("c.severity>=?")
            params.append(int(min_severity))
        if ids is not None:
            id_list = list(ids)
            if not id_list:
                return []
            where.append(f"c.id IN ({', '.join('?' * len(id_list))})")
            params.extend(id_list)
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            cols = ("c.note", "c.user_id", "c.prompt", "c.fields", "c.scenario", "c.id", "c.predictions",
                    "c.author")
            where.append("(" + " OR ".join(f"{col} LIKE ? ESCAPE '\\'" for col in cols) +
                         " OR EXISTS (SELECT 1 FROM case_tags ct JOIN tags t ON t.name=ct.tag "
                         "WHERE ct.case_id=c.id AND (t.label LIKE ? ESCAPE '\\' OR t.name LIKE ? ESCAPE '\\')))")
            params.extend([pattern] * (len(cols) + 2))
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        cases = self._select(clause, params, with_snapshots=with_snapshots)
        if ids is not None:
            order = {cid: i for i, cid in enumerate(id_list)}
            cases.sort(key=lambda c: order.get(c.id, 0))
        return cases

    def users(self) -> list[str]:
        """The users that have cases, sorted."""
        return [r[0] for r in self._db.execute("SELECT DISTINCT user_id FROM cases ORDER BY user_id")]

    def models(self) -> list[str]:
        """The models named in any case's predictions, sorted."""
        return [r[0] for r in self._db.execute(
            "SELECT DISTINCT json_extract(j.value, '$.model') AS m FROM cases c, json_each(c.predictions) j "
            "WHERE m IS NOT NULL ORDER BY m")]

    def fields(self) -> list[str]:
        """The predicted fields named in any case, sorted."""
        return [r[0] for r in self._db.execute(
            "SELECT DISTINCT j.value FROM cases c, json_each(c.fields) j ORDER BY j.value")]

    def _check_tags(self, tags: Iterable[str]) -> None:
        known = {t.name for t in self.tags()}
        unknown = [t for t in tags if t not in known]
        if unknown:
            raise KeyError(f"unknown tag(s) {', '.join(map(repr, unknown))}; known tags: "
                           f"{', '.join(sorted(known))}")

    def _row_of(self, case: Case) -> tuple[Any, ...]:
        return (case.id, case.source, case.user_id, case.event_index, case.start_ts, case.end_ts,
                case.scenario, _dumps(list(case.fields)), _dumps(case.real_values),
                _dumps([p.to_dict() for p in case.predictions]), case.prompt,
                _dumps([t.to_dict() for t in case.transcript]),
                _dumps(case.event) if case.event is not None else None,
                _dumps(list(case.neighbours)), case.severity, case.note, case.author,
                case.created or utc_now(), case.updated or utc_now(),
                bytes(case.snapshot_png) if case.snapshot_png is not None else None)

    def _select(self, clause: str, params: Sequence[Any], *, with_snapshots: bool = True) -> list[Case]:
        cols = ", ".join(f"c.{c}" if (c != "snapshot" or with_snapshots) else "NULL" for c in _CASE_COLUMNS)
        rows = self._db.execute(f"SELECT {cols} FROM cases c {clause} ORDER BY c.created, c.rowid",
                                params).fetchall()
        if not rows:
            return []
        tag_rows = self._db.execute(
            "SELECT ct.case_id, ct.tag FROM case_tags ct JOIN tags t ON t.name=ct.tag "
            "ORDER BY t.position, t.name").fetchall()
        tags: dict[str, list[str]] = {}
        for cid, t in tag_rows:
            tags.setdefault(cid, []).append(t)
        out = []
        for r in rows:
            d = dict(zip(_CASE_COLUMNS, r))
            out.append(Case(
                id=d["id"], source=d["source"], user_id=d["user_id"], event_index=d["event_index"],
                start_ts=d["start_ts"], end_ts=d["end_ts"], scenario=d["scenario"],
                fields=tuple(_loads(d["fields"], [])), real_values=_loads(d["real_values"], {}),
                predictions=tuple(CasePrediction.from_mapping(p) for p in _loads(d["predictions"], [])),
                prompt=d["prompt"], transcript=tuple(Turn(str(t.get("role", "")), str(t.get("content", "")))
                                                     for t in _loads(d["transcript"], [])),
                event=_loads(d["event"], None), neighbours=tuple(_loads(d["neighbours"], [])),
                tags=tuple(tags.get(d["id"], ())), severity=int(d["severity"]), note=d["note"],
                author=d["author"], created=d["created"], updated=d["updated"],
                snapshot_png=bytes(d["snapshot"]) if d["snapshot"] is not None else None))
        return out
