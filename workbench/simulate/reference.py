"""Reference mode: the benchmark's own prompt builder and judge prompt, from the user's checkout.

Layer: simulate (pure; no Qt). Nothing of the benchmark is part of this repository: the user points
the workbench at their own checkout of the benchmark's released code (a folder with ``src/``), and
:func:`load_reference` loads its prompt builder (``src/models/prompt_builder.py``) and, on demand,
its evaluator (``src/evaluation/evaluator.py``, for the judge prompt) in isolation:

* each file is executed as a private module that is never entered in ``sys.modules``; the
  checkout's own top-level modules (``config``, ``action_types``, ``models``, ...) are imported with
  the checkout's ``src`` first on ``sys.path`` and removed from ``sys.modules`` afterwards, and any
  module of ours that had the same name is put back; ``sys.path`` is restored;
* the functions and parameters this module calls are checked first (:data:`REQUIRED_BUILDER`), so
  a checkout of another version fails with one line naming what is missing;
* a missing third-party package is reported in one line naming it.

Every call counts tokens with the workbench's counter (the builder's own counter would try to
download the Qwen3-8B tokenizer); the events of the history the builder chose are read from its
own history selection. docs/benchmark.md#reference-mode explains the use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Sequence

from workbench.simulate.types import Prompt, Question

BUILDER_FILE = "src/models/prompt_builder.py"
EVALUATOR_FILE = "src/evaluation/evaluator.py"

#: Functions of the benchmark's prompt builder this module calls, with their leading parameters.
REQUIRED_BUILDER: dict[str, tuple[str, ...]] = {
    "estimate_token_count": ("text",),
    "should_filter_action": ("action",),
    "format_action_context": ("action", "is_target"),
    "format_action_result": ("action",),
    "get_actual_used_history": ("action_history", "max_history_tokens", "max_history_days",
                                "reference_timestamp"),
    "build_history_summary": ("action_history", "max_history_tokens", "max_history_days",
                              "reference_timestamp", "current_action"),
    "build_test_action_description": ("action",),
    "build_prediction_questions": ("action",),
    "build_single_binary_prompt": ("user_profile", "action_history", "test_action", "question_info",
                                   "max_history_tokens", "max_history_days"),
    "build_single_continuous_prompt": ("user_profile", "action_history", "test_action", "question_info",
                                       "max_history_tokens", "max_history_days"),
    "build_single_text_prompt": ("user_profile", "action_history", "test_action", "question_info",
                                 "max_history_tokens", "max_history_days"),
}
#: Functions of the benchmark's evaluator used for the judge.
REQUIRED_EVALUATOR: dict[str, tuple[str, ...]] = {
    "_llm_judge_construct_prompt": ("inputs",),
    "_llm_judge_extract_inputs": ("record",),
    "_llm_judge_parse_response": ("response",),
}

_IMPORT_LOCK = threading.Lock()


class CheckoutError(Exception):
    """The checkout cannot be used; ``str(err)`` is one line naming the checkout and the reason."""


def _git_commit(root: Path) -> str | None:
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def _local_names(dirs: Sequence[Path]) -> set[str]:
    """Top-level module names the checkout's folders provide (files and packages)."""
    names: set[str] = set()
    for d in dirs:
        for p in d.iterdir() if d.is_dir() else ():
            if p.suffix == ".py":
                names.add(p.stem)
            elif p.is_dir() and not p.name.startswith((".", "__")):
                names.add(p.name)
    return names


def _inside(module: Any, root: Path) -> bool:
    f = getattr(module, "__file__", None)
    if not f:
        paths = list(getattr(module, "__path__", []) or [])
        f = paths[0] if paths else None
    if not f:
        return False
    try:
        return Path(f).resolve().is_relative_to(root)
    except (OSError, ValueError):
        return False


def _load_private(root: Path, rel: str, search: Sequence[Path]) -> ModuleType:
    """Execute ``root/rel`` as a private module (see the module docstring); one-line errors."""
    file = root / rel
    if not file.is_file():
        raise CheckoutError(f"{root}: not a checkout of the benchmark (no {rel})")
    name = "_workbench_reference_" + hashlib.sha256(str(file).encode()).hexdigest()[:12]
    with _IMPORT_LOCK:
        saved_path = list(sys.path)
        before = set(sys.modules)
        shadowed = {n: sys.modules.pop(n) for n in _local_names(search) if n in sys.modules}
        sys.path[:0] = [str(p) for p in search]
        try:
            spec = importlib.util.spec_from_file_location(name, file)
            if spec is None or spec.loader is None:
                raise CheckoutError(f"{file}: cannot be loaded as Python code")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        except ModuleNotFoundError as exc:
            missing = exc.name or str(exc)
            if (root / "src" / missing.split(".")[0]).exists() or missing.split(".")[0] in _local_names(search):
                raise CheckoutError(f"{root}: incomplete or another version of the benchmark "
                                     f"(its module {missing!r} failed to import)") from None
            raise CheckoutError(f"{root}: the benchmark's {rel} needs the Python package {missing!r}, "
                                 f"which is not installed (pip install {missing.split('.')[0]})") from None
        except CheckoutError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of foreign code: one line
            raise CheckoutError(f"{file}: failed to load ({type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
        finally:
            sys.path[:] = saved_path
            for n in set(sys.modules) - before:
                if _inside(sys.modules[n], root):
                    del sys.modules[n]
            sys.modules.update(shadowed)
    return module


def _check(module: ModuleType, required: dict[str, tuple[str, ...]], where: str, root: Path) -> None:
    for fname, params in required.items():
        fn = getattr(module, fname, None)
        if not callable(fn):
            raise CheckoutError(f"{root}: another version of the benchmark ({where} has no function {fname})")
        try:
            have = tuple(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            have = ()
        if have[:len(params)] != params:
            raise CheckoutError(f"{root}: another version of the benchmark ({where}: {fname}"
                                 f"({', '.join(have)}) where ({', '.join(params)}) is expected)")


@dataclass
class Reference:
    """A loaded benchmark checkout. Use :func:`load_reference`."""

    root: Path
    commit: str | None
    builder: ModuleType
    _evaluator: ModuleType | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def describe(self) -> dict[str, Any]:
        """What a report records: ``{"prompt_source": "reference", "path", "commit"}``."""
        return {"prompt_source": "reference", "path": str(self.root), "commit": self.commit}

    # -- prompts ----------------------------------------------------------------------------------

    def questions(self, target: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The benchmark's question records of ``target`` by field."""
        with self._lock:
            qs = self.builder.build_prediction_questions(target) or []
        return {str(q.get("field")): q for q in qs if isinstance(q, dict)}

    def build_prompt(self, profile: str, history: Sequence[tuple[int, dict[str, Any]]], target: dict[str, Any],
                     question: Question, *, max_history_tokens: int, count: Callable[[str], int]) -> Prompt:
        """The benchmark's prompt for ``question`` of ``target`` with its own history selection
        over ``history`` (the caller's rolling history, oldest first), counting with ``count``.
        A target that leaves no room in the budget is cut field by field first (see
        :func:`workbench.simulate.prompts.fit_target`). Raises CheckoutError."""
        from workbench.simulate.prompts import MAX_BUDGET, fit_target
        from workbench.simulate.templates import T

        info = self.questions(target).get(question.field) or {"type": question.kind, "field": question.field}

        def skeleton(prof: str, tgt: dict[str, Any]) -> int:
            text, _ = self._call(prof, [], tgt, info, max_history_tokens, count)
            return count(text)

        profile, target, cut = fit_target(profile or "", target, skeleton, max_history_tokens or MAX_BUDGET,
                                          count, T["zh"]["cut_marker"])
        if cut:     # the question text of a dialogue carries the target's context: rebuild it
            info = self.questions(target).get(question.field) or info
        events = [e for _, e in history]
        text, used = self._call(profile, events, target, info, max_history_tokens, count)
        index_of = {id(e): i for i, e in history}
        kept = tuple(index_of[id(e)] for e in used if id(e) in index_of)
        return Prompt(text=text, history_event_indices=kept, tokens=count(text), memory="truncate",
                      lang="zh", prompt_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                      truncated_fields=cut, source="reference")

    def _call(self, profile: str, events: list[dict[str, Any]], target: dict[str, Any], info: dict[str, Any],
              budget: int, count: Callable[[str], int]) -> tuple[str, list[Any]]:
        b = self.builder
        kind = info.get("type", "binary")
        fn = {"binary": b.build_single_binary_prompt, "continuous": b.build_single_continuous_prompt}.get(
            kind, b.build_single_text_prompt)
        used: list[Any] = []
        with self._lock:        # the builder's globals are swapped for the duration of one call
            saved = {k: b.__dict__[k] for k in ("estimate_token_count", "get_actual_used_history",
                                                 "should_filter_action")}
            orig_select, orig_filter = saved["get_actual_used_history"], saved["should_filter_action"]

            def select(*args: Any, **kwargs: Any) -> Any:
                res = orig_select(*args, **kwargs)
                used[:] = list(res.get("actual_used_actions") or []) if isinstance(res, dict) else []
                return res

            b.__dict__.update(estimate_token_count=count, get_actual_used_history=select,
                              # a filtered target still gets its prompt (the metrics leave it out)
                              should_filter_action=lambda a: False if a is target else orig_filter(a))
            try:
                out = fn(profile, events, target, info, max_history_tokens=budget, max_history_days=None)
            except Exception as exc:  # noqa: BLE001 - foreign code: one line naming the checkout
                raise CheckoutError(f"{self.root}: the benchmark's builder failed on this event "
                                     f"({type(exc).__name__}: {exc})") from None
            finally:
                b.__dict__.update(saved)
        text = out.get("prompt") if isinstance(out, dict) else None
        if not isinstance(text, str):
            raise CheckoutError(f"{self.root}: the benchmark's builder returned no prompt for "
                                 f"{info.get('field')!r}")
        return text, used

    # -- judge ------------------------------------------------------------------------------------

    @property
    def evaluator(self) -> ModuleType:
        """The checkout's evaluator module, loaded on first use. Raises CheckoutError."""
        if self._evaluator is None:
            src = self.root / "src"
            mod = _load_private(self.root, EVALUATOR_FILE, [src, src / "evaluation"])
            _check(mod, REQUIRED_EVALUATOR, EVALUATOR_FILE, self.root)
            self._evaluator = mod
        return self._evaluator

    def judge_prompt(self, inputs: dict[str, str]) -> str:
        """The benchmark's judge prompt for ``{"user_profile", "context", "ground_truth",
        "model_output"}``."""
        return str(self.evaluator._llm_judge_construct_prompt(dict(inputs)))

    def judge_inputs(self, record: dict[str, Any]) -> dict[str, str] | None:
        """The benchmark's extraction of the judge inputs from a prediction record."""
        return self.evaluator._llm_judge_extract_inputs(record)

    def parse_judge(self, response: str) -> dict[str, int] | None:
        """The benchmark's parse of a judge response (four 1-10 scores or None)."""
        return self.evaluator._llm_judge_parse_response(response)


_LOADED: dict[tuple[str, float], Reference] = {}


def load_reference(path: str | Path) -> Reference:
    """Load the benchmark checkout at ``path`` (cached per folder and builder modification time).
    Raises CheckoutError with a one-line message when it is missing, of another version or needs
    a package that is not installed."""
    root = Path(path).expanduser()
    if not root.exists():
        raise CheckoutError(f"{root}: no such folder (the benchmark checkout for --reference)")
    if not root.is_dir():
        raise CheckoutError(f"{root}: not a folder (the benchmark checkout for --reference)")
    root = root.resolve()
    file = root / BUILDER_FILE
    if not file.is_file():
        raise CheckoutError(f"{root}: not a checkout of the benchmark (no {BUILDER_FILE})")
    key = (str(root), file.stat().st_mtime)
    hit = _LOADED.get(key)
    if hit is not None:
        return hit
    module = _load_private(root, BUILDER_FILE, [root / "src"])
    _check(module, REQUIRED_BUILDER, BUILDER_FILE, root)
    ref = Reference(root=root, commit=_git_commit(root), builder=module)
    _LOADED[key] = ref
    return ref


def prompt_source(reference: Reference | None, tokenizer: str) -> dict[str, Any]:
    """The report settings that say where the prompts came from and how tokens were counted."""
    src = reference.describe() if reference is not None else {"prompt_source": "ours", "path": None,
                                                               "commit": None}
    from workbench.simulate.tokens import describe_counter

    return {**src, "token_counter": describe_counter(tokenizer)}
