"""Small helpers over raw OmniBehavior event dicts shared by questions, filters and prompts.

Layer: simulate (pure; no Qt). Raw events are ``{"type", "timestamp", "context"?, "action": [...]}``
exactly as in the benchmark files (docs/benchmark.md#data-format); these helpers never raise on odd shapes.
"""

from __future__ import annotations

from typing import Any

from workbench.traces.numbers import to_number
from workbench.traces.schema import (AD, LIVE, OTHER, SEARCH, SERVICE, SHOP, VIDEO,
                                     canonical_scenario, chinese_scenario)

__all__ = ["AD", "LIVE", "OTHER", "SEARCH", "SERVICE", "SHOP", "VIDEO", "scenario_of", "scene_zh",
           "context_of", "actions_of", "first_action", "actions_named", "to_number", "truthy_number"]


def scenario_of(event: dict[str, Any]) -> str:
    """Canonical English scenario name of an event ("Other" when unknown)."""
    return canonical_scenario(event.get("type"))


def scene_zh(event: dict[str, Any]) -> str:
    """The benchmark's Chinese canonical scene name (unknown names kept as given)."""
    return chinese_scenario(event.get("type", ""))


def context_of(event: dict[str, Any]) -> dict[str, Any]:
    ctx = event.get("context")
    return ctx if isinstance(ctx, dict) else {}


def actions_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    acts = event.get("action")
    if not isinstance(acts, list):
        return []
    return [a for a in acts if isinstance(a, dict)]


def first_action(event: dict[str, Any], action_type: str) -> dict[str, Any] | None:
    """The first action (an object) of type ``action_type``, or None. Called for every question
    of every event of a user's history: no list of the actions is made."""
    acts = event.get("action")
    if isinstance(acts, list):
        for a in acts:
            if isinstance(a, dict) and a.get("type") == action_type:
                return a
    return None


def actions_named(event: dict[str, Any], action_type: str) -> list[dict[str, Any]]:
    """Every action (an object) of type ``action_type``, in order."""
    acts = event.get("action")
    if not isinstance(acts, list):
        return []
    return [a for a in acts if isinstance(a, dict) and a.get("type") == action_type]


def truthy_number(value: Any) -> bool:
    """A count that is present and > 0 (strings coerced)."""
    n = to_number(value)
    return n is not None and n > 0
