"""The one exception a model call raises. Layer: simulate (pure; no Qt)."""

from __future__ import annotations

__all__ = ["ProviderError"]


class ProviderError(Exception):
    """A model call failed; ``message`` is plain words and never contains the API key."""

    def __init__(self, kind: str, message: str, *, retryable: bool = False, retries: int = 0,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind            # auth | bad_request | context_window | not_found | rate_limit |
        self.message = message      # timeout | connection | server | malformed | other
        self.retryable = retryable
        self.retries = retries
        self.status = status
