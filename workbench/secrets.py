"""API keys per provider, kept in the OS keyring. Layer: pure (no Qt).

Keys live only in keyring under the service ``behavior-trace-workbench``, username = provider name
(``openai``, ``anthropic``, ...). When no usable keyring backend exists (the ``fail`` backend, a
null backend, or a backend that raises), keys are kept in memory for this session only and
:func:`backend_status` says so. Keys are never logged, never written to settings, caches or exports,
and never put in exception messages.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

SERVICE = "behavior-trace-workbench"

_memory: dict[str, str] = {}
_lock = threading.Lock()
_broken = False   # set when the keyring backend failed during this session


@dataclass(frozen=True)
class BackendStatus:
    persistent: bool      # True: keys are stored in a keyring backend and survive restarts
    name: str             # backend name, or "memory"
    message: str          # plain words for the settings dialog


def _backend():
    """The keyring backend if it is usable, else None."""
    if _broken:
        return None
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring):
        return None
    try:
        from keyring.backends import null

        if isinstance(backend, null.Keyring):
            return None
    except Exception:
        pass
    try:
        from keyring.backends import chainer

        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return None
    except Exception:
        pass
    if getattr(backend, "priority", 1) <= 0:
        return None
    return backend


def _mark_broken() -> None:
    global _broken
    _broken = True


def _norm(provider: str) -> str:
    p = (provider or "").strip().lower()
    if not p:
        raise ValueError("a provider name is needed to store an API key")
    return p


def backend_status() -> BackendStatus:
    backend = _backend()
    if backend is None:
        return BackendStatus(False, "memory", "No system keyring is available: API keys are kept in "
                                               "memory for this session only and are forgotten on exit.")
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    return BackendStatus(True, name, f"API keys are stored in the system keyring ({type(backend).__name__}).")


def get_key(provider: str) -> str | None:
    p = _norm(provider)
    with _lock:
        if p in _memory:
            return _memory[p]
    backend = _backend()
    if backend is None:
        return None
    try:
        return backend.get_password(SERVICE, p)
    except Exception:
        _mark_broken()
        return None


def set_key(provider: str, key: str) -> bool:
    """Store a key; returns True when it went into the keyring, False when kept in memory only."""
    p = _norm(provider)
    key = (key or "").strip()
    if not key:
        delete_key(p)
        return _backend() is not None
    backend = _backend()
    if backend is not None:
        try:
            backend.set_password(SERVICE, p, key)
            with _lock:
                _memory.pop(p, None)
            return True
        except Exception:
            _mark_broken()
    with _lock:
        _memory[p] = key
    return False


def delete_key(provider: str) -> None:
    p = _norm(provider)
    with _lock:
        _memory.pop(p, None)
    backend = _backend()
    if backend is None:
        return
    try:
        if backend.get_password(SERVICE, p) is not None:
            backend.delete_password(SERVICE, p)
    except Exception:
        _mark_broken()


def has_key(provider: str) -> bool:
    return get_key(provider) is not None


_PREFIX_GUESS = (("gpt-", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"),
                 ("chatgpt", "openai"), ("text-", "openai"), ("claude", "anthropic"),
                 ("gemini", "gemini"), ("deepseek", "deepseek"), ("mistral", "mistral"),
                 ("command", "cohere"), ("qwen", "dashscope"))


def provider_for_model(model: str) -> str:
    """The provider whose key a litellm model string needs: the part before the first ``/``
    (``openai/gpt-4o`` -> ``openai``), else a guess from well-known name prefixes, else ``openai``."""
    m = (model or "").strip()
    if "/" in m:
        return m.split("/", 1)[0].lower()
    low = m.lower()
    for prefix, provider in _PREFIX_GUESS:
        if low.startswith(prefix):
            return provider
    return "openai"


def _reset_for_tests() -> None:
    global _broken
    with _lock:
        _memory.clear()
    _broken = False
