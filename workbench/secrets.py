"""API keys per provider, kept in the OS keyring. Layer: pure (no Qt).

Keys live only in keyring under the service ``behavior-trace-workbench``, username = provider name
(``openai``, ``anthropic``, ...). When no usable keyring backend exists (the ``fail`` backend, a
null backend, or a backend that raises), keys are kept in memory for this session only and
:func:`backend_status` says so. Keys are never logged, never written to settings, caches or exports,
and never put in exception messages.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from typing import Iterable

SERVICE = "behavior-trace-workbench"

_memory: dict[str, str] = {}
_lock = threading.Lock()
_broken = False   # set when the keyring backend failed during this session
_used: set[str] = set()   # providers whose key was asked for in this session


@dataclass(frozen=True)
class BackendStatus:
    """Where keys are kept: a persistent keyring backend or memory, its name, and plain words for
    the settings dialog."""

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
    except Exception:  # noqa: BLE001 - no usable keyring backend: the in-memory store
        return None
    if isinstance(backend, fail.Keyring):
        return None
    try:
        from keyring.backends import null

        if isinstance(backend, null.Keyring):
            return None
    except Exception:  # noqa: BLE001 - backend introspection is best effort
        pass
    try:
        from keyring.backends import chainer

        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return None
    except Exception:  # noqa: BLE001 - backend introspection is best effort
        pass
    if getattr(backend, "priority", 1) <= 0:
        return None
    return backend


def _mark_broken() -> None:
    global _broken
    _broken = True


def keyring_off() -> None:
    """This process never reads or writes the keyring from now on (keys are kept in memory): a
    helper process gets the keys it needs from its parent, with each call."""
    _mark_broken()


def _norm(provider: str) -> str:
    p = (provider or "").strip().lower()
    if not p:
        raise ValueError("a provider name is needed to store an API key")
    return p


def backend_status() -> BackendStatus:
    """Which backend keeps the keys now (memory when no usable keyring exists)."""
    backend = _backend()
    if backend is None:
        return BackendStatus(False, "memory", "No system keyring is available: API keys are kept in "
                                               "memory for this session only and are forgotten on exit.")
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    return BackendStatus(True, name, f"API keys are stored in the system keyring ({type(backend).__name__}).")


def get_key(provider: str) -> str | None:
    """The stored key of ``provider`` (memory first, then the keyring), or None."""
    p = _norm(provider)
    with _lock:
        _used.add(p)
        if p in _memory:
            return _memory[p]
    backend = _backend()
    if backend is None:
        return None
    try:
        key = backend.get_password(SERVICE, p)
    except Exception:  # noqa: BLE001 - a failing keyring backend: fall back to memory
        _mark_broken()
        return None
    register_secret(key)          # a key this process has read is redacted from then on
    return key


def set_key(provider: str, key: str) -> bool:
    """Store a key; returns True when it went into the keyring, False when kept in memory only."""
    p = _norm(provider)
    key = (key or "").strip()
    if not key:
        delete_key(p)
        return _backend() is not None
    backend = _backend()
    if backend is not None:
        register_secret(key)
        try:
            backend.set_password(SERVICE, p, key)
            with _lock:
                _memory.pop(p, None)
            return True
        except Exception:  # noqa: BLE001 - a failing keyring backend: fall back to memory
            _mark_broken()
    register_secret(key)
    with _lock:
        _memory[p] = key
    return False


def delete_key(provider: str) -> None:
    """Forget ``provider``'s key, in memory and in the keyring (a failing keyring is noted, not raised)."""
    p = _norm(provider)
    with _lock:
        _memory.pop(p, None)
    backend = _backend()
    if backend is None:
        return
    try:
        if backend.get_password(SERVICE, p) is not None:
            backend.delete_password(SERVICE, p)
    except Exception:  # noqa: BLE001 - a failing keyring backend: fall back to memory
        _mark_broken()


def has_key(provider: str) -> bool:
    """Whether a key for ``provider`` is known."""
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


_KEY_VARIABLES = {"gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
                  "azure": ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY"),
                  "together_ai": ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY"),
                  "cohere": ("COHERE_API_KEY", "CO_API_KEY"),
                  "huggingface": ("HUGGINGFACE_API_KEY", "HF_TOKEN"),
                  "perplexity": ("PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY")}


def key_variables(provider: str) -> tuple[str, ...]:
    """The environment variables litellm reads ``provider``'s API key from (``<PROVIDER>_API_KEY``
    and the provider's other names)."""
    p = _norm(provider)
    names = list(_KEY_VARIABLES.get(p, ()))
    generic = p.upper().replace("-", "_") + "_API_KEY"
    return tuple(names if generic in names else [generic, *names])


def env_key(provider: str) -> str | None:
    """``provider``'s key from the environment (the first of :func:`key_variables` that is set)."""
    for name in key_variables(provider):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _reset_for_tests() -> None:
    global _broken
    with _lock:
        _memory.clear()
        _used.clear()
        _registered.clear()
        _looked_up.clear()
    _pattern_cache.clear()
    _alternatives_cache.clear()
    _settings_seen.clear()
    _settings_checked[:] = [0.0, []]
    _env_seen[:] = [None, []]
    _broken = False


# -- redaction ------------------------------------------------------------------------------------
#
# Every key this process can see is taken out of any text before it is shown or written: keys in the
# keyring (or kept in memory) for this session, values of environment variables named like keys
# (litellm reads OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, AZURE_API_KEY, HF_TOKEN, ...),
# key-named values in settings.json, and anything registered with :func:`register_secret`. Known
# key shapes (``sk-...``, ``Bearer ...``) are removed too, whoever they belong to.

REDACTED = "[redacted secret]"
MIN_SECRET_LENGTH = 6       # shorter values ("1", "true") are not treated as keys

#: Environment variable names whose value is a secret: ``*_KEY``, ``*API_KEY*``, ``*TOKEN``,
#: ``*SECRET*``, ``*PASSWORD*``, ``*ACCESS_KEY*``, ``Authorization`` (case-insensitive, ``-`` or ``_``).
_SECRET_NAME = re.compile(
    r"(?i)(^|[_-])(API[_-]?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|ACCESS[_-]?KEY|AUTHORIZATION|CREDENTIALS?)"
    r"([_-]|$)|API[_-]?KEY|SECRET|PASSWORD")
#: Providers whose stored keys are always looked up (besides the providers already used).
COMMON_PROVIDERS = ("openai", "anthropic", "gemini", "deepseek", "mistral", "cohere", "dashscope",
                    "openrouter", "groq", "together_ai", "azure", "xai", "hosted_vllm", "ollama")
_SHAPES = (
    r"sk-ant-[A-Za-z0-9_\-]{10,}",
    r"sk-(?:proj-|live-|test-)?[A-Za-z0-9_\-]{16,}",
    r"AIza[0-9A-Za-z_\-]{30,}",
    r"hf_[A-Za-z0-9]{20,}",
    r"gsk_[A-Za-z0-9]{20,}",
    r"xai-[A-Za-z0-9]{20,}",
    r"r8_[A-Za-z0-9]{20,}",
    r"(?i:bearer)\s+[A-Za-z0-9_\-.=+/]{8,}",
)
_SHAPES_RE = re.compile("|".join(f"(?:{p})" for p in _SHAPES))
#: Text every match of a shape holds: each shape but the last starts with one of these, the last
#: with "bearer" in any case (a test keeps this true). Text holding none of them and no secret
#: cannot match, and skips the regular expression (most terminal output: 20 ns a character saved).
_SHAPE_LITERALS = ("sk-", "AIza", "hf_", "gsk_", "xai-", "r8_")
_registered: set[str] = set()
_looked_up: set[str] = set()        # providers whose stored key was already read for redaction
_pattern_cache: dict[frozenset[str], re.Pattern[str]] = {}
_alternatives_cache: dict[frozenset[str], list[str]] = {}


def register_secret(value: str | None) -> None:
    """Treat ``value`` as a secret from now on (for example a key given on the command line or an
    ``Authorization`` header from the extra request settings)."""
    if value and len(value.strip()) >= MIN_SECRET_LENGTH:
        with _lock:
            _registered.add(value.strip())


_settings_seen: dict[str, tuple[tuple[float, int], list[str]]] = {}   # path -> (mtime, size), values
_settings_checked = [0.0, []]       # monotonic time of the last look, what it found
_env_seen: list = [None, []]        # the environment last scanned, its secrets


def _env_secrets() -> list[str]:
    """Values of the key-named environment variables (scanned again only when the environment
    changed)."""
    data = getattr(os.environ, "_data", None)
    snap = tuple(data.items()) if isinstance(data, dict) else tuple(os.environ.items())
    if snap != _env_seen[0]:
        found = [v.strip() for k, v in os.environ.items() if v and _SECRET_NAME.search(k)]
        _env_seen[:] = [snap, found]
    return _env_seen[1]


def _settings_secrets() -> list[str]:
    """Key-named string values anywhere in settings.json (settings must hold none; defence in depth).
    Looked at no more than once a second, read again only when the file changed."""
    import time

    now = time.monotonic()
    if now - _settings_checked[0] < 1.0:
        return _settings_checked[1]
    _settings_checked[:] = [now, _settings_file_secrets()]
    return _settings_checked[1]


def _settings_file_secrets() -> list[str]:
    try:
        from workbench.paths import config_dir

        path = config_dir() / "settings.json"
        st = path.stat()
        stamp = (st.st_mtime, st.st_size)
        seen = _settings_seen.get(str(path))
        if seen is not None and seen[0] == stamp:
            return seen[1]
        data = json.loads(path.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - missing or unreadable settings hold no secret we can see
        return []
    found: list[str] = []

    def walk(node: object, name: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for v in node:
                walk(v, name)
        elif isinstance(node, str) and name and _SECRET_NAME.search(name):
            found.append(node)

    walk(data)
    _settings_seen[str(path)] = (stamp, found)
    return found


def visible_secrets(providers: Iterable[str] = (), *, keyring: bool | None = True) -> set[str]:
    """Every secret value this process can see: stored keys (memory, and the keyring for the
    common providers, ``providers`` and every provider already used), key-named environment
    variables, key-named settings values and registered secrets (every key this process has read
    is registered). ``keyring`` False: no keyring lookup beyond ``providers``; None: look up only
    when this process has loaded the keyring already (the fast path for terminal output and logs:
    a command that never touched the keyring does not pay for loading it). Values shorter than
    ``MIN_SECRET_LENGTH`` are left out."""
    if keyring is None:
        import sys

        keyring = "keyring" in sys.modules
    out = set(_env_secrets())
    with _lock:
        out.update(_memory.values())
        out.update(_registered)
        wanted = set(providers) | ((set(COMMON_PROVIDERS) | _used) if keyring else set())
    for p in sorted(wanted - _looked_up):
        key = get_key(p)
        with _lock:
            _looked_up.add(p)
            if key:
                _registered.add(key)
    with _lock:
        out.update(_registered)
    out.update(_settings_secrets())
    return {s for s in out if len(s) >= MIN_SECRET_LENGTH}


def _variants(secret: str) -> set[str]:
    """The forms a key takes inside other text: as is, JSON-escaped, URL-quoted."""
    from urllib.parse import quote, quote_plus

    return {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote_plus(secret)}


def _alternatives(secrets: set[str]) -> list[str]:
    """Every form of every secret (see :func:`_variants`), longest first."""
    key = frozenset(secrets)
    alts = _alternatives_cache.get(key)
    if alts is None:
        alts = sorted({v for s in secrets for v in _variants(s) if v}, key=len, reverse=True)
        if len(_alternatives_cache) > 32:
            _alternatives_cache.clear()
        _alternatives_cache[key] = alts
    return alts


def _may_match(text: str, secrets: set[str]) -> bool:
    """False only when ``text`` cannot hold a match of ``_pattern(secrets)``: none of the secrets'
    forms and none of the shapes' literals (``_SHAPE_LITERALS``, "bearer" in any case) occur in it.
    Substring searches: a tenth of the cost of the regular expression over the same text."""
    return (any(lit in text for lit in _SHAPE_LITERALS) or "bearer" in text.lower()
            or any(alt in text for alt in _alternatives(secrets)))


def _pattern(secrets: set[str]) -> re.Pattern[str]:
    key = frozenset(secrets)
    pat = _pattern_cache.get(key)
    if pat is None:
        alts = _alternatives(secrets)
        pat = re.compile("|".join([re.escape(a) for a in alts] + [f"(?:{p})" for p in _SHAPES]))
        if len(_pattern_cache) > 32:
            _pattern_cache.clear()
        _pattern_cache[key] = pat
    return pat


def redact(text: object, *, providers: Iterable[str] = (), keyring: bool | None = True) -> str:
    """``text`` (made a string) with every secret this process can see replaced by
    ``[redacted secret]``: stored keys (keyring and memory), key-named environment variables
    (whatever the key's shape), key-named settings values, registered secrets, and well-known key
    shapes (``sk-...``, ``Bearer ...``), also in their JSON-escaped and URL-quoted forms. The first
    call reads the keyring's keys of the common providers (``keyring=None`` only when the keyring
    is loaded already, ``False`` never: see :func:`visible_secrets`). Never raises."""
    s = text if isinstance(text, str) else str(text)
    if not s:
        return s
    try:
        seen = visible_secrets(providers, keyring=keyring)
        if not _may_match(s, seen):
            return s
        return _pattern(seen).sub(REDACTED, s)
    except Exception:  # noqa: BLE001 - redaction must never be the error; fall back to shapes only
        return _SHAPES_RE.sub(REDACTED, s)


def redact_json(data: object) -> object:
    """``data`` (JSON-like: dicts, lists, strings, numbers) with :func:`redact` applied to every
    string, keys included."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {redact(k) if isinstance(k, str) else k: redact_json(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [redact_json(v) for v in data]
    return data


def install_log_redaction() -> None:
    """Make every log record's message (and its formatted traceback) go through :func:`redact`
    (``keyring=None``: the keyring is read only if this process has loaded it), whichever logger
    or handler writes it (litellm's, httpx's, ours). Idempotent."""
    import logging

    previous = logging.getLogRecordFactory()
    if getattr(previous, "workbench_redacts", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as logging would
            return record
        record.msg, record.args = redact(message, keyring=None), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), keyring=None)
        return record

    factory.workbench_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
