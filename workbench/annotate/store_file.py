"""What a case-store file is, before anything writes to it. Layer: annotate (pure; no Qt).

* :data:`MIGRATIONS` / :data:`SCHEMA_VERSION`: the versioned schema (``PRAGMA user_version``).
* :func:`inspect_store_file` tells, without changing a byte, whether a path is a missing or empty
  file, one of our stores (and its schema version), a newer store, another application's SQLite
  database, or not SQLite at all. Ours are marked with ``PRAGMA application_id`` =
  :data:`APPLICATION_ID`; stores written before that mark are recognised by their exact set of tables.
* :func:`hold_open` / :func:`release` track the store files this process holds open through SQLite:
  :func:`inspect_store_file` never opens and closes such a file itself (closing any descriptor of a
  file drops every POSIX lock the process holds on it, SQLite's among them; another process could
  then checkpoint and delete the WAL under the open store, losing its later commits). SQLite's own
  connections share one set of locks per file within a process, so opening and closing another
  SQLite connection on the file is safe.
* :func:`write_problem` names why a path cannot be written (read-only file, folder or mount).
* :func:`quick_check` is SQLite's ``PRAGMA quick_check`` as one line ("" when healthy).
* :func:`connect_readonly` opens a store without ever writing to it (``mode=ro``; ``immutable=1`` on
  read-only media where SQLite cannot create the WAL index file).
* :func:`salvage` copies every row that can still be read from a damaged (or older) store into a
  fresh in-memory store of the current schema, and reports which cases were lost.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

#: ``PRAGMA application_id`` of a case store: the bytes "BTWB" (Behavior Trace WorkBench).
APPLICATION_ID = 0x42545742
SQLITE_MAGIC = b"SQLite format 3\x00"

#: Schema migrations: MIGRATIONS[i] brings a file from user_version i to i + 1.
MIGRATIONS: tuple[str, ...] = (
    # 1: taxonomy, cases and their tags
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE tags (
        name TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        shortcut INTEGER UNIQUE CHECK (shortcut IS NULL OR shortcut BETWEEN 0 AND 9),
        color TEXT NOT NULL DEFAULT '#888888',
        description TEXT NOT NULL DEFAULT '',
        position INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE cases (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        user_id TEXT NOT NULL,
        event_index INTEGER,
        start_ts TEXT,
        end_ts TEXT,
        scenario TEXT NOT NULL DEFAULT '',
        fields TEXT NOT NULL DEFAULT '[]',
        real_values TEXT NOT NULL DEFAULT '{}',
        predictions TEXT NOT NULL DEFAULT '[]',
        prompt TEXT NOT NULL DEFAULT '',
        transcript TEXT NOT NULL DEFAULT '[]',
        event TEXT,
        neighbours TEXT NOT NULL DEFAULT '[]',
        severity INTEGER NOT NULL DEFAULT 0 CHECK (severity BETWEEN 0 AND 3),
        note TEXT NOT NULL DEFAULT '',
        author TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        snapshot BLOB
    );
    CREATE INDEX cases_user ON cases(user_id, event_index);
    CREATE TABLE case_tags (
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        tag TEXT NOT NULL REFERENCES tags(name) ON DELETE CASCADE ON UPDATE CASCADE,
        PRIMARY KEY (case_id, tag)
    );
    CREATE INDEX case_tags_tag ON case_tags(tag);
    """,
    # 2: persisted annotation queues (resumable review)
    """
    CREATE TABLE queues (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        model TEXT NOT NULL DEFAULT '',
        field TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        position INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL
    );
    CREATE TABLE queue_items (
        queue_id INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        item TEXT NOT NULL,
        case_id TEXT REFERENCES cases(id) ON DELETE SET NULL,
        PRIMARY KEY (queue_id, position)
    );
    """,
    # 3: several annotators: adjudicated labels (history kept; the latest row per item and tag
    # holds) and the versions of a case that a merge superseded (nothing a merge drops is lost)
    """
    CREATE TABLE adjudications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        item TEXT NOT NULL,
        tag TEXT NOT NULL,
        final INTEGER NOT NULL CHECK (final IN (0, 1)),
        decided_by TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX adjudications_item ON adjudications(item, tag);
    CREATE TABLE case_versions (
        case_id TEXT NOT NULL,
        updated TEXT NOT NULL,
        origin TEXT NOT NULL DEFAULT '',
        data TEXT NOT NULL,
        PRIMARY KEY (case_id, updated, origin)
    );
    """,
    # 4: marker spans on the words of a case's messages (code-point offsets, quoted text)
    """
    CREATE TABLE spans (
        id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        start_cp INTEGER NOT NULL CHECK (start_cp >= 0),
        end_cp INTEGER NOT NULL CHECK (end_cp > start_cp),
        quote TEXT NOT NULL,
        marker TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('manual', 'accepted', 'rejected')),
        source TEXT NOT NULL DEFAULT '',
        lang TEXT NOT NULL DEFAULT '',
        annotator TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL
    );
    CREATE INDEX spans_case ON spans(case_id);
    """,
    # 5: blind "which one is real?" sessions: items (seeded side order stored) and each pick
    """
    CREATE TABLE blind_items (
        id TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        event_index INTEGER NOT NULL,
        scenario TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL,
        kind TEXT NOT NULL,
        context TEXT NOT NULL DEFAULT '[]',
        a_text TEXT NOT NULL,
        b_text TEXT NOT NULL,
        real_side TEXT NOT NULL CHECK (real_side IN ('A', 'B')),
        source TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE blind_picks (
        item_id TEXT NOT NULL REFERENCES blind_items(id) ON DELETE CASCADE,
        annotator TEXT NOT NULL,
        pick TEXT NOT NULL CHECK (pick IN ('A', 'B')),
        confidence INTEGER NOT NULL CHECK (confidence BETWEEN 1 AND 3),
        reasons TEXT NOT NULL DEFAULT '[]',
        note TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        PRIMARY KEY (item_id, annotator)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

_CREATE_TABLE_RE = re.compile(r"CREATE\s+TABLE\s+(\w+)", re.IGNORECASE)
#: Tables SQLite itself adds (AUTOINCREMENT bookkeeping, statistics).
_SQLITE_TABLES = frozenset({"sqlite_sequence", "sqlite_stat1", "sqlite_stat4"})
#: JSON columns of ``cases``: a salvaged row whose JSON does not parse is counted as lost.
_JSON_COLUMNS = ("fields", "real_values", "predictions", "transcript", "event", "neighbours")
#: Rowids probed past the highest one seen when a table's pages are damaged.
_PROBE_MARGIN = 2000


def dumps_json(value: Any) -> str:
    """Compact JSON text (orjson; anything else as its ``str``), as the store keeps JSON columns."""
    return orjson.dumps(value, default=str).decode("utf-8")


def tables_of_version(version: int) -> frozenset[str]:
    """The tables a store of schema ``version`` holds (from the migrations' CREATE TABLE lines)."""
    return frozenset(name for sql in MIGRATIONS[:version] for name in _CREATE_TABLE_RE.findall(sql))


@dataclass(frozen=True)
class StoreFileInfo:
    """What :func:`inspect_store_file` found. ``kind`` is one of ``missing``, ``empty`` (no bytes, or
    an SQLite file without tables), ``ours``, ``newer``, ``foreign``, ``not-sqlite``, ``unreadable``;
    ``message`` is the one-line reason for the refusing kinds (naming the file)."""

    kind: str
    version: int = 0
    message: str = ""


def _uri(path: Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return "file:" + urllib.parse.quote(str(path.resolve())) + (f"?{query}" if query else "")


def _sidecars_exist(path: Path) -> bool:
    return any(Path(str(path) + s).exists() for s in ("-wal", "-shm"))


#: (device, inode) of each store file this process holds open through SQLite -> how many stores
_HELD: dict[tuple[int, int], int] = {}
_HELD_LOCK = threading.Lock()


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def hold_open(path: Path) -> tuple[int, int] | None:
    """Note that this process now holds ``path`` open through SQLite; the returned key goes to
    :func:`release` when that connection closes (None when the file cannot be stat'ed)."""
    key = _file_key(path)
    if key is not None:
        with _HELD_LOCK:
            _HELD[key] = _HELD.get(key, 0) + 1
    return key


def release(key: tuple[int, int] | None) -> None:
    """Undo one :func:`hold_open` (a None key is ignored)."""
    if key is None:
        return
    with _HELD_LOCK:
        left = _HELD.get(key, 0) - 1
        if left > 0:
            _HELD[key] = left
        else:
            _HELD.pop(key, None)


def held_open(path: Path) -> bool:
    """Does this process hold ``path`` open through SQLite (a :class:`CaseStore` on it)?"""
    key = _file_key(path)
    with _HELD_LOCK:
        return key is not None and key in _HELD


def inspect_store_file(path: Path) -> StoreFileInfo:
    """Classify ``path`` without writing anything (read-only, ``immutable`` unless a WAL is present,
    so not even a side file is created for another application's database). A file this process
    holds open (:func:`held_open`) is read through SQLite only, never opened and closed directly."""
    if not path.exists():
        return StoreFileInfo("missing")
    if not path.is_file():
        return StoreFileInfo("not-sqlite", message=f"{path}: not a regular file")
    header = SQLITE_MAGIC if held_open(path) else b""   # open here: SQLite reads it (no close of ours)
    try:
        if not header:
            with open(path, "rb") as fh:
                header = fh.read(100)
    except OSError as exc:
        return StoreFileInfo("unreadable", message=f"{path}: cannot read ({exc.strerror or exc})")
    if not header:
        return StoreFileInfo("empty")
    if not header.startswith(SQLITE_MAGIC):
        return StoreFileInfo("not-sqlite", message=f"{path}: not a usable case store (not an SQLite "
                                                   "database); left untouched")
    params = {"mode": "ro"} if _sidecars_exist(path) else {"mode": "ro", "immutable": "1"}
    try:
        db = sqlite3.connect(_uri(path, **params), uri=True)
        try:
            app_id = int(db.execute("PRAGMA application_id").fetchone()[0])
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return StoreFileInfo("unreadable", message=f"{path}: not a usable case store ({exc}); left untouched")
    tables -= _SQLITE_TABLES
    newer = StoreFileInfo("newer", version, f"{path}: case store schema {version} is newer than this build "
                                            f"understands ({SCHEMA_VERSION}); update the workbench")
    if app_id == APPLICATION_ID:
        return newer if version > SCHEMA_VERSION else StoreFileInfo("ours", version)
    if app_id == 0:
        if not tables and version == 0:
            return StoreFileInfo("empty")
        if version > SCHEMA_VERSION and (not tables or tables_of_version(SCHEMA_VERSION) <= tables):
            return newer
        if 1 <= version <= SCHEMA_VERSION and tables == set(tables_of_version(version)):
            return StoreFileInfo("ours", version)
    shown = ", ".join(sorted(tables)[:6]) + (", …" if len(tables) > 6 else "")
    what = f"application id {app_id:#x}" if app_id else (f"tables {shown}" if tables else f"user_version {version}")
    return StoreFileInfo("foreign", version, f"{path}: not a case store of this workbench (an SQLite database "
                                             f"with {what}); refused and left untouched")


def write_problem(path: Path) -> str:
    """Why ``path`` (or the folder that would hold it) cannot be written: read-only media, file or
    folder; "" when writing can be tried. The WAL journal needs the folder writable, too."""
    folder = path.parent if str(path.parent) else Path(".")
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "it is on read-only media"
    except OSError:
        pass
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"its folder {folder} is read-only"
    return ""


def quick_check(db: sqlite3.Connection) -> str:
    """``PRAGMA quick_check`` in one line: "" when the file is sound, else SQLite's first complaint."""
    try:
        rows = [str(r[0]) for r in db.execute("PRAGMA quick_check(3)").fetchall()]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    if rows == ["ok"]:
        return ""
    return "; ".join(" ".join(r.split()) for r in rows)[:200]


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that can never write ``path``. On read-only media a WAL store cannot get its
    ``-shm`` index, so it is opened ``immutable`` (what the file holds after its last checkpoint)."""
    try:
        db = sqlite3.connect(_uri(path, mode="ro"), uri=True, timeout=10.0)
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        if Path(str(path) + "-wal").exists() and Path(str(path) + "-wal").stat().st_size > 0 \
                and not write_problem(path):
            raise
        db = sqlite3.connect(_uri(path, mode="ro", immutable="1"), uri=True, timeout=10.0)
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db


@dataclass
class SalvageReport:
    """What :func:`salvage` read: rows copied per table, and the ids of cases known (from an index)
    but unreadable. ``damaged`` is False when every table was read in one clean pass."""

    copied: dict[str, int] = field(default_factory=dict)
    damaged: bool = False
    lost_case_ids: list[str] = field(default_factory=list)
    unreadable_rows: int = 0


def create_schema(db: sqlite3.Connection) -> None:
    """Every migration applied to an empty database (used for in-memory salvage copies)."""
    for sql in MIGRATIONS:
        for statement in sql.split(";"):
            if statement.strip():
                db.execute(statement)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def _row_ok(table: str, cols: list[str], row: tuple) -> bool:
    if table != "cases":
        return True
    try:
        for c, v in zip(cols, row):
            if c in _JSON_COLUMNS and v is not None:
                orjson.loads(v)
    except (orjson.JSONDecodeError, TypeError):
        return False
    return True


def _copy_table(src: sqlite3.Connection, dst: sqlite3.Connection, table: str, report: SalvageReport) -> None:
    cols = [c for c in _columns(src, table) if c in set(_columns(dst, table))]
    col_sql = ", ".join(cols)
    insert = f"INSERT OR IGNORE INTO {table}(rowid, {col_sql}) VALUES ({', '.join('?' * (len(cols) + 1))})"
    seen: set[int] = set()
    copied = 0

    def put(row: tuple) -> None:
        nonlocal copied
        seen.add(int(row[0]))
        if _row_ok(table, cols, row[1:]):
            dst.execute(insert, row)
            copied += 1
        else:
            report.unreadable_rows += 1

    clean = True
    try:
        for row in src.execute(f"SELECT rowid, {col_sql} FROM {table}"):
            put(row)
    except sqlite3.DatabaseError:
        clean = False
    if not clean:
        report.damaged = True
        high = max(seen, default=0)
        try:
            high = max(high, int(src.execute(f"SELECT MAX(rowid) FROM {table}").fetchone()[0] or 0))
        except sqlite3.DatabaseError:
            pass
        for rowid in range(1, high + _PROBE_MARGIN + 1):
            if rowid in seen:
                continue
            try:
                row = src.execute(f"SELECT rowid, {col_sql} FROM {table} WHERE rowid=?", (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                report.unreadable_rows += 1
                continue
            if row is not None:
                put(row)
    report.copied[table] = copied


def _indexed_case_ids(src: sqlite3.Connection) -> set[str]:
    """Case ids as the primary-key index lists them (a covering scan that reads no table page)."""
    ids: set[str] = set()
    try:
        for (cid,) in src.execute("SELECT id FROM cases INDEXED BY sqlite_autoindex_cases_1"):
            ids.add(cid)
    except sqlite3.DatabaseError:
        pass
    return ids


def salvage(src: sqlite3.Connection) -> tuple[sqlite3.Connection, SalvageReport]:
    """Copy what ``src`` still holds into a new in-memory store of the current schema; the copy is
    then made query-only. Rows on damaged pages are skipped (probing by rowid around them)."""
    dst = sqlite3.connect(":memory:", isolation_level=None)
    create_schema(dst)
    report = SalvageReport()
    present = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    dst.execute("BEGIN")
    for table in sorted(tables_of_version(SCHEMA_VERSION)):
        if table in present:
            _copy_table(src, dst, table, report)
    dst.execute("COMMIT")
    if report.damaged:
        have = {r[0] for r in dst.execute("SELECT id FROM cases")}
        report.lost_case_ids = sorted(_indexed_case_ids(src) - have)
    dst.execute("PRAGMA query_only=ON")
    return dst, report
