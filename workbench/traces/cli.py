"""``workbench info`` and ``workbench convert``. Layer: entry (headless; imports traces lazily).

    workbench info PATH [--json] [--no-cache]
    workbench convert PATH OUT.parquet [--no-cache]

Exit codes: 0 ok, 1 failure, 2 invalid input (one line on stderr naming the location).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser, name: str = "info") -> None:
    """Add the arguments of ``workbench info`` (``name`` "info") or ``workbench convert`` to ``parser``."""
    parser.add_argument("path", help="trace source: OmniBehavior JSON file or folder, .jsonl or .parquet")
    if name == "convert":
        parser.add_argument("out", help="the canonical Parquet file to write")
    else:
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the columnar cache")
    parser.set_defaults(_traces_command=name)


def run(args: argparse.Namespace) -> int:
    """Run ``workbench info`` or ``convert``; returns the exit code (0 done, 1 writing failed, 2 unreadable
    input, named on stderr)."""
    from workbench.traces import TraceError, load_traces

    try:
        traces = load_traces(args.path, use_cache=not args.no_cache)
    except TraceError as exc:
        print(f"workbench {args._traces_command}: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        from workbench.traces.importer import display

        print(f"workbench {args._traces_command}: {display(args.path)}: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    if args._traces_command == "convert":
        return _convert(traces, args.out)
    return _info(traces, as_json=args.json)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _convert(traces, out: str) -> int:
    from workbench.traces import write_parquet

    try:
        path = write_parquet(traces, out)
    except OSError as exc:
        print(f"workbench convert: {out}: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    print(f"wrote {traces.events.height} events of {traces.users.height} users to {path}")
    for w in traces.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _info(traces, as_json: bool) -> int:
    import json

    from workbench.traces.importer import display
    from workbench.traces.summary_text import json_chunks, made_ahead, table_chunks

    # the users' text comes a chunk of users at a time, made column-wise: a million users need no
    # million dicts, and each write of the guarded terminal stream makes one chunk safe at once
    if as_json:
        out = sys.stdout
        out.write('{"users": [')
        for chunk in made_ahead(json_chunks(traces)):
            out.write(chunk)
        out.write('\n], "warnings": ' + json.dumps([w.to_dict() for w in traces.warnings], ensure_ascii=False)
                  + "}\n")
        return 0
    print(f"{display(traces.source)}: {traces.users.height} users, {traces.events.height} events")
    header = f"{'user':<16} {'events':>9}  {'first':<19}  {'last':<19}  scenarios"
    print(header)
    print("-" * len(header))
    for chunk in made_ahead(table_chunks(traces)):
        sys.stdout.write(chunk)
    if traces.warnings:
        print(f"\n{len(traces.warnings)} warnings:")
        for w in traces.warnings:
            print(f"  {w}")
    return 0
