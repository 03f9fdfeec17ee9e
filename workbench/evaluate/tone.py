"""Utopian tendency: politeness, hedging, complaint and sentiment markers of dialogue turns. Layer:
evaluate (pure).

The lexicons in ``resources/lexicons`` (English and Chinese; their README states the matching rules),
:func:`analyze_message` for one message and :func:`utopian_tendency` for the batch's
``next_user_message`` questions, real against each model. The formulas are in
:mod:`workbench.evaluate.biases`, (b).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from workbench.evaluate.bias_rows import REAL, JsonMixin, ok_rows, truth_by_question

__all__ = ["LEXICON_CATEGORIES", "lexicons", "analyze_message", "MessageAnalysis", "ToneSummary",
           "UtopianTendency", "utopian_tendency"]

LEXICON_CATEGORIES = ("politeness", "hedging", "complaint", "positive", "negative")
_LEXICON_FILES = (*LEXICON_CATEGORIES, "neutral")


@lru_cache(maxsize=1)
def lexicons() -> dict[str, dict[str, list[str]]]:
    """``{category: {"en": [...], "zh": [...]}}`` from resources/lexicons (plus ``neutral``)."""
    from importlib import resources

    out: dict[str, dict[str, list[str]]] = {}
    for name in _LEXICON_FILES:
        try:
            text = resources.files("resources.lexicons").joinpath(f"{name}.json").read_text("utf-8")
        except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - frozen layouts
            text = (Path(__file__).resolve().parents[2] / "resources" / "lexicons"
                    / f"{name}.json").read_text("utf-8")
        data = json.loads(text)
        out[name] = {"en": [str(t) for t in data.get("en", [])],
                     "zh": [str(t) for t in data.get("zh", [])]}
    return out


def _norm_char(ch: str) -> str:
    n = unicodedata.normalize("NFKC", ch).lower()
    if len(n) != 1:
        n = ch.lower()
        if len(n) != 1:
            n = ch
    return "'" if n in "\u2019\u2018" else n


def _normalise(text: str) -> str:
    """Lower-case/NFKC per character so that indices map 1:1 to the original text."""
    return "".join(_norm_char(c) for c in text)


@lru_cache(maxsize=1)
def _matchers() -> tuple[re.Pattern, re.Pattern, dict[str, tuple[str, ...]]]:
    lex = lexicons()
    cats: dict[str, list[str]] = defaultdict(list)
    en_terms, zh_terms = set(), set()
    for cat, langs in lex.items():
        for t in langs["en"]:
            t = _normalise(t.strip())
            if t:
                en_terms.add(t)
                cats[t].append(cat)
        for t in langs["zh"]:
            t = _normalise(t.strip())
            if t:
                zh_terms.add(t)
                cats[t].append(cat)
    def alt(terms: set[str]) -> str:
        return "|".join(re.escape(t) for t in sorted(terms, key=lambda s: (-len(s), s)))
    en = re.compile(r"(?<![\w'])(?:" + alt(en_terms) + r")(?![\w'])")
    zh = re.compile("(?:" + alt(zh_terms) + ")")
    return en, zh, {t: tuple(dict.fromkeys(c)) for t, c in cats.items()}


_EN_NEGATORS = {"not", "no", "never", "hardly", "without"}
_ZH_NEGATORS = set("不没别未无")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_EN_WORD = re.compile(r"[a-z0-9']+")


@dataclass
class MessageAnalysis(JsonMixin):
    """One message's marker counts, sentiment (-1..1) and matched spans."""

    text: str
    tokens: int
    counts: dict[str, int]                     # category -> hits
    spans: list[tuple[int, int, str, str]]     # (start, end, category, term) in the original text
    sentiment: float                           # (pos - neg) / (pos + neg), 0 when neither


def _negated_en(norm: str, start: int) -> bool:
    before = _EN_WORD.findall(norm[max(0, start - 40):start])[-3:]
    return any(w in _EN_NEGATORS or w.endswith("n't") for w in before)


def _negated_zh(norm: str, start: int) -> bool:
    return any(c in _ZH_NEGATORS for c in norm[max(0, start - 2):start])


def analyze_message(text: str) -> MessageAnalysis:
    """Politeness, hedging, complaint and sentiment markers of one message (EN and ZH)."""
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    norm = _normalise(text)
    en, zh, cats = _matchers()
    hits: list[tuple[int, int, str, bool]] = []   # start, end, term, is_zh
    hits += [(m.start(), m.end(), m.group(0), False) for m in en.finditer(norm)]
    hits += [(m.start(), m.end(), m.group(0), True) for m in zh.finditer(norm)]
    hits.sort()
    counts = {c: 0 for c in LEXICON_CATEGORIES}
    spans: list[tuple[int, int, str, str]] = []
    last_end = -1
    for start, end, term, is_zh in hits:
        if start < last_end:
            continue  # an English and a Chinese term cannot overlap in practice; keep the first
        last_end = end
        for cat in cats.get(term, ()):
            if cat == "neutral":
                continue
            if cat in ("positive", "negative"):
                negated = _negated_zh(norm, start) if is_zh else _negated_en(norm, start)
                if negated:
                    cat = "negative" if cat == "positive" else "positive"
            counts[cat] += 1
            spans.append((start, end, cat, text[start:end]))
    tokens = len(_CJK.findall(norm)) + len(_EN_WORD.findall(_CJK.sub(" ", norm)))
    pos, neg = counts["positive"], counts["negative"]
    sentiment = (pos - neg) / (pos + neg) if pos + neg else 0.0
    return MessageAnalysis(text, tokens, counts, spans, sentiment)


@dataclass
class ToneSummary(JsonMixin):
    """One source's tone over its messages: share with each marker, markers per message and per
    100 tokens, mean sentiment."""

    source: str                       # "real" or a model
    n_messages: int
    share_with: dict[str, float]      # category -> share of messages with >= 1 hit
    per_message: dict[str, float]     # category -> mean hits per message
    per_100_tokens: dict[str, float]  # category -> hits per 100 tokens
    mean_sentiment: float
    sentiments: list[float]           # per message, for histograms


@dataclass
class UtopianTendency(JsonMixin):
    """Utopian tendency: each source's tone summary, each model's gaps to the real users, and the
    messages side by side (module docstring, (b))."""

    summaries: dict[str, ToneSummary]                       # source -> summary
    gaps: dict[str, dict[str, float]]                       # model -> metric -> model - real
    messages: list[dict[str, Any]]                          # per question: user, event, real, models


def _summarise(source: str, analyses: list[MessageAnalysis]) -> ToneSummary:
    n = len(analyses)
    tokens = sum(a.tokens for a in analyses)
    share = {c: (sum(1 for a in analyses if a.counts[c] > 0) / n if n else 0.0)
             for c in LEXICON_CATEGORIES}
    per_msg = {c: (sum(a.counts[c] for a in analyses) / n if n else 0.0) for c in LEXICON_CATEGORIES}
    per_100 = {c: (100.0 * sum(a.counts[c] for a in analyses) / tokens if tokens else 0.0)
               for c in LEXICON_CATEGORIES}
    sents = [a.sentiment for a in analyses]
    return ToneSummary(source, n, share, per_msg, per_100,
                       float(np.mean(sents)) if sents else 0.0, sents)


def utopian_tendency(rows: Sequence[Mapping[str, Any]],
                     field_name: str = "next_user_message") -> UtopianTendency:
    """Utopian tendency of the dialogue turns in the rows of ``field_name`` (module docstring, (b))."""
    ok = [r for r in ok_rows(rows) if r.get("field") == field_name]
    truth = truth_by_question(r for r in rows if r.get("field") == field_name)
    real = {k: analyze_message(str(r.get("true_value") or "")) for k, r in truth.items()}
    by_model: dict[str, dict[tuple, MessageAnalysis]] = defaultdict(dict)
    for r in ok:
        key = (str(r["user_id"]), int(r["event_index"]), str(r["field"]))
        by_model[str(r["model"])][key] = analyze_message(str(r.get("predicted_value") or ""))
    summaries = {REAL: _summarise(REAL, list(real.values()))}
    gaps: dict[str, dict[str, float]] = {}
    for model, analyses in by_model.items():
        s = _summarise(model, list(analyses.values()))
        # compare on the same questions the model answered
        r_same = _summarise(REAL, [real[k] for k in analyses if k in real])
        summaries[model] = s
        gaps[model] = {**{f"share_{c}": s.share_with[c] - r_same.share_with[c]
                          for c in LEXICON_CATEGORIES},
                       "mean_sentiment": s.mean_sentiment - r_same.mean_sentiment}
    messages = []
    for key, a in real.items():
        messages.append({"user_id": key[0], "event_index": key[1], "real": a.to_dict(),
                         "models": {m: d[key].to_dict() for m, d in by_model.items() if key in d}})
    return UtopianTendency(summaries, gaps, messages)
