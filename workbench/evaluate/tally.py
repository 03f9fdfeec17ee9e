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
from workbench.simulate.failures import FAILURE_KINDS, failures_by_kind

__all__ = ["FAILURE_KINDS", "Tally"]

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
        texts = Counter(str(r["error"]) for r in failed_rows if r.get("error"))
        return {"questions": questions, "answered": answered, "failed": len(failed_rows) + missing,
                "unanswered": missing,
                "failures": failures_by_kind(((str(r.get("error_kind") or ""), str(r.get("error") or ""))
                                              for r in failed_rows), missing),
                # the plain-words reasons of failed answers, most frequent first (GUI/CLI status lines)
                "failure_reasons": [{"error": e, "count": n} for e, n in
                                    sorted(texts.items(), key=lambda kv: -kv[1])[:5]]}
