"""Every numeric fact the benchmark states about an event appears in our text, for every action type
of every scenario, in both languages; the benchmark's quirks are reproduced (docs/benchmark.md#one-events-text)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from workbench.simulate.render import context_text, event_body, result_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ZH = {"Video Browsing": "视频浏览", "Live Streaming": "直播间", "E-commerce": "商城购物",
      "Advertisement": "广告推荐", "Customer Service": "电商客服对话", "Search Behavior": "搜索行为"}
NUMERIC = {"duration", "fans_user_num", "show_cnt", "play_cnt", "complete_play_cnt", "like_cnt", "comment_cnt",
           "share_cnt", "collect_cnt", "download_cnt", "follow_cnt", "report_cnt", "reduce_similar_cnt",
           "item_price", "item_num_180d_sales", "item_num_good_assess", "item_num_180d_buyer",
           "item_num_180d_rebuyer", "item_num_180d_cart", "live_total_user_cnt", "live_total_view_cnt",
           "live_total_view_duration", "live_like_cnt", "live_comment_cnt"}

# One event per scenario carrying every action type the benchmark renders, with every attribute.
EVERY_ACTION = [
    {"type": "Video Browsing", "timestamp": "2025-10-02 10:00:00",
     "context": {"caption": "猫", "duration": 125, "fans_user_num": 12345, "is_verified": True,
                 "verification_type": "个人", "show_cnt": 1001, "play_cnt": 802, "complete_play_cnt": 303,
                 "like_cnt": 44, "comment_cnt": 5, "share_cnt": 6, "collect_cnt": 7, "download_cnt": 8,
                 "follow_cnt": 9, "ocr": "字", "asr": "话", "upload_timestamp": "2025-09-01 08:00:00"},
     "action": [{"type": "watch", "play_duration": 95, "played_loop_cnt": 3, "is_complete_play": True,
                 "is_fast_forward_play": True, "is_backward_play": True, "is_enlarge_play": True},
                {"type": "like"}, {"type": "comment", "comment_detail_list": "好", "comment_stay_duration": 17,
                                   "is_at_friend_in_comment": True},
                {"type": "share", "share_cnt": 2}, {"type": "collect", "collect_cnt": 4},
                {"type": "download", "download_cnt": 11}, {"type": "follow"},
                {"type": "unfollow", "is_unfollow_action": True}, {"type": "dislike", "reduce_similar_cnt": 1},
                {"type": "report", "report_cnt": 1}]},
    {"type": "Live Streaming", "timestamp": "2025-10-02 20:00:00",
     "context": {"live_title": "卖货", "live_category": "Other", "live_game_name": "棋", "is_shop_live": True,
                 "live_total_user_cnt": 25000, "live_total_view_cnt": 999, "live_total_view_duration": 7200,
                 "live_like_cnt": 31000, "live_comment_cnt": 77, "live_cover_content": "封面",
                 "items": [{"title": "锅", "price": 59.9}, {"title": "碗", "price": ""}]},
     "action": [{"type": "watch", "play_duration": 61, "play_count": 2}, {"type": "like", "like_cnt": 20000},
                {"type": "comment", "comment_cnt": 12, "comment_content": ["a", "b", "c", "d"]},
                {"type": "send_gift", "gift_amount": 13}, {"type": "follow", "is_follow_action": True},
                {"type": "unfollow", "is_unfollow_action": True}, {"type": "share", "share_cnt": 3},
                {"type": "dislike", "report_cnt": 1, "reduce_simliar_cnt": 1},
                {"type": "click_cart", "is_click_cart_action": True, "item_title": "锅", "item_price": 59.9},
                {"type": "join_group", "join_fans_group_cnt": 4}]},
    {"type": "E-commerce", "timestamp": "2025-10-02 21:00:00",
     "context": {"item_title": "耳机", "item_desc": "好用", "product_source": "Buyer's Homepage",
                 "item_price": 29.0, "category_level1_name": "数码", "category_level2_name": "音频",
                 "industry_level1_name": "电子", "item_num_180d_sales": 12345, "item_num_good_assess": 678,
                 "item_num_180d_buyer": 90, "item_num_180d_rebuyer": 12, "item_num_180d_cart": 34},
     "action": [{"type": "cart", "is_add_to_cart": True}, {"type": "purchase", "is_pay": True}]},
    {"type": "Advertisement", "timestamp": "2025-10-03",
     "context": {"product": "手游", "industry_main": "游戏", "industry_sub": "棋牌", "is_verified": True,
                 "verification_type": "企业", "fans_user_num": 4321, "caption": "来玩", "photo_type": "VIDEO",
                 "duration": 120, "upload_timestamp": "2025-09-01", "show_cnt": 3, "play_cnt": 2,
                 "complete_play_cnt": 1, "like_cnt": 15, "comment_cnt": 16, "share_cnt": 17, "collect_cnt": 18,
                 "download_cnt": 19, "follow_cnt": 21, "report_cnt": 22, "reduce_similar_cnt": 23,
                 "ocr_text": "图", "asr_text": "声"},
     "action": [{"type": "watch", "watch_seconds": 12.34, "played_loop_cnt": 2, "is_complete_play": True},
                {"type": "like", "like_cnt": 5}, {"type": "comment"}, {"type": "share", "share_cnt": 6},
                {"type": "conversion", "conversion_cnt": 7}, {"type": "activation", "activation_cnt": 8},
                {"type": "purchase", "pay_cnt": 9, "pay_purchase_amt": 99.5},
                {"type": "submit", "form_submit_total_cnt": 2}, {"type": "follow"}, {"type": "unfollow"},
                {"type": "dislike", "report_cnt": 1}, {"type": "click"}]},
    {"type": "Search Behavior", "timestamp": "2025-10-04 07:00:00",
     "action": [{"type": "search", "keyword": "小米", "query_category": "浏览型"},
                {"type": "show", "show_cnt": 20}, {"type": "click", "click_cnt": 3}]},
    {"type": "Customer Service", "timestamp": "2025-10-05 10:00:00",
     "context": {"ticket_category": "物流", "product_name": "耳机", "product_category_info": "数码",
                 "item_price": 99, "item_qty": 2.0, "express_fee": "6", "pay_order_time": "2025-10-01 09:00:00"},
     "action": [{"type": "dialogue", "content": [{"role": "user", "content": "在吗"},
                                                 {"role": "assistant", "content": "在"},
                                                 {"role": "user", "content": "快递呢"}]},
                {"type": "purchase", "paid": True}]},
]


def _num(v: Any) -> Any:
    """Leading-number coercion of a string (as the renderer coerces numeric context keys)."""
    if isinstance(v, str):
        m = re.match(r"^\s*(\d+\.?\d*)", v)
        if m:
            return float(m.group(1)) if "." in m.group(1) else int(m.group(1))
    return v


def _isnum(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _big(v: Any) -> str:
    return f"{v / 10000:.1f}" if _isnum(v) and v >= 10000 else str(v)


def _mins(sec: float, short: bool = True) -> list[str]:
    m, s = int(sec // 60), int(sec % 60)
    return [f"{m} "] + ([f" {s} "] if s or not short else [])


def expected_facts(ev: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(description, number text) for every number the benchmark states about ``ev``."""
    sc = ev.get("type", "").strip()
    sc = next((k for k in ZH if k.lower() == sc.lower() or ZH[k] == sc), sc)
    raw_ctx = ev.get("context") if isinstance(ev.get("context"), dict) else {}
    c = {k: (_num(v) if k in NUMERIC else v) for k, v in raw_ctx.items()}
    acts = [a for a in ev.get("action") or [] if isinstance(a, dict)]
    if sc == "Video Browsing":
        if _isnum(c.get("fans_user_num")) and c["fans_user_num"] > 0:
            yield "fans", _big(c["fans_user_num"])
        if _isnum(c.get("duration")) and c["duration"]:
            for piece in _mins(int(c["duration"]), short=False) if c["duration"] >= 60 else [f"{int(c['duration'])} "]:
                yield "duration", piece
        for k in ("show_cnt", "play_cnt", "complete_play_cnt", "like_cnt", "comment_cnt", "share_cnt",
                  "collect_cnt", "download_cnt", "follow_cnt"):
            if _isnum(c.get(k)) and c[k] > 0:
                yield k, str(c[k])
        for a in acts:
            if a.get("type") == "watch":
                d = a.get("play_duration")
                if isinstance(d, str):
                    yield "play_duration", d
                elif _isnum(d):
                    for piece in (_mins(d) if d >= 60 else [str(int(d)) if d == int(d) else f"{d:.1f}"]):
                        yield "play_duration", piece
                elif _isnum(a.get("watch_seconds")) and a["watch_seconds"] >= 60:
                    for piece in _mins(a["watch_seconds"]):
                        yield "watch_seconds", piece
                if a.get("played_loop_cnt"):
                    yield "loops", str(a["played_loop_cnt"])
            for k in ("comment_stay_duration", "share_cnt", "collect_cnt", "download_cnt"):
                if a.get(k) and a.get("type") in ("comment", "share", "collect", "download"):
                    yield k, str(a[k])
    elif sc == "Live Streaming":
        for k in ("live_total_user_cnt", "live_total_view_cnt"):
            if c.get(k):
                yield k, _big(c[k])
        secs = c.get("live_total_view_duration")
        if secs and _isnum(secs):
            h = secs / 3600
            yield "view hours", (f"{h / 10000:.1f}" if h >= 10000 else f"{h:.1f}" if h >= 1 else f"{secs / 60:.0f}")
        for k in ("live_like_cnt", "live_comment_cnt"):
            if _isnum(c.get(k)) and c[k] > 0:
                yield k, _big(c[k])
        for it in c.get("items") or []:
            if isinstance(it, dict) and it.get("title") and it.get("price"):
                yield "item price", str(it["price"])
        for a in acts:
            t = a.get("type")
            if t == "watch":
                s = _num(a.get("play_duration", 0))
                s = float(s) if _isnum(s) else 0.0
                if s > 0:
                    for piece in (_mins(s) if s >= 60 else [f"{int(s)} "]):
                        yield "stay", piece
                if a.get("play_count"):
                    yield "entries", str(a["play_count"])
            elif t == "like" and a.get("like_cnt"):
                yield "likes", _big(a["like_cnt"])
            elif t == "comment" and a.get("comment_cnt"):
                yield "comments", str(a["comment_cnt"])
            elif t == "send_gift" and a.get("gift_amount"):
                yield "gift", str(a["gift_amount"])
            elif t == "share" and a.get("share_cnt"):
                yield "shares", str(a["share_cnt"])
            elif t == "click_cart" and a.get("is_click_cart_action") and a.get("item_title") and a.get("item_price"):
                yield "cart price", str(a["item_price"])
            elif t == "join_group" and a.get("join_fans_group_cnt"):
                yield "fan group", str(a["join_fans_group_cnt"])
    elif sc == "E-commerce":
        if _isnum(c.get("item_price")) and c["item_price"] > 0:
            yield "price", str(c["item_price"])
        for k in ("item_num_180d_sales", "item_num_good_assess", "item_num_180d_buyer", "item_num_180d_rebuyer",
                  "item_num_180d_cart"):
            if _isnum(c.get(k)) and c[k] > 0:
                yield k, _big(c[k])
    elif sc == "Advertisement":
        if c.get("fans_user_num"):
            yield "fans", str(c["fans_user_num"])
        if _isnum(c.get("duration")) and c["duration"]:
            d = int(c["duration"])
            for piece in (_mins(d) if d >= 60 else [f"{d} "]):
                yield "duration", piece
        for k in ("show_cnt", "play_cnt", "complete_play_cnt", "like_cnt", "comment_cnt", "share_cnt",
                  "collect_cnt", "download_cnt", "follow_cnt", "report_cnt", "reduce_similar_cnt"):
            if _isnum(c.get(k)) and c[k] > 0:
                yield k, str(c[k])
        for a in acts:
            t = a.get("type")
            if t == "watch":
                w = a.get("watch_seconds", _num(a.get("play_duration", 0)) if "play_duration" in a else 0)
                if _isnum(w) and w > 0:
                    yield "watched", f"{w:.1f}"
                if a.get("played_loop_cnt"):
                    yield "loops", str(a["played_loop_cnt"])
            for k, types in (("like_cnt", ("like",)), ("share_cnt", ("share",)), ("conversion_cnt", ("conversion",)),
                             ("activation_cnt", ("activation",)), ("pay_cnt", ("purchase",)),
                             ("pay_purchase_amt", ("purchase",)), ("form_submit_total_cnt", ("submit",))):
                if t in types and a.get(k):
                    yield k, str(a[k])
    elif sc == "Search Behavior":
        for a in acts:
            if a.get("type") == "show" and a.get("show_cnt"):
                yield "shown", str(a["show_cnt"])
            if a.get("type") == "click" and a.get("click_cnt"):
                yield "clicks", str(a["click_cnt"])
    elif sc == "Customer Service":
        if c.get("item_price"):
            yield "unit price", str(c["item_price"])
        q = c.get("item_qty")
        if q:
            yield "quantity", str(int(q) if _isnum(q) and q == int(q) else q)
        try:
            fee = float(c.get("express_fee") or 0)
        except (TypeError, ValueError):
            fee = 0.0
        if fee > 0:
            yield "shipping", str(fee)
        for a in acts:
            turns = a.get("content") if a.get("type") == "dialogue" else None
            if turns and isinstance(turns, list):
                yield "user turns", str(sum(1 for x in turns if isinstance(x, dict) and x.get("role") == "user"))
                yield "agent turns", str(sum(1 for x in turns if isinstance(x, dict) and x.get("role") == "assistant"))


def _carried(number: str, text: str) -> bool:
    """``number`` stands in ``text`` as a whole number (not as part of a longer one)."""
    n = number.strip()
    return bool(n) and re.search(rf"(?<![\d.]){re.escape(n)}(?!\d|\.\d)", text) is not None


def _fixture_events() -> list[tuple[str, dict[str, Any]]]:
    out = [(f"every-action {e['type']}", e) for e in EVERY_ACTION]
    for name in ("quirks_en.json", "quirks_zh.json"):
        data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        for uid, rec in data.items():
            for i, e in enumerate(rec.get("action_history") or []):
                if isinstance(e, dict):
                    out.append((f"{name} {uid} #{i}", e))
    return out


EVENTS = _fixture_events()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_numeric_fact_appears(lang):
    carried = missing = 0
    for where, ev in EVENTS:
        text = event_body(ev, lang)
        for what, number in expected_facts(ev):
            if _carried(number, text):
                carried += 1
            else:
                missing += 1
                pytest.fail(f"{where}: {what} {number!r} missing from:\n{text}")
    assert carried > 120 and missing == 0


def test_every_action_type_of_every_scenario_is_covered():
    from workbench.traces.schema import ACTION_TYPES

    seen = {a["type"] for e in EVERY_ACTION for a in e["action"]}
    assert set(ACTION_TYPES) <= seen


def test_the_benchmarks_quirks():
    video = {"type": "Video Browsing", "context": {"caption": "x"},
             "action": [{"type": "watch", "watch_seconds": 45}]}
    assert "45" not in result_text(video)                                  # under a minute: hidden
    video["action"][0]["watch_seconds"] = 90
    assert "1 分 30 秒" in result_text(video)
    search = {"type": "Search Behavior", "action": [{"type": "click", "click_cnt": 0}]}
    assert result_text(search) == "点开了搜索结果"                          # zero clicks read as a click
    live = {"type": "Live Streaming", "context": {"live_title": "t"},
            "action": [{"type": "dislike", "reduce_similar_cnt": 1}]}
    assert result_text(live) == "只是看了看，没有别的操作"                   # only the misspelt key counts
    cart = {"type": "Live Streaming", "context": {},
            "action": [{"type": "click_cart", "is_click_cart_action": True, "item_title": "锅"}]}
    assert "加入购物车" in result_text(cart)                               # added, not "opened the cart"
    ad = {"type": "Advertisement", "context": {"product": "p"},
          "action": [{"type": "conversion", "conversion_cnt": 2}, {"type": "unfollow"}]}
    assert "点开广告后转化了 2 次" in result_text(ad) and "取消关注" in result_text(ad)
    ad_ocr = {"type": "Advertisement", "context": {"ocr_text": "字" * 10005}}
    assert "字" * 10000 + "。" in context_text(ad_ocr) and "..." not in context_text(ad_ocr)
    vid_ocr = {"type": "Video Browsing", "context": {"ocr": "字" * 10005}}
    assert "字" * 10000 + "...。" in context_text(vid_ocr)
    shop = {"type": "E-commerce", "context": {"item_title": "t", "item_price": 29.0}}
    assert "29.0" in context_text(shop)                                      # numbers as the data holds them
    svc = {"type": "Customer Service", "context": {"express_fee": "6", "item_qty": 2.0}}
    assert "运费 6.0 元" in context_text(svc) and "数量 2 件" in context_text(svc)
    assert context_text({"type": "Customer Service", "context": {}}) == "一次与客服的对话。"
    paid_alias = {"type": "Customer Service", "action": [{"type": "purchase", "is_pay": True}]}
    assert result_text(paid_alias) == "最后没有付款"                       # only "paid" counts there
    target_search = {"type": "Search Behavior", "action": [{"type": "search", "keyword": "秘密"}]}
    assert "秘密" not in context_text(target_search, is_target=True)


def test_facts_carried_per_scenario_report():
    """The measurement the docs quote: facts per scenario over the fixtures and the every-action events."""
    per: dict[str, list[int]] = {}
    for _, ev in EVENTS:
        text = event_body(ev, "zh")
        facts = list(expected_facts(ev))
        row = per.setdefault(str(ev.get("type")).strip().lower(), [0, 0])
        row[0] += sum(1 for _, n in facts if _carried(n, text))
        row[1] += len(facts)
    assert all(c == t for c, t in per.values())
    print(json.dumps(per, ensure_ascii=False))
