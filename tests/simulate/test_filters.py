"""Evaluation filter and sufficient context (docs/benchmark.md#event-filter)."""

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


def test_sufficient_context_live_strips_whitespace():
    """Sufficient context as the reference applies it: a whitespace-only title (or category) is no title."""
    ev = E.live(title="   ")
    del ev["context"]["live_category"]
    assert not has_sufficient_context(ev)
    ev["context"]["live_title"] = "\t\n"
    assert not has_sufficient_context(ev)
    ev["context"]["live_category"] = "  "
    assert not has_sufficient_context(ev)
    ev["context"]["live_category"] = " 游戏 "
    assert has_sufficient_context(ev)
    ev["context"]["live_category"] = None
    ev["context"]["live_title"] = " 晚间带货"
    assert has_sufficient_context(ev)


def test_sufficient_context_video_non_string_caption_is_empty():
    for caption in (None, 123, ["猫咪"], {"text": "猫咪"}, True):
        assert not has_sufficient_context(E.video(caption=caption)), caption
        assert has_sufficient_context(E.video(caption=caption, ocr="字幕")), caption
        assert has_sufficient_context(E.video(caption=caption, asr="说话")), caption
    assert has_sufficient_context(E.video(caption="猫咪"))
    assert not has_sufficient_context(E.video(caption=" \n", ocr="", asr=None))
