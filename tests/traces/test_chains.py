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
