"""Questions per scenario (docs/benchmark.md#questions): fields, kinds, ground truth, asked-when."""

from __future__ import annotations

import pytest

from tests.simulate import events as E
from workbench.simulate.questions import questions_for_event, truncate_dialogue


def by_field(event):
    return {q.field: q for q in questions_for_event(event)}


def test_video_fields_kinds_and_truth():
    qs = questions_for_event(E.video(play="20秒", duration=30, actions=("like", "follow")))
    assert [q.field for q in qs] == ["video_watch_seconds", "video_completed", "video_liked",
                                     "video_commented", "video_shared", "video_collected", "video_followed"]
    f = {q.field: q for q in qs}
    assert f["video_watch_seconds"].kind == "continuous" and f["video_watch_seconds"].true_value == 20.0
    assert f["video_watch_seconds"].video_duration == 30.0
    assert f["video_completed"].true_value == 0          # 20 < 30, no is_complete_play key
    assert (f["video_liked"].true_value, f["video_followed"].true_value, f["video_shared"].true_value) == (1, 1, 0)


def test_video_completed_rules():
    assert by_field(E.video(play=40, duration=30))["video_completed"].true_value == 1
    assert by_field(E.video(play=40, duration=30, complete=False))["video_completed"].true_value == 0
    assert by_field(E.video(play=5, duration=0, complete=True))["video_completed"].true_value == 1
    assert by_field(E.video(play=50, duration=0))["video_completed"].true_value == 0   # unknown duration
    ev = E.video(play=50, duration=30)
    ev["action"][0]["completed"] = True                                               # alias ignored
    del ev["action"][0]["play_duration"]
    f = by_field(ev)
    assert f["video_completed"].true_value == 0 and f["video_watch_seconds"].true_value == 0.0


def test_video_watch_seconds_ignores_watch_seconds_alias():
    ev = E.video()
    ev["action"][0] = {"type": "watch", "watch_seconds": 33}
    assert by_field(ev)["video_watch_seconds"].true_value == 0.0


def test_live_fields_and_clicked_cart_only_for_shop_live():
    acts = ({"type": "like", "like_cnt": 0}, {"type": "send_gift", "gift_amount": 0},
            {"type": "click_cart", "is_click_cart_action": True})
    f = by_field(E.live(play=125, shop=True, actions=acts))
    assert f["live_watch_seconds"].true_value == 125.0
    assert f["live_liked"].true_value == 1 and f["live_sent_gift"].true_value == 1   # presence, counts ignored
    assert f["live_clicked_cart"].true_value == 1
    assert "live_clicked_cart" not in by_field(E.live(shop=False, actions=acts))
    assert "live_clicked_cart" not in by_field(E.live(shop=None, actions=acts))
    f2 = by_field(E.live(actions=({"type": "click_cart", "is_click_cart_action": False},)))
    assert f2["live_clicked_cart"].true_value == 0


def test_ad_questions():
    only_complete = by_field(E.ad())
    assert only_complete["ad_watch_seconds"].true_value == 0.0          # watch with only is_complete_play
    no_watch = by_field(E.ad(actions=({"type": "conversion", "conversion_cnt": 1},)))
    assert "ad_watch_seconds" not in no_watch
    acts = ({"type": "watch", "watch_seconds": 7.5, "play_duration": 3}, {"type": "activation", "activation_cnt": 0},
            {"type": "submit", "form_submit_total_cnt": 2}, {"type": "like"})
    f = by_field(E.ad(actions=acts))
    assert f["ad_watch_seconds"].true_value == 7.5
    assert (f["ad_activated"].true_value, f["ad_form_submitted"].true_value, f["ad_liked"].true_value,
            f["ad_commented"].true_value) == (0, 1, 1, 0)
    assert set(f) == {"ad_watch_seconds", "ad_liked", "ad_commented", "ad_activated", "ad_form_submitted"}


def test_shop_booleans_not_presence():
    f = by_field(E.shop(cart=False, pay=False))
    assert (f["shop_added_to_cart"].true_value, f["shop_order_success"].true_value) == (0, 0)
    ev = E.shop(cart=True, pay=None)
    ev["action"].append({"type": "purchase", "paid": True})
    f = by_field(ev)
    assert (f["shop_added_to_cart"].true_value, f["shop_order_success"].true_value) == (1, 1)


def test_search_keyword_only_when_present():
    assert [(q.field, q.kind, q.true_value) for q in questions_for_event(E.search(keyword="小米"))] == \
        [("search_keyword", "text", "小米")]
    assert questions_for_event(E.search(keyword=None)) == []
    assert questions_for_event(E.search(keyword="")) == []
    # the benchmark tests the keyword's truthiness: a blank keyword is still asked
    assert [q.true_value for q in questions_for_event(E.search(keyword="  "))] == ["  "]


def test_next_user_message_target_and_context():
    (q,) = questions_for_event(E.service())
    assert q.field == "next_user_message" and q.kind == "text"
    assert q.true_value == "我的快递怎么还没到"                         # 评价 turn skipped
    assert [t["content"] for t in q.extra["dialogue_context"]] == ["你好在吗", "在的亲，请问有什么可以帮您"]
    assert q.extra["has_prior_user_speech"] is True and q.extra["has_dialogue_history"] is True
    first = questions_for_event(E.service(turns=[("user", "这个耳机有货吗"), ("user", "好"), ("user", "会话转移中")]))
    assert first[0].true_value == "这个耳机有货吗" and first[0].extra["has_dialogue_history"] is False
    assert questions_for_event(E.service(turns=[("user", "好的"), ("assistant", "您好")])) == []  # too short


def test_dialogue_truncation_newest_first():
    turns = [{"role": "user", "content": "字" * 100} for _ in range(10)]
    kept, omitted = truncate_dialogue(turns, max_tokens=400)      # each line costs int(1.5*100+0.65*5)=153
    assert len(kept) == 2 and omitted == 8 and kept == turns[-2:]


def test_unknown_scenario_and_bad_input():
    assert questions_for_event({"type": "Teleport", "timestamp": "x", "action": []}) == []
    with pytest.raises(TypeError):
        questions_for_event(["not", "a", "dict"])


def test_chinese_type_names_accepted():
    ev = E.video()
    ev["type"] = "视频浏览"
    assert questions_for_event(ev)[0].field == "video_watch_seconds"
