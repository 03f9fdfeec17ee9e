"""Point 7: `workbench cases add|export|list|queue|tags`."""

from __future__ import annotations

import json

import orjson
import polars as pl
import pytest

from workbench.annotate.report import external_references
from workbench.annotate.store import CaseStore
from workbench.cli import main


def test_add_then_export_every_format(tmp_path, trace_file, capsys):
    db = tmp_path / "proj" / "cases.db"
    assert main(["cases", "add", str(db), "--trace", str(trace_file), "--user", "user_0001", "--event", "4",
                 "--tag", "utopian tone", "--tag", "6", "--note", "=too polite <script>", "--severity", "2",
                 "--author", "ana"]) == 0
    assert main(["cases", "add", str(db), "--trace", str(trace_file), "--user", "user_0002", "--event", "1",
                 "--tag", "hyper-activity", "--field", "video_liked", "--note", "likes?"]) == 0
    out = capsys.readouterr().out
    assert "user_0001 #4" in out and "Customer Service" in out
    with CaseStore(db) as s:
        cases = s.list_cases()
    assert [c.location() for c in cases] == ["user_0001 #4", "user_0002 #1"]
    a, b = cases
    assert a.tags == ("utopian-tone", "parse-failure") and a.severity == 2 and a.author == "ana"
    assert a.real_values == {"next_user_message": "I want a refund, this is your fault"}
    assert a.event["context"]["ticket_category"] == "refund" and len(a.transcript) == 3
    assert a.source == str(trace_file)
    assert b.real_values == {"video_liked": 1} and b.fields == ("video_liked",)
    assert [n["event_index"] for n in b.neighbours] == [0, 2]

    for fmt in ("jsonl", "csv", "parquet", "html"):
        target = tmp_path / f"out.{fmt}"
        assert main(["cases", "export", str(db), "--format", fmt, "--out", str(target), "--pseudonymise",
                     "--coarsen", "hour"]) == 0
        assert target.exists() and target.stat().st_size > 0
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and all(r["user_id"].startswith("u_") for r in rows)
    assert rows[0]["event"]["timestamp"] == "2025-09-04 12:00:00"
    assert pl.read_parquet(tmp_path / "out.parquet").height == 2
    assert "'=too polite" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    html_text = (tmp_path / "out.html").read_text()
    assert external_references(html_text) == [] and "&lt;script&gt;" in html_text

    # filters
    assert main(["cases", "export", str(db), "--format", "jsonl", "--out", str(tmp_path / "f.jsonl"),
                 "--tag", "1"]) == 0
    assert [json.loads(x)["user_id"] for x in (tmp_path / "f.jsonl").read_text().splitlines()] == ["user_0002"]
    capsys.readouterr()
    assert main(["cases", "list", str(db), "--json", "--text", "POLITE"]) == 0
    listed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["user_id"] for x in listed] == ["user_0001"]


def test_add_errors_name_the_location(tmp_path, trace_file, capsys):
    db = tmp_path / "cases.db"
    assert main(["cases", "add", str(db), "--trace", str(trace_file), "--user", "nobody", "--event", "0",
                 "--tag", "other", "--note", "x"]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err
    assert main(["cases", "add", str(db), "--trace", str(trace_file), "--user", "user_0001", "--event", "42",
                 "--tag", "other", "--note", "x"]) == 2
    assert "no event 42" in capsys.readouterr().err
    assert main(["cases", "add", str(db), "--trace", str(trace_file), "--user", "user_0001", "--event", "0",
                 "--tag", "boredom", "--note", "x"]) == 2
    assert "unknown tag 'boredom'" in capsys.readouterr().err
    assert main(["cases", "add", str(db), "--trace", str(tmp_path / "missing.json"), "--user", "u",
                 "--event", "0", "--tag", "other", "--note", "x"]) == 2
    assert "missing.json" in capsys.readouterr().err
    assert main(["cases", "export", str(tmp_path / "nope.db"), "--format", "csv", "--out", "x.csv"]) == 2
    assert "no such case store" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["cases", "export", str(db), "--format", "xlsx", "--out", "x"])


def test_queue_and_tags(tmp_path, capsys):
    db = tmp_path / "cases.db"
    CaseStore(db).close()
    preds = tmp_path / "predictions.jsonl"
    rows = [{"user_id": "u", "event_index": i, "scenario": "Live Streaming", "field": "live_liked",
             "kind": "binary", "true_value": 0, "predicted_value": p, "predicted_label": 1,
             "raw_output": "Yes", "model": "m", "parse_ok": True} for i, p in enumerate([0.6, 0.9, 0.7])]
    preds.write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
    assert main(["cases", "queue", str(db), "--predictions", str(preds), "--model", "m",
                 "--field", "live_liked"]) == 0
    assert "3 item(s)" in capsys.readouterr().out
    with CaseStore(db) as s:
        (q,) = s.queues()
        assert [it.event_index for it, _ in s.queue_items(q.id)] == [1, 2, 0]
    assert main(["cases", "tags", str(db)]) == 0
    assert "2  utopian-tone" in capsys.readouterr().out
