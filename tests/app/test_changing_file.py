"""The window opening a big trace file (the streamed path, read from the file as it goes) that
another program cuts short while it loads: read again, or refused in the error banner naming the
file; the window never crashes (a memory-mapped read of the cut file killed the process)."""

from __future__ import annotations

import os

import pytest

from tests.traces.test_changing_big_file import _big
from workbench.traces import limits, stream


@pytest.mark.parametrize("times", ["once", "always"])
def test_a_big_file_cut_short_while_the_window_opens_it(qtbot, make_window, tmp_path, monkeypatch, times):
    f = _big(tmp_path / "big.json")
    monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)     # streamed from the file, as a big one is
    cuts: list[int] = []
    real = stream._history_arrays

    def cut_then_go_on(*args, **kwargs):                      # runs on the loading worker thread
        if times == "always" or not cuts:
            cuts.append(f.stat().st_size)
            os.truncate(f, cuts[-1] // 3)
        return real(*args, **kwargs)

    monkeypatch.setattr(stream, "_history_arrays", cut_then_go_on)
    win = make_window()
    win.show()
    win.open_path(f)
    if times == "once":
        qtbot.waitUntil(lambda: win.track is not None and not win.busy, timeout=30000)
        assert len(cuts) == 1 and 0 < win.users_model.rowCount() < 6 and win.source == f
    else:
        qtbot.waitUntil(lambda: bool(win.errors) and not win.busy, timeout=30000)
        text = win.error_banner.label.text()
        assert win.error_banner.isVisible() and "big.json" in text and "changed while it was read" in text
        assert len(cuts) == 2 and win.track is None
    assert win.isVisible()
