"""The bias taxonomy cases are tagged with. Layer: annotate (pure; no Qt).

The taxonomy is editable and lives in each case store (table ``tags``); these are the defaults a new
store starts with. Each tag has a stable ``name`` (a slug used in exports and on the command line), a
human ``label``, an optional number-key ``shortcut`` (1-9) for keyboard review and a colour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Tag:
    """A bias tag: stable ``name``, display ``label``, digit ``shortcut`` (1-9 or None), colour and
    description."""

    name: str
    label: str
    shortcut: int | None = None
    color: str = "#888888"
    description: str = ""


DEFAULT_TAGS: tuple[Tag, ...] = (
    Tag("hyper-activity", "hyper-activity", 1, "#d9534f",
        "the simulator acts (likes, comments, buys) far more often than the person"),
    Tag("utopian-tone", "utopian tone", 2, "#5b8def",
        "customer-service messages politer, more hedged and less blaming than real ones"),
    Tag("persona-homogenisation", "persona homogenisation", 3, "#9b59b6",
        "different users are simulated alike; the individual is lost"),
    Tag("long-horizon-miss", "long-horizon miss", 4, "#e67e22",
        "behaviour depends on something far back in the history that the model missed"),
    Tag("cross-scenario-miss", "cross-scenario miss", 5, "#16a085",
        "behaviour depends on another scenario (a search, a live stream) that the model missed"),
    Tag("parse-failure", "parse failure", 6, "#7f8c8d", "the answer could not be parsed"),
    Tag("other", "other", 7, "#95a5a6", "anything else worth a note"),
)

_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(label: str) -> str:
    """``"Utopian tone"`` -> ``"utopian-tone"``; raises ValueError for labels with no letters/digits."""
    slug = _SLUG_RE.sub("-", label.strip().lower()).strip("-")
    if not slug:
        raise ValueError(f"tag label {label!r} has no letters or digits")
    return slug


def resolve_tag(text: str, tags: tuple[Tag, ...] | list[Tag]) -> Tag:
    """Find a tag by name, label (case-insensitive), slug of the label or its shortcut digit."""
    t = text.strip()
    for tag in tags:
        if t == tag.name:
            return tag
    low = t.lower()
    for tag in tags:
        if low == tag.label.lower() or low == tag.name.lower():
            return tag
    try:
        slug = slugify(t)
    except ValueError:
        slug = ""
    for tag in tags:
        if slug and slug == tag.name:
            return tag
    if t.isdigit():
        for tag in tags:
            if tag.shortcut == int(t):
                return tag
    known = ", ".join(tag.name for tag in tags)
    raise KeyError(f"unknown tag {text!r}; known tags: {known}")
