"""Utopian markers on the words: spans in code points (Chinese and emoji), lexicon candidates,
precision/recall per lexicon marker and language, exports in every format, the CLI."""

from __future__ import annotations

import json
from dataclasses import replace

import polars as pl
import pytest

from workbench.annotate.export import export_cases
from workbench.annotate.model import CasePrediction, Turn
from workbench.annotate.redact import Redactor
from workbench.annotate.spans import (Span, SpanError, candidates, codepoint_to_utf16, decide, lexicon_quality,
                                      make_span, relocate, utf16_to_codepoint)
from workbench.annotate.store import CaseStore
from workbench.cli import main

ZH = "您好😀，user_0001想问一下可以退款吗？谢谢👍🏽"
EN = "Could you please kindly help me, thank you so much! 😊 Maybe tomorrow?"


@pytest.fixture
def case(sample_cases):
    return replace(sample_cases[1], transcript=(Turn("user", ZH), Turn("assistant", "好的")),
                   predictions=(CasePrediction("gpt-4o", "next_user_message", EN, EN, EN, True),),
                   real_values={"next_user_message": ZH})


def test_offsets_are_code_points_for_chinese_and_emoji(tmp_path, case):
    start = ZH.index("谢谢")                      # after an emoji: code points != UTF-16 units
    span = make_span(case, "turn:0", start, start + 2, "politeness", annotator="ana")
    assert span.quote == "谢谢" and span.lang == "zh"
    assert codepoint_to_utf16(ZH, start) == start + 1        # 😀 is two UTF-16 units
    assert utf16_to_codepoint(ZH, codepoint_to_utf16(ZH, start)) == start
    thumbs = ZH.index("👍🏽")
    emoji = make_span(case, "turn:0", thumbs, thumbs + 2, "uniform-positivity", annotator="ana")
    assert emoji.quote == "👍🏽" and codepoint_to_utf16(ZH, thumbs + 2) - codepoint_to_utf16(ZH, thumbs) == 4
    with CaseStore(tmp_path / "c.db") as store:
        store.add_case(case)
        store.add_span(span)
        store.add_span(emoji)
        back = store.spans(case.id)
        assert [(s.start, s.end, s.quote) for s in back] == [(start, start + 2, "谢谢"), (thumbs, thumbs + 2, "👍🏽")]
        assert ZH[back[0].start:back[0].end] == back[0].quote
        with pytest.raises(SpanError, match="not the quoted"):
            store.add_span(replace(span, id="x", start=start + 1, end=start + 3))
        with pytest.raises(SpanError, match="outside the message"):
            make_span(case, "turn:0", 5, 500, "politeness", annotator="ana")
        with pytest.raises(SpanError, match="no message 'turn:7'"):
            make_span(case, "turn:7", 0, 1, "politeness", annotator="ana")
        with pytest.raises(SpanError, match="unknown marker type"):
            make_span(case, "turn:0", 0, 1, "rudeness", annotator="ana")
        store.delete_span(emoji.id)
        assert len(store.spans()) == 1
        store.delete_case(case.id)                 # spans go with their case
        assert store.spans() == []


def test_lexicon_candidates_point_at_their_words(case):
    found = candidates(case)
    assert found and all(s.status == "candidate" and s.source.startswith("lexicon:") for s in found)
    by_target = {}
    for s in found:
        by_target.setdefault(s.target, []).append(s)
    en = by_target["pred:gpt-4o:next_user_message"]
    assert {s.quote.lower() for s in en} >= {"could you please", "kindly", "thank you", "maybe"}
    assert {s.marker for s in en} >= {"politeness", "hedging"}
    for s in en:
        assert EN[s.start:s.end] == s.quote
    zh = by_target["turn:0"]
    assert "谢谢" in {s.quote for s in zh}
    assert all(ZH[s.start:s.end] == s.quote for s in zh)


def _spans(status_source_marker_lang):
    return [Span(str(i), "c", "turn:0", 0, 1, "x", marker, status, source, lang)
            for i, (status, source, marker, lang) in enumerate(status_source_marker_lang)]


def test_lexicon_precision_and_recall_per_language():
    """politeness/en: 3 accepted, 1 rejected, 2 missed -> precision 3/4, recall 3/5;
    politeness/zh: 1 accepted, 1 rejected -> 1/2, 1/1; hedging/en: 0 accepted, 2 rejected -> 0, None."""
    spans = _spans([("accepted", "lexicon:politeness", "politeness", "en")] * 3
                   + [("rejected", "lexicon:politeness", "politeness", "en")]
                   + [("manual", "", "politeness", "en")] * 2
                   + [("accepted", "lexicon:politeness", "politeness", "zh"),
                      ("rejected", "lexicon:politeness", "politeness", "zh")]
                   + [("rejected", "lexicon:hedging", "hedging", "en")] * 2
                   + [("manual", "", "quiet-pivot", "en")])
    got = {(q.category, q.lang): q for q in lexicon_quality(spans)}
    assert set(got) == {("politeness", "en"), ("politeness", "zh"), ("hedging", "en")}
    assert (got["politeness", "en"].precision, got["politeness", "en"].recall) == (0.75, 0.6)
    assert (got["politeness", "zh"].precision, got["politeness", "zh"].recall) == (0.5, 1.0)
    assert got["hedging", "en"].precision == 0.0 and got["hedging", "en"].recall is None


def test_relocate_follows_the_quote():
    s = Span("1", "c", "turn:0", 3, 5, "谢谢", "politeness")
    assert relocate(s, "abc谢谢") is s
    moved = relocate(s, "谢谢 and later 谢谢")
    assert (moved.start, moved.end) == (0, 2)
    assert relocate(s, "no thanks here") is None


def test_spans_go_into_every_export_format_with_redacted_offsets(tmp_path, case):
    start = ZH.index("谢谢")
    cand = next(s for s in candidates(case) if s.target == "pred:gpt-4o:next_user_message" and s.quote == "kindly")
    spans = {case.id: [make_span(case, "turn:0", start, start + 2, "politeness", annotator="ana"),
                       decide(cand, True, "bo")]}
    red = Redactor(pseudonymise=True, salt="s")
    pseudo = red.user("user_0001")
    for fmt in ("jsonl", "csv", "parquet", "html"):
        out = export_cases([case], fmt, tmp_path / f"x.{fmt}", spans=spans,
                           redactor=Redactor(pseudonymise=True, salt="s"))
        if fmt == "jsonl":
            rec = json.loads(out.read_text(encoding="utf-8"))
            zh_span = next(s for s in rec["spans"] if s["target"] == "turn:0")
            text = rec["transcript"][0]["content"]
            assert pseudo in text and "user_0001" not in text
            # the pseudonym is longer than the id: the span moved with its words
            assert text[zh_span["start"]:zh_span["end"]] == "谢谢" == zh_span["quote"]
            assert zh_span["start"] == start + len(pseudo) - len("user_0001")
        elif fmt == "csv":
            import csv
            import io

            rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
            assert {s["quote"] for s in json.loads(rows[0]["spans"])} == {"谢谢", "kindly"}
        elif fmt == "parquet":
            frame = pl.read_parquet(out)
            got = frame["spans"].to_list()[0]
            assert {(s["quote"], s["status"], s["annotator"]) for s in got} == {("谢谢", "manual", "ana"),
                                                                            ("kindly", "accepted", "bo")}
        else:
            page = out.read_text(encoding="utf-8")
            assert '<mark class="span s-politeness" title="politeness · ana">谢谢</mark>' in page
            assert "Marked spans" in page and "Lexicon markers against the annotators" in page


def test_cli_suggest_mark_and_quality(tmp_path, case, capsys):
    db = tmp_path / "c.db"
    with CaseStore(db) as store:
        store.add_case(case)
    assert main(["cases", "suggest", str(db), "--case", case.id, "--json"]) == 0
    sugg = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    please = next(s for s in sugg if s["quote"] == "kindly")
    maybe = next(s for s in sugg if s["quote"] == "Maybe")
    assert main(["cases", "mark", str(db), "--case", case.id, "--target", please["target"], "--start",
                 str(please["start"]), "--end", str(please["end"]), "--marker", "politeness", "--status",
                 "accepted", "--source", please["source"], "--by", "ana"]) == 0
    assert main(["cases", "mark", str(db), "--case", case.id, "--target", maybe["target"], "--start",
                 str(maybe["start"]), "--end", str(maybe["end"]), "--marker", "hedging", "--status",
                 "rejected", "--source", maybe["source"], "--by", "ana"]) == 0
    s = EN.index("so much")
    assert main(["cases", "mark", str(db), "--case", case.id, "--target", "pred:gpt-4o:next_user_message",
                 "--start", str(s), "--end", str(s + 7), "--marker", "politeness", "--by", "ana"]) == 0
    assert main(["cases", "mark", str(db), "--case", case.id, "--target", "turn:0", "--start", "0",
                 "--end", "999", "--marker", "politeness"]) == 2
    assert "outside the message" in capsys.readouterr().err
    assert main(["cases", "spans", str(db), "--quality", "--json"]) == 0
    rows = {(r["category"], r["lang"]): r for r in json.loads(capsys.readouterr().out)}
    assert rows["politeness", "en"]["precision"] == 1.0 and rows["politeness", "en"]["recall"] == 0.5
    assert rows["hedging", "en"]["precision"] == 0.0
