"""An asyncio event loop of its own, in a worker thread, for long runs of model calls. Layer: app
(no Qt here; the caller posts results to the GUI with Qt signals).

A batch evaluation spends milliseconds of CPU per question (building the prompt, litellm's request
and response); run on the GUI's qasync loop that work delays every repaint and timer. :func:`run`
runs a coroutine on one long-lived loop in a daemon thread instead and awaits its result from the
caller's loop (the GUI's): the GUI thread then only waits for the interpreter lock between two
bytecode slices of the worker, a few milliseconds at most.

The one loop lives as long as the process (started on first use), so litellm's HTTP clients, which
it keeps per event loop, are made once and shared by every run. Cancelling the task that awaits
:func:`run` cancels the coroutine on the worker and waits until it has ended, so nothing it does
happens after the cancellation is seen.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, Awaitable, Callable

__all__ = ["run", "worker_loop"]

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def worker_loop() -> asyncio.AbstractEventLoop:
    """The worker's event loop (its thread started on first use)."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def main() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=main, name="workbench-llm-loop", daemon=True).start()
            ready.wait()
            _loop = loop
        return _loop


def _outcome(task: asyncio.Task) -> tuple[str, Any]:
    """How ``task`` ended: ("ok", result), ("error", exception) or ("cancelled", None)."""
    if task.cancelled():
        return "cancelled", None
    exc = task.exception()
    return ("error", exc) if exc is not None else ("ok", task.result())


async def run(make: Callable[[], Awaitable[Any]]) -> Any:
    """Await ``make()`` run on the worker loop (``make`` is called there). Returns its result and
    raises its exception; raises CancelledError when it was cancelled. Cancelling the awaiting task
    cancels the worker's coroutine and returns only once it has ended."""
    loop = worker_loop()
    finished: concurrent.futures.Future = concurrent.futures.Future()
    finished.set_running_or_notify_cancel()     # only the worker ends it; a cancel here is refused
    tasks: list[asyncio.Task] = []

    def start() -> None:
        try:
            task = loop.create_task(make())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            finished.set_result(("error", exc))
            return
        task.add_done_callback(lambda t: finished.set_result(_outcome(t)))
        tasks.append(task)

    def cancel() -> None:
        for task in tasks:
            task.cancel()

    loop.call_soon_threadsafe(start)
    try:
        how, value = await asyncio.wrap_future(finished)
    except asyncio.CancelledError:
        loop.call_soon_threadsafe(cancel)       # runs after start(): the calls keep their order
        await asyncio.wrap_future(finished)
        raise
    if how == "cancelled":
        raise asyncio.CancelledError()
    if how == "error":
        raise value
    return value
