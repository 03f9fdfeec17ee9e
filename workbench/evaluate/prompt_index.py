"""What each question's prompt was made of, so that a run's prompt can be shown again. Layer:
evaluate (pure).

A run writes ``DIR/prompts.jsonl``: per asked event its history (the ``event_index`` values the
prompt rendered) and, per question, the prompt's hash and token count (the history is repeated
for a question only where it differs). That is a few kilobytes per event instead of the prompts
themselves (up to 32k tokens each). :func:`rebuild_prompt` renders the prompt again from the open
trace with the run's settings and says whether the hash matches, i.e. whether the text shown is
exactly what the model saw. A prompt built by a benchmark checkout (reference mode) or from an LLM
summary cannot be rebuilt here; the result says so instead of showing an approximation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["PROMPTS_FILE", "prompt_record", "read_prompt_index", "RebuiltPrompt", "rebuild_prompt"]

PROMPTS_FILE = "prompts.jsonl"


def prompt_record(user_id: str, event_index: int, prompts: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``prompts.jsonl`` line of one event (``prompts``: field -> :class:`~workbench.simulate.types.Prompt`)."""
    if not prompts:
        return None
    first = next(iter(prompts.values()))
    history = list(first.history_event_indices)
    fields: dict[str, Any] = {}
    for f, p in prompts.items():
        entry: dict[str, Any] = {"hash": p.prompt_hash, "tokens": p.tokens}
        if list(p.history_event_indices) != history:
            entry["history"] = list(p.history_event_indices)
        fields[f] = entry
    return {"user_id": user_id, "event_index": int(event_index), "history": history, "fields": fields}


def read_prompt_index(run_dir: str | Path) -> dict[tuple[str, int], dict[str, Any]]:
    """(user_id, event_index) -> record, the last one written winning (a resumed run appends)."""
    path = Path(run_dir) / PROMPTS_FILE
    out: dict[tuple[str, int], dict[str, Any]] = {}
    if not path.is_file():
        return out
    with path.open("r", encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
                out[(str(rec["user_id"]), int(rec["event_index"]))] = rec
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue            # a torn last line of an interrupted run
    return out


@dataclass(frozen=True)
class RebuiltPrompt:
    """A prompt shown again: ``text`` (empty when it could not be rebuilt) and whether it is exactly
    the one the model saw (``exact``: same hash), or why not (``note``)."""

    text: str
    exact: bool
    note: str = ""


def _tokenizer(settings: Mapping[str, Any]) -> str:
    counter = settings.get("token_counter") or {}
    kind = counter.get("kind") if isinstance(counter, Mapping) else None
    if kind == "litellm":
        return "litellm"
    if kind == "tokenizer.json":
        return str(counter.get("path") or "approx")
    return "approx"


def rebuild_prompt(traces: Any, settings: Mapping[str, Any], record: Mapping[str, Any] | None, user_id: str,
                   event_index: int, field_name: str) -> RebuiltPrompt:
    """Render the prompt of ``field_name`` at ``(user_id, event_index)`` again from ``traces`` (a
    TraceSet) with the run's ``settings`` (report.json) and its ``record`` (from
    :func:`read_prompt_index`)."""
    from workbench.simulate.prompts import build_prompt
    from workbench.simulate.questions import questions_for_event

    if record is None:
        return RebuiltPrompt("", False, "this run recorded no prompts (run before prompts.jsonl existed, "
                                        "or a baseline-only run)")
    entry = record.get("fields", {}).get(field_name)
    if entry is None:
        return RebuiltPrompt("", False, f"no prompt recorded for {field_name}")
    if settings.get("prompt_source") not in (None, "ours"):
        return RebuiltPrompt("", False, "built by the benchmark's own code (reference mode): run "
                                        "`workbench prompt-diff` with the checkout to see it")
    memory = str(settings.get("memory") or "truncate")
    if memory == "summary":
        return RebuiltPrompt("", False, "the summary memory's paragraph came from a model call and is "
                                        "not stored; the prompt cannot be rebuilt exactly")
    if user_id not in traces.user_ids():
        return RebuiltPrompt("", False, f"user {user_id} is not in the open traces")
    ue = traces.user(user_id)
    raw = ue.raw()
    target = raw.get(int(event_index))
    if target is None:
        return RebuiltPrompt("", False, f"user {user_id} has no event {event_index} in the open traces")
    question = next((q for q in questions_for_event(target) if q.field == field_name), None)
    if question is None:
        return RebuiltPrompt("", False, f"event {event_index} asks no {field_name} question")
    hist = entry.get("history", record.get("history", []))
    history = [(int(i), raw[int(i)]) for i in hist if int(i) in raw]
    prompt = build_prompt(ue.profile, history, target, question,
                          max_history_tokens=int(settings.get("max_history_tokens") or 32000),
                          lang=str(settings.get("lang") or "zh"), memory="truncate",
                          tokenizer=_tokenizer(settings))
    exact = prompt.prompt_hash == entry.get("hash")
    return RebuiltPrompt(prompt.text, exact, "" if exact else
                         "rebuilt from the open traces, but it differs from what the model saw (another "
                         "version of the trace or of the workbench)")
