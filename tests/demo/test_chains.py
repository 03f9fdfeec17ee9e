"""The planted cross-scenario chains are recorded with correct event indices and are consistent."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from workbench.demo import generator
from workbench.demo.personas import PERSONAS

SCEN = {"search": "Search Behavior", "video": "Video Browsing", "live": "Live Streaming", "cart": "E-commerce",
        "purchase": "E-commerce", "service": "Customer Service"}
ZH_TO_EN = {"视频浏览": "Video Browsing", "直播间": "Live Streaming", "商城购物": "E-commerce", "广告推荐": "Advertisement",
            "搜索行为": "Search Behavior", "电商客服对话": "Customer Service"}


def _ts(s):
    return datetime.fromisoformat(s)


def test_every_persona_has_its_chains(small_chains):
    per_user = {}
    for ch in small_chains:
        per_user.setdefault(ch["user_id"], []).append(ch)
    for p in PERSONAS:
        assert [c["product_key"] for c in per_user.get(p.user_id, [])] == list(p.chains)
        assert generator.CHAINS[p.user_id] == p.chains
    assert len(small_chains) >= 15  # several chains over the population


def test_chain_products_are_not_everyday_purchases():
    for p in PERSONAS:
        assert not set(p.chains) & set(p.products), p.user_id  # else the planted answer is ambiguous


def test_chain_steps_point_at_the_right_events(small_users, small_chains):
    for ch in small_chains:
        history = small_users[ch["user_id"]]["action_history"]
        steps = ch["steps"]
        roles = [s["role"] for s in steps]
        assert roles[0] == "search" and "purchase" in roles and roles.count("video") >= 3 and "live" in roles
        idx = [s["event_index"] for s in steps]
        assert idx == sorted(idx) and len(set(idx)) == len(idx), ch["chain_id"]
        topic = ch["topic"].lower()
        for s in steps:
            ev = history[s["event_index"]]
            assert ev["timestamp"] == s["timestamp"]
            assert ZH_TO_EN.get(ev["type"], ev["type"]) == SCEN[s["role"]] == s["scenario"]
            c = ev.get("context", {})
            if s["role"] == "search":
                assert ev["action"][0]["keyword"] == ch["keyword"]
            elif s["role"] == "video":
                assert topic in c["caption"].lower() and c["duration"] > 0
            elif s["role"] == "live":
                assert c["is_shop_live"] is True and topic in c["live_title"].lower()
                assert ch["product_title"] in [it["title"] for it in c["items"]]
            elif s["role"] in ("cart", "purchase"):
                assert c["item_title"] == ch["product_title"] and c["category_level3_name"] == ch["category"]
                flag = "is_add_to_cart" if s["role"] == "cart" else "is_pay"
                assert any(a.get(flag) is True for a in ev["action"])
            elif s["role"] == "service":
                purchase = history[ch["purchase_index"]]
                assert c["product_name"] == ch["product_title"]
                assert c["pay_order_time"] == purchase["timestamp"]
        search_t = _ts(history[ch["search_index"]]["timestamp"])
        purchase_t = _ts(history[ch["purchase_index"]]["timestamp"])
        assert purchase_t - search_t >= timedelta(days=7)  # the long horizon
        assert ch["days_search_to_purchase"] == round((purchase_t - search_t).total_seconds() / 86400, 2)
        first_video = next(s for s in steps if s["role"] == "video")
        assert _ts(first_video["timestamp"]) - search_t <= timedelta(minutes=40)  # same session as the search
        assert ch["terms"][0] == ch["topic"] and ch["keyword"] in ch["terms"]


def test_chains_json_matches_the_generated_files(small_demo, small_chains):
    import orjson

    data = orjson.loads((small_demo / "meta" / "chains.json").read_bytes())
    assert data["version"] == generator.GENERATOR_VERSION and data["seed"] == 0
    manifest = orjson.loads((small_demo / "meta" / "manifest.json").read_bytes())
    assert {u["user_id"] for u in manifest["users"]} == {c["user_id"] for c in small_chains} | {
        p.user_id for p in PERSONAS if not p.chains}
    assert sum(u["events"] for u in manifest["users"]) == manifest["total_events"]


def test_the_causal_chain_finder_recovers_the_planted_chains(small_demo, small_chains):
    """Cross-check with workbench.traces.chains.find_chain: from each planted purchase it should find
    the selling live stream and most of the related videos."""
    traces = pytest.importorskip("workbench.traces")
    chains_mod = pytest.importorskip("workbench.traces.chains")
    ts = traces.load_traces(small_demo, use_cache=False)
    found = total = live_found = live_total = 0
    for ch in small_chains:
        got = set(chains_mod.find_chain(ts.user_events(ch["user_id"]), ch["purchase_index"],
                                        user_id=ch["user_id"]).event_indices)
        for s in ch["steps"]:
            if s["role"] in ("video", "live"):
                total += 1
                found += s["event_index"] in got
            if s["role"] == "live":
                live_total += 1
                live_found += s["event_index"] in got
    assert live_found == live_total
    assert found / total >= 0.8
