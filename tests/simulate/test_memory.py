"""Memory strategies: recency truncation, BM25 retrieval, summary."""

from __future__ import annotations

from tests.simulate import events as E
from workbench.simulate import memory as mem
from workbench.simulate.prompts import build_prompt, summary_covers, summary_input
from workbench.simulate.questions import questions_for_event


def q(event, field):
    return next(x for x in questions_for_event(event) if x.field == field)


def test_tokenize_chinese_chars_bigrams_and_english_words():
    toks = mem.tokenize("猫咪跳舞 Cat DANCE 2025")
    assert {"猫", "咪", "猫咪", "咪跳", "跳舞"} <= set(toks)
    assert {"cat", "dance", "2025"} <= set(toks)


def test_bm25_prefers_matching_document():
    docs = ["这是一个关于钓鱼装备的视频", "美食做饭教程", "钓鱼竿 鱼线 海钓", "游戏直播"]
    scores = mem.bm25_scores(docs, "海钓 钓鱼竿 推荐")
    assert scores.index(max(scores)) == 2 and scores[1] == 0
    assert mem.bm25_scores([], "x") == [] and mem.bm25_scores(["a"], "") == [0.0]


def _long_history():
    hist = []
    for i in range(120):
        caption = "海钓装备 钓鱼竿 鱼线 测评" if i == 7 else f"家常菜做法第{i}集" + "菜" * 150
        hist.append((i, E.video(caption=caption, ts=f"2025-09-{1 + i // 10:02d} {i % 10:02d}:00:00")))
    return hist


def test_retrieve_adds_relevant_old_event_plus_recent_ones_in_time_order():
    hist = _long_history()
    target = E.video(caption="新款钓鱼竿海钓装备开箱", ts="2025-09-30 08:00:00")
    trunc = build_prompt("", hist, target, q(target, "video_liked"), max_history_tokens=8000)
    retr = build_prompt("", hist, target, q(target, "video_liked"), max_history_tokens=8000, memory="retrieve")
    assert 7 not in trunc.history_event_indices
    assert 7 in retr.history_event_indices and retr.memory == "retrieve"
    assert 119 in retr.history_event_indices and 118 in retr.history_event_indices
    assert list(retr.history_event_indices) == sorted(retr.history_event_indices)
    assert retr.tokens <= 8000 + 200
    # rendered in time order: the fishing event (oldest chosen) is block 1
    assert retr.text.index("海钓装备 钓鱼竿") < retr.text.index("家常菜做法第119集")


def test_summary_keeps_recent_verbatim_and_records_summarised_events():
    hist = _long_history()
    target = E.video(ts="2025-09-30 08:00:00")
    question = q(target, "video_liked")
    older = summary_covers("", hist, target, question, max_history_tokens=8000)
    covers = [i for i, _ in older]
    assert covers and covers == list(range(len(covers)))           # the oldest events
    p = build_prompt("", hist, target, question, max_history_tokens=8000, memory="summary",
                     summary="这位用户爱看家常菜。", summary_covers=covers)
    assert p.memory == "summary" and p.summarized_event_indices == tuple(covers)
    assert not set(p.history_event_indices) & set(covers)
    assert p.history_event_indices[-1] == 119
    assert "【更早历史的行为概要】" in p.text and "这位用户爱看家常菜。" in p.text
    assert p.text.index("这位用户爱看家常菜。") < p.text.index("【记录 1】")
    plain = build_prompt("", hist, target, question, max_history_tokens=8000, memory="summary")
    assert "未提供概要" in plain.text
    request = summary_input(older, "zh", 4000)
    assert request.rstrip().endswith("行为概要：") and "【记录 1】时间：" in request
    assert "家常菜做法第119集" not in request                     # only the older events


def test_short_history_needs_no_summary():
    hist = [(0, E.video()), (1, E.shop())]
    target = E.video()
    p = build_prompt("", hist, target, q(target, "video_liked"), memory="summary")
    assert p.summarized_event_indices == () and p.history_event_indices == (0, 1)
    assert "概要" not in p.text
