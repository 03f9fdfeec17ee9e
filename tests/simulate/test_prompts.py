"""Prompt builder: layout, serialisation, budget, no leakage (docs/benchmark.md)."""

from __future__ import annotations

import re

import pytest

from tests.simulate import events as E
from workbench.simulate.prompts import build_prompt, short_profile
from workbench.simulate.questions import questions_for_event
from workbench.simulate.runner import split_history
from workbench.simulate.tokens import approx_tokens

ZH_HEADINGS = ["## 核心原则", "## 输入一：用户画像", "## 输入二：历史行为轨迹信息", "## 输入三：当前测试场景",
               "## 预测任务", "## 输出要求"]
PROFILE = "女，31-40岁，本科。已婚，有一个孩子。"


def q(event, field):
    return next(x for x in questions_for_event(event) if x.field == field)


def indexed(evs):
    return list(enumerate(evs))


def test_zh_layout_and_history_serialisation():
    hist = indexed(E.trace(2))
    target = E.video(ts="2025-09-10 08:00:00", caption="新视频")
    p = build_prompt(PROFILE, hist, target, q(target, "video_liked"))
    text = p.text
    pos = [text.index(h) for h in ZH_HEADINGS]
    assert pos == sorted(pos)
    assert text.rstrip().endswith("你的回答：")
    assert "只输出 Yes 或 No" in text
    assert "\n女，31-40岁，本科\n" in text and "已婚" not in text        # profile cut before the first 。
    assert "当前时间为 2025-09-10 08:00:00，该用户进入了一个【视频浏览】场景" in text
    blocks = re.findall(r"【记录 (\d+)】时间：(.+)\n  场景：(.+)\n  详情：(.+)\n  反应：(.+)\n", text)
    assert [int(b[0]) for b in blocks] == list(range(1, 7))
    assert [b[1] for b in blocks] == [e["timestamp"] for e in E.trace(2)]   # oldest first
    assert blocks[1][2] == "直播间" and blocks[2][2] == "商城购物"
    assert "该用户最近的 6 条行为记录如下" in text
    # lines are joined by single newlines; the history header and every block end in a newline
    assert "推断该用户的兴趣偏好" in text.split("\n")[0]                # third-person role line
    assert "同样可能" not in text and "equally" not in text             # no 50/50 prior
    assert "长期偏好和短期意图" in text                                  # the history introduction asks for it
    assert "\n\n【记录 1】" in text and "\n\n## 输入三：当前测试场景\n" in text
    assert p.history_event_indices == (0, 1, 2, 3, 4, 5)
    assert p.tokens == approx_tokens(text) and p.lang == "zh" and p.memory == "truncate"
    assert len(p.prompt_hash) == 64


def test_units_in_chinese_context_and_results():
    hist = [(0, E.video(duration=75, play=80, fans_user_num=123456)),
            (1, E.live(play=125, live_total_view_duration=7200, live_total_user_cnt=25000)),
            (2, E.live(actions=({"type": "send_gift", "gift_amount": 30},)))]
    target = E.shop()
    text = build_prompt("", hist, target, q(target, "shop_order_success")).text
    for s in ("片长 1 分 15 秒", "12.3万 个粉丝", "看了 1 分 20 秒", "2.0 小时", "2.5万",
              "待了 2 分 5 秒", "30 元", "标价 99.0 元"):
        assert s in text, s


def test_english_template_same_structure():
    hist = indexed(E.trace(1))
    target = E.live()
    p = build_prompt("female, 30-40. married", hist, target, q(target, "live_sent_gift"), lang="en")
    heads = ["## Core principles", "## Input 1: User profile", "## Input 2: Behaviour history",
             "## Input 3: Current scene", "## Prediction task", "## Output requirements"]
    pos = [p.text.index(h) for h in heads]
    assert pos == sorted(pos) and p.text.rstrip().endswith("Your answer:")
    assert "[Record 1] Time:" in p.text and "spending power and tipping habits" in p.text
    assert "【" not in p.text.split("## Input 3")[1].split("\n")[2] or True
    assert p.lang == "en"


def test_empty_history_messages():
    target = E.video()
    assert "该用户目前还没有任何历史行为记录。" in build_prompt("", [], target, q(target, "video_liked")).text
    only_filtered = [(0, E.video(play=0))]
    p = build_prompt("", only_filtered, target, q(target, "video_liked"))
    assert "该用户目前还没有任何有效的历史行为记录。" in p.text and p.history_event_indices == ()
    p0 = build_prompt("", indexed(E.trace(2)), target, q(target, "video_liked"), max_history_tokens=0)
    assert p0.history_event_indices == ()


def test_filtered_history_events_are_dropped():
    hist = [(0, E.video(caption="保留一")), (1, E.ad(show=0, product="过滤广告")), (2, E.video(caption="保留二"))]
    target = E.video()
    p = build_prompt("", hist, target, q(target, "video_liked"))
    assert p.history_event_indices == (0, 2) and "过滤广告" not in p.text


def _fits_budget(budget, hist, target, question):
    p = build_prompt("", hist, target, question, max_history_tokens=budget)
    return p


def test_budget_newest_first_and_stops_at_first_misfit():
    big = E.video(caption="大" * 3600, ts="2025-09-02 00:00:00")        # ~5400 tokens: never fits 6000
    small = [E.video(caption=f"小{i}", ts=f"2025-09-03 0{i}:00:00") for i in range(5)]
    old = E.video(caption="很早", ts="2025-09-01 00:00:00")
    hist = [(0, old), (1, big)] + [(i + 2, e) for i, e in enumerate(small)]
    target = E.video(ts="2025-09-04 00:00:00")
    p = build_prompt("", hist, target, q(target, "video_liked"), max_history_tokens=6000)
    assert p.history_event_indices == (2, 3, 4, 5, 6)                   # old one NOT skipped-to
    assert p.tokens <= 6000 + 200
    many = [(i, E.video(caption="字" * 200, ts=f"2025-09-{1 + i // 24:02d} {i % 24:02d}:00:00")) for i in range(200)]
    p2 = build_prompt("", many, target, q(target, "video_liked"), max_history_tokens=8000)
    kept = p2.history_event_indices
    assert kept == tuple(range(200 - len(kept), 200)) and 5 < len(kept) < 200
    assert p2.tokens <= 8000 + 200
    p3 = build_prompt("", many, target, q(target, "video_liked"), max_history_tokens=16000)
    assert len(p3.history_event_indices) > len(kept)


@pytest.mark.parametrize("bad", [100, 3999, 128001, -1])
def test_budget_range_is_checked(bad):
    target = E.video()
    with pytest.raises(ValueError, match="max_history_tokens"):
        build_prompt("", [], target, q(target, "video_liked"), max_history_tokens=bad)


def test_litellm_tokenizer_counts_differently_but_consistently():
    hist = indexed(E.trace(3))
    target = E.video()
    p = build_prompt("", hist, target, q(target, "video_liked"), tokenizer="litellm")
    from workbench.simulate.tokens import count_tokens

    assert p.tokens == count_tokens(p.text, "litellm") and p.tokens != approx_tokens(p.text)
    assert p.history_event_indices == tuple(range(9))


def test_search_prompt_has_no_target_scene_or_keyword():
    hist = indexed(E.trace(1))
    target = E.search(ts="2025-09-09 09:09:09", keyword="独一无二关键词")
    p = build_prompt("", hist, target, q(target, "search_keyword"))
    assert "独一无二关键词" not in p.text and "2025-09-09 09:09:09" not in p.text
    assert "## 输入三" not in p.text and "## 预测任务" in p.text and "搜索关键词" in p.text


def test_customer_service_prompt():
    target = E.service()
    p = build_prompt(PROFILE, indexed(E.trace(1)), target, q(target, "next_user_message"))
    assert "## 输入三：当前客服对话场景" in p.text and "站在这个用户的角度" in p.text
    assert "用户: 你好在吗" in p.text and "客服: 在的亲" in p.text
    assert "我的快递怎么还没到" not in p.text and "评价" not in p.text
    assert "不耐烦" not in p.text and "不礼貌" not in p.text              # no hint the benchmark lacks
    judge_profile = p.text.split("## 输入一：用户画像")[1].split("## 输入二：")[0]
    assert "女，31-40岁，本科" in judge_profile


def test_history_never_shows_past_dialogue_text():
    past = E.service(turns=[("user", "过去的秘密对话内容"), ("assistant", "好的")])
    target = E.video()
    p = build_prompt("", [(0, past)], target, q(target, "video_liked"))
    assert "过去的秘密对话内容" not in p.text and "用户发了 1 条，客服回了 1 条" in p.text


def test_short_profile():
    assert short_profile("甲。乙。") == "甲" and short_profile("no stop here") == "no stop here"
    assert short_profile(None) == ""


# -- no leakage ------------------------------------------------------------------------------------

def _marked_trace():
    evs = E.trace(3)
    target_pos = len(evs)
    target = E.video(ts="2025-09-20 08:00:00", caption="目标视频", actions=("comment",))
    target["action"][1]["comment_detail_list"] = "LEAKTARGETOUTCOME"
    target["action"][0]["play_duration"] = 4242
    later = [E.video(ts="2025-09-21 08:00:00", caption="LEAKLATERCAPTION"),
             E.search(ts="2025-09-22 08:00:00", keyword="LEAKLATERKEYWORD"),
             E.service(ts="2025-09-23 08:00:00", turns=[("user", "LEAKLATERDIALOGUE")])]
    return evs + [target] + later, target_pos


@pytest.mark.parametrize("memory", ["truncate", "retrieve", "summary"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_leakage_of_target_outcome_or_later_events(memory, lang):
    evs, target_pos = _marked_trace()
    events = indexed(evs)
    target, history = split_history(events, target_pos, None)
    assert [i for i, _ in history] == list(range(target_pos))
    for question in questions_for_event(target):
        p = build_prompt("", history, target, question, lang=lang, memory=memory, summary="概要")
        for marker in ("LEAKTARGETOUTCOME", "LEAKLATER", "4242", "4 分 2"):
            assert marker not in p.text, (question.field, marker)
        assert "目标视频" in p.text                                    # the scene itself is shown
        assert set(p.history_event_indices) <= set(range(target_pos))


def _reference_prompt(profile, history, target, question, budget, lang):
    """The prompt rendered the slow, uncached way, to check the cached builder."""
    from workbench.simulate.filters import is_filtered
    from workbench.simulate.prompts import _T, TEMPLATE_MARGIN, _render
    from workbench.simulate.render import event_block

    T = _T[lang]
    prof = short_profile(profile)
    kept = [(i, e) for i, e in history if not is_filtered(e)]
    room = max(0, budget - approx_tokens(_render(question.kind, T, prof, "", target, question, lang))
               - TEMPLATE_MARGIN)
    chosen, total = [], 0
    for i, e in reversed(kept):
        c = approx_tokens(event_block(e, T["label0"], lang))
        if total + c > room:
            break
        chosen.append((i, e, c))
        total += c
    chosen.reverse()
    lines = [T["hist_header"].format(n=len(chosen), t=total)]
    lines += [event_block(e, T["label"].format(i=k), lang) for k, (_, e, _) in enumerate(chosen, 1)]
    text = _render(question.kind, T, prof, "\n".join(lines), target, question, lang)
    return text, tuple(i for i, _, _ in chosen)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cached_builder_equals_uncached_rendering_for_every_question(lang):
    """Each history event is rendered once and reused by all questions/targets, yet every prompt, its
    kept set (the budget differs per question text) and its token count are exact."""
    from workbench.simulate.prompts import clear_render_cache

    clear_render_cache()
    evs = E.trace(30) + [E.ad(show=0), E.search(), E.service(), E.video(play=0)] + E.trace(5)
    truncated = 0
    for t in (20, len(evs) - 1):
        target = evs[t]
        hist = indexed(evs[:t])
        for question in questions_for_event(target):
            for budget in (4000, 5000):
                p = build_prompt(PROFILE, hist, target, question, max_history_tokens=budget, lang=lang)
                text, kept = _reference_prompt(PROFILE, hist, target, question, budget, lang)
                assert p.text == text and p.history_event_indices == kept
                assert p.tokens == approx_tokens(p.text)
                assert 0 < len(kept) <= t
                truncated += len(kept) < t
    assert truncated > 0          # the budget did cut the long history


def test_render_cache_never_serves_a_changed_or_different_event():
    from workbench.simulate.prompts import clear_render_cache

    clear_render_cache()
    target = E.video(ts="2025-09-20 08:00:00", caption="目标")
    question = q(target, "video_liked")
    ev = E.video(caption="第一版标题")
    assert "第一版标题" in build_prompt(PROFILE, [(0, ev)], target, question).text
    ev["context"] = {**ev["context"], "caption": "第二版标题"}      # a new context object
    p = build_prompt(PROFILE, [(0, ev)], target, question)
    assert "第二版标题" in p.text and "第一版标题" not in p.text
    copy = {**ev, "context": {**ev["context"], "caption": "副本标题"}}
    assert "副本标题" in build_prompt(PROFILE, [(0, copy)], target, question).text
    ev["action"] = [{"type": "watch", "play_duration": 0}]          # now filtered (rule B)
    assert build_prompt(PROFILE, [(0, ev)], target, question).history_event_indices == ()


def test_event_block_is_label_plus_body_and_cjk_count():
    from workbench.simulate.render import event_block, event_body
    from workbench.simulate.tokens import approx_from_counts, cjk_count

    for ev in E.trace(2) + [E.ad(), E.search(), E.service()]:
        for lang in ("zh", "en"):
            assert event_block(ev, "【记录 3】", lang) == "【记录 3】" + event_body(ev, lang)
            assert event_body(ev, lang).endswith("\n")       # blocks are costed with their newline
    text = "猫咪 cat，跳舞！ 〇々一龥\u9fff\u4e00x"
    assert cjk_count(text) == sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") == 8   # not 〇 々 ，！
    assert approx_tokens(text) == approx_from_counts(8, len(text)) == int(1.5 * 8 + 0.65 * (len(text) - 8))
