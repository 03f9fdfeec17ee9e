"""Prompt builder (PROTOCOL 3.2-3.6, 4.3). Layer: simulate (pure; no Qt).

One user message per question, no system message. The Chinese template set follows the benchmark's
structure and headings (``## 核心原则``, ``## 输入一：用户画像``, ``## 输入二：历史行为轨迹信息``,
``## 输入三：当前测试场景``, ``## 预测任务``, ``## 输出要求``, "你的回答："), with its own wording; the
English set has the same structure. The search and customer-service prompts have their own variants.

Budget (PROTOCOL 3.6): ``max_history_tokens`` is the budget of the whole prompt. History budget =
``max(0, max - tokens(prompt with an empty history slot) - 100)``; each event costs the tokens of its
block rendered with the index-free label; events are kept newest first until the first one that does
not fit (memory ``truncate``), then rendered oldest first. ``0`` means no history at all.
The Prompt records exactly which ``event_index`` values went in.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any, Callable, Sequence

from workbench.simulate import memory as mem
from workbench.simulate.filters import is_filtered
from workbench.simulate.render import context_text, event_block, event_body, scene_name
from workbench.simulate.tokens import approx_from_counts, cjk_count, get_counter
from workbench.simulate.types import Prompt, Question

MIN_BUDGET, MAX_BUDGET, DEFAULT_BUDGET = 4000, 128000, 32000
TEMPLATE_MARGIN = 100

# -- template text ----------------------------------------------------------------------------------

_T: dict[str, dict[str, str]] = {
    "zh": {
        "role": "你是一名真实的快手用户。请从下面的历史行为中推断你的兴趣偏好、消费水平和性格特点，"
                "并在当前场景中模拟你最真实的决策。",
        "principles": "## 核心原则\n"
                      "1. 数据驱动：一切判断都以用户画像和历史行为为依据，不凭空想象。\n"
                      "2. 行为一致性：预测要与该用户一贯的行为模式保持一致。\n"
                      "3. 个体差异：这是一个具体的人，不要套用群体的刻板印象。\n"
                      "4. 情境敏感：结合当前场景的具体内容、时间和上下文来判断。\n"
                      "5. 真实优先：真实用户经常不感兴趣、犹豫或直接划走；负面行为和正面行为同样可能发生，"
                      "不要总是做出积极的回应。",
        "profile": "## 输入一：用户画像\n以下是该用户的基本信息：\n{profile}",
        "history": "## 输入二：历史行为轨迹信息\n以下是该用户过去的行为记录，可据此了解其兴趣和习惯：\n{history}",
        "scene": "## 输入三：当前测试场景\n用户现在遇到了如下场景：\n"
                 "现在是 {ts}，用户遇到了一个【{scene}】场景。具体信息如下：\n{context}",
        "task": "## 预测任务\n请站在该用户的角度回答：\n{question}",
        "output": "## 输出要求\n{constraint}\n\n你的回答：",
        "binary": "只输出 Yes 或 No，不要输出任何其他内容。",
        "continuous": "只输出一个整数，不要带单位，也不要输出任何其他内容。",
        "text": "只输出文本内容本身，不要输出任何其他内容。",
        "label": "【行为 {i}】", "label0": "【行为】",
        "hist_header": "以下是该用户最近的 {n} 条行为记录（约 {t} tokens，按时间从早到晚排列）：",
        "hist_none": "该用户暂无历史行为记录。",
        "hist_empty": "该用户暂无有效的历史行为记录。",
        "summary_head": "【更早历史的行为概要】（概括了更早的 {n} 条记录）\n{summary}",
        "summary_missing": "（更早的 {n} 条记录未提供概要。）",
        # search_keyword
        "s_role": "你是一名真实的快手用户。请从下面的历史行为中推断你的兴趣和近期需求，预测你接下来会搜索什么。",
        "s_principles": "## 核心原则\n"
                        "1. 数据驱动：关键词要能在用户画像和历史行为中找到依据。\n"
                        "2. 兴趣延续：最近看过、买过、搜过的内容最有可能引出下一次搜索。\n"
                        "3. 个体差异：这是一个具体的人，不要套用大众的热门搜索。\n"
                        "4. 表达真实：真实的搜索词通常简短、口语化，常常只是一个品牌、人名或商品名。\n"
                        "5. 真实优先：只使用该用户可能知道的信息，不要编造。",
        "s_history": "## 输入二：历史行为轨迹信息\n以下是该用户过去的行为记录（包括搜索记录），"
                     "可据此了解其兴趣和搜索习惯：\n{history}",
        "s_task": "## 预测任务\n该用户打开搜索框后，会输入什么关键词？",
        "s_output": "## 输出要求\n只输出搜索关键词本身，不要加引号，也不要任何解释。\n\n你的回答：",
        # next_user_message
        "c_role": "你是一名真实的电商用户。请从下面的历史行为中推断你的沟通风格、性格特点和当前需求，"
                  "模拟你会对客服说的话。",
        "c_principles": "## 核心原则\n"
                        "1. 数据驱动：说的话要符合用户画像和历史行为。\n"
                        "2. 风格一致：保持该用户一贯的表达方式、用词和语气。\n"
                        "3. 个体差异：这是一个具体的人，不要说成千篇一律的客套话。\n"
                        "4. 情境敏感：结合订单情况、对话进展和用户此刻的情绪。\n"
                        "5. 真实优先：真实用户可能不耐烦、简短甚至不礼貌，不要把用户写得过于理想。",
        "c_scene": "## 输入三：当前客服对话场景\n{question}",
        "c_background": "订单/咨询背景：{context}",
        "c_dialogue": "目前的对话记录：\n{dialogue}",
        "c_no_dialogue": "对话尚未开始，还没有任何对话记录。",
        "c_omitted": "（仅显示最近的 {k} 轮对话，省略了更早的 {m} 轮）\n",
        "c_ask_next": "站在这个用户的角度，预测用户接下来会对客服说的下一句话，直接输出这句话，不要加引号。",
        "c_ask_first": "站在这个用户的角度，预测用户在对话开始时会对客服说的第一句话，直接输出这句话，不要加引号。",
        "c_output": "## 输出要求\n只输出用户说的话本身，不要输出任何其他内容。\n\n你的回答：",
        "user": "用户", "assistant": "客服",
    },
    "en": {
        "role": "You are a real Kuaishou user. Infer your interests, spending level and personality from "
                "the history below, and simulate your real decision in the current scene.",
        "principles": "## Core principles\n"
                      "1. Data-driven: base every judgement on the profile and the history, not on imagination.\n"
                      "2. Behavioural consistency: stay consistent with this user's usual behaviour.\n"
                      "3. Individual differences: this is one specific person; avoid stereotypes.\n"
                      "4. Situational sensitivity: consider the content, time and context of the scene.\n"
                      "5. Realism first: real users are often not interested, hesitate or skip; negative "
                      "behaviour is as likely as positive behaviour, so do not always respond positively.",
        "profile": "## Input 1: User profile\nBasic information about the user:\n{profile}",
        "history": "## Input 2: Behaviour history\nThe user's past behaviour records, showing interests "
                   "and habits:\n{history}",
        "scene": "## Input 3: Current scene\nThe user now meets this scene:\n"
                 "Now it is {ts}; the user meets a [{scene}] scene. Details:\n{context}",
        "task": "## Prediction task\nAnswer from the user's perspective:\n{question}",
        "output": "## Output requirements\n{constraint}\n\nYour answer:",
        "binary": "Output only Yes or No, nothing else.",
        "continuous": "Output only one integer, without units or anything else.",
        "text": "Output only the text itself, nothing else.",
        "label": "[Event {i}]", "label0": "[Event]",
        "hist_header": "The user's most recent {n} records (about {t} tokens, oldest first):",
        "hist_none": "The user has no history records.",
        "hist_empty": "The user has no valid history records.",
        "summary_head": "[Summary of older history] (covers {n} older records)\n{summary}",
        "summary_missing": "(No summary was provided for {n} older records.)",
        "s_role": "You are a real Kuaishou user. Infer your interests and current needs from the history "
                  "below and predict what you will search for next.",
        "s_principles": "## Core principles\n"
                        "1. Data-driven: the keyword must be grounded in the profile and the history.\n"
                        "2. Continuity of interest: what the user recently watched, bought or searched is "
                        "the likeliest source of the next search.\n"
                        "3. Individual differences: this is one specific person; avoid generic trending searches.\n"
                        "4. Real wording: real search terms are short and colloquial, often just a brand, "
                        "a name or a product.\n"
                        "5. Realism first: use only what this user could know; invent nothing.",
        "s_history": "## Input 2: Behaviour history\nThe user's past behaviour records (searches included), "
                     "showing interests and search habits:\n{history}",
        "s_task": "## Prediction task\nWhat keyword will the user type after opening the search box?",
        "s_output": "## Output requirements\nOutput only the keyword, without quotes or explanations."
                    "\n\nYour answer:",
        "c_role": "You are a real e-commerce user. Infer your communication style, personality and current "
                  "need from the history below, and simulate what you say to customer service.",
        "c_principles": "## Core principles\n"
                        "1. Data-driven: what you say must fit the profile and the history.\n"
                        "2. Style consistency: keep this user's usual wording and tone.\n"
                        "3. Individual differences: one specific person, not generic politeness.\n"
                        "4. Situational sensitivity: consider the order, the dialogue so far and the "
                        "user's current emotion.\n"
                        "5. Realism first: real users can be impatient, terse or rude; do not idealise them.",
        "c_scene": "## Input 3: Current customer-service dialogue\n{question}",
        "c_background": "Order / consultation background: {context}",
        "c_dialogue": "The dialogue so far:\n{dialogue}",
        "c_no_dialogue": "The dialogue has not started yet.",
        "c_omitted": "(last {k} turns shown, {m} earlier omitted)\n",
        "c_ask_next": "From this user's point of view, predict the next sentence the user says to the "
                      "agent; output the sentence directly, without quotes.",
        "c_ask_first": "From this user's point of view, predict the first sentence the user says to the "
                       "agent; output the sentence directly, without quotes.",
        "c_output": "## Output requirements\nOutput only the user's words, nothing else.\n\nYour answer:",
        "user": "User", "assistant": "Agent",
    },
}

QUESTION_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "video_watch_seconds": "该用户会观看这个视频多少秒？",
        "video_completed": "该用户会把这个视频看完吗？",
        "video_liked": "该用户会给这个视频点赞吗？",
        "video_commented": "该用户会评论这个视频吗？",
        "video_shared": "该用户会把这个视频分享给好友吗？",
        "video_collected": "该用户会收藏这个视频吗？",
        "video_followed": "该用户会关注这个视频的作者吗？",
        "live_watch_seconds": "该用户会在这个直播间停留多少秒？",
        "live_liked": "该用户会给主播点赞吗？",
        "live_commented": "该用户会在直播间发弹幕或评论吗？",
        "live_sent_gift": "该用户会给主播送礼物吗？",
        "live_followed": "该用户会关注这个主播吗？",
        "live_shared": "该用户会分享这个直播间吗？",
        "live_clicked_cart": "该用户会把直播间里的商品加入购物车吗？",
        "ad_watch_seconds": "该用户会在这条广告上停留多少秒？",
        "ad_liked": "该用户会给这条广告点赞吗？",
        "ad_commented": "该用户会评论这条广告吗？",
        "ad_activated": "假设该用户点击了这条广告，他会激活或注册广告推广的应用或服务吗？",
        "ad_form_submitted": "该用户会填写并提交这条广告中的表单吗？",
        "shop_added_to_cart": "该用户会把这件商品加入购物车吗？",
        "shop_order_success": "该用户会购买这件商品吗？",
        "search_clicked": "该用户会点击搜索结果吗？",
    },
    "en": {
        "video_watch_seconds": "How many seconds will the user watch this video?",
        "video_completed": "Will the user watch this video to the end?",
        "video_liked": "Will the user like this video?",
        "video_commented": "Will the user comment on this video?",
        "video_shared": "Will the user share this video with friends?",
        "video_collected": "Will the user add this video to favourites?",
        "video_followed": "Will the user follow the author of this video?",
        "live_watch_seconds": "How many seconds will the user stay in this live room?",
        "live_liked": "Will the user like the streamer?",
        "live_commented": "Will the user send a chat message or comment in the room?",
        "live_sent_gift": "Will the user send the streamer a gift?",
        "live_followed": "Will the user follow the streamer?",
        "live_shared": "Will the user share this live room?",
        "live_clicked_cart": "Will the user add a product from this live room to the cart?",
        "ad_watch_seconds": "How many seconds will the user stay on this ad?",
        "ad_liked": "Will the user like this ad?",
        "ad_commented": "Will the user comment on this ad?",
        "ad_activated": "Assuming the user clicked this ad, will they activate or register the "
                        "advertised app or service?",
        "ad_form_submitted": "Will the user fill in and submit the form in this ad?",
        "shop_added_to_cart": "Will the user add this product to the cart?",
        "shop_order_success": "Will the user buy this product?",
        "search_clicked": "Will the user click a search result?",
    },
}


def short_profile(profile: str) -> str:
    """PROTOCOL 1.1: only the text up to (and including) the first Chinese full stop 。."""
    profile = profile or ""
    cut = profile.find("。")
    return profile[:cut + 1] if cut >= 0 else profile


def check_budget(max_history_tokens: int) -> None:
    if not isinstance(max_history_tokens, int) or isinstance(max_history_tokens, bool):
        raise ValueError(f"max_history_tokens must be an integer, got {max_history_tokens!r}")
    if max_history_tokens != 0 and not MIN_BUDGET <= max_history_tokens <= MAX_BUDGET:
        raise ValueError(f"max_history_tokens must be 0 (no history) or between {MIN_BUDGET} and "
                         f"{MAX_BUDGET}, got {max_history_tokens}")


def _dialogue_question(target: dict[str, Any], question: Question, T: dict[str, str], lang: str) -> str:
    turns = question.extra.get("dialogue_context") or []
    omitted = int(question.extra.get("dialogue_omitted") or 0)
    parts = [T["c_background"].format(context=context_text(target, lang))]
    if turns:
        lines = "\n".join(f"{T.get(t['role'], t['role'])}: {t['content']}" for t in turns)
        note = T["c_omitted"].format(k=len(turns), m=omitted) if omitted else ""
        parts.append(T["c_dialogue"].format(dialogue=note + lines))
        parts.append(T["c_ask_next"])
    else:
        parts.append(T["c_no_dialogue"])
        parts.append(T["c_ask_first"])
    return "\n\n".join(parts)


def _render(kind: str, T: dict[str, str], profile: str, history: str, target: dict[str, Any],
            question: Question, lang: str) -> str:
    if question.field == "search_keyword":
        sections = [T["s_role"], T["s_principles"], T["profile"].format(profile=profile),
                    T["s_history"].format(history=history), T["s_task"], T["s_output"]]
    elif question.field == "next_user_message":
        sections = [T["c_role"], T["c_principles"], T["profile"].format(profile=profile),
                    T["history"].format(history=history),
                    T["c_scene"].format(question=_dialogue_question(target, question, T, lang)),
                    T["c_output"]]
    else:
        qtext = QUESTION_TEXT[lang].get(question.field, question.field)
        sections = [T["role"], T["principles"], T["profile"].format(profile=profile),
                    T["history"].format(history=history),
                    T["scene"].format(ts=target.get("timestamp", ""), scene=scene_name(target, lang),
                                      context=context_text(target, lang)),
                    T["task"].format(question=qtext),
                    T["output"].format(constraint=T.get(kind, T["text"]))]
    return "\n\n".join(sections)


def retrieval_query(target: dict[str, Any], question: Question, recent_texts: Sequence[str],
                    lang: str) -> str:
    """What the retriever compares history with: the target's scene text; for ``search_keyword``
    (whose target text would reveal the answer) the newest three history events instead."""
    if question.field == "search_keyword":
        return "\n".join(recent_texts[-3:])
    return context_text(target, lang)


class _Entry:
    """One history event's cached rendering for one (language, token counter): the evaluation-filter
    flag, the label-free block body, the cost of the ``label0`` block and the body's character
    counts (for summing the approx token count of a whole prompt from its parts)."""

    __slots__ = ("event", "context", "actions", "filtered", "body", "cost", "cjk", "chars")

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

    def render(self, T: dict[str, str], lang: str, count: Callable[[str], int]) -> "_Entry":
        if self.body is None:
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


def build_prompt(profile: str, history: Sequence[tuple[int, dict[str, Any]]], target: dict[str, Any],
                 question: Question, *, max_history_tokens: int = DEFAULT_BUDGET, lang: str = "zh",
                 memory: str = "truncate", summary: str | None = None,
                 summary_covers: Sequence[int] | None = None, tokenizer: str = "approx",
                 token_model: str = "") -> Prompt:
    """Render the prompt for one question of ``target``.

    ``history``: (event_index, raw event) pairs, oldest first: every event the caller allows (never
    the target or anything after it). The evaluation filter (PROTOCOL 3.3) and the budget are applied
    here. ``summary`` (memory ``summary``) is the LLM's paragraph about the events ``summary_covers``
    (event_index values); those events are never also rendered verbatim. ``tokenizer``: ``approx``
    (benchmark fallback, default) or ``litellm``.

    Each history event is rendered and costed once per (event object, lang, tokenizer) and reused by
    later calls (see ``_ENTRY_CACHE``); the budget, the kept set and the prompt are computed exactly
    per question.
    """
    if lang not in _T:
        raise ValueError(f"unknown prompt language {lang!r}: use zh or en")
    if memory not in mem.MEMORY_STRATEGIES:
        raise ValueError(f"unknown memory strategy {memory!r}: use one of {', '.join(mem.MEMORY_STRATEGIES)}")
    check_budget(max_history_tokens)
    T = _T[lang]
    count = get_counter(tokenizer, token_model)
    key_tail = (lang, tokenizer, token_model if tokenizer != "approx" else "")
    approx = tokenizer == "approx"
    prof = short_profile(profile)
    skeleton = _render(question.kind, T, prof, "", target, question, lang)
    if approx:
        sk_cjk, sk_chars = cjk_count(skeleton), len(skeleton)
        sk_tokens = approx_from_counts(sk_cjk, sk_chars)
    else:
        sk_tokens = count(skeleton)
    budget = 0 if max_history_tokens == 0 else max(0, max_history_tokens - sk_tokens - TEMPLATE_MARGIN)

    def rendered(ev: Any) -> _Entry:
        return _entry(ev, key_tail).render(T, lang, count)

    summarized: tuple[int, ...] = ()
    summary_text = ""
    chosen_items: list[tuple[int, _Entry]] = []       # (event_index, rendered entry), oldest first
    if budget <= 0 or not history:
        pass
    elif memory == "truncate":
        # newest first, skipping filtered events, stopping at the first that does not fit (PROTOCOL
        # 3.2); lazy, so a long history is only rendered as far back as the budget reaches
        total = 0
        for i, ev in reversed(history):
            en = _entry(ev, key_tail)
            if en.filtered:
                continue
            en.render(T, lang, count)
            if total + en.cost > budget:
                break
            chosen_items.append((i, en))
            total += en.cost
        chosen_items.reverse()
    else:
        kept_events = [(i, en) for i, en in ((i, _entry(e, key_tail)) for i, e in history) if not en.filtered]
        n = len(kept_events)

        def cost(pos: int) -> int:
            return kept_events[pos][1].render(T, lang, count).cost

        if n == 0:
            chosen: list[int] = []
        elif memory == "retrieve":
            texts = [T["label0"] + kept_events[p][1].render(T, lang, count).body for p in range(n)]
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
        chosen_items = [(kept_events[p][0], rendered(kept_events[p][1].event)) for p in chosen]

    if chosen_items:
        header = T["hist_header"].format(n=len(chosen_items), t=sum(en.cost for _, en in chosen_items))
        labels = [T["label"].format(i=k) for k in range(1, len(chosen_items) + 1)]
        lines = [header]
        lines.extend(lab + en.body for lab, (_, en) in zip(labels, chosen_items))
        history_text = "\n\n".join(lines)
    else:
        labels = []
        history_text = T["hist_none"] if not history else T["hist_empty"]
    if summary_text:
        history_text = summary_text + "\n\n" + history_text
    text = _render(question.kind, T, prof, history_text, target, question, lang)
    if approx:
        # the history text is concatenated into the skeleton's empty slot: its counts add up
        if chosen_items:
            cjk = cjk_count(header) + sum(map(cjk_count, labels)) + sum(en.cjk for _, en in chosen_items)
            if summary_text:
                cjk += cjk_count(summary_text)     # the "\n\n" joints have no CJK characters
        else:
            cjk = cjk_count(history_text)
        chars = len(history_text)
        tokens = approx_from_counts(sk_cjk + cjk, sk_chars + chars)
    else:
        tokens = count(text)
    return Prompt(text=text, history_event_indices=tuple(i for i, _ in chosen_items),
                  tokens=tokens, memory=memory, lang=lang,
                  prompt_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                  summarized_event_indices=summarized)


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
    text = "\n\n".join(event_block(events[p][1], T["label"].format(i=k), lang)
                       for k, p in enumerate(kept, 1))
    return mem.summary_request(text, lang)
