"""Fixtures for the main-window tests: fixed traces in tmp_path and a window factory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.data import write_traces


@pytest.fixture
def trace_path(tmp_path) -> Path:
    return write_traces(tmp_path / "traces")


@pytest.fixture
def make_window(qtbot, qapp):
    """Build MainWindow(s); each is closed (and its jobs waited for) at teardown."""
    from workbench.app.main_window import MainWindow
    from workbench.app.theme import apply_theme

    apply_theme(qapp)
    made = []

    def factory(**kwargs):
        win = MainWindow(**kwargs)
        qtbot.addWidget(win)
        made.append(win)
        return win

    yield factory
    for win in made:
        for job in list(win._jobs.values()):
            job.cancel()
            job.wait(10000)


def wait_loaded(qtbot, win, user: str, timeout: int = 20000) -> None:
    qtbot.waitUntil(lambda: win.track is not None and win.track.user_id == user and not win.busy, timeout=timeout)


def open_window(qtbot, make_window, path, user: str = "user_a", size=(1400, 860), **kwargs):
    win = make_window(**kwargs)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    win.open_path(path, user=user)
    wait_loaded(qtbot, win, user)
    return win
