"""Uncaught exceptions go to the window's error sink instead of aborting. Layer: app (Qt-free)."""

from __future__ import annotations

import sys
import traceback
from types import TracebackType
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from workbench.app.state import AppState


def install_excepthook(state: AppState) -> Callable:
    """Report uncaught exceptions to ``state.post_error`` (and stderr) instead of aborting.
    Returns the previous hook so callers can restore it."""
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        traceback.print_exception(exc_type, exc, tb, limit=6, file=sys.stderr)
        try:
            state.post_error("Unexpected error", f"{exc_type.__name__}: {exc}")
        except Exception:  # noqa: BLE001 - the hook itself must never raise
            pass

    sys.excepthook = hook
    return previous
