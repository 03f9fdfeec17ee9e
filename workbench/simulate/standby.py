"""A second process with litellm imported already, for the window's first model calls. Layer:
simulate (pure + asyncio; no Qt).

``import litellm`` costs 3.5-4 s of CPU. The window imports it on a background thread after its
first paint (:mod:`workbench.app.preload`), sharing one core with the interface, so a Predict
clicked in the first seconds would wait for it. So the window also starts ``python -m
workbench.simulate.standby`` as it starts: on the other core, that process imports and configures
litellm (:func:`workbench.simulate.providers.warm_up`, with the garbage collector off), makes one
call to a loopback server of its own (a first call costs a second more than any other), says it is
ready and then answers :func:`~workbench.simulate.providers.predict` and
:func:`~workbench.simulate.providers.summarize` calls, made there by the same code as here.

* The window's own import of litellm waits until the standby process is ready and has had no call
  for a few seconds (:func:`wait_quiet`), so that the two imports do not share the cores while the
  window starts and the import here does not slow down a Predict clicked meanwhile. A model call
  made while litellm is not loaded here goes to the standby process once it is ready
  (:func:`call`). Once litellm is loaded here, every call is made here and the standby process is
  stopped as soon as its last call has answered (:func:`retire`).
* The standby process never reads the keyring: each call carries the key it sends to the provider,
  over the pipe only. Its answers are redacted again here, its notices of dropped request
  parameters join this process's, and its standard error goes to /dev/null.
* Anything wrong with it (it cannot start, is not ready within :data:`READY_TIMEOUT_S`, dies,
  sends a broken answer or fails in its own code) makes the call here instead, as if there were no
  standby. Cancelling a call here cancels it there. Calls are written to it by a thread of their
  own: the window's loop never waits on the pipe.

Messages (:mod:`workbench.child` frames holding pickles): to the process ``("call", id, op, args,
kwargs)`` and ``("cancel", id)``; from it ``("ready", cpu_seconds)``, ``("done", id, result, notices)``,
``("raise", id, provider_error_fields)`` and ``("fail", id, text)``.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import itertools
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from typing import Any

from workbench.child import read_frame, spawn, write_frame

__all__ = ["NOT_SERVED", "call", "main", "retire", "running", "start", "state", "wait", "wait_quiet"]

#: What :func:`call` returns when the call is to be made in this process.
NOT_SERVED = object()
#: The calls the standby process makes (functions of :mod:`workbench.simulate.providers`).
OPS = ("predict", "summarize")
#: Scheduling priority of the standby process below the window's (nice value; the window's start
#: gets the cores it wants first).
NICENESS = 10
#: ``WORKBENCH_STANDBY=0``: no standby process (one core, little memory).
ENV_SWITCH = "WORKBENCH_STANDBY"
#: Seconds without a call after which the window imports litellm itself (:func:`wait_quiet`).
QUIET_S = 5.0
#: How long a call waits for the standby process to get ready before making the call here.
READY_TIMEOUT_S = 30.0
_POLL_S = 0.02          # how often a waiting call looks whether either side is ready


class _Standby:
    """The running standby process, its reader thread and the calls it has not answered yet."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.started = time.time()
        self.ready_at = 0.0
        self.ready_cpu_s = 0.0                  # CPU seconds the process took to get ready
        self.ended_at = 0.0
        self.calls = 0
        self.last_activity = 0.0                # when a call was last sent or answered (or it got ready)
        self.settled = threading.Event()        # ready, or gone before it was
        self.gone = False
        self.retiring = False
        self._ids = itertools.count(1)
        self._lock = threading.Lock()           # pending, gone, retiring, closed
        self._closed = False                    # its input's end is queued
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._pending: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future]] = {}
        self._reader = threading.Thread(target=self._read, name="litellm-standby-reader", daemon=True)
        self._reader.start()
        threading.Thread(target=self._write, name="litellm-standby-writer", daemon=True).start()

    def _read(self) -> None:
        try:
            while True:
                body = read_frame(self.proc.stdout)
                if body is None:
                    break
                msg = pickle.loads(body)
                if msg[0] == "ready":
                    self.ready_cpu_s = float(msg[1])
                    self.ready_at = self.last_activity = time.time()
                    self.settled.set()
                    continue
                with self._lock:
                    entry = self._pending.pop(msg[1], None)
                    self.last_activity = time.time()
                if entry is not None:
                    _settle(*entry, msg)
                self._maybe_close()
        except Exception:  # noqa: BLE001 - a broken answer ends the standby; its calls are made here
            pass
        self._end()

    def _end(self) -> None:
        with self._lock:
            self.gone = True
            pending = list(self._pending.values())
            self._pending.clear()
            self._close_input()
        for loop, fut in pending:
            _settle(loop, fut, ("gone",))
        self.kill()
        self.ended_at = time.time()
        self.settled.set()

    @property
    def ready(self) -> bool:
        """Whether it has said it is ready and has not ended since."""
        return bool(self.ready_at) and not self.gone

    def submit(self, op: str, args: tuple, kwargs: dict[str, Any]) -> tuple[int, asyncio.Future] | None:
        """Send one call; ``(id, future of its answer)``, or None when the process takes no more calls."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        with self._lock:
            if self.gone or self.retiring:
                return None
            cid = next(self._ids)
            self._pending[cid] = (loop, fut)
            self.calls += 1
            self.last_activity = time.time()
        if not self._send(("call", cid, op, args, kwargs)):
            with self._lock:
                self._pending.pop(cid, None)
            return None
        return cid, fut

    def cancel(self, cid: int) -> None:
        """Forget call ``cid`` here and cancel it there."""
        with self._lock:
            self._pending.pop(cid, None)
        self._send(("cancel", cid))
        self._maybe_close()

    def _send(self, message: tuple) -> bool:
        """Queue ``message`` for the writer thread (the caller's loop never waits on the pipe);
        False when it does not pickle or the input is closed."""
        try:
            body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, ValueError):
            return False
        with self._lock:
            if self._closed:
                return False
            self._outbox.put(body)
        return True

    def _write(self) -> None:
        """The writer thread: queued messages to the process's input, then its end (None)."""
        stdin = self.proc.stdin
        try:
            while (body := self._outbox.get()) is not None:
                write_frame(stdin, body)
            if stdin is not None:
                stdin.close()           # the end of its input: it stops
        except (OSError, ValueError, AttributeError):
            self.kill()                 # it cannot be written to: the reader sees it end

    def quiet_for(self) -> float:
        """Seconds since the last call was sent or answered; 0 while a call is pending."""
        with self._lock:
            return 0.0 if self._pending else time.time() - self.last_activity

    def retire(self) -> None:
        """Take no more calls; the process ends once those it has are answered."""
        with self._lock:
            self.retiring = True
        self._maybe_close()

    def _maybe_close(self) -> None:
        with self._lock:
            if self.retiring and not self._pending:
                self._close_input()

    def _close_input(self) -> None:
        """Queue the end of the process's input (once; the caller holds the lock): it stops."""
        if not self._closed:
            self._closed = True
            self._outbox.put(None)

    def kill(self) -> None:
        """Stop the process now (if it still runs) and reap it."""
        try:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass


def _settle(loop: asyncio.AbstractEventLoop, fut: asyncio.Future, msg: tuple) -> None:
    """Give ``fut`` its answer on its own loop (from the reader thread)."""
    def give() -> None:
        if not fut.done():
            fut.set_result(msg)
    try:
        loop.call_soon_threadsafe(give)
    except RuntimeError:            # that loop is closed: nobody waits any more
        pass


_current: list[_Standby] = []
_start_lock = threading.Lock()


def start() -> bool:
    """Start the standby process unless it runs already or litellm is loaded here; False when
    there is none (a frozen app, ``WORKBENCH_STANDBY=0``, or it cannot be started)."""
    from workbench.simulate.tokens import litellm_loaded

    with _start_lock:
        if _current and not _current[0].gone:
            return True
        if litellm_loaded() or os.environ.get(ENV_SWITCH, "1").strip() == "0":
            return False
        proc = spawn("workbench.simulate.standby")
        if proc is None:
            return False
        sb = _Standby(proc)
        _current[:] = [sb]
    atexit.register(sb.kill)
    return True


def running() -> bool:
    """Whether a standby process may still take calls (started, not ended, not retired)."""
    sb = _current[0] if _current else None
    return sb is not None and not sb.gone and not sb.retiring


def retire() -> None:
    """litellm is loaded here now: the standby process takes no more calls and ends after its last."""
    if _current:
        _current[0].retire()


def state() -> dict[str, Any]:
    """``started``/``ready``/``ended`` (epoch seconds, 0 = not yet), ``ready_cpu_s`` (the CPU seconds
    the standby process took to get ready) and ``calls`` sent to it (all 0 when there was none)."""
    if not _current:
        return {"started": 0.0, "ready": 0.0, "ended": 0.0, "ready_cpu_s": 0.0, "calls": 0}
    sb = _current[0]
    return {"started": sb.started, "ready": sb.ready_at, "ended": sb.ended_at, "ready_cpu_s": sb.ready_cpu_s,
            "calls": sb.calls}


def wait(timeout: float = READY_TIMEOUT_S) -> bool:
    """Block until the standby process is ready (True) or gone, or ``timeout`` seconds have passed
    (False); False at once when there is none."""
    sb = _current[0] if _current else None
    if sb is None:
        return False
    sb.settled.wait(timeout)
    return sb.ready


def wait_quiet(quiet_s: float = QUIET_S, timeout: float = READY_TIMEOUT_S) -> bool:
    """Block until the standby process is ready and has had no call for ``quiet_s`` seconds (True),
    or it is gone, retired or not ready within ``timeout`` seconds (False); False at once when
    there is none. The window imports litellm itself only then: an import shares this process's
    interpreter with the window for seconds, and would slow down a Predict clicked meanwhile."""
    if not wait(timeout):
        return False
    sb = _current[0]
    while not sb.gone and not sb.retiring:
        quiet = sb.quiet_for()
        if quiet >= quiet_s:
            return True
        time.sleep(min(0.25, quiet_s - quiet) if quiet else 0.1)
    return False


async def _ready_first(sb: _Standby) -> bool:
    """Wait until the standby process is ready (True), or is gone, or litellm is loaded here, or
    :data:`READY_TIMEOUT_S` have passed (False), whichever comes first."""
    from workbench.simulate import tokens

    deadline = time.monotonic() + READY_TIMEOUT_S
    while not sb.settled.is_set() and not tokens.litellm_loaded() and time.monotonic() < deadline:
        await asyncio.sleep(_POLL_S)
    return sb.ready


async def call(op: str, *args: Any, **kwargs: Any) -> Any:
    """``providers.<op>(*args, **kwargs)`` made by the standby process while litellm is not loaded
    here (the caller passes the call's key as ``api_key``); :data:`NOT_SERVED` when the call is to be
    made here instead. A ProviderError raised there is raised here."""
    from workbench import secrets
    from workbench.simulate.dropped import adopt_drop_notices
    from workbench.simulate.provider_error import ProviderError
    from workbench.simulate.tokens import litellm_loaded

    if not running() or op not in OPS or litellm_loaded():
        return NOT_SERVED
    sb = _current[0]
    if not await _ready_first(sb):
        return NOT_SERVED
    sent = sb.submit(op, args, kwargs)
    if sent is None:
        return NOT_SERVED
    cid, fut = sent
    try:
        msg = await fut
    except asyncio.CancelledError:
        sb.cancel(cid)
        raise
    finally:
        if litellm_loaded():
            sb.retire()
    if msg[0] == "done":
        adopt_drop_notices(msg[3])
        return msg[2]
    if msg[0] == "raise":               # its words, with every secret this process can see taken out
        kind, message, retryable, retries, status = msg[2]
        raise ProviderError(kind, secrets.redact(message), retryable=retryable, retries=retries, status=status)
    return NOT_SERVED                   # "fail" or "gone": made here instead


# --- in the standby process ---------------------------------------------------------------------


async def _first_call() -> None:
    """One model call to a loopback server of this process, before the process says it is ready:
    litellm and the OpenAI client do more work on their first call than on any other (about a
    second of CPU here: building answer types, first type checks), which the window's first call
    then does not wait for."""
    from workbench.devserver import DevServer
    from workbench.simulate import providers
    from workbench.simulate.types import ModelSpec

    try:
        with DevServer(default="Yes") as srv:
            await providers.predict(ModelSpec("openai/warm-up", api_base=srv.base_url), "warm-up", "warm_up",
                                    "binary", policy=providers.RetryPolicy(max_retries=0, connection_retries=0),
                                    api_key="warm-up")
    except Exception:  # noqa: BLE001 - the first real call then does that work
        pass


async def _serve(inp: Any, out: Any) -> None:
    """Answer calls until the input ends; each call runs as its own task."""
    from workbench.simulate import dropped, providers

    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue = asyncio.Queue()

    def read() -> None:
        while True:
            body = read_frame(inp)
            loop.call_soon_threadsafe(inbox.put_nowait, None if body is None else pickle.loads(body))
            if body is None:
                return

    threading.Thread(target=read, name="standby-input", daemon=True).start()
    tasks: dict[int, asyncio.Task] = {}

    def send(message: tuple) -> None:
        try:
            body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an answer that does not pickle: the caller calls itself
            body = pickle.dumps(("fail", message[1], f"{type(exc).__name__}: {exc}"))
        write_frame(out, body)

    async def run(cid: int, op: str, args: tuple, kwargs: dict[str, Any]) -> None:
        try:
            result = await getattr(providers, op)(*args, **kwargs)
            reply: tuple = ("done", cid, result, dropped.drop_notices()[own_notices:])
        except asyncio.CancelledError:
            return
        except providers.ProviderError as err:
            reply = ("raise", cid, (err.kind, err.message, err.retryable, err.retries, err.status))
        except Exception as exc:  # noqa: BLE001 - reported; the caller makes the call itself
            reply = ("fail", cid, f"{type(exc).__name__}: {exc}")
        finally:
            tasks.pop(cid, None)
        send(reply)

    await _first_call()
    own_notices = len(dropped.drop_notices())     # the first call's are not the window's
    send(("ready", time.process_time()))
    while True:
        msg = await inbox.get()
        if msg is None:
            break
        if msg[0] == "call" and msg[2] in OPS:
            tasks[msg[1]] = asyncio.create_task(run(*msg[1:]))
        elif msg[0] == "cancel" and msg[1] in tasks:
            tasks.pop(msg[1]).cancel()
    for task in list(tasks.values()):
        task.cancel()


def main() -> int:
    """The standby process: import litellm, then answer calls on standard output."""
    try:
        os.nice(NICENESS)           # the window starting meanwhile comes first
    except (OSError, AttributeError):
        pass
    out = sys.stdout.buffer
    sys.stdout = sys.stderr         # nothing else may write to the answer stream
    from workbench import secrets
    from workbench.simulate import providers

    secrets.keyring_off()           # keys come with the calls
    gc.disable()                    # the import builds a few hundred thousand objects, few of them
    providers.warm_up()             # garbage: without collections it takes a quarter less CPU
    gc.enable()
    gc.freeze()                     # and later collections do not walk what it built
    asyncio.run(_serve(sys.stdin.buffer, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
