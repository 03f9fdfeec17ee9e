"""Opening a folder: the user list fills in while its files are read (the window stays usable), and
a user picked from the partial list opens once the folder is read."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from tests.app.conftest import wait_loaded
from workbench.traces import limits
from workbench.traces import load as load_mod

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def _folder(tmp_path: Path) -> Path:
    history = json.loads((FIX / "quirks_en.json").read_text(encoding="utf-8"))["user_0001"]["action_history"]
    folder = tmp_path / "release"
    folder.mkdir()
    for k in range(1, 6):
        (folder / f"u{k}.json").write_text(json.dumps({f"user_{k:04d}": {
            "user_profile": f"person {k}", "action_history": history[:k + 3]}}), encoding="utf-8")
    return folder


def test_user_list_fills_in_before_the_folder_is_read(qtbot, make_window, tmp_path, monkeypatch):
    folder = _folder(tmp_path)
    monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 1 << 40)  # read here, so the last file can be held
    release = threading.Event()
    real = load_mod._read_one

    def read_one(f, state, files, prefetched):
        if f.name == "u5.json":
            assert release.wait(30), "the test never let the last file be read"
        return real(f, state, files, prefetched)

    monkeypatch.setattr(load_mod, "_read_one", read_one)
    win = make_window()
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    win.open_path(folder)
    try:
        qtbot.waitUntil(lambda: win.users_model.rowCount() == 4, timeout=20000)
        assert win.busy and "load" in win._jobs  # still reading the last file
        ids = [win.users_model.user_at(r) for r in range(4)]
        assert ids == ["user_0001", "user_0002", "user_0003", "user_0004"]
        assert [int(win.users_model._counts[r]) for r in range(4)] == [4, 5, 6, 7]
        # picking a listed user while the folder is read: it opens once everything is read
        win.users_panel.user_chosen.emit("user_0003")
        assert win.track is None or win.track.user_id != "user_0003"
    finally:
        release.set()
    wait_loaded(qtbot, win, "user_0003")
    assert win.users_model.rowCount() == 5 and win.users_model.user_at(4) == "user_0005"
    assert win.state.dataset is not None and win.state.dataset.user_ids()[-1] == "user_0005"


def test_user_list_fills_in_from_the_folder_workers(qtbot, make_window, tmp_path, monkeypatch):
    folder = _folder(tmp_path)
    monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 0)  # every file to the forked workers
    win = make_window()
    win.show()
    qtbot.waitExposed(win)
    counts: list[int] = []
    job = win.open_path(folder)
    job.partial.connect(lambda users: counts.append(users.height))
    wait_loaded(qtbot, win, "user_0001")
    assert sum(counts) == 5 and len(counts) == 5  # one report per file, as it was read
    assert [win.users_model.user_at(r) for r in range(5)] == [f"user_{k:04d}" for k in range(1, 6)]


def test_cancelled_load_lists_the_open_source_again(qtbot, make_window, tmp_path, monkeypatch):
    first = tmp_path / "first"
    first.mkdir()
    (first / "a.json").write_text((FIX / "quirks_en.json").read_text(encoding="utf-8"), encoding="utf-8")
    folder = _folder(tmp_path)
    monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 1 << 40)
    release = threading.Event()
    real = load_mod._read_one

    def read_one(f, state, files, prefetched):
        if f.name == "u5.json":
            release.wait(30)
        return real(f, state, files, prefetched)

    monkeypatch.setattr(load_mod, "_read_one", read_one)
    win = make_window()
    win.show()
    qtbot.waitExposed(win)
    win.open_path(first, user="user_0002")
    wait_loaded(qtbot, win, "user_0002")
    before = [win.users_model.user_at(r) for r in range(win.users_model.rowCount())]
    win.open_path(folder)
    try:
        qtbot.waitUntil(lambda: win.users_model.user_at(0) == "user_0001" and win.users_model.rowCount() == 4,
                        timeout=20000)
        win.cancel_jobs()
    finally:
        release.set()
    qtbot.waitUntil(lambda: not win.busy, timeout=20000)
    assert [win.users_model.user_at(r) for r in range(win.users_model.rowCount())] == before
    assert win.state.dataset is not None and win.state.dataset.user_ids() == before
