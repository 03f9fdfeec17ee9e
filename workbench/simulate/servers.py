"""One model served by several OpenAI-compatible servers (several vLLM instances, say), used as one.
Layer: simulate (pure + asyncio; no Qt; litellm imported lazily).

* :class:`Server` is one server: its base URL and how many requests it takes at once. A model
  spec's ``servers`` (:class:`~workbench.simulate.types.ModelSpec`) lists them; a spec with servers
  goes through a :class:`ServerPool`, a spec with one ``api_base`` exactly as before.
* :func:`load_deployment` reads a small YAML deployment file (the model and its servers). Keys never
  live in it (they are in the keyring): a key-like field is refused, and so is a malformed file,
  each with one line naming the file and the place.
* :class:`ServerPool` wraps one ``litellm.Router`` built once per run (:func:`open_pools`), never
  per call: one deployment per server with its ``max_parallel_requests``, least-busy routing, retries
  that move to another server, and a cooldown that takes a failing server out for a while, so the
  other servers take over when one dies mid-run (a request it dropped mid-answer, which the Router
  does not send again, the pool sends again, up to the same number of retries). The Router refuses (HTTP 429, nothing sent) a call
  when every free server is full; the pool then waits for a slot and asks again, so a server never
  has more requests at once than its limit.
* :func:`shown_url` is a server URL fit to show: credentials in it (``user:pass@host``) are replaced,
  and registered as secrets so that no log line or error carries them either.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from workbench.simulate.types import ModelSpec

__all__ = ["Server", "Deployment", "DeploymentError", "load_deployment", "servers_from_urls", "shown_url",
           "ServerPool", "open_pools", "pool_for", "pool_concurrency"]

#: A field name that looks like it holds a secret (refused in a deployment file).
_KEY_LIKE = re.compile(r"key|token|secret|passw|credential|auth|bearer", re.IGNORECASE)
_SERVER_FIELDS = ("api_base", "max_concurrency")
_TOP_FIELDS = ("model", "servers")
#: seconds a failing server is left out before it is tried again
COOLDOWN_SECONDS = 5.0
#: seconds between two looks for a free slot when every working server is full
SLOT_WAIT = 0.02


class DeploymentError(ValueError):
    """A deployment file (or a list of server URLs) that cannot be used; the message is one line
    naming the file and the field."""


@dataclass(frozen=True)
class Server:
    """One OpenAI-compatible server: ``api_base`` (may carry ``user:pass@``; shown redacted) and
    ``max_parallel``, the most requests it is sent at once (None: the run's ``--concurrency``)."""

    api_base: str
    max_parallel: int | None = None

    @property
    def shown(self) -> str:
        """The URL fit to show (credentials replaced)."""
        return shown_url(self.api_base)


@dataclass(frozen=True)
class Deployment:
    """A deployment file's content: the model (None: any) and its servers."""

    model: str | None
    servers: tuple[Server, ...]


def shown_url(url: str) -> str:
    """``url`` without the credentials it carries (``http://user:pass@host`` -> ``http://***@host``);
    the password is registered as a secret so that :func:`workbench.secrets.redact` removes it from
    any other text too."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    from workbench import secrets

    for piece in userinfo.split(":", 1):
        if len(piece) >= 4:
            secrets.register_secret(piece)
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def _without_credentials(url: str) -> tuple[str, str | None]:
    """(``url`` without ``user:pass@``, the HTTP basic ``Authorization`` value for them or None)."""
    import base64
    from urllib.parse import unquote

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
    from workbench import secrets

    secrets.register_secret(token)
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)), f"Basic {token}"


def _check_url(url: object, where: str) -> str:
    if not isinstance(url, str) or not url.strip():
        raise DeploymentError(f"{where}: api_base must be a URL (http://host:port/v1)")
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeploymentError(f"{where}: api_base {shown_url(url)!r} is not an http(s) URL")
    return url


def servers_from_urls(urls: Sequence[str], max_parallel: int | None = None) -> tuple[Server, ...]:
    """Servers from URLs (``--api-base`` given several times), each taking ``max_parallel``
    requests at once. Raises DeploymentError for a URL that is not http(s) or given twice."""
    out = tuple(Server(_check_url(u, f"--api-base {shown_url(str(u))}"), max_parallel) for u in urls)
    _check_unique(out, "--api-base")
    return out


def _check_unique(servers: Sequence[Server], where: str) -> None:
    seen: set[str] = set()
    for s in servers:
        if s.api_base.rstrip("/") in seen:
            raise DeploymentError(f"{where}: server {s.shown} is listed twice")
        seen.add(s.api_base.rstrip("/"))


def load_deployment(path: str | Path) -> Deployment:
    """Read a deployment file::

        model: openai/qwen3-8b        # optional: the model these servers serve
        servers:
          - api_base: http://gpu1:8000/v1
            max_concurrency: 16       # optional
          - api_base: http://gpu2:8000/v1

    Raises DeploymentError (one line naming the file and the field) when the file cannot be read,
    is not YAML, has an unknown or key-like field (keys belong in the keyring), or a bad value."""
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeploymentError(f"{p}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = getattr(exc, "problem", None) or "not valid YAML"
        raise DeploymentError(f"{p}{at}: {what}") from None
    if not isinstance(data, dict):
        raise DeploymentError(f"{p}: must be a mapping with 'servers' (and optionally 'model')")
    _check_fields(data, _TOP_FIELDS, f"{p}")
    model = data.get("model")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise DeploymentError(f"{p}: model must be a litellm model name")
    raw = data.get("servers")
    if not isinstance(raw, list) or not raw:
        raise DeploymentError(f"{p}: servers must be a list of at least one server")
    servers = tuple(_server(item, f"{p}: servers[{i}]") for i, item in enumerate(raw))
    _check_unique(servers, str(p))
    return Deployment(model.strip() if isinstance(model, str) else None, servers)


def _check_fields(data: dict, allowed: Iterable[str], where: str) -> None:
    for name in data:
        if _KEY_LIKE.search(str(name)):
            raise DeploymentError(f"{where}: field {name!r} looks like a secret; keys are never kept in a "
                                  "deployment file (set them with the API keys dialog: the system keyring)")
        if name not in allowed:
            raise DeploymentError(f"{where}: unknown field {name!r} (expected {', '.join(allowed)})")


def _server(item: object, where: str) -> Server:
    if isinstance(item, str):
        item = {"api_base": item}
    if not isinstance(item, dict):
        raise DeploymentError(f"{where}: must be a mapping with api_base (and optionally max_concurrency)")
    _check_fields(item, _SERVER_FIELDS, where)
    url = _check_url(item.get("api_base"), where)
    cap = item.get("max_concurrency")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        raise DeploymentError(f"{where}: max_concurrency must be a whole number of 1 or more, got {cap!r}")
    return Server(url, cap)


def pool_concurrency(specs: Sequence[ModelSpec], concurrency: int) -> int:
    """The run's concurrency when some models run on several servers: the sum of their servers'
    limits (a server without one takes ``concurrency``), so every server is kept busy and no request
    waits for a slot that no server has; ``concurrency`` when no model has servers."""
    pooled = [sum(x.max_parallel or concurrency for x in s.servers) for s in specs if s.servers]
    return max(pooled) if pooled else concurrency


class ServerPool:
    """The servers of one model spec behind one ``litellm.Router`` (built here, once). ``retries``:
    how many times a failed call is tried again (on another server when one is free);
    ``concurrency``: the limit of a server that sets none."""

    def __init__(self, spec: ModelSpec, *, retries: int = 4, concurrency: int = 8,
                 cooldown: float = COOLDOWN_SECONDS) -> None:
        from workbench.simulate.providers import _litellm

        litellm = _litellm()
        from litellm.types.router import AllowedFailsPolicy, RetryPolicy

        self.spec = spec
        self.alias = f"workbench-pool/{spec.model}"
        self.shown: dict[str, str] = {}         # the URL a response names -> the server as shown
        deployments = []
        for i, server in enumerate(spec.servers):
            url, auth = _without_credentials(server.api_base)
            self.shown[url.rstrip("/")] = server.shown
            params: dict[str, Any] = {"model": spec.model, "api_base": url,
                                      "max_parallel_requests": server.max_parallel or concurrency,
                                      "weight": server.max_parallel or concurrency}
            if auth:        # user:pass@ in the URL: HTTP basic authentication (httpx refuses both)
                params["extra_headers"] = {"Authorization": auth}
            deployments.append({"model_name": self.alias, "litellm_params": params,
                                "model_info": {"id": f"server-{i}"}})
        n = len(deployments)
        # a full server answers 429 without sending anything: move on to the others, then wait
        # a server that fails (refused, dropped, 5xx, timeout) is left out for ``cooldown`` seconds at
        # once; one that is only full (429 from its slots: nothing was sent) never is
        fails = AllowedFailsPolicy(InternalServerErrorAllowedFails=0, TimeoutErrorAllowedFails=0,
                                   ServiceUnavailableErrorAllowedFails=0, BadGatewayErrorAllowedFails=0,
                                   RateLimitErrorAllowedFails=1_000_000)
        self.router = litellm.Router(model_list=deployments, num_retries=retries, allowed_fails_policy=fails,
                                     cooldown_time=cooldown, retry_after=0, routing_strategy="simple-shuffle",
                                     enable_weighted_failover=True, max_fallbacks=n,
                                     retry_policy=RetryPolicy(RateLimitErrorRetries=n))
        self.cooldown = cooldown
        self.retries = retries

    async def acompletion(self, kwargs: dict[str, Any]) -> tuple[Any, str]:
        """One chat completion on whichever server the Router picks (``kwargs`` as for
        ``litellm.acompletion``; its model and api_base are the pool's). Waits while every working
        server is full. Returns (response, the server's shown URL); raises what litellm raises."""
        from workbench.simulate.providers import classify

        call = {k: v for k, v in kwargs.items() if k not in ("model", "api_base", "max_retries", "num_retries")}
        lost = 0
        while True:
            try:
                response = await self.router.acompletion(model=self.alias, **call)
            except Exception as exc:  # noqa: BLE001 - "every server is full" and lost connections only
                if _all_full(exc):
                    await asyncio.sleep(SLOT_WAIT)
                    continue
                # a connection the dying server dropped mid-request: the Router does not send it
                # again; the pool does, up to ``retries`` times (the dead server is cooling down)
                if lost < self.retries and classify(exc, self.spec, None).kind in ("connection", "server"):
                    lost += 1
                    continue
                raise
            hidden = getattr(response, "_hidden_params", None) or {}
            base = hidden.get("api_base") if isinstance(hidden, dict) else None
            base = str(base or "").rstrip("/")
            return response, self.shown.get(base) or (shown_url(base) if base else "")


def _all_full(exc: BaseException) -> bool:
    """True when ``exc`` says a server's parallel-request slots were all in use (nothing was sent)."""
    return "max_parallel_requests" in str(exc) and "in use" in str(exc)


_pools: dict[ModelSpec, ServerPool] = {}
_pools_lock = threading.Lock()


def open_pools(specs: Sequence[ModelSpec], *, concurrency: int = 8, retries: int = 4) -> list[ServerPool]:
    """Build the pool (one Router) of every spec with servers, fresh for this run (a pool of an
    earlier run of the same spec is replaced). Returns the pools built."""
    built = []
    for s in specs:
        if s.servers:
            pool = ServerPool(s, retries=retries, concurrency=concurrency)
            with _pools_lock:
                _pools[s] = pool
            built.append(pool)
    return built


def pool_for(spec: ModelSpec) -> ServerPool:
    """The pool of ``spec`` (built now, once, when no run opened it: the Predict panel)."""
    with _pools_lock:
        pool = _pools.get(spec)
    if pool is None:
        pool = ServerPool(spec)
        with _pools_lock:
            pool = _pools.setdefault(spec, pool)
    return pool
