"""Batch evaluation of the OPeRA next-action task. Layer: evaluate (pure + asyncio; no Qt).

:func:`opera_targets` chooses the target actions (every action of the chosen sessions, step by
step, as the web-shopping studies evaluate); :func:`run_opera_batch` asks every model and offline
baseline for each of them with the same machinery as the OmniBehavior batch
(:mod:`workbench.evaluate.batch`): one semaphore bounds the concurrent calls, answers go to the
:class:`~workbench.simulate.cache.ResponseCache` and, one row per answer, to
``DIR/predictions.jsonl`` (flushed as they arrive), a rerun resumes (rows already in the file are
not asked again, failed ones are), progress is reported as :class:`BatchProgress`, cancelling the
task stops it. ``DIR/report.json`` holds the four metrics per model (:mod:`opera_metrics`).

Each row has the true action (with the shopper's rationale) and the predicted one with the model's
own stated reason ("Ask why").
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import polars as pl

from workbench.evaluate.batch import BatchProgress, BatchResult, _prepare_resume
from workbench.evaluate.opera_metrics import opera_report
from workbench.evaluate.rows import RowWriter, question_key
from workbench.fileio import atomic_write_text
from workbench.simulate import opera_task as T

if TYPE_CHECKING:
    from workbench.tasks import TaskState
    from workbench.traces.opera import OperaTraceSet

__all__ = ["OperaTarget", "ask_why", "opera_targets", "page_for", "run_opera_batch"]


@dataclass(frozen=True)
class OperaTarget:
    """One step to predict in an OPeRA session: the user, the action's ``event_index`` and the session."""

    user_id: str
    event_index: int
    session_id: str


def opera_targets(traces: OperaTraceSet, *, split: str = "test", users: Sequence[str] | None = None,
                  max_sessions: int | None = None, max_steps: int | None = None) -> list[OperaTarget]:
    """Every action (click, input, terminate) of the sessions of ``split`` ("train", "test" or "all"),
    sessions in the table's order; ``max_sessions`` keeps the first N sessions, ``max_steps`` the
    first N actions of each. Raises ValueError when nothing is left."""
    frame = traces.with_payload().select(
        "user_id", "event_index", "session_id",
        pl.col("context").str.json_path_match("$.split").alias("split"),
        pl.col("context").str.json_path_match("$.action_type").alias("action_type"))
    if users:
        frame = frame.filter(pl.col("user_id").is_in(list(users)))
    if split != "all":
        frame = frame.filter(pl.col("split") == split)
    frame = frame.filter(pl.col("action_type").is_in(list(T.ACTION_TYPES)) & pl.col("session_id").is_not_null())
    frame = frame.sort("user_id", "event_index")
    sessions = frame["session_id"].unique(maintain_order=True).to_list()
    if max_sessions is not None:
        sessions = sessions[:max_sessions]
    keep = set(sessions)
    out: list[OperaTarget] = []
    per: dict[str, int] = {}
    for u, i, s in frame.select("user_id", "event_index", "session_id").iter_rows():
        if s not in keep:
            continue
        per[s] = per.get(s, 0) + 1
        if max_steps is None or per[s] <= max_steps:
            out.append(OperaTarget(u, int(i), s))
    if not out:
        raise ValueError(f"no OPeRA actions to predict (split {split!r}"
                         + (f", users {', '.join(users)}" if users else "") + ")")
    return out


def page_for(traces: OperaTraceSet, user_id: str, event_index: int, page_chars: int = 200_000) -> dict[str, Any]:
    """The page dict :func:`opera_task.build_prompt` takes, from the event's observation."""
    from workbench.traces.opera_observe import observe

    obs = observe(traces, user_id, event_index, with_image=False)
    return {"url": obs.url, "search_term": obs.search_term, "products": obs.products,
            "cart_items": obs.cart_items, "page_text": obs.html_as_text(page_chars)}


def _contexts(frame: pl.DataFrame) -> list[tuple[int, str | None, str | None, dict[str, Any]]]:
    return [(int(i), t, s, orjson.loads(c or "{}")) for i, t, s, c in
            frame.select("event_index", "ts_raw", "session_id", "context").iter_rows()]


async def run_opera_batch(traces: OperaTraceSet, targets: Sequence[OperaTarget], specs: Sequence[Any], *,
                          out_dir: str | Path | None = None, concurrency: int = 8, cache: Any = None,
                          use_cache: bool = True, page_tokens: int = T.DEFAULT_PAGE_TOKENS,
                          tokenizer: str = "approx", policy: Any = None,
                          on_progress: Callable[[BatchProgress], None] | None = None,
                          on_row: Callable[[dict[str, Any]], None] | None = None,
                          task: TaskState | None = None, resume: bool = True, max_cost: float | None = None) -> BatchResult:
    """Predict every target with every spec (ModelSpec; ``baseline:user``/``baseline:last`` run
    offline). See the module docstring. ``max_cost`` (USD): no new target is started once the
    answers so far cost that much (``report["run"]["stopped"]`` says so; the rows so far are kept).
    Raises ValueError for an unknown baseline, a repeated model or a bad budget."""
    t0 = time.monotonic()
    specs = list(specs)
    models = _check_arguments(specs, page_tokens, max_cost)
    if cache is None and use_cache and any(not s.is_baseline for s in specs):
        from workbench.simulate.cache import ResponseCache

        cache = ResponseCache()
    out, existing = _open_output(out_dir, resume)
    run = _OperaRun(traces, specs, t0, len(targets) * len(specs), existing,
                    RowWriter(out / "predictions.jsonl" if out else None), cache=cache, page_tokens=page_tokens,
                    tokenizer=tokenizer, policy=policy, on_progress=on_progress, on_row=on_row,
                    concurrency=concurrency)
    queue: asyncio.Queue[OperaTarget] = asyncio.Queue()
    for tg in targets:
        queue.put_nowait(tg)
    try:
        run.progress()
        await asyncio.gather(*(run.worker(queue, task, max_cost)
                               for _ in range(max(1, min(concurrency, len(targets))))))
    finally:
        run.writer.close()
    if task is not None and getattr(task, "cancelled", False):
        raise asyncio.CancelledError()
    return run.finish(models, targets, out, page_tokens, concurrency)


def _check_arguments(specs: Sequence[Any], page_tokens: int, max_cost: float | None) -> list[str]:
    """The models of ``specs``; raises ValueError for a repeated model, an unknown baseline, a page
    budget below one token or a spend cap that is not positive."""
    models = [s.model for s in specs]
    if len(set(models)) != len(models):
        raise ValueError("the same model was given twice: " + ", ".join(models))
    for s in specs:
        if s.is_baseline and s.model not in T.BASELINES:
            raise ValueError(f"unknown OPeRA baseline {s.model!r}: use {' or '.join(T.BASELINES)}")
    if page_tokens < 1:
        raise ValueError(f"the page token budget must be a positive number of tokens, got {page_tokens}")
    if max_cost is not None and not max_cost > 0:
        raise ValueError(f"the spend cap must be a positive amount of USD, got {max_cost!r}")
    return models


def _open_output(out_dir: str | Path | None, resume: bool) -> tuple[Path | None, dict[tuple, dict[str, Any]]]:
    """The run folder (created) and the rows already in its predictions.jsonl when resuming (else
    the file is removed)."""
    out = Path(out_dir) if out_dir is not None else None
    pred_path = out / "predictions.jsonl" if out else None
    existing: dict[tuple, dict[str, Any]] = {}
    if out is not None and pred_path is not None:
        out.mkdir(parents=True, exist_ok=True)
        if resume:
            existing = _prepare_resume(pred_path)
        elif pred_path.exists():
            pred_path.unlink()
    return out, existing


_Contexts = list[tuple[int, str | None, str | None, dict[str, Any]]]


class _OperaRun:
    """One run's state: the rows so far, the counters behind the progress, the errors, the semaphore
    bounding the model calls and each user's decoded events (decoded once, under a lock)."""

    def __init__(self, traces: OperaTraceSet, specs: list[Any], t0: float, total: int,
                 existing: dict[tuple, dict[str, Any]], writer: RowWriter, *, cache: Any, page_tokens: int,
                 tokenizer: str, policy: Any, on_progress: Callable[[BatchProgress], None] | None,
                 on_row: Callable[[dict[str, Any]], None] | None, concurrency: int) -> None:
        self.traces, self.specs, self.t0, self.total = traces, specs, t0, total
        self.existing, self.writer, self.cache = existing, writer, cache
        self.page_tokens, self.tokenizer, self.policy = page_tokens, tokenizer, policy
        self.on_progress, self.on_row = on_progress, on_row
        self.rows: dict[tuple, dict[str, Any]] = {}
        self.state: dict[str, float] = {"done": 0, "cost": 0.0, "cached": 0, "failed": 0}
        self.errors: list[dict[str, Any]] = []
        self.sem = asyncio.Semaphore(max(1, concurrency))
        self.user_cache: dict[str, _Contexts] = {}
        self.lock = asyncio.Lock()
        self.stopped = ""

    def progress(self, phase: str = "predict") -> None:
        """Tell ``on_progress`` how far the run is."""
        if self.on_progress is None:
            return
        state = self.state
        el = time.monotonic() - self.t0
        rate = state["done"] / el if el > 0 else 0.0
        eta = (self.total - state["done"]) / rate if rate > 0 else None
        self.on_progress(BatchProgress(int(state["done"]), self.total, el, rate, eta, state["cost"],
                                       int(state["cached"]), int(state["failed"]), phase))

    def report(self, row: dict[str, Any]) -> None:
        """Keep one answered row: written unless it was already in the file, counted, passed on."""
        key = question_key(row)
        self.rows[key] = row
        if key not in self.existing:
            self.writer.write(row)
        state = self.state
        state["done"] += 1
        if row.get("cached"):
            state["cached"] += 1
        elif row.get("cost"):
            state["cost"] += float(row["cost"])
        if not row.get("parse_ok"):
            state["failed"] += 1
        if self.on_row is not None:
            self.on_row(row)
        self.progress()

    async def events_of(self, user: str) -> _Contexts:
        """The user's events as (event_index, ts_raw, session_id, context), decoded once."""
        async with self.lock:
            got = self.user_cache.get(user)
            if got is None:
                got = await asyncio.to_thread(lambda: _contexts(self.traces.user_events(user)))
                self.user_cache[user] = got
            return got

    async def do_target(self, tg: OperaTarget) -> None:
        """Ask every model and baseline not yet answered for the target's next action."""
        evs = await self.events_of(tg.user_id)
        pos = next(k for k, e in enumerate(evs) if e[0] == tg.event_index)
        true = T.real_action(evs[pos][3])
        session_hist = [(i, t, c) for i, t, s, c in evs[:pos] if s == tg.session_id]
        user_hist = [c for _i, _t, _s, c in evs[:pos]]
        base = {"user_id": tg.user_id, "event_index": tg.event_index, "session_id": tg.session_id,
                "field": T.FIELD, "kind": "text", "true": true.to_dict(), "true_value": true.label(),
                "real_rationale": true.reason}
        todo = [s for s in self.specs if (s.model, tg.user_id, tg.event_index, T.FIELD) not in self.existing]
        for s in self.specs:
            if (s.model, tg.user_id, tg.event_index, T.FIELD) in self.existing:
                self.report(dict(self.existing[(s.model, tg.user_id, tg.event_index, T.FIELD)]))
        prompt = None
        if any(not s.is_baseline for s in todo):
            def prepare() -> T.OperaPrompt:
                page = page_for(self.traces, tg.user_id, tg.event_index)
                return T.build_prompt(self.traces.profile(tg.user_id), session_hist, page,
                                      page_tokens=self.page_tokens, tokenizer=self.tokenizer)
            prompt = await asyncio.to_thread(prepare)
        for s in todo:
            if s.is_baseline:
                a = T.baseline_action(s.model, user_hist)
                self.report(_row(base, s.model, a, "", True, "", cached=False, method="baseline"))
                continue
            assert prompt is not None
            self.report(await self._ask_model(s, prompt, base))

    async def _ask_model(self, s: Any, prompt: T.OperaPrompt, base: Mapping[str, Any]) -> dict[str, Any]:
        """One model's row for the target: from the cache, else asked (under the semaphore)."""
        from workbench.simulate.providers import predict

        cache = self.cache
        pred = cache.get(s, prompt.prompt_hash, T.FIELD, "text") if cache is not None else None
        if pred is None:
            async with self.sem:
                pred = await predict(s, prompt.text, T.FIELD, "text", policy=self.policy)
            if cache is not None and pred.parse_ok:
                cache.put(s, prompt.prompt_hash, T.FIELD, "text", pred)
        action, why = T.parse_action(pred.raw_output) if pred.parse_ok else (None, pred.error)
        r = _row(base, s.model, action, pred.raw_output, action is not None,
                 "" if action is not None else f"could not read the action: {why}",
                 cached=pred.cached, method="text")
        r.update(cost=pred.cost, prompt_tokens=pred.prompt_tokens, completion_tokens=pred.completion_tokens,
                 tokens=int(pred.prompt_tokens or 0) + int(pred.completion_tokens or 0),
                 prompt_hash=prompt.prompt_hash, page_tokens=prompt.page_tokens)
        return r

    async def worker(self, queue: asyncio.Queue[OperaTarget], task: TaskState | None,
                     max_cost: float | None) -> None:
        """Take targets off the queue until it is empty, the task is cancelled or the cap is reached."""
        while not queue.empty():
            if task is not None and getattr(task, "cancelled", False):
                return
            if max_cost is not None and self.state["cost"] >= max_cost:
                self.stopped = f"spend cap reached at ${self.state['cost']:.4f} (cap ${max_cost:g})"
                return
            tg = queue.get_nowait()
            try:
                await self.do_target(tg)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - one bad target must not end the batch
                self.errors.append({"user_id": tg.user_id, "event_index": tg.event_index,
                                    "error": f"{type(exc).__name__}: {exc}"[:300]})
                self.state["done"] += len(self.specs)
                self.progress()

    def finish(self, models: list[str], targets: Sequence[OperaTarget], out: Path | None, page_tokens: int,
               concurrency: int) -> BatchResult:
        """The rows in model, user, event order and the report (written to ``out/report.json``)."""
        rows, state = self.rows, self.state
        for k, r in self.existing.items():
            rows.setdefault(k, r)
        row_list = sorted(rows.values(), key=lambda r: (models.index(r["model"]) if r["model"] in models
                                                        else len(models), r["user_id"], r["event_index"]))
        seconds = time.monotonic() - self.t0
        rep = {"task": "opera_next_action",
               "settings": {"models": models, "page_tokens": page_tokens, "concurrency": concurrency,
                            "targets": len(targets), "sessions": len({t.session_id for t in targets})},
               "models": opera_report(row_list, models),
               "ask_why": ask_why(row_list, models),
               "run": {"answered": len(rows), "cached": state["cached"], "failed": state["failed"],
                       "cost": state["cost"], "seconds": round(seconds, 3), "errors": self.errors,
                       "stopped": self.stopped}}
        if out is not None:
            atomic_write_text(out / "report.json", json.dumps(rep, ensure_ascii=False, indent=2, default=str))
        return BatchResult(row_list, rep, out, [], [], seconds, int(state["cached"]))


def ask_why(rows: Sequence[Mapping[str, Any]], models: Sequence[str], limit: int = 50) -> dict[str, list[dict]]:
    """Per model, up to ``limit`` actions the shopper explained: the real action and rationale beside
    the model's predicted action and its own stated reason."""
    out: dict[str, list[dict]] = {m: [] for m in models}
    for r in rows:
        got = out.get(str(r["model"]))
        if got is None or len(got) >= limit or not r.get("real_rationale"):
            continue
        got.append({"user_id": r["user_id"], "event_index": r["event_index"], "real": r.get("true_value"),
                    "real_rationale": r["real_rationale"], "predicted": r.get("predicted_value"),
                    "model_reason": r.get("reason"), "exact": bool(r.get("exact"))})
    return out


def _row(base: Mapping[str, Any], model: str, action: T.OperaAction | None, raw: str, ok: bool, error: str,
         *, cached: bool, method: str) -> dict[str, Any]:
    return {**base, "model": model, "predicted": action.to_dict() if action else None,
            "predicted_value": action.label() if action else None,
            "predicted_label": action.label() if action else None,
            "reason": action.reason if action else None, "raw_output": raw, "parse_ok": ok,
            "exact": bool(action and T.exact_match(action, T.OperaAction.from_dict(base["true"]))),
            "error": error, "cached": cached, "prediction_method": method, "cost": None,
            "prompt_tokens": 0, "completion_tokens": 0, "tokens": 0}
