"""The simulators' biases, real against each model. Layer: evaluate (pure, numpy only).

The OmniBehavior paper names these biases (hyper-activity, utopian dialogue, persona
homogenisation, loss of long-tail behaviour) but its code implements none of them (docs/benchmark.md#bias-analyses),
so every formula below is our choice, stated here with the reason.

Input is the batch's prediction rows (``predictions.jsonl``: one dict per question and model with
``user_id, event_index, scenario, field, kind, true_value, predicted_value, predicted_label,
model, parse_ok``). "Real" behaviour is the ground truth of the same questions. Only rows with
``parse_ok`` count for a model (failed answers are left out, as the metrics do). Every analysis
returns plain dataclasses holding numbers and lists ready for plotting (``to_dict()`` gives JSON).

(a) Hyper-activity, :func:`hyperactivity`. Per model and binary field, on the questions that model
    answered: ``real_rate`` = mean ground truth, ``predicted_rate`` = mean predicted label,
    ``gap = predicted_rate - real_rate`` and ``ratio = predicted_rate / real_rate`` (None when the
    real rate is 0). ``mean_gap`` is the unweighted mean of the field gaps (every field counts the
    same, like Macro-F1). A positive gap = the simulator acts more than people do.

(b) Utopian tendency, :func:`utopian_tendency`. For every ``next_user_message`` question, the real
    turn and each model's turn are scored with the lexicons in ``resources/lexicons`` (see their
    README for the matching rules): per message the counts of politeness, hedging and complaint
    markers, sentiment ``(pos - neg) / (pos + neg)`` (0 with no sentiment word), and the matched
    spans. Per source we report the share of messages with at least one marker of each kind, the
    mean markers per message and per 100 tokens, and the mean sentiment. Shares are used (not raw
    counts) because messages are short and most carry zero or one marker.

(c) Persona homogenisation, :func:`homogenisation`. Each user's sampled events are split, in file
    (time) order, into ``n_windows`` contiguous chunks of (nearly) equal size. Per chunk we build a
    behaviour vector in three blocks: action rates (mean label per binary field), watch time
    (25/50/75 % quantiles of ``log1p(seconds)`` over the continuous watch fields, divided by
    ``log1p(3600)`` so that one hour = 1), and scenario mix (share of each scenario). Rates and
    shares are in [0, 1], so no further scaling. Distance between two vectors = root mean square
    difference over the components both vectors have (a field absent from a chunk is missing, not
    0), i.e. Euclidean distance normalised by the number of shared dimensions so that chunks with
    different scenario mixes stay comparable. Intra-user distance = mean distance between a user's
    own chunks; inter-user distance = mean distance between chunks of different users. Ratio =
    mean intra / mean inter: low for distinct stable personas, near 1 when users are
    interchangeable. If every vector is identical (inter = 0) the ratio is 1 (nothing
    distinguishes the users). Real and simulated vectors use the same events and the same chunks,
    so the scenario block is shared; only behaviour differs.

(d) Interest drift, :func:`interest_drift`. Per chunk (as in (c)) the user's interest set = the
    categories (item category levels, live category, ad industry, search query category, service
    ticket category) and keywords (search keyword, ``#hashtags`` of captions) of the events the user
    *engaged with*: real = any positive binary ground truth, or a search event (its keyword);
    simulated = any positive predicted label, and the predicted ``search_keyword``. Drift between
    consecutive chunks = ``1 - |A & B| / |A | B|`` (0 when both are empty); per user the mean over
    consecutive pairs; per source the mean over users. Needs the raw events.

(e) Long-tail loss, :func:`long_tail`. A binary field is *rare* when its real positive rate (over
    all sampled questions) is below ``rare_threshold`` (default 0.1) but above 0. Per model and
    field: real and predicted positive counts and rates, and ``recall`` on the rare positives. The
    summary ``tail_share`` = share of all positive actions that fall on rare fields, real vs
    predicted; a simulator that collapses onto common actions has a smaller predicted tail share.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "LEXICON_CATEGORIES", "lexicons", "analyze_message", "MessageAnalysis",
    "FieldRate", "HyperActivity", "hyperactivity", "ToneSummary", "UtopianTendency",
    "utopian_tendency", "Homogenisation", "homogenisation", "InterestDrift", "interest_drift",
    "LongTail", "long_tail", "all_biases", "REAL",
]

REAL = "real"
LEXICON_CATEGORIES = ("politeness", "hedging", "complaint", "positive", "negative")
_LEXICON_FILES = (*LEXICON_CATEGORIES, "neutral")
_WATCH_FIELDS = ("video_watch_seconds", "live_watch_seconds", "ad_watch_seconds")
_ONE_HOUR = math.log1p(3600.0)


def _to_dict(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {k: _to_dict(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): _to_dict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_dict(v) for v in obj]
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    if isinstance(obj, np.generic):
        return _to_dict(obj.item())
    return obj


class _Dict:
    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


# -- rows -------------------------------------------------------------------------------------------

def _ok_rows(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in rows if r.get("parse_ok", True) and r.get("model")]


def _truth(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int, str], Mapping[str, Any]]:
    """One row per (user, event, field) carrying the ground truth (first seen)."""
    out: dict[tuple[str, int, str], Mapping[str, Any]] = {}
    for r in rows:
        out.setdefault((str(r["user_id"]), int(r["event_index"]), str(r["field"])), r)
    return out


def _label(r: Mapping[str, Any]) -> int | None:
    v = r.get("predicted_label")
    if v is None:
        v = r.get("predicted_value")
        if v is None:
            return None
        try:
            return 1 if float(v) >= 0.5 else 0
        except (TypeError, ValueError):
            return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _models(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    return list(dict.fromkeys(str(r["model"]) for r in rows if r.get("model")))


# -- (a) hyper-activity -----------------------------------------------------------------------------

@dataclass
class FieldRate(_Dict):
    """One binary field's rates for one model: real and predicted positive rate (0-1), gap and ratio."""

    field: str
    n: int
    real_rate: float
    predicted_rate: float
    gap: float
    ratio: float | None


@dataclass
class HyperActivity(_Dict):
    """Hyper-activity per model: per-field rates and the mean gap (see the module docstring, (a))."""

    fields: dict[str, list[FieldRate]]          # model -> per-field rates
    mean_gap: dict[str, float | None]           # model -> unweighted mean gap over fields
    continuous: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    # model -> field -> {"mean_true", "mean_pred", "n"}


def hyperactivity(rows: Sequence[Mapping[str, Any]]) -> HyperActivity:
    """Hyper-activity of each model on the batch's prediction rows (module docstring, (a))."""
    ok = _ok_rows(rows)
    per: dict[str, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    cont: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    for r in ok:
        if r.get("kind") == "binary":
            lab = _label(r)
            t = _float(r.get("true_value"))
            if lab is None or t is None:
                continue
            per[str(r["model"])][str(r["field"])].append((int(t), lab))
        elif r.get("kind") == "continuous":
            t, p = _float(r.get("true_value")), _float(r.get("predicted_value"))
            if t is None or p is None:
                continue
            cont[str(r["model"])][str(r["field"])].append((t, p))
    fields: dict[str, list[FieldRate]] = {}
    mean_gap: dict[str, float | None] = {}
    for model in _models(ok):
        rates = []
        for f in sorted(per.get(model, {})):
            pairs = per[model][f]
            real = sum(t for t, _ in pairs) / len(pairs)
            pred = sum(p for _, p in pairs) / len(pairs)
            rates.append(FieldRate(f, len(pairs), real, pred, pred - real,
                                   pred / real if real > 0 else None))
        fields[model] = rates
        mean_gap[model] = float(np.mean([x.gap for x in rates])) if rates else None
    continuous = {m: {f: {"n": len(v), "mean_true": float(np.mean([a for a, _ in v])),
                          "mean_pred": float(np.mean([b for _, b in v]))}
                      for f, v in sorted(d.items())} for m, d in cont.items()}
    return HyperActivity(fields, mean_gap, continuous)


# -- (b) utopian tendency: lexicons and message analysis --------------------------------------------

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
class MessageAnalysis(_Dict):
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
class ToneSummary(_Dict):
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
class UtopianTendency(_Dict):
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
    ok = [r for r in _ok_rows(rows) if r.get("field") == field_name]
    truth = _truth(r for r in rows if r.get("field") == field_name)
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


# -- windows ----------------------------------------------------------------------------------------

def _chunks(items: Sequence[Any], n: int) -> list[list[Any]]:
    """Split into ``n`` contiguous chunks of nearly equal size (fewer if too few items)."""
    n = max(1, min(n, len(items)))
    if not items:
        return []
    bounds = np.linspace(0, len(items), n + 1).round().astype(int)
    return [list(items[bounds[i]:bounds[i + 1]]) for i in range(n) if bounds[i + 1] > bounds[i]]


def _events_by_user(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[int]]:
    ev: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        ev[str(r["user_id"])].add(int(r["event_index"]))
    return {u: sorted(s) for u, s in ev.items()}


# -- (c) persona homogenisation ---------------------------------------------------------------------

@dataclass
class SourceDistances(_Dict):
    source: str
    intra: list[float]                # one per user (mean over that user's window pairs)
    inter: list[float]                # one per pair of windows of different users
    mean_intra: float | None
    mean_inter: float | None
    ratio: float | None


@dataclass
class Homogenisation(_Dict):
    """Persona homogenisation: per source the intra/inter-user distances and their ratio, the vector
    dimensions and the vectors themselves (module docstring, (c))."""

    sources: dict[str, SourceDistances]
    dimensions: list[str]
    vectors: dict[str, dict[str, list[list[float | None]]]]   # source -> user -> window vectors
    n_windows: int


def _vector(event_rows: list[list[tuple[str, str, float, str]]], dims: list[str]) -> list[float]:
    """event_rows: per event, (field, kind, value, scenario) tuples for one source."""
    rates: dict[str, list[float]] = defaultdict(list)
    watch: list[float] = []
    scen: dict[str, int] = defaultdict(int)
    for ev in event_rows:
        if ev:
            scen[ev[0][3]] += 1
        for f, kind, v, _ in ev:
            if kind == "binary":
                rates[f].append(v)
            elif kind == "continuous" and f in _WATCH_FIELDS:
                watch.append(math.log1p(max(v, 0.0)) / _ONE_HOUR)
    n_ev = sum(scen.values())
    q = np.quantile(watch, [0.25, 0.5, 0.75]).tolist() if watch else [math.nan] * 3
    out = []
    for d in dims:
        kind, _, name = d.partition(":")
        if kind == "rate":
            out.append(float(np.mean(rates[name])) if rates.get(name) else math.nan)
        elif kind == "watch":
            out.append(q[("q25", "q50", "q75").index(name)])
        else:
            out.append(scen.get(name, 0) / n_ev if n_ev else math.nan)
    return out


def _pairwise(vectors: np.ndarray) -> np.ndarray:
    """RMS distance over shared finite components for every pair of rows (NaN when none shared)."""
    finite = np.isfinite(vectors)
    v = np.where(finite, vectors, 0.0)
    out = np.full((len(v), len(v)), np.nan)
    for i in range(len(v)):      # one row at a time keeps memory at N x D
        m = finite[i] & finite
        n = m.sum(axis=1)
        sq = np.where(m, (v[i] - v) ** 2, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[i] = np.where(n > 0, np.sqrt(sq / np.maximum(n, 1)), np.nan)
    return out


def _distances(source: str, vecs: dict[str, list[list[float]]]) -> SourceDistances:
    owners = [u for u, ws in vecs.items() for _ in ws]
    flat = [w for ws in vecs.values() for w in ws]
    intra: list[float] = []
    inter: list[float] = []
    if flat:
        d = _pairwise(np.asarray(flat, dtype=float))
        codes = {u: k for k, u in enumerate(vecs)}
        own = np.asarray([codes[u] for u in owners])
        idx_by_user: dict[str, list[int]] = defaultdict(list)
        for k, u in enumerate(owners):
            idx_by_user[u].append(k)
        for idx in idx_by_user.values():
            ds = [d[a, b] for a, b in combinations(idx, 2) if np.isfinite(d[a, b])]
            if ds:
                intra.append(float(np.mean(ds)))
        iu, ju = np.triu_indices(len(flat), k=1)
        pick = own[iu] != own[ju]
        vals = d[iu[pick], ju[pick]]
        inter = [float(x) for x in vals if np.isfinite(x)]
    mi = float(np.mean(intra)) if intra else None
    me = float(np.mean(inter)) if inter else None
    if mi is None or me is None:
        ratio = None
    elif me == 0:
        ratio = 1.0
    else:
        ratio = mi / me
    return SourceDistances(source, intra, inter, mi, me, ratio)


def homogenisation(rows: Sequence[Mapping[str, Any]], n_windows: int = 2,
                   blocks: Sequence[str] = ("actions", "watch", "scenarios")) -> Homogenisation:
    """Persona homogenisation over ``n_windows`` chunks per user, with the vector ``blocks`` chosen
    (module docstring, (c))."""
    ok = _ok_rows(rows)
    truth = _truth(rows)
    binary_fields = sorted({str(r["field"]) for r in rows if r.get("kind") == "binary"})
    scenarios = sorted({str(r.get("scenario", "")) for r in rows})
    dims: list[str] = []
    if "actions" in blocks:
        dims += [f"rate:{f}" for f in binary_fields]
    if "watch" in blocks:
        dims += ["watch:q25", "watch:q50", "watch:q75"]
    if "scenarios" in blocks:
        dims += [f"scenario:{s}" for s in scenarios]
    events = _events_by_user(rows)
    # source -> (user, event) -> list of (field, kind, value, scenario)
    values: dict[str, dict[tuple[str, int], list]] = defaultdict(lambda: defaultdict(list))
    for (u, e, f), r in truth.items():
        v = _float(r.get("true_value"))
        if v is not None and r.get("kind") in ("binary", "continuous"):
            values[REAL][(u, e)].append((f, r["kind"], v, str(r.get("scenario", ""))))
    for r in ok:
        if r.get("kind") == "binary":
            lab = _label(r)
            v = None if lab is None else float(lab)
        elif r.get("kind") == "continuous":
            v = _float(r.get("predicted_value"))
        else:
            continue
        if v is not None:
            values[str(r["model"])][(str(r["user_id"]), int(r["event_index"]))].append(
                (str(r["field"]), r["kind"], v, str(r.get("scenario", ""))))
    sources: dict[str, SourceDistances] = {}
    vectors: dict[str, dict[str, list[list[float | None]]]] = {}
    for source in [REAL, *_models(ok)]:
        per_user: dict[str, list[list[float]]] = {}
        for u, evs in events.items():
            ws = [_vector([values[source].get((u, e), []) for e in chunk], dims)
                  for chunk in _chunks(evs, n_windows)]
            per_user[u] = ws
        sources[source] = _distances(source, per_user)
        vectors[source] = {u: [[None if math.isnan(x) else x for x in w] for w in ws]
                           for u, ws in per_user.items()}
    return Homogenisation(sources, dims, vectors, n_windows)


# -- (d) interest drift -----------------------------------------------------------------------------

_HASHTAG = re.compile(r"#([^\s#]+)")
_CATEGORY_KEYS = ("category_level1_name", "category_level2_name", "category_level3_name",
                  "live_category", "industry_main", "industry_sub", "ticket_category",
                  "product_category_info", "query_category")


def event_interests(event: Mapping[str, Any]) -> set[str]:
    """Categories and keywords of one raw event (search keyword, caption #hashtags)."""
    out: set[str] = set()
    raw_ctx = event.get("context")
    ctx: Mapping[str, Any] = raw_ctx if isinstance(raw_ctx, Mapping) else {}
    for k in _CATEGORY_KEYS:
        v = ctx.get(k)
        if isinstance(v, str) and v.strip():
            out.add(f"cat:{v.strip()}")
    caption = ctx.get("caption")
    if isinstance(caption, str):
        out.update(f"kw:{t.lower()}" for t in _HASHTAG.findall(caption))
    for a in event.get("action", []) if isinstance(event.get("action"), list) else []:
        if isinstance(a, Mapping) and a.get("type") == "search":
            kw = a.get("keyword")
            if isinstance(kw, str) and kw.strip():
                out.add(f"kw:{kw.strip().lower()}")
            qc = a.get("query_category")
            if isinstance(qc, str) and qc.strip():
                out.add(f"cat:{qc.strip()}")
    kw = ctx.get("keyword")
    if isinstance(kw, str) and kw.strip():
        out.add(f"kw:{kw.strip().lower()}")
    return out


@dataclass
class InterestDrift(_Dict):
    """Interest drift: per source and user the mean drift (0-1) between consecutive chunks, and the mean
    over users (module docstring, (d))."""

    per_user: dict[str, dict[str, float]]     # source -> user -> mean drift
    mean: dict[str, float | None]             # source -> mean over users
    n_windows: int


def _jaccard_distance(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 0.0
    return 1.0 - len(a & b) / len(a | b)


def interest_drift(rows: Sequence[Mapping[str, Any]],
                   events: Mapping[tuple[str, int], Mapping[str, Any]],
                   n_windows: int = 2) -> InterestDrift:
    """``events``: (user_id, event_index) -> raw event, for the sampled events."""
    ok = _ok_rows(rows)
    truth = _truth(rows)
    engaged: dict[str, dict[tuple[str, int], set[str]]] = defaultdict(lambda: defaultdict(set))
    for (u, e, f), r in truth.items():
        positive = r.get("kind") == "binary" and _float(r.get("true_value")) == 1.0
        if positive or f == "search_keyword":
            engaged[REAL][(u, e)] |= event_interests(events.get((u, e), {}))
    for r in ok:
        key = (str(r["user_id"]), int(r["event_index"]))
        ev = events.get(key, {})
        m = str(r["model"])
        if r.get("kind") == "binary" and _label(r) == 1:
            engaged[m][key] |= event_interests(ev)
        elif r.get("field") == "search_keyword":
            engaged[m][key] |= {x for x in event_interests(ev) if x.startswith("cat:")}
            kw = str(r.get("predicted_value") or "").strip().lower()
            if kw:
                engaged[m][key].add(f"kw:{kw}")
    by_user = _events_by_user(rows)
    per_user: dict[str, dict[str, float]] = {}
    mean: dict[str, float | None] = {}
    for source in [REAL, *_models(ok)]:
        pu: dict[str, float] = {}
        for u, evs in by_user.items():
            sets = []
            for chunk in _chunks(evs, n_windows):
                s: set[str] = set()
                for e in chunk:
                    s |= engaged[source].get((u, e), set())
                sets.append(s)
            if len(sets) >= 2:
                pu[u] = float(np.mean([_jaccard_distance(a, b) for a, b in zip(sets, sets[1:])]))
        per_user[source] = pu
        mean[source] = float(np.mean(list(pu.values()))) if pu else None
    return InterestDrift(per_user, mean, n_windows)


# -- (e) long-tail loss -----------------------------------------------------------------------------

@dataclass
class TailField(_Dict):
    field: str
    n: int
    real_count: int
    predicted_count: int
    real_rate: float
    predicted_rate: float
    recall: float | None


@dataclass
class LongTail(_Dict):
    """Long-tail loss: the rare fields (real positive rate below ``rare_threshold``), per model their
    counts, rates and recall, and the tail shares (module docstring, (e))."""

    rare_threshold: float
    rare_fields: list[str]
    fields: dict[str, list[TailField]]          # model -> rare fields
    tail_share_real: dict[str, float | None]    # model -> share of real positives on rare fields
    tail_share_predicted: dict[str, float | None]


def long_tail(rows: Sequence[Mapping[str, Any]], rare_threshold: float = 0.1) -> LongTail:
    """Long-tail loss of each model on the batch's rows (module docstring, (e))."""
    truth = _truth(rows)
    real_by_field: dict[str, list[int]] = defaultdict(list)
    for (_u, _e, f), r in truth.items():
        if r.get("kind") == "binary" and (t := _float(r.get("true_value"))) is not None:
            real_by_field[f].append(int(t))
    rare = sorted(f for f, v in real_by_field.items() if 0 < np.mean(v) < rare_threshold)
    ok = _ok_rows(rows)
    fields: dict[str, list[TailField]] = {}
    share_real: dict[str, float | None] = {}
    share_pred: dict[str, float | None] = {}
    for model in _models(ok):
        pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for r in ok:
            if str(r["model"]) != model or r.get("kind") != "binary":
                continue
            lab, t = _label(r), _float(r.get("true_value"))
            if lab is not None and t is not None:
                pairs[str(r["field"])].append((int(t), lab))
        rows_out = []
        for f in rare:
            p = pairs.get(f, [])
            if not p:
                continue
            rc = sum(t for t, _ in p)
            pc = sum(x for _, x in p)
            tp = sum(1 for t, x in p if t == 1 and x == 1)
            rows_out.append(TailField(f, len(p), rc, pc, rc / len(p), pc / len(p),
                                      tp / rc if rc else None))
        fields[model] = rows_out
        tot_r = sum(t for v in pairs.values() for t, _ in v)
        tot_p = sum(x for v in pairs.values() for _, x in v)
        tail_r = sum(t for f in rare for t, _ in pairs.get(f, []))
        tail_p = sum(x for f in rare for _, x in pairs.get(f, []))
        share_real[model] = tail_r / tot_r if tot_r else None
        share_pred[model] = tail_p / tot_p if tot_p else None
    return LongTail(rare_threshold, rare, fields, share_real, share_pred)


# -- all --------------------------------------------------------------------------------------------

def all_biases(rows: Sequence[Mapping[str, Any]],
               events: Mapping[tuple[str, int], Mapping[str, Any]] | None = None,
               n_windows: int = 2, *, include_messages: bool = True) -> dict[str, Any]:
    """Every analysis as one JSON-ready dict (the ``biases`` section of report.json)."""
    ut = utopian_tendency(rows)
    ut_d = ut.to_dict()
    if not include_messages:
        ut_d.pop("messages", None)
    out = {
        "hyperactivity": hyperactivity(rows).to_dict(),
        "utopian_tendency": ut_d,
        "homogenisation": homogenisation(rows, n_windows).to_dict(),
        "long_tail": long_tail(rows).to_dict(),
    }
    if events is not None:
        out["interest_drift"] = interest_drift(rows, events, n_windows).to_dict()
    return out
