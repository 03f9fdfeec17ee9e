"""The OPeRA task: predict a shopper's next web action. Layer: simulate (pure; no Qt).

Given the persona, the session's earlier actions with the shopper's own rationales and the page the
shopper is looking at (its search term, products and simplified HTML as text, cut to a token
budget), a model answers with an action type (``click``, ``input``, ``terminate``), a click type
(one of the dataset card's 13), a target (the semantic id of the element, or the typed text) and
its reason for the action ("Ask why"). :func:`build_prompt` writes the prompt, :func:`parse_action`
reads the answer, :func:`real_action` gives the true action of an event, :func:`exact_match`
compares two actions, and :func:`baseline_action` answers offline (``baseline:user``: the user's most
frequent kind of action so far; ``baseline:last``: the previous action again).

The prompt wording is ours; the task (persona + history of action and rationale + current
observation -> next action) and the label spaces follow the OPeRA dataset card and paper.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from workbench.simulate.parsing import strip_think
from workbench.simulate.tokens import count_tokens

FIELD = "opera_next_action"
ACTION_TYPES = ("click", "input", "terminate")
CLICK_TYPES = ("purchase", "search", "review", "filter", "quantity", "product_option", "cart_side_bar",
               "suggested_term", "nav_bar", "page_related", "cart_page_select", "product_link", "other")
BASELINE_USER = "baseline:user"
BASELINE_LAST = "baseline:last"
BASELINES = (BASELINE_USER, BASELINE_LAST)
#: Default token budget for the page text in a prompt (the rest of the prompt comes on top).
DEFAULT_PAGE_TOKENS = 4000
#: At most this many earlier actions of the session are listed (the most recent ones).
MAX_HISTORY_ACTIONS = 60

_ACTION_SYNONYMS = {"click": "click", "tap": "click", "press": "click", "select": "click",
                    "input": "input", "type": "input", "typing": "input", "enter": "input", "search": "input",
                    "terminate": "terminate", "stop": "terminate", "end": "terminate", "leave": "terminate",
                    "exit": "terminate", "quit": "terminate", "close": "terminate"}


@dataclass(frozen=True)
class OperaAction:
    """One web action: type, click type (clicks only), target (semantic id or typed text), and the
    stated reason (the model's for a prediction, the shopper's rationale for a real action)."""

    action_type: str | None
    click_type: str | None = None
    target: str | None = None
    reason: str | None = None

    def label(self) -> str:
        """A short readable form: ``click[product_link] a.b.c``, ``input "rice cooker"``, ``terminate``."""
        if self.action_type == "click":
            return f"click[{self.click_type or '?'}] {self.target or ''}".strip()
        if self.action_type == "input":
            return f'input "{self.target or ""}"'
        return self.action_type or "(no answer)"

    def to_dict(self) -> dict[str, Any]:
        """The action as plain JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> OperaAction:
        """An action from :meth:`to_dict`'s form (None or missing keys: no action)."""
        d = d or {}
        return cls(d.get("action_type"), d.get("click_type"), d.get("target"), d.get("reason"))


def _norm(text: str | None) -> str:
    return " ".join(str(text or "").lower().split())


def exact_match(pred: OperaAction, true: OperaAction) -> bool:
    """The same action: same type; for a click the same click type and target element (semantic id,
    case and spacing ignored); for an input the same text; ``terminate`` matches ``terminate``."""
    if pred.action_type is None or pred.action_type != true.action_type:
        return False
    if true.action_type == "click":
        return pred.click_type == true.click_type and _norm(pred.target) == _norm(true.target)
    if true.action_type == "input":
        return _norm(pred.target) == _norm(true.target)
    return True


def real_action(ctx: Mapping[str, Any]) -> OperaAction:
    """The true action of an event from its canonical ``context`` (see ``traces.opera``)."""
    t = ctx.get("action_type")
    if t == "input":
        return OperaAction("input", None, ctx.get("input_text"), ctx.get("rationale"))
    if t == "click":
        return OperaAction("click", ctx.get("click_type"), ctx.get("semantic_id"), ctx.get("rationale"))
    return OperaAction(t, None, None, ctx.get("rationale"))


# -- the prompt -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OperaPrompt:
    """A built next-action prompt: its text, its size and the page's size in tokens, the history
    events it shows and the hash of its text."""

    text: str
    tokens: int
    page_tokens: int
    history_event_indices: tuple[int, ...]
    prompt_hash: str


def _when(ctx: Mapping[str, Any], ts_raw: str | None) -> str:
    return (ts_raw or "")[11:19] if ts_raw and len(ts_raw) >= 19 else (ts_raw or "")


def history_lines(history: Sequence[tuple[int, str | None, Mapping[str, Any]]]) -> list[str]:
    """One line per earlier action (time, action, the shopper's reason when given)."""
    lines = []
    for _i, ts_raw, ctx in history[-MAX_HISTORY_ACTIONS:]:
        a = real_action(ctx)
        item = ctx.get("item_title")
        line = f"- {_when(ctx, ts_raw)} {a.label()}" + (f" (product: {item})" if item else "")
        if ctx.get("rationale"):
            line += f"\n  shopper's reason: {ctx['rationale']}"
        lines.append(line)
    return lines


def _fit(text: str, budget: int, tokenizer: str) -> tuple[str, int]:
    """``text`` cut (by halving the excess) until it has at most ``budget`` tokens."""
    n = count_tokens(text, tokenizer)
    if n <= budget:
        return text, n
    keep = len(text)
    while keep > 0 and n > budget:
        keep = int(keep * budget / n * 0.97)
        cut = text[:keep] + f"\n[… {len(text) - keep:,} more characters of the page left out]"
        n = count_tokens(cut, tokenizer)
    return (cut if keep > 0 else ""), n


def build_prompt(persona: str, history: Sequence[tuple[int, str | None, Mapping[str, Any]]],
                 page: Mapping[str, Any], *, page_tokens: int = DEFAULT_PAGE_TOKENS,
                 tokenizer: str = "approx") -> OperaPrompt:
    """The prompt for the next action. ``history``: (event_index, ts_raw, context) of the session's
    earlier actions in order; ``page``: ``url``, ``search_term``, ``products`` (list of dicts),
    ``cart_items``, ``page_text`` (the simplified HTML as text). Raises ValueError for a budget < 1."""
    if page_tokens < 1:
        raise ValueError(f"the page token budget must be a positive number of tokens, got {page_tokens}")
    products = page.get("products") or []
    prod_lines = [f"- {p.get('title') or '?'} (asin {p.get('asin') or '?'}, {p.get('price') or 'no price'})"
                  for p in products if isinstance(p, Mapping)][:20]
    cart = page.get("cart_items") or []
    cart_lines = [f"- {c.get('title') or '?'} x{c.get('quantity') or 1}" for c in cart if isinstance(c, Mapping)][:20]
    page_text, used = _fit(str(page.get("page_text") or ""), page_tokens, tokenizer)
    parts = [
        ("You are simulating one specific online shopper on Amazon. Predict the very next action this "
        "shopper takes on the current page, as this person would, not as an ideal assistant would."),
        "", "## The shopper (from their own survey)", persona.strip() or "(no persona given)",
        "", "## What the shopper did so far in this session (oldest first)",
        *(history_lines(history) or ["(nothing yet: the session starts here)"]),
        "", "## The current page",
        f"URL (masked): {page.get('url') or '(unknown)'}",
        f"Search term: {page.get('search_term') or '(none)'}",
        "Products on the page:" if prod_lines else "Products on the page: (none listed)", *prod_lines,
        "Cart:" if cart_lines else "Cart: (empty or unknown)", *cart_lines,
        "Page text:", page_text or "(no page text)",
        "", "## Answer",
        "Reply with exactly these four lines:",
        "Action: click, input or terminate (terminate = the shopper leaves the session now)",
        "Click type: for a click, one of " + ", ".join(CLICK_TYPES) + "; otherwise none",
        ("Target: for a click, the name (semantic id) of the element clicked as it appears in the page; "
        "for an input, the exact text typed; otherwise none"),
        "Reason: one sentence, in the shopper's voice, saying why they do this",
    ]
    text = "\n".join(parts)
    idx = tuple(i for i, _t, _c in history[-MAX_HISTORY_ACTIONS:])
    return OperaPrompt(text, count_tokens(text, tokenizer), used, idx,
                       hashlib.sha256(text.encode("utf-8")).hexdigest())


# -- parsing ----------------------------------------------------------------------------------------

_LINE = re.compile(r"^\s*[*#\-]*\s*(action(?:[ _]type)?|click[ _]type|target|reason)\s*[*]*\s*[:=]\s*(.*?)\s*$",
                   re.IGNORECASE | re.MULTILINE)


def _none(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip().strip("`*\"'").strip()
    return None if not v or v.lower() in ("none", "n/a", "null", "-", "(none)") else v


def parse_action(raw: str) -> tuple[OperaAction | None, str]:
    """(action, "") or (None, why it could not be read). Accepts the four labelled lines (any
    order, markdown around them) or a JSON object with ``action_type``/``click_type``/``target``/
    ``reason``; think blocks are removed first."""
    text = strip_think(raw or "")
    found: dict[str, str] = {}
    for key, value in _LINE.findall(text):
        k = key.lower().replace(" ", "_")
        k = "action" if k.startswith("action") else k
        found.setdefault(k, value)
    if "action" not in found:
        m = re.search(r"\{.*\}", text, re.DOTALL)
        if m:
            import json

            try:
                obj = json.loads(m.group(0))
            except json.JSONDecodeError:
                obj = None
            if isinstance(obj, dict):
                found = {"action": str(obj.get("action_type") or obj.get("action") or ""),
                         "click_type": str(obj.get("click_type") or ""), "target": str(obj.get("target") or ""),
                         "reason": str(obj.get("reason") or "")}
    if "action" not in found:
        return None, "no 'Action:' line in the answer"
    word = (_none(found["action"]) or "").lower().split()
    action = _ACTION_SYNONYMS.get(word[0].strip(".,:;")) if word else None
    if action is None:
        return None, f"unknown action {found['action'][:40]!r} (expected click, input or terminate)"
    click = _none(found.get("click_type"))
    click = click.lower().replace(" ", "_").replace("-", "_") if click else None
    if action != "click":
        click = None
    target = _none(found.get("target")) if action != "terminate" else None
    return OperaAction(action, click, target, _none(found.get("reason"))), ""


# -- offline baselines ------------------------------------------------------------------------------


def baseline_action(model: str, history: Sequence[Mapping[str, Any]]) -> OperaAction:
    """``baseline:user``: the most frequent (action type, click type) among the user's earlier
    actions, with the most recent target of that kind; ``baseline:last``: the previous action again.
    With no history both answer a click on a product link. ``history``: contexts, oldest first."""
    acts = [real_action(c) for c in history if c.get("action_type") in ACTION_TYPES]
    if not acts:
        return OperaAction("click", "product_link", None, "no history: the most common first step")
    if model == BASELINE_LAST:
        a = acts[-1]
        return OperaAction(a.action_type, a.click_type, a.target, "repeats the previous action")
    if model != BASELINE_USER:
        raise ValueError(f"unknown OPeRA baseline {model!r}: use {' or '.join(BASELINES)}")
    kinds = Counter((a.action_type, a.click_type) for a in acts if a.action_type != "terminate")
    if not kinds:
        return OperaAction("terminate", None, None, "the user's only actions so far were session ends")
    (atype, ctype), _n = kinds.most_common(1)[0]
    target = next((a.target for a in reversed(acts) if (a.action_type, a.click_type) == (atype, ctype)), None)
    return OperaAction(atype, ctype, target, "the user's most frequent kind of action so far")
