"""Answer parsing exactly as PROTOCOL 3.8. Layer: simulate (pure; no Qt).

Every parser returns a :class:`Parsed` (value, label, ok, error, method); the caller keeps the raw
output beside it. Think blocks (``<think>…</think>``, ``<thinking>…</thinking>``, and an unterminated
opening tag to the end of the text) are removed first.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterable

_THINK_BLOCK = re.compile(r"<(think|thinking)>.*?</\1>", re.S | re.I)
_THINK_OPEN = re.compile(r"<(think|thinking)>.*\Z", re.S | re.I)

# PROTOCOL 3.8 text cleaning: quote pairs / stray quotes and keyword-label prefixes.
_QUOTE_PAIRS = (('"', '"'), ("'", "'"), ("「", "」"), ("『", "』"))
_STRAY_QUOTES = ('", "', '"', "'", "「", "」", "『", "』")
_PREFIXES = tuple(p + c for p in ("搜索关键词", "关键词", "搜索") for c in ("：", ":")) + \
    ("Search:", "Keyword:", "Keywords:")


@dataclass(frozen=True)
class Parsed:
    value: Any            # binary: probability/hard 0-1; continuous: float; text: str; None on failure
    label: Any            # binary: 0/1; else same as value
    ok: bool
    error: str = ""
    method: str = ""      # logprobs | direct_mapping | continuous | text


def strip_think(text: str) -> str:
    text = _THINK_BLOCK.sub("", text or "")
    return _THINK_OPEN.sub("", text)


def clean_text(text: str) -> str:
    """Strip; remove one pair of surrounding quotes or a stray leading/trailing one; remove one
    keyword-label prefix."""
    s = (text or "").strip()
    for left, right in _QUOTE_PAIRS:
        if len(s) >= 2 and s.startswith(left) and s.endswith(right):
            s = s[len(left):-len(right)].strip()
            break
    else:
        for q in _STRAY_QUOTES:
            if s.startswith(q):
                s = s[len(q):].strip()
                break
        for q in _STRAY_QUOTES:
            if s.endswith(q):
                s = s[:-len(q)].strip()
                break
    for prefix in _PREFIXES:
        if s.startswith(prefix):
            s = s[len(prefix):].strip()
            break
    return s


def parse_binary(raw: str, top_logprobs: Iterable[tuple[str, float]] | None = None,
                 use_logprobs: bool = False) -> Parsed:
    """Yes/No. ``use_logprobs``: strict Yes/No text, probability from the first token's top-5
    (``"Yes"``/``"No"`` exactly); without both tokens a hard 1.0/0.0 (still a success)."""
    text = clean_text(strip_think(raw))
    if use_logprobs:
        bare = re.sub(r"[*_~`.\\]", "", text).strip().lower()
        if bare not in ("yes", "no"):
            return Parsed(None, None, False, f"expected exactly Yes or No, got {raw!r:.80}", "logprobs")
        label = int(bare == "yes")
        ly = ln = None
        for tok, lp in (top_logprobs or ()):
            if tok == "Yes" and ly is None:
                ly = lp
            elif tok == "No" and ln is None:
                ln = lp
        if ly is not None and ln is not None:
            m = max(ly, ln)
            p = math.exp(ly - m) / (math.exp(ly - m) + math.exp(ln - m))
            return Parsed(p, label, True, "", "logprobs")
        return Parsed(float(label), label, True, "", "logprobs")
    low = text.lower()
    compact = re.sub(r"\s", "", low)
    if compact in ("yes", "no"):
        v = int(compact == "yes")
    elif low.startswith("yes"):
        v = 1
    elif low.startswith("no"):
        v = 0
    elif ("yes" in low[:20]) != ("no" in low[:20]):
        v = int("yes" in low[:20])
    elif re.search(r"\byes\b", low):
        v = 1
    elif re.search(r"\bno\b", low):
        v = 0
    else:
        return Parsed(None, None, False, f"no Yes/No answer found in {raw!r:.80}", "direct_mapping")
    return Parsed(float(v), v, True, "", "direct_mapping")


_NUM = r"(\d+(?:\.\d+)?)"
_CONT_PATTERNS = (
    (re.compile(_NUM + r"\s*秒"), 1.0),
    (re.compile(_NUM + r"\s*分钟"), 60.0),
    (re.compile(_NUM + r"\s*(?:seconds?|s)\b", re.I), 1.0),
    (re.compile(_NUM + r"\s*(?:minutes?|min)\b", re.I), 60.0),
    (re.compile(r"^\s*" + _NUM + r"\s*$"), 1.0),
    (re.compile(_NUM), 1.0),
)


def parse_continuous(raw: str) -> Parsed:
    """A number of seconds: ``float(text)`` when the whole text parses, else the first regex hit in
    the benchmark's order (秒, 分钟×60, s/second(s), min/minute(s)×60, bare number, first number)."""
    text = strip_think(raw).strip()
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


def parse_text(raw: str) -> Parsed:
    text = clean_text(strip_think(raw))
    if not text:
        return Parsed(None, None, False, "the answer was empty", "text")
    return Parsed(text, text, True, "", "text")


def parse_answer(kind: str, raw: str, top_logprobs: Iterable[tuple[str, float]] | None = None,
                 use_logprobs: bool = False) -> Parsed:
    if kind == "binary":
        return parse_binary(raw, top_logprobs, use_logprobs)
    if kind == "continuous":
        return parse_continuous(raw)
    return parse_text(raw)
