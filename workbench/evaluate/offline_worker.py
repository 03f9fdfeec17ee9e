"""A second process for a baselines-only batch: it reads the last users of the sample from the trace
cache while this process reads the first ones. Layer: evaluate (pure; no Qt).

Reading a user for the offline baselines (:func:`workbench.evaluate.batch_offline.prepare_user`)
is pure Python over every event of the user's history: a release of 1.6 million events keeps one
core busy for over a minute. When the traces live in their Parquet cache (``TraceSet.parquet``,
fully written) and the users hold enough events, :func:`start` runs ``python -m
workbench.evaluate.offline_worker`` (a fresh interpreter: polars' thread pool does not survive a
fork) that opens the same cache file, checks that every one of its users has the length this
process sees, prepares those users exactly as this process would and sends their parts back.

Messages are length-prefixed on the worker's standard output: ``b"part:"`` and a user's pickled
part as soon as that user is prepared, then the pickled ``("end", None)``, or ``("failed",
reason)`` at any point. Anything else (the worker cannot start, dies, fails or answers for other
users) leaves its users to this process, which then prepares them itself: the plan is the one
one process makes.
"""

from __future__ import annotations

import itertools
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Sequence

from workbench.child import read_frame, spawn, write_frame

#: A batch whose users hold fewer events than this is prepared in one process (a second
#: interpreter costs about two seconds to start and open the cache).
MIN_EVENTS = 200_000
#: Share of the users' events the worker prepares (it starts two or three seconds later, then
#: prepares a user no slower: at 0.45 it ended first on the release-shaped folder).
WORKER_SHARE = 0.5

#: what starts a message holding one user's part (kept as bytes until the parts are taken, so
#: that the reader thread does not compete for the GIL while this process prepares its own users)
_PART = b"part:"


def cache_file(by_id: Any, user_ids: Sequence[str]) -> Path | None:
    """The Parquet cache that holds these users' events when all come from one TraceSet whose
    cache is fully written, else None."""
    ts = None
    for uid in user_ids:
        mine = getattr(by_id[uid].events, "traceset", None)
        if mine is None or (ts is not None and mine is not ts):
            return None
        ts = mine
    if ts is None:
        return None
    parquet = getattr(ts, "parquet", None)
    if parquet is None or not ts.wait_cache(0) or not Path(parquet).is_file():
        return None
    return Path(parquet)


def split(lengths: Sequence[int]) -> int:
    """How many users (from the first) this process prepares: the rest, about ``WORKER_SHARE`` of
    the events, go to the worker (at least one user each); ``len(lengths)`` when a worker is not
    worth it."""
    total = sum(lengths)
    if len(lengths) < 2 or total < MIN_EVENTS or getattr(sys, "frozen", False):
        return len(lengths)
    mine_until = total * (1.0 - WORKER_SHARE)
    # the first user whose events start at or after that point (the running sums before each user)
    mine = next(k for k, before in enumerate(itertools.accumulate(lengths, initial=0)) if before >= mine_until)
    return min(max(mine, 1), len(lengths) - 1)


class Helper:
    """The running worker: its users (positions in the sample) and the parts it has sent so far."""

    def __init__(self, proc: subprocess.Popen, positions: range, job: bytes) -> None:
        self.proc = proc
        self.positions = positions
        self._job = job             # written by the reader thread: the caller's loop never waits
        self._parts: list = []
        self._outcome = ""          # "" while it runs, then "end" or why it failed
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="offline-worker-reader", daemon=True)
        self._reader.start()

    @property
    def done(self) -> int:
        """How many of its users the worker has sent."""
        with self._lock:
            return len(self._parts)

    def _read(self) -> None:
        out = self.proc.stdout
        outcome = "the worker stopped without an answer"
        try:
            if self.proc.stdin is not None:
                job, self._job = self._job, b""
                self.proc.stdin.write(job)
                self.proc.stdin.close()
            while out is not None:
                body = read_frame(out)
                if body is None:
                    break
                if body.startswith(_PART):
                    with self._lock:
                        self._parts.append(body)
                    continue
                kind, value = pickle.loads(body)
                outcome = "end" if kind == "end" else str(value)
                break
        except Exception as exc:  # noqa: BLE001 - any broken answer leaves the users to the caller
            outcome = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._outcome = outcome

    def finished(self) -> bool:
        """True once the worker has answered for all its users (or stopped)."""
        with self._lock:
            return bool(self._outcome)

    def parts(self) -> list | None:
        """The worker's parts in its users' order, or None when it failed (call once finished)."""
        self._reader.join()
        if self._outcome != "end" or len(self._parts) != len(self.positions):
            return None
        bodies, self._parts = self._parts, []
        bodies.reverse()
        parts = []
        try:
            while bodies:           # each message freed once read
                parts.append(pickle.loads(memoryview(bodies.pop())[len(_PART):]))
        except Exception:  # noqa: BLE001 - an answer that does not read leaves the users to the caller
            return None
        return parts

    def close(self) -> None:
        """Stop the worker (if it still runs) and wait for it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._reader.join(5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


def start(users: Sequence[Any], by_id: Any, models: Sequence[str], gather: bool) -> tuple[int, Helper | None]:
    """``(how many users this process prepares, the worker preparing the rest or None)``."""
    n = len(users)
    parquet = cache_file(by_id, [u.user_id for u in users])
    if parquet is None:
        return n, None
    lengths = [len(by_id[u.user_id].events) for u in users]
    mine = split(lengths)
    if mine >= n:
        return n, None
    job = {"parquet": str(parquet), "source": str(by_id[users[0].user_id].events.traceset.source),
           "users": list(users[mine:]), "lengths": lengths[mine:], "models": list(models), "gather": gather}
    # its standard error goes nowhere (only this process writes to the terminal); a failure comes
    # back as a message, and its users are then prepared here
    proc = spawn("workbench.evaluate.offline_worker")
    if proc is None:
        return n, None
    return mine, Helper(proc, range(mine, n), pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))


def _send(out: Any, message: tuple[str, Any]) -> None:
    write_frame(out, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _work(job: dict[str, Any], out: Any) -> None:
    """In the worker: prepare ``job``'s users from the cache file and send their parts."""
    from workbench.evaluate.batch_offline import prepare_user
    from workbench.evaluate.sampling import users_from_traceset
    from workbench.traces.canonical import read_parquet

    ts = read_parquet(Path(job["parquet"]), source=Path(job["source"]))
    ids = [u.user_id for u in job["users"]]
    traces = {u.user_id: u for u in users_from_traceset(ts, ids)}
    if [len(traces[uid].events) for uid in ids] != job["lengths"]:
        _send(out, ("failed", "the cache file holds other events than the traces"))
        return
    for u in job["users"]:
        part = prepare_user(u, traces[u.user_id], job["models"], job["gather"])
        write_frame(out, _PART + pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL))
    _send(out, ("end", None))


def main() -> int:
    """Read the job from standard input, answer on standard output."""
    out = sys.stdout.buffer
    sys.stdout = sys.stderr         # nothing else may write to the answer stream
    try:
        job = pickle.loads(sys.stdin.buffer.read())
        _work(job, out)
    except Exception as exc:  # noqa: BLE001 - reported; the parent prepares these users itself
        _send(out, ("failed", f"{type(exc).__name__}: {exc}"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
