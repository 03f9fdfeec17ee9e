"""Request parameters litellm leaves out of a model's request (``drop_params``), reported once per
model and parameter. Layer: simulate (pure; no Qt).

A call asks for a temperature, an answer limit, log-probabilities or a reasoning effort; for some
providers litellm drops one of them silently. :func:`report_dropped` warns about each (logging
WARNING, which reaches stderr) and keeps the warning for status lines (:func:`drop_notices`); the
standby process's warnings join this process's (:func:`adopt_drop_notices`).
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any, Mapping

log = logging.getLogger(__name__)

#: Request parameters whose silent dropping (litellm ``drop_params``) is reported.
_CHECKED_PARAMS = ("temperature", "max_tokens", "max_completion_tokens", "reasoning_effort", "logprobs",
                   "top_logprobs")
_TOKEN_LIMITS = {"max_tokens", "max_completion_tokens"}
_drop_lock = threading.Lock()
_drop_reported: set[tuple[str, str]] = set()
_drop_notices: list[str] = []


@lru_cache(maxsize=256)
def _dropped(model: str, api_base: str | None, params: tuple[tuple[str, Any], ...]) -> tuple[str, ...]:
    """The parameters among ``params`` that litellm leaves out of the request for ``model``."""
    from workbench.simulate.providers import _litellm

    litellm = _litellm()
    sent = dict(params)
    try:
        name, provider, _, _ = litellm.get_llm_provider(model, api_base=api_base)
        kept = litellm.utils.get_optional_params(model=name, custom_llm_provider=provider, drop_params=True,
                                                 **sent)
    except Exception:  # noqa: BLE001 - an unknown model: litellm will say so on the call itself
        return ()
    out = []
    for name in sent:
        if name in kept or (name in _TOKEN_LIMITS and _TOKEN_LIMITS & set(kept)):
            continue
        out.append(name)
    return tuple(out)


def report_dropped(spec: Any, kwargs: Mapping[str, Any]) -> list[str]:
    """Warn once per model and parameter (logging WARNING, which reaches stderr, and
    :func:`drop_notices` for status lines) about request parameters litellm drops for this model;
    returns the parameters newly reported."""
    params = tuple((k, kwargs[k]) for k in _CHECKED_PARAMS if k in kwargs)
    try:
        dropped = _dropped(spec.model, spec.api_base, params)
    except TypeError:  # an unhashable value: nothing to check
        return []
    new = []
    with _drop_lock:
        for name in dropped:
            if (spec.model, name) not in _drop_reported:
                _drop_reported.add((spec.model, name))
                new.append(name)
        if new:
            msg = (f"model {spec.model}: litellm does not send {', '.join(new)} to this provider "
                   "(the request goes without it)")
            _drop_notices.append(msg)
    if new:
        log.warning("%s", msg)
    return new


def drop_notices() -> list[str]:
    """The dropped-parameter warnings given so far in this process, oldest first."""
    with _drop_lock:
        return list(_drop_notices)


def adopt_drop_notices(notices: list[str]) -> None:
    """Add the warnings another process gave (:mod:`workbench.simulate.standby`) to this one's."""
    with _drop_lock:
        _drop_notices.extend(n for n in notices if n not in _drop_notices)
