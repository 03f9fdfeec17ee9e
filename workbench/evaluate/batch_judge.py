"""The LLM-judge phase of a batch run (docs/benchmark.md#customer-service). Layer: evaluate (pure +
asyncio; no Qt).

After the predictions, :func:`run_judge` scores each answered ``next_user_message`` against the real
message, under the run's concurrency limit; scores go to judge.jsonl as they arrive and are reused
by a rerun whose judge prompt is the same (or taken from the response cache).
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from workbench.evaluate.batch_setup import BatchWriteError
from workbench.evaluate.rows import RowWriter, read_rows
from workbench.evaluate.sampling import UserTrace

if TYPE_CHECKING:
    from workbench.simulate.runner import CallLimit

__all__ = ["JUDGE_FIELD", "JUDGE_CACHE_FIELD", "run_judge"]

JUDGE_FIELD = "next_user_message"
JUDGE_CACHE_FIELD = "__llm_judge__"


async def run_judge(rows: Mapping[tuple, Mapping[str, Any]], by_id: Mapping[str, UserTrace],
                     prompts: Mapping[tuple[str, int], str], judge_spec: Any, judge_call: Any,
                     cache: Any, sem: CallLimit, path: Path | None, pause: float,
                     progress: Callable[..., None], judge_reference: Any = None) -> list[dict[str, Any]]:
    """Score every answered customer-service message of ``rows`` with the LLM judge (``judge_call``,
    or a caller built from ``judge_spec``), one call per message under ``sem``; scores of an earlier
    run with the same prompt are reused, new ones appended to ``path`` (judge.jsonl). Returns the
    judge rows; raises BatchWriteError when judge.jsonl cannot be written."""
    from workbench.evaluate.judge import judge_eligible, judge_inputs, judge_one, judge_prompt

    if judge_call is None:
        from workbench.evaluate.judge import judge_caller

        judge_call = judge_caller(judge_spec)

    todo = []
    for _key, r in rows.items():
        if r["field"] != JUDGE_FIELD or not r.get("parse_ok"):
            continue
        ev = by_id[r["user_id"]].events[r["event_index"]]
        if not judge_eligible(ev, r.get("true_value")):
            continue
        inputs = judge_inputs(prompts.get((r["user_id"], r["event_index"]), ""),
                              str(r.get("true_value") or ""), str(r.get("predicted_value") or ""))
        if inputs is not None:
            todo.append((r, inputs))
    earlier = {(str(j["model"]), str(j["user_id"]), int(j["event_index"])): j
               for j in (read_rows(path) if path is not None else []) if j.get("scores")}
    writer = RowWriter(path)
    out: list[dict[str, Any]] = []
    done = [0]
    judge_model = getattr(judge_spec, "model", "custom")

    async def one(r: Mapping[str, Any], inputs: Mapping[str, str]) -> None:
        key = (str(r["model"]), str(r["user_id"]), int(r["event_index"]))
        prompt_hash = hashlib.sha256(judge_prompt(inputs, judge_reference).encode("utf-8")).hexdigest()
        row = earlier.get(key)
        if row is not None and row.get("prompt_hash") == prompt_hash:
            out.append(row)
        else:
            cached_text = cache.get_text(judge_spec, prompt_hash, JUDGE_CACHE_FIELD) \
                if (cache is not None and judge_spec is not None) else None
            if cached_text is not None:
                async def call(p: str) -> str:
                    return cached_text
            else:
                async def call(p: str) -> str:
                    async with sem:
                        return await judge_call(p)
            res = await judge_one(inputs, call, pause=pause, reference=judge_reference)
            if res.scores and cached_text is None and cache is not None and judge_spec is not None:
                cache.put_text(judge_spec, prompt_hash, JUDGE_CACHE_FIELD, res.raw)
            row = {"model": r["model"], "user_id": r["user_id"], "event_index": r["event_index"],
                   "judge_model": judge_model, "scores": res.scores, "average": res.average,
                   "attempts": res.attempts, "error": res.error, "prompt_hash": prompt_hash}
            writer.write(row)
            out.append(row)
        done[0] += 1
        progress("judge", done[0], len(todo))

    try:
        await asyncio.gather(*(one(r, i) for r, i in todo))
    except OSError as exc:
        writer.error = writer.error or exc
    finally:
        writer.close()
    if writer.error is not None:
        raise BatchWriteError(f"{path}: the judge's scores cannot be written ({writer.error}); "
                              "free space or choose another --out and run again")
    return out
