"""``workbench blind build|report``: the blind "which one is the real user?" test. Layer: entry (CLI).

    workbench blind build RUN --model M --n N --out DB [--trace DATA] [--seed S]
    workbench blind report DB [--json]

``RUN`` is an evaluation run folder (its ``predictions.jsonl``) or the file itself. With ``--trace``
the customer-service items show the dialogue so far. ``DB`` is a case store (new or existing): the
items go into it, picks are made in the window (Evaluation ▸ Blind test…), and easy picks become
cases there. Exit codes: 0 ok, 1 failure, 2 invalid input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.annotate.store import CaseStore


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``workbench blind`` subcommands (build, report) to ``parser``."""
    sub = parser.add_subparsers(dest="blind_command", metavar="{build,report}")
    sub.required = True
    b = sub.add_parser("build", help="draw blind items from a model's answers in an evaluation run",
                       description="Draw blind 'which one is real?' items from a model's answers.")
    b.add_argument("run", type=Path, help="evaluation run folder (or its predictions.jsonl)")
    b.add_argument("--model", required=True, help="the model whose answers are compared with the real ones")
    b.add_argument("--n", type=int, default=50, help="number of items (default 50)")
    b.add_argument("--out", type=Path, required=True, help="case store that receives the items")
    b.add_argument("--trace", type=Path, default=None, help="the traces, for the dialogue so far")
    b.add_argument("--seed", type=int, default=0, help="seed of the event draw and the A/B order")
    r = sub.add_parser("report", help="detection rate per model and scenario with Wilson 95% intervals",
                       description="How often the annotators found the real side (50% is chance).")
    r.add_argument("db", type=Path, help="case store with a blind session")
    r.add_argument("--json", action="store_true", help="print JSON")


def _fail(message: str, code: int = 2) -> int:
    print(f"workbench blind: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    """Run ``workbench blind build`` or ``report``; returns the exit code (0 done, 2 bad input or store
    error, explained on stderr)."""
    from workbench.annotate.store import CaseStore, StoreError

    try:
        if args.blind_command == "build":
            return _build(args, CaseStore)
        if not args.db.exists():
            return _fail(f"{args.db}: no such case store")
        with CaseStore(args.db, readonly=True) as store:
            return _report(args, store)
    except StoreError as exc:
        return _fail(str(exc))


def _dialogues(trace: Path, keys: set[tuple[str, int]]) -> dict[tuple[str, int], list[dict[str, str]]]:
    """The turns before the real next user message (the question's target turn) of each
    customer-service event."""
    from workbench.annotate.blind import CS_FIELD, dialogue_so_far
    from workbench.annotate.context import raw_events_for
    from workbench.simulate.questions import questions_for_event
    from workbench.traces import load_traces

    traces = load_traces(trace)
    out: dict[tuple[str, int], list[dict[str, str]]] = {}
    for user in {u for u, _ in keys}:
        events = raw_events_for(traces, user)
        for u, i in keys:
            if u == user and i in events:
                question = next((q for q in questions_for_event(events[i]) if q.field == CS_FIELD), None)
                if question is not None:
                    out[(u, i)] = dialogue_so_far(question)
    return out


def _build(args: argparse.Namespace, store_cls: Any) -> int:
    from workbench.annotate.blind import BlindError, build_items
    from workbench.annotate.queue import QueueError, load_prediction_rows

    path = args.run / "predictions.jsonl" if args.run.is_dir() else args.run
    if args.n < 1:
        return _fail("--n must be at least 1")
    try:
        rows = load_prediction_rows(path)
    except QueueError as exc:
        return _fail(str(exc))
    dialogues = None
    if args.trace is not None:
        from workbench.traces import TraceError

        keys = {(str(r["user_id"]), int(r["event_index"])) for r in rows
                if r.get("model") == args.model and r.get("field") == "next_user_message"}
        try:
            dialogues = _dialogues(args.trace, keys)
        except TraceError as exc:
            return _fail(str(exc))
    try:
        items = build_items(rows, args.model, args.n, seed=args.seed, dialogues=dialogues,
                            source=str(path.resolve()))
    except BlindError as exc:
        return _fail(f"{path}: {exc}")
    with store_cls(args.out) as store:
        items = store.append_blind_items(items)
    kinds = {k: sum(i.kind == k for i in items) for k in ("message", "reactions")}
    print(f"{len(items)} blind item(s) of {args.model} into {args.out} ({kinds['message']} customer-service "
          f"message(s), {kinds['reactions']} reaction set(s)); seed {args.seed}")
    return 0


def _report(args: argparse.Namespace, store: CaseStore) -> int:
    from dataclasses import asdict

    from workbench.annotate.blind import detection_rates

    items, picks = store.blind_items(), store.blind_picks()
    rates = detection_rates(items, picks)
    annotators = sorted({p.annotator for p in picks})
    data = {"items": len(items), "picks": len(picks), "annotators": annotators, "chance": 0.5,
            "detection": [{**asdict(r), "better_than_chance": r.better_than_chance} for r in rates]}
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    print(f"{len(items)} item(s), {len(picks)} pick(s) by {', '.join(annotators) or 'nobody yet'}")
    from workbench.traces.schema import english_scenario

    for r in rates:
        where = english_scenario(r.scenario) if r.scenario else "all scenarios"
        print(f"  {r.model:<28} {where:<20} {r.correct}/{r.picks} = {r.rate:.0%} "
              f"(95% {r.low:.0%}-{r.high:.0%}){'  above chance' if r.better_than_chance else ''}")
    return 0
