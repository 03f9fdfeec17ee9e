"""Benchmark sampling (docs/benchmark.md#test-samples): window quirk, selection, filters, seeds, call order."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from tests.evaluate.conftest import ad, day, live, search, video
from workbench.evaluate import sampling as S


def _trace(uid: str, events: list[dict]) -> S.UserTrace:
    return S.UserTrace(uid, "profile", events)


def test_window_quirk_timed_end_date_excluded_date_only_included():
    events = [
        video(day(9, 1, 0, 0)),            # 0 history
        video("2025-09-30 09:28:22"),      # 1 timed on history end date -> in no window
        ad("2025-09-30"),                  # 2 date-only on the end date -> history
        video(day(10, 1, 0, 0)),           # 3 test
        ad("2025-11-30"),                  # 4 date-only -> test
        video("2025-11-30 00:00:01"),      # 5 timed on test end date -> in no window
        ad("2025-10-01"),                  # 6 date-only on test start -> test
    ]
    assert [S.in_window(e["timestamp"], *S.HISTORY_WINDOW) for e in events] == \
        [True, False, True, False, False, False, False]
    assert [S.in_window(e["timestamp"], *S.TEST_WINDOW) for e in events] == \
        [False, False, False, True, True, False, True]
    us = S.sample_user(_trace("u", events), test_length=30)
    assert us.base_history_indices == (0, 2)
    assert us.test_window_indices == (3, 4, 6)
    assert [e.event_index for e in us.sampled] == [3, 4, 6]
    # rolling history: history window + earlier test-window events (file order)
    assert [e.history_indices for e in us.sampled] == [(0, 2), (0, 2, 3), (0, 2, 3, 4)]
    assert S.in_window("", "2025-09-01", None) is False and S.in_window("x", None, None)


def test_seed_table_and_sha256_fallback():
    table = S.seed_offsets()
    assert len(table) == 200 and table["user_001"] == 812123274
    assert S.user_seed_offset("user_001") == (812123274, "table")
    expected = int.from_bytes(hashlib.sha256(b"user_0001").digest()[:8], "big") % 10 ** 9
    assert S.user_seed_offset("user_0001") == (expected, "sha256")
    us = S.sample_user(_trace("user_001", [video(day(10, 2))]))
    assert (us.seed, us.seed_source) == (42 + 812123274, "table")
    us = S.sample_user(_trace("user_0001", [video(day(10, 2))]))
    assert (us.seed, us.seed_source) == (42 + expected, "sha256")


def test_candidate_filters_and_test_time_index():
    events = [
        video(day(9, 3)),                           # 0 history
        video(day(10, 2), caption=""),              # 1 test, rule A: no caption/ocr/asr
        video(day(10, 3), play=0),                  # 2 test, rule B: play_duration 0
        ad(day(10, 4)[:10], show=0),                # 3 test, rule B: show_cnt 0
        {"type": "Live Streaming", "timestamp": day(10, 5),
         "context": {"live_comment_cnt": 0, "live_like_cnt": 0, "live_cover_content": "x"},
         "action": [{"type": "watch", "play_duration": 5}]},   # 4 rule A (minimal live)
        search(day(10, 6)),                         # 5 ok (no context)
        live(day(10, 7)),                           # 6 ok
    ]
    test_idx, cands, skipped = S.candidates_for_user(_trace("u", events))
    assert test_idx == [1, 2, 3, 4, 5, 6]
    assert cands == [(5, 4), (6, 5)]                # (event_index, index in unfiltered test list)
    assert [(s["event_index"], s["reason"]) for s in skipped] == [
        (1, "insufficient context"), (2, "filtered at eval time"), (3, "filtered at eval time"),
        (4, "insufficient context")]
    us = S.sample_user(_trace("u", events))
    assert [(e.event_index, e.test_time_index) for e in us.sampled] == [(5, 4), (6, 5)]
    assert us.sampled[1].history_indices == (0, 1, 2, 3, 4, 5)   # history keeps filtered events


def test_balanced_sample_call_order_by_hand():
    # n = 4, total = 2 -> B = 2 buckets of 2, quota 1 each; each bucket has two scenarios with only
    # low-value items: one shuffle then one randint(0, 0) per bucket, the first scenario wins.
    items = [("v1", "视频浏览"), ("l1", "直播间"), ("s1", "搜索行为"), ("v2", "视频浏览")]
    seed = 12345
    got = S.balanced_sample(items, 2, random.Random(seed), scenario_of=lambda x: x[1],
                            high_of=lambda x: False)
    r = random.Random(seed)
    b1 = ["视频浏览", "直播间"]
    r.shuffle(b1)
    r.randint(0, 0)
    b2 = ["搜索行为", "视频浏览"]
    r.shuffle(b2)
    expected = [next(x for x in items[:2] if x[1] == b1[0]), next(x for x in items[2:] if x[1] == b2[0])]
    assert got == expected


def test_balanced_sample_coin_then_randint():
    # one bucket (n=3, total=2 -> B = min(10, 1, 2) = 1), one scenario with high and low items:
    # shuffle of a 1-list draws nothing; then random() < 0.5 picks the pool, randint picks the item.
    items = [("h1", True), ("l1", False), ("h2", True)]
    seed = 7
    got = S.balanced_sample(items, 2, random.Random(seed), scenario_of=lambda x: "视频浏览",
                            high_of=lambda x: x[1])
    r = random.Random(seed)
    r.shuffle(["x"])
    high, low = [items[0], items[2]], [items[1]]
    picks = []
    for _ in range(2):
        if high and low:
            pool = high if r.random() < 0.5 else low
        else:
            pool = high or low
        picks.append(pool.pop(r.randint(0, len(pool) - 1)))
    assert got == sorted(picks, key=items.index)


def test_balanced_sample_buckets_quota_and_determinism():
    items = list(range(100))
    got = S.balanced_sample(items, 30, random.Random(1), scenario_of=lambda x: str(x % 3),
                            high_of=lambda x: x % 5 == 0)
    assert len(got) == 30 and got == sorted(got)
    for b in range(10):                             # 10 buckets of 10, 3 from each
        assert sum(1 for x in got if b * 10 <= x < b * 10 + 10) == 3
    again = S.balanced_sample(items, 30, random.Random(1), scenario_of=lambda x: str(x % 3),
                              high_of=lambda x: x % 5 == 0)
    assert again == got
    other = S.balanced_sample(items, 30, random.Random(2), scenario_of=lambda x: str(x % 3),
                              high_of=lambda x: x % 5 == 0)
    assert other != got
    assert S.balanced_sample(items[:5], 30, random.Random(1), scenario_of=str, high_of=bool) == items[:5]


def test_high_value_rules():
    assert S.is_high_value(video(day(10, 1), like=True))
    assert not S.is_high_value(video(day(10, 1)))
    assert S.is_high_value(ad(day(10, 1)[:10]))                    # conversion
    assert S.is_high_value(live(day(10, 1), gift=True))
    assert not S.is_high_value(search(day(10, 1)))
    assert S.is_high_value({"type": "E-commerce", "action": [{"type": "purchase", "is_pay": False}]})


def _big_user(uid: str, n_test: int, n_hist: int = 1, seed: int = 0) -> S.UserTrace:
    r = random.Random(seed)
    events = [video(day(9, 2 + i % 20)) for i in range(n_hist)]
    for i in range(n_test):
        d, h = 1 + (i // 24) % 28, i % 24
        kind = r.choice(["video", "live", "ad", "search"])
        ts = day(10 + (i // (24 * 28)), d, h)
        events.append({"video": lambda ts=ts: video(ts, like=r.random() < 0.2),
                       "live": lambda ts=ts: live(ts, gift=r.random() < 0.1),
                       "ad": lambda ts=ts: ad(ts[:10]), "search": lambda ts=ts: search(ts)}[kind]())
    return S.UserTrace(uid, "p", events)


def test_select_users_rules_and_random_sample():
    users = [_big_user(f"user_{i:03d}", 40, seed=i) for i in range(1, 8)]
    users.append(_big_user("user_100", 10, seed=100))                 # too few test events
    users.append(_big_user("user_101", 40, n_hist=0, seed=101))       # no history event
    got = S.select_users(users, num_users=3, test_length=30)
    valid = sorted(f"user_{i:03d}" for i in range(1, 8))
    assert got == sorted(random.Random(42).sample(valid, 3))
    assert S.select_users(users, num_users=50, test_length=30) == valid


def test_sample_events_is_deterministic_and_uses_rolling_history():
    users = [_big_user(f"user_{i:03d}", 120, seed=i) for i in range(1, 4)]
    a = S.sample_events(users)
    b = S.sample_events(users)
    assert a.to_dict(with_history=True) == b.to_dict(with_history=True)
    for us in a.users:
        assert len(us.sampled) == 30
        idx = [e.test_time_index for e in us.sampled]
        assert idx == sorted(idx)
        e = us.sampled[5]
        assert e.history_indices == tuple(us.base_history_indices) + us.test_window_indices[:e.test_time_index]
    # different seed table value -> different sample
    c = S.sample_events(users, offsets={"user_001": 1})
    assert [e.event_index for e in c.users[0].sampled] != [e.event_index for e in a.users[0].sampled]


def test_custom_sampling():
    users = [_big_user(f"user_{i:03d}", 60, seed=i) for i in range(1, 4)]
    s = S.sample_events(users, user_ids=["user_003", "user_001", "nobody"], test_length=5)
    assert [u.user_id for u in s.users] == ["user_001", "user_003"]
    assert s.missing_users == ["nobody"]
    assert all(len(u.sampled) == 5 for u in s.users)
    s = S.sample_events(users, user_ids=["user_002"], all_events=True)
    assert len(s.users[0].sampled) == s.users[0].candidate_count == 60
    s = S.sample_events(users, user_ids=["user_002"], history_window=None, test_window=None,
                        test_length=4)
    e = s.users[0].sampled[-1]
    assert e.history_indices == tuple(range(e.event_index))


def test_load_benchmark_users_folder_scan(tmp_path):
    counts = {"a": 3, "b": 1, "c": 5, "d": 4}
    for name, n in counts.items():
        data = {f"user_{name}": {"user_profile": "p", "action_history": [video(day(10, 1))] * n},
                f"user_{name}2": {"user_profile": "q", "action_history": [video(day(10, 1))]},
                "bad": {"user_profile": "x"}}
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    order = [p.stem for p in tmp_path.glob("*.json")]
    qualifying = [n for n in order if counts[n] >= 3]
    users = S.load_benchmark_users(tmp_path, min_actions=3, target_users=2)
    expect = [u for n in qualifying[:2] for u in (f"user_{n}", f"user_{n}2")]
    assert [u.user_id for u in users] == expect
    everyone = S.load_benchmark_users(tmp_path)
    assert len(everyone) == 8
    one = S.load_benchmark_users(tmp_path / "b.json", min_actions=3)   # a file: no threshold
    assert [u.user_id for u in one] == ["user_b", "user_b2"]
    with pytest.raises(S.SamplingError, match="nope.json"):
        S.load_benchmark_users(tmp_path / "nope.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(S.SamplingError, match="broken.json"):
        S.load_benchmark_users(tmp_path / "broken.json")
