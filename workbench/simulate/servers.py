"""One model served by several OpenAI-compatible servers (several vLLM instances, say), used as one.
Layer: simulate (pure + asyncio; no Qt; litellm imported lazily).

* :class:`Server` is one server: its base URL and how many requests it takes at once. A model
  spec's ``servers`` (:class:`~workbench.simulate.types.ModelSpec`) lists them; a spec with servers
  goes through a :class:`ServerPool`, a spec with one ``api_base`` exactly as before.
* :func:`load_deployment` reads a small YAML deployment file (the model and its servers). Keys never
  live in it (they are in the keyring): a key-like field is refused, and so is a malformed file,
  each with one line naming the file and the place.
* :class:`ServerPool` sends each call to one of the servers itself, through ``litellm.acompletion``
  with that server's ``api_base`` (the request and the response are litellm's, as for one server):
  the server with the fewest requests in flight for its ``max_parallel`` (ties in turn), so no
  server ever gets more than its limit and no call is sent to a full one only to bounce. A call
  waits while every working server is full. A server that fails a call (connection refused or
  dropped, 5xx, timeout) is left out for a while (cooldown) and the call is sent again to another
  (:func:`workbench.simulate.providers.complete` counts those retries), so the other servers take
  over when one dies mid-run; when every server is failing, the one back soonest is tried again
  after a short pause. One pool per spec and run (:func:`open_pools`), never one per call.
* :func:`shown_url` is a server URL fit to show: credentials in it (``user:pass@host``) are replaced,
  and registered as secrets so that no log line or error carries them either.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
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


@dataclass(eq=False)
class _Slot:
    """One server of a pool while a run uses it: where to send (credentials taken out of the URL and
    sent as a header), how many requests it takes at once and has in flight, and until when
    (``time.monotonic()``) it is left out after a failure."""

    url: str
    headers: dict[str, str] | None
    shown: str
    limit: int
    in_flight: int = 0
    down_until: float = 0.0


class ServerPool:
    """The servers of one model spec used as one: each call goes to the server with the fewest
    requests in flight for its limit (ties in turn), through ``litellm.acompletion`` with that
    server's ``api_base``, so a server never has more requests at once than its limit and nothing
    is sent to a full one. ``retries``: how many times a call that failed on a server (connection
    refused or dropped, 5xx, timeout) is sent again, to another server when one works;
    ``concurrency``: the limit of a server that sets none; ``cooldown``: seconds a failing server is
    left out (tried again earlier only when every server is failing)."""

    def __init__(self, spec: ModelSpec, *, retries: int = 4, concurrency: int = 8,
                 cooldown: float = COOLDOWN_SECONDS) -> None:
        self.spec = spec
        self.retries = retries
        self.cooldown = cooldown
        self.slots: list[_Slot] = []
        for server in spec.servers:
            url, auth = _without_credentials(server.api_base)
            # user:pass@ in the URL: HTTP basic authentication (httpx refuses both)
            self.slots.append(_Slot(url, {"Authorization": auth} if auth else None, server.shown,
                                    server.max_parallel or concurrency))
        self._lock = threading.Lock()        # a pool may be used from the GUI loop and a worker's
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._turn = 0

    def _pick(self, now: float) -> _Slot | None:
        """The working server with the most room (fewest in flight for its limit; ties in turn); when
        every server is failing, the free one back soonest; None when none has a free slot.
        Called with the lock held."""
        best: _Slot | None = None
        n = len(self.slots)
        for k in range(n):
            slot = self.slots[(self._turn + k) % n]
            if slot.in_flight >= slot.limit or slot.down_until > now:
                continue
            if best is None or slot.in_flight * best.limit < best.in_flight * slot.limit:
                best = slot
        if best is None and all(s.down_until > now for s in self.slots):
            free = [s for s in self.slots if s.in_flight < s.limit]
            best = min(free, key=lambda s: s.down_until) if free else None
        if best is not None:
            self._turn = (self.slots.index(best) + 1) % n
        return best

    async def _acquire(self) -> _Slot:
        """A slot on a server (waits while every usable server is full)."""
        while True:
            with self._lock:
                slot = self._pick(time.monotonic())
                if slot is not None:
                    slot.in_flight += 1
                    return slot
                loop = asyncio.get_running_loop()
                fut: asyncio.Future[None] = loop.create_future()
                self._waiters.append((loop, fut))
            try:
                await fut
            finally:
                with self._lock:
                    if (loop, fut) in self._waiters:
                        self._waiters.remove((loop, fut))

    def _release(self, slot: _Slot, failed: bool) -> None:
        """Give the slot back (``failed``: leave its server out for ``cooldown`` seconds) and wake
        the calls waiting for one."""
        with self._lock:
            slot.in_flight -= 1
            if failed:
                slot.down_until = time.monotonic() + self.cooldown
            waiters, self._waiters = self._waiters, []
        for loop, fut in waiters:
            if not fut.done():
                loop.call_soon_threadsafe(_wake, fut)

    async def acompletion(self, kwargs: dict[str, Any], attempt: int = 0) -> tuple[Any, str]:
        """Send one chat completion to one server (``kwargs`` as for ``litellm.acompletion``
        without ``api_base``); ``attempt``: how many times this call failed before (when every
        server is failing, the one back soonest is tried after 0.2 s x 2^attempt, at most 1 s or until its
        cooldown ends). Returns (response, the server's shown URL); raises what litellm raises,
        after leaving the server out when the failure was the server's (connection, 5xx, timeout)."""
        from workbench.simulate.providers import _litellm

        litellm = _litellm()
        slot = await self._acquire()
        failed = False
        try:
            wait = slot.down_until - time.monotonic()
            if wait > 0:            # every server is failing: this one is tried before its time
                await asyncio.sleep(min(wait, 1.0, 0.2 * 2 ** attempt))
            call = {**kwargs, "api_base": slot.url}
            if slot.headers:
                call["extra_headers"] = {**(kwargs.get("extra_headers") or {}), **slot.headers}
            try:
                response = await litellm.acompletion(**call)
            except Exception as exc:  # noqa: BLE001 - only looked at, raised again
                failed = _server_failed(exc, self.spec)
                raise
            return response, slot.shown
        finally:
            self._release(slot, failed)


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _server_failed(exc: BaseException, spec: ModelSpec) -> bool:
    """True when ``exc`` says the server failed (refused, dropped, unreachable, 5xx, timeout), not
    the request (bad request, context window, rate limit, an answer that cannot be read)."""
    from workbench.simulate.providers import classify

    return classify(exc, spec, None).kind in ("connection", "server", "timeout", "dns")


_pools: dict[ModelSpec, ServerPool] = {}
_pools_lock = threading.Lock()


def open_pools(specs: Sequence[ModelSpec], *, concurrency: int = 8, retries: int = 4) -> list[ServerPool]:
    """Build the pool of every spec with servers, fresh for this run (a pool of an
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
