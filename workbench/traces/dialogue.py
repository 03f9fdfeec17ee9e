"""Customer-service dialogue turns: the one extractor every package uses. Layer: traces (pure; no Qt).

A Customer Service event carries its transcript in a ``dialogue`` action whose ``content`` is an
ordered list of ``{"role": "user"|"assistant", "content": str}`` turns. :func:`event_turns` reads the
event's first ``dialogue`` action (as the benchmark does); :func:`action_turns` reads one action.
Turns keep every role as given (a ``system`` turn is kept, so a viewer can show it marked as such);
:func:`speaker_turns` keeps only the two speakers, which is what the benchmark puts in a prompt's
dialogue context. ``role`` is "" when missing; ``content`` is "" when missing or null, otherwise
its text (``str`` of a non-string value).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: The two speakers of a customer-service dialogue: the customer and the agent.
USER, ASSISTANT = "user", "assistant"
SPEAKERS: frozenset[str] = frozenset({USER, ASSISTANT})


@dataclass(frozen=True)
class Turn:
    """One dialogue turn: ``role`` as given ("user", "assistant", or anything else) and its text."""

    role: str
    content: str

    @property
    def is_speaker(self) -> bool:
        """True for the customer's and the agent's turns (the ones a prompt shows)."""
        return self.role in SPEAKERS

    def to_dict(self) -> dict[str, str]:
        """``{"role": ..., "content": ...}``."""
        return {"role": self.role, "content": self.content}

    @classmethod
    def of(cls, item: Turn | Mapping[str, Any]) -> Turn:
        """A Turn from a Turn or a ``{role, content}`` mapping (same coercion as the extractor)."""
        if isinstance(item, Turn):
            return item
        role = item.get("role")
        content = item.get("content")
        return cls(role="" if role is None else str(role), content="" if content is None else str(content))


def action_turns(action: Any) -> list[Turn]:
    """The turns of one ``dialogue`` action (its ``content`` list; non-object turns are skipped);
    [] when ``action`` is not a dialogue action with a list of turns."""
    if not isinstance(action, Mapping) or action.get("type") != "dialogue":
        return []
    content = action.get("content")
    if not isinstance(content, list):
        return []
    return [Turn.of(t) for t in content if isinstance(t, Mapping)]


def event_turns(event: Mapping[str, Any] | None) -> list[Turn]:
    """The transcript of a raw event: the turns of its first ``dialogue`` action, or []."""
    if not isinstance(event, Mapping):
        return []
    actions = event.get("action")
    for action in actions if isinstance(actions, list) else ():
        if isinstance(action, Mapping) and action.get("type") == "dialogue":
            return action_turns(action)
    return []


def speaker_turns(turns: Iterable[Turn]) -> list[Turn]:
    """Only the customer's and the agent's turns, in order (the benchmark's prompt context drops
    every other role)."""
    return [t for t in turns if t.is_speaker]
