"""Blind items from predictions made event by event (the Predict panel's path) and the dialogue so far."""

from __future__ import annotations

import json

import pytest

from tests.simulate import events as E
from workbench.annotate.blind import (BlindError, build_items, dialogue_so_far, items_from_event_results,
                                      reactions_text)
from workbench.annotate.store import CaseStore
from workbench.cli import main
from workbench.simulate.questions import questions_for_event
from workbench.simulate.types import Prediction

SERVICE = E.service()          # the last user turn is a rating request: the target is the turn before it
VIDEO = E.video(actions=("like",))


def _answers(questions, model, text="请问您能帮我查一下吗？谢谢您！", yes=1):
    out = []
    for q in questions:
        if q.kind == "text":
            out.append(Prediction(model, q.field, text, text, text, True))
        elif q.kind == "binary":
            out.append(Prediction(model, q.field, float(yes), yes, "Yes" if yes else "No", True))
        else:
            out.append(Prediction(model, q.field, 30.0, 30.0, "30", True))
    return out


def _events():
    sq, vq = questions_for_event(SERVICE), questions_for_event(VIDEO)
    return [("u1", 3, "电商客服对话", sq, {"openai/m": _answers(sq, "openai/m"), "baseline:user": _answers(sq, "baseline:user", "在吗")}),
            ("u1", 7, "视频浏览", vq, {"openai/m": _answers(vq, "openai/m"),
                                   "baseline:user": [Prediction("baseline:user", q.field, None, None, "", False,
                                                                error="no answer") for q in vq]})]


def test_dialogue_so_far_stops_before_the_target_turn():
    [q] = questions_for_event(SERVICE)
    assert q.true_value == "我的快递怎么还没到"
    turns = dialogue_so_far(q)
    assert [t["content"] for t in turns] == ["你好在吗", "在的亲，请问有什么可以帮您"]   # the real message is not leaked
    assert dialogue_so_far(questions_for_event(VIDEO)[0]) == []


def test_items_from_predictions_one_per_event_and_answering_model():
    items = items_from_event_results(_events(), seed=11, source="/data/t.json")
    again = items_from_event_results(_events(), seed=11, source="/data/t.json")
    assert [(i.user_id, i.event_index, i.model, i.real_side) for i in items] == \
           [(i.user_id, i.event_index, i.model, i.real_side) for i in again]       # seeded
    # the baseline failed on the video: 3 items, numbered 0..2 in the drawn order
    assert sorted((i.event_index, i.model) for i in items) == [(3, "baseline:user"), (3, "openai/m"), (7, "openai/m")]
    assert [i.position for i in items] == [0, 1, 2] and {i.source for i in items} == {"/data/t.json"}
    msg = next(i for i in items if i.model == "openai/m" and i.kind == "message")
    real, fake = (msg.a_text, msg.b_text) if msg.real_side == "A" else (msg.b_text, msg.a_text)
    assert (real, fake) == ("我的快递怎么还没到", "请问您能帮我查一下吗？谢谢您！")
    assert [t["content"] for t in msg.context] == ["你好在吗", "在的亲，请问有什么可以帮您"]
    video = next(i for i in items if i.kind == "reactions")
    real = video.a_text if video.real_side == "A" else video.b_text
    truth = {q.field: q.true_value for q in questions_for_event(VIDEO)}
    assert real == reactions_text(truth)             # the same words as an evaluation run's items
    assert [ln.split(":")[0] for ln in video.a_text.splitlines()] == [ln.split(":")[0] for ln in video.b_text.splitlines()]
    # the same item as build_items gives for the run-shaped rows of that model alone
    [alone] = build_items([{"model": "m", "user_id": "u1", "event_index": 7, "scenario": "视频浏览", "field": f,
                            "true_value": v, "predicted_label": None, "predicted_value": v, "parse_ok": True}
                           for f, v in truth.items()], "m", 1)
    assert {alone.a_text, alone.b_text} == {real}
    with pytest.raises(BlindError, match="run Predict first"):
        items_from_event_results([], seed=1)


def test_appended_items_follow_the_session_and_resume(tmp_path):
    with CaseStore(tmp_path / "s.db") as store:
        first = store.append_blind_items(items_from_event_results(_events(), seed=1))
        second = store.append_blind_items(items_from_event_results(_events()[:1], seed=2))
        assert [i.position for i in store.blind_items()] == [0, 1, 2, 3, 4]
        assert [i.position for i in second] == [3, 4]
        among = [i.id for i in second]
        assert store.next_blind_item("ana", among).id == second[0].id
        store.record_pick(second[0], "ana", "A", 1)
        assert store.next_blind_item("ana", among).id == second[1].id
        assert store.next_blind_item("ana").id == first[0].id          # the whole session: from the start


def test_cli_dialogue_context_never_holds_the_real_message(tmp_path, capsys):
    trace = tmp_path / "t.json"
    trace.write_text(json.dumps({"u1": {"user_profile": "女", "action_history": E.trace(1) + [SERVICE]}},
                                ensure_ascii=False))
    index = len(E.trace(1))
    run = tmp_path / "run"
    run.mkdir()
    row = {"user_id": "u1", "event_index": index, "scenario": "电商客服对话", "field": "next_user_message",
           "kind": "text", "true_value": "我的快递怎么还没到", "predicted_value": "您好，请问物流到哪了？",
           "predicted_label": "您好，请问物流到哪了？", "model": "m", "parse_ok": True}
    (run / "predictions.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    db = tmp_path / "b.db"
    assert main(["blind", "build", str(run), "--model", "m", "--n", "1", "--out", str(db), "--trace", str(trace)]) == 0
    with CaseStore(db) as store:
        [item] = store.blind_items()
    assert [t["content"] for t in item.context] == ["你好在吗", "在的亲，请问有什么可以帮您"]
    assert item.source == str((run / "predictions.jsonl").resolve())
