"""Causal chains: from a conversion, backtrack to the earlier events that led to it. Layer: traces (pure).

An analyst looking at a purchase wants to see the search, the videos and the live stream that came
before it, in any scenario. :func:`find_chain` takes one user's canonical events (``workbench.traces``
schema: at least ``event_index``, ``ts``, ``scenario``, ``title``, ``category``; the ``context`` and
``actions`` payload columns are used when present) and the event id of the conversion, and returns a
:class:`CausalChain`: the earlier events within a look-back window that share keywords, categories or
products with the conversion, in time order, with the gap in days between consecutive links.

The rule (shown in the UI as ``CausalChain.rule_text``):

* Text of an event = its title, product names (item title, ad product, customer-service product,
  products on sale in a live stream) and search keywords; its category = the finest one it has
  (item category level 3..1, ad industry, live category, ticket category).
* Tokens: lower-cased; Chinese (CJK) runs become character bigrams, other text becomes words of two
  or more letters/digits minus English stop words.
* Score of an earlier event = shared tokens with the conversion (a token found in at most 5 % of the
  window's events, or 10, counts 2) + 2 for the same finest category (generic ones such as "Other"
  ignored) + 3 for the same product. It joins at ``min_score`` (default 2).
* One hop back: an earlier event sharing two title words with a chain event, one of them a word of
  the conversion, joins too (the "baby formula" videos before the live stream that sold the formula).
* A search up to ``session_minutes`` (120) before a chain event joins as that session's start (in the
  English OmniBehavior data search keywords stay Chinese, so words cannot link them).
* Only events within ``lookback_days`` (30) before the conversion; at most ``max_links`` (20).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

import orjson
import polars as pl

__all__ = ["CausalChain", "ChainLink", "RULE_TEXT", "find_chain", "tokenize", "event_terms"]

RULE_TEXT = (
    "Backtrack from the conversion over the previous {lookback} days in every scenario. An earlier "
    "event joins the chain when it shares keywords, a category or the product with the conversion: "
    "score = shared title/keyword/product tokens (Chinese as character bigrams, English as words "
    "without stop words; a token rare in the window counts 2) + 2 for the same finest category + 3 for "
    "the same product; it joins at score >= "
    "{min_score}. One hop back: an earlier event that shares two title words with a chain event, one "
    "of them a word of the conversion, joins too; so does a search up to {session} minutes before a "
    "chain event (same session: its keyword may be in another language). At most {max_links} "
    "matching links plus the session searches."
)

#: Same-session searches are added beyond ``max_links`` (they start the chain), at most this many.
MAX_SESSION_SEARCHES = 5

#: A shared token found in at most this many (or this fraction of) window events is rare: it counts 2.
RARE_MIN_EVENTS = 10
RARE_FRACTION = 0.05

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
        return self.links[0].days_before if self.links else 0.0


def _describe(shared: Iterable[str], categories: Iterable[str], same_product: bool) -> str:
    parts = []
    if same_product:
        parts.append("same product")
    categories = list(categories)
    if categories:
        parts.append("same category " + ", ".join(f"“{c}”" for c in categories))
    shared = list(shared)
    if shared:
        parts.append("shared keywords " + ", ".join(shared[:6]) + (" …" if len(shared) > 6 else ""))
    return "; ".join(parts)


def _loads(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def find_chain(events: pl.DataFrame, event_index: int, *, user_id: str = "",
               lookback_days: float = 30.0, min_score: float = 2.0,
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

    start = target_ts - timedelta(days=lookback_days)
    window = events.filter(
        pl.col("ts").is_not_null()
        & (pl.col("ts") >= start)
        & ((pl.col("ts") < target_ts) | ((pl.col("ts") == target_ts) & (pl.col("event_index") < event_index)))
        & (pl.col("event_index") != event_index)
    )
    cols = ["event_index", "ts", "scenario", "title", "category"]
    cols += ["context"] if has_ctx else []
    cols += ["actions"] if has_act else []
    rows: list[tuple[dict, EventTerms]] = []
    df: dict[str, int] = {}
    for row in window.select(cols).iter_rows(named=True):
        scen = row.get("scenario")
        # videos and searches carry nothing beyond their title (caption / keyword): skip the JSON
        need_ctx = has_ctx and scen not in _TITLE_ONLY
        terms = event_terms(row.get("title"), row.get("category"),
                            _loads(row.get("context")) if need_ctx else None,
                            _loads(row.get("actions")) if has_act and scen in _ACTION_TERMS else None)
        rows.append((row, terms))
        for tok in terms.tokens & t_terms.tokens:
            df[tok] = df.get(tok, 0) + 1
    rare_limit = max(RARE_MIN_EVENTS, RARE_FRACTION * len(rows))
    weight = {tok: (2.0 if n <= rare_limit else 1.0) for tok, n in df.items()}
    scored: list[tuple[float, datetime, int, dict, tuple, tuple, bool]] = []
    for row, terms in rows:
        shared = tuple(sorted(terms.tokens & t_terms.tokens))
        cats = tuple(sorted(terms.categories & t_terms.categories))
        same_product = bool(terms.products & t_terms.products)
        score = sum(weight[t] for t in shared) + (2.0 if cats else 0.0) + (3.0 if same_product else 0.0)
        if score >= min_score:
            scored.append((score, row["ts"], row["event_index"], row, shared, cats, same_product))
    scored.sort(key=lambda s: (-s[0], -s[1].timestamp(), -s[2]))
    kept = [k + ("",) for k in scored[:max_links]]
    have = {k[2] for k in kept}
    # one hop back: an earlier event sharing two title words with a direct link, one of them a word
    # of the conversion ("baby formula" videos before a "baby formula" live stream selling the product)
    direct = [(k, tokenize(k[3].get("title"))) for k in kept]
    hop: list[tuple] = []
    for row, terms in rows:
        idx = row["event_index"]
        if idx in have or not terms.tokens & t_terms.tokens:
            continue
        best = None
        for k, title_tokens in direct:
            if not row["ts"] < k[1]:
                continue
            shared = terms.tokens & title_tokens
            if len(shared) >= 2 and shared & t_terms.tokens and (best is None or len(shared) > len(best[1])):
                best = (k, shared)
        if best is not None:
            k, shared = best
            words = ", ".join(sorted(shared)[:6])
            hop.append((float(len(shared)), row["ts"], idx, row, tuple(sorted(shared & t_terms.tokens)), (), False,
                        f"shares {words} with chain event #{k[2]} (one hop back)"))
    hop.sort(key=lambda s: (-s[0], -s[1].timestamp(), -s[2]))
    hop = hop[:max(0, max_links - len(kept))]
    kept += hop
    have |= {k[2] for k in hop}
    # same-session searches: a search shortly before a chain event (its keyword may be in another
    # language than the titles, as in the English OmniBehavior data)
    if session_minutes > 0 and kept:
        searches = window.filter(pl.col("scenario") == "Search Behavior").select(cols)
        session = timedelta(minutes=session_minutes)
        extra = []
        for row in searches.iter_rows(named=True):
            if row["event_index"] in have:
                continue
            after = [k for k in kept if k[3].get("scenario") != "Search Behavior"
                     and row["ts"] < k[1] <= row["ts"] + session]
            if not after:
                continue
            nxt = min(after, key=lambda k: k[1])
            minutes = (nxt[1] - row["ts"]).total_seconds() / 60.0
            extra.append((0.0, row["ts"], row["event_index"], row, (), (), False,
                          f"search {minutes:.0f} min before chain event #{nxt[2]} (same session)"))
            have.add(row["event_index"])
        kept += extra[:MAX_SESSION_SEARCHES]
    kept = sorted(kept, key=lambda s: (s[1], s[2]))
    links: list[ChainLink] = []
    previous: datetime | None = None
    for score, ts, idx, row, shared, cats, same_product, why in kept:
        links.append(ChainLink(
            event_index=int(idx), ts=ts, scenario=str(row.get("scenario") or ""),
            title=str(row.get("title") or ""), score=float(score), shared_tokens=shared,
            shared_categories=cats, same_product=same_product,
            days_before=(target_ts - ts).total_seconds() / 86400.0,
            gap_days=0.0 if previous is None else (ts - previous).total_seconds() / 86400.0,
            rule=why or _describe(shared, cats, same_product)))
        previous = ts
    return CausalChain(
        user_id=user_id, target_index=int(event_index), target_ts=target_ts,
        target_scenario=str(target.get("scenario") or ""), target_title=str(target.get("title") or ""),
        links=tuple(links), lookback_days=float(lookback_days), min_score=float(min_score),
        max_links=int(max_links), candidates=window.height,
        rule_text=RULE_TEXT.format(lookback=_fmt_days(lookback_days), min_score=_fmt_days(min_score),
                                   max_links=max_links, session=_fmt_days(session_minutes)))


def _fmt_days(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
