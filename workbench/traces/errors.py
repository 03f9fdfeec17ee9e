"""Validation problems found while reading traces. Layer: traces (pure; no Qt).

``TraceIssue`` names where a problem is (file, user, event index, field), what was expected and what
was found. A ``TraceError`` carries one issue and is raised when nothing usable can be read; when the
rest of a source can be read it is loaded and the issues are listed as warnings on the ``TraceSet``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class TraceIssue:
    """One problem found while reading traces: the file, user, event and field (as far as known),
    what was expected and a message saying what was found."""

    file: str
    user_id: str | None = None
    event_index: int | None = None
    field: str | None = None
    expected: str | None = None
    message: str = ""

    def location(self) -> str:
        """``file, user U, event N, field F``: as much of the place as is known."""
        parts = [self.file]
        if self.user_id is not None:
            parts.append(f"user {self.user_id}")
        if self.event_index is not None:
            parts.append(f"event {self.event_index}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = self.location()
        if self.expected:
            text += f": expected {self.expected}"
        if self.message:
            text += f" ({self.message})" if self.expected else f": {self.message}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The issue as plain data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TraceIssue":
        """The issue back from :meth:`to_dict`'s form (missing keys: None)."""
        where: dict[str, Any] = {k: data.get(k) for k in ("file", "user_id", "event_index", "field", "expected")}
        return cls(**where, message=str(data.get("message") or ""))


class TraceError(ValueError):
    """Nothing usable could be read; ``issue`` says where and what was expected."""

    def __init__(self, issue: TraceIssue) -> None:
        self.issue = issue
        super().__init__(str(issue))


class IssueLog:
    """Collects issues, keeping at most ``cap`` of each kind (file, field, expected) so a file with a
    million bad timestamps does not produce a million warnings; the rest are summarised."""

    def __init__(self, cap: int = 50) -> None:
        self.cap = cap
        self._items: list[TraceIssue] = []
        self._counts: dict[tuple, int] = {}

    def add(self, issue: TraceIssue) -> None:
        """Record an issue (kept when fewer than ``cap`` of its kind are kept already)."""
        key = (issue.file, issue.field, issue.expected)
        n = self._counts.get(key, 0) + 1
        self._counts[key] = n
        if n <= self.cap:
            self._items.append(issue)

    def __len__(self) -> int:
        return sum(self._counts.values())

    def clear(self) -> None:
        """Forget every issue recorded so far."""
        self._items.clear()
        self._counts.clear()

    def issues(self) -> list[TraceIssue]:
        """The kept issues, then one summary per kind with more than ``cap``."""
        out = list(self._items)
        for (file, field, expected), n in self._counts.items():
            if n > self.cap:
                out.append(TraceIssue(file=file, field=field, expected=expected,
                                      message=f"{n - self.cap} more like this not listed ({n} in all)"))
        return out
