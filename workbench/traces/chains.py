"""Causal chains: from a conversion, backtrack to the earlier events that led to it. Layer: traces (pure).

An analyst looking at a purchase wants to see the search, the videos and the live stream that came
before it, in any scenario. :func:`find_chain` takes one user's canonical events (``workbench.traces``
schema: at least ``event_index``, ``ts``, ``scenario``, ``title``, ``category``; the ``context`` and
``actions`` payload columns are used when present) and the event id of the conversion, and returns a
:class:`CausalChain`: the earlier events within a look-back window that share keywords, categories or
products with the conversion, in time order, with the gap in days between consecutive links.

The rule (module-level ``RULE_TEXT``, formatted into ``CausalChain.rule_text`` and shown in the UI;
every ``ChainLink.rule`` states which part matched that link):

* Words of an event = tokens of its title, product names (item title, ad product, customer-service
  product, products on sale in a live stream) and search keywords; the conversion adds its finest
  category name. Tokens: lower-cased; Chinese (CJK) runs become character bigrams, other text words
  of two or more letters/digits minus English stop words.
* Each shared word is weighted by its IDF over the user's N events in the look-back window (N taken as
  at least ``IDF_MIN_EVENTS``): ``ln((N+1)/(n+1))`` for a word in n of them, so a word found in a big
  share of the user's events ("double", "white", "screen") counts little.
* Score = sum of the shared words' IDF + ``CATEGORY_BONUS`` for the same finest category +
  ``PRODUCT_BONUS`` for the same product. An event joins at score >= ``min_score`` (default
  ``DEFAULT_MIN_SCORE``) when its shared words alone reach ``MIN_TOKEN_SCORE`` (or it is the same
  product). A search joins whatever its score when every word of its keyword is a word of the
  conversion. Events that share nothing never join, however close in time.
* Session rule: the search immediately before a linked video (no other search in between, at most
  ``session_minutes`` earlier) joins as the search that opened that session: in the English
  OmniBehavior data search keywords stay Chinese, so words cannot link them.
* Only events within ``lookback_days`` (30) before the conversion; at most ``max_links`` (20) scored
  links (highest score first) plus at most ``MAX_SESSION_SEARCHES`` session searches.

Speed: a vectorised polars pre-filter (one regex of the conversion's words over titles and payloads,
plus its category) leaves only the events that can share something for the per-event parsing; on the
100k-event demo user a chain takes about 0.1-0.3 s (``bench/chains.py``).
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

import orjson
import polars as pl

__all__ = ["CausalChain", "ChainLink", "RULE_TEXT", "find_chain", "tokenize", "event_terms"]

RULE_TEXT = (
    "Backtrack from the conversion over the previous {lookback} days in every scenario. Words of an "
    "event: its title, keywords, product names and (for the conversion) its finest category name; "
    "Chinese as character bigrams, other text as words without stop words. Each word is weighted by "
    "its IDF over this user's N events in the window (N taken as at least {idf_min}), ln((N+1)/(n+1)) "
    "for a word found in n of them: a word that appears in a big "
    "share of them (\u201cdouble\u201d, \u201cwhite\u201d) counts little. An earlier event joins "
    "when score = sum of the IDF of the words it shares with the conversion + {cat_bonus} for the same "
    "finest category + {product_bonus} for the same product >= {min_score}, and its shared words "
    "alone reach {min_token} (or it is the same product); a search joins whatever its score when every "
    "word of its keyword is a word of the conversion; events that share nothing never join, "
    "however close in time. Session rule: the search immediately before a linked video (no other "
    "search in between, at most {session} minutes earlier) joins as the search that opened that "
    "session, since search keywords may be in another language than the captions (Chinese keywords "
    "in the English OmniBehavior data). At most {max_links} scored links (highest score first) plus "
    "their session searches; every link states the rule that matched it."
)

#: Scoring constants (see ``RULE_TEXT``).
DEFAULT_MIN_SCORE = 8.0
MIN_TOKEN_SCORE = 4.0
CATEGORY_BONUS = 2.0
PRODUCT_BONUS = 3.0

#: IDF counts the window as at least this many events: a short trace cannot tell common words from rare ones.
IDF_MIN_EVENTS = 500

#: Session searches are added beyond ``max_links`` (they start the chain), at most this many.
MAX_SESSION_SEARCHES = 5

STOP_WORDS = frozenset(
    """a an and are as at be but by for from has have how i in into is it its me my new no not of
    on or our so than that the their this to too up us was we what when which who why will with you
    your yours best top hot sale free get buy now one day days week video live official store shop
    item items product products vs via amp off only today tonight deal deals new part all every just
    more most very really about after before this these those don't can do does did review""".split()
)

#: Categories that say nothing (the EN real sample labels every live stream "Other").
GENERIC_CATEGORIES = frozenset({"", "other", "others", "其他", "其它", "unknown", "未知", "none", "null",
                                "查询型", "浏览型", "lookup", "browse"})

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:['’][a-z]+)?")
_CJK_RE = re.compile(rf"^[{_CJK}]")

_TITLE_ONLY = frozenset({"Video Browsing", "Search Behavior"})
_ACTION_TERMS = frozenset({"Live Streaming", "Search Behavior", "Other"})
_PRODUCT_KEYS = ("item_title", "product", "product_name", "external_item_title")
_TITLE_KEYS = ("caption", "live_title", "keyword")
_CATEGORY_KEYS = (  # finest first; the first one present is the event's category
    "category_level3_name", "category_level2_name", "category_level1_name",
    "industry_level3_name", "industry_level2_name", "industry_level1_name",
    "industry_sub", "industry_main", "live_category", "product_category_info", "ticket_category",
)


def tokenize(text: str | None) -> set[str]:
    """Tokens of a text: Chinese runs as character bigrams, other runs as words minus stop words."""
    if not text:
        return set()
    out: set[str] = set()
    for run in _TOKEN_RE.findall(text.lower()):
        if _CJK_RE.match(run):
            if len(run) == 1:
                continue
            out.update(run[i:i + 2] for i in range(len(run) - 1))
        elif len(run) >= 2 and run not in STOP_WORDS and not (run.isdigit() and len(run) < 3):
            out.add(run)
    return out


def _norm(text: Any) -> str:
    return " ".join(str(text).lower().split()) if isinstance(text, str) else ""


@dataclass(frozen=True)
class EventTerms:
    """What an event is about: its tokens, categories and product names (normalised)."""

    tokens: frozenset[str]
    categories: frozenset[str]
    products: frozenset[str]


def event_terms(title: str | None, category: str | None, context: Any = None,
                actions: Any = None) -> EventTerms:
    """Terms of one event from its canonical title/category and (optionally) its raw payloads."""
    texts: list[str] = [title] if isinstance(title, str) else []
    categories: set[str] = set()
    products: set[str] = set()
    if isinstance(category, str):
        categories.add(_norm(category))
    if isinstance(context, dict):
        for key in _TITLE_KEYS:
            if isinstance(context.get(key), str):
                texts.append(context[key])
        for key in _PRODUCT_KEYS:
            value = context.get(key)
            if isinstance(value, str) and value.strip():
                texts.append(value)
                products.add(_norm(value))
        if not categories:  # the finest category only: shared top levels ("apparel") say little
            for key in _CATEGORY_KEYS:
                if isinstance(context.get(key), str) and context[key].strip():
                    categories.add(_norm(context[key]))
                    break
        items = context.get("items")
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("title"), str):
                    texts.append(item["title"])
                    products.add(_norm(item["title"]))
    if isinstance(actions, list):
        for action in actions:
            if not isinstance(action, dict):
                continue
            for key in ("keyword", "item_title"):
                if isinstance(action.get(key), str):
                    texts.append(action[key])
                    if key == "item_title":
                        products.add(_norm(action[key]))
    tokens: set[str] = set()
    for text in texts:
        tokens |= tokenize(text)
    categories -= GENERIC_CATEGORIES
    products.discard("")
    return EventTerms(frozenset(tokens), frozenset(categories), frozenset(products))


@dataclass(frozen=True)
class ChainLink:
    """One earlier event of a chain."""

    event_index: int
    ts: datetime
    scenario: str
    title: str
    score: float
    shared_tokens: tuple[str, ...]
    shared_categories: tuple[str, ...]
    same_product: bool
    days_before: float          # days between this event and the conversion
    gap_days: float             # days between the previous link (or nothing: 0.0) and this one
    rule: str                   # which rule matched, in plain words


@dataclass(frozen=True)
class CausalChain:
    """Earlier events leading to a conversion, in time order."""

    user_id: str
    target_index: int
    target_ts: datetime
    target_scenario: str
    target_title: str
    links: tuple[ChainLink, ...]
    lookback_days: float
    min_score: float
    max_links: int
    candidates: int = 0          # events examined in the window
    rule_text: str = field(default="")

    @property
    def event_indices(self) -> tuple[int, ...]:
        """Chain event ids in time order, the conversion last."""
        return tuple(link.event_index for link in self.links) + (self.target_index,)

    @property
    def gaps_days(self) -> tuple[float, ...]:
        """Gaps in days between consecutive chain events, the last one ending at the conversion."""
        times = [link.ts for link in self.links] + [self.target_ts]
        return tuple((b - a).total_seconds() / 86400.0 for a, b in zip(times, times[1:]))

    @property
    def span_days(self) -> float:
        """Days from the earliest link to the target (0 with no links)."""
        return self.links[0].days_before if self.links else 0.0


def _describe(shared: Iterable[tuple[str, float]], categories: Iterable[str], same_product: bool) -> str:
    """The matched rule of one link in plain words, with each shared keyword's IDF weight."""
    parts = []
    shared = list(shared)
    if shared:
        words = ", ".join(f"“{t}” (IDF {w:.1f})" for t, w in shared[:6])
        parts.append("shared keywords " + words + (" …" if len(shared) > 6 else ""))
    if same_product:
        parts.append("same product")
    categories = list(categories)
    if categories:
        parts.append("same category " + ", ".join(f"“{c}”" for c in categories))
    return "; ".join(parts)


def _loads(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def _idf(n_events: int, df: int) -> float:
    """Inverse document frequency of a token found in ``df`` of ``n_events`` events (>= 0)."""
    return max(0.0, math.log((n_events + 1.0) / (df + 1.0)))


def _prefilter_regex(tokens: Iterable[str]) -> str | None:
    """One case-insensitive regex matching any of the tokens (Latin ones as whole words)."""
    cjk = sorted(t for t in tokens if _CJK_RE.match(t))
    latin = sorted(t for t in tokens if not _CJK_RE.match(t))
    parts = [re.escape(t) for t in cjk]
    if latin:
        parts.append(r"\b(?:" + "|".join(re.escape(t) for t in latin) + r")\b")
    return "(?i)(?:" + "|".join(parts) + ")" if parts else None


def find_chain(events: pl.DataFrame, event_index: int, *, user_id: str = "",
               lookback_days: float = 30.0, min_score: float = DEFAULT_MIN_SCORE,
               max_links: int = 20, session_minutes: float = 120.0) -> CausalChain:
    """Backtrack from event ``event_index`` of one user's ``events`` (see the module docstring).

    Raises ``ValueError`` (naming the event) when the event is not in the frame or has no timestamp.
    """
    if lookback_days <= 0 or not math.isfinite(lookback_days):
        raise ValueError(f"lookback_days must be a positive number of days, got {lookback_days!r}")
    target_rows = events.filter(pl.col("event_index") == event_index)
    if target_rows.height == 0:
        raise ValueError(f"user {user_id or '?'}: event {event_index} is not in the trace")
    target = target_rows.row(0, named=True)
    target_ts: datetime | None = target.get("ts")
    if target_ts is None:
        raise ValueError(f"user {user_id or '?'}: event {event_index} has no parseable timestamp (field 'timestamp')")
    user_id = user_id or str(target.get("user_id") or "")
    has_ctx = "context" in events.columns
    has_act = "actions" in events.columns
    t_terms = event_terms(target.get("title"), target.get("category"),
                          _loads(target.get("context")) if has_ctx else None,
                          _loads(target.get("actions")) if has_act else None)
    # the conversion's finest category name is words about it too ("Air Fryers", "跑步鞋")
    t_tokens = set(t_terms.tokens)
    for cat in t_terms.categories:
        t_tokens |= tokenize(cat)

    start = target_ts - timedelta(days=lookback_days)
    window = events.filter(
        pl.col("ts").is_not_null()
        & (pl.col("ts") >= start)
        & ((pl.col("ts") < target_ts) | ((pl.col("ts") == target_ts) & (pl.col("event_index") < event_index)))
        & (pl.col("event_index") != event_index)
    )
    n_window = window.height
    cols = ["event_index", "ts", "scenario", "title", "category"]
    cols += ["context"] if has_ctx else []
    cols += ["actions"] if has_act else []
    candidates = window.filter(pl.any_horizontal(_prefilter(t_tokens, t_terms, has_ctx, has_act))).select(cols)
    scored = _scored(candidates, t_terms, t_tokens, n_window, min_score, has_ctx, has_act)
    scored.sort(key=lambda s: (-s[0], -s[1].timestamp(), -s[2]))
    kept = scored[:max_links]
    if session_minutes > 0 and kept:
        kept += _session_searches(window.filter(pl.col("scenario") == "Search Behavior").select(cols),
                                  kept, session_minutes)
    return CausalChain(
        user_id=user_id, target_index=int(event_index), target_ts=target_ts,
        target_scenario=str(target.get("scenario") or ""), target_title=str(target.get("title") or ""),
        links=tuple(_links(sorted(kept, key=lambda s: (s[1], s[2])), target_ts)),
        lookback_days=float(lookback_days), min_score=float(min_score),
        max_links=int(max_links), candidates=n_window,
        rule_text=RULE_TEXT.format(lookback=_fmt_days(lookback_days), min_score=_fmt_days(min_score),
                                   max_links=max_links, session=_fmt_days(session_minutes),
                                   min_token=_fmt_days(MIN_TOKEN_SCORE), cat_bonus=_fmt_days(CATEGORY_BONUS),
                                   product_bonus=_fmt_days(PRODUCT_BONUS), idf_min=IDF_MIN_EVENTS))


def _prefilter(t_tokens: set[str], t_terms: EventTerms, has_ctx: bool, has_act: bool) -> list[pl.Expr]:
    """Vectorised pre-filter: only events whose text could share a token, category or product
    with the conversion (any of these expressions true)."""
    pattern = _prefilter_regex(t_tokens)
    patterns = [pl.lit(False)]
    if pattern is not None:
        patterns.append(pl.col("title").fill_null("").str.contains(pattern))
        if has_ctx:
            patterns.append(~pl.col("scenario").is_in(list(_TITLE_ONLY))
                            & pl.col("context").fill_null("").str.contains(pattern))
        if has_act:
            patterns.append(pl.col("scenario").is_in(list(_ACTION_TERMS))
                            & pl.col("actions").fill_null("").str.contains(pattern))
    if t_terms.categories:
        patterns.append(pl.col("category").fill_null("").str.to_lowercase().str.strip_chars()
                        .is_in(list(t_terms.categories)))
        if has_ctx:
            cat_re = "(?i)" + "|".join(re.escape(c) for c in sorted(t_terms.categories))
            patterns.append(~pl.col("scenario").is_in(list(_TITLE_ONLY))
                            & pl.col("context").fill_null("").str.contains(cat_re))
    return patterns


def _scored(candidates: pl.DataFrame, t_terms: EventTerms, t_tokens: set[str], n_window: int,
            min_score: float, has_ctx: bool, has_act: bool) -> list[tuple]:
    """The candidates that link to the conversion, as (score, ts, event_index, row, shared tokens,
    shared categories, same product, why); tokens weighted by IDF over the window."""
    rows: list[tuple[dict, EventTerms]] = []
    df: dict[str, int] = {}
    for row in candidates.iter_rows(named=True):
        scen = row.get("scenario")
        need_ctx = has_ctx and scen not in _TITLE_ONLY
        terms = event_terms(row.get("title"), row.get("category"),
                            _loads(row.get("context")) if need_ctx else None,
                            _loads(row.get("actions")) if has_act and scen in _ACTION_TERMS else None)
        rows.append((row, terms))
        for tok in terms.tokens & t_tokens:
            df[tok] = df.get(tok, 0) + 1
    n_idf = max(n_window, IDF_MIN_EVENTS)
    weight = {tok: _idf(n_idf, n) for tok, n in df.items()}
    scored: list[tuple] = []
    for row, terms in rows:
        shared = tuple(sorted(terms.tokens & t_tokens, key=lambda t: (-weight[t], t)))
        cats = tuple(sorted(terms.categories & t_terms.categories))
        same_product = bool(terms.products & t_terms.products)
        token_score = sum(weight[t] for t in shared)
        score = token_score + (CATEGORY_BONUS if cats else 0.0) + (PRODUCT_BONUS if same_product else 0.0)
        # a search whose every keyword word is a word of the conversion searched for it
        whole_query = (row.get("scenario") == "Search Behavior" and bool(shared)
                       and terms.tokens <= t_tokens)
        if whole_query or (score >= min_score and (token_score >= MIN_TOKEN_SCORE or same_product)):
            why = _describe([(t, weight[t]) for t in shared], cats, same_product)
            if whole_query and score < min_score:
                why += " (every word of the search keyword is in the conversion)"
            scored.append((round(score, 2), row["ts"], row["event_index"], row, shared, cats, same_product, why))
    return scored


def _session_searches(searches: pl.DataFrame, kept: list[tuple], session_minutes: float) -> list[tuple]:
    """Session searches: the search immediately before a linked video (its keyword may be in another
    language than the captions, as in the English OmniBehavior data), at most MAX_SESSION_SEARCHES."""
    have = {k[2] for k in kept}
    session = timedelta(minutes=session_minutes)
    searches = searches.sort("ts", "event_index")
    s_ts = searches["ts"].to_list()
    s_rows = None
    extra: list[tuple] = []

    for k in sorted(kept, key=lambda s: (s[1], s[2])):
        if k[3].get("scenario") != "Video Browsing" or not s_ts:
            continue
        pos = bisect.bisect_left(s_ts, k[1]) - 1     # the last search strictly before the video
        if pos < 0 or k[1] - s_ts[pos] > session:
            continue
        if s_rows is None:
            s_rows = searches.rows(named=True)
        row = s_rows[pos]
        if row["event_index"] in have:
            continue
        minutes = (k[1] - row["ts"]).total_seconds() / 60.0
        extra.append((0.0, row["ts"], row["event_index"], row, (), (), False,
                      f"search opened the session of linked video #{k[2]} {minutes:.0f} min later "
                      f"(no other search in between)"))
        have.add(row["event_index"])
    return extra[:MAX_SESSION_SEARCHES]


def _links(kept: list[tuple], target_ts: datetime) -> list[ChainLink]:
    """The kept events in time order as links, with their distance to the conversion and the gap to
    the link before."""
    links: list[ChainLink] = []
    previous: datetime | None = None
    for score, ts, idx, row, shared, cats, same_product, why in kept:
        links.append(ChainLink(
            event_index=int(idx), ts=ts, scenario=str(row.get("scenario") or ""),
            title=str(row.get("title") or ""), score=float(score), shared_tokens=shared,
            shared_categories=cats, same_product=same_product,
            days_before=(target_ts - ts).total_seconds() / 86400.0,
            gap_days=0.0 if previous is None else (ts - previous).total_seconds() / 86400.0,
            rule=why))
        previous = ts
    return links


def _fmt_days(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
