"""Causal chains: backtracking from a conversion to the search, videos and live stream before it."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.app.data import CHAIN_TIMES, chain_indices, write_traces
from workbench.traces import load_traces
from workbench.traces.chains import find_chain, tokenize


@pytest.fixture
def user_a(tmp_path):
    return load_traces(write_traces(tmp_path)).user_events("user_a")


def _days(a: str, b: str) -> float:
    fmt = "%Y-%m-%d %H:%M:%S"
    return (datetime.strptime(b, fmt) - datetime.strptime(a, fmt)).total_seconds() / 86400.0


def test_tokenize_chinese_bigrams_and_english_words():
    assert tokenize("缓震跑鞋") == {"缓震", "震跑", "跑鞋"}
    assert tokenize("The best Running shoes for a marathon") == {"running", "shoes", "marathon"}
    assert tokenize("跑 a") == set()  # single CJK character and stop word give nothing
    assert tokenize(None) == set()


def test_chain_search_video_live_purchase_with_gaps(user_a):
    search, video, live, purchase = chain_indices()
    chain = find_chain(user_a, purchase, user_id="user_a")
    assert chain.event_indices == (search, video, live, purchase)
    expected = [_days(CHAIN_TIMES[i], CHAIN_TIMES[i + 1]) for i in range(3)]
    assert chain.gaps_days == pytest.approx(expected)
    assert chain.gaps_days == pytest.approx((2.4583333, 3.9791667, 3.7708333), abs=1e-6)
    assert chain.links[0].days_before == pytest.approx(_days(CHAIN_TIMES[0], CHAIN_TIMES[3]))
    assert [link.scenario for link in chain.links] == ["Search Behavior", "Video Browsing", "Live Streaming"]
    # the rule that matched is stated per link and for the whole chain
    assert "shared keywords" in chain.links[0].rule and "跑鞋" in chain.links[0].rule
    assert chain.links[2].same_product and "same product" in chain.links[2].rule
    assert "30 days" in chain.rule_text and "score" in chain.rule_text


def test_lookback_window_excludes_older_events(user_a):
    purchase = chain_indices()[-1]
    wide = find_chain(user_a, purchase, lookback_days=60)
    narrow = find_chain(user_a, purchase, lookback_days=5)
    assert 0 in wide.event_indices            # the 2025-08-01 search for 跑鞋
    assert 0 not in find_chain(user_a, purchase).event_indices
    assert narrow.event_indices == (chain_indices()[2], purchase)


def test_unrelated_conversion_has_empty_chain_and_unknown_event_is_named(user_a):
    # the customer-service event after the purchase has earlier related events; the first video has none
    first_video = int(user_a.filter(user_a["scenario"] == "Video Browsing")["event_index"][0])
    chain = find_chain(user_a, first_video)
    assert chain.links == ()
    assert chain.event_indices == (first_video,)
    with pytest.raises(ValueError, match="event 999"):
        find_chain(user_a, 999, user_id="user_a")
    with pytest.raises(ValueError, match="lookback"):
        find_chain(user_a, first_video, lookback_days=0)


def test_chain_on_generated_demo_data(tmp_path):
    """The demo generator plants search -> videos -> live -> purchase chains (meta/chains.json)."""
    generator = pytest.importorskip("workbench.demo.generator")
    from workbench.demo import demo_chains

    out = tmp_path / "demo"
    generator.generate(out, 0, heavy_events=1500, scale=0.08)
    traces = load_traces(out)
    planted = demo_chains(out)
    assert planted
    found_all = 0
    for spec in planted:
        events = traces.user_events(spec["user_id"])
        chain = find_chain(events, spec["purchase_index"], user_id=spec["user_id"])
        want = {s["event_index"] for s in spec["steps"] if s["role"] not in ("purchase", "service")}
        got = set(chain.event_indices)
        lives = {s["event_index"] for s in spec["steps"] if s["role"] == "live"}
        assert lives <= got, spec["chain_id"]      # the live stream that sold the product is always found
        found_all += want <= got
        # gaps are the differences of the chain's timestamps, in days, ending at the purchase
        times = [link.ts for link in chain.links] + [chain.target_ts]
        assert chain.gaps_days == pytest.approx([(b - a).total_seconds() / 86400 for a, b in zip(times, times[1:])])
        assert all(g >= 0 for g in chain.gaps_days)
    assert found_all >= len(planted) // 2


# -- IDF weighting, session rule, planted demo chains -----------------------------------------------

def _ev(ts: str, scenario: str, **kw) -> dict:
    if scenario == "video":
        return {"type": "Video Browsing", "timestamp": ts, "context": {"caption": kw["caption"]},
                "action": [{"type": "watch", "play_duration": 20}]}
    if scenario == "search":
        return {"type": "Search Behavior", "timestamp": ts,
                "action": [{"type": "search", "keyword": kw["keyword"], "query_category": "查询型"}]}
    if scenario == "live":
        return {"type": "Live Streaming", "timestamp": ts,
                "context": {"live_title": kw["title"], "live_category": "Other", "is_shop_live": False},
                "action": [{"type": "watch", "play_duration": 60}]}
    return {"type": "E-commerce", "timestamp": ts,
            "context": {"item_title": kw["title"], "category_level3_name": kw.get("category", "Tents")},
            "action": [{"type": "purchase", "is_pay": True}]}


def _load(tmp_path, events: list[dict]):
    import json

    path = tmp_path / "t.json"
    path.write_text(json.dumps({"u": {"user_profile": "x", "action_history": events}}, ensure_ascii=False),
                    encoding="utf-8")
    return load_traces(path).user_events("u")


def _common_word_user(tmp_path):
    events = []
    for d in range(1, 25):  # a common word ("double") in most of the user's events
        events.append(_ev(f"2025-10-{d:02d} 12:00:00", "live", title=f"Double 11 warm-up: deal {d}"))
        events.append(_ev(f"2025-10-{d:02d} 13:00:00", "video", caption=f"Double 11 haul part {d}"))
        events.append(_ev(f"2025-10-{d:02d} 15:00:00", "search", keyword="笑话"))
    events.append(_ev("2025-10-20 09:00:00", "search", keyword="露营帐篷"))          # opens the session
    events.append(_ev("2025-10-20 09:12:00", "video", caption="Camping tent review: 3 nights in the rain"))
    events.append(_ev("2025-10-27 20:00:00", "purchase", title="Double Layer Camping Tent 3-4 Person"))
    events.sort(key=lambda e: e["timestamp"])
    return _load(tmp_path, events)


def test_common_words_count_little_and_session_search_opens_the_chain(tmp_path):
    events = _common_word_user(tmp_path)
    purchase = int(events.filter(events["scenario"] == "E-commerce")["event_index"][0])
    chain = find_chain(events, purchase)
    titles = [link.title for link in chain.links]
    assert titles == ["露营帐篷", "Camping tent review: 3 nights in the rain"], titles
    search, video = chain.links
    # the rule that matched is stated with the IDF weights and the session gap
    assert "camping" in video.rule and "IDF" in video.rule and "double" not in video.shared_tokens
    assert search.rule.startswith("search opened the session of linked video") and "12 min later" in search.rule
    assert "IDF" in chain.rule_text and "session" in chain.rule_text
    # the "double" events alone are not enough, however many there are
    assert not any("Double 11" in t for t in titles)


def test_session_rule_takes_only_the_search_right_before_the_video(tmp_path):
    events = _load(tmp_path, [
        _ev("2025-10-20 06:00:00", "search", keyword="天气"),          # 3 h before: not the session
        _ev("2025-10-20 08:50:00", "search", keyword="露营"),          # superseded by the next search
        _ev("2025-10-20 09:00:00", "search", keyword="露营帐篷"),
        _ev("2025-10-20 09:12:00", "video", caption="Camping tent review: 3 nights in the rain"),
        _ev("2025-10-22 09:00:00", "search", keyword="笑话"),          # near nothing linked
        _ev("2025-10-22 09:30:00", "video", caption="Cat tries cucumber"),
        _ev("2025-10-27 20:00:00", "purchase", title="Camping Tent 3-4 Person")])
    chain = find_chain(events, 6)
    assert chain.event_indices == (2, 3, 6)


def test_purchase_without_related_history_has_empty_chain(tmp_path):
    events = _load(tmp_path, [
        _ev("2025-10-20 09:00:00", "search", keyword="笑话"),
        _ev("2025-10-20 09:05:00", "video", caption="Cat tries cucumber for the first time"),
        _ev("2025-10-21 19:00:00", "live", title="Evening karaoke with fans"),
        _ev("2025-10-27 19:55:00", "search", keyword="菜谱"),          # just before, but shares nothing
        _ev("2025-10-27 19:58:00", "video", caption="Speed painting a sunset"),
        _ev("2025-10-27 20:00:00", "purchase", title="Cordless Drill 18V Brushless", category="Power Drills")])
    chain = find_chain(events, 5)
    assert chain.links == () and chain.event_indices == (5,)
    assert chain.candidates == 5


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    generator = pytest.importorskip("workbench.demo.generator")
    out = tmp_path_factory.mktemp("chains_demo")
    generator.generate(out, 0, heavy_events=3000, scale=0.15)
    return out


def test_planted_demo_searches_found_and_links_precise(small_demo):
    from workbench.demo import demo_chains

    traces = load_traces(small_demo)
    planted = demo_chains(small_demo)
    assert len(planted) >= 20
    search_found = linked = correct = 0
    frames: dict = {}
    for spec in planted:
        uid = spec["user_id"]
        events = frames.setdefault(uid, traces.user_events(uid))
        chain = find_chain(events, spec["purchase_index"], user_id=uid)
        steps = {s["event_index"] for s in spec["steps"] if s["role"] not in ("purchase", "service")}
        searches = {s["event_index"] for s in spec["steps"] if s["role"] == "search"}
        got = {link.event_index for link in chain.links}
        search_found += searches <= got
        linked += len(got)
        correct += len(got & steps)
        for link in chain.links:  # every link says why it joined
            assert "IDF" in link.rule or link.rule.startswith("search opened the session") or "same product" in link.rule
    assert search_found >= 0.9 * len(planted), (search_found, len(planted))
    assert correct / linked >= 0.8, (correct, linked)
