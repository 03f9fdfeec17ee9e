"""Answer parsing, case for case as the benchmark parses answers. Layer: simulate (pure; no Qt).

Every parser returns a :class:`Parsed` (value, label, ok, error, method); the caller keeps the raw
output beside it. ``docs/benchmark.md`` ("Answer parsing") describes the rules in words; in short:

* Think blocks: the benchmark removes, in this order, ``<think>…</think>``, ``<thinking>…</thinking>``,
  the crossed pairs ``<think>…</thinking>`` and ``<thinking>…</think>``, then an unterminated
  ``<think>``/``<thinking>`` to the end; tags are matched case-sensitively (``<THINK>`` stays), and
  the rest is stripped.
* Text cleaning (text answers and direct Yes/No): one pass over the benchmark's quote list, in which a
  surrounding pair ends the pass and a stray leading or trailing quote is cut and the pass goes on;
  the list holds ``"`` three times, ``'``, ``「 」 『 』`` and the two-character string ", " (its curly
  quotes were lost), and every cut removes ONE character at each end. Then one keyword-label prefix is
  removed, compared case-insensitively.
* Direct Yes/No: whitespace-free lower-case text equal to yes/no; else starts with yes/no
  (case-insensitive); else exactly one of "yes"/"no" within the first 20 characters; else a whole
  word yes/YES/Yes wins over no/NO/No (those spellings only); else a failure.
* Logprobs Yes/No: NO quote or prefix cleaning; the text without ``* _ ~ ` .`` must be yes/no
  (any case). The probability comes from the first token's top alternatives ``"Yes"``/``"No"``
  (exact spelling; a repeated token keeps its last value), ``e^y / (e^y + e^n)``; when one is
  missing the answer still counts, as a hard 1.0/0.0.
* Continuous: ``float`` of the whole text, else the first hit of: number+秒, number+分钟 (x60),
  number+s/second(s), number+min/minute(s) (x60), a bare number, any number (case-insensitive;
  "5mins" -> 300.0, "1 min 30 s" -> 30.0, "1,200" -> 1.0).
* Text: the cleaned text, when not empty.

:class:`ParseOptions` names the answers we can accept beyond the benchmark; all are off by default
and benchmark runs never turn them on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["Parsed", "ParseOptions", "BENCHMARK", "strip_think", "clean_text", "parse_binary",
           "parse_continuous", "parse_text", "parse_answer"]

_THINK_PASSES = tuple(re.compile(p, re.S) for p in (
    r"<think>.*?</think>", r"<thinking>.*?</thinking>", r"<think>.*?</thinking>",
    r"<thinking>.*?</think>", r"<think>.*$", r"<thinking>.*$"))
_THINK_PASSES_ANY_CASE = tuple(re.compile(p.pattern, re.S | re.I) for p in _THINK_PASSES)

# The benchmark's quote list, in its order (see the module docstring for the ", " entry).
_QUOTES = ('"', "'", '"', '"', ", ", "「", "」", "『", "』")
_CURLY_QUOTES = ("\u201c", "\u201d", "\u2018", "\u2019")
_PREFIXES = ("搜索关键词：", "搜索关键词:", "关键词：", "关键词:", "搜索：", "搜索:", "Search:", "Keyword:",
             "Keywords:")
_LOGPROB_STRIP = re.compile(r"[*_~`.]")
_YES_WORD = re.compile(r"\b(yes|YES|Yes)\b")
_NO_WORD = re.compile(r"\b(no|NO|No)\b")
_CONT_PATTERNS = tuple((re.compile(p, re.I), factor) for p, factor in (
    (r"(\d+\.?\d*)\s*秒", 1.0), (r"(\d+\.?\d*)\s*分钟", 60.0), (r"(\d+\.?\d*)\s*s(?:econds?)?", 1.0),
    (r"(\d+\.?\d*)\s*min(?:utes?)?", 60.0), (r"^(\d+\.?\d*)$", 1.0), (r"(\d+\.?\d*)", 1.0)))


@dataclass(frozen=True)
class ParseOptions:
    """Answers we may accept although the benchmark rejects or reads them differently. Every option
    is False in :data:`BENCHMARK` (the default everywhere); none is used by benchmark runs.

    * ``think_tags_any_case``: also remove ``<THINK>``/``<Thinking>`` blocks (the benchmark only
      removes lower-case tags, so an upper-case block stays in the answer and usually fails it).
    * ``curly_quotes``: also strip one pair of curly quotes (“…”, ‘…’) around text answers.
    * ``chinese_yes_no``: read an answer of exactly 是 or 否 (after cleaning) as Yes or No in
      direct mode (the benchmark fails it).
    """

    think_tags_any_case: bool = False
    curly_quotes: bool = False
    chinese_yes_no: bool = False

    @property
    def lenient(self) -> bool:
        """True when any option departs from the benchmark."""
        return self.think_tags_any_case or self.curly_quotes or self.chinese_yes_no


#: The benchmark's parsing, exactly (every option off).
BENCHMARK = ParseOptions()
#: Every option on (``--lenient-parsing``).
LENIENT = ParseOptions(True, True, True)


@dataclass(frozen=True)
class Parsed:
    """One parsed answer. ``value``: binary probability (or hard 0/1), continuous float, text str;
    None on failure. ``label``: binary 0/1, else the value. ``logprob_yes``/``logprob_no``: the
    first token's "Yes"/"No" log-probabilities the binary logprobs mode found (None when absent)."""

    value: Any
    label: Any
    ok: bool
    error: str = ""
    method: str = ""      # logprobs | direct_mapping | continuous | text
    logprob_yes: float | None = None
    logprob_no: float | None = None


def strip_think(text: str | None, options: ParseOptions = BENCHMARK) -> str:
    """Remove think blocks the benchmark's way (see the module docstring) and strip the rest."""
    if not text:
        return ""
    for rx in (_THINK_PASSES_ANY_CASE if options.think_tags_any_case else _THINK_PASSES):
        text = rx.sub("", text)
    return text.strip()


def clean_text(text: str | None, options: ParseOptions = BENCHMARK) -> str:
    """The benchmark's text cleaning: strip, one pass over its quote list, one label prefix."""
    if not text:
        return ""
    text = text.strip()
    if options.curly_quotes and len(text) >= 2 and (text[0], text[-1]) in (("\u201c", "\u201d"),
                                                                           ("\u2018", "\u2019")):
        text = text[1:-1].strip()
    for quote in _QUOTES:
        if text.startswith(quote) and text.endswith(quote):
            text = text[1:-1].strip()
            break
        if text.startswith(quote):
            text = text[1:].strip()
        elif text.endswith(quote):
            text = text[:-1].strip()
    low = text.lower()
    for prefix in _PREFIXES:
        if low.startswith(prefix.lower()):
            text = text[len(prefix):].strip()
            break
    return text


def _first_token_logprobs(top: Iterable[tuple[str, float | None]] | None) -> tuple[float | None, float | None]:
    ly = ln = None
    for token, lp in top or ():
        if token == "Yes":
            ly = lp
        elif token == "No":
            ln = lp
        if ly is not None and ln is not None:
            break
    return ly, ln


def _parse_logprobs(raw: str, top_logprobs: Iterable[tuple[str, float | None]] | None,
                    options: ParseOptions) -> Parsed:
    bare = _LOGPROB_STRIP.sub("", strip_think(raw, options).strip()).strip().lower()
    if bare not in ("yes", "no"):
        return Parsed(None, None, False, f"expected exactly Yes or No, got {raw!r:.80}", "logprobs")
    label = int(bare == "yes")
    ly, ln = _first_token_logprobs(top_logprobs)
    if ly is not None and ln is not None:
        try:
            ey, en = math.exp(ly), math.exp(ln)
            p = ey / (ey + en)
        except (ZeroDivisionError, OverflowError, TypeError):
            # the benchmark's own arithmetic fails here (both alternatives below e^-745): an
            # invalid attempt there, so here too
            return Parsed(None, None, False, "the Yes/No log-probabilities cannot be normalised",
                          "logprobs", ly, ln)
        return Parsed(p, label, True, "", "logprobs", ly, ln)
    return Parsed(float(label), label, True, "", "logprobs", ly, ln)


def _direct(raw: str, options: ParseOptions) -> Parsed:
    text = clean_text(strip_think(raw, options), options)
    low = text.lower()
    compact = "".join(text.split()).lower()
    head = text[:20].lower()
    if compact in ("yes", "no"):
        v = int(compact == "yes")
    elif low.startswith("yes"):
        v = 1
    elif low.startswith("no"):
        v = 0
    elif "yes" in head and "no" not in head:
        v = 1
    elif "no" in head and "yes" not in head:
        v = 0
    elif _YES_WORD.search(text):
        v = 1
    elif _NO_WORD.search(text):
        v = 0
    elif options.chinese_yes_no and compact in ("是", "否"):
        v = int(compact == "是")
    else:
        return Parsed(None, None, False, f"no Yes/No answer found in {raw!r:.80}", "direct_mapping")
    return Parsed(float(v), v, True, "", "direct_mapping")


def parse_binary(raw: str, top_logprobs: Iterable[tuple[str, float | None]] | None = None,
                 use_logprobs: bool = False, options: ParseOptions = BENCHMARK) -> Parsed:
    """A Yes/No answer. ``use_logprobs``: the strict logprobs mode with ``top_logprobs`` the first
    generated token's (token, log-probability) alternatives; else the direct mapping."""
    if use_logprobs:
        return _parse_logprobs(raw, top_logprobs, options)
    return _direct(raw, options)


def parse_continuous(raw: str, options: ParseOptions = BENCHMARK) -> Parsed:
    """A number of seconds (see the module docstring for the order of the unit patterns)."""
    text = strip_think(raw, options)
    if text:
        try:
            v = float(text)
            return Parsed(v, v, True, "", "continuous")
        except ValueError:
            pass
        for pattern, factor in _CONT_PATTERNS:
            m = pattern.search(text)
            if m:
                v = float(m.group(1)) * factor
                return Parsed(v, v, True, "", "continuous")
    return Parsed(None, None, False, f"no number found in {raw!r:.80}", "continuous")


def parse_text(raw: str, options: ParseOptions = BENCHMARK) -> Parsed:
    """A free-text answer: the cleaned text, a failure when nothing is left."""
    text = clean_text(strip_think(raw, options), options)
    if not text:
        return Parsed(None, None, False, "the answer was empty", "text")
    return Parsed(text, text, True, "", "text")


def parse_answer(kind: str, raw: str, top_logprobs: Iterable[tuple[str, float | None]] | None = None,
                 use_logprobs: bool = False, options: ParseOptions = BENCHMARK) -> Parsed:
    """Parse ``raw`` as a ``kind`` ("binary" | "continuous" | "text") answer."""
    if kind == "binary":
        return parse_binary(raw, top_logprobs, use_logprobs, options)
    if kind == "continuous":
        return parse_continuous(raw, options)
    return parse_text(raw, options)
