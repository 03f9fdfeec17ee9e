"""Per-call work litellm does that nobody here uses, switched off. Layer: simulate (pure; no Qt).

Measured on a loopback server, a ``litellm.acompletion`` spent a third of its CPU on two things that
have no consumer in this program:

* **The cost of a model litellm cannot price.** Every response is priced again from scratch
  (``Logging.response_cost_calculator`` -> ``completion_cost``), and for a model missing from the
  cost map (a local vLLM or Ollama server) that walk through every generalisation of the model name
  ends in ``None`` (``0.0`` through a Router) every time. :func:`install` remembers, per (model,
  router deployment), a response that carried token counts and still got no price, and gives that
  same answer at once for the model's later responses. A model litellm can price is priced exactly
  as before, every call; the spend accounting (:mod:`workbench.simulate.spend`, which reads ``None``
  and ``0.0`` alike as "price unknown") sees the same figures.
* **Success logging with no listener.** After each call litellm builds a standard logging payload
  (model info, cost again, metadata) and queues it for its callbacks. When no callback is
  registered anywhere (``litellm.callbacks``, the success-callback lists, the call's own dynamic
  callbacks), no litellm cache and no litellm budget are set, the payload has no reader: it is
  not built. Registering any callback turns it back on for the calls made after.

Both are wrappers around two litellm functions, installed once after litellm is imported
(:func:`install`, called by :mod:`workbench.simulate.providers`); :func:`uninstall` restores them
(tests). The request, the response, retries and errors are litellm's, unchanged.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["install", "installed", "uninstall", "unpriced_models"]

_lock = threading.Lock()
_originals: dict[str, Any] = {}
_unpriced: dict[tuple[str, str | None], float | None] = {}   # -> what litellm gave (None or 0.0)


def installed() -> bool:
    """Whether the wrappers are in place."""
    return bool(_originals)


def unpriced_models() -> set[tuple[str, str | None]]:
    """The (model, router deployment id) pairs litellm was found unable to price (a copy)."""
    return set(_unpriced)


def _has_tokens(result: Any) -> bool:
    usage = getattr(result, "usage", None)
    if usage is None and isinstance(result, dict):
        usage = result.get("usage")
    if usage is None:
        return False
    get = usage.get if isinstance(usage, dict) else lambda k, d=None: getattr(usage, k, d)
    return bool(get("prompt_tokens", 0) or get("completion_tokens", 0))


def _wrap_cost(original: Any) -> Any:
    def response_cost_calculator(self: Any, result: object, cache_hit: bool | None = None,
                                 litellm_model_name: str | None = None, router_model_id: str | None = None,
                                 **kwargs: Any) -> Any:
        key = (str(litellm_model_name or getattr(self, "model", "") or ""), router_model_id)
        hit = cache_hit if cache_hit is not None else getattr(self, "model_call_details", {}).get("cache_hit")
        if key in _unpriced and not hit:
            return _unpriced[key]
        cost = original(self, result, cache_hit=cache_hit, litellm_model_name=litellm_model_name,
                        router_model_id=router_model_id, **kwargs)
        if (cost is None or cost == 0) and not hit and key[0] and _has_tokens(result):
            _unpriced[key] = cost     # token counts and still no price: the cost map has none
        return cost

    response_cost_calculator.__wrapped__ = original  # type: ignore[attr-defined]
    return response_cost_calculator


def _listeners(litellm: Any, logging_obj: Any) -> bool:
    """True when anything could read litellm's success log: a registered callback (global or on
    this call), litellm's own cache, or a litellm budget."""
    for name in ("callbacks", "success_callback", "_async_success_callback", "service_callback"):
        if getattr(litellm, name, None):
            return True
    for name in ("dynamic_success_callbacks", "dynamic_async_success_callbacks"):
        if getattr(logging_obj, name, None):
            return True
    return getattr(litellm, "cache", None) is not None or bool(getattr(litellm, "max_budget", 0))


def _wrap_logging(original: Any, litellm: Any) -> Any:
    def schedule(logging_obj: Any, *args: Any, **kwargs: Any) -> Any:
        if not _listeners(litellm, logging_obj):
            return None
        return original(logging_obj, *args, **kwargs)

    schedule.__wrapped__ = original  # type: ignore[attr-defined]
    return schedule


def install(litellm: Any) -> None:
    """Put both wrappers in place (idempotent; cheap once done). ``litellm``: the imported module.
    A litellm without the functions wrapped here is left as it is."""
    if _originals:
        return
    with _lock:
        if _originals:
            return
        try:
            from litellm import utils as lutils
            from litellm.litellm_core_utils.litellm_logging import Logging
        except ImportError:  # pragma: no cover - another litellm layout: nothing to switch off
            return
        cost = getattr(Logging, "response_cost_calculator", None)
        schedule = getattr(lutils, "_schedule_async_success_logging", None)
        if cost is None or schedule is None:  # pragma: no cover - another litellm layout
            return
        setattr(Logging, "response_cost_calculator", _wrap_cost(cost))  # noqa: B010 - a method replaced on purpose
        lutils._schedule_async_success_logging = _wrap_logging(schedule, litellm)
        _originals["cost"] = cost
        _originals["schedule"] = schedule


def uninstall() -> None:
    """Restore litellm's own functions and forget the unpriced models (tests)."""
    with _lock:
        if not _originals:
            return
        from litellm import utils as lutils
        from litellm.litellm_core_utils.litellm_logging import Logging

        setattr(Logging, "response_cost_calculator", _originals.pop("cost"))  # noqa: B010 - restored
        lutils._schedule_async_success_logging = _originals.pop("schedule")
        _unpriced.clear()
