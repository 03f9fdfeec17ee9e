"""The OPeRA observation view: products, search term, page text, screenshot read on a worker."""

from __future__ import annotations

import pytest

from tests.traces import opera_fixture as F
from workbench.app.observation import (
    ObservationLoader,
    ObservationView,
    observation_html,
)
from workbench.traces.opera import load_opera
from workbench.traces.opera_observe import observe


@pytest.fixture
def ts(tmp_path):
    return load_opera(F.write_quirks(tmp_path), use_cache=False)


def test_head_html_escapes_and_lists(ts):
    obs = observe(ts, F.ALICE, 5)
    obs.products.append({"title": "<script>x</script>", "asin": "A", "price": "$1"})
    text = observation_html(obs)
    assert "rice cooker" in text and "B01L9SD3K0" in text and "(masked)" in text
    assert "Buy it, the price is good." in text and "<script>" not in text and "&lt;script&gt;" in text


def test_loader_fills_the_view_with_page_text_and_screenshot(qtbot, ts):
    view = ObservationView()
    qtbot.addWidget(view)
    loader = ObservationLoader(view)
    job = loader.load(ts, F.ALICE, 1)
    with qtbot.waitSignal(job.ended, timeout=10000):
        pass
    assert "Homepage" in view.page.toPlainText() and view.has_screenshot()
    assert view.tabs.tabText(1) == "Screenshot"
    job = loader.load(ts, F.ALICE, 2)   # a named screenshot that is not in the image table
    with qtbot.waitSignal(job.ended, timeout=10000):
        pass
    assert not view.has_screenshot() and "not in the image table" in view.image.text()
    assert view.tabs.tabText(1) == "Screenshot (none)"


def test_loader_reports_an_unreadable_file(qtbot, ts):
    (ts.tables.root / "action" / "train-00000-of-00001.parquet").write_bytes(b"gone")
    view = ObservationView()
    qtbot.addWidget(view)
    job = ObservationLoader(view).load(ts, F.ALICE, 3)
    with qtbot.waitSignal(job.ended, timeout=10000):
        pass
    assert "Could not read the page" in view.head.toPlainText()
    assert "train-00000-of-00001.parquet" in view.head.toPlainText()


def test_main_window_on_an_opera_folder(qtbot, make_window, tmp_path):
    from tests.app.conftest import open_window

    root = F.write_quirks(tmp_path / "data")
    win = open_window(qtbot, make_window, root, user=F.ALICE, restore=False, persist=False)
    tl = win.timeline
    assert tl.folded and len(tl.time_fold.folds) == 1           # two sessions six days apart
    assert tl.session_marks.fold_labels == ["⋯ 5 d 20 h ⋯"]
    assert tl.rationale_track.active and len(tl.rationale_track.texts) == 2
    win.select(1)                                                 # the search click with a screenshot
    qtbot.waitUntil(lambda: win.observation_view.has_screenshot(), timeout=10000)
    assert win.observation_view.isVisible() and "Homepage" in win.observation_view.page.toPlainText()
    win.toggle_session_fold()
    assert not tl.folded and tl.session_marks.fold_labels == []
    win.toggle_session_fold()
    assert tl.folded
    # back to an OmniBehavior source: no observation view, linear axis
    from tests.app.data import write_traces

    win.open_path(write_traces(tmp_path / "omni"), user="user_a")
    qtbot.waitUntil(lambda: win.track is not None and win.track.user_id == "user_a" and not win.busy, timeout=20000)
    win.select(int(win.track.ids[0]))
    assert not win.observation_view.isVisible() and tl.time_fold is None and not tl.rationale_track.active


def test_conversation_jsonl_reads_in_the_transcript_view(qtbot, make_window, tmp_path):
    import json

    from tests.app.conftest import open_window

    path = tmp_path / "dialogues.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in [
        {"id": "c1", "user_id": "u1", "user_side": "simulated", "timestamp": "2025-06-01T10:00:00Z",
         "task": "Return a blender", "turns": [{"role": "user", "content": "Thank you so much, you are wonderful!"},
                                                {"role": "assistant", "content": "Happy to help."}]},
        {"id": "c2", "user_id": "u1", "user_side": "real", "timestamp": "2025-06-03T10:00:00Z",
         "turns": [{"role": "user", "content": "The blender leaks again."}]},
    ]) + "\n", encoding="utf-8")
    win = open_window(qtbot, make_window, path, user="u1", restore=False, persist=False)
    win.select(0)
    view = win.inspector.transcript
    assert view is not None and view.isVisible()
    assert "Thank you so much, you are wonderful!" in view.toPlainText() and "Happy to help." in view.toPlainText()
    assert not win.observation_view.isVisible()
    text = win.inspector.plain_text()
    assert "user_side" in text and "simulated" in text and "Return a blender" in text
