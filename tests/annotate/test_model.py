"""Point 1: what a case holds; the taxonomy; building a case from a trace's raw events."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from workbench.annotate.context import (CaseContextError, case_for_range, case_from_events,
                                        marks_from_events, neighbours_of, outcome_of)
from workbench.annotate.model import Case, CasePrediction, dialogue_of, new_case
from workbench.annotate.taxonomy import DEFAULT_TAGS, resolve_tag, slugify
from workbench.simulate.types import Prediction


def test_case_holds_everything_issue_point_1(sample_cases):
    video = sample_cases[0]
    assert video.source.endswith("user_0001.json") and video.user_id == "user_0001"
    assert video.event_index == 1 and video.scenario == "Video Browsing"
    assert video.fields == ("video_liked", "video_watch_seconds")
    assert video.real_values == {"video_liked": 1, "video_watch_seconds": 20.0}
    p = video.predictions[0]
    assert (p.model, p.memory, p.prompt_hash, p.predicted_value, p.predicted_label, p.raw_output) == \
        ("gpt-4o", "truncate", "a" * 64, 0.9, 1, "Yes")
    assert video.tags == ("hyper-activity",) and video.severity == 2 and video.author == "ana"
    assert video.created and video.updated and video.created <= video.updated
    assert video.event["context"]["caption"] == "dog" and video.event["timestamp"] == "2025-09-03 21:20:00"
    assert [n["event_index"] for n in video.neighbours] == [0, 2, 3, 4]
    assert video.models == ("gpt-4o", "baseline:user")
    with pytest.raises(FrozenInstanceError):
        video.note = "x"  # type: ignore[misc]


def test_dialogue_case_keeps_transcript_and_real_next_message(sample_cases):
    service = sample_cases[1]
    assert [t.role for t in service.transcript] == ["user", "assistant", "user"]
    assert service.real_values == {"next_user_message": "I want a refund, this is your fault"}
    assert service.fields == ("next_user_message",)


def test_range_case(sample_cases):
    rng = sample_cases[2]
    assert rng.is_range and rng.event_index is None
    assert (rng.start_ts, rng.end_ts) == ("2025-09-03 21:00:00", "2025-09-04 10:30:00")
    # events 0..2 are inside, one more on the right as context
    assert [n["event_index"] for n in rng.neighbours] == [0, 1, 2, 3]
    assert rng.scenario == "mixed"


def test_case_validation():
    with pytest.raises(ValueError, match="severity"):
        new_case(source="s", user_id="u", event_index=0, severity=4)
    with pytest.raises(ValueError, match="event_index or both"):
        new_case(source="s", user_id="u")
    with pytest.raises(ValueError, match="after"):
        new_case(source="s", user_id="u", start_ts="2025-01-02", end_ts="2025-01-01")


def test_prediction_conversion_and_fields_follow_predictions():
    pred = Prediction("m", "live_liked", float("nan"), 1, "Yes", True, error="")
    case = new_case(source="s", user_id="u", event_index=3, predictions=[pred], memory="summary",
                    prompt_hash="h")
    assert case.fields == ("live_liked",)
    assert case.predictions[0] == CasePrediction("m", "live_liked", None, 1, "Yes", True, "summary", "h", "", "")


def test_unknown_event_and_field_are_named(history):
    with pytest.raises(CaseContextError, match="no event 99"):
        case_from_events(history, source="t.json", user_id="user_0001", event_index=99)
    with pytest.raises(CaseContextError, match="no question live_liked"):
        case_from_events(history, source="t.json", user_id="user_0001", event_index=0, fields=["live_liked"])
    with pytest.raises(CaseContextError, match="not a 'YYYY"):
        case_for_range(history, source="t.json", user_id="u", start_ts="yesterday", end_ts="2025-09-04")


def test_neighbours_respect_gaps_in_event_indices(history):
    events = {0: history[0], 1: history[1], 5: history[5], 6: history[6]}
    assert [n["event_index"] for n in neighbours_of(events, 5, around=1)] == [1, 6]
    assert neighbours_of(events, 3) == []


def test_outcomes_and_marks(history):
    assert [outcome_of(e) for e in history] == [0, 1, 2, 2, 0, 2, 0]
    marks = marks_from_events({**e, "event_index": i} for i, e in enumerate(history))
    assert [m.scenario for m in marks][:3] == ["Video Browsing", "Video Browsing", "Live Streaming"]
    # date-only ad sorts before the timed search on the same day, as strings do
    assert [m.event_index for m in marks][-2:] == [5, 6]


def test_dialogue_of_ignores_bad_turns():
    ev = {"action": [{"type": "dialogue", "content": [{"role": "user", "content": None}, "junk",
                                                       {"role": "assistant", "content": "hi"}]}]}
    assert [(t.role, t.content) for t in dialogue_of(ev)] == [("user", ""), ("assistant", "hi")]


def test_taxonomy_defaults_and_resolution():
    names = [t.name for t in DEFAULT_TAGS]
    assert names == ["hyper-activity", "utopian-tone", "persona-homogenisation", "long-horizon-miss",
                     "cross-scenario-miss", "parse-failure", "other"]
    assert [t.shortcut for t in DEFAULT_TAGS] == [1, 2, 3, 4, 5, 6, 7]
    assert resolve_tag("Utopian Tone", DEFAULT_TAGS).name == "utopian-tone"
    assert resolve_tag("3", DEFAULT_TAGS).name == "persona-homogenisation"
    assert resolve_tag("long horizon miss", DEFAULT_TAGS).name == "long-horizon-miss"
    with pytest.raises(KeyError, match="known tags"):
        resolve_tag("boredom", DEFAULT_TAGS)
    assert slugify("  Tone: too NICE! ") == "tone-too-nice"
    with pytest.raises(ValueError):
        slugify("!!!")


def test_to_dict_leaves_snapshot_out_unless_asked(sample_cases):
    from dataclasses import replace

    c = replace(sample_cases[0], snapshot_png=b"\x89PNG\r\n\x1a\nxx")
    assert "snapshot_png" not in c.to_dict() and c.to_dict()["has_snapshot"] is True
    assert c.to_dict(include_snapshot=True)["snapshot_png"].startswith(b"\x89PNG")
    assert isinstance(c, Case)
