"""What a batch run has answered, and why the rest was not. Layer: evaluate (pure).

Every question of the sample gets exactly one row: answered (``parse_ok``) or failed with a reason
(``error``) and a kind (``error_kind``). :class:`Tally` keeps the rows of one run by question key,
counts progress as distinct questions (so it never passes the total) and writes the ``run`` summary
of report.json from the rows themselves.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from workbench.evaluate.rows import question_key

__all__ = ["FAILURE_KINDS", "Tally"]

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


@dataclass
class Tally:
    """Rows of one batch run by question key, and the counts shown in its progress line."""

    total: int                                   # questions of the sample x models
    rows: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    done: int = 0                                # distinct questions with a row
    cached: int = 0                              # answers from the response cache
    resumed: int = 0                             # answers kept from an earlier run's file
    failed: int = 0
    cost: float = 0.0                            # USD of calls made in this run
    warnings: list[str] = field(default_factory=list)

    def record(self, row: Mapping[str, Any], *, cached: bool = False, cost: float | None = None,
               resumed: bool = False) -> bool:
        """Keep ``row``; False when that question already had one (then nothing is counted)."""
        key = question_key(row)
        if key in self.rows:
            return False
        self.rows[key] = dict(row)
        self.done += 1
        if resumed:
            self.resumed += 1
        elif cached:
            self.cached += 1
        elif cost:
            self.cost += float(cost)
        if not row.get("parse_ok"):
            self.failed += 1
        return True

    def warn(self, message: str) -> None:
        """Add a run warning (each text once)."""
        if message not in self.warnings:
            self.warnings.append(message)

    @staticmethod
    def summary(rows: Iterable[Mapping[str, Any]], questions: int) -> dict[str, Any]:
        """Counts of ``rows`` for report.json's ``run``: questions, answered, failed (with
        ``unanswered`` questions of the sample that have no row at all counted as failed), failures
        by kind with an example each, and the most frequent failure texts."""
        rows = list(rows)
        answered = sum(1 for r in rows if r.get("parse_ok"))
        failed_rows = [r for r in rows if not r.get("parse_ok")]
        missing = max(0, questions - len(rows))
        kinds: Counter[str] = Counter(str(r.get("error_kind") or "other") for r in failed_rows)
        if missing:
            kinds["not_asked"] += missing
        example: dict[str, str] = {}
        for r in failed_rows:
            example.setdefault(str(r.get("error_kind") or "other"), str(r.get("error") or ""))
        texts = Counter(str(r["error"]) for r in failed_rows if r.get("error"))
        return {"questions": questions, "answered": answered, "failed": len(failed_rows) + missing,
                "unanswered": missing,
                "failures": [{"kind": k, "what": FAILURE_KINDS.get(k, k), "count": n,
                              "example": example.get(k, "")} for k, n in kinds.most_common()],
                # the plain-words reasons of failed answers, most frequent first (GUI/CLI status lines)
                "failure_reasons": [{"error": e, "count": n} for e, n in
                                    sorted(texts.items(), key=lambda kv: -kv[1])[:5]]}
