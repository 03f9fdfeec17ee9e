"""``workbench opera-eval``: the OPeRA next-action task over a folder. Layer: entry (light imports).

    workbench opera-eval FOLDER --model M [--model baseline:user ...] [--api-base URL]
                         [--split test|train|all] [--users U ...] [--max-sessions N] [--max-steps N]
                         [--page-tokens 4000] [--concurrency 8] [--max-cost USD] [--out DIR] [--fresh]
                         [--no-cache] [--json]

Predicts every action of the chosen sessions with each model, writes ``DIR/predictions.jsonl``
(resumable: run the same command again after an interrupt) and ``DIR/report.json``, and prints the
four figures per model (next-action accuracy, action-type macro F1, click-type weighted F1, session
purchase F1) with the terminate rates. Exit codes: 0 ok, 1 failure or interrupted, 2 invalid input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

_COLUMNS = (("next_action_accuracy", "accuracy %"), ("action_type_macro_f1", "type macro-F1"),
            ("click_type_weighted_f1", "click weighted-F1"), ("session_purchase_f1", "purchase F1"),
            ("terminate_rate_predicted", "stops %"), ("parse_failures", "unread"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``workbench opera-eval``'s arguments (folder, models, split, limits) to ``parser``."""
    parser.add_argument("path", type=Path, help="an OPeRA folder (dataset root, OPeRA_filtered or OPeRA_full)")
    parser.add_argument("--model", action="append", required=True,
                        help="litellm model string, or baseline:user / baseline:last (repeatable)")
    parser.add_argument("--api-base", default=None, help="base URL of an OpenAI-compatible server")
    parser.add_argument("--split", default="test", choices=("test", "train", "all"))
    parser.add_argument("--users", nargs="+", metavar="USER", help="only these users")
    parser.add_argument("--max-sessions", type=int, default=None, metavar="N")
    parser.add_argument("--max-steps", type=int, default=None, metavar="N", help="first N actions per session")
    parser.add_argument("--page-tokens", type=int, default=4000, help="token budget of the page text (4000)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-cost", type=float, default=None, metavar="USD",
                        help="start no new action once the answers cost this much")
    parser.add_argument("--temperature", type=float, default=0.1)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: opera-eval-<folder>)")
    parser.add_argument("--fresh", action="store_true", help="start over instead of resuming")
    parser.add_argument("--no-cache", action="store_true", help="do not use the response cache")
    parser.add_argument("--json", action="store_true", help="print the report's figures as JSON")


def summary_table(report: dict[str, Any]) -> str:
    """One line per model with the four figures."""
    head = f"{'model':<32}" + "".join(f"{label:>19}" for _k, label in _COLUMNS)
    lines = [head, "-" * len(head)]
    for model, m in report.get("models", {}).items():
        cells = "".join(f"{'-' if m.get(k) is None else m.get(k):>19}" for k, _label in _COLUMNS)
        lines.append(f"{model[:31]:<32}{cells}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run the next-action task on an OPeRA folder; returns the exit code (0 done, 2 bad input, named
    on stderr)."""
    import asyncio
    import json

    from workbench.evaluate.opera_batch import opera_targets, run_opera_batch
    from workbench.simulate.types import ModelSpec
    from workbench.traces import TraceError, load_traces

    if args.concurrency <= 0 or args.page_tokens <= 0:
        print("workbench opera-eval: --concurrency and --page-tokens must be positive", file=sys.stderr)
        return 2
    try:
        traces = load_traces(args.path)
    except TraceError as exc:
        print(f"workbench opera-eval: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    from workbench.traces.opera import OperaTraceSet

    if not isinstance(traces, OperaTraceSet):
        print(f"workbench opera-eval: {args.path}: expected an OPeRA folder (action/*.parquet)", file=sys.stderr)
        return 2
    try:
        targets = opera_targets(traces, split=args.split, users=args.users, max_sessions=args.max_sessions,
                                max_steps=args.max_steps)
    except ValueError as exc:
        print(f"workbench opera-eval: {exc}", file=sys.stderr)
        return 2
    specs = [ModelSpec(m, api_base=None if m.startswith("baseline:") else args.api_base,
                       temperature=args.temperature) for m in args.model]
    out = args.out or Path(f"opera-eval-{Path(args.path).resolve().name}")
    print(f"predicting {len(targets)} actions of {len({t.session_id for t in targets})} sessions with "
          f"{', '.join(s.model for s in specs)} -> {out}", file=sys.stderr)

    def on_progress(p: Any) -> None:
        if p.done == p.total or p.done % 50 == 0:
            print(p.line(), file=sys.stderr, flush=True)

    try:
        result = asyncio.run(run_opera_batch(traces, targets, specs, out_dir=out, concurrency=args.concurrency,
                                             use_cache=not args.no_cache, page_tokens=args.page_tokens,
                                             on_progress=on_progress, resume=not args.fresh,
                                             max_cost=args.max_cost))
    except KeyboardInterrupt:
        print(f"\ninterrupted: the answers so far are in {out / 'predictions.jsonl'}; "
              "run the same command again to resume", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"workbench opera-eval: {exc}", file=sys.stderr)
        return 2
    if result.report["run"].get("stopped"):
        print(f"stopped: {result.report['run']['stopped']}; run again with a higher --max-cost to go on",
              file=sys.stderr)
    for err in result.report["run"]["errors"][:3]:
        print(f"user {err['user_id']}, event {err['event_index']}: {err['error']}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.report["models"], indent=2))
    else:
        print(summary_table(result.report))
        for model, items in result.report.get("ask_why", {}).items():
            for item in items[:3]:
                print(f"\nask why ({model}), {item['user_id']} #{item['event_index']}:\n"
                      f"  shopper: {item['real']} -- \"{item['real_rationale']}\"\n"
                      f"  model:   {item['predicted'] or '(no answer)'} -- \"{item['model_reason'] or ''}\"")
    if result.rows and all(not r.get("parse_ok") for r in result.rows):
        return 1  # nothing could be scored: a failure, not a result
    return 0
