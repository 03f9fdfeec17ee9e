"""Point 2/3 (queues): every mismatch of one model on one field, most confident first, from a
predictions.jsonl or from Prediction objects."""

from __future__ import annotations

import orjson
import pytest

from workbench.annotate.queue import (QueueError, load_prediction_rows, mismatch_queue,
                                      rows_from_predictions)
from workbench.simulate.types import Prediction


def row(u, i, field, true, pv, pl, model="m", parse_ok=True, kind=None):
    r = {"user_id": u, "event_index": i, "scenario": "Video Browsing", "field": field, "true_value": true,
         "predicted_value": pv, "predicted_label": pl, "raw_output": str(pv), "model": model,
         "parse_ok": parse_ok}
    if kind:
        r["kind"] = kind
    return r


def test_binary_mismatches_most_confident_first():
    rows = [row("a", 0, "video_liked", 0, 0.6, 1, kind="binary"),
            row("a", 1, "video_liked", 1, 0.95, 1, kind="binary"),      # agrees
            row("b", 2, "video_liked", 1, 0.05, 0, kind="binary"),      # wrong with confidence 0.95
            row("b", 3, "video_liked", 0, 0.8, 1, kind="binary"),
            row("b", 4, "video_liked", 0, 0.99, 1, model="other", kind="binary"),  # other model
            row("b", 5, "video_commented", 0, 0.99, 1, kind="binary"),  # other field
            row("c", 6, "video_liked", 0, None, None, parse_ok=False, kind="binary"),
            row("c", 7, "video_liked", 0, 1.0, 1, kind="binary")]       # hard answer
    q = mismatch_queue(rows, "m", "video_liked")
    assert [(it.user_id, it.event_index) for it in q] == [("c", 7), ("b", 2), ("b", 3), ("a", 0), ("c", 6)]
    assert q[1].confidence == pytest.approx(0.95)
    assert q[-1].parse_ok is False


def test_continuous_and_text():
    rows = [row("a", 0, "video_watch_seconds", 10.0, 12.0, 12.0),   # within tolerance
            row("a", 1, "video_watch_seconds", 10.0, 80.0, 80.0),
            row("a", 2, "video_watch_seconds", 0.0, 30.0, 30.0),
            row("a", 3, "next_user_message", "where is my parcel", "Where is  my parcel", None),
            row("a", 4, "next_user_message", "where is my parcel", "Thank you so much!", None)]
    q = mismatch_queue(rows, "m", "video_watch_seconds")
    assert [it.event_index for it in q] == [1, 2] and q[0].confidence == pytest.approx(70.0)
    assert [it.event_index for it in mismatch_queue(rows, "m", "next_user_message")] == [4]


def test_from_prediction_objects_and_jsonl(tmp_path):
    items = [("u", 1, "Live Streaming", 0, Prediction("m", "live_liked", 0.7, 1, "Yes", True)),
             ("u", 2, "Live Streaming", 1, Prediction("m", "live_liked", 0.7, 1, "Yes", True))]
    rows = rows_from_predictions(items)
    assert rows[0]["kind"] == "binary"
    q = mismatch_queue(rows, "m", "live_liked")
    assert [(it.event_index, it.confidence) for it in q] == [(1, pytest.approx(0.7))]
    path = tmp_path / "predictions.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n\n")
    assert load_prediction_rows(path) == rows
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(orjson.dumps(rows[0]) + b"\n{not json\n")
    with pytest.raises(QueueError, match=r"bad.jsonl:2: not valid JSON"):
        load_prediction_rows(bad)
    bad.write_bytes(b'{"user_id": "u"}\n')
    with pytest.raises(QueueError, match=r"bad.jsonl:1: missing key 'event_index'"):
        load_prediction_rows(bad)
