"""The blind "which one is the real user?" test: items, Wilson intervals, picks that survive a kill,
easy picks becoming cases, and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest

from workbench.annotate.blind import build_items, detection_rates, reactions_text, wilson
from workbench.annotate.store import CaseStore
from workbench.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_wilson_interval_by_hand():
    """8 of 10: centre (0.8 + 1.96²/20) / (1 + 1.96²/10) = 0.7167, half-width 0.2266."""
    low, high = wilson(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson(0, 5)[0] == 0.0 and round(wilson(0, 5)[1], 4) == 0.4345
    assert wilson(0, 0) == (0.0, 1.0)


def _rows(model="gpt-4o", n_video=12):
    rows = [{"user_id": "user_0001", "event_index": 4, "scenario": "Customer Service", "field": "next_user_message",
             "true_value": "I want a refund, this is your fault", "model": model, "parse_ok": True,
             "predicted_value": "Could you please kindly help me? Thank you so much!", "predicted_label": None}]
    for i in range(n_video):
        rows += [{"user_id": f"user_{i:04d}", "event_index": 10 + i, "scenario": "Video Browsing",
                  "field": "video_liked", "true_value": i % 2, "predicted_value": 0.9, "predicted_label": 1,
                  "model": model, "parse_ok": True},
                 {"user_id": f"user_{i:04d}", "event_index": 10 + i, "scenario": "Video Browsing",
                  "field": "video_watch_seconds", "true_value": 12 + i, "predicted_value": 30.0,
                  "predicted_label": None, "model": model, "parse_ok": True}]
    rows.append({**rows[1], "model": "other", "parse_ok": True})
    return rows


def test_items_are_seeded_and_worded_alike():
    a = build_items(_rows(), "gpt-4o", 20, seed=3)
    b = build_items(_rows(), "gpt-4o", 20, seed=3)
    assert [(i.user_id, i.event_index, i.real_side) for i in a] == [(i.user_id, i.event_index, i.real_side) for i in b]
    assert len(a) == 13 and {i.model for i in a} == {"gpt-4o"}
    assert {i.real_side for i in a} == {"A", "B"}
    cs = next(i for i in a if i.kind == "message")
    real = cs.a_text if cs.real_side == "A" else cs.b_text
    assert real == "I want a refund, this is your fault"
    video = next(i for i in a if i.kind == "reactions")
    for text in (video.a_text, video.b_text):   # the same fields in the same words on both sides
        assert [ln.split(":")[0] for ln in text.splitlines()] == ["video liked", "video watch seconds"]
    assert reactions_text({"video_liked": 1, "x": 2.25}) == "video liked: yes\nx: 2.2"
    assert build_items(_rows(), "gpt-4o", 20, seed=4) != a


def test_picks_rates_and_easy_cases(tmp_path):
    items = build_items(_rows(), "gpt-4o", 20, seed=1)
    with CaseStore(tmp_path / "b.db") as store:
        store.add_blind_items(items)
        assert store.next_blind_item("ana").id == items[0].id
        made = []
        for k, item in enumerate(items[:10]):
            wrong = "B" if item.real_side == "A" else "A"
            pick = item.real_side if k < 8 else wrong
            made.append(store.record_pick(item, "ana", pick, 3 if k < 2 else 2,
                                          reasons=["utopian-tone", "not-a-tag"], note="too polite"))
        assert store.next_blind_item("ana").id == items[10].id
        assert store.next_blind_item("bo").id == items[0].id
        with pytest.raises(ValueError, match="already picked"):
            store.record_pick(items[0], "ana", "A", 1)
        easy = [c for c in made if c]
        assert len(easy) == 2
        case = store.get_case(easy[0])
        assert case.tags == ("utopian-tone",) and case.author == "ana" and "too polite" in case.note
        rates = detection_rates(store.blind_items(), store.blind_picks())
    overall = next(r for r in rates if r.scenario == "")
    assert (overall.picks, overall.correct) == (10, 8)
    assert (round(overall.low, 4), round(overall.high, 4)) == (0.4902, 0.9433)
    assert not overall.better_than_chance          # 8 of 10 is not yet evidence: the interval holds 50%


CHILD = textwrap.dedent("""
    import sys
    from workbench.annotate.store import CaseStore

    store = CaseStore(sys.argv[1])
    while True:
        item = store.next_blind_item("ana")
        if item is None:
            print("done", flush=True)
            break
        store.record_pick(item, "ana", "A", 2)
        print("picked", item.position, flush=True)
""")


def test_a_killed_blind_session_resumes_at_the_same_item(tmp_path):
    db = tmp_path / "b.db"
    rows = _rows(n_video=300)
    items = build_items(rows, "gpt-4o", 300, seed=2)
    with CaseStore(db) as store:
        store.add_blind_items(items)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for kill_after in (5, 37, 90):
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE, text=True, env=env)
        acknowledged = []
        for line in proc.stdout:
            if line.startswith("picked"):
                acknowledged.append(int(line.split()[1]))
            if len(acknowledged) >= kill_after:
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with CaseStore(db) as store:
            picked = {p.item_id for p in store.blind_picks("ana")}
            positions = sorted(i.position for i in store.blind_items() if i.id in picked)
            assert set(acknowledged) <= set(positions)              # nothing acknowledged was lost
            assert positions == list(range(len(positions)))          # no gap, no duplicate
            nxt = store.next_blind_item("ana")
            assert nxt.position == len(positions)                   # resumes at the first unpicked item
            assert store.integrity_check() == "ok"


def test_cli_build_and_report(tmp_path, trace_file, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "predictions.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in _rows()))
    db = tmp_path / "blind.db"
    assert main(["blind", "build", str(run), "--model", "gpt-4o", "--n", "20", "--out", str(db),
                 "--trace", str(trace_file), "--seed", "7"]) == 0
    assert "13 blind item(s) of gpt-4o" in capsys.readouterr().out
    with CaseStore(db) as store:
        items = store.blind_items()
        [cs] = [i for i in items if i.kind == "message"]
        # the dialogue so far comes from the trace: the turns before the real next message
        assert [t["content"] for t in cs.context] == ["hello, my shoes are broken",
                                                      "Sorry, could you please send a photo?"]
        for i in items:
            store.record_pick(i, "ana", i.real_side, 2)
    assert main(["blind", "report", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    overall = next(d for d in data["detection"] if d["scenario"] == "")
    assert overall["picks"] == 13 and overall["rate"] == 1.0 and data["chance"] == 0.5
    assert overall["low"] == pytest.approx(wilson(13, 13)[0]) and overall["better_than_chance"]
    assert main(["blind", "build", str(run), "--model", "nobody", "--n", "5", "--out", str(db)]) == 2
    assert "no answered question of model 'nobody'" in capsys.readouterr().err
