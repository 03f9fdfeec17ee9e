"""A spend cap for model calls. Layer: simulate (pure + asyncio; no Qt).

:class:`SpendGate` stands in for the ``asyncio.Semaphore`` that bounds concurrent calls: entering it
takes a slot, and once the calls' cost has reached ``max_cost`` it refuses instead, raising
:class:`SpendCapError` before any request is sent. Answers that come from the response cache never
enter the gate, so a rerun with a higher cap gets the finished answers for free and pays only for
the rest.

Costs are added with :meth:`SpendGate.add` as answers arrive, so calls already in flight when the cap
is reached still finish (and are kept): a run may end slightly above its cap, never by more than the
calls that were in flight. A call whose price litellm does not know adds $0 and is counted in
``unknown_calls``, so the report can say how many calls the figure leaves out.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["SpendCapError", "SpendGate", "WARN_SHARE", "counts_as_unknown"]

#: The share of the cap at which a run warns (once).
WARN_SHARE = 0.8


class SpendCapError(Exception):
    """No new call was started: the spend cap is reached (the question was not asked)."""


def counts_as_unknown(prediction: Any) -> bool:
    """True when ``prediction`` came from a real call whose price is unknown (cost None): not a cached
    answer, not a baseline, and the call reached the server (tokens or text came back)."""
    if getattr(prediction, "cached", False) or getattr(prediction, "cost", None) is not None:
        return False
    if getattr(prediction, "prediction_method", "") == "baseline":
        return False
    return bool(getattr(prediction, "prompt_tokens", 0) or getattr(prediction, "completion_tokens", 0)
                or getattr(prediction, "raw_output", ""))


class SpendGate:
    """A concurrency limit (``concurrency`` slots) that also stops new calls at ``max_cost`` USD.

    ``max_cost`` None: no cap (a plain semaphore that still adds up the cost). ``max_cost`` must be
    more than 0 (ValueError otherwise). Use as ``async with gate:`` around one call."""

    def __init__(self, concurrency: int, max_cost: float | None = None) -> None:
        if max_cost is not None and not max_cost > 0:
            raise ValueError("the spend cap must be more than $0")
        self._sem = asyncio.Semaphore(max(1, concurrency))
        self.max_cost = max_cost
        self.cost = 0.0               # USD of the calls answered so far (unknown prices as 0)
        self.unknown_calls = 0        # calls whose price is unknown (counted as $0 in ``cost``)
        self.refused = 0              # calls not started because of the cap

    @property
    def reached(self) -> bool:
        """True once the cost has reached the cap."""
        return self.max_cost is not None and self.cost >= self.max_cost

    @property
    def warn(self) -> bool:
        """True once the cost has reached :data:`WARN_SHARE` of the cap."""
        return self.max_cost is not None and self.cost >= WARN_SHARE * self.max_cost

    def add(self, prediction: Any) -> None:
        """Count one answer's cost (cached answers cost nothing)."""
        if getattr(prediction, "cached", False):
            return
        cost = getattr(prediction, "cost", None)
        if cost is not None:
            self.cost += float(cost)
        elif counts_as_unknown(prediction):
            self.unknown_calls += 1

    def stop_reason(self) -> str:
        """``"spend cap reached at $X (cap $Y)"`` once the cap is reached, else ``""``."""
        if not self.reached:
            return ""
        return f"spend cap reached at ${self.cost:.4f} (cap ${self.max_cost:.4f})"

    async def __aenter__(self) -> SpendGate:
        if self.reached:
            self.refused += 1
            raise SpendCapError(self.stop_reason())
        await self._sem.acquire()
        if self.reached:                 # reached while this call waited for a slot
            self._sem.release()
            self.refused += 1
            raise SpendCapError(self.stop_reason())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._sem.release()
