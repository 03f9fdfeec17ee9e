"""Token counting for prompt budgets (docs/benchmark.md#token-budget). Layer: simulate (pure; no Qt).

A *token counter* is named by a string, accepted by every ``tokenizer=`` argument and by the
``--tokenizer`` option of ``workbench predict`` and ``workbench eval``:

* ``"approx"`` (default): the benchmark's own fallback when its tokenizer cannot be loaded,
  ``int(1.5 * #CJK + 0.65 * #other)`` where CJK means U+4E00..U+9FFF (CJK punctuation counts as
  "other"). Pure Python.
* ``"litellm"``: ``litellm.token_counter(model=..., text=...)`` (tiktoken, or the model's Hugging
  Face tokenizer when litellm knows the model). litellm is imported lazily, with
  ``LITELLM_LOCAL_MODEL_COST_MAP=True`` set first, only when this counter is asked for.
* a path to a Hugging Face ``tokenizer.json`` (or to a folder holding one), read with the
  ``tokenizers`` library: the count is the number of ids ``encode`` returns with its default
  special-token handling, which is what the benchmark's ``len(tokenizer.encode(text))`` counts with
  the same file. The benchmark budgets with the Qwen3-8B tokenizer; point this at that model's
  ``tokenizer.json`` for benchmark runs.

:func:`describe_counter` gives the label written into report settings (with the file's SHA-256 for
a tokenizer file, so a report says exactly which vocabulary was used).
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

#: The counters that are not files.
TOKENIZERS = ("approx", "litellm")

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


class TokenizerError(ValueError):
    """A token counter name that is neither a known counter nor a readable tokenizer.json."""


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


def litellm_loaded() -> bool:
    """Whether litellm is imported *and finished initialising*. While another thread is importing it
    (the GUI's background preload) it is already in ``sys.modules`` but half-built: touching it then
    would block the caller on the import lock, so callers on the GUI thread check this first."""
    import sys

    mod = sys.modules.get("litellm")
    spec = getattr(mod, "__spec__", None)
    return mod is not None and not getattr(spec, "_initializing", False)


async def ensure_litellm() -> None:
    """Import litellm on a worker thread unless it is fully loaded, so that an event loop (the GUI's,
    under qasync) never waits on the import itself; a no-op once it is loaded."""
    if not litellm_loaded():
        import asyncio

        await asyncio.to_thread(import_litellm)


def import_litellm() -> Any:
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


def tokenizer_file(name: str) -> Path:
    """The ``tokenizer.json`` a counter name points at (a file, or a folder holding
    ``tokenizer.json``). Raises :class:`TokenizerError` naming the path when there is none."""
    path = Path(name).expanduser()
    if path.is_dir():
        path = path / "tokenizer.json"
    if not path.is_file():
        raise TokenizerError(f"tokenizer {name!r}: no such file (use approx, litellm, or the path of a "
                             "Hugging Face tokenizer.json or of a folder that holds one)")
    return path


@lru_cache(maxsize=4)
def _file_counter(path: str, mtime_ns: int) -> Callable[[str], int]:
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:  # pragma: no cover - installed with litellm
        raise TokenizerError("reading a tokenizer.json needs the 'tokenizers' package") from exc
    try:
        tok = Tokenizer.from_file(path)
    except Exception as exc:  # noqa: BLE001 - the library raises plain Exception on bad files
        raise TokenizerError(f"{path}: not a Hugging Face tokenizer.json ({exc})") from exc

    @lru_cache(maxsize=100_000)
    def count(text: str) -> int:
        return len(tok.encode(text).ids)

    return count


def get_counter(tokenizer: str = "approx", model: str = "") -> Callable[[str], int]:
    """A function text -> token count for the counter named ``tokenizer`` (see the module
    docstring); ``model`` is the litellm model whose tokenizer ``"litellm"`` uses. Raises
    :class:`TokenizerError` for an unknown name or an unreadable file."""
    if tokenizer == "approx":
        return approx_tokens
    if tokenizer == "litellm":
        return _litellm_counter(model)
    path = tokenizer_file(tokenizer)
    return _file_counter(str(path.resolve()), path.stat().st_mtime_ns)


def count_tokens(text: str, tokenizer: str = "approx", model: str = "") -> int:
    """Tokens of ``text`` with the counter named ``tokenizer``."""
    return get_counter(tokenizer, model)(text)


def check_counter(tokenizer: str) -> str:
    """``tokenizer`` itself when it names a usable counter (a tokenizer file is loaded once to check
    it); raises :class:`TokenizerError` otherwise. For argument parsers and settings dialogs."""
    if tokenizer not in TOKENIZERS:
        get_counter(tokenizer)
    return tokenizer


@lru_cache(maxsize=8)
def _sha256(path: str, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def describe_counter(tokenizer: str = "approx", model: str = "") -> dict[str, str]:
    """What a report records about the counter: ``{"kind": "approx"}``, ``{"kind": "litellm",
    "model": ...}`` or ``{"kind": "tokenizer.json", "path": ..., "sha256": ...}``."""
    if tokenizer == "approx":
        return {"kind": "approx"}
    if tokenizer == "litellm":
        return {"kind": "litellm", "model": model or "gpt-4o"}
    path = tokenizer_file(tokenizer).resolve()
    return {"kind": "tokenizer.json", "path": str(path), "sha256": _sha256(str(path), path.stat().st_mtime_ns)}


def tokenizer_argument(value: str) -> str:
    """``argparse`` type for ``--tokenizer``: the value when usable, else a one-line usage error."""
    import argparse

    try:
        return check_counter(value)
    except TokenizerError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
