"""Evaluation filter (PROTOCOL 2.4 B / 3.3) and sufficient context (2.4 A)."""

from __future__ import annotations

from tests.simulate import events as E
from workbench.simulate.filters import has_sufficient_context, is_filtered


def test_is_filtered_rules():
    assert not is_filtered(E.video())
    assert is_filtered(E.video(play=0))
    assert is_filtered(E.video(play="0秒")) and is_filtered(E.video(play="0"))
    assert not is_filtered(E.video(play="5秒"))
    assert is_filtered(E.ad(show=0)) and not is_filtered(E.ad(show=2))
    minimal = {"type": "Live Streaming", "timestamp": "t",
               "context": {"live_comment_cnt": 0, "live_like_cnt": 0}, "action": [{"type": "like"}]}
    assert is_filtered(minimal)
    minimal["context"]["live_like_cnt"] = 3
    assert not is_filtered(minimal)
    ws = E.ad(actions=({"type": "watch", "watch_seconds": 0},))
    assert is_filtered(ws)
    assert not is_filtered(E.search()) and not is_filtered(E.service())


def test_sufficient_context():
    assert has_sufficient_context(E.video(caption="x"))
    assert not has_sufficient_context(E.video(caption="", ocr=" ", asr=""))
    assert has_sufficient_context(E.video(caption="", asr="说话"))
    no_title = E.live()
    del no_title["context"]["live_title"]
    assert has_sufficient_context(no_title)
    del no_title["context"]["live_category"]
    assert not has_sufficient_context(no_title)
    assert has_sufficient_context(E.search()) and has_sufficient_context(E.service())
