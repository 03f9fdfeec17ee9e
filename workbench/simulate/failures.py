"""Answers that failed, and the exit status they give a command. Layer: simulate (pure; no Qt).

One rule for ``workbench predict`` and ``workbench eval``: a run exits 1 unless every question was
answered or ``--allow-failures N`` accepts at most N unanswered ones, and its summary says how many
failed and why (by kind, in plain words, with an example each). The kinds are the ``error_kind``
values a :class:`workbench.simulate.types.Prediction` carries.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

__all__ = ["FAILURE_KINDS", "add_allow_failures", "failures_by_kind", "failure_lines", "exit_status"]

#: Plain words for each kind of unanswered question.
FAILURE_KINDS: dict[str, str] = {
    "parse": "the answer could not be parsed",
    "no_history": "the baseline had no history for the field",
    "no_key": "no API key for the provider",
    "auth": "the API key was rejected",
    "not_found": "model or endpoint not found",
    "context_window": "the prompt exceeded the context window",
    "bad_request": "the provider rejected the request",
    "rate_limit": "rate-limited",
    "timeout": "timed out",
    "connection": "the server could not be reached",
    "dns": "the host name could not be resolved",
    "resources": "out of file descriptors or memory",
    "server": "server error",
    "malformed": "malformed answer",
    "event": "the event could not be prepared",
    "internal": "an unexpected error",
    "not_asked": "the run stopped before asking",
    "other": "other",
}


def _allowed(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return n


def add_allow_failures(parser: argparse.ArgumentParser) -> None:
    """Add ``--allow-failures N`` (default 0; a negative or non-integer N is a usage error)."""
    parser.add_argument("--allow-failures", type=_allowed, default=0, metavar="N",
                        help="exit 0 even when up to N questions were not answered (default 0: any "
                             "unanswered question makes the exit status 1)")


def failures_by_kind(failed: Iterable[tuple[str, str]], not_asked: int = 0) -> list[dict[str, Any]]:
    """``[{kind, what, count, example}]``, most frequent first, of the failed answers given as
    ``(error_kind, error text)`` pairs (an empty kind counts as "other"), plus ``not_asked``
    questions that never got an answer."""
    kinds: Counter[str] = Counter()
    example: dict[str, str] = {}
    for kind, error in failed:
        k = str(kind or "other")
        kinds[k] += 1
        example.setdefault(k, str(error or ""))
    if not_asked:
        kinds["not_asked"] += not_asked
    return [{"kind": k, "what": FAILURE_KINDS.get(k, k), "count": n, "example": example.get(k, "")}
            for k, n in kinds.most_common()]


def failure_lines(failures: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per kind: ``"  3 not answered: the answer could not be parsed: <example>"``."""
    return [f"  {f['count']} not answered: {f['what']}" + (f": {f['example']}" if f.get("example") else "")
            for f in failures]


def exit_status(prog: str, failed: int, questions: int, allowed: int, out: TextIO | None = None) -> int:
    """0 when ``failed`` is at most ``allowed``; else 1, after saying so on ``out`` (stderr)."""
    if failed <= max(0, allowed):
        return 0
    print(f"{prog}: {failed} of {questions} questions were not answered; exit status 1 "
          f"(--allow-failures {failed} accepts this)", file=out or sys.stderr)
    return 1
