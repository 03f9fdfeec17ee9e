"""Case stores under faults: damaged pages, another application's SQLite file, read-only media.

Damage is made the way a disk makes it: a real store is written, closed, and some of its ``cases``
leaf pages (found with SQLite's ``dbstat``) are overwritten with random bytes.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from workbench.annotate.model import new_case
from workbench.annotate.store import CaseStore, StoreError
from workbench.annotate.store_file import APPLICATION_ID, MIGRATIONS, inspect_store_file
from workbench.cli import main

ROOT = Path(__file__).resolve().parents[2]
N_CASES = 120


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fill(path: Path, n: int = N_CASES) -> dict[str, str]:
    """A store of ``n`` cases (about one page each); returns id -> note."""
    notes = {}
    with CaseStore(path) as store:
        for i in range(n):
            case = new_case(source="trace.json", user_id=f"user_{i % 9:04d}", event_index=i,
                            fields=["video_liked"], real_values={"video_liked": i % 2},
                            tags=["hyper-activity"], note=f"note {i}", prompt=f"prompt {i} " + "p" * 3000)
            store.add_case(case)
            notes[case.id] = case.note
    return notes


def _damage(path: Path, pages: int = 3, seed: int = 7) -> list[int]:
    """Overwrite ``pages`` leaf pages of the cases table in the middle of the file with noise."""
    db = sqlite3.connect(path)
    try:
        leaves = [r[0] for r in db.execute("SELECT pageno FROM dbstat WHERE name='cases' AND pagetype='leaf' "
                                           "ORDER BY pageno")]
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table")
    finally:
        db.close()
    assert len(leaves) > 20
    rng = random.Random(seed)
    chosen = leaves[len(leaves) // 2: len(leaves) // 2 + pages]
    with open(path, "r+b") as fh:
        for pageno in chosen:
            fh.seek((pageno - 1) * page_size)
            fh.write(rng.randbytes(page_size))
    return chosen


def _one_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, text
    return lines[0]


def test_damaged_store_is_refused_for_writing_and_exports_what_it_can(tmp_path, trace_file, capsys):
    db = tmp_path / "cases.db"
    notes = _fill(db)
    _damage(db)
    before = _sha(db)

    with pytest.raises(StoreError) as err:
        CaseStore(db)
    assert "damaged" in str(err.value) and str(db) in str(err.value) and "\n" not in str(err.value)
    capsys.readouterr()
    assert main(["cases", "add", str(db), "--trace", str(trace_file), "--user", "user_0001",
                 "--event", "1", "--note", "new"]) == 2
    assert "damaged" in _one_line(capsys.readouterr().err)
    assert _sha(db) == before  # the refused writes changed nothing

    out = tmp_path / "salvaged.jsonl"
    assert main(["cases", "export", str(db), "--format", "jsonl", "--out", str(out)]) == 1
    err_line = _one_line(capsys.readouterr().err)
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert 0 < len(rows) < N_CASES
    for r in rows:  # every exported case is intact
        assert r["note"] == notes[r["id"]] and r["tags"] == ["hyper-activity"]
    lost = set(notes) - {r["id"] for r in rows}
    assert f"{len(lost)} case(s) could not be read" in err_line
    assert all(cid in err_line for cid in sorted(lost)[:5])

    with CaseStore(db, readonly=True) as store:
        assert store.readonly and store.damage
        assert store.count() == len(rows)
        assert sorted(store.salvage.lost_case_ids) == sorted(lost)
        assert {c.id for c in store.list_cases(tag="hyper-activity")} == {r["id"] for r in rows}
        with pytest.raises(StoreError, match="damaged"):
            store.update_note(rows[0]["id"], "x")
    for fmt in ("csv", "parquet", "html"):
        assert main(["cases", "export", str(db), "--format", fmt, "--out", str(tmp_path / f"s.{fmt}")]) == 1
    capsys.readouterr()
    assert main(["cases", "list", str(db)]) == 1
    assert len(capsys.readouterr().out.splitlines()) == len(rows)
    assert _sha(db) == before


def _foreign(path: Path, *, app_id: int = 0, tables: tuple[str, ...] = ("users", "orders")) -> None:
    db = sqlite3.connect(path)
    for t in tables:
        db.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, name TEXT)")
        db.executemany(f"INSERT INTO {t}(name) VALUES (?)", [(f"{t} {i}",) for i in range(50)])
    if app_id:
        db.execute(f"PRAGMA application_id={app_id}")
    db.commit()
    db.close()


@pytest.mark.parametrize("kind", ["plain", "application-id", "has-a-cases-table", "wal"])
def test_another_applications_database_is_refused_and_never_modified(tmp_path, trace_file, capsys, kind):
    path = tmp_path / "other.sqlite"
    if kind == "application-id":
        _foreign(path, app_id=0x4D504258)
    elif kind == "has-a-cases-table":
        _foreign(path, tables=("cases", "tags"))
    else:
        _foreign(path)
    if kind == "wal":
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=WAL")
        db.close()
    before = _sha(path)
    listing = sorted(p.name for p in tmp_path.iterdir())

    for readonly in (False, True):
        with pytest.raises(StoreError, match="not a case store of this workbench") as err:
            CaseStore(path, readonly=readonly)
        assert "\n" not in str(err.value)
    capsys.readouterr()
    for argv in (["cases", "list", str(path)], ["cases", "tags", str(path)],
                 ["cases", "export", str(path), "--format", "csv", "--out", str(tmp_path / "x.csv")],
                 ["cases", "add", str(path), "--trace", str(trace_file), "--user", "user_0001", "--event", "1"]):
        assert main(argv) == 2, argv
        assert "not a case store of this workbench" in _one_line(capsys.readouterr().err)
    assert _sha(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no -wal/-shm, no export file
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == ("wal" if kind == "wal" else "delete")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    db.close()


def test_empty_file_and_legacy_stores_are_ours(tmp_path, sample_cases):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with CaseStore(empty) as s:
        assert s.count() == 0
    assert inspect_store_file(empty).kind == "ours"
    # a store written before stores carried their application id (schema 1): read, then migrated
    legacy = tmp_path / "legacy.db"
    db = sqlite3.connect(legacy)
    for stmt in MIGRATIONS[0].split(";"):
        if stmt.strip():
            db.execute(stmt)
    db.execute("INSERT INTO cases(id, source, user_id, event_index, created, updated, note) "
               "VALUES ('c1', 's', 'u', 3, '2025-01-01', '2025-01-01', 'kept')")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    before = _sha(legacy)
    with CaseStore(legacy, readonly=True) as s:  # an older schema is read through a copy
        assert [c.note for c in s.list_cases()] == ["kept"] and s.queues() == []
    assert _sha(legacy) == before
    with CaseStore(legacy) as s:
        assert s.get_case("c1").note == "kept"
    db = sqlite3.connect(legacy)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.close()


def test_readonly_open_never_writes(tmp_path, sample_cases):
    path = tmp_path / "cases.db"
    with CaseStore(path) as s:
        for c in sample_cases:
            s.add_case(c)
    before = _sha(path)
    with CaseStore(path, readonly=True) as s:
        assert s.count() == 3 and not s.damage and s.salvage is None
        for write in (lambda: s.add_case(sample_cases[0]), lambda: s.update_note(sample_cases[0].id, "x"),
                      lambda: s.add_tag("new one"), lambda: s.delete_case(sample_cases[0].id)):
            with pytest.raises(StoreError, match="opened read-only; nothing was written"):
                write()
    assert _sha(path) == before


def _unshare_ok() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "-r", "true"], capture_output=True, check=False)
    if probe.returncode == 0:
        return True
    return subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not sys.platform.startswith("linux") or not _unshare_ok(),
                    reason="needs a private mount namespace (unshare) for a read-only bind mount")
def test_store_on_read_only_media_lists_and_exports(tmp_path, sample_cases, trace_file):
    media = tmp_path / "media"
    media.mkdir()
    db = media / "cases.db"
    with CaseStore(db) as s:
        for c in sample_cases:
            s.add_case(c)
    assert not Path(str(db) + "-wal").exists()  # closed cleanly: no WAL index on the media
    out = tmp_path / "out"
    out.mkdir()
    wb = f"{sys.executable} -m workbench cases"
    script = "\n".join([
        f"mount --bind {media} {media} && mount -o remount,ro,bind {media} || exit 99",
        f"{wb} list {db} --json > {out}/list.jsonl; echo list=$?",
        f"{wb} export {db} --format csv --out {out}/cases.csv; echo export=$?",
        f"{wb} add {db} --trace {trace_file} --user user_0001 --event 1 2> {out}/add.err; echo add=$?",
    ])
    flags = ["-m", "-r"] if os.geteuid() != 0 else ["-m"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run(["unshare", *flags, "sh", "-c", script], capture_output=True, text=True,
                         env=env, timeout=300, check=False)
    if res.returncode == 99:
        pytest.skip(f"cannot make a read-only bind mount here: {res.stderr.strip()}")
    assert "list=0" in res.stdout and "export=0" in res.stdout and "add=2" in res.stdout, res.stdout + res.stderr
    assert len((out / "list.jsonl").read_text().splitlines()) == 3
    assert (out / "cases.csv").read_text(encoding="utf-8-sig").count(sample_cases[0].id) == 1
    assert "read-only media" in _one_line((out / "add.err").read_text())
