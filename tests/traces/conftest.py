"""Set-up shared by the trace tests: making the forked workers of a folder or a large file fail."""

from __future__ import annotations

import os
from typing import Any, Callable

import pytest


def out_of_memory() -> None:
    """What a worker that runs out of memory does (for :func:`in_workers`)."""
    raise MemoryError("worker out of memory")


@pytest.fixture
def in_workers(monkeypatch) -> Callable[[Any, str, Callable[[], None]], None]:
    """``in_workers(owner, name, act)``: ``owner.name`` first runs ``act()`` (raise, exit, sleep)
    when it is called in another process than the test's (a forked worker), then the real one; in
    the test's own process it is the real one unchanged."""
    parent = os.getpid()

    def patch(owner: Any, name: str, act: Callable[[], None]) -> None:
        real = getattr(owner, name)

        def in_a_worker_first(*args: Any, **kwargs: Any) -> Any:
            if os.getpid() != parent:
                act()
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, in_a_worker_first)

    return patch
