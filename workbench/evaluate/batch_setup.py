"""Preparing a batch run: its settings checked, the response cache, baseline statistics, the output
folder (resumed or clean) and the list of events to ask. Layer: evaluate (pure + asyncio; no Qt).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from workbench.evaluate.prompt_index import PROMPTS_FILE
from workbench.evaluate.rows import RowWriter, dumps_row, question_key, read_rows
from workbench.evaluate.sampling import Sample, SampledEvent, UserTrace
from workbench.fileio import atomic_write_text

__all__ = ["BatchWriteError", "check_inputs", "response_cache", "baseline_stats", "open_outputs", "work_list",
           "prepare_resume"]


class BatchWriteError(OSError):
    """predictions.jsonl or report.json cannot be written (full disk, read-only folder): the run
    stops, and the message names the file and what to do."""


def prepare_resume(path: Path) -> dict[tuple, dict[str, Any]]:
    """Keep the successful rows of an earlier run (rewritten atomically), keyed by question."""
    kept: dict[tuple, dict[str, Any]] = {}
    for row in read_rows(path):
        try:
            key = question_key(row)
        except (KeyError, TypeError, ValueError):
            continue
        if row.get("parse_ok"):
            kept[key] = row
    if path.exists():
        atomic_write_text(path, "".join(dumps_row(row) + "\n" for row in kept.values()))
    return kept


def check_inputs(users: Sequence[UserTrace] | Mapping[str, UserTrace], sample: Sample, specs: Sequence[Any],
                  max_cost: float | None, samples: int,
                  max_history_tokens: int) -> tuple[dict[str, UserTrace], list[Any]]:
    """The users by id and the model list, after checking the settings (ValueError names the problem)."""
    from workbench.simulate.baselines import BASELINES

    if max_cost is not None and not max_cost > 0:
        raise ValueError("the spend cap must be more than $0")
    if samples < 1:
        raise ValueError("the number of samples must be 1 or more")
    by_id = dict(users) if isinstance(users, Mapping) else {u.user_id: u for u in users}
    specs = list(specs)
    models = [s.model for s in specs]
    for s in specs:
        if s.is_baseline and s.model not in BASELINES:
            raise ValueError(f"unknown baseline {s.model!r}: use {' or '.join(BASELINES)}")
    if len(set(models)) != len(models):
        raise ValueError("the same model was given twice: " + ", ".join(models))
    if any(not s.is_baseline for s in specs):
        from workbench.simulate.prompts import check_budget

        check_budget(max_history_tokens)     # a bad budget is one clear error, not one per event
    for e in sample.events:
        if e.user_id not in by_id:
            raise ValueError(f"user {e.user_id}: in the sample but not in the traces")
        if not 0 <= e.event_index < len(by_id[e.user_id].events):
            raise ValueError(f"user {e.user_id}, event {e.event_index}: no such event")
    return by_id, specs


def response_cache(cache: Any, use_cache: bool, on_warning: Callable[[str], None] | None) -> Any:
    """The response cache the run uses (a new one when none is given and ``use_cache``), with its
    problems reported through ``on_warning``."""
    if cache is None and use_cache:
        from workbench.simulate.cache import ResponseCache

        cache = ResponseCache(on_problem=on_warning)
    elif cache is not None and on_warning is not None and getattr(cache, "on_problem", False) is None:
        cache.on_problem = on_warning
        if cache.problem:
            on_warning(cache.problem)
    return cache


async def baseline_stats(baselines: Any, specs: Sequence[Any], sample: Sample,
                          by_id: Mapping[str, UserTrace]) -> Any:
    """The given baseline statistics, else population rates (when ``baseline:population`` is asked)
    from the history window, else empty statistics."""
    from workbench.simulate.baselines import BaselineStats

    if baselines is None and any(s.model == "baseline:population" for s in specs):
        def population() -> Any:
            # population rates from the history window (no test event leaks into them); with no
            # history window, from each user's events before their first sampled event
            per_user: list[Sequence[dict[str, Any]]] = []
            for u in sample.users:
                evs = by_id[u.user_id].events
                if u.base_history_indices:
                    per_user.append([evs[i] for i in u.base_history_indices])
                elif u.sampled:
                    per_user.append(evs[:min(x.event_index for x in u.sampled)])
            return BaselineStats.from_users(per_user)

        return await asyncio.to_thread(population)
    if baselines is None:
        return BaselineStats()
    return baselines


def open_outputs(out: Path | None, resume: bool) -> tuple[dict[tuple, dict[str, Any]], RowWriter, RowWriter]:
    """Create the output folder; the rows an earlier run answered (``resume``) or a clean folder;
    the writers of predictions.jsonl and the prompt index. Raises BatchWriteError."""
    existing: dict[tuple, dict[str, Any]] = {}
    pred_path = out / "predictions.jsonl" if out else None
    try:
        if out is not None and pred_path is not None:
            out.mkdir(parents=True, exist_ok=True)
            if resume:
                existing = prepare_resume(pred_path)
            else:
                for p in (pred_path, out / "judge.jsonl", out / PROMPTS_FILE):
                    if p.exists():
                        p.unlink()
        writer = RowWriter(pred_path)
        prompt_writer = RowWriter(out / PROMPTS_FILE if out is not None else None)
    except OSError as exc:
        raise BatchWriteError(f"{out}: the output folder cannot be written ({exc}); "
                              "free space or choose another --out") from None
    return existing, writer, prompt_writer


def work_list(sample: Sample, by_id: Mapping[str, UserTrace], specs: Sequence[Any],
               samples: int) -> tuple[list[SampledEvent], list[tuple[str, int]], int]:
    """The events to ask, the filtered events (user, index) and the number of questions to ask
    (baselines are deterministic: asked once; LLMs ``samples`` times)."""
    from workbench.simulate.filters import is_filtered
    from workbench.simulate.questions import questions_for_event

    asks_per_question = sum(1 if s.is_baseline else samples for s in specs)
    work: list[SampledEvent] = []
    filtered: list[tuple[str, int]] = []
    total = 0
    for e in sample.events:
        ev = by_id[e.user_id].events[e.event_index]
        if is_filtered(ev):
            filtered.append((e.user_id, e.event_index))
            continue
        work.append(e)
        total += len(questions_for_event(ev)) * asks_per_question
    return work, filtered, total
