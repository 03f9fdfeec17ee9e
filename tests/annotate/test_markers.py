"""Markers highlighted in customer-service messages: the evaluate analysis' own spans, with the shipped
lexicons as fallback."""

from __future__ import annotations

from workbench.annotate import markers


def test_uses_the_evaluate_finder_when_present():
    found = markers.find_markers("Sorry, could you please help? I want a refund, maybe 投诉")
    assert [(m.text, m.category) for m in found] == [
        ("Sorry", "politeness"), ("could you please", "politeness"), ("refund", "complaint"),
        ("maybe", "hedging"), ("投诉", "complaint")]
    assert markers.SOURCE in ("evaluate", "lexicons")


def test_lexicon_fallback(monkeypatch):
    monkeypatch.setattr(markers, "_evaluate_finder", lambda: None)
    found = markers.find_markers("Please, PLEASE  thank   you; perhaps 麻烦您 差评, pleased")
    assert [(m.text, m.category) for m in found][:3] == [("Please", "politeness"), ("PLEASE", "politeness"),
                                                          ("thank   you", "politeness")]
    assert ("perhaps", "hedging") in [(m.text, m.category) for m in found]
    assert ("差评", "complaint") in [(m.text, m.category) for m in found]
    assert "pleased" not in [m.text for m in found]          # word boundaries for English
    assert markers.SOURCE == "lexicons"
    spans = [(m.start, m.end) for m in found]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # no overlaps
    assert markers.marker_counts("please refund") == {"politeness": 1, "hedging": 0, "complaint": 1}


def test_bad_finder_falls_back(monkeypatch):
    def broken(text):
        raise RuntimeError("boom")
    monkeypatch.setattr(markers, "_evaluate_finder", lambda: broken)
    assert [m.category for m in markers.find_markers("please")] == ["politeness"]
