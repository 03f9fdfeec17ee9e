"""``workbench prompt-diff``: our prompt beside the benchmark's for one event. Layer: entry (CLI).

    workbench prompt-diff PATH --user U --event I --reference CHECKOUT [--field F ...]
        [--max-history-tokens N] [--tokenizer T] [--width N] [--changes-only]

For every question of the event (or the ``--field`` ones) prints both prompts side by side, ours on
the left, with a mark between the columns: blank = same line, ``|`` = changed, ``<`` only in ours,
``>`` only in the benchmark's; then whether the history events chosen are the same. Both prompts use
the same history candidates (the benchmark's rolling history when the event lies in its test
window), budget and token counter. Exit codes: 0 every prompt equal, 1 some differ, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``workbench prompt-diff``'s arguments (trace, user, event, benchmark checkout) to ``parser``."""
    parser.add_argument("path", help="trace file or folder (OmniBehavior JSON, JSONL, Parquet)")
    parser.add_argument("--user", required=True, help="user id")
    parser.add_argument("--event", required=True, type=int, help="event_index of the target event (0-based)")
    parser.add_argument("--reference", required=True, metavar="CHECKOUT",
                        help="a checkout of the benchmark's released code (the folder holding src/)")
    parser.add_argument("--field", action="append", default=None, metavar="F",
                        help="only this question (repeatable); default every question of the event")
    parser.add_argument("--max-history-tokens", type=int, default=32000, help="whole-prompt budget")
    parser.add_argument("--tokenizer", default="approx",
                        help="token counter for the budget, as workbench predict takes it (default approx)")
    parser.add_argument("--width", type=int, default=160, help="output width in columns (default 160)")
    parser.add_argument("--changes-only", action="store_true", help="print only the differing lines")


def run(args: argparse.Namespace) -> int:
    """Print our prompts beside the benchmark's for one event; returns the exit code (0 identical,
    1 different, 2 bad input)."""
    from workbench.simulate.memory import rolling_history
    from workbench.simulate.prompt_diff import diff_rows, prompt_pairs, side_by_side
    from workbench.simulate.prompts import check_budget
    from workbench.simulate.reference import CheckoutError, load_reference
    from workbench.traces import TraceError, load_traces

    def fail(msg: str) -> int:
        print(f"workbench prompt-diff: {msg}", file=sys.stderr)
        return 2

    from workbench.simulate.tokens import get_counter

    try:
        check_budget(args.max_history_tokens)
        get_counter(args.tokenizer)          # an unknown counter is one clear error up front
        reference = load_reference(args.reference)
        ts = load_traces(args.path)
    except (ValueError, CheckoutError, TraceError, OSError) as exc:
        return fail(str(exc))
    if args.user not in ts.user_ids():
        return fail(f"{args.path}: no user {args.user!r}")
    events = list(zip(ts.user_events(args.user)["event_index"].to_list(), ts.raw_events(args.user)))
    try:
        history, rule = rolling_history(events, args.event)
        pairs = prompt_pairs(ts.profile(args.user), events, args.event, history, reference,
                             max_history_tokens=args.max_history_tokens, tokenizer=args.tokenizer,
                             fields=args.field)
    except (ValueError, CheckoutError) as exc:
        return fail(f"user {args.user}, event {args.event}: {exc}")
    if not pairs:
        return fail(f"user {args.user}, event {args.event}: no questions for this event")
    print(f"user {args.user}  event {args.event}  history rule: {rule}  checkout {reference.root}"
          + (f" @ {reference.commit[:12]}" if reference.commit else ""))
    col = max(20, (args.width - 3) // 2)
    differ = 0
    for pair in pairs:
        same_hist = pair.ours.history_event_indices == pair.theirs.history_event_indices
        state = "EQUAL" if pair.equal else "DIFFERENT"
        differ += not pair.equal
        print(f"\n===== {pair.field}: {state}  (history: ours {len(pair.ours.history_event_indices)} events, "
              f"benchmark {len(pair.theirs.history_event_indices)} events"
              f"{', same events' if same_hist else ', different events'}) =====")
        print(f"{'ours'.ljust(col)}   benchmark")
        print(side_by_side(diff_rows(pair.ours.text, pair.theirs.text), args.width, args.changes_only))
    print(f"\n{len(pairs) - differ} of {len(pairs)} prompts equal")
    return 1 if differ else 0
