"""``workbench cases ...``: scripted flagging, listing, queues and exports of cases. Layer: entry (CLI).

    workbench cases add DB --trace PATH --user U --event I --tag T [--tag T2] --note TEXT
                        [--field F ...] [--severity N] [--author A]
    workbench cases export DB --format jsonl|csv|parquet|html --out PATH [--pseudonymise [--salt S]]
                        [--coarsen day|hour] [--tag T] [--user U] [--model M] [--field F] [--text Q]
                        [--run EVAL_RUN]   (html: the first section's hyper-activity from that run)
    workbench cases list DB [--json] [filters]
    workbench cases queue DB --predictions predictions.jsonl --model M --field F [--name N]
    workbench cases tags DB
    workbench cases merge|agreement|disagreements|adjudicate|mark|suggest|spans ...   (see cli_annotators)

Top-level imports stay light (argparse, pathlib); the work is imported inside :func:`run`.
Exit codes: 0 ok, 1 failure, 2 invalid input (one line on stderr naming file/user/event/field).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.annotate.store import CaseStore


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``workbench cases`` subcommands and their options to ``parser``."""
    sub = parser.add_subparsers(
        dest="cases_command",
        metavar="{add,export,list,queue,tags,merge,agreement,disagreements,adjudicate,mark,suggest,spans}")
    sub.required = True

    def filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--tag", help="only cases with this tag (name, label or shortcut digit)")
        p.add_argument("--user", help="only cases of this user id")
        p.add_argument("--model", help="only cases with a prediction by this model")
        p.add_argument("--field", help="only cases about this field")
        p.add_argument("--text", help="only cases whose note, prompt, ids or outputs contain this text")

    add = sub.add_parser("add", help="flag one event of a trace as a case",
                         description="Flag one event of a trace as an annotated case.")
    add.add_argument("db", type=Path, help="case store (SQLite; created if missing)")
    add.add_argument("--trace", type=Path, required=True, help="trace file or folder")
    add.add_argument("--user", required=True, help="user id")
    add.add_argument("--event", type=int, required=True, help="event_index (0-based)")
    add.add_argument("--tag", action="append", default=[], help="tag (repeatable): name, label or digit")
    add.add_argument("--note", default="", help="free-text note")
    add.add_argument("--field", action="append", default=[],
                     help="predicted field the case is about (repeatable; default: all of the event's)")
    add.add_argument("--severity", type=int, default=0, choices=range(0, 4), help="0-3 (default 0)")
    add.add_argument("--author", default=None, help="author (default: the login name)")
    add.add_argument("--json", action="store_true", help="print the stored case as JSON")

    exp = sub.add_parser("export", help="export cases as JSONL, CSV, Parquet or an HTML report",
                         description="Export cases as JSONL, CSV, Parquet or a self-contained HTML report.")
    exp.add_argument("db", type=Path, help="case store")
    exp.add_argument("--format", required=True, choices=("jsonl", "csv", "parquet", "html"))
    exp.add_argument("--out", type=Path, required=True, help="output file")
    exp.add_argument("--pseudonymise", "--pseudonymize", action="store_true",
                     help="replace user ids with salted HMAC-SHA256 pseudonyms")
    exp.add_argument("--salt", default=None,
                     help="pseudonym salt (default: random per export; never written to the export)")
    exp.add_argument("--coarsen", choices=("day", "hour"), default=None,
                     help="cut every timestamp in the export to the hour or the day")
    exp.add_argument("--title", default="Annotated cases", help="report title (html)")
    exp.add_argument("--run", type=Path, default=None,
                     help="evaluation run folder (or its report.json) whose hyper-activity measure the "
                          "report's first section shows (html; default: the cases' own predictions)")
    filters(exp)

    lst = sub.add_parser("list", help="list cases", description="List the cases of a store.")
    lst.add_argument("db", type=Path, help="case store")
    lst.add_argument("--json", action="store_true", help="one JSON object per line")
    filters(lst)

    q = sub.add_parser("queue", help="build a persisted review queue of one model's mismatches on one field",
                       description="Build a persisted review queue: every mismatch of one model on one "
                                   "field, most confident first.")
    q.add_argument("db", type=Path, help="case store")
    q.add_argument("--predictions", type=Path, required=True, help="predictions.jsonl of a batch run")
    q.add_argument("--model", required=True)
    q.add_argument("--field", required=True)
    q.add_argument("--name", default=None, help="queue name (default: MODEL FIELD mismatches)")

    tg = sub.add_parser("tags", help="show the bias taxonomy", description="Show the store's bias taxonomy.")
    tg.add_argument("db", type=Path, help="case store")

    from workbench.annotate import cli_annotators

    cli_annotators.add_arguments(sub)


def _fail(message: str, code: int = 2) -> int:
    print(f"workbench cases: {message}", file=sys.stderr)
    return code


def _default_author() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): cases stay anonymous
        return ""


def _filters(args: argparse.Namespace, store: CaseStore) -> dict[str, Any]:
    tag = None
    if getattr(args, "tag", None):
        tag = store.resolve_tag(args.tag).name
    return {"tag": tag, "user": args.user, "model": args.model, "field": args.field, "text": args.text}


def run(args: argparse.Namespace) -> int:
    """Run one ``workbench cases`` subcommand; returns the exit code (0 done, 2 bad input or store error,
    with one line on stderr naming the problem)."""
    from workbench.annotate.store import CaseStore, StoreError

    command = args.cases_command
    from workbench.annotate import cli_annotators

    if command in cli_annotators.COMMANDS:
        return cli_annotators.run(args)
    if command in ("export", "list", "queue", "tags") and not args.db.exists():
        return _fail(f"{args.db}: no such case store")
    # reading commands never write: they work on read-only media, old schemas and damaged stores
    readonly = command in ("export", "list", "tags")
    try:
        with CaseStore(args.db, readonly=readonly) as store:
            if command == "add":
                return _add(args, store)
            if command == "export":
                return _damaged_exit(store, _export(args, store))
            if command == "list":
                return _damaged_exit(store, _list(args, store))
            if command == "queue":
                return _queue(args, store)
            if command == "tags":
                for t in store.tags():
                    key = str(t.shortcut) if t.shortcut is not None else "-"
                    print(f"{key}  {t.name:<24} {t.label}")
                return 0
    except StoreError as exc:
        return _fail(str(exc))
    except KeyError as exc:
        return _fail(str(exc.args[0]) if exc.args else str(exc))
    return _fail(f"unknown command {command!r}")


def _damaged_exit(store: CaseStore, code: int) -> int:
    """After reading a damaged store: say what could not be read, and never exit 0."""
    if code != 0 or not store.damage:
        return code
    report = store.salvage
    lost = list(report.lost_case_ids) if report is not None else []
    detail = (f"{len(lost)} case(s) could not be read: {', '.join(lost[:5])}{' …' if len(lost) > 5 else ''}"
              if lost else "some rows could not be read")
    print(f"workbench cases: {store.path}: the store is damaged ({store.damage}); only what could be "
          f"read was used; {detail}", file=sys.stderr)
    return 1


def _add(args: argparse.Namespace, store: CaseStore) -> int:
    import orjson

    from workbench.annotate.context import CaseContextError, case_from_trace

    try:
        tags = [store.resolve_tag(t).name for t in args.tag]
    except KeyError as exc:
        return _fail(f"{args.db}: {exc.args[0]}")
    try:
        from workbench.traces import TraceError, load_traces
    except ImportError:
        return _fail("the trace loader (workbench.traces) is not available", 1)
    try:
        traces = load_traces(args.trace)
    except TraceError as exc:
        return _fail(str(exc))
    try:
        case = case_from_trace(traces, args.user, args.event, fields=args.field, tags=tags, note=args.note,
                               severity=args.severity,
                               author=args.author if args.author is not None else _default_author())
    except CaseContextError as exc:
        return _fail(f"{args.trace}: user {args.user} event {args.event}: {exc}")
    store.add_case(case)
    if args.json:
        sys.stdout.write(orjson.dumps(case.to_dict(), default=str).decode("utf-8") + "\n")
    else:
        print(f"{case.id}  {case.location()}  {case.scenario}  tags={','.join(case.tags) or '-'}")
    return 0


def _export(args: argparse.Namespace, store: CaseStore) -> int:
    from workbench.annotate.export import ExportError, export_cases
    from workbench.annotate.redact import Redactor, known_secrets

    if args.salt and not args.pseudonymise:
        return _fail("--salt only makes sense with --pseudonymise")
    if args.run is not None and args.format != "html":
        return _fail("--run only makes sense with --format html (it feeds the report's first section)")
    cases = store.list_cases(**_filters(args, store))
    models = {m for c in cases for m in c.models}
    redactor = Redactor(pseudonymise=args.pseudonymise, salt=args.salt, coarsen=args.coarsen,
                        secrets=known_secrets(models))
    loaded: dict[str, Any] = {}

    def traces(source: str) -> Any:
        if source not in loaded:
            loaded[source] = None
            try:
                from workbench.traces import load_traces

                if source and Path(source).exists():
                    loaded[source] = load_traces(source)
            except Exception:  # noqa: BLE001 - a trace that no longer loads: the cases' stored events are used
                loaded[source] = None
        return loaded[source]

    spans: dict[str, list[Any]] = {}
    for span in store.spans():
        spans.setdefault(span.case_id, []).append(span)
    stakeholder = None
    if args.format == "html":
        from workbench.annotate.agreement import agreement
        from workbench.annotate.stakeholder import RunGapError, load_run_gap, stakeholder_facts

        try:
            gap = load_run_gap(args.run) if args.run is not None else None
        except RunGapError as exc:
            return _fail(str(exc))
        stakeholder = stakeholder_facts(store.blind_items(), store.blind_picks(), agreement(cases), gap)
    try:
        out = export_cases(cases, args.format, args.out, redactor=redactor, title=args.title,
                           taxonomy=store.tags(), traces=traces, spans=spans, stakeholder=stakeholder)
    except ExportError as exc:
        return _fail(str(exc), 1)
    print(f"wrote {len(cases)} case(s) to {out}")
    return 0


def _list(args: argparse.Namespace, store: CaseStore) -> int:
    import orjson

    from workbench.secrets import redact
    from workbench.textsafe import visible

    for c in store.list_cases(**_filters(args, store), with_snapshots=False):
        if args.json:  # JSON escapes every control character itself
            sys.stdout.write(redact(orjson.dumps(c.to_dict(), default=str).decode("utf-8")) + "\n")
        else:
            note = " ".join(c.note.split())
            print(visible(redact(f"{c.id}  {c.location():<28} {c.scenario:<16} sev={c.severity} "
                                 f"tags={','.join(c.tags) or '-'}  {note[:60]}"), keep_newlines=False))
    return 0


def _queue(args: argparse.Namespace, store: CaseStore) -> int:
    from workbench.annotate.queue import QueueError, load_prediction_rows, mismatch_queue

    try:
        rows = load_prediction_rows(args.predictions)
        items = mismatch_queue(rows, args.model, args.field)
    except QueueError as exc:
        return _fail(str(exc))
    name = args.name or f"{args.model} {args.field} mismatches"
    queue = store.create_queue(name, items, model=args.model, field=args.field, source=str(args.predictions))
    print(f"queue {queue.id} '{queue.name}': {queue.size} item(s)")
    return 0
