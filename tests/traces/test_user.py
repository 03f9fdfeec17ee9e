"""One user's events decoded once and shared: ``TraceSet.user`` and ``UserEvents``."""

from __future__ import annotations

import gc
import json
import threading

import pytest

from workbench.traces import load_traces


def _write(tmp_path, histories):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({u: {"user_profile": f"profile {u}", "action_history": h}
                                for u, h in histories.items()}, ensure_ascii=False), encoding="utf-8")
    return path


def _ev(i, scenario="Video Browsing"):
    return {"type": scenario, "timestamp": f"2025-10-01 00:00:{i:02d}", "context": {"caption": f"v{i}"},
            "action": [{"type": "watch", "play_duration": i}]}


SERVICE = {"type": "Customer Service", "timestamp": "2025-10-02 10:00:00", "context": {},
           "action": [{"type": "dialogue", "content": [{"role": "system", "content": "ticket opened"},
                                                       {"role": "user", "content": "where is it"},
                                                       {"role": "assistant", "content": None}]}]}


@pytest.fixture
def traces(tmp_path):
    return load_traces(_write(tmp_path, {"a": [_ev(0), "bad", _ev(2), SERVICE],
                                         "b": [_ev(0)], "c": [_ev(1)], "d": [_ev(2)]}), use_cache=False)


def test_a_user_is_decoded_once_and_shared(traces):
    ue = traces.user("a")
    assert traces.user("a") is ue
    assert traces.user_events("a") is ue.frame
    assert traces.raw_events("a") == list(ue.raw().values())
    assert traces.decodes == {"a": 1}
    assert ue.profile == "profile a" and ue.source.endswith("t.json")


def test_event_indices_keep_the_gap_of_a_skipped_event(traces):
    ue = traces.user("a")
    assert ue.indices == (0, 2, 3)
    assert list(ue.raw()) == [0, 2, 3]
    assert ue.event(2)["context"] == {"caption": "v2"}
    with pytest.raises(KeyError, match="user a has no event 1"):
        ue.event(1)
    pos = ue.positional()
    assert len(pos) == 4 and pos[1] == {} and pos[2] == ue.event(2) and pos[3]["type"] == "Customer Service"


def test_dialogue_turns_come_from_the_one_extractor(traces):
    turns = traces.user("a").turns(3)
    assert [(t.role, t.content) for t in turns] == [("system", "ticket opened"), ("user", "where is it"),
                                                     ("assistant", "")]
    assert traces.user("a").turns(0) == []
    assert traces.user("a").turns(3) is turns  # decoded once


def test_memo_computes_a_derived_view_once(traces):
    ue = traces.user("a")
    calls = []
    first = ue.memo("n", lambda u: calls.append(1) or len(u))
    assert ue.memo("n", lambda u: calls.append(1) or -1) == first == 3 and calls == [1]


def test_unknown_user(traces):
    with pytest.raises(KeyError, match="zz"):
        traces.user("zz")
    assert traces.user_events("zz").height == 0 and traces.raw_events("zz") == []
    assert not traces.has_user("zz") and traces.has_user("a")


def test_concurrent_readers_decode_once(traces):
    got, barrier = [], threading.Barrier(8)

    def read():
        barrier.wait()
        got.append(traces.user("a"))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(g is got[0] for g in got)
    assert traces.decodes == {"a": 1}


def test_recently_used_and_still_referenced_users_are_not_decoded_again(traces):
    traces._users._size = 1
    held = traces.user("a")
    for u in ("b", "c", "d"):
        traces.user(u)
    assert traces.user("a") is held and traces.decodes["a"] == 1  # referenced: found again
    assert traces.decodes["b"] == 1
    traces.user("b")
    assert traces.decodes["b"] == 2  # neither recent nor referenced: decoded again
    del held
    gc.collect()
    traces.user("c")
    traces.user("a")
    assert traces.decodes["a"] == 2
