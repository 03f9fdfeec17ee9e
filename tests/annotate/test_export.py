"""Points 4 and 6: JSONL (strictly valid), CSV (formula cells neutralised), Parquet, with context;
pseudonymise and coarsen everywhere; no API key ever exported."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace

import polars as pl
import pytest

from workbench.annotate.export import ExportError, export_cases, neutralise_cell
from workbench.annotate.model import CasePrediction
from workbench.annotate.redact import Redactor, known_secrets
from workbench.annotate.store import CaseStore


def _strict_json(line: str):
    def bad_constant(name):
        raise ValueError(f"non-JSON constant {name}")
    return json.loads(line, parse_constant=bad_constant)


def test_jsonl_is_strict_and_carries_context(tmp_path, sample_cases):
    nasty = replace(sample_cases[0], note='line1\nline2 "quoted" \u2028 \x00 ☃ 𝄞',
                    real_values={"video_liked": 1, "video_watch_seconds": float("nan")},
                    predictions=(CasePrediction("m", "video_liked", float("inf"), 1, "Yes"),))
    out = export_cases([nasty, *sample_cases[1:]], "jsonl", tmp_path / "cases.jsonl")
    lines = out.read_bytes().decode("utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == 4          # one case per line, newline-terminated
    records = [_strict_json(line) for line in lines[:-1]]
    assert records[0]["note"] == nasty.note
    assert records[0]["real_values"]["video_watch_seconds"] is None
    assert records[0]["event"]["context"]["caption"] == "dog"
    assert records[0]["event"]["action"][1] == {"type": "like"}
    assert [n["event_index"] for n in records[0]["neighbours"]] == [0, 2, 3, 4]
    assert records[1]["transcript"][2]["content"] == "I want a refund, this is your fault"
    assert records[1]["predictions"][0]["memory"] == "retrieve"
    assert "snapshot_png" not in records[0]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_neutralises_formula_cells(tmp_path, sample_cases, start):
    evil = f"{start}HYPERLINK(\"http://x\",\"y\")"
    case = replace(sample_cases[0], note=evil, author=f"{start}cmd|' /C calc'!A0", user_id=f"{start}1+1")
    out = export_cases([case], "csv", tmp_path / "cases.csv")
    text = out.read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows[0]["note"] == "'" + evil.replace("\r", "\\x0d")  # a lone CR is shown, not written raw
    shown = start.replace("\r", "\\x0d")
    assert rows[0]["author"].startswith("'" + shown)
    assert rows[0]["user_id"] == f"'{shown}1+1"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert json.loads(rows[0]["real_values"]) == {"video_liked": 1, "video_watch_seconds": 20.0}


def test_neutralise_cell():
    assert neutralise_cell("=1+1") == "'=1+1"
    assert neutralise_cell("-5") == "'-5"
    assert neutralise_cell("a=b") == "a=b"
    assert neutralise_cell(None) == ""
    assert neutralise_cell(3) == "3"


def test_parquet_roundtrip(tmp_path, sample_cases):
    out = export_cases(sample_cases, "parquet", tmp_path / "cases.parquet")
    df = pl.read_parquet(out)
    assert df.height == 3
    assert df["id"].to_list() == [c.id for c in sample_cases]
    assert df["event_index"].to_list() == [1, 4, None]
    assert df["tags"].to_list()[1] == ["utopian-tone", "parse-failure"]
    preds = df["predictions"].to_list()[0]
    assert preds[0]["model"] == "gpt-4o" and json.loads(preds[0]["predicted_value"]) == 0.9
    assert json.loads(df["event"][0])["context"]["caption"] == "dog"
    assert [n["event_index"] for n in json.loads(df["neighbours"][0])] == [0, 2, 3, 4]
    assert df["transcript"].to_list()[1][0]["role"] == "user"
    empty = export_cases([], "parquet", tmp_path / "empty.parquet")
    assert pl.read_parquet(empty).height == 0


def _all_text(path) -> str:
    """Everything an export holds, as text (Parquet is compressed: read it back cell by cell)."""
    if path.suffix == ".parquet":
        return repr(pl.read_parquet(path).to_dicts())
    return path.read_bytes().decode("utf-8-sig")


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "html"])
def test_pseudonymise_and_coarsen_everywhere(tmp_path, sample_cases, fmt):
    out = export_cases(sample_cases, fmt, tmp_path / f"cases.{fmt}",
                       redactor=Redactor(pseudonymise=True, salt="s3cret-salt", coarsen="day"))
    text = _all_text(out)
    assert "user_0001" not in text and "user_0002" not in text
    assert "s3cret-salt" not in text
    assert "/data/traces" not in text                    # the trace folder is dropped
    assert not re.search(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}", text)
    assert "2025-09-03" in text                          # the day is kept
    assert Redactor(pseudonymise=True, salt="s3cret-salt").user("user_0001") in text


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "html"])
def test_coarsen_hour(tmp_path, sample_cases, fmt):
    out = export_cases(sample_cases, fmt, tmp_path / f"cases.{fmt}", redactor=Redactor(coarsen="hour"))
    text = _all_text(out)
    for m in re.finditer(r"\d{4}-\d{2}-\d{2}[ T](\d{1,2}):(\d{2})(?::(\d{2}))?", text):
        assert m.group(2) == "00" and (m.group(3) in (None, "00")), m.group(0)
    assert "2025-09-03 21:00:00" in text


def test_no_api_key_is_ever_exported(tmp_path, sample_cases, memory_keyring):
    """A canary key in keyring (the app's service), in the environment, and even pasted into a note
    and echoed in a raw model output: no export format contains it."""
    from workbench import secrets

    canary = "wb-canary-0d9e8c7b6a5f4e3d2c1b"          # not shaped like any known provider key
    shaped = "sk-proj-CANARYcanaryCANARYcanary1234567890"
    secrets.set_key("openai", canary)
    secrets.set_key("anthropic", shaped)
    assert memory_keyring.get_password(secrets.SERVICE, "openai") == canary
    import os
    os.environ["OPENAI_API_KEY"] = canary
    try:
        leaky = replace(sample_cases[0], note=f"oops pasted {canary} and {shaped}",
                        predictions=(CasePrediction("gpt-4o", "video_liked", 1, 1, f"Authorization: Bearer {shaped}"),))
        db = tmp_path / "cases.db"
        with CaseStore(db) as store:
            for c in [leaky, *sample_cases[1:]]:
                store.add_case(c)
            cases = store.list_cases()
        found = known_secrets([m for c in cases for m in c.models])
        assert canary in found and shaped in found
        for fmt in ("jsonl", "csv", "parquet", "html"):
            out = export_cases(cases, fmt, tmp_path / f"x.{fmt}", redactor=Redactor(secrets=known_secrets(["gpt-4o"])))
            raw = out.read_bytes()
            text = _all_text(out)
            for secret in (canary, shaped):
                assert secret.encode() not in raw and secret not in text, (fmt, secret)
            assert "[redacted secret]" in text
        # and through the CLI, which looks the keys up itself
        from workbench.cli import main

        for fmt in ("jsonl", "csv", "parquet", "html"):
            assert main(["cases", "export", str(db), "--format", fmt, "--out", str(tmp_path / f"c.{fmt}")]) == 0
            text = _all_text(tmp_path / f"c.{fmt}")
            assert canary not in text and shaped not in text
    finally:
        os.environ.pop("OPENAI_API_KEY", None)
        secrets._reset_for_tests()


def test_unknown_format_and_unwritable_target(tmp_path, sample_cases):
    with pytest.raises(ExportError, match="unknown export format"):
        export_cases(sample_cases, "xlsx", tmp_path / "x.xlsx")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="cannot write"):
        export_cases(sample_cases, "jsonl", blocker / "sub" / "x.jsonl")


def test_export_is_atomic_and_readable(tmp_path, sample_cases):
    target = tmp_path / "cases.jsonl"
    target.write_text("old")
    export_cases(sample_cases, "jsonl", target)
    assert target.read_text().count("\n") == 3
    assert [p.name for p in tmp_path.iterdir()] == ["cases.jsonl"]      # no temp file left
    assert target.stat().st_mode & 0o044                                 # not 0600


def test_context_filled_from_the_trace_when_missing(tmp_path, trace_file):
    from workbench.annotate.model import new_case
    from workbench.traces import load_traces

    bare = new_case(source=str(trace_file), user_id="user_0001", event_index=2, fields=["live_liked"])
    ts = load_traces(trace_file)
    out = export_cases([bare], "jsonl", tmp_path / "c.jsonl", traces=lambda src: ts if src == str(trace_file) else None)
    rec = json.loads(out.read_text())
    assert rec["event"]["context"]["live_title"] == "sale"
    assert [n["event_index"] for n in rec["neighbours"]] == [0, 1, 3, 4, 5]
    # without a trace the case is exported as stored
    out = export_cases([bare], "jsonl", tmp_path / "d.jsonl")
    assert json.loads(out.read_text())["event"] is None
