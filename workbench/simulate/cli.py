"""``workbench predict``: predict one event's behaviour with LLMs and baselines. Layer: entry (CLI).

    workbench predict PATH --user U --event I --model M [--model M2 ...] [--api-base URL]
        [--memory truncate|retrieve|summary] [--max-history-tokens N] [--lang zh|en] [--json]
        [--show-prompt] [--reference CHECKOUT] [--allow-failures N]

Prints each question's real and predicted values, tokens and cost. Exit status as ``workbench eval``
(:mod:`workbench.simulate.failures`): 0 when every answer came (or at most ``--allow-failures N``
did not), 1 otherwise with how many failed and why on stderr, 2 for bad input. ``--json`` prints
``{"questions": [{"field", "kind", "true_value", "predictions": [{"model", "predicted_value",
"predicted_label", "raw_output", "parse_ok"}]}], "history_event_indices": [...], "history_rule": str,
"history_candidates": int, "prompt_source": {...}, "answers": int, "failed": int, "failures":
[{"kind", "what", "count", "example"}]}``. The history is the benchmark's rolling history
when the event lies in its test window, else every earlier event; ``history_rule`` says which.
``--reference`` builds the prompts with the benchmark's own code from the user's checkout.
``--model baseline:user`` / ``--model baseline:population`` name the baselines. Top-level imports
stay light; the heavy ones happen inside :func:`run`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from workbench.simulate.failures import add_allow_failures
from workbench.simulate.tokens import tokenizer_argument
from workbench.simulate.types import extra_body_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``workbench predict``'s arguments (trace, user, event, models, memory, budget) to ``parser``."""
    parser.add_argument("path", help="trace file or folder (OmniBehavior JSON, JSONL, Parquet)")
    parser.add_argument("--user", required=True, help="user id")
    parser.add_argument("--event", required=True, type=int, help="event_index of the target event (0-based)")
    parser.add_argument("--model", action="append", required=True, metavar="M",
                        help="litellm model string, or baseline:user / baseline:population (repeatable)")
    parser.add_argument("--api-base", default=None, help="base URL of an OpenAI-compatible server")
    parser.add_argument("--memory", choices=("truncate", "retrieve", "summary"), default="truncate")
    parser.add_argument("--max-history-tokens", type=int, default=32000,
                        help="whole-prompt token budget, 4000-128000 (0 = no history); default 32000")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="prompt template language")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--show-prompt", action="store_true",
                        help="print the prompt of each question (to stderr with --json)")
    parser.add_argument("--temperature", type=float, default=0.1)
    parser.add_argument("--max-tokens", type=int, default=None, help="answer token limit (default per kind)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per call")
    parser.add_argument("--logprobs", action="store_true", help="ask for Yes/No logprobs on binary questions")
    parser.add_argument("--tokenizer", type=tokenizer_argument, default="approx", metavar="COUNTER",
                        help="token counter for the history budget: approx (the benchmark's fallback, "
                             "default), litellm, or the path of a Hugging Face tokenizer.json (the "
                             "benchmark counts with Qwen3-8B's)")
    parser.add_argument("--extra-body", type=extra_body_argument, default=None, metavar="JSON",
                        help='extra request fields for every LLM, e.g. '
                             '\'{"chat_template_kwargs": {"enable_thinking": false}}\'')
    parser.add_argument("--lenient-parsing", action="store_true",
                        help="also accept answers the benchmark rejects (upper-case think tags, curly "
                             "quotes, 是/否); never for benchmark runs")
    parser.add_argument("--concurrency", type=int, default=8, help="calls in flight at once")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the response cache")
    parser.add_argument("--reference", default=None, metavar="CHECKOUT",
                        help="build prompts with the benchmark's own code from this checkout of it")
    add_allow_failures(parser)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))
    s = str(value).replace("\n", " ")
    return s if len(s) <= 60 else s[:57] + "..."


def _load(args: argparse.Namespace) -> tuple[Any, list[tuple[int, dict[str, Any]]]] | int:
    """The traces and the user's ``(event_index, raw event)`` pairs, or the exit code 2 (said why)."""
    from workbench.simulate.prompts import check_budget
    from workbench.traces import TraceError, load_traces

    try:
        check_budget(args.max_history_tokens)
    except ValueError as exc:
        print(f"workbench predict: --max-history-tokens: {exc}", file=sys.stderr)
        return 2
    try:
        ts = load_traces(args.path)
    except (TraceError, OSError) as exc:
        print(f"workbench predict: {exc}", file=sys.stderr)
        return 2
    from workbench.traces.cache import notices

    for note in notices():
        print(f"workbench predict: warning: {note}", file=sys.stderr)
    if not ts.has_user(args.user):
        print(f"workbench predict: {args.path}: no user {args.user!r} "
              f"({len(ts.user_ids())} users, e.g. {', '.join(ts.user_ids()[:3])})", file=sys.stderr)
        return 2
    user = ts.user(args.user)  # decoded once (the population baseline below reuses it)
    indices = list(user.indices)
    if args.event not in set(indices):
        print(f"workbench predict: {args.path}: user {args.user}: no event {args.event} "
              f"(event_index runs {min(indices) if indices else '-'}..{max(indices) if indices else '-'})",
              file=sys.stderr)
        return 2
    return ts, user.items()


def _specs(args: argparse.Namespace) -> list[Any] | None:
    """The models to ask, or None after naming an unknown baseline."""
    from workbench.simulate.baselines import BASELINES
    from workbench.simulate.types import ModelSpec

    for m in args.model:
        if m.startswith("baseline:") and m not in BASELINES:
            print(f"workbench predict: --model {m}: unknown baseline (use {' or '.join(BASELINES)})",
                  file=sys.stderr)
            return None
    return [ModelSpec(model=m, api_base=None if m.startswith("baseline:") else args.api_base,
                      temperature=args.temperature, max_tokens=args.max_tokens,
                      use_logprobs=args.logprobs, timeout=args.timeout, extra_body=args.extra_body,
                      lenient_parsing=args.lenient_parsing) for m in args.model]


def run(args: argparse.Namespace) -> int:
    """Predict one event and print the answers; returns the exit code: 0 every answer came (or at most
    ``--allow-failures N`` did not), 1 answers failed (how many and why on stderr), 2 bad input."""
    import asyncio
    import json

    from workbench.simulate.baselines import BASELINE_POPULATION, BaselineStats
    from workbench.simulate.cache import ResponseCache
    from workbench.simulate.memory import rolling_history
    from workbench.simulate.reference import CheckoutError, load_reference, prompt_source
    from workbench.simulate.runner import run_event

    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    ts, events = loaded
    specs = _specs(args)
    if specs is None:
        return 2
    stats = None
    if BASELINE_POPULATION in args.model:
        stats = BaselineStats.from_users(ts.raw_events(u) for u in ts.user_ids())
    reference = None
    if args.reference:
        try:
            reference = load_reference(args.reference)
        except CheckoutError as exc:
            print(f"workbench predict: --reference: {exc}", file=sys.stderr)
            return 2
    history_indices, rule = rolling_history(events, args.event)
    cache = None if args.no_cache else ResponseCache(
        on_problem=lambda text: print(f"workbench predict: warning: {text}", file=sys.stderr))

    async def go():
        return await run_event(ts.profile(args.user), events, args.event, specs, memory=args.memory,
                               history_indices=history_indices,
                               max_history_tokens=args.max_history_tokens, lang=args.lang, cache=cache,
                               baselines=stats, semaphore=asyncio.Semaphore(max(1, args.concurrency)),
                               tokenizer=args.tokenizer, reference=reference)

    try:
        result = asyncio.run(go())
    except (ValueError, CheckoutError) as exc:
        print(f"workbench predict: {exc}", file=sys.stderr)
        return 2
    finally:
        if cache is not None:
            cache.close()

    if args.show_prompt:
        out = sys.stderr if args.json else sys.stdout
        for field, prompt in result.prompts.items():
            print(f"===== prompt for {field} ({prompt.tokens} tokens, memory {prompt.memory}) =====",
                  file=out)
            print(prompt.text, file=out)
    answers, failures = _failures(result, args.model)
    failed = sum(f["count"] for f in failures)
    if args.json:
        out = {**result.to_json(), "history_rule": rule, "history_candidates": len(history_indices),
               "prompt_source": prompt_source(reference, args.tokenizer),
               "answers": answers, "failed": failed, "failures": failures}
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        _print_text(args, result, events, rule, history_indices, reference)
    return _exit(answers, failures, args.allow_failures)


def _failures(result: Any, models: list[str]) -> tuple[int, list[dict[str, Any]]]:
    """``(answers asked for, failures by kind)``: one answer per question and model; a missing one
    counts as not asked."""
    from workbench.simulate.failures import failures_by_kind

    answers = len(result.questions) * len(models)
    preds = [p for m in models for p in result.predictions.get(m, [])]
    failed = [(p.error_kind, p.error) for p in preds if not p.parse_ok]
    return answers, failures_by_kind(failed, max(0, answers - len(preds)))


def _exit(answers: int, failures: list[dict[str, Any]], allowed: int) -> int:
    from workbench.simulate.failures import exit_status, failure_lines

    failed = sum(f["count"] for f in failures)
    if failed:
        print(f"workbench predict: {failed} of {answers} questions were not answered:", file=sys.stderr)
        for line in failure_lines(failures):
            print(line, file=sys.stderr)
    return exit_status("workbench predict", failed, answers, allowed)


def _print_text(args: argparse.Namespace, result: Any, events: list[tuple[int, dict[str, Any]]],
                rule: str, history_indices: list[int], reference: Any) -> None:
    """The answers as text: the event, the history used, then per question the real value and each
    model's answer with its tokens and cost."""
    target = dict(events)[args.event]
    hist = result.history_event_indices
    print(f"user {args.user}  event {args.event}  {target.get('type', '')}  {target.get('timestamp', '')}"
          f"{'  (filtered: excluded from metrics)' if result.filtered else ''}")
    first = next(iter(result.prompts.values()), None)
    print(f"history rule: {rule} ({len(history_indices)} candidate events)"
          + (f"  prompts: benchmark checkout {reference.root}" if reference is not None else ""))
    print(f"memory {args.memory}  history: {len(hist)} events"
          + (f" (event_index {hist[0]}..{hist[-1]})" if hist else "")
          + (f"  prompt {first.tokens} tokens ({args.tokenizer})" if first else ""))
    if result.summary_error:
        print(f"summary: {result.summary_error}")
    elif result.summary:
        call = result.summary_call
        cost = ("cached, cost 0" if call and call.cached else
                "cost unknown" if call is None or call.cost is None else f"cost ${call.cost:.6f}")
        tokens = f"tokens {call.prompt_tokens}+{call.completion_tokens}, " if call else ""
        print(f"summary of {len(first.summarized_event_indices) if first else 0} older events "
              f"({tokens}{cost}): {result.summary}")
    if not result.questions:
        print("no questions for this event (no_prediction_questions)")
        return
    _print_answers(args, result)


def _print_answers(args: argparse.Namespace, result: Any) -> None:
    width = max(len(m) for m in args.model)
    total_cost, unknown = 0.0, False
    for i, q in enumerate(result.questions):
        print(f"\n{q.field} ({q.kind})  real: {_fmt(q.true_value)}")
        for m, preds in result.predictions.items():
            if i >= len(preds):
                print(f"  {m:<{width}}  FAILED: not asked")
                continue
            p = preds[i]
            if p.parse_ok:
                shown = _fmt(p.predicted_label) if q.kind == "binary" else _fmt(p.predicted_value)
                if q.kind == "binary" and p.predicted_value not in (0.0, 1.0):
                    shown += f" (p={p.predicted_value:.3f})"
            else:
                shown = f"FAILED: {p.error}"
            if m.startswith("baseline:"):
                money = "no call"
            elif p.cached:
                money = "cached, cost 0"
            elif p.cost is None:
                money, unknown = "cost unknown", True
            else:
                money = f"cost ${p.cost:.6f}"
                total_cost += p.cost
            tokens = "" if m.startswith("baseline:") else f"  tokens {p.prompt_tokens}+{p.completion_tokens}"
            print(f"  {m:<{width}}  {shown}{tokens}  {money}")
    print(f"\ntotal cost: ${total_cost:.6f}" + (" (plus calls with unknown cost)" if unknown else ""))
