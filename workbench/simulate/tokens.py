"""Token counting for prompt budgets (docs/benchmark.md#token-budget). Layer: simulate (pure; no Qt).

Two counters:

* ``"approx"`` (default): the benchmark's own fallback, ``int(1.5 * #CJK + 0.65 * #other)`` where CJK
  means U+4E00..U+9FFF (CJK punctuation counts as "other"). Pure Python, no imports.
* ``"litellm"``: ``litellm.token_counter(model=..., text=...)`` (tiktoken or the model's HF tokenizer
  when litellm knows it). litellm is imported lazily, with ``LITELLM_LOCAL_MODEL_COST_MAP=True`` set
  first, only when this counter is asked for.

The benchmark budgets with the Qwen3-8B tokenizer; neither counter reproduces it exactly.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Callable

TOKENIZERS = ("approx", "litellm")

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def cjk_count(text: str) -> int:
    """How many characters of ``text`` are in U+4E00..U+9FFF (matched as runs: faster than per char)."""
    return sum(map(len, _CJK_RUN.findall(text)))


def approx_from_counts(cjk: int, chars: int) -> int:
    """:func:`approx_tokens` of a text with ``cjk`` CJK characters among ``chars`` characters. Both
    counts add up over concatenated pieces, so a long text's count can be summed from its parts."""
    return int(1.5 * cjk + 0.65 * (chars - cjk))


def approx_tokens(text: str) -> int:
    """The benchmark's character fallback: ``int(1.5 * CJK + 0.65 * other)``."""
    return approx_from_counts(cjk_count(text), len(text))


def import_litellm():
    """Import litellm the safe way: local cost map, no telemetry, no verbose logging."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    import litellm

    litellm.telemetry = False
    litellm.set_verbose = False
    litellm.suppress_debug_info = True
    return litellm


@lru_cache(maxsize=8)
def _litellm_counter(model: str) -> Callable[[str], int]:
    litellm = import_litellm()
    name = model or "gpt-4o"

    def count(text: str) -> int:
        return int(litellm.token_counter(model=name, text=text))

    try:
        count("测试 test")
    except Exception:  # noqa: BLE001 - unknown model name: fall back to litellm's default tokenizer
        def count(text: str) -> int:  # noqa: F811
            return int(litellm.token_counter(text=text))
    return count


def get_counter(tokenizer: str = "approx", model: str = "") -> Callable[[str], int]:
    """A function text -> token count. ``tokenizer`` is ``"approx"`` or ``"litellm"``."""
    if tokenizer == "approx":
        return approx_tokens
    if tokenizer == "litellm":
        return _litellm_counter(model)
    raise ValueError(f"unknown tokenizer {tokenizer!r}: use one of {', '.join(TOKENIZERS)}")


def count_tokens(text: str, tokenizer: str = "approx", model: str = "") -> int:
    return get_counter(tokenizer, model)(text)
