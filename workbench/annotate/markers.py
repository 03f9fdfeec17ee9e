"""Politeness / hedging / blame markers to highlight in customer-service messages. Layer: annotate.

The report highlights the spans the utopian-tone analysis counts. When the evaluate package's
marker finder (``workbench.evaluate.biases``) offers spans it is used, so the report shows exactly
what the analysis counted. Otherwise the shipped lexicons in ``resources/lexicons`` are matched
here the same simple way (longest term first, no overlaps, English on word boundaries, Chinese as
substrings); if those files cannot be read a tiny built-in list is used and :data:`SOURCE` says so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources as importlib_resources
from typing import Any, Callable

#: Categories highlighted in reports (lexicon file stem -> class name suffix).
CATEGORIES = ("politeness", "hedging", "complaint")

_FALLBACK: dict[str, dict[str, list[str]]] = {
    "politeness": {"en": ["please", "thank you", "thanks", "sorry", "kindly", "appreciate"],
                   "zh": ["请", "谢谢", "麻烦", "不好意思", "您", "亲"]},
    "hedging": {"en": ["maybe", "perhaps", "i think", "probably", "might", "a bit"],
                "zh": ["可能", "也许", "大概", "好像", "吧"]},
    "complaint": {"en": ["refund", "complaint", "fake", "broken", "terrible", "your fault"],
                  "zh": ["投诉", "差评", "退款", "假货", "骗子"]},
}

#: Where the markers come from: "evaluate" (the analysis' own finder), "lexicons" or "builtin".
SOURCE = "lexicons"


@dataclass(frozen=True)
class Marker:
    """One marker found in a message: ``text[start:end]`` (code-point offsets) of ``category``."""

    start: int
    end: int
    category: str     # one of CATEGORIES (others are not highlighted)
    text: str


@lru_cache(maxsize=1)
def _lexicons() -> tuple[dict[str, dict[str, list[str]]], str]:
    out: dict[str, dict[str, list[str]]] = {}
    try:
        root = importlib_resources.files("resources") / "lexicons"
        for name in (*CATEGORIES, "neutral"):
            data = json.loads((root / f"{name}.json").read_text(encoding="utf-8"))
            out[name] = {"en": [str(t) for t in data.get("en", [])], "zh": [str(t) for t in data.get("zh", [])]}
        return out, "lexicons"
    except (OSError, ValueError, ModuleNotFoundError, AttributeError):
        return {k: dict(v) for k, v in _FALLBACK.items()}, "builtin"


@lru_cache(maxsize=1)
def _matcher() -> tuple[re.Pattern[str], dict[str, list[str]]]:
    lex, _ = _lexicons()
    categories: dict[str, list[str]] = {}
    for cat, langs in lex.items():
        for lang in ("en", "zh"):
            for term in langs.get(lang, []):
                t = term.strip().lower()
                if t:
                    categories.setdefault(t, [])
                    if cat not in categories[t]:
                        categories[t].append(cat)
    terms = sorted(categories, key=len, reverse=True)
    parts = []
    for t in terms:
        esc = re.escape(t).replace(r"\ ", r"\s+")
        if t.isascii() and (t[0].isalnum() or t[-1].isalnum()):
            parts.append(rf"(?<![\w']){esc}(?![\w'])" if t[0].isalnum() and t[-1].isalnum() else esc)
        else:
            parts.append(esc)
    pattern = re.compile("|".join(parts) if parts else r"(?!x)x", re.IGNORECASE)
    return pattern, categories


@lru_cache(maxsize=1)
def _evaluate_finder() -> Callable[[str], list[Any]] | None:
    try:
        from workbench.evaluate import biases
    except ImportError:
        return None
    analyze = getattr(biases, "analyze_message", None)
    if callable(analyze):
        # MessageAnalysis.spans: (start, end, category, term) in the original text
        return lambda text: list(analyze(text).spans)
    return None


def _from_evaluate(fn: Callable[[str], list[Any]], text: str) -> list[Marker] | None:
    try:
        spans = fn(text)
    except Exception:  # noqa: BLE001 - a finder that cannot handle this text: use the lexicons instead
        return None
    out: list[Marker] = []
    last_end = 0
    for s in sorted(spans or [], key=lambda sp: (sp[0], sp[1]) if isinstance(sp, (tuple, list)) else (0, 0)):
        start = getattr(s, "start", None) if not isinstance(s, (tuple, list, dict)) else None
        if isinstance(s, dict):
            start, end, cat = s.get("start"), s.get("end"), s.get("category")
        elif isinstance(s, (tuple, list)) and len(s) >= 3:
            start, end, cat = s[0], s[1], s[2]
        else:
            end, cat = getattr(s, "end", None), getattr(s, "category", None)
        if not (isinstance(start, int) and isinstance(end, int) and isinstance(cat, str)):
            return None
        if cat in CATEGORIES and last_end <= start < end <= len(text):
            out.append(Marker(start, end, cat, text[start:end]))
            last_end = end
    return out


def find_markers(text: str) -> list[Marker]:
    """Non-overlapping highlighted spans in ``text`` (only :data:`CATEGORIES`), in text order."""
    global SOURCE
    if not text:
        return []
    fn = _evaluate_finder()
    if fn is not None:
        found = _from_evaluate(fn, text)
        if found is not None:
            SOURCE = "evaluate"
            return found
    pattern, categories = _matcher()
    SOURCE = _lexicons()[1]
    out = []
    for m in pattern.finditer(text):
        key = " ".join(m.group(0).lower().split())
        cats = categories.get(key) or categories.get(m.group(0).lower()) or []
        for cat in CATEGORIES:
            if cat in cats:
                out.append(Marker(m.start(), m.end(), cat, m.group(0)))
                break
    return out


def marker_counts(text: str) -> dict[str, int]:
    """How many markers of each category ``text`` holds (every category present, 0 when none)."""
    counts = {c: 0 for c in CATEGORIES}
    for m in find_markers(text):
        counts[m.category] += 1
    return counts
