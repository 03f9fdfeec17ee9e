"""Ask one event's questions of several models and baselines: the one per-event path. Layer: simulate
(pure + asyncio).

:func:`run_event` builds the questions and prompts of one target event, then asks every question of
every model concurrently (``asyncio.gather`` over questions x models, optionally limited by a
semaphore), reporting each answer through ``on_prediction`` / ``on_answer`` as it arrives. The
Predict panel, ``workbench predict`` and the batch runner (:func:`workbench.evaluate.batch.run_batch`)
all ask through it. Cancelling the task that awaits ``run_event`` cancels every call in flight;
nothing is reported after that.

A question whose call fails in an unexpected way (not a provider error, which ``predict`` already
turns into a failed :class:`Prediction`) is still reported, as a failed prediction naming the cause:
every question asked gets exactly one answer. A question the
:class:`~workbench.simulate.spend.SpendGate` refuses (spend cap reached) is not asked and not reported;
the summary call of the ``summary`` memory lets :class:`SpendCapError` propagate.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Callable, Collection, Sequence

from workbench.simulate import prompts as P
from workbench.simulate.baselines import BASELINE_USER, BASELINES, BaselineStats
from workbench.simulate.cache import ResponseCache
from workbench.simulate.filters import is_filtered
from workbench.simulate.memory import SUMMARY_MAX_TOKENS
from workbench.simulate.parsing import strip_think
from workbench.simulate.providers import ProviderError, RetryPolicy, predict, summarize
from workbench.simulate.questions import questions_for_event
from workbench.simulate.spend import SpendCapError
from workbench.simulate.types import ModelSpec, Prediction, Prompt, Question
from workbench.simulate.user_history import UserTruth, user_baseline_memo

__all__ = ["SUMMARY_FIELD", "Answer", "CallLimit", "EventResult", "UserTruth", "UserTruthMemo",
           "failed_prediction", "run_event", "sample_hash", "split_history", "user_baseline_memo"]

log = logging.getLogger(__name__)

SUMMARY_FIELD = "__memory_summary__"

#: What bounds concurrent calls: an ``asyncio.Semaphore`` or a
#: :class:`~workbench.simulate.spend.SpendGate` (which also refuses new calls at a spend cap).
CallLimit = AbstractAsyncContextManager[Any]

#: Per user, each history event's ground truth as ``[(field, value)]`` (``event_index`` -> pairs):
#: ``baseline:user`` computes it once per user instead of once per target; a
#: :class:`~workbench.simulate.user_history.UserTruth` also keeps running statistics.
UserTruthMemo = dict[int, list[tuple[str, Any]]]


@dataclass(frozen=True)
class Answer:
    """One model's (or baseline's) answer to one question of the target event."""

    question: Question
    prediction: Prediction
    sample: int = 0          # which of the ``samples`` repeats of the question (0 = the first)


@dataclass
class EventResult:
    """Everything asked for one event: the questions, each model's prompt and predictions (aligned
    with the questions) and the history used."""

    questions: list[Question]
    prompts: dict[str, Prompt]
    predictions: dict[str, list[Prediction]]           # model -> aligned with questions
    history_event_indices: tuple[int, ...]
    filtered: bool
    target_index: int = -1
    memory: str = "truncate"
    summary: str | None = None                          # memory "summary": the paragraph used
    summary_error: str = ""
    summary_call: Prediction | None = None              # tokens/cost of the summary call (cached: cost 0)
    summary_covers: list[int] | None = None             # memory "summary": the event indices it covers
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON shape: questions with every model's prediction, and the history used."""
        return {"questions": [
            {"field": q.field, "kind": q.kind, "true_value": q.true_value,
             "predictions": [{"model": m, "predicted_value": preds[i].predicted_value,
                              "predicted_label": preds[i].predicted_label,
                              "raw_output": preds[i].raw_output, "parse_ok": preds[i].parse_ok}
                             for m, preds in self.predictions.items() if i < len(preds)]}
            for i, q in enumerate(self.questions)],
            "history_event_indices": list(self.history_event_indices)}


def split_history(events: Sequence[tuple[int, dict[str, Any]]], target_index: int,
                  history_indices: Sequence[int] | None) -> tuple[dict[str, Any], list[tuple[int, dict[str, Any]]]]:
    """(target event, history pairs) of ``events`` (``(event_index, event)`` pairs in file order).

    ``history_indices`` None: every event before the target; else exactly those events (file order).
    Raises ValueError when the target is not in ``events`` or is in ``history_indices``."""
    target = None
    position = -1
    if 0 <= target_index < len(events) and events[target_index][0] == target_index:
        position, target = target_index, events[target_index][1]     # ``events`` as enumerate() gives
    else:
        for pos, (idx, ev) in enumerate(events):
            if idx == target_index:
                target, position = ev, pos
                break
    if target is None:
        raise ValueError(f"event {target_index} is not in this user's trace "
                         f"({len(events)} events, indices {events[0][0] if events else '-'}"
                         f"..{events[-1][0] if events else '-'})")
    if history_indices is None:
        return target, list(events[:position])
    wanted = set(history_indices)
    if target_index in wanted:
        raise ValueError(f"history_indices must not contain the target event {target_index}")
    order = sorted(wanted)
    if order and order[0] >= 0 and order[-1] < len(events):      # positions = event indices: pick them
        picked = list(map(events.__getitem__, order))
        if list(map(itemgetter(0), picked)) == order:
            return target, picked
    return target, [(i, e) for i, e in events if i in wanted]


def failed_prediction(model: str, question: Question, error: str, kind: str = "internal") -> Prediction:
    """A question that got no answer, with the reason in plain words (redacted) and its kind."""
    from workbench.secrets import redact

    return Prediction(model=model, field=question.field, predicted_value=None, predicted_label=None,
                      raw_output="", parse_ok=False, error=redact(error), error_kind=kind)


async def run_event(profile: str, events: Sequence[tuple[int, dict[str, Any]]], target_index: int,
                    specs: Sequence[ModelSpec], *, history_indices: Sequence[int] | None = None,
                    memory: str = "truncate", max_history_tokens: int = 32000, lang: str = "zh",
                    cache: ResponseCache | None = None, baselines: BaselineStats | None = None,
                    semaphore: CallLimit | None = None,
                    on_prediction: Callable[[Prediction], None] | None = None,
                    on_answer: Callable[[Answer], None] | None = None,
                    policy: RetryPolicy | None = None, tokenizer: str = "approx",
                    summary_spec: ModelSpec | None = None, build_in_thread: bool = False,
                    prompts_without_llm: bool = True, exclude_target_from_population: bool = True,
                    user_truth: UserTruthMemo | None = None,
                    skip: Collection[tuple[Any, ...]] = (), reference: Any = None,
                    samples: int = 1) -> EventResult:
    """Ask every question of the target event of every model/baseline in ``specs``.

    ``events``: the user's ``(event_index, event)`` pairs in file order; ``history_indices``: see
    :func:`split_history`. ``build_in_thread``: build the prompts (and the baseline statistics) with
    ``asyncio.to_thread`` so the event loop (the GUI's, under qasync) keeps running while a long
    history is rendered; the result is the same either way. ``prompts_without_llm`` False: no prompt
    is rendered when ``specs`` has only baselines (a batch of baselines needs none).
    ``exclude_target_from_population`` False: the population statistics are known not to contain
    the target (a batch's history window), so nothing is taken out of them. ``user_truth``: a
    per-user memo for ``baseline:user`` (same result, computed once per history event).
    ``skip``: ``(model, field)`` questions already answered elsewhere (a resumed batch): not asked,
    not reported, absent from ``predictions``; ``(model, field, sample)`` skips one later sample.

    Each answer goes to ``on_prediction(prediction)`` and ``on_answer(Answer)``. Raises ValueError
    for an unknown baseline or a target that is not in ``events``. ``reference``: a loaded benchmark
    checkout whose own builder renders the prompts (memory ``truncate`` only).

    ``samples`` K > 1: every LLM question is asked K times (baselines, being deterministic, once);
    each answer carries its ``Answer.sample`` number, sample ``s`` > 0 is cached under its own key
    (:func:`sample_hash`; sample 0 keeps the plain key), and ``EventResult.predictions`` holds sample 0."""
    target, history = split_history(events, target_index, history_indices)
    questions = questions_for_event(target)
    result = EventResult(questions=questions, prompts={}, predictions={s.model: [] for s in specs},
                         history_event_indices=(), filtered=is_filtered(target), target_index=target_index,
                         memory=memory)
    if not questions:
        result.errors.append("no_prediction_questions")
        return result
    _check_baselines(specs)
    llm_specs = [s for s in specs if not s.is_baseline]

    async def off_loop(fn: Callable[[], Any]) -> Any:
        return await asyncio.to_thread(fn) if build_in_thread else fn()

    opts = _PromptOptions(profile, history, target, max_history_tokens, lang, memory, tokenizer, reference)
    if memory == "summary":
        await _summary_memory(result, opts, questions, summary_spec or (llm_specs[0] if llm_specs else None),
                              cache, policy, semaphore, off_loop)
    stats = baselines or BaselineStats()

    def prepare() -> tuple[dict[str, Prompt], dict[str, list[Prediction]]]:
        prompts = opts.prompts(questions, result.summary, result.summary_covers) \
            if llm_specs or prompts_without_llm else {}
        return prompts, {s.model: _baseline(s.model, questions, history, stats, user_truth,
                                            exclude_target_from_population) for s in specs if s.is_baseline}

    result.prompts, base_preds = await off_loop(prepare)
    if result.prompts:
        result.history_event_indices = result.prompts[questions[0].field].history_event_indices
    report = _Reporter(questions, specs, on_prediction, on_answer)
    skipped = set(skip)
    for model, preds in base_preds.items():
        for i, p in enumerate(preds):
            if (model, questions[i].field) not in skipped:
                report(i, p)

    async def one(spec: ModelSpec, i: int, q: Question, sample: int = 0) -> None:
        pred = await _ask_safely(spec, result.prompts[q.field], q, cache, semaphore, policy, sample)
        if pred is not None:
            report(i, pred, sample)

    await asyncio.gather(*(one(s, i, q, k) for k in range(max(1, samples)) for s in llm_specs
                           for i, q in enumerate(questions)
                           if ((s.model, q.field) if k == 0 else (s.model, q.field, k)) not in skipped))
    result.predictions = report.predictions()
    return result


class _Reporter:
    """Reports each answer to ``on_prediction`` / ``on_answer`` and keeps sample 0 in its question's
    slot, so :meth:`predictions` lists them aligned with the questions, whatever order they came in."""

    def __init__(self, questions: Sequence[Question], specs: Sequence[ModelSpec],
                 on_prediction: Callable[[Prediction], None] | None,
                 on_answer: Callable[[Answer], None] | None) -> None:
        self.questions = questions
        self.slots: dict[str, list[Prediction | None]] = {s.model: [None] * len(questions) for s in specs}
        self.on_prediction, self.on_answer = on_prediction, on_answer

    def __call__(self, i: int, p: Prediction, sample: int = 0) -> None:
        if sample == 0:
            self.slots[p.model][i] = p
        if self.on_prediction is not None:
            self.on_prediction(p)
        if self.on_answer is not None:
            self.on_answer(Answer(self.questions[i], p, sample))

    def predictions(self) -> dict[str, list[Prediction]]:
        """Per model, the sample-0 answers in question order (questions not answered left out)."""
        return {m: [p for p in preds if p is not None] for m, preds in self.slots.items()}


def _check_baselines(specs: Sequence[ModelSpec]) -> None:
    """Raise ValueError naming the first baseline in ``specs`` that does not exist."""
    for s in specs:
        if s.is_baseline and s.model not in BASELINES:
            raise ValueError(f"unknown baseline {s.model!r}: use {' or '.join(BASELINES)}")


@dataclass
class _PromptOptions:
    """How one target's prompts are built (the arguments :func:`prompts.build_prompt` shares)."""

    profile: str
    history: list[tuple[int, dict[str, Any]]]
    target: dict[str, Any]
    max_history_tokens: int
    lang: str
    memory: str
    tokenizer: str
    reference: Any

    def prompts(self, questions: Sequence[Question], summary: str | None,
                covers: Sequence[int] | None) -> dict[str, Prompt]:
        """Every question's prompt, the history walked once for all of them."""
        walk = P.HistoryWalk()
        return {q.field: P.build_prompt(
            self.profile, self.history, self.target, q, max_history_tokens=self.max_history_tokens,
            lang=self.lang, memory=self.memory, summary=summary, summary_covers=covers,
            tokenizer=self.tokenizer, reference=self.reference, walk=walk) for q in questions}


async def _summary_memory(result: EventResult, opts: _PromptOptions, questions: Sequence[Question],
                          sspec: ModelSpec | None, cache: ResponseCache | None, policy: RetryPolicy | None,
                          semaphore: CallLimit | None, off_loop: Callable[[Callable[[], Any]], Any]) -> None:
    """Memory ``summary``: find the older events it covers and have ``sspec`` summarise them (from
    the cache when it can); fills ``result.summary``, ``summary_covers``, ``summary_error`` and
    ``summary_call``. Lets :class:`SpendCapError` propagate."""
    older = await off_loop(lambda: P.summary_covers(
        opts.profile, opts.history, opts.target, questions[0], max_history_tokens=opts.max_history_tokens,
        lang=opts.lang, tokenizer=opts.tokenizer))
    result.summary_covers = [i for i, _ in older]
    if older and sspec is not None:
        request = P.summary_input(older, opts.lang, max(opts.max_history_tokens, 4000), opts.tokenizer)
        result.summary, result.summary_error, result.summary_call = await _summary(
            sspec, request, cache, policy, semaphore)
    elif older:
        result.summary_error = "no language model was chosen to write the summary"


async def _ask_safely(spec: ModelSpec, prompt: Prompt, q: Question, cache: ResponseCache | None,
                      semaphore: CallLimit | None, policy: RetryPolicy | None, sample: int) -> Prediction | None:
    """:func:`_ask`, with an unexpected failure turned into a failed prediction naming the cause;
    None when the spend cap refused the question (not asked, nothing to report)."""
    try:
        return await _ask(spec, prompt, q, cache, semaphore, policy, sample)
    except asyncio.CancelledError:
        raise
    except SpendCapError:
        return None
    except Exception as exc:  # noqa: BLE001 - a question always gets an answer, failed if need be
        log.warning("question %s of model %s failed: %s", q.field, spec.model, type(exc).__name__)
        return failed_prediction(spec.model, q, f"{type(exc).__name__}: {exc}")


async def _ask(spec: ModelSpec, prompt: Prompt, q: Question, cache: ResponseCache | None,
               semaphore: CallLimit | None, policy: RetryPolicy | None, sample: int = 0) -> Prediction:
    """One question of one model: from the cache, else a call (stored in the cache when it parsed)."""
    key = sample_hash(prompt.prompt_hash, sample)
    pred = cache.get(spec, key, q.field, q.kind) if cache is not None else None
    if pred is not None:
        return pred
    if semaphore is not None:
        async with semaphore:
            pred = await predict(spec, prompt.text, q.field, q.kind, policy=policy)
    else:
        pred = await predict(spec, prompt.text, q.field, q.kind, policy=policy)
    if cache is not None:
        cache.put(spec, key, q.field, q.kind, pred)
    return pred


def sample_hash(prompt_hash: str, sample: int) -> str:
    """The prompt hash the response cache keys sample ``sample`` of a question by: the prompt's own
    hash for sample 0 (so caches written before resampling stay valid), else ``HASH#sample=N``."""
    return prompt_hash if sample == 0 else f"{prompt_hash}#sample={sample}"


def _baseline(model: str, questions: list[Question], history: list[tuple[int, dict[str, Any]]],
              stats: BaselineStats, user_truth: UserTruthMemo | None, exclude_target: bool) -> list[Prediction]:
    """A baseline's predictions for the target's questions from its history."""
    if model == BASELINE_USER and user_truth is not None:
        return user_baseline_memo(questions, history, user_truth)
    return stats.predict(model, questions, [ev for _, ev in history],
                         exclude=questions if exclude_target else ())


async def _summary(spec: ModelSpec, request: str, cache: ResponseCache | None, policy: RetryPolicy | None,
                   semaphore: CallLimit | None) -> tuple[str | None, str, Prediction | None]:
    """(summary text or None, error text, the call's record) for the summary memory."""
    h = hashlib.sha256(request.encode("utf-8")).hexdigest()
    if cache is not None:
        hit = cache.get(spec, h, SUMMARY_FIELD, "text")
        if hit is not None:
            return str(hit.predicted_value), "", hit
    try:
        if semaphore is not None:
            async with semaphore:
                res = await summarize(spec, request, max_tokens=SUMMARY_MAX_TOKENS, policy=policy)
        else:
            res = await summarize(spec, request, max_tokens=SUMMARY_MAX_TOKENS, policy=policy)
    except ProviderError as err:
        return None, err.message, None
    text = strip_think(res.text).strip()
    record = Prediction(model=spec.model, field=SUMMARY_FIELD, predicted_value=text, predicted_label=text,
                        raw_output=res.text, parse_ok=bool(text), prediction_method="summary",
                        prompt_tokens=res.prompt_tokens, completion_tokens=res.completion_tokens, cost=res.cost,
                        retry_count=res.retries)
    if not text:
        return None, "the summary call returned an empty answer", record
    if cache is not None:
        cache.put_text(spec, h, SUMMARY_FIELD, text, prompt_tokens=res.prompt_tokens,
                       completion_tokens=res.completion_tokens, cost=res.cost)
    return text, "", record
