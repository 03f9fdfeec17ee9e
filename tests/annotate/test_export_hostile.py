"""Hostile text in exports: spreadsheet formulas in CSV, control and bidi characters in CSV and
HTML, and fields so long that a browser would hang on them."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.annotate.export import export_cases, neutralise_cell
from workbench.annotate.model import CasePrediction, Turn
from workbench.annotate.report import render_report
from workbench.annotate.report_text import BLOCK, CLIP, text_blocks
from workbench.textsafe import UNSAFE

# Every way a cell can start a formula that we know of: OWASP's list (= + - @ tab CR), NUL, line
# feed, leading white space of several kinds, quotes, fullwidth and small forms, a BOM, zero-width
# and bidi characters before the sign.
FORMULAS = ["=1+1", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1", "\n=1", "\x00=1",
            " =1", "   +1", "\u00a0=1", "\u3000=1", "\u2003@x", '"=1"', "'=1", "`=1", "“=1", "＝1+1",
            "＋1", "－1", "＠SUM(A1)", "﹦1", "﹢1", "\ufeff=1", "\u200b=1", "\u202e=1", "\x1b=1",
            " \t\"\ufeff＝HYPERLINK(\"http://x\")", "\x00\x00-1", "\r\n=1"]
HARMLESS = ["hello", "用户说好的", "1.5", "(=1)", "a=1", "x+y", "", "😀 =1"]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("payload", FORMULAS)
def test_every_formula_prefix_is_neutralised(payload):
    cell = neutralise_cell(payload)
    assert cell.startswith("'"), repr(cell)
    assert not UNSAFE.search(cell)


@pytest.mark.parametrize("payload", HARMLESS)
def test_harmless_cells_are_left_alone(payload):
    assert neutralise_cell(payload) == payload


_SIGNS = st.sampled_from(list("=+-@＝＋－＠﹦﹢﹣﹫"))
_LEAD = st.text(alphabet=st.sampled_from(list(" \t\r\n\x00\x0b\x0c\u00a0\u3000\u2002\ufeff\u200b\u200e"
                                              "\u202a\u202e\u2066\"'`“”‘’＂＇")), max_size=6)


@settings(max_examples=300, deadline=None)
@given(lead=_LEAD, sign=_SIGNS, rest=st.text(max_size=20))
def test_any_hidden_formula_sign_is_neutralised(lead, sign, rest):
    cell = neutralise_cell(lead + sign + rest)
    assert cell.startswith("'")
    assert not UNSAFE.search(cell)           # controls and bidi characters are shown, not written raw


def test_csv_export_of_hostile_cases(tmp_path, sample_cases):
    hostile = [replace(sample_cases[0], note=p, author=p, prompt=p, scenario=p, source=p) for p in FORMULAS]
    bidi = replace(sample_cases[1], note="invoice_\u202eexe.pdf\x00 and \x1b[2J \u2066x\u2069",
                   real_values={"next_user_message": "ok\u202e \x85 \x00"},
                   transcript=(Turn("user", "hi\u202edlrow"),))
    out = export_cases([*hostile, bidi], "csv", tmp_path / "x.csv")
    raw = out.read_bytes().decode("utf-8-sig")
    assert not UNSAFE.search(raw.replace("\r\n", "\n"))
    rows = _cells(raw)
    header = rows[0]
    for row in rows[1:-1]:
        for col in ("note", "author", "prompt", "scenario", "source"):
            assert row[header.index(col)].startswith("'"), (col, row[header.index(col)])
    last = dict(zip(header, rows[-1]))
    assert last["note"] == "invoice_\\u202eexe.pdf\\x00 and \\x1b[2J \\u2066x\\u2069"
    # JSON cells stay valid JSON and decode to the original text
    assert json.loads(last["real_values"]) == {"next_user_message": "ok\u202e \x85 \x00"}
    assert json.loads(last["transcript"])[0]["content"] == "hi\u202edlrow"


def test_html_shows_controls_and_bidi_visibly(sample_cases):
    case = replace(sample_cases[1], note="pay\u202egpj.exe\x00 \x1b[31mred",
                   transcript=(Turn("user", "a\u2067b\u2069c"),), user_id="user\u202e_0001")
    page = render_report([case])
    body = page.split("<body>", 1)[1]
    assert not UNSAFE.search(body.replace("\r\n", "\n"))
    assert "pay\\u202egpj.exe\\x00 \\x1b[31mred" in body
    assert "a\\u2067b\\u2069c" in body and "user\\u202e_0001" in body


def test_long_fields_are_clipped_and_kept_whole_in_the_full_text_section(sample_cases):
    note = "N" * 3_000_000 + "\n" + "用户😀" * 1000 + "END-OF-NOTE"
    answer = "P" * 50_000
    case = replace(sample_cases[1], note=note, prompt="Q" * 200_000,
                   predictions=(CasePrediction("gpt-4o", "next_user_message", answer, answer, answer, True),))
    page = render_report([case])
    shown = re.search(r'<div class="note">(.*?)</div>', page, re.S).group(1)
    assert len(shown) < CLIP + 300 and "more characters" in shown
    full = re.search(r'<details class="fulltext">(.*?)</details>', page, re.S).group(1)
    assert "END-OF-NOTE" in full and full.count("<h4>") == 3  # note; the simulated message in the table and below the transcript
    blocks = re.findall(r'<div class="long">(.*?)</div></div>', page, re.S)
    assert len(blocks) >= 4                                       # note, message, prompt, raw output
    # no text run in the page is longer than a block, so no single line can stall the browser
    longest = max(len(t) for t in re.split(r"<[^>]+>", page))
    assert longest <= BLOCK + 100


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab\n用😀")), max_size=400), st.integers(4, 60))
def test_text_blocks_keep_every_character(text, size):
    blocks = text_blocks(text, size)
    assert "".join(blocks) == text
    assert all(0 < len(b) <= size for b in blocks)
