"""Prompt builder: one user message per question, no system message. Layer: simulate (pure; no Qt).

The prompt has the benchmark's sections in the benchmark's order, joined line by line as the
benchmark joins them, in our own words (:mod:`workbench.simulate.templates`); docs/benchmark.md
(#prompt-layout, #token-budget) maps both. With a reference checkout
(:mod:`workbench.simulate.reference`) the benchmark's own builder renders the prompt instead.

Budget: ``max_history_tokens`` is the budget of the whole prompt. History budget =
``max(0, max - tokens(prompt with an empty history slot) - 100)``; each event costs the tokens of its
block rendered with the index-free label and its trailing newline; events are kept newest first
until the first one that does not fit (memory ``truncate``), then rendered oldest first. ``0``
means no history at all. A target whose own text leaves no room is cut field by field (longest
first) until the prompt fits, and the cut says so (:func:`fit_target`). The Prompt records exactly
which ``event_index`` values went in.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Sequence

from workbench.simulate import memory as mem
from workbench.simulate._phrases import PHRASES
from workbench.simulate.filters import is_filtered
from workbench.simulate.questions import recount_dialogue
from workbench.simulate.render import context_text, event_block, event_body, scene_name
from workbench.simulate.templates import HISTORY_SLOT, T as _T, question_text
from workbench.simulate.tokens import approx_from_counts, cjk_count, get_counter
from workbench.simulate.types import Prompt, Question

if TYPE_CHECKING:
    from workbench.simulate.reference import Reference

MIN_BUDGET, MAX_BUDGET, DEFAULT_BUDGET = 4000, 128000, 32000
TEMPLATE_MARGIN = 100
_CUT_SEPARATORS = ("\n\n", "\n", "。", "！", "？", ".", "!", "?")
_CUT_KEEP_SHARE = 0.7        # a cut moves back to a sentence end only if it keeps >= 70 % of the prefix


def short_profile(profile: str | None) -> str:
    """Only the text before the first Chinese full stop 。 (the whole text when there is none)."""
    profile = profile or ""
    cut = profile.find("。")
    return profile[:cut] if cut >= 0 else profile


def check_budget(max_history_tokens: int) -> None:
    """Raise ValueError unless the budget is 0 (no history) or in MIN_BUDGET..MAX_BUDGET tokens."""
    if not isinstance(max_history_tokens, int) or isinstance(max_history_tokens, bool):
        raise ValueError(f"max_history_tokens must be an integer, got {max_history_tokens!r}")
    if max_history_tokens != 0 and not MIN_BUDGET <= max_history_tokens <= MAX_BUDGET:
        raise ValueError(f"max_history_tokens must be 0 (no history) or between {MIN_BUDGET} and "
                         f"{MAX_BUDGET}, got {max_history_tokens}")


def _dialogue_question(target: dict[str, Any], question: Question, T: dict[str, Any], lang: str) -> str:
    turns = question.extra.get("dialogue_context") or []
    omitted = int(question.extra.get("dialogue_omitted") or 0)
    context = context_text(target, lang)
    if not question.extra.get("has_dialogue_history", bool(turns)):
        return T["c_first"].format(context=context)
    lines = "\n".join(f"{T['user'] if t.get('role') == 'user' else T['assistant']}: {t.get('content', '')}"
                      for t in turns)
    note = T["c_omitted"].format(k=len(turns), m=omitted) if omitted else ""
    return T["c_next"].format(context=context, dialogue=note + lines)


def _render(kind: str, T: dict[str, Any], profile: str, history: str, target: dict[str, Any],
            question: Question, lang: str) -> str:
    """The prompt's lines joined by newlines, ``history`` in the history slot (may be empty)."""
    if question.field == "search_keyword":
        lines, fill = T["search"], {}
    elif question.field == "next_user_message":
        lines, fill = T["service"], {"question": _dialogue_question(target, question, T, lang)}
    else:
        ts = target["timestamp"] if "timestamp" in target else PHRASES[lang]["unknown_time"]
        scene = T["scene"].format(ts=ts, scene=scene_name(target, lang),
                                  context=context_text(target, lang, is_target=True))
        fill = {"scene": scene, "question": question_text(question.field, kind, lang),
                "constraint": T.get(kind, T["text"])}
        lines = T["predict"]
    fill["profile"] = profile
    out = []
    for line in lines:
        if line == HISTORY_SLOT:
            out.append(history)
        elif line.startswith("{") and line.endswith("}") and line[1:-1] in fill:
            out.append(fill[line[1:-1]])
        else:
            out.append(line)
    return "\n".join(out)


def retrieval_query(target: dict[str, Any], question: Question, recent_texts: Sequence[str],
                    lang: str) -> str:
    """What the retriever compares history with: the target's scene text; for ``search_keyword``
    (whose target text would reveal the answer) the newest three history events instead."""
    if question.field == "search_keyword":
        return "\n".join(recent_texts[-3:])
    return context_text(target, lang)


# -- a target too large for the budget ---------------------------------------------------------------

def cut_to_tokens(text: str, max_tokens: int, count: Callable[[str], int], marker: str) -> str:
    """The longest prefix of ``text`` within ``max_tokens`` (binary search), moved back to the last
    paragraph or sentence end when that keeps at least 70 % of it, followed by ``marker``."""
    if max_tokens <= 0:
        return marker.strip()
    if count(text) <= max_tokens:
        return text
    lo, hi = 0, min(len(text), max_tokens * 16 + 1)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[:mid]) <= max_tokens:
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo]
    best = -1
    for sep in _CUT_SEPARATORS:
        pos = cut.rfind(sep)
        if pos > best and pos > lo * _CUT_KEEP_SHARE:
            best = pos + len(sep)
    if best > 0:
        cut = cut[:best]
    return cut.rstrip() + marker


def fit_target(profile: str, target: dict[str, Any], skeleton_tokens: Callable[[str, dict[str, Any]], int],
               limit: int, count: Callable[[str], int], marker: str) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    """(profile, target, names of the fields cut) such that ``skeleton_tokens(profile, target)``
    (the prompt without history) plus the 100-token margin fits ``limit``. Fields are cut longest
    first: the profile and the target's text fields (strings) and lists (fewer items); each cut
    ends with ``marker``. Unchanged inputs when they already fit."""
    room = limit - TEMPLATE_MARGIN
    if skeleton_tokens(profile, target) <= room:
        return profile, target, ()
    ctx = target.get("context")
    ctx = dict(ctx) if isinstance(ctx, dict) else {}
    target = {**target, "context": ctx}
    names: list[str] = []
    fields = [("profile", profile)] + [(k, v) for k, v in ctx.items() if isinstance(v, (str, list))]
    fields.sort(key=lambda kv: -len(str(kv[1])))
    for name, value in fields:
        if skeleton_tokens(profile, target) <= room:
            break
        if isinstance(value, list):
            keep = len(value)
            while keep > 0 and skeleton_tokens(profile, target) > room:
                keep //= 2
                ctx[name] = value[:keep]
        else:
            own = count(value)
            for _ in range(4):       # rendering may escape or repeat the text: re-measure and cut again
                excess = skeleton_tokens(profile, target) - room
                if excess <= 0:
                    break
                own = max(0, own - excess - count(marker))
                new = cut_to_tokens(value, own, count, marker)
                if name == "profile":
                    profile = new
                else:
                    ctx[name] = new
        names.append(name)
    return profile, target, tuple(names)


class _Entry:
    """One history event's cached rendering for one (language, token counter): the evaluation-filter
    flag, the label-free block body, the cost of the ``label0`` block and the body's character
    counts (for summing the approx token count of a whole prompt from its parts)."""

    __slots__ = ("event", "context", "actions", "filtered", "body", "cost", "cjk", "chars", "_how")

    def __init__(self, event: Any) -> None:
        self.event = event
        self.context = event.get("context") if isinstance(event, dict) else None
        self.actions = event.get("action") if isinstance(event, dict) else None
        self.filtered = is_filtered(event)
        self.body: str | None = None
        self.cost = 0
        self.cjk = self.chars = 0

    def valid_for(self, event: Any) -> bool:
        return (self.event is event and isinstance(event, dict) and self.context is event.get("context")
                and self.actions is event.get("action"))

    def bind(self, T: dict[str, Any], lang: str, count: Callable[[str], int]) -> "_Entry":
        """Remember how to render (templates, language, counter) for :meth:`rendered`."""
        self._how = (T, lang, count)
        return self

    def rendered(self) -> "_Entry":
        """Render and cost the event once (label-free body with its trailing newline; cost of the
        block with the index-free label, as the benchmark costs it)."""
        if self.body is None:
            T, lang, count = self._how
            body = event_body(self.event, lang)
            self.cost = count(T["label0"] + body)
            self.cjk, self.chars = cjk_count(body), len(body)
            self.body = body
        return self


#: Rendered history events, keyed by (id(event), lang, tokenizer, token model). An entry holds a
#: reference to its event (so the id cannot be reused while it is cached) and is only used for that
#: very object with the same ``context``/``action`` objects: the questions of one target, and the
#: overlapping rolling histories of one user's targets, render each event once. Events are treated as
#: read-only (the trace layer never edits them in place).
_ENTRY_CACHE: "OrderedDict[tuple[int, str, str, str], _Entry]" = OrderedDict()
_ENTRY_CACHE_MAX = 32768
_ENTRY_LOCK = threading.Lock()


def _entry(event: Any, key_tail: tuple[str, str, str]) -> _Entry:
    key = (id(event), *key_tail)
    with _ENTRY_LOCK:
        hit = _ENTRY_CACHE.get(key)
        if hit is not None and hit.valid_for(event):
            _ENTRY_CACHE.move_to_end(key)
            return hit
    entry = _Entry(event)
    if isinstance(event, dict):
        with _ENTRY_LOCK:
            _ENTRY_CACHE[key] = entry
            if len(_ENTRY_CACHE) > _ENTRY_CACHE_MAX:
                _ENTRY_CACHE.popitem(last=False)
    return entry


def clear_render_cache() -> None:
    """Forget every cached history rendering (tests; after editing events in place)."""
    with _ENTRY_LOCK:
        _ENTRY_CACHE.clear()


class HistoryWalk:
    """What the questions of one target share for memory ``truncate``: the history walked newest
    first (filtered events skipped) with the running token cost, extended only as far as a budget
    reaches, and the history text already joined for a number of kept events. Pass one instance
    to every :func:`build_prompt` call of one target (same history, language and token counter);
    the prompts are exactly those built without it."""

    __slots__ = ("history", "how", "walked", "costs", "pos", "texts")

    def __init__(self) -> None:
        self.history: Sequence[tuple[int, Any]] | None = None
        self.how: tuple[Any, ...] = ()
        self.walked: list[tuple[int, _Entry]] = []      # newest first
        self.costs: list[int] = []                      # running total after each walked entry
        self.pos = 0                                    # how far back the history was walked
        self.texts: dict[int, tuple[str, int]] = {}       # kept events -> (history text, its CJK count)

    def bind(self, history: Sequence[tuple[int, Any]], how: tuple[Any, ...]) -> "HistoryWalk":
        """Start over when ``history`` or ``how`` (language, counter) is not what was walked."""
        if self.history is not history or self.how != how:
            self.history, self.how = history, how
            self.walked, self.costs, self.pos, self.texts = [], [], 0, {}
        return self


def _walk_back(walk: HistoryWalk, entry: Callable[[Any], _Entry]) -> bool:
    """Render the next older unfiltered event of ``walk``'s history onto it; False at the start."""
    history = walk.history or ()
    total = walk.costs[-1] if walk.costs else 0
    while walk.pos < len(history):
        i, ev = history[len(history) - 1 - walk.pos]
        walk.pos += 1
        en = entry(ev)
        if not en.filtered:
            walk.walked.append((i, en.rendered()))
            walk.costs.append(total + en.cost)
            return True
    return False


def _kept_truncate(history: Sequence[tuple[int, Any]], entry: Callable[[Any], _Entry], budget: int,
                   walk: HistoryWalk | None = None) -> list[tuple[int, _Entry]]:
    """Newest first, skipping filtered events, stopping at the first that does not fit; lazy, so a
    long history is only rendered as far back as the budget reaches. Oldest first on return.
    ``walk``: the target's shared walk (already bound to ``history``)."""
    walk = walk if walk is not None else HistoryWalk().bind(history, ())
    n = 0
    while n < len(walk.walked) or _walk_back(walk, entry):
        if walk.costs[n] > budget:
            break
        n += 1
    chosen = walk.walked[:n]
    chosen.reverse()
    return chosen


def _kept_other(memory: str, history: Sequence[tuple[int, Any]], entry: Callable[[Any], _Entry], budget: int,
                T: dict[str, Any], target: dict[str, Any], question: Question, lang: str, summary: str | None,
                summary_covers: Sequence[int] | None, count: Callable[[str], int]
                ) -> tuple[list[tuple[int, _Entry]], tuple[int, ...], str]:
    """Memory ``retrieve`` / ``summary``: (kept events, summarised event indices, summary text)."""
    kept_events = [(i, en) for i, en in ((i, entry(e)) for i, e in history) if not en.filtered]
    n = len(kept_events)

    def cost(pos: int) -> int:
        return kept_events[pos][1].rendered().cost

    summarized: tuple[int, ...] = ()
    summary_text = ""
    if n == 0:
        chosen: list[int] = []
    elif memory == "retrieve":
        texts = [T["label0"] + kept_events[p][1].rendered().body for p in range(n)]
        query = retrieval_query(target, question, texts, lang)
        chosen, _ = mem.select_retrieve(n, cost, budget, mem.bm25_scores(texts, query))
    else:  # summary
        recent_budget = int(budget * mem.SUMMARY_RECENT_SHARE)
        if summary_covers is None:
            recent, _ = mem.select_recent(n, cost, recent_budget)
            first = recent[0] if recent else n
            covered = [kept_events[p][0] for p in range(first)]
        else:
            covered_set = set(summary_covers)
            covered = [i for i, _ in kept_events if i in covered_set]
        summarized = tuple(covered)
        if covered:
            if summary:
                summary_text = T["summary_head"].format(n=len(covered), summary=summary.strip())
                room = budget - recent_budget
                while summary_text and count(summary_text) > max(room, 0):
                    summary_text = summary_text[: int(len(summary_text) * 0.9)]
            else:
                summary_text = T["summary_missing"].format(n=len(covered))
        covered_idx = set(covered)
        rest = budget - count(summary_text) if summary_text else budget
        chosen, _ = mem.select_recent(n, cost, max(rest, 0),
                                      allowed=lambda p: kept_events[p][0] not in covered_idx)
    return [(kept_events[p][0], kept_events[p][1].rendered()) for p in chosen], summarized, summary_text


def _history_section(memory: str, history: Sequence[tuple[int, Any]], entry: Callable[[Any], _Entry],
                     budget: int, T: dict[str, Any], target: dict[str, Any], question: Question, lang: str,
                     summary: str | None, summary_covers: Sequence[int] | None, count: Callable[[str], int],
                     walk: HistoryWalk | None) -> tuple[list[tuple[int, _Entry]], tuple[int, ...], str, int]:
    """(kept events oldest first, summarised event indices, the history slot's text, its CJK
    character count) for one question."""
    summarized: tuple[int, ...] = ()
    summary_text = ""
    chosen: list[tuple[int, _Entry]] = []       # (event_index, rendered entry), oldest first
    if budget > 0 and history:
        if memory == "truncate":
            chosen = _kept_truncate(history, entry, budget, walk)
        else:
            chosen, summarized, summary_text = _kept_other(
                memory, history, entry, budget, T, target, question, lang, summary, summary_covers, count)
    if not chosen:
        text = T["hist_none"] if not history else T["hist_empty"]
        text = summary_text + "\n" + text if summary_text else text
        return chosen, summarized, text, cjk_count(text)
    known = walk.texts.get(len(chosen)) if walk is not None and not summary_text else None
    if known is None:
        header = T["hist_header"].format(n=len(chosen), t=sum(en.cost for _, en in chosen))
        labels = [T["label"].format(i=k) for k in range(1, len(chosen) + 1)]
        text = "\n".join([header, *(lab + en.body for lab, (_, en) in zip(labels, chosen))])
        cjk = cjk_count(header) + sum(map(cjk_count, labels)) + sum(en.cjk for _, en in chosen)
        if summary_text:
            text = summary_text + "\n" + text
            cjk += cjk_count(summary_text)     # the newline joints have no CJK characters
        elif walk is not None:
            walk.texts[len(chosen)] = (text, cjk)
        known = (text, cjk)
    return chosen, summarized, known[0], known[1]


def _check_options(lang: str, memory: str, max_history_tokens: int) -> None:
    if lang not in _T:
        raise ValueError(f"unknown prompt language {lang!r}: use zh or en")
    if memory not in mem.MEMORY_STRATEGIES:
        raise ValueError(f"unknown memory strategy {memory!r}: use one of {', '.join(mem.MEMORY_STRATEGIES)}")
    check_budget(max_history_tokens)


def build_prompt(profile: str, history: Sequence[tuple[int, dict[str, Any]]], target: dict[str, Any],
                 question: Question, *, max_history_tokens: int = DEFAULT_BUDGET, lang: str = "zh",
                 memory: str = "truncate", summary: str | None = None,
                 summary_covers: Sequence[int] | None = None, tokenizer: str = "approx",
                 token_model: str = "", reference: "Reference | None" = None,
                 walk: HistoryWalk | None = None) -> Prompt:
    """Render the prompt for one question of ``target``.

    ``history``: (event_index, raw event) pairs, oldest first: every event the caller allows (never
    the target or anything after it). The evaluation filter and the budget are applied here.
    ``summary`` (memory ``summary``) is the LLM's paragraph about the events ``summary_covers``
    (event_index values); those events are never also rendered verbatim. ``tokenizer``: a name
    :func:`workbench.simulate.tokens.get_counter` accepts (``approx``, the benchmark's fallback, by
    default). ``reference``: a loaded benchmark checkout; its own builder then renders the prompt
    (memory ``truncate`` only; ``lang`` is ignored: the benchmark's prompts are Chinese).
    ``walk``: one :class:`HistoryWalk` shared by the questions of this target (same ``history``
    object), so the history is walked and joined once per target; the prompt is the same without.

    Each history event is rendered and costed once per (event object, lang, tokenizer) and reused by
    later calls (see ``_ENTRY_CACHE``); the budget, the kept set and the prompt are computed exactly
    per question. Raises ValueError for an unknown language, memory or a budget out of range.
    """
    _check_options(lang, memory, max_history_tokens)
    count = get_counter(tokenizer, token_model)
    if tokenizer != "approx" and question.field == "next_user_message":
        question = recount_dialogue(question, count)
    if reference is not None:
        if memory != "truncate":
            raise ValueError("a reference checkout builds the benchmark's own prompts: use memory truncate")
        return reference.build_prompt(profile, history, target, question,
                                      max_history_tokens=max_history_tokens, count=count)
    T = _T[lang]
    key_tail = (lang, tokenizer, token_model if tokenizer != "approx" else "")
    approx = tokenizer == "approx"

    def skeleton_of(prof_raw: str, tgt: dict[str, Any]) -> int:
        return count(_render(question.kind, T, short_profile(prof_raw), "", tgt, question, lang))

    profile, target, cut = fit_target(profile or "", target, skeleton_of, max_history_tokens or MAX_BUDGET,
                                      count, T["cut_marker"])
    prof = short_profile(profile)
    skeleton = _render(question.kind, T, prof, "", target, question, lang)
    sk_cjk, sk_chars = (cjk_count(skeleton), len(skeleton)) if approx else (0, 0)
    sk_tokens = approx_from_counts(sk_cjk, sk_chars) if approx else count(skeleton)
    budget = 0 if max_history_tokens == 0 else max(0, max_history_tokens - sk_tokens - TEMPLATE_MARGIN)

    def entry(ev: Any) -> _Entry:
        return _entry(ev, key_tail).bind(T, lang, count)

    if walk is not None:
        walk = walk.bind(history, key_tail) if memory == "truncate" else None
    chosen, summarized, history_text, hist_cjk = _history_section(
        memory, history, entry, budget, T, target, question, lang, summary, summary_covers, count, walk)
    text = _render(question.kind, T, prof, history_text, target, question, lang)
    # approx: the history text is concatenated into the skeleton's empty slot, so its counts add up
    tokens = approx_from_counts(sk_cjk + hist_cjk, sk_chars + len(history_text)) if approx else count(text)
    return Prompt(text=text, history_event_indices=tuple(i for i, _ in chosen),
                  tokens=tokens, memory=memory, lang=lang,
                  prompt_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                  summarized_event_indices=summarized, truncated_fields=cut)


def summary_covers(profile: str, history: Sequence[tuple[int, dict[str, Any]]], target: dict[str, Any],
                   question: Question, *, max_history_tokens: int = DEFAULT_BUDGET, lang: str = "zh",
                   tokenizer: str = "approx", token_model: str = "") -> list[tuple[int, dict[str, Any]]]:
    """The older (event_index, event) pairs that memory ``summary`` compresses for this question:
    every kept history event older than the recent ones that fit ``SUMMARY_RECENT_SHARE`` of the
    history budget."""
    p = build_prompt(profile, history, target, question, max_history_tokens=max_history_tokens,
                     lang=lang, memory="summary", summary=None, tokenizer=tokenizer,
                     token_model=token_model)
    covered = set(p.summarized_event_indices)
    return [(i, e) for i, e in history if i in covered]


def summary_input(events: Sequence[tuple[int, dict[str, Any]]], lang: str, max_tokens: int,
                  tokenizer: str = "approx", token_model: str = "") -> str:
    """The summary call's prompt: the older events rendered oldest first, newest-first truncated to
    ``max_tokens``."""
    T = _T[lang]
    count = get_counter(tokenizer, token_model)
    blocks = [event_block(e, T["label0"], lang) for _, e in events]
    kept, _ = mem.select_recent(len(blocks), lambda p: count(blocks[p]), max(max_tokens, 0))
    text = "\n".join(event_block(events[p][1], T["label"].format(i=k), lang)
                     for k, p in enumerate(kept, 1))
    return mem.summary_request(text, lang)
