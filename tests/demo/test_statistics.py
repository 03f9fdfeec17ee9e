"""Realistic statistics: rare engagement, persona differences, heavy-tailed watch time, daily rhythm,
sessions, and the heavy user's volume."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import numpy as np
import pytest

from workbench.demo import generator
from workbench.demo.personas import PERSONAS

ZH_TO_EN = {"视频浏览": "Video Browsing", "直播间": "Live Streaming", "商城购物": "E-commerce", "广告推荐": "Advertisement",
            "搜索行为": "Search Behavior", "电商客服对话": "Customer Service"}


def _scen(ev):
    return ZH_TO_EN.get(ev["type"], ev["type"])


def _rates(history, scenario):
    evs = [ev for ev in history if _scen(ev) == scenario]
    c = Counter(t for ev in evs for t in {a["type"] for a in ev["action"]})
    return {k: v / len(evs) for k, v in c.items()}, len(evs)


def test_engagement_is_rare_on_the_population(small_users):
    history = [ev for rec in small_users.values() for ev in rec["action_history"]]
    video, n_video = _rates(history, "Video Browsing")
    live, n_live = _rates(history, "Live Streaming")
    assert n_video > 5000 and n_live > 500
    for action in ("like", "comment", "share", "follow", "collect", "download", "dislike"):
        assert 0 < video.get(action, 0) < 0.10, action
    for action in ("like", "comment", "send_gift", "follow", "share", "join_group", "click_cart"):
        assert 0 < live.get(action, 0) < 0.10, action
    paid = sum(1 for ev in history for a in ev["action"] if a.get("is_pay") is True or a.get("paid") is True)
    assert paid / len(history) < 0.10


def test_personas_differ(small_users):
    def video_rate(uid, action):
        return _rates(small_users[uid]["action_history"], "Video Browsing")[0].get(action, 0.0)

    never = [p.user_id for p in PERSONAS if p.comment == 0.0]
    assert never, "some persona never comments"
    for uid in never:
        assert video_rate(uid, "comment") == 0.0, uid
    assert video_rate("user_0005", "comment") > 5 * video_rate("user_0006", "comment")

    def paid(uid):
        return sum(1 for ev in small_users[uid]["action_history"] for a in ev["action"] if a.get("is_pay") is True)

    buyer = max(small_users, key=paid)
    assert buyer == "user_0002" and paid("user_0002") >= 2 * sorted(map(paid, small_users))[-2]


def test_sessions_are_bursts_and_days_have_a_rhythm(small_users):
    history = small_users["user_0002"]["action_history"]
    times = [datetime.fromisoformat(ev["timestamp"]) for ev in history
             if _scen(ev) in ("Video Browsing", "Live Streaming")]
    gaps = np.diff([t.timestamp() for t in times])
    assert np.median(gaps) < 60  # consecutive videos seconds apart
    assert (gaps > 3600).sum() > 50  # and long pauses between sessions
    hours = Counter(t.hour for t in times)
    night = sum(hours[h] for h in (2, 3, 4))
    evening = sum(hours[h] for h in (19, 20, 21))
    lunch = sum(hours[h] for h in (12, 13))
    morning = sum(hours[h] for h in (9, 10))
    assert evening > 4 * night and lunch > morning


def test_heavy_user_full_size():
    heavy = next(p for p in PERSONAS if p.heavy)
    record, chains = generator.generate_user(heavy, 3, seed=0)  # default volume, as `workbench demo` writes it
    history = record["action_history"]
    assert generator.HEAVY_EVENTS >= 100_000
    assert len(history) >= 100_000
    stamps = [ev["timestamp"] for ev in history]
    assert stamps == sorted(stamps) and "2025-09-01" <= stamps[0] and stamps[-1] <= "2025-11-30 23:59:59"
    assert len({s[:10] for s in stamps}) >= 85  # active over the whole window
    assert len(chains) == len(heavy.chains)
    videos = [ev for ev in history if ev["type"] == "Video Browsing"]
    watch = np.array([ev["action"][0]["play_duration"] for ev in videos
                      if isinstance(ev["action"][0]["play_duration"], int)])
    median, p99 = np.median(watch), np.percentile(watch, 99)
    assert median <= 5 and p99 >= 20 * median and watch.mean() > 2 * median  # heavy tail
    assert (watch <= 3).mean() > 0.3  # many quick skips
    dur = np.array([ev["context"]["duration"] if isinstance(ev["context"]["duration"], int) else -1 for ev in videos])
    done = np.array([ev["action"][0]["is_complete_play"] for ev in videos])
    short, long_ = done[(dur > 0) & (dur < 15)].mean(), done[dur >= 120].mean()
    assert short > 3 * long_  # completion falls with duration
    assert 0.25 < (dur == 0).mean() < 0.35  # about a third with unknown metadata
    texts = [sum(len(v.encode()) for v in ev["context"].values() if isinstance(v, str)) for ev in videos[:20000]]
    assert 300 <= np.mean(texts) <= 1024  # captions + OCR + ASR per video


def test_heavy_events_parameter_sets_the_volume(small_users):
    heavy = next(p for p in PERSONAS if p.heavy)
    n_feed = sum(1 for ev in small_users[heavy.user_id]["action_history"]
                 if ev["type"] in ("Video Browsing", "Live Streaming"))
    # chain videos (at most 6) and lives (at most 2) come on top of the requested feed volume
    assert 3000 <= n_feed <= 3000 + 8 * len(heavy.chains)


@pytest.mark.parametrize("uid", ["user_0009", "user_0010"])
def test_light_and_regular_volumes(uid):
    p = next(p for p in PERSONAS if p.user_id == uid)
    record, _ = generator.generate_user(p, PERSONAS.index(p) + 1, seed=0)
    n = len(record["action_history"])
    assert (300 <= n <= 1000) if uid == "user_0009" else (5000 <= n <= 12_000)
