"""The demo files are in the released OmniBehavior format with its field names, types and quirks."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from workbench.demo.personas import PERSONAS

EN = {"Video Browsing", "Live Streaming", "E-commerce", "Advertisement", "Search Behavior", "Customer Service"}
ZH = {"视频浏览", "直播间", "商城购物", "广告推荐", "搜索行为", "电商客服对话"}
ZH_TO_EN = dict(zip(["视频浏览", "直播间", "商城购物", "广告推荐", "搜索行为", "电商客服对话"],
                    ["Video Browsing", "Live Streaming", "E-commerce", "Advertisement", "Search Behavior",
                     "Customer Service"]))
TS_FULL = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
TS_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

VIDEO_KEYS = {"caption", "duration", "fans_user_num", "fans_user_num_range", "is_verified", "photo_type", "show_cnt",
              "play_cnt", "complete_play_cnt", "like_cnt", "comment_cnt", "share_cnt", "collect_cnt", "download_cnt",
              "follow_cnt", "report_cnt", "reduce_similar_cnt", "upload_timestamp", "ocr", "asr"}
LIVE_FULL = {"live_title", "live_category", "is_shop_live", "live_total_user_cnt", "live_total_view_cnt",
             "live_total_view_duration", "live_like_cnt", "live_comment_cnt", "live_cover_content"}
LIVE_MINIMAL = {"live_comment_cnt", "live_like_cnt", "live_cover_content"}
SHOP_KEYS = {"item_title", "item_desc", "product_source", "item_price", "category_level1_name",
             "category_level2_name", "category_level3_name", "industry_level1_name", "industry_level2_name",
             "industry_level3_name", "item_num_180d_sales", "item_num_good_assess", "item_num_180d_buyer",
             "item_num_180d_rebuyer", "item_num_180d_cart", "product_id", "item_main_image_url",
             "external_item_title", "pay_item_qty"}
AD_FULL = {"product", "industry_main", "industry_sub", "is_verified", "verification_type", "fans_user_num",
           "fans_user_num_op_range", "caption", "photo_type", "duration", "upload_timestamp", "show_cnt", "play_cnt",
           "complete_play_cnt", "like_cnt", "comment_cnt", "share_cnt", "collect_cnt", "download_cnt", "follow_cnt",
           "report_cnt", "reduce_similar_cnt", "ocr_text", "asr_text"}
CS_KEYS = {"ticket_category", "product_name", "product_category_info", "item_price", "item_qty", "express_fee",
           "pay_order_time"}
ACTIONS = {
    "Video Browsing": {"watch", "like", "comment", "share", "collect", "download", "follow", "dislike"},
    "Live Streaming": {"watch", "like", "comment", "send_gift", "share", "join_group", "follow", "click_cart", "dislike"},
    "E-commerce": {"cart", "purchase"},
    "Advertisement": {"watch", "conversion", "activation", "submit", "like"},
    "Search Behavior": {"search", "show", "click"},
    "Customer Service": {"dialogue", "purchase"},
}


def _events(users):
    for uid, rec in users.items():
        for i, ev in enumerate(rec["action_history"]):
            yield uid, i, ev, ZH_TO_EN.get(ev["type"], ev["type"])


def test_files_users_and_profiles(small_demo, small_users):
    ids = [p.user_id for p in PERSONAS]
    assert sorted(small_users) == sorted(ids)
    assert {f.stem for f in small_demo.glob("*.json")} == set(ids)
    assert 10 <= len(ids) <= 14
    assert any(re.fullmatch(r"user_\d{4}", u) for u in ids) and any(re.fullmatch(r"user_\d{3}", u) for u in ids)
    for p in PERSONAS:
        rec = small_users[p.user_id]
        assert set(rec) == {"user_profile", "action_history"}
        assert isinstance(rec["user_profile"], str) and rec["user_profile"]
        if p.lang == "zh":
            assert "。" in rec["user_profile"]
        else:
            assert "。" not in rec["user_profile"] and re.search(r"\b(Male|Female)\b", rec["user_profile"])
    # distinct personas: no two identical profiles
    assert len({r["user_profile"] for r in small_users.values()}) == len(small_users)


def test_every_event_is_well_formed(small_users):
    for uid, i, ev, scen in _events(small_users):
        where = f"{uid}[{i}]"
        assert set(ev) <= {"type", "timestamp", "context", "action"}, where
        assert scen in EN, where
        assert isinstance(ev["timestamp"], str) and (TS_FULL.match(ev["timestamp"]) or TS_DATE.match(ev["timestamp"])), where
        assert "2025-09-01" <= ev["timestamp"][:10] <= "2025-11-30", where
        assert isinstance(ev["action"], list) and ev["action"], where
        for a in ev["action"]:
            assert isinstance(a, dict) and a.get("type") in ACTIONS[scen], (where, a)
        if scen == "Search Behavior":
            assert "context" not in ev, where
        else:
            assert isinstance(ev["context"], dict), where


def test_language_of_scenario_names(small_users):
    for p in PERSONAS:
        names = {ev["type"] for ev in small_users[p.user_id]["action_history"]}
        assert names == (ZH if p.lang == "zh" else EN), p.user_id


def test_histories_are_sorted_by_timestamp_string(small_users):
    for uid, rec in small_users.items():
        ts = [ev["timestamp"] for ev in rec["action_history"]]
        assert ts == sorted(ts), uid


def test_scenario_specific_keys_and_types(small_users):
    live_variants = Counter()
    for uid, i, ev, scen in _events(small_users):
        c = ev.get("context")
        where = f"{uid}[{i}]"
        if scen == "Video Browsing":
            assert set(c) <= VIDEO_KEYS and c["photo_type"] == "VIDEO", where
            assert isinstance(c["duration"], int) or re.fullmatch(r"\d+秒", c["duration"]), where
            watch = [a for a in ev["action"] if a["type"] == "watch"]
            assert len(watch) == 1, where
            assert isinstance(watch[0]["is_complete_play"], bool)
        elif scen == "Live Streaming":
            keys = set(c) - {"items"}
            if keys == LIVE_MINIMAL:
                live_variants["minimal"] += 1
            elif keys == LIVE_FULL:
                live_variants["full"] += 1
            else:
                assert keys == LIVE_FULL - {"live_title"}, where
                live_variants["no_title"] += 1
            assert isinstance(c["live_cover_content"], str)
            if "items" in c:
                assert c["is_shop_live"] is True
                assert all(set(it) == {"title", "price"} for it in c["items"]), where
            assert ev["action"][0]["type"] == "watch" and isinstance(ev["action"][0]["play_duration"], int)
        elif scen == "E-commerce":
            assert set(c) == SHOP_KEYS, where
            assert isinstance(c["product_id"], str) and c["product_id"].isdigit(), where
            assert isinstance(c["item_price"], float), where
        elif scen == "Advertisement":
            assert TS_DATE.match(ev["timestamp"]), where
            assert {"product", "industry_main", "industry_sub", "show_cnt"} <= set(c) <= AD_FULL, where
            assert isinstance(c["show_cnt"], int) and c["show_cnt"] >= 1, where
            for a in ev["action"]:
                if a["type"] == "watch":
                    assert set(a) == {"type", "is_complete_play"}, where
        elif scen == "Search Behavior":
            search = ev["action"][0]
            assert search["type"] == "search" and search["query_category"] in ("查询型", "浏览型"), where
            assert re.search(r"[\u4e00-\u9fff]", search["keyword"]), where  # Chinese even in EN data
        elif scen == "Customer Service":
            assert set(c) == CS_KEYS, where
            dialogue = [a for a in ev["action"] if a["type"] == "dialogue"]
            assert len(dialogue) == 1 and len(dialogue[0]["content"]) >= 2, where
            for turn in dialogue[0]["content"]:
                assert set(turn) == {"role", "content"} and turn["role"] in ("user", "assistant"), where
                assert isinstance(turn["content"], str) and turn["content"].strip(), where
                assert "{" not in turn["content"], where  # every template slot filled
            for a in ev["action"]:
                if a["type"] == "purchase":
                    assert isinstance(a["paid"], bool)
    assert set(live_variants) == {"full", "no_title", "minimal"}


def test_quirks_are_present(small_users):
    seen = Counter()
    ad_dates = Counter()
    for uid, _i, ev, scen in _events(small_users):
        c = ev.get("context") or {}
        for a in ev["action"]:
            if "reduce_simliar_cnt" in a:
                seen["misspelt"] += 1
            if "reduce_similar_cnt" in a:
                seen["correct_spelling"] += 1
            if a.get("is_add_to_cart") is False:
                seen["cart_false"] += 1
            if a.get("is_pay") is False:
                seen["pay_false"] += 1
            if a.get("is_pay") is True:
                seen["pay_true"] += 1
            if isinstance(a.get("play_duration"), str):
                seen["str_play_duration"] += 1
        if scen == "Video Browsing":
            if isinstance(c.get("duration"), str):
                seen["str_duration"] += 1
            if c.get("duration") == 0:
                seen["duration_0"] += 1
                assert "caption" not in c and "upload_timestamp" not in c
            if c.get("ocr") == "":
                seen["empty_ocr"] += 1
            if c.get("fans_user_num_range") == "10w-100w":
                seen["wan_bucket"] += 1
        if scen == "E-commerce":
            seen["desc_null"] += c["item_desc"] is None
            seen["price_zero"] += c["item_price"] == 0.0
        if scen == "Advertisement":
            ad_dates[(uid, ev["timestamp"])] += 1
            if len(c) == len(AD_FULL):
                seen["ad_full_nulls"] += 1
                assert c["ocr_text"] is None and c["is_verified"] is None
            else:
                seen["ad_keys_omitted"] += 1
        if scen == "Customer Service":
            seen["express_fee_str"] += isinstance(c["express_fee"], str)
            seen["no_pay_time"] += c["pay_order_time"] == ""
        if scen == "Search Behavior" and not any(a["type"] == "click" for a in ev["action"]):
            seen["search_without_click"] += 1
    for quirk in ("misspelt", "correct_spelling", "cart_false", "pay_false", "pay_true", "str_duration",
                  "duration_0", "empty_ocr", "wan_bucket", "desc_null", "price_zero", "ad_full_nulls",
                  "ad_keys_omitted", "express_fee_str", "no_pay_time", "search_without_click"):
        assert seen[quirk] > 0, quirk
    assert max(ad_dates.values()) >= 2  # identical (date-only) timestamps


def test_old_ads_carry_null_keys_and_later_ones_omit_them(small_users):
    for uid, i, ev, scen in _events(small_users):
        if scen != "Advertisement":
            continue
        full = len(ev["context"]) == len(AD_FULL)
        assert full == (ev["timestamp"] < "2025-10-15"), (uid, i)


def test_loads_with_the_trace_engine_without_warnings(small_demo, small_users):
    traces = pytest.importorskip("workbench.traces")
    ts = traces.load_traces(small_demo, use_cache=False)
    assert ts.warnings == []
    assert sorted(ts.user_ids()) == sorted(small_users)
    assert ts.events.height == sum(len(r["action_history"]) for r in small_users.values())
    counts = dict(zip(ts.users["user_id"].to_list(), ts.users["event_count"].to_list()))
    assert counts == {u: len(r["action_history"]) for u, r in small_users.items()}
    assert set(ts.events["scenario"].unique().to_list()) == EN
    assert ts.profile("user_011").startswith("女")
