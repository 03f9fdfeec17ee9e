"""The questions asked for one event (docs/benchmark.md#questions). Layer: simulate (pure; no Qt).

Each question is one predicted field of one event and one separate model call. Field names, kinds,
ground-truth derivation and the "asked when" rules follow the benchmark exactly; the order within a
scenario is the benchmark's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from workbench.simulate._events import (AD, LIVE, SEARCH, SERVICE, SHOP, VIDEO, actions_named,
                                        context_of, first_action, scenario_of)
from workbench.simulate.tokens import approx_tokens
from workbench.simulate.types import Question
from workbench.traces.dialogue import SPEAKERS, event_turns
from workbench.traces.numbers import (describe_value, duration_seconds, is_number, positive_count,
                                      to_number)


#: Field -> (kind, scenario) for every field this module can produce.
FIELDS: dict[str, tuple[str, str]] = {
    "video_watch_seconds": ("continuous", VIDEO), "video_completed": ("binary", VIDEO),
    "video_liked": ("binary", VIDEO), "video_commented": ("binary", VIDEO),
    "video_shared": ("binary", VIDEO), "video_collected": ("binary", VIDEO),
    "video_followed": ("binary", VIDEO),
    "live_watch_seconds": ("continuous", LIVE), "live_liked": ("binary", LIVE),
    "live_commented": ("binary", LIVE), "live_sent_gift": ("binary", LIVE),
    "live_followed": ("binary", LIVE), "live_shared": ("binary", LIVE),
    "live_clicked_cart": ("binary", LIVE),
    "ad_watch_seconds": ("continuous", AD), "ad_liked": ("binary", AD),
    "ad_commented": ("binary", AD), "ad_activated": ("binary", AD),
    "ad_form_submitted": ("binary", AD),
    "shop_added_to_cart": ("binary", SHOP), "shop_order_success": ("binary", SHOP),
    "search_keyword": ("text", SEARCH),
    "next_user_message": ("text", SERVICE),
}

#: Customer-service dialogue context budget (docs/benchmark.md#questions).
DIALOGUE_CONTEXT_TOKENS = 4000
_NOISE_PATTERNS = ("评价", "会话转移")
_ROLE_ZH = {"user": "用户", "assistant": "客服"}


def _present(event: dict[str, Any], action_type: str) -> int:
    return int(first_action(event, action_type) is not None)


def _warn(warnings: list[str], field: str, value: Any, used: Any) -> None:
    warnings.append(f"{field} is {describe_value(value)}: the benchmark cannot compare it with 0 and "
                    f"stops on this event; read here as {used}")


def _with_warnings(q: Question, warnings: list[str]) -> Question:
    return replace(q, extra={**q.extra, "warnings": list(warnings)}) if warnings else q


def _video(event: dict[str, Any]) -> list[Question]:
    ctx = context_of(event)
    watch = first_action(event, "watch")
    play = duration_seconds(watch.get("play_duration", 0)) if watch is not None else 0.0
    duration = duration_seconds(ctx.get("duration", 0))
    if watch is not None and "is_complete_play" in watch:
        completed = int(bool(watch.get("is_complete_play")))
    elif duration > 0:
        completed = int(play >= duration)
    else:
        completed = 0
    qs = [Question("video_watch_seconds", "continuous", play, video_duration=duration),
          Question("video_completed", "binary", completed)]
    for field, act in (("video_liked", "like"), ("video_commented", "comment"),
                       ("video_shared", "share"), ("video_collected", "collect"),
                       ("video_followed", "follow")):
        qs.append(Question(field, "binary", _present(event, act)))
    return qs


def _live(event: dict[str, Any]) -> list[Question]:
    watch = first_action(event, "watch")
    play = duration_seconds(watch.get("play_duration", 0)) if watch is not None else 0.0
    qs = [Question("live_watch_seconds", "continuous", play)]
    for field, act in (("live_liked", "like"), ("live_commented", "comment"),
                       ("live_sent_gift", "send_gift"), ("live_followed", "follow"),
                       ("live_shared", "share")):
        qs.append(Question(field, "binary", _present(event, act)))
    if context_of(event).get("is_shop_live"):
        clicked = any(a.get("is_click_cart_action") for a in actions_named(event, "click_cart"))
        qs.append(Question("live_clicked_cart", "binary", int(clicked)))
    return qs


def _ad(event: dict[str, Any]) -> list[Question]:
    qs: list[Question] = []
    warnings: list[str] = []
    watch = first_action(event, "watch")
    seconds: float = 0.0
    if watch is not None:
        if "watch_seconds" in watch:
            raw = watch.get("watch_seconds")
            if is_number(raw):
                seconds = float(raw)
            else:   # the benchmark keeps the raw value and then fails on ``raw > 0``
                n = to_number(raw)
                seconds = float(n) if n is not None else 0.0
                _warn(warnings, "watch_seconds", raw, seconds)
        elif "play_duration" in watch:
            seconds = duration_seconds(watch.get("play_duration"))
    if watch is not None or seconds > 0:
        qs.append(_with_warnings(Question("ad_watch_seconds", "continuous", seconds), warnings))
    qs.append(Question("ad_liked", "binary", _present(event, "like")))
    qs.append(Question("ad_commented", "binary", _present(event, "comment")))
    for field, act_type, key in (("ad_activated", "activation", "activation_cnt"),
                                 ("ad_form_submitted", "submit", "form_submit_total_cnt")):
        found, notes = _any_positive(actions_named(event, act_type), key)
        qs.append(_with_warnings(Question(field, "binary", int(found)), notes))
    return qs


def _any_positive(actions: list[dict[str, Any]], key: str) -> tuple[bool, list[str]]:
    """Whether any action's ``key`` count is above 0 (a missing count is 0), scanning in order and
    stopping at the first positive one as the benchmark does; warnings for counts it cannot compare."""
    notes: list[str] = []
    for a in actions:
        raw = a.get(key, 0)
        res = positive_count(raw)
        if res.benchmark_fails:
            _warn(notes, key, raw, int(res.positive))
        if res.positive:
            return True, notes
    return False, notes


def _shop(event: dict[str, Any]) -> list[Question]:
    added = any(a.get("is_add_to_cart") for a in actions_named(event, "cart"))
    paid = any(a.get("is_pay") or a.get("paid") or a.get("order_success")
               for a in actions_named(event, "purchase"))
    return [Question("shop_added_to_cart", "binary", int(added)),
            Question("shop_order_success", "binary", int(paid))]


def _search(event: dict[str, Any]) -> list[Question]:
    search = first_action(event, "search")
    keyword = search.get("keyword") if search else None
    if not keyword:      # the benchmark's truthiness test: a blank-but-not-empty keyword is asked
        return []
    return [Question("search_keyword", "text", str(keyword))]


def dialogue_turns(event: dict[str, Any]) -> list[dict[str, str]]:
    """All turns of the event's first ``dialogue`` action as ``{role, content}`` strings, every role
    as given (the one extractor: :func:`workbench.traces.dialogue.event_turns`)."""
    return [t.to_dict() for t in event_turns(event)]


def dialogue_target(turns: list[dict[str, str]]) -> int | None:
    """The benchmark's target turn: the last user turn that is non-empty, has no 评价/会话转移 and is longer than
    2 characters after stripping; None when there is none."""
    for i in range(len(turns) - 1, -1, -1):
        t = turns[i]
        text = t["content"].strip()
        if t["role"] != "user" or not text:
            continue
        if any(p in text for p in _NOISE_PATTERNS):
            continue
        if len(text) > 2:
            return i
    return None


def truncate_dialogue(context: list[dict[str, str]], max_tokens: int = DIALOGUE_CONTEXT_TOKENS,
                      count: Callable[[str], int] = approx_tokens) -> tuple[list[dict[str, str]], int]:
    """Keep the newest turns whose "用户: …"/"客服: …" lines (each with its newline, costed with
    ``count``) fit ``max_tokens``; returns (kept turns, number of omitted earlier turns)."""
    kept: list[dict[str, str]] = []
    total = 0
    for turn in reversed(context):
        line = f"{_ROLE_ZH.get(turn['role'], turn['role'])}: {turn['content']}\n"
        cost = count(line)
        if total + cost > max_tokens:
            break
        kept.append(turn)
        total += cost
    kept.reverse()
    return kept, len(context) - len(kept)


def _service(event: dict[str, Any]) -> list[Question]:
    turns = dialogue_turns(event)
    target = dialogue_target(turns)
    if target is None:
        return []
    # the prompt's context: the customer's and the agent's non-empty turns before the target
    context = [t for t in turns[:target] if t["content"].strip() and t["role"] in SPEAKERS]
    kept, omitted = truncate_dialogue(context)
    extra = {"dialogue_context": kept, "dialogue_omitted": omitted,
             "dialogue_candidates": context,   # before truncation: re-cut with another token counter
             "has_dialogue_history": bool(context),
             "has_prior_user_speech": any(t["role"] == "user" for t in context),
             "target_turn_index": target}
    warnings = _dialogue_warnings(event)
    if warnings:
        extra["warnings"] = warnings
    return [Question("next_user_message", "text", turns[target]["content"], extra=extra)]


def _dialogue_warnings(event: dict[str, Any]) -> list[str]:
    """Turns the benchmark cannot read (it stops on the event): a turn that is not an object, or a
    speaker's turn whose content is a non-empty non-string (the extractor skips the first and reads
    the second as text)."""
    dialogue = first_action(event, "dialogue")
    raw = dialogue.get("content") if dialogue else None
    out: list[str] = []
    for i, turn in enumerate(raw if isinstance(raw, list) else ()):
        if not isinstance(turn, dict):
            out.append(f"dialogue turn {i} is {describe_value(turn)}, not an object: the benchmark stops "
                       "on this event; skipped here")
        elif turn.get("role") in SPEAKERS and turn.get("content") and not isinstance(turn.get("content"), str):
            out.append(f"dialogue turn {i} content is {describe_value(turn.get('content'))}, not text: the "
                       "benchmark stops on this event; read here as its text")
    return out


def recount_dialogue(question: Question, count: Callable[[str], int]) -> Question:
    """``question`` with its dialogue context cut again with ``count`` (the run's token counter: the
    benchmark costs the dialogue with the same counter as the history); unchanged when it has no
    dialogue context."""
    candidates = question.extra.get("dialogue_candidates")
    if not candidates:
        return question
    kept, omitted = truncate_dialogue(list(candidates), count=count)
    return replace(question, extra={**question.extra, "dialogue_context": kept, "dialogue_omitted": omitted})


_BUILDERS = {VIDEO: _video, LIVE: _live, AD: _ad, SHOP: _shop, SEARCH: _search, SERVICE: _service}


def questions_for_event(event: dict[str, Any]) -> list[Question]:
    """The benchmark's questions for one raw event (an empty list when none applies, e.g. an
    unknown scenario, a search without keyword or a dialogue without a qualifying user turn)."""
    if not isinstance(event, dict):
        raise TypeError(f"an event must be a dict, got {type(event).__name__}")
    builder = _BUILDERS.get(scenario_of(event))
    return builder(event) if builder else []
