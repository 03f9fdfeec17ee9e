"""The one dialogue-turn extractor and its users (prompt context, cases, inspector)."""

from __future__ import annotations

from workbench.traces.dialogue import Turn, action_turns, event_turns, speaker_turns


def _service(*dialogues):
    return {"type": "Customer Service", "timestamp": "2025-10-02 10:00:00",
            "context": {"ticket_category": "logistics"},
            "action": [{"type": "purchase", "paid": True}, *dialogues]}


def _dialogue(*turns):
    return {"type": "dialogue", "content": [t if not isinstance(t, tuple) else {"role": t[0], "content": t[1]}
                                            for t in turns]}


def test_first_dialogue_action_every_role_as_given():
    ev = _service(_dialogue(("system", "opened"), ("user", "hi"), "junk", {"content": 5}, ("assistant", None)),
                  _dialogue(("user", "second dialogue")))
    assert event_turns(ev) == [Turn("system", "opened"), Turn("user", "hi"), Turn("", "5"), Turn("assistant", "")]
    assert speaker_turns(event_turns(ev)) == [Turn("user", "hi"), Turn("assistant", "")]
    assert action_turns(ev["action"][2]) == [Turn("user", "second dialogue")]


def test_no_dialogue():
    assert event_turns(None) == [] and event_turns({"action": "x"}) == []
    assert event_turns(_service({"type": "dialogue", "content": "not a list"}, _dialogue(("user", "x")))) == []
    assert action_turns({"type": "purchase"}) == []
    assert Turn.of({"role": None, "content": None}) == Turn("", "")


def test_prompt_context_keeps_only_the_two_speakers():
    from workbench.simulate.questions import questions_for_event

    ev = _service(_dialogue(("system", "the agent joined the chat"), ("user", "where is my kettle"),
                            ("assistant", "it ships today"), ("user", "please hurry, thanks")))
    (q,) = questions_for_event(ev)
    assert q.true_value == "please hurry, thanks"
    assert q.extra["dialogue_context"] == [{"role": "user", "content": "where is my kettle"},
                                           {"role": "assistant", "content": "it ships today"}]


def test_cases_and_inspector_read_the_same_turns():
    from workbench.annotate.model import Turn as CaseTurn, dialogue_of

    ev = _service(_dialogue(("system", "opened"), ("user", "hi there")))
    assert CaseTurn is Turn and dialogue_of(ev) == event_turns(ev)


def test_inspector_marks_turns_that_are_not_a_speakers(qapp):
    from workbench.app.inspector import _transcript_html, dialogue_turns

    ev = _service(_dialogue(("system", "opened"), ("user", "hi there")))
    turns = dialogue_turns(ev["action"])
    assert turns == [("system", "opened"), ("user", "hi there")]
    html = _transcript_html(turns)
    assert "system (not in prompts)" in html and "Customer" in html
