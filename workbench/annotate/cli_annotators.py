"""``workbench cases merge|agreement|disagreements|adjudicate``: several annotators. Layer: entry (CLI).

    workbench cases merge A.db B.db [C.db ...] --out MERGED.db [--json]
    workbench cases agreement DB [--tag T ...] [--json]
    workbench cases disagreements DB [--tag T] [--json]
    workbench cases adjudicate DB --item "user_0001 #12" --tag T --final yes|no [--by NAME] [--note TEXT]

Exit codes as for the other ``cases`` commands: 0 ok, 1 failure, 2 invalid input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

COMMANDS = ("merge", "agreement", "disagreements", "adjudicate")


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


def _fail(message: str, code: int = 2) -> int:
    print(f"workbench cases: {message}", file=sys.stderr)
    return code


def _login() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no login name in this environment: the caller must say who
        return ""


def run(args: argparse.Namespace) -> int:
    from workbench.annotate.store import CaseStore, StoreError

    command = args.cases_command
    if command == "merge":
        return _merge(args)
    if not args.db.exists():
        return _fail(f"{args.db}: no such case store")
    try:
        with CaseStore(args.db, readonly=command != "adjudicate") as store:
            if store.damage:
                return _fail(f"{args.db}: the case store is damaged ({store.damage}); agreement needs every "
                             "label, so export what can be read and work on a repaired copy")
            if command == "adjudicate":
                return _adjudicate(args, store)
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


def _agreement(args: argparse.Namespace, store: Any) -> int:
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


def _adjudicate(args: argparse.Namespace, store: Any) -> int:
    tag = store.resolve_tag(args.tag).name
    by = args.by if args.by is not None else _login()
    if not by.strip():
        return _fail("say who decided with --by (no login name is known here)")
    from workbench.annotate.agreement import item_key

    items = {item_key(c) for c in store.list_cases(with_snapshots=False)}
    if args.item not in items:
        return _fail(f"{args.db}: no case judges item {args.item!r}")
    adj = store.adjudicate(args.item, tag, args.final == "yes", by, note=args.note)
    print(f"{adj.item}  {adj.tag} = {args.final}  decided by {adj.decided_by} at {adj.decided_at}")
    return 0
