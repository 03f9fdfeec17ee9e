"""A small OpenAI-compatible HTTP server for tests, benchmarks and offline demos. Layer: pure.

Serves ``POST /v1/chat/completions`` (with ``logprobs``/``top_logprobs`` answers whose first token
carries "Yes"/"No" alternatives) and ``GET /v1/models`` on 127.0.0.1, port chosen by the OS, in a
background thread (``http.server.ThreadingHTTPServer``: one thread per request, so 16+ concurrent
requests are served in parallel). Answers are scripted:

* ``script``: a callable ``(request: SeenRequest) -> Reply | str`` or a list/queue of ``Reply``/``str``
  consumed one per completion request (the last one repeats when the queue runs dry), or None for the
  ``default`` reply;
* ``Reply(status=429|500|401|400, ...)`` gives an OpenAI-style error body; ``raw_body`` sends any
  bytes (malformed JSON); ``delay`` (or the server's ``latency``) sleeps before answering.

Every request is recorded (method, path, headers, parsed JSON body) in ``server.requests``.

    with DevServer(script=["Yes", Reply(status=429), "No"]) as srv:
        litellm.acompletion(model="openai/dev", api_base=srv.base_url, ...)
"""

from __future__ import annotations

import collections
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Union

_ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_api_key", 403: "permission_denied",
                404: "not_found_error", 429: "rate_limit_exceeded", 500: "server_error",
                502: "server_error", 503: "server_error"}


@dataclass
class Reply:
    """What the server answers to one request: text, HTTP status, delay (seconds; None: the server's
    latency), exact raw bytes, first-token log-probabilities, headers, an error message and token
    counts (None: computed from the request)."""

    content: str = "Yes"
    status: int = 200
    delay: float | None = None           # seconds to sleep before answering (None: server latency)
    raw_body: bytes | None = None        # send exactly these bytes (malformed answers)
    logprobs: dict[str, float] | None = None   # first-token alternatives, e.g. {"Yes": -0.1, "No": -2.3}
    headers: dict[str, str] = field(default_factory=dict)
    error_message: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass
class SeenRequest:
    """A request the server received: method, path, headers and the parsed JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    time: float

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        low = name.lower()
        for k, v in self.headers.items():
            if k.lower() == low:
                return v
        return None

    @property
    def prompt(self) -> str:
        """The request's messages joined by newlines (empty for a malformed body)."""
        try:
            return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))
        except Exception:  # noqa: BLE001 - a malformed request body: an empty prompt
            return ""


Script = Union[Callable[[SeenRequest], Union[Reply, str]], Iterable[Union[Reply, str]], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 64


class DevServer:
    """An OpenAI-compatible chat-completions server on 127.0.0.1 in a thread: answers come from a
    script (a callable, or queued replies of which the last repeats), else ``default``; every
    request is recorded in ``requests``."""

    def __init__(self, script: Script = None, *, latency: float = 0.0, default: Reply | str = "Yes",
                 models: Iterable[str] = ("dev-model",)) -> None:
        self.latency = latency
        self.default = default
        self.models = list(models)
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._callable: Callable[[SeenRequest], Reply | str] | None = None
        self._queue: collections.deque = collections.deque()
        self._last: Reply | str | None = None
        self.set_script(script)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.in_flight = 0
        self.max_in_flight = 0

    # -- scripting ---------------------------------------------------------------------------------
    def set_script(self, script: Script) -> None:
        """Replace the script: a callable ``request -> reply``, replies to queue, or None (the default)."""
        with self._lock:
            self._callable = None
            self._queue.clear()
            self._last = None
            if callable(script):
                self._callable = script
            elif script is not None:
                self._queue.extend(script)

    def push(self, *replies: Reply | str) -> None:
        """Queue replies, answered in order (the last one then repeats)."""
        with self._lock:
            self._queue.extend(replies)

    def _next_reply(self, req: SeenRequest) -> Reply:
        with self._lock:
            fn = self._callable
            if fn is None:
                if self._queue:
                    self._last = self._queue.popleft()
                    reply = self._last
                elif self._last is not None:
                    reply = self._last
                else:
                    reply = self.default
        if fn is not None:
            reply = fn(req)
        return reply if isinstance(reply, Reply) else Reply(content=str(reply))

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> "DevServer":
        """Start listening on a free loopback port (idempotent); returns the server."""
        if self._httpd is not None:
            return self
        server = self

        class Handler(_Handler):
            dev = server

        self._stop.clear()
        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="devserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the server and wake any delayed reply (idempotent)."""
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "DevServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port listened on. RuntimeError when the server is not running."""
        if self._httpd is None:
            raise RuntimeError("the dev server is not running")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL of the server (``http://127.0.0.1:PORT/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def completion_requests(self) -> list[SeenRequest]:
        """The chat-completion requests received so far, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops; False when interrupted."""
        return not self._stop.wait(seconds)


def closed_port_base() -> str:
    """An OpenAI-style base URL on 127.0.0.1 where nothing listens (connection refused): for tests
    and benchmarks of the unreachable-server path."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/v1"


def completion_body(reply: Reply, request_body: Any) -> dict[str, Any]:
    """The JSON body of a chat completion answering ``request_body`` with ``reply``."""
    body = request_body if isinstance(request_body, dict) else {}
    model = body.get("model", "dev-model")
    prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []) if isinstance(m, dict))
    prompt_tokens = reply.prompt_tokens if reply.prompt_tokens is not None else max(1, len(prompt) // 2)
    completion_tokens = reply.completion_tokens if reply.completion_tokens is not None \
        else max(1, len(reply.content.split()))
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": reply.content}}
    if body.get("logprobs"):
        n = int(body.get("top_logprobs") or 0)
        alts = reply.logprobs
        if alts is None:
            first = reply.content.strip().split(" ")[0] if reply.content.strip() else reply.content
            alts = {first: -0.05, ("No" if first == "Yes" else "Yes"): -3.0}
        top = sorted(alts.items(), key=lambda kv: -kv[1])[: n or len(alts)]
        first_tok = reply.content.strip().split(" ")[0] if reply.content.strip() else ""
        first_lp = alts.get(first_tok, top[0][1] if top else 0.0)
        content = [{"token": first_tok, "logprob": first_lp, "bytes": list(first_tok.encode()),
                    "top_logprobs": [{"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in top]}]
        choice["logprobs"] = {"content": content}
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion",
            "created": int(time.time()), "model": model, "choices": [choice],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


class _Handler(BaseHTTPRequestHandler):
    dev: DevServer
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as asyncio servers (uvicorn, vLLM) set it: the headers and the body go out as two
    # writes, and with Nagle's algorithm the body waited for the client's delayed ACK of the headers
    # (about 40 ms on Linux loopback), which added 40 ms to every answer
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - silence the default stderr log
        return

    def _record(self, body: Any) -> SeenRequest:
        req = SeenRequest(self.command, self.path, {k: v for k, v in self.headers.items()}, body, time.time())
        with self.dev._lock:
            self.dev.requests.append(req)
        return req

    def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the client went away (timeouts, cancelled tasks)

    def do_GET(self):  # noqa: N802
        self._record(None)
        if self.path.rstrip("/").endswith("/models"):
            data = {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "devserver"}
                                               for m in self.dev.models]}
            self._send(200, json.dumps(data).encode())
        else:
            self._send(404, json.dumps({"error": {"message": "not found", "type": "not_found_error"}}).encode())

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (ValueError, UnicodeDecodeError):
            body = raw.decode("utf-8", "replace")
        req = self._record(body)
        if self.dev._stop.is_set():         # stopped: drop the connection, as a dead server would
            self.close_connection = True
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, json.dumps({"error": {"message": "not found", "type": "not_found_error"}}).encode())
            return
        dev = self.dev
        with dev._lock:
            dev.in_flight += 1
            dev.max_in_flight = max(dev.max_in_flight, dev.in_flight)
        try:
            reply = dev._next_reply(req)
            delay = dev.latency if reply.delay is None else reply.delay
            if delay > 0 and not dev.sleep(delay):
                self.close_connection = True   # stopped while delaying: no answer, connection closed
                return
            if reply.raw_body is not None:
                self._send(reply.status, reply.raw_body, reply.headers)
            elif reply.status != 200:
                err = {"error": {"message": reply.error_message or f"dev server error {reply.status}",
                                 "type": _ERROR_TYPES.get(reply.status, "error"),
                                 "code": _ERROR_TYPES.get(reply.status, str(reply.status))}}
                self._send(reply.status, json.dumps(err).encode(), reply.headers)
            else:
                self._send(200, json.dumps(completion_body(reply, body), ensure_ascii=False).encode("utf-8"),
                           reply.headers)
        finally:
            with dev._lock:
                dev.in_flight -= 1
