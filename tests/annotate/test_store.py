"""Point 2 (store): SQLite per project, WAL + synchronous=FULL, versioned schema, autosave API,
editable taxonomy, filters and persisted queues."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from workbench.annotate.store import MIGRATIONS, SCHEMA_VERSION, CaseStore, QueueItem, StoreError


@pytest.fixture
def store(tmp_path):
    with CaseStore(tmp_path / "project" / "cases.db") as s:
        yield s


def test_pragmas_and_schema_version(store):
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS) >= 2
    assert store.integrity_check() == "ok"
    assert [t.name for t in store.tags()][:2] == ["hyper-activity", "utopian-tone"]


def test_old_schema_is_migrated_and_data_kept(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for stmt in MIGRATIONS[0].split(";"):
        if stmt.strip():
            db.execute(stmt)
    db.execute("INSERT INTO tags(name, label, shortcut) VALUES ('hyper-activity', 'hyper-activity', 1)")
    db.execute("INSERT INTO cases(id, source, user_id, event_index, created, updated, note) "
               "VALUES ('c1', 's', 'u', 3, '2025-01-01', '2025-01-01', 'kept')")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    with CaseStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        assert s.get_case("c1").note == "kept"
        assert s.queues() == []  # the v2 tables exist


def test_newer_schema_and_garbage_files_are_refused(tmp_path):
    newer = tmp_path / "newer.db"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=r"newer.db: case store schema \d+ is newer"):
        CaseStore(newer)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="junk.db: not a usable case store"):
        CaseStore(junk)
    with pytest.raises(StoreError, match="no such case store"):
        CaseStore(tmp_path / "missing.db", create=False)


def test_roundtrip_every_field(store, sample_cases):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    case = replace(sample_cases[0], snapshot_png=png)
    store.add_case(case)
    back = store.get_case(case.id)
    assert back == case
    assert back.snapshot_png == png
    for c in sample_cases[1:]:
        store.add_case(c)
        assert store.get_case(c.id) == c
    assert store.count() == 3


def test_update_note_is_durable_and_bumps_updated(store, sample_cases, tmp_path):
    c = store.add_case(sample_cases[0])
    store.update_note(c.id, "first")
    store.update_note(c.id, "second — 第二 ✓")
    # another connection sees it at once (committed, not buffered)
    other = sqlite3.connect(store.path)
    assert other.execute("SELECT note FROM cases WHERE id=?", (c.id,)).fetchone()[0] == "second — 第二 ✓"
    other.close()
    assert store.get_case(c.id).updated > c.updated
    with pytest.raises(KeyError, match="no case"):
        store.update_note("nope", "x")


def test_tags_severity_and_taxonomy_editing(store, sample_cases):
    c = store.add_case(sample_cases[0])
    assert store.toggle_tag(c.id, "other") == ("hyper-activity", "other")
    assert store.toggle_tag(c.id, "hyper-activity") == ("other",)
    with pytest.raises(KeyError, match="unknown tag"):
        store.toggle_tag(c.id, "nonsense")
    store.set_severity(c.id, 3)
    with pytest.raises(ValueError):
        store.set_severity(c.id, 5)
    new = store.add_tag("Too generic", shortcut=7, color="#123456")
    assert new.name == "too-generic" and store.tag_for_shortcut(7).name == "too-generic"
    assert store.tag_for_shortcut(7) is not None and next(t for t in store.tags() if t.name == "other").shortcut is None
    store.set_tags(c.id, ["too-generic", "other"])
    renamed = store.edit_tag("too-generic", new_name="generic", label="generic answer", shortcut=8)
    assert renamed.shortcut == 8 and renamed.label == "generic answer"
    assert set(store.get_case(c.id).tags) == {"generic", "other"}  # rename carried along
    store.remove_tag("generic")
    assert store.get_case(c.id).tags == ("other",)
    assert store.get_case(c.id).severity == 3
    with pytest.raises(StoreError, match="already exists"):
        store.add_tag("other")


def test_filters(store, sample_cases):
    for c in sample_cases:
        store.add_case(c)
    video, service, rng = sample_cases
    assert [c.id for c in store.list_cases(tag="utopian-tone")] == [service.id]
    assert [c.id for c in store.list_cases(user="user_0002")] == [rng.id]
    assert [c.id for c in store.list_cases(model="gpt-4o")] == [video.id, service.id]
    assert [c.id for c in store.list_cases(model="qwen3")] == [service.id]
    assert [c.id for c in store.list_cases(field="video_watch_seconds")] == [video.id]
    assert [c.id for c in store.list_cases(text="BINGE")] == [rng.id]
    assert [c.id for c in store.list_cases(text="long-horizon")] == [rng.id]   # by tag name
    assert [c.id for c in store.list_cases(text="50%_")] == []                 # LIKE wildcards escaped
    assert [c.id for c in store.list_cases(min_severity=3)] == [service.id]
    assert [c.id for c in store.list_cases(ids=[rng.id, video.id])] == [rng.id, video.id]
    assert store.users() == ["user_0001", "user_0002"]
    assert store.models() == ["baseline:user", "gpt-4o", "qwen3"]
    assert "next_user_message" in store.fields()
    store.delete_case(video.id)
    assert store.count() == 2


def test_queue_is_persisted_and_resumable(tmp_path, sample_cases):
    path = tmp_path / "q.db"
    items = [QueueItem("u1", 3, "video_liked", "m", 0, 0.9, 1, "Yes", True, "Video Browsing", 0.9),
             QueueItem("u2", 5, "video_liked", "m", 0, 0.7, 1, "Yes", True, "Video Browsing", 0.7)]
    with CaseStore(path) as s:
        q = s.create_queue("m likes", items, model="m", field="video_liked")
        assert q.size == 2 and q.position == 0
        s.set_queue_position(q.id, 1)
        c = s.add_case(sample_cases[0])
        s.link_queue_case(q.id, 0, c.id)
    with CaseStore(path) as s:
        q2 = s.get_queue(q.id)
        assert q2.position == 1 and q2.name == "m likes"
        got = s.queue_items(q.id)
        assert [it for it, _ in got] == items
        assert [cid for _, cid in got] == [sample_cases[0].id, None]
        s.delete_case(sample_cases[0].id)
        assert [cid for _, cid in s.queue_items(q.id)] == [None, None]  # ON DELETE SET NULL


def test_default_store_path_is_per_project(tmp_path):
    from workbench.annotate.store import default_store_path

    a = default_store_path(tmp_path / "a" / "trace.json")
    b = default_store_path(tmp_path / "b" / "trace.json")
    assert a != b and a.name.startswith("trace-") and a.suffix == ".db"
    assert default_store_path(tmp_path / "a" / "trace.json") == a
    assert default_store_path(None).name == "cases.db"
    assert str(a).startswith(str(__import__("workbench.paths").paths.data_dir()))
