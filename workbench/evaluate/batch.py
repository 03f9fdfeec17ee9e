"""Batch evaluation: a whole sample through several models, scored as the benchmark. Layer: evaluate
(pure + asyncio; no Qt).

:func:`run_batch` asks every question of every sampled event of every model/baseline:

* **One path**: each event is asked through :func:`workbench.simulate.runner.run_event`, the same
  path as the Predict panel and ``workbench predict``; each answer becomes a
  :class:`~workbench.evaluate.rows.PredictionRow`. A batch of offline baselines only (no model
  call, no prompt) is answered user by user from the same baseline functions
  (:mod:`workbench.evaluate.batch_offline`): the same rows and report, without rebuilding every
  target's history.
* **Bounded concurrency**: one ``asyncio.Semaphore(concurrency)`` shared by all model calls; events
  are fed by ``concurrency`` workers so prompts are built just before they are needed. The
  concurrency is lowered to what the file-descriptor limit allows (with a warning).
* **Progress**: ``on_progress(BatchProgress)`` after every answer (distinct questions done/total,
  never above the total; rate, ETA, cost so far, cache hits, failures).
* **Every question is accounted for**: a question that is not answered, whatever the reason (the
  call, the parse, an event that could not be prepared), is a failed row with ``error`` and
  ``error_kind``; ``report["run"]`` counts answered and failed questions and the failures by kind.
  A response cache that cannot be used switches itself off with one warning; predictions.jsonl or
  report.json that cannot be written stop the run with :class:`BatchWriteError`.
* **Cancellation**: cancel the task awaiting ``run_batch`` (or the given ``TaskState``); calls in
  flight are cancelled, nothing is reported afterwards.
* **Spend cap**: ``max_cost`` (USD): once the calls have cost that much no new request starts
  (:class:`~workbench.simulate.spend.SpendGate`); what finished is kept, the questions not asked
  have no row (``run.unanswered``, kind ``not_asked``) and ``run.stopped`` says the run stopped at
  the cap. A rerun with a higher cap asks only those. Calls at an unknown price count as $0 and are
  counted in ``run.unknown_cost_calls`` (also in the progress line).
* **Resampling**: ``samples`` K > 1 asks every LLM question K times (rows carry ``sample``; each
  sample has its own cache key, sample 0 the one-sample key). Metrics and biases use sample 0; the
  report's ``resample`` section (:mod:`workbench.evaluate.resample`) shows the rest.
* **Resume**: every row is appended to ``DIR/predictions.jsonl`` (flushed) as it arrives. A rerun
  with the same settings keeps the answered rows of the file and asks only the other questions
  (with or without the response cache); failed answers from the earlier run are dropped from the
  file and asked again. report.json is computed from exactly the rows in the file.
* **Outputs**: ``DIR/predictions.jsonl`` (one row per question and model), ``DIR/judge.jsonl``
  (judge scores, when a judge model is configured) and ``DIR/report.json``:
  ``{"settings", "models": {model: report}, "score_summary": [rows], "by_scenario":
  {model: {scenario: report}}, "biases": {...}, "run": {...}}``.

Events that fail the evaluation filter (docs/benchmark.md#event-filter) are not asked; they count as ``filtered``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from workbench.evaluate.batch_offline import OfflineEvent, OfflinePlan, offline_only, prepare_offline, \
    prepare_progress
from workbench.evaluate.batch_judge import JUDGE_CACHE_FIELD, JUDGE_FIELD, run_judge
from workbench.evaluate.batch_report import build_report, records_from_rows
from workbench.evaluate.batch_report import write_json as _write_json
from workbench.evaluate.batch_setup import BatchWriteError, baseline_stats, check_inputs, open_outputs, \
    prepare_resume, response_cache, work_list
from workbench.evaluate.prompt_index import PROMPTS_FILE, prompt_record
from workbench.evaluate.rows import PredictionRow, RowWriter, question_key, read_rows
from workbench.evaluate.sampling import Sample, SampledEvent, UserTrace, scenario_zh
from workbench.evaluate.tally import Tally

if TYPE_CHECKING:
    from workbench.simulate.spend import SpendGate
    from workbench.tasks import TaskState

__all__ = ["BatchProgress", "BatchResult", "BatchWriteError", "run_batch", "records_from_rows", "build_report",
           "read_rows", "question_key", "count_questions", "JUDGE_FIELD", "JUDGE_CACHE_FIELD"]

_run_judge = run_judge      # the names earlier code used


@dataclass
class BatchProgress:
    """Progress of a batch: questions done of ``total`` (users read, in the ``prepare`` phase of a
    baselines-only batch), ``elapsed`` seconds, rate (per second), ETA (seconds), cost (USD),
    cached and failed answers, and the phase."""

    done: int
    total: int
    elapsed: float
    rate: float                 # questions (users while preparing) per second
    eta: float | None           # seconds
    cost: float                 # USD of non-cached calls so far
    cached: int
    failed: int
    phase: str = "predict"      # prepare | predict | judge | report
    max_cost: float | None = None   # the spend cap, USD (None: no cap)
    unknown_cost: int = 0       # calls at an unknown price, counted as $0 in ``cost``
    stopped: str = ""           # "" | "spend cap reached at $X (cap $Y)"

    def line(self) -> str:
        """The progress as one line for a terminal."""
        eta = "-" if self.eta is None else f"{self.eta:.0f}s"
        return (f"[{self.phase}] {self.done}/{self.total} {self.unit}  {self.rate:.1f}/s  ETA {eta}  "
                f"{self.cost_text()}  cached {self.cached}  failed {self.failed}")

    @property
    def unit(self) -> str:
        """What ``done`` and ``total`` count: ``users`` while a baselines-only batch prepares, else ``questions``."""
        return "users" if self.phase == "prepare" else "questions"

    def cost_text(self) -> str:
        """``cost $X`` with the cap (``of $Y``) and the calls at an unknown price, when there are."""
        text = f"cost ${self.cost:.4f}"
        if self.max_cost is not None:
            text += f" of ${self.max_cost:.4f}"
        if self.unknown_cost:
            text += f" (+{self.unknown_cost} calls at unknown price, counted as $0)"
        return text


@dataclass
class BatchResult:
    """A finished batch: its prediction rows, the report, the output folder, the filtered events,
    the judge rows, the run time (seconds) and how many answers came from the cache."""

    rows: list[dict[str, Any]]
    report: dict[str, Any]
    out_dir: Path | None
    filtered: list[tuple[str, int]]
    judge: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    requests_saved: int = 0     # answers that came from the cache


def count_questions(users: Mapping[str, UserTrace], sample: Sample) -> int:
    """Questions of the sample's unfiltered events (per model)."""
    from workbench.simulate.filters import is_filtered
    from workbench.simulate.questions import questions_for_event

    n = 0
    for e in sample.events:
        ev = users[e.user_id].events[e.event_index]
        if not is_filtered(ev):
            n += len(questions_for_event(ev))
    return n


_RowWriter = RowWriter     # the names earlier code and tests use
_prepare_resume = prepare_resume


async def run_batch(users: Sequence[UserTrace] | Mapping[str, UserTrace], sample: Sample,
                    specs: Sequence[Any], *, out_dir: str | Path | None = None,
                    concurrency: int = 8, cache: Any = None, use_cache: bool = True,
                    judge_spec: Any = None, judge_call: Callable[[str], Any] | None = None,
                    max_history_tokens: int = 32000, memory: str = "truncate", lang: str = "zh",
                    tokenizer: str = "approx", policy: Any = None, baselines: Any = None,
                    on_progress: Callable[[BatchProgress], None] | None = None,
                    on_row: Callable[[dict[str, Any]], None] | None = None,
                    task: TaskState | None = None, resume: bool = True, biases: bool = True,
                    judge_pause: float = 1.0, reference: Any = None,
                    on_warning: Callable[[str], None] | None = None,
                    max_cost: float | None = None, samples: int = 1) -> BatchResult:
    """Run ``sample`` through ``specs`` (ModelSpec list). See the module docstring.
    ``max_cost``: the spend cap in USD (None: none; ValueError unless more than 0). ``samples``: how
    many times each LLM question is asked (ValueError below 1).

    ``reference``: a loaded benchmark checkout (:func:`workbench.simulate.reference.load_reference`)
    whose own builder renders the prompts. ``on_warning(text)`` is called once per problem that
    does not stop the run (the response cache switched itself off, the concurrency lowered to fit
    the file-descriptor limit); the texts are also in the report's ``run.warnings``. Raises
    ValueError for invalid settings, BatchWriteError (an OSError) when predictions.jsonl or
    report.json cannot be written, CancelledError when cancelled."""
    from workbench.simulate.limits import bounded_concurrency, frozen_heap
    from workbench.simulate.spend import SpendGate

    t0 = time.monotonic()
    by_id, specs = check_inputs(users, sample, specs, max_cost, samples, max_history_tokens)
    warnings: list[str] = []
    concurrency, limit_note = bounded_concurrency(max(1, concurrency))
    if limit_note:
        warnings.append(limit_note)
        if on_warning is not None:
            on_warning(limit_note)
    cache = response_cache(cache, use_cache, on_warning)
    await _open_server_pools(specs, concurrency, policy)
    plan = None
    if offline_only(specs, memory):     # no model, no prompt: user by user (batch_offline)
        plan = await prepare_offline(sample, by_id, specs, baselines, prepare_progress(on_progress, t0),
                                     lambda: task is not None and bool(getattr(task, "cancelled", False)))
        baselines = plan.stats
    else:
        baselines = await baseline_stats(baselines, specs, sample, by_id)
    out = Path(out_dir) if out_dir is not None else None
    existing, writer, prompt_writer = open_outputs(out, resume)
    if plan is not None:
        work, filtered, total = [x.event for x in plan.events], plan.filtered, plan.total
    else:
        work, filtered, total = work_list(sample, by_id, specs, samples)
    tally = Tally(total)
    for msg in warnings:
        tally.warn(msg)
    run = _Run(by_id=by_id, specs=specs, t0=t0, total=total, tally=tally, existing=existing,
               writer=writer, prompt_writer=prompt_writer, gate=SpendGate(concurrency, max_cost),
               on_progress=on_progress, on_row=on_row, task=task, max_cost=max_cost, work=work,
               event_kwargs=dict(memory=memory, max_history_tokens=max_history_tokens, lang=lang,
                                 cache=cache, baselines=baselines, policy=policy, tokenizer=tokenizer,
                                 reference=reference, samples=samples), plan=plan)
    judge = (judge_spec, judge_call, cache, out / "judge.jsonl" if out else None, judge_pause, reference)
    with frozen_heap():         # short garbage-collector passes while the questions are asked
        judge_rows = await run.execute(concurrency, judge)
    run.raise_if_stopped(out / "predictions.jsonl" if out else None)
    if cache is not None and getattr(cache, "problem", None):
        tally.warn(cache.problem)
    if run.prompt_index_error:
        tally.warn(run.prompt_index_error[0])
    settings = _settings(sample, specs, concurrency, samples, max_history_tokens, memory, lang,
                         reference, tokenizer, judge_spec)
    return await _finish(run, sample, out, filtered, judge_rows, settings, biases, max_cost,
                         judged=judge_spec is not None or judge_call is not None)


@dataclass(eq=False)
class _Run:
    """The state of one batch run while its questions are asked: the rows so far, the writers,
    the spend gate (which is also the concurrency limit) and what stops the run."""

    by_id: dict[str, UserTrace]
    specs: list[Any]
    t0: float
    total: int
    tally: Tally
    existing: dict[tuple, dict[str, Any]]
    writer: RowWriter
    prompt_writer: RowWriter
    gate: SpendGate
    on_progress: Callable[[BatchProgress], None] | None
    on_row: Callable[[dict[str, Any]], None] | None
    task: Any
    max_cost: float | None
    event_kwargs: dict[str, Any]                 # passed to run_event for every event
    work: list[SampledEvent] = field(default_factory=list)     # the events to ask
    errors: list[dict[str, Any]] = field(default_factory=list)
    fatal: list[BaseException] = field(default_factory=list)   # the predictions file cannot be written
    prompts_by_event: dict[tuple[str, int], Any] = field(default_factory=dict)
    field_rank: dict[tuple[str, int], dict[str, int]] = field(default_factory=dict)  # field -> position
    truth_caches: dict[str, dict[int, list[tuple[str, Any]]]] = field(default_factory=dict)
    prompt_index_error: list[str] = field(default_factory=list)
    by_event: dict[tuple[str, int], list[tuple]] = field(default_factory=dict)
    plan: OfflinePlan | None = None              # baselines only: the answers, prepared user by user

    def __post_init__(self) -> None:
        self.models = [s.model for s in self.specs]
        for k in self.existing:
            self.by_event.setdefault((k[1], k[2]), []).append(k)

    def progress(self, phase: str = "predict", done: int | None = None, tot: int | None = None) -> None:
        """Send a progress update (questions done, rate, ETA, cost) to ``on_progress``."""
        if self.on_progress is None:
            return
        d = min(self.tally.done, self.total) if done is None else done
        t = self.total if tot is None else tot
        el = time.monotonic() - self.t0
        rate = d / el if el > 0 else 0.0
        eta = (t - d) / rate if rate > 0 else None
        tally, gate = self.tally, self.gate
        self.on_progress(BatchProgress(d, t, el, rate, eta, tally.cost, tally.cached, tally.failed, phase,
                                       self.max_cost, gate.unknown_calls, gate.stop_reason()))

    def stop_requested(self) -> bool:
        """True once the run must stop: predictions.jsonl cannot be written, or cancelled."""
        return bool(self.fatal) or (self.task is not None and bool(getattr(self.task, "cancelled", False)))

    def record(self, row: dict[str, Any], *, cached: bool = False, cost: float | None = None) -> None:
        """Write and count one row (a question that already has one is skipped)."""
        key = question_key(row)
        if key in self.existing or key in self.tally.rows or self.fatal:
            return
        try:
            self.writer.write(row)
        except OSError as exc:
            self.fatal.append(exc)
            return
        if self.tally.record(row, cached=cached, cost=cost):
            if self.on_row is not None:
                self.on_row(row)
            self.progress()

    async def do_event(self, e: SampledEvent) -> None:
        """Ask every question of event ``e`` (those an earlier run answered excepted)."""
        from workbench.simulate.runner import UserTruth, run_event
        from workbench.simulate.spend import SpendCapError

        user = self.by_id[e.user_id]
        target = user.events[e.event_index]
        scen = scenario_zh(target)
        done_before = self.by_event.get((e.user_id, e.event_index), [])
        for k in done_before:                       # answered by an earlier run: not asked again
            self.tally.record(self.existing[k], resumed=True)

        def on_answer(a: Any) -> None:
            row = PredictionRow.of(e.user_id, e.event_index, scen, e.test_time_index, a.question,
                                   a.prediction, a.sample).to_dict()
            self.gate.add(a.prediction)
            self.record(row, cached=a.prediction.cached, cost=a.prediction.cost)

        try:
            result = await run_event(user.profile, list(enumerate(user.events)), e.event_index, self.specs,
                                     history_indices=[i for i in e.history_indices if i != e.event_index],
                                     semaphore=self.gate, on_answer=on_answer, build_in_thread=True,
                                     prompts_without_llm=self.event_kwargs["memory"] == "summary",
                                     exclude_target_from_population=False,
                                     user_truth=self.truth_caches.setdefault(e.user_id, UserTruth()),
                                     skip={(k[0], *k[3:]) for k in done_before}, **self.event_kwargs)
        except asyncio.CancelledError:
            raise
        except SpendCapError:
            return          # the summary call was refused at the spend cap: the event is not asked
        except Exception as exc:  # noqa: BLE001 - one bad event must not end the batch
            from workbench.secrets import redact

            reason = redact(f"{type(exc).__name__}: {exc}")
            self.errors.append({"user_id": e.user_id, "event_index": e.event_index, "error": reason})
            _fail_rest(e, scen, target, self.specs, reason, "event", self.record, self.event_kwargs["samples"])
            return
        self.field_rank[(e.user_id, e.event_index)] = {q.field: i for i, q in enumerate(result.questions)}
        self._index_prompts(e, result.prompts)

    async def _record_plan(self, plan: OfflinePlan) -> None:
        """Record the prepared answers of a baselines-only batch as :meth:`do_event` records
        answers (an event with an error: a failed row for each question), giving the event loop a
        turn every few events."""
        for n, item in enumerate(plan.events):
            if self.stop_requested():
                return
            self.record_offline(item)
            if n % 64 == 63:
                await asyncio.sleep(0)

    def record_offline(self, item: OfflineEvent) -> None:
        """One prepared event of a baselines-only batch (see :meth:`_record_plan`)."""
        e, scen = item.event, item.scenario
        done_before = self.by_event.get((e.user_id, e.event_index), [])
        for k in done_before:                       # answered by an earlier run: not asked again
            self.tally.record(self.existing[k], resumed=True)
        if item.error:
            self.errors.append({"user_id": e.user_id, "event_index": e.event_index, "error": item.error})
            _fail_rest(e, scen, item.target, self.specs, item.error, "event", self.record,
                       self.event_kwargs["samples"])
            return
        skipped = {(k[0], *k[3:]) for k in done_before}
        for model, preds in item.predictions.items():
            for q, p in zip(item.questions, preds):
                if (model, q.field) not in skipped:
                    self.gate.add(p)
                    self.record(PredictionRow.of(e.user_id, e.event_index, scen, e.test_time_index, q, p).to_dict(),
                                cached=p.cached, cost=p.cost)
        self.field_rank[(e.user_id, e.event_index)] = {q.field: i for i, q in enumerate(item.questions)}

    def _index_prompts(self, e: SampledEvent, prompts: Mapping[str, Any]) -> None:
        """Append the event's prompts to the prompt index; keep the judge's prompt for the judge."""
        prompt_rec = prompt_record(e.user_id, e.event_index, prompts)
        if prompt_rec is not None and not self.prompt_index_error:
            try:
                self.prompt_writer.write(prompt_rec)
            except OSError as exc:     # only the Compare view's prompts are lost, never an answer
                self.prompt_index_error.append(f"{PROMPTS_FILE} could not be written ({exc.strerror or exc}): "
                                               "the Compare view cannot show this run's prompts")
        if JUDGE_FIELD in prompts:
            self.prompts_by_event[(e.user_id, e.event_index)] = prompts[JUDGE_FIELD].text

    async def _main(self, concurrency: int, judge: tuple) -> list[dict[str, Any]]:
        """Ask the work list with ``concurrency`` workers, then run the judge (when one is set)."""
        work = self.work
        queue: asyncio.Queue[SampledEvent] = asyncio.Queue()
        for e in work:
            queue.put_nowait(e)

        async def worker() -> None:
            while True:
                try:
                    e = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if self.stop_requested() or self.gate.reached:
                    return
                await self.do_event(e)

        self.progress()
        if self.plan is not None:
            await self._record_plan(self.plan)
        else:
            n_workers = max(1, min(concurrency, len(work)))
            await asyncio.gather(*(worker() for _ in range(n_workers)))
        if self.fatal:
            return []
        judge_spec, judge_call, cache, judge_path, judge_pause, reference = judge
        if (judge_spec is not None or judge_call is not None) and not self.gate.reached:
            return await run_judge(self.tally.rows, self.by_id, self.prompts_by_event, judge_spec, judge_call,
                                   cache, self.gate, judge_path, judge_pause, self.progress,
                                   judge_reference=reference)
        return []

    async def execute(self, concurrency: int, judge: tuple) -> list[dict[str, Any]]:
        """Run :meth:`_main`, cancelled when the task is; the writers are closed in any case.
        Returns the judge rows."""
        async def watch(fut: asyncio.Future) -> None:
            while not fut.done():
                if self.task is not None and getattr(self.task, "cancelled", False):
                    fut.cancel()
                    return
                await asyncio.sleep(0.05)

        main_task = asyncio.ensure_future(self._main(concurrency, judge))
        watcher = asyncio.ensure_future(watch(main_task)) if self.task is not None else None
        try:
            return await main_task
        finally:
            if watcher is not None:
                watcher.cancel()
            if not main_task.done():
                main_task.cancel()
                try:
                    await main_task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001 - already failing
                    pass
            self.writer.close()
            self.prompt_writer.close()

    def raise_if_stopped(self, pred_path: Path | None) -> None:
        """After the questions: BatchWriteError when predictions.jsonl could not be written,
        CancelledError when cancelled; a prompt index that could not be written is a warning."""
        if self.writer.error is not None and not self.fatal:
            self.fatal.append(self.writer.error)
        if self.prompt_writer.error is not None and not self.prompt_index_error:
            why = self.prompt_writer.error.strerror or self.prompt_writer.error
            self.prompt_index_error.append(f"{PROMPTS_FILE} could not be written ({why}): "
                                           "the Compare view cannot show this run's prompts")
        if self.fatal:
            raise BatchWriteError(f"{pred_path}: the answers cannot be written ({self.fatal[0]}); "
                                  "nothing was reported. Free space or choose another --out and run again.")
        if self.stop_requested():
            raise asyncio.CancelledError()

    def sorted_rows(self) -> list[dict[str, Any]]:
        """The rows of predictions.jsonl (this run's and the earlier run's kept ones) ordered by
        model, user, event, then the event's question order (not the order the answers arrived in),
        so the same answers always give the same report."""
        rows = dict(self.tally.rows)
        for k, r in self.existing.items():
            rows.setdefault(k, r)
        models = self.models
        return sorted(rows.values(), key=lambda r: (
            models.index(r["model"]) if r["model"] in models else len(models), r["user_id"], r["event_index"],
            self.field_rank.get((r["user_id"], r["event_index"]), {}).get(r["field"], -1),
            int(r.get("sample") or 0)))


async def _open_server_pools(specs: Sequence[Any], concurrency: int, policy: Any) -> None:
    """Build the server pool of every model run on several servers, once for this run (litellm imported
    off the event loop first)."""
    if not any(getattr(s, "servers", ()) for s in specs):
        return
    from workbench.simulate.providers import RetryPolicy
    from workbench.simulate.servers import open_pools
    from workbench.simulate.tokens import ensure_litellm

    await ensure_litellm()
    open_pools(specs, concurrency=concurrency, retries=(policy or RetryPolicy()).max_retries)


def _settings(sample: Sample, specs: list[Any], concurrency: int, samples: int, max_history_tokens: int,
              memory: str, lang: str, reference: Any, tokenizer: str, judge_spec: Any) -> dict[str, Any]:
    """report.json's ``settings``: the sample's settings and the run's."""
    from workbench.simulate.reference import prompt_source

    return {**sample.settings, "models": [s.model for s in specs], "concurrency": concurrency,
            **({"samples": samples} if samples > 1 else {}),
            "max_history_tokens": max_history_tokens, "memory": memory, "lang": lang,
            **prompt_source(reference, tokenizer),
            "judge_model": getattr(judge_spec, "model", None) if judge_spec is not None else None,
            **_server_settings(specs, concurrency)}


def _server_settings(specs: Sequence[Any], concurrency: int) -> dict[str, Any]:
    """``{"servers": {model: [{"api_base", "max_concurrency"}]}}`` for models run on several servers
    (URLs with their credentials redacted); empty otherwise, so single-server reports are unchanged."""
    pools = {s.model: [{"api_base": x.shown, "max_concurrency": x.max_parallel or concurrency}
                       for x in s.servers] for s in specs if getattr(s, "servers", ())}
    return {"servers": pools} if pools else {}


async def _finish(run: _Run, sample: Sample, out: Path | None, filtered: list[tuple[str, int]],
                  judge_rows: list[dict[str, Any]], settings: dict[str, Any], biases: bool,
                  max_cost: float | None, *, judged: bool) -> BatchResult:
    """Compute report.json from exactly the rows in predictions.jsonl (off the event loop) and write
    it. Raises BatchWriteError when it cannot be written."""
    tally, gate, total = run.tally, run.gate, run.total
    row_list = run.sorted_rows()
    seconds = time.monotonic() - run.t0
    by_id = run.by_id
    events_map = run.plan.targets if run.plan is not None else \
        {(e.user_id, e.event_index): by_id[e.user_id].events[e.event_index] for e in sample.events}
    in_sample = [r for r in row_list if question_key(r) in tally.rows]
    summary = {**Tally.summary(in_sample, total), "cached": tally.cached, "resumed": tally.resumed,
               "cost": tally.cost, "seconds": round(seconds, 3), "filtered_events": len(filtered),
               "events": len(run.work), "errors": run.errors, "warnings": list(tally.warnings),
               # the spend cap: why the run stopped early, and the calls whose price is unknown ($0)
               "max_cost": max_cost, "unknown_cost_calls": gate.unknown_calls}
    judge_skipped = judged and gate.reached
    summary["stopped"] = (gate.stop_reason() + ("; the judge was not run" if judge_skipped else "")) \
        if gate.reached and (summary["unanswered"] or judge_skipped) else ""
    run.progress("report", min(tally.done, total), total)

    def finish() -> dict[str, Any]:
        rep = build_report(row_list, filtered=filtered, judge=judge_rows, models=run.models, events=events_map,
                           settings=settings, biases=biases, run=summary)
        if out is not None:
            _write_json(out / "report.json", rep)
        return rep

    try:
        report = await asyncio.to_thread(finish)   # CPU work off the (GUI) event loop
    except OSError as exc:
        pred_path = out / "predictions.jsonl" if out else None
        raise BatchWriteError(f"{out / 'report.json' if out else 'report'}: the report cannot be written "
                              f"({exc}); the answers are in {pred_path}") from None
    return BatchResult(row_list, report, out, filtered, judge_rows, seconds, tally.cached)


def _fail_rest(e: SampledEvent, scen: str, target: dict[str, Any], specs: Sequence[Any], reason: str,
               kind: str, record: Callable[..., None], samples: int = 1) -> None:
    """A failed row for every question of event ``e`` that has none yet (``record`` skips those
    that have one), so an event that broke half-way still counts every question."""
    from workbench.simulate.questions import questions_for_event
    from workbench.simulate.runner import failed_prediction

    for q in questions_for_event(target):
        for s in specs:
            p = failed_prediction(s.model, q, reason, kind)
            for k in range(1 if s.is_baseline else samples):
                record(PredictionRow.of(e.user_id, e.event_index, scen, e.test_time_index, q, p, k).to_dict())


def _user_baseline(questions: list[Any], history: list[tuple[int, dict[str, Any]]],
                   truth_cache: dict[int, list[tuple[str, Any]]]) -> list[Any]:
    """``baseline:user`` with a per-user memo (see :func:`workbench.simulate.runner.user_baseline_memo`)."""
    from workbench.simulate.runner import user_baseline_memo

    return user_baseline_memo(questions, history, truth_cache)
