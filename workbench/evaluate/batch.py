"""Batch evaluation: a whole sample through several models, scored as the benchmark. Layer: evaluate
(pure + asyncio; no Qt).

:func:`run_batch` asks every question of every sampled event of every model/baseline:

* **One path**: each event is asked through :func:`workbench.simulate.runner.run_event`, the same
  path as the Predict panel and ``workbench predict``; each answer becomes a
  :class:`~workbench.evaluate.rows.PredictionRow`.
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
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from workbench.evaluate import metrics as M
from workbench.evaluate.prompt_index import PROMPTS_FILE, prompt_record
from workbench.evaluate.rows import PredictionRow, RowWriter, dumps_row, question_key, read_rows
from workbench.evaluate.sampling import Sample, SampledEvent, UserTrace, scenario_zh
from workbench.evaluate.tally import Tally
from workbench.fileio import atomic_write_text

if TYPE_CHECKING:
    from workbench.simulate.runner import CallLimit
    from workbench.tasks import TaskState

__all__ = ["BatchProgress", "BatchResult", "BatchWriteError", "run_batch", "records_from_rows", "build_report",
           "read_rows", "question_key", "count_questions"]

JUDGE_FIELD = "next_user_message"
JUDGE_CACHE_FIELD = "__llm_judge__"


class BatchWriteError(OSError):
    """predictions.jsonl or report.json cannot be written (full disk, read-only folder): the run
    stops, and the message names the file and what to do."""


@dataclass
class BatchProgress:
    """Progress of a batch: questions done of ``total``, ``elapsed`` seconds, rate (questions/s),
    ETA (seconds), cost (USD), cached and failed answers, and the phase."""

    done: int
    total: int
    elapsed: float
    rate: float                 # questions per second
    eta: float | None           # seconds
    cost: float                 # USD of non-cached calls so far
    cached: int
    failed: int
    phase: str = "predict"      # predict | judge | report
    max_cost: float | None = None   # the spend cap, USD (None: no cap)
    unknown_cost: int = 0       # calls at an unknown price, counted as $0 in ``cost``
    stopped: str = ""           # "" | "spend cap reached at $X (cap $Y)"

    def line(self) -> str:
        """The progress as one line for a terminal."""
        eta = "-" if self.eta is None else f"{self.eta:.0f}s"
        return (f"[{self.phase}] {self.done}/{self.total} questions  {self.rate:.1f}/s  ETA {eta}  "
                f"{self.cost_text()}  cached {self.cached}  failed {self.failed}")

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


_RowWriter = RowWriter     # the name earlier code and tests use


def _prepare_resume(path: Path) -> dict[tuple, dict[str, Any]]:
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


def records_from_rows(rows: Sequence[Mapping[str, Any]], *, filtered: Sequence[tuple[str, int]] = (),
                      judge: Sequence[Mapping[str, Any]] = (),
                      models: Sequence[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Per model, the reference-layout per-event records that :func:`metrics.compute_metrics` takes."""
    judged = {(str(j["model"]), str(j["user_id"]), int(j["event_index"])): j for j in judge
              if j.get("scores")}
    by_model: dict[str, dict[tuple[str, int], dict[str, Any]]] = {}
    order = list(models) if models is not None else list(dict.fromkeys(str(r["model"]) for r in rows))
    for m in order:
        by_model[m] = {}
    for r in rows:
        m = str(r["model"])
        events = by_model.setdefault(m, {})
        key = (str(r["user_id"]), int(r["event_index"]))
        rec = events.setdefault(key, {"user_id": key[0], "event_index": key[1],
                                      "scenario": r.get("scenario", ""), "filtered": False,
                                      "success": False, "questions": [], "failed_questions": []})
        q = {"field": r["field"], "type": r["kind"], "true_value": r.get("true_value"),
             "predicted_value": r.get("predicted_value"), "predicted_label": r.get("predicted_label"),
             "prediction_method": r.get("prediction_method", ""), "retry_count": r.get("retry_count", 0),
             "video_duration": r.get("video_duration", 0.0)}
        if r.get("parse_ok"):
            rec["questions"].append(q)
            rec["success"] = True
        else:
            q["error"] = r.get("error", "")
            rec["failed_questions"].append(q)
        j = judged.get((m, key[0], key[1]))
        if j is not None and r["field"] == JUDGE_FIELD:
            rec["llm_judge_scores"] = dict(j["scores"])
            rec["llm_judge_avg_score"] = j["average"]
    out: dict[str, list[dict[str, Any]]] = {}
    for m, events in by_model.items():
        recs = list(events.values())
        for u, e in filtered:
            recs.append({"user_id": u, "event_index": e, "scenario": "", "filtered": True,
                         "success": False, "questions": [], "failed_questions": []})
        out[m] = recs
    return out


def build_report(rows: Sequence[Mapping[str, Any]], *, filtered: Sequence[tuple[str, int]] = (),
                 judge: Sequence[Mapping[str, Any]] = (), models: Sequence[str] | None = None,
                 events: Mapping[tuple[str, int], Mapping[str, Any]] | None = None,
                 settings: Mapping[str, Any] | None = None, biases: bool = True,
                 run: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report.json content from prediction rows (and judge rows). Rows of several samples: the
    metrics and biases use sample 0, and a ``resample`` section summarises every sample."""
    from workbench.evaluate.resample import first_sample, resample_summary, sample_count

    all_rows, rows = rows, first_sample(rows)
    records = records_from_rows(rows, filtered=filtered, judge=judge, models=models)
    models_out: dict[str, Any] = {}
    summary = []
    by_scenario: dict[str, dict[str, Any]] = {}
    for m, recs in records.items():
        raw = M.compute_metrics(recs, m)
        rep = M.format_report(raw)
        rep["overall_score"] = rep["score_summary"]["overall_score"]
        models_out[m] = rep
        summary.append(rep["score_summary"])
        scen: dict[str, Any] = {}
        for s in dict.fromkeys(r["scenario"] for r in recs if not r["filtered"]):
            sub = [r for r in recs if r["scenario"] == s and not r["filtered"]]
            sraw = M.compute_metrics(sub, m)
            srep = M.format_report(sraw)
            scen[s] = {"binary_metrics": srep["binary_metrics"],
                       "continuous_metrics": srep["continuous_metrics"],
                       "llm_judge_metrics": srep["llm_judge_metrics"],
                       "Micro_F1": srep["overall"]["Micro_F1"], "Macro_F1": srep["overall"]["Macro_F1"],
                       "events": len(sub)}
        by_scenario[m] = scen
    report: dict[str, Any] = {"settings": dict(settings or {}), "models": models_out,
                              "score_summary": summary, "by_scenario": by_scenario}
    if biases:
        from workbench.evaluate.biases import all_biases

        report["biases"] = M.round_floats(all_biases(rows, events), 6)
    if sample_count(all_rows) > 1:
        report["resample"] = M.round_floats(resample_summary(all_rows, events, biases=biases,
                                                             models=models), 6)
    if run is not None:
        report["run"] = dict(run)
    return report


def _write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically; no key the process can see gets into the file."""
    from workbench.secrets import redact

    atomic_write_text(path, redact(json.dumps(data, ensure_ascii=False, indent=2, default=str)))


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
    from workbench.simulate.baselines import BaselineStats
    from workbench.simulate.filters import is_filtered
    from workbench.simulate.questions import questions_for_event
    from workbench.simulate.runner import run_event
    from workbench.simulate.spend import SpendCapError, SpendGate

    t0 = time.monotonic()
    if max_cost is not None and not max_cost > 0:
        raise ValueError("the spend cap must be more than $0")
    if samples < 1:
        raise ValueError("the number of samples must be 1 or more")
    by_id = dict(users) if isinstance(users, Mapping) else {u.user_id: u for u in users}
    specs = list(specs)
    models = [s.model for s in specs]
    from workbench.simulate.baselines import BASELINES

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
    from workbench.simulate.limits import bounded_concurrency

    warnings: list[str] = []
    concurrency, limit_note = bounded_concurrency(max(1, concurrency))
    if limit_note:
        warnings.append(limit_note)
        if on_warning is not None:
            on_warning(limit_note)
    if cache is None and use_cache:
        from workbench.simulate.cache import ResponseCache

        cache = ResponseCache(on_problem=on_warning)
    elif cache is not None and on_warning is not None and getattr(cache, "on_problem", False) is None:
        cache.on_problem = on_warning
        if cache.problem:
            on_warning(cache.problem)
    if baselines is None and any(s.model == "baseline:population" for s in specs):
        def population() -> Any:
            # population rates from the history window (no test event leaks into them); with no
            # history window, from each user's events before their first sampled event
            per_user = []
            for u in sample.users:
                evs = by_id[u.user_id].events
                if u.base_history_indices:
                    per_user.append([evs[i] for i in u.base_history_indices])
                elif u.sampled:
                    per_user.append(evs[:min(x.event_index for x in u.sampled)])
            return BaselineStats.from_users(per_user)

        baselines = await asyncio.to_thread(population)
    elif baselines is None:
        baselines = BaselineStats()

    out = Path(out_dir) if out_dir is not None else None
    pred_path = out / "predictions.jsonl" if out else None
    judge_path = out / "judge.jsonl" if out else None
    existing: dict[tuple, dict[str, Any]] = {}
    prompt_index_error: list[str] = []
    try:
        if out is not None and pred_path is not None and judge_path is not None:
            out.mkdir(parents=True, exist_ok=True)
            if resume:
                existing = _prepare_resume(pred_path)
            else:
                for p in (pred_path, judge_path, out / PROMPTS_FILE):
                    if p.exists():
                        p.unlink()
        writer = _RowWriter(pred_path)
        prompt_writer = _RowWriter(out / PROMPTS_FILE if out is not None else None)
    except OSError as exc:
        raise BatchWriteError(f"{out}: the output folder cannot be written ({exc}); "
                              "free space or choose another --out") from None

    # work list
    # baselines are deterministic: asked once; LLMs ``samples`` times
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

    tally = Tally(total)
    for msg in warnings:
        tally.warn(msg)
    errors: list[dict[str, Any]] = []
    fatal: list[BaseException] = []              # the predictions file cannot be written: stop
    prompts_by_event: dict[tuple[str, int], Any] = {}
    field_rank: dict[tuple[str, int], dict[str, int]] = {}   # per event: field -> question position
    truth_caches: dict[str, dict[int, list[tuple[str, Any]]]] = {}   # baseline:user, per user
    gate = SpendGate(concurrency, max_cost)     # the concurrency limit, and the spend cap
    sem = gate
    by_event: dict[tuple[str, int], list[tuple]] = {}
    for k in existing:
        by_event.setdefault((k[1], k[2]), []).append(k)

    def progress(phase: str = "predict", done: int | None = None, tot: int | None = None) -> None:
        if on_progress is None:
            return
        d = min(tally.done, total) if done is None else done
        t = total if tot is None else tot
        el = time.monotonic() - t0
        rate = d / el if el > 0 else 0.0
        eta = (t - d) / rate if rate > 0 else None
        on_progress(BatchProgress(d, t, el, rate, eta, tally.cost, tally.cached, tally.failed, phase,
                                  max_cost, gate.unknown_calls, gate.stop_reason()))

    def stop_requested() -> bool:
        return bool(fatal) or (task is not None and bool(getattr(task, "cancelled", False)))

    def record(row: dict[str, Any], *, cached: bool = False, cost: float | None = None) -> None:
        key = question_key(row)
        if key in existing or key in tally.rows or fatal:
            return
        try:
            writer.write(row)
        except OSError as exc:
            fatal.append(exc)
            return
        if tally.record(row, cached=cached, cost=cost):
            if on_row is not None:
                on_row(row)
            progress()

    async def do_event(e: SampledEvent) -> None:
        user = by_id[e.user_id]
        target = user.events[e.event_index]
        scen = scenario_zh(target)
        done_before = by_event.get((e.user_id, e.event_index), [])
        for k in done_before:                       # answered by an earlier run: not asked again
            tally.record(existing[k], resumed=True)

        def on_answer(a: Any) -> None:
            row = PredictionRow.of(e.user_id, e.event_index, scen, e.test_time_index, a.question,
                                   a.prediction, a.sample).to_dict()
            gate.add(a.prediction)
            record(row, cached=a.prediction.cached, cost=a.prediction.cost)

        try:
            result = await run_event(user.profile, list(enumerate(user.events)), e.event_index, specs,
                                     history_indices=[i for i in e.history_indices if i != e.event_index],
                                     memory=memory, max_history_tokens=max_history_tokens, lang=lang,
                                     cache=cache, baselines=baselines, semaphore=sem, on_answer=on_answer,
                                     policy=policy, tokenizer=tokenizer, build_in_thread=True,
                                     prompts_without_llm=memory == "summary",
                                     exclude_target_from_population=False,
                                     user_truth=truth_caches.setdefault(e.user_id, {}),
                                     reference=reference, samples=samples,
                                     skip={(k[0], *k[3:]) for k in done_before})
        except asyncio.CancelledError:
            raise
        except SpendCapError:
            return          # the summary call was refused at the spend cap: the event is not asked
        except Exception as exc:  # noqa: BLE001 - one bad event must not end the batch
            from workbench.secrets import redact

            reason = redact(f"{type(exc).__name__}: {exc}")
            errors.append({"user_id": e.user_id, "event_index": e.event_index, "error": reason})
            _fail_rest(e, scen, target, specs, reason, "event", record, samples)
            return
        field_rank[(e.user_id, e.event_index)] = {q.field: i for i, q in enumerate(result.questions)}
        prompt_rec = prompt_record(e.user_id, e.event_index, result.prompts)
        if prompt_rec is not None and not prompt_index_error:
            try:
                prompt_writer.write(prompt_rec)
            except OSError as exc:     # only the Compare view's prompts are lost, never an answer
                prompt_index_error.append(f"{PROMPTS_FILE} could not be written ({exc.strerror or exc}): "
                                          "the Compare view cannot show this run's prompts")
        if JUDGE_FIELD in result.prompts:
            prompts_by_event[(e.user_id, e.event_index)] = result.prompts[JUDGE_FIELD].text

    queue: asyncio.Queue[SampledEvent] = asyncio.Queue()
    for e in work:
        queue.put_nowait(e)

    async def worker() -> None:
        while True:
            try:
                e = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if stop_requested() or gate.reached:
                return
            await do_event(e)

    async def main() -> list[dict[str, Any]]:
        progress()
        n_workers = max(1, min(concurrency, len(work)))
        await asyncio.gather(*(worker() for _ in range(n_workers)))
        if fatal:
            return []
        if (judge_spec is not None or judge_call is not None) and not gate.reached:
            return await _run_judge(tally.rows, by_id, prompts_by_event, judge_spec, judge_call, cache,
                                    sem, judge_path, judge_pause, progress, judge_reference=reference)
        return []

    async def watch(fut: asyncio.Future) -> None:
        while not fut.done():
            if task is not None and getattr(task, "cancelled", False):
                fut.cancel()
                return
            await asyncio.sleep(0.05)

    main_task = asyncio.ensure_future(main())
    watcher = asyncio.ensure_future(watch(main_task)) if task is not None else None
    try:
        judge_rows = await main_task
    finally:
        if watcher is not None:
            watcher.cancel()
        if not main_task.done():
            main_task.cancel()
            try:
                await main_task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - already failing
                pass
        writer.close()
        prompt_writer.close()
    if writer.error is not None and not fatal:
        fatal.append(writer.error)
    if prompt_writer.error is not None and not prompt_index_error:
        why = prompt_writer.error.strerror or prompt_writer.error
        prompt_index_error.append(f"{PROMPTS_FILE} could not be written ({why}): "
                                  "the Compare view cannot show this run's prompts")
    if fatal:
        raise BatchWriteError(f"{pred_path}: the answers cannot be written ({fatal[0]}); "
                              "nothing was reported. Free space or choose another --out and run again.")
    if stop_requested():
        raise asyncio.CancelledError()
    if cache is not None and getattr(cache, "problem", None):
        tally.warn(cache.problem)
    if prompt_index_error:
        tally.warn(prompt_index_error[0])

    # the report is computed from exactly the rows in predictions.jsonl: this run's rows, and the
    # earlier run's rows kept in the file (for this sample they were not asked again)
    rows = dict(tally.rows)
    for k, r in existing.items():
        rows.setdefault(k, r)
    # model, user, event, then the event's question order (not the order the answers arrived in),
    # so the same answers always give the same report
    row_list = sorted(rows.values(), key=lambda r: (
        models.index(r["model"]) if r["model"] in models else len(models), r["user_id"], r["event_index"],
        field_rank.get((r["user_id"], r["event_index"]), {}).get(r["field"], -1), int(r.get("sample") or 0)))
    seconds = time.monotonic() - t0
    events_map = {(e.user_id, e.event_index): by_id[e.user_id].events[e.event_index] for e in sample.events}
    from workbench.simulate.reference import prompt_source

    settings = {**sample.settings, "models": models, "concurrency": concurrency,
                **({"samples": samples} if samples > 1 else {}),
                "max_history_tokens": max_history_tokens, "memory": memory, "lang": lang,
                **prompt_source(reference, tokenizer),
                "judge_model": getattr(judge_spec, "model", None) if judge_spec is not None else None}
    in_sample = [r for r in row_list if question_key(r) in tally.rows]
    run = {**Tally.summary(in_sample, total), "cached": tally.cached, "resumed": tally.resumed,
           "cost": tally.cost, "seconds": round(seconds, 3), "filtered_events": len(filtered),
           "events": len(work), "errors": errors, "warnings": list(tally.warnings),
           # the spend cap: why the run stopped early, and the calls whose price is unknown ($0)
           "max_cost": max_cost, "unknown_cost_calls": gate.unknown_calls}
    judge_skipped = (judge_spec is not None or judge_call is not None) and gate.reached
    run["stopped"] = (gate.stop_reason() + ("; the judge was not run" if judge_skipped else "")) \
        if gate.reached and (run["unanswered"] or judge_skipped) else ""
    progress("report", min(tally.done, total), total)

    def finish() -> dict[str, Any]:
        rep = build_report(row_list, filtered=filtered, judge=judge_rows, models=models, events=events_map,
                           settings=settings, biases=biases, run=run)
        if out is not None:
            _write_json(out / "report.json", rep)
        return rep

    try:
        report = await asyncio.to_thread(finish)   # CPU work off the (GUI) event loop
    except OSError as exc:
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


async def _run_judge(rows: Mapping[tuple, Mapping[str, Any]], by_id: Mapping[str, UserTrace],
                     prompts: Mapping[tuple[str, int], str], judge_spec: Any, judge_call: Any,
                     cache: Any, sem: CallLimit, path: Path | None, pause: float,
                     progress: Callable[..., None], judge_reference: Any = None) -> list[dict[str, Any]]:
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
    writer = _RowWriter(path)
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
