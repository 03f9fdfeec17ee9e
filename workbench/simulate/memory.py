"""Memory strategies: which history events go into a prompt. Layer: simulate (pure; no Qt).

* ``truncate`` (the benchmark's; docs/benchmark.md#memory): newest first while
  the running total fits the budget; stop at the first event that does not fit (no skipping).
* ``retrieve``: a lexical retriever (BM25 via ``rank_bm25``) scores every history event's rendered
  text against a query (the target's scene text); the most recent events fill ``RECENT_SHARE`` of the
  budget first (same stopping rule), then the best-scoring other events are added in score order,
  skipping any that do not fit. Chinese is tokenised into characters and character bigrams, other text
  into lower-case words.
* ``summary``: older history is compressed into one short paragraph by one LLM call (made by the
  runner, cached); the most recent events stay verbatim within ``SUMMARY_RECENT_SHARE`` of the
  budget minus the summary's size.

All functions here work on positions 0..n-1 of the (already filtered) history, oldest first, and
return positions in time order.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Sequence

MEMORY_STRATEGIES = ("truncate", "retrieve", "summary")
RECENT_SHARE = 0.5            # retrieve: share of the history budget given to the newest events
SUMMARY_RECENT_SHARE = 0.75   # summary: share of the history budget kept for verbatim recent events
SUMMARY_MAX_TOKENS = 400      # max_tokens of the summary call

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+")


def tokenize(text: str) -> list[str]:
    """Lexical tokens: each CJK character and each CJK bigram, plus lower-case ASCII words."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out.extend(run)
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    out.extend(_WORD.findall(_CJK_RUN.sub(" ", text).lower()))
    return out


@lru_cache(maxsize=4)
def _bm25_index(documents: tuple[str, ...]):
    from rank_bm25 import BM25Okapi

    return BM25Okapi([tokenize(d) or ["\x00"] for d in documents])


def bm25_scores(documents: Sequence[str], query: str) -> list[float]:
    """BM25 (Okapi) score of each document against the query; all 0 when nothing matches. The index
    of the last few corpora is kept (the questions of one event share their history)."""
    if not documents:
        return []
    q = tokenize(query)
    if not q:
        return [0.0] * len(documents)
    return [float(s) for s in _bm25_index(tuple(documents)).get_scores(q)]


def select_recent(n: int, cost: Callable[[int], int], budget: int,
                  allowed: Callable[[int], bool] | None = None) -> tuple[list[int], int]:
    """Newest-first recency truncation; returns (positions in time order, total cost)."""
    kept: list[int] = []
    total = 0
    for pos in range(n - 1, -1, -1):
        if allowed is not None and not allowed(pos):
            continue
        c = cost(pos)
        if total + c > budget:
            break
        kept.append(pos)
        total += c
    kept.reverse()
    return kept, total


def select_retrieve(n: int, cost: Callable[[int], int], budget: int, scores: Sequence[float],
                    recent_share: float = RECENT_SHARE) -> tuple[list[int], int]:
    """Most recent events within ``recent_share`` of the budget, then the top-scoring others."""
    recent, total = select_recent(n, cost, int(budget * recent_share))
    chosen = set(recent)
    order = sorted((p for p in range(n) if p not in chosen and scores[p] > 0),
                   key=lambda p: (-scores[p], -p))
    for pos in order:
        c = cost(pos)
        if total + c <= budget:
            chosen.add(pos)
            total += c
    return sorted(chosen), total


def summary_request(history_text: str, lang: str) -> str:
    """The one prompt that compresses older history into a short behaviour paragraph."""
    if lang == "zh":
        return ("下面是一位快手用户较早时期的行为记录（按时间从早到晚）。请用一段不超过200字的中文，"
                "客观概括这位用户的行为特点：常看的内容与兴趣、观看时长习惯、点赞评论分享关注等互动的频率、"
                "消费与购买习惯、搜索与咨询习惯。只根据记录概括，不要推测记录之外的信息，不要分点。\n\n"
                f"{history_text}\n\n行为概要：")
    return ("Below are a Kuaishou user's older behaviour records, oldest first. In one paragraph of at "
            "most 120 words, describe this user's behaviour objectively: content interests, how long "
            "they usually watch, how often they like/comment/share/follow, buying habits, search and "
            "customer-service habits. Use only the records; no guesses beyond them; no bullet points."
            f"\n\n{history_text}\n\nBehaviour summary:")


# -- which events may be history at all (before any budget) ---------------------------------------

#: The benchmark's windows: history 2025-09-01..2025-09-30, test 2025-10-01..2025-11-30.
HISTORY_WINDOW: tuple[str, str] = ("2025-09-01", "2025-09-30")
TEST_WINDOW: tuple[str, str] = ("2025-10-01", "2025-11-30")


def in_window(timestamp: Any, start: str | None, end: str | None) -> bool:
    """The benchmark's window test: plain string comparison with bare dates as bounds, so a timed
    event on the end date (``"2025-09-30 09:28:22" > "2025-09-30"``) is outside the window."""
    ts = timestamp if isinstance(timestamp, str) else ("" if timestamp is None else str(timestamp))
    if start and ts < start:
        return False
    if end and ts > end:
        return False
    return True


def rolling_history(events: Sequence[tuple[int, Any]], target_index: int,
                    history_window: tuple[str, str] | None = HISTORY_WINDOW,
                    test_window: tuple[str, str] | None = TEST_WINDOW) -> tuple[list[int], str]:
    """(history event_index values in file order, the rule that chose them) for one target.

    When the target lies in the test window: the benchmark's rolling history, i.e. every event of
    the history window followed by every test-window event before the target in file order (timed
    events on the history window's end date belong to neither window and are left out). Otherwise
    (or with no test window): every event before the target in file order. Raises ValueError when
    ``target_index`` is not among ``events``."""
    pos = next((p for p, (i, _) in enumerate(events) if i == target_index), None)
    if pos is None:
        raise ValueError(f"event {target_index} is not in this user's trace")
    target = events[pos][1]
    ts = target.get("timestamp") if isinstance(target, dict) else None
    if test_window is None or not in_window(ts, *test_window):
        where = f"outside the test window {test_window[0]}..{test_window[1]}" if test_window else "no test window"
        return [i for i, _ in events[:pos]], f"every earlier event ({where})"

    def stamp(e: Any) -> Any:
        return e.get("timestamp") if isinstance(e, dict) else None

    base = [i for i, e in events if history_window is None or in_window(stamp(e), *history_window)]
    earlier = [i for i, e in events[:pos] if in_window(stamp(e), *test_window)]
    seen: set[int] = set()
    out = []
    for i in (*base, *earlier):
        if i not in seen and i != target_index:
            seen.add(i)
            out.append(i)
    hw = f"{history_window[0]}..{history_window[1]}" if history_window else "none"
    return out, f"benchmark rolling history (history window {hw} + earlier test-window events)"
