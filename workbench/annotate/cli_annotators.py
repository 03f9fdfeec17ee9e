"""``workbench cases merge|agreement|disagreements|adjudicate``: several annotators. Layer: entry (CLI).

    workbench cases merge A.db B.db [C.db ...] --out MERGED.db [--json]
    workbench cases agreement DB [--tag T ...] [--json]
    workbench cases disagreements DB [--tag T] [--json]
    workbench cases adjudicate DB --item "user_0001 #12" --tag T --final yes|no [--by NAME] [--note TEXT]
    workbench cases suggest DB --case ID [--json]          # lexicon-suggested spans of a case
    workbench cases mark DB --case ID --target turn:2 --start 3 --end 7 --marker politeness
                        [--status manual|accepted|rejected --source lexicon:politeness] [--by NAME]
    workbench cases spans DB [--json] [--quality]           # stored spans; lexicon precision/recall

Exit codes as for the other ``cases`` commands: 0 ok, 1 failure, 2 invalid input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.annotate.store import CaseStore

from workbench.annotate.cli import _default_author, _fail

COMMANDS = ("merge", "agreement", "disagreements", "adjudicate", "mark", "suggest", "spans")


def add_arguments(sub: Any) -> None:
    """Add the four subcommands to the ``cases`` subparsers."""
    mg = sub.add_parser("merge", help="merge case stores (one per analyst) into a new store",
                        description="Merge case stores into a new one without losing or duplicating anything.")
    mg.add_argument("inputs", type=Path, nargs="+", help="case stores to merge (two or more)")
    mg.add_argument("--out", type=Path, required=True, help="the merged store (must not exist)")
    mg.add_argument("--json", action="store_true", help="print the merge report as JSON")

    ag = sub.add_parser("agreement", help="agreement between annotators per tag and overall",
                        description="Cohen's kappa (two annotators), Fleiss' kappa (more), Krippendorff's "
                                    "alpha and Gwet's AC1 per tag, pooled and on severity, each with its "
                                    "number of items.")
    ag.add_argument("db", type=Path, help="case store (usually merged from several analysts' stores)")
    ag.add_argument("--tag", action="append", default=None, help="only this tag (repeatable)")
    ag.add_argument("--json", action="store_true", help="print JSON")

    dq = sub.add_parser("disagreements", help="the items and tags annotators split on (not yet adjudicated)",
                        description="The disagreement queue: items and tags the annotators split on.")
    dq.add_argument("db", type=Path, help="case store")
    dq.add_argument("--tag", default=None, help="only this tag")
    dq.add_argument("--json", action="store_true", help="one JSON object per line")

    ad = sub.add_parser("adjudicate", help="record the final label of an item and tag, and who decided",
                        description="Record the final label of an item for a tag after a disagreement.")
    ad.add_argument("db", type=Path, help="case store")
    ad.add_argument("--item", required=True, help="the item, as the disagreement queue names it ('user_0001 #12')")
    ad.add_argument("--tag", required=True, help="tag (name, label or shortcut digit)")
    ad.add_argument("--final", required=True, choices=("yes", "no"), help="does the tag apply?")
    ad.add_argument("--by", default=None, help="who decided (default: the login name)")
    ad.add_argument("--note", default="", help="why")

    from workbench.annotate.spans import MARKER_KEYS

    sg = sub.add_parser("suggest", help="lexicon-suggested marker spans of a case",
                        description="The spans the lexicons suggest in a case's messages (code-point offsets).")
    sg.add_argument("db", type=Path, help="case store")
    sg.add_argument("--case", required=True, help="case id")
    sg.add_argument("--json", action="store_true", help="one JSON object per line")

    mk = sub.add_parser("mark", help="mark a span of a message with a marker type",
                        description="Store a span (code-point offsets into one message of a case).")
    mk.add_argument("db", type=Path, help="case store")
    mk.add_argument("--case", required=True, help="case id")
    mk.add_argument("--target", required=True, help="turn:N, real:FIELD or pred:MODEL:FIELD")
    mk.add_argument("--start", type=int, required=True, help="first code point (0-based)")
    mk.add_argument("--end", type=int, required=True, help="code point after the span")
    mk.add_argument("--marker", required=True, choices=MARKER_KEYS)
    mk.add_argument("--status", default="manual", choices=("manual", "accepted", "rejected"),
                    help="manual (the annotator's own), or the decision on a lexicon suggestion")
    mk.add_argument("--source", default="", help="for a decided suggestion: lexicon:CATEGORY")
    mk.add_argument("--by", default=None, help="annotator (default: the login name)")

    sp = sub.add_parser("spans", help="list marked spans; each lexicon marker's precision and recall",
                        description="Stored spans, or with --quality each lexicon marker's precision and "
                                    "recall per language against the annotators' decisions.")
    sp.add_argument("db", type=Path, help="case store")
    sp.add_argument("--quality", action="store_true", help="lexicon precision/recall instead of the spans")
    sp.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    """Run one of the annotator subcommands (merge, agreement, disagreements, adjudicate); returns the
    exit code (0 done, 2 bad input or store error, explained on stderr)."""
    from workbench.annotate.store import CaseStore, StoreError

    command = args.cases_command
    if command == "merge":
        return _merge(args)
    if not args.db.exists():
        return _fail(f"{args.db}: no such case store")
    try:
        with CaseStore(args.db, readonly=command not in ("adjudicate", "mark")) as store:
            if store.damage:
                return _fail(f"{args.db}: the case store is damaged ({store.damage}); agreement needs every "
                             "label, so export what can be read and work on a repaired copy")
            if command == "adjudicate":
                return _adjudicate(args, store)
            if command in ("mark", "suggest", "spans"):
                return _spans(args, store)
            return _agreement(args, store)
    except StoreError as exc:
        return _fail(str(exc))
    except KeyError as exc:
        return _fail(str(exc.args[0]) if exc.args else str(exc))


def _merge(args: argparse.Namespace) -> int:
    from workbench.annotate.merge import MergeError, merge_stores

    try:
        report = merge_stores(args.inputs, args.out)
    except MergeError as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(f"merged {len(report.inputs)} stores into {report.out}: {report.cases} case(s) "
              f"({report.cases_added} added, {report.cases_identical} identical skipped, "
              f"{report.versions_kept} superseded version(s) kept), {report.tags_added} tag(s), "
              f"{report.queues_added} queue(s), {report.adjudications_added} adjudication(s)")
        for conflict in report.tag_conflicts:
            print(f"  note: {conflict}")
    return 0


def _agreement(args: argparse.Namespace, store: CaseStore) -> int:
    from workbench.annotate.agreement import agreement

    tags = None
    wanted = args.tag if args.cases_command == "agreement" else ([args.tag] if args.tag else None)
    if wanted:
        tags = [store.resolve_tag(t).name for t in wanted]
    settled = {(a.item, a.tag) for a in store.adjudications()}
    report = agreement(store.list_cases(with_snapshots=False), tags=tags, adjudicated=settled)
    if args.cases_command == "disagreements":
        for d in report.disagreements:
            if args.json:
                print(json.dumps({"item": d.item, "tag": d.tag, "votes": dict(d.votes),
                                  "case_ids": list(d.case_ids)}, ensure_ascii=False))
            else:
                votes = ", ".join(f"{a}={'yes' if v else 'no'}" for a, v in d.votes.items())
                print(f"{d.item:<28} {d.tag:<24} {votes}")
        return 0
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return 0
    print(f"{len(report.annotators)} annotator(s): {', '.join(report.annotators) or '-'}; "
          f"{report.items} item(s), {report.shared_items} rated by two or more")
    for label in (*report.tags, report.overall, report.severity):
        if label is None:
            continue
        parts = [f"{c.name}={'n/a' if c.value is None else f'{c.value:.3f}'} (n={c.items})"
                 for c in label.coefficients]
        print(f"  {label.label:<30} {'  '.join(parts) or 'no item rated by two annotators'}")
    print(f"  disagreements not yet adjudicated: {len(report.disagreements)}")
    return 0


def _adjudicate(args: argparse.Namespace, store: CaseStore) -> int:
    tag = store.resolve_tag(args.tag).name
    by = args.by if args.by is not None else _default_author()
    if not by.strip():
        return _fail("say who decided with --by (no login name is known here)")
    from workbench.annotate.agreement import item_key

    items = {item_key(c) for c in store.list_cases(with_snapshots=False)}
    if args.item not in items:
        return _fail(f"{args.db}: no case judges item {args.item!r}")
    adj = store.adjudicate(args.item, tag, args.final == "yes", by, note=args.note)
    print(f"{adj.item}  {adj.tag} = {args.final}  decided by {adj.decided_by} at {adj.decided_at}")
    return 0


def _spans(args: argparse.Namespace, store: CaseStore) -> int:
    from dataclasses import asdict

    from workbench.annotate.spans import SpanError, candidates, lexicon_quality, make_span

    command = args.cases_command
    try:
        if command == "suggest":
            for s in candidates(store.get_case(args.case)):
                if args.json:
                    print(json.dumps(s.to_dict(), ensure_ascii=False))
                else:
                    print(f"{s.target:<24} {s.start:>5}..{s.end:<5} {s.marker:<20} {s.quote}")
            return 0
        if command == "mark":
            by = args.by if args.by is not None else _default_author()
            span = make_span(store.get_case(args.case), args.target, args.start, args.end, args.marker,
                             annotator=by, status=args.status, source=args.source)
            store.add_span(span)
            print(f"{span.id}  {span.target} {span.start}..{span.end} {span.marker} {span.status}: {span.quote}")
            return 0
    except SpanError as exc:
        return _fail(f"{args.db}: {exc}")
    spans = store.spans()
    if args.quality:
        rows = [asdict(q) for q in lexicon_quality(spans)]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        for q in rows if not args.json else ():
            fmt = (lambda v: "n/a" if v is None else f"{v:.2f}")  # noqa: E731
            print(f"{q['category']:<12} {q['lang']}  precision={fmt(q['precision'])}  recall={fmt(q['recall'])}  "
                  f"accepted={q['accepted']} rejected={q['rejected']} missed={q['manual']}")
        return 0
    for s in spans:
        if args.json:
            print(json.dumps(s.to_dict(), ensure_ascii=False))
        else:
            print(f"{s.case_id}  {s.target:<24} {s.start:>5}..{s.end:<5} {s.marker:<20} {s.status:<9} {s.quote}")
    return 0
