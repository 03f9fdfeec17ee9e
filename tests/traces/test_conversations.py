"""Conversation JSONL (dialogue sets of real and simulated users) -> canonical dialogue events."""

from __future__ import annotations

import json

import orjson
import pytest

from workbench.traces import TraceError, schema
from workbench.traces.conversations import load_conversations, looks_like_conversations

LINES = [
    {"id": "c1", "user_side": "real", "task": "Return a blender", "persona": "Retired teacher, patient",
     "user_id": "u1", "timestamp": "2025-06-01T10:00:00Z",
     "turns": [{"role": "user", "content": "Hi, the blender leaks.", "metadata": {"turn_id": 1}},
               {"role": "assistant", "content": "Sorry to hear that! Could you send a photo?"}]},
    {"id": "c2", "simulated": True, "model": "gpt-4o-mini", "user_id": "u1", "timestamp": "2025-06-02T09:00:00+02:00",
     "persona": {"age": 67, "traits": ["patient"]},
     "conversations": [{"from": "human", "value": "Thank you so much, you are wonderful!"},
                       {"from": "gpt", "value": "Happy to help."}]},
    {"id": "c3", "user_side": "robot", "turns": "not a list"},
    {"user_side": "simulated", "turns": [{"role": "user", "content": ["a", 1]}, "loose text", {"content": "x"}]},
    {"id": "c1", "user_side": "real", "turns": [], "timestamp": "soon"},
]


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "dialogues.jsonl"
    text = "\n".join(json.dumps(o) for o in LINES[:3]) + "\n{broken\n\n" + "\n".join(json.dumps(o) for o in LINES[3:])
    p.write_text(text + "\n", encoding="utf-8")
    return p


def test_conversations_become_dialogue_events(path):
    ts = load_conversations(path)
    assert ts.user_ids() == ["u1", "c3", "line-6", "c1"]
    u1 = ts.user_events("u1")
    assert u1["scenario"].to_list() == [schema.SERVICE, schema.SERVICE]
    assert u1["category"].to_list() == ["real user", "simulated user"]
    assert u1["title"][0] == "Return a blender"
    assert str(u1["ts"][1]) == "2025-06-02 07:00:00"    # offsets -> UTC
    acts = orjson.loads(u1["actions"][1])
    assert acts[0]["type"] == "dialogue" and acts[0]["user_side"] == "simulated"
    assert acts[0]["content"] == [{"role": "user", "content": "Thank you so much, you are wonderful!"},
                                  {"role": "assistant", "content": "Happy to help."}]
    first = orjson.loads(u1["actions"][0])[0]["content"][0]
    assert first["metadata"] == {"turn_id": 1}
    ctx = orjson.loads(u1["context"][1])
    assert ctx["model"] == "gpt-4o-mini" and ctx["conversation_id"] == "c2"
    assert ts.profile("u1") == "Retired teacher, patient"
    assert u1["act_dialogue"].to_list() == [True, True]
    # read by the same code as OmniBehavior customer-service dialogues
    from workbench.simulate.questions import dialogue_turns

    raw = ts.raw_events("u1")
    assert dialogue_turns(raw[0])[0]["content"] == "Hi, the blender leaks."


def test_quirks_are_warned_and_kept(path):
    ts = load_conversations(path)
    by = {(w.field, w.user_id): w for w in ts.warnings}
    assert ("user_side", "c3") in by and ("turns", "c3") in by
    assert ts.user_events("c3").height == 1                 # kept, with no turns
    assert any(w.file == f"{path}:4" and "line skipped" in w.message for w in ts.warnings)
    assert any(w.field == "id" and w.file == f"{path}:6" and "called line-6" in w.message for w in ts.warnings)
    assert ("turns[0].content", "line-6") in by and ("turns[2].role", "line-6") in by
    turns = orjson.loads(ts.user_events("line-6")["actions"][0])[0]["content"]
    assert turns[0]["content"] == '["a",1]' and turns[1] == {"role": "unknown", "content": "loose text"}
    assert any(w.field == "id" and "appears again" in w.message for w in ts.warnings)
    assert any(w.field == "timestamp" and w.user_id == "c1" for w in ts.warnings)


def test_detection_and_empty_files(tmp_path, path):
    assert looks_like_conversations(path)
    omni = tmp_path / "omni.jsonl"
    omni.write_text(json.dumps({"user_1": {"user_profile": "", "action_history": []}}) + "\n")
    assert not looks_like_conversations(omni)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(TraceError):
        load_conversations(empty)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("[1, 2]\n")
    with pytest.raises(TraceError) as err:
        load_conversations(bad)
    assert f"{bad}:1" in str(err.value)


def test_load_traces_dispatches_conversation_jsonl(path):
    from workbench.traces import load_traces
    from workbench.traces.conversations import ConversationTraceSet

    ts = load_traces(path)
    assert isinstance(ts, ConversationTraceSet) and ts.user_events("u1").height == 2
