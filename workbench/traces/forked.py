"""Two processes for one file parsed whole: the fork machinery and the typed messages between the
importer and its forked worker. Layer: traces (pure; no Qt).

``read_split``: when the last user's history is most of the file, the worker parses (msgspec or
orjson, :mod:`workbench.traces.fastparse`) and builds its tail while this process parses and builds
the rest. ``read_doc_parallel``: the document
is parsed here and the worker builds the rows of the second half of the events. Either way the
result (rows, frames, warnings with their event indices) is the same as with one process, and when
the worker fails this process does its part. The workers run no threads and no polars (polars'
thread pool does not survive a fork).

Messages (pickled, see ``pack``): the split worker first answers :class:`Parsed` or
:class:`Failed`; this process then sends a :class:`BuildOrder` (or None: stop); a worker's final
answer is :class:`Built`, :class:`Fatal` (a :class:`TraceError` that ends the import) or
:class:`Failed` (this process then builds that part itself).
"""

from __future__ import annotations

import contextlib
import gc
import io
import itertools
import multiprocessing
import pickle
import re
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import orjson

from workbench.traces import build, fastparse, filebytes, limits
from workbench.traces.errors import IssueLog, TraceError, TraceIssue
from workbench.traces.scan import Structure, join, scan
from workbench.traces.importer import (
    BOM,
    ImportState,
    merge_issues,
    short,
    warn_duplicate_users,
)

# -- messages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    """The split worker parsed its part: ``count`` events."""

    count: int


@dataclass(frozen=True)
class BuildOrder:
    """To the split worker: build the parsed events as ``user_id``'s, the first with index ``first_index``."""

    user_id: str
    first_index: int


@dataclass(frozen=True)
class Built:
    """A worker's rows as columns (``EventBuilder.columns``) and its issues (kept ones and counts)."""

    columns: list
    issues: list[TraceIssue]
    counts: dict[tuple, int]

    @classmethod
    def of(cls, builder: build.EventBuilder, log: IssueLog) -> Built:
        """The rows and issues gathered so far."""
        return cls(builder.columns(), log._items, log._counts)


@dataclass(frozen=True)
class Fatal:
    """A problem that ends the import (a :class:`TraceError` in the worker), as ``TraceIssue.to_dict``."""

    issue: dict

    def error(self) -> TraceError:
        """The TraceError to raise in this process."""
        return TraceError(TraceIssue.from_dict(self.issue))


@dataclass(frozen=True)
class Failed:
    """The worker could not do its part (``reason``); this process does it."""

    reason: str = ""


Answer = Built | Fatal | Failed


def fork(target, args: tuple, name: str = "trace-import-worker"):
    """``target(*args)`` started in a forked daemon process, or None when that cannot be done. The
    workers run no threads and no polars (its thread pool does not survive a fork)."""
    worker = multiprocessing.get_context("fork").Process(target=target, args=args, name=name, daemon=True)
    try:
        with warnings.catch_warnings():  # "multi-threaded process forked": the worker runs no threads
            warnings.simplefilter("ignore", DeprecationWarning)
            worker.start()
    except (OSError, ValueError, AssertionError):
        return None
    return worker


def start(target, args: tuple, name: str = "trace-import-worker", wide: bool = False):
    """``target(sender, *args)`` started in a forked worker (:func:`fork`) that answers over a
    one-way pipe (``wide``: with a 1 MiB buffer, :func:`widen`); ``(worker, receiver)``, or None
    when no worker could be started (the pipe is closed then)."""
    receiver, sender = multiprocessing.Pipe(duplex=False)
    if wide:
        widen(sender)
    worker = fork(target, (sender, *args), name)
    sender.close()              # the worker holds its own copy
    if worker is None:
        receiver.close()
        return None
    return worker, receiver


@contextlib.contextmanager
def ending(worker, *conns):
    """Inside the block this process works beside ``worker`` and talks to it over ``conns``;
    however the block ends, the connections are closed and the worker stopped and waited for."""
    try:
        yield
    finally:
        for conn in conns:
            conn.close()
        if worker.is_alive():
            worker.terminate()
        worker.join()


def can_fork() -> bool:
    """True when a forked worker can be started here (a daemon process may not have children)."""
    try:
        return ("fork" in multiprocessing.get_all_start_methods()
                and not multiprocessing.current_process().daemon)  # daemons may not have children
    except Exception:  # noqa: BLE001 - no multiprocessing here: stay in one process
        return False


EVENT_START = re.compile(rb'\}\s*(,)\s*\{\s*"type"\s*:\s*(?:"[^"\\]*"|null)\s*,\s*"timestamp"\s*:')
#: a comma between two users of an OmniBehavior document (depth 1): ``}, "id": {"user_profile"``
USER_START = re.compile(rb'\}\s*(,)\s*"(?:[^"\\]|\\.){0,256}"\s*:\s*\{\s*"(?:user_profile|action_history)"\s*:')


def scan_in_two(raw: filebytes.Raw, boundary: re.Pattern[bytes], depth: int, chunk: int = 1 << 25,
                on_progress=None, task=None) -> Structure:
    """``scan(raw, keep_depth=depth)``, from ``limits.PARALLEL_MIN_BYTES`` on by two processes: a
    forked worker scans from the first ``boundary`` match after the middle (group 1: a comma that
    lies at ``depth`` outside any string in the documents expected), assuming that depth, while this
    process scans up to it, then checks that it does end there at that depth outside a string
    (:func:`workbench.traces.scan.join`). If not (invalid JSON, or a look-alike elsewhere), or when
    there is no such match or the worker fails, this process scans the whole itself. The result is
    the one-process scan's."""
    n = len(raw)
    split = filebytes.search(raw, boundary, n // 2, 1) \
        if n >= limits.PARALLEL_MIN_BYTES and can_fork() else None
    whole = _scan_halves(raw, split, depth, chunk, on_progress, task) if split is not None else None
    if whole is not None:
        return whole
    return scan(filebytes.part(raw), keep_depth=depth, chunk=chunk, on_progress=on_progress)


def _scan_halves(raw: filebytes.Raw, split: int, depth: int, chunk: int, on_progress, task) -> Structure | None:
    """The scan of ``raw`` as its part before ``split`` (here) and after it (a forked worker, from
    ``depth``), joined; None when no worker could be started, it failed, or the halves do not join."""
    started = start(scan_worker, (filebytes.part(raw, split), chunk, depth), "trace-scan-worker")
    if started is None:
        return None
    worker, receiver = started
    n = len(raw)
    progress = on_progress or (lambda done, total: None)
    with ending(worker, receiver):
        head = scan(filebytes.part(raw, 0, split), keep_depth=depth, chunk=chunk,
                    on_progress=lambda done, _total: progress(done, n))
        tail = receive(receiver, worker, task)
    whole = join(head, tail, split) if isinstance(tail, Structure) else None
    if whole is not None:
        progress(n, n)
    return whole


def scan_worker(sender, tail_part, chunk: int, depth: int) -> None:
    """In the forked worker: scan ``tail_part`` (the document from the split on) from ``depth`` and
    send the Structure back (or :class:`Failed`: also for a file that turned out shorter)."""
    gc.disable()
    try:
        tail: Structure | Failed
        try:
            tail = scan(tail_part, keep_depth=depth, chunk=chunk, start_depth=depth)
        except Exception as exc:  # noqa: BLE001 - the parent then scans this part itself
            tail = Failed(short(exc))
        sender.send_bytes(pickle.dumps(tail, protocol=pickle.HIGHEST_PROTOCOL))
    except (EOFError, OSError):
        pass
    finally:
        sender.close()


_SPLIT_MARK_TEXT = "\x00workbench-split-7f3a9c"
_SPLIT_MARK = b',"\\u0000workbench-split-7f3a9c"'
_DOC_END = re.compile(rb'\]\s*\}\s*\}\s*\Z')


def read_split(file: str, data: bytes | bytearray, state: ImportState) -> bool:
    """Parse and build a document whose last user's ``action_history`` is most of it with two
    processes from the start: a forked worker parses (``fastparse.loads``) and builds the tail of that
    history while this process parses everything before it (closed with ``]}}``) and builds that.

    The cut is a comma before something that looks like an event (``{"type": .., "timestamp":``)
    after the last ``"action_history"`` key; the file must end with ``]}}``. Both parses succeeding
    proves the cut is the comma between two events of that history (the prefix can only be closed
    by ``]}}`` at that depth, outside any string) and that the tail is the rest of it. Returns False,
    having changed nothing, when the document does not have that shape (the caller then parses it
    whole). Rows, frames and warnings are the same as with one process."""
    base = 3 if data.startswith(BOM) else 0
    size = len(data)
    end = _DOC_END.search(data, max(base, size - 4096))
    if end is None:
        return False
    cut_from = base + int((size - base) * (1.0 - limits.WORKER_SHARE))
    # the last user's history must hold the cut: start after its key when that lies further on
    # (only the part after the cut is searched; the parse below checks the rest)
    cut_from = max(cut_from, data.rfind(b'"action_history"', cut_from))
    found = EVENT_START.search(data, cut_from, end.start())
    if found is None:
        return False
    comma, stop = found.start(1), end.start()
    answers, answer_out = multiprocessing.Pipe(duplex=False)
    widen(answer_out)
    orders_in, orders = multiprocessing.Pipe(duplex=False)
    worker = fork(split_worker, (data, comma + 1, stop, file, orders_in, answer_out))
    if worker is None:
        for conn in (answers, answer_out, orders_in, orders):
            conn.close()
        return False
    answer_out.close()
    orders_in.close()
    with ending(worker, answers, orders):
        doc, last = _parse_prefix(data, base, comma)
        status = receive(answers, worker, state.task) if last is not None else None
        if not isinstance(status, Parsed) or last is None:
            _tell(orders, None)
            return False
        # the split holds: from here on the document is read (the worker's part here if it fails)
        warn_duplicate_users(file, data, doc, state.issues)
        state.garbage.append(doc)
        todo: list[tuple[str, Any]] = []
        last_uid: str | None = None
        for uid, record in doc.items():  # users first, so that the worker can start at once
            u = state.user(file, uid, record)
            if u is not None:
                history = record.get("action_history")
                todo.append((u, history))
                if history is last[1]:
                    last_uid = u
        _tell(orders, BuildOrder(last_uid, len(last[1])) if last_uid is not None else None)
        for u, history in todo:
            state.events(file, u, history, free=False)
        del todo
        if last_uid is None:  # the last user was skipped (e.g. seen in an earlier file)
            return True
        state.flush()
        answer = receive(answers, worker, state.task)
    if answer is None or isinstance(answer, Failed):  # the worker died: parse and build its part here
        items = fastparse.loads(b"[" + memoryview(data)[comma + 1:stop] + b"]", "history")
        state.events(file, last_uid, items, free=False, base=len(last[1]))
        state.garbage.append(items)
        state.flush()
        return True
    if isinstance(answer, Fatal):
        raise answer.error()
    add_worker_rows(state, answer)
    return True


def _parse_prefix(data: bytes | bytearray, base: int, comma: int) -> tuple[Any, tuple[str, list[Any]] | None]:
    """``(document, (last user id, its history))`` of ``data[base:comma]`` closed with a marker
    event and ``]}}``; ``last`` is None (and the document useless) unless the marker ended the last
    user's history, which proves the cut lies between two of its events."""
    try:
        prefix = bytearray(memoryview(data)[base:comma])
        prefix += _SPLIT_MARK + b"]}}"
        doc = fastparse.loads(prefix)
        del prefix
    except orjson.JSONDecodeError:
        return None, None
    if isinstance(doc, dict) and doc:  # the marker must end the last user's history
        uid, record = next(reversed(doc.items()))
        if isinstance(record, dict) and record and next(reversed(record)) == "action_history":
            history = record["action_history"]
            if isinstance(history, list) and history and history[-1] == _SPLIT_MARK_TEXT:
                history.pop()
                return doc, (uid, history)
    return doc, None


def widen(conn) -> None:
    """A 1 MiB pipe buffer (Linux): the worker's columns (tens of MB) then cross in far fewer steps."""
    widen_fd(conn.fileno())


def widen_fd(fd: int) -> None:
    """``widen`` for a pipe's file descriptor."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError, ValueError):
        pass


def _tell(conn, message) -> None:
    try:
        conn.send(message)
    except OSError:
        pass  # the worker is gone: its answer will be missing and this process does its part


def split_worker(data: bytes | bytearray, start: int, stop: int, file: str, orders, answers) -> None:
    """In the forked worker: parse ``data[start:stop]`` (the tail of the last user's history) as a
    list, say so, then build the rows of those events for the user and first index we are told."""
    gc.disable()  # a collection would touch (and so copy) every object shared with the parent
    try:
        try:
            if isinstance(data, bytearray) and data[start - 1] == 0x2C and data[stop] == 0x5D:
                # ",{tail}]": open the list where the comma is, in this process's own copy of the
                # bytes (the parent's stay as they are), instead of copying the tail
                data[start - 1] = 0x5B
                items = fastparse.loads(memoryview(data)[start - 1:stop + 1], "history")
            else:
                items = fastparse.loads(b"[" + memoryview(data)[start:stop] + b"]", "history")
        except orjson.JSONDecodeError:
            items = None
        answers.send_bytes(pickle.dumps(Parsed(len(items)) if isinstance(items, list) else Failed("unparsed")))
        if not isinstance(items, list):
            return
        order = orders.recv()
        if order is None:
            return
        issues = IssueLog()
        builder = build.EventBuilder(issues)
        answer: Answer
        try:
            builder.add_list(file, order.user_id, items, order.first_index)
            answer = Built.of(builder, issues)
        except TraceError as exc:
            answer = Fatal(exc.issue.to_dict())
        except BaseException as exc:  # noqa: BLE001 - reported; the parent then builds this part itself
            answer = Failed(short(exc))
        answers.send_bytes(pack(answer))
    except (EOFError, OSError):
        pass  # the parent went away or gave up on us
    finally:
        answers.close()


def pack(answer: object) -> bytes:
    """A worker's answer pickled without the memo: its columns hold ~10^5 distinct strings and bytes
    and no cycles, and memoising each of them is a third of the pickling time (measured)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(answer)
    return out.getvalue()


def add_worker_rows(state: ImportState, answer: Built) -> None:
    """Frames from the columns a worker built (and its warnings, after ours)."""
    columns = answer.columns
    merge_issues(state.issues, answer.issues, answer.counts)
    n = len(columns[0]) if columns else 0
    for b0 in range(0, n, limits.BATCH_EVENTS):
        part = [c[b0:b0 + limits.BATCH_EVENTS] for c in columns]
        state.add_frame(build.columns_frame(part, state.issues, state.file_of_user))
    if state.task is not None:
        state.task.progress(1, 1, "events read")


def read_doc_parallel(file: str, doc: dict, state: ImportState) -> None:
    """Build the events of a parsed document with two processes: a forked worker builds the rows of
    the last ``limits.WORKER_SHARE`` of the events (pure Python, no polars: polars' thread pool does not
    survive a fork) and sends them back as columns (``pack``); this process builds the first part
    meanwhile, then makes frames of the worker's columns. The result (rows, frames, warnings with their event
    indices) is the same as with one process; when the worker fails, this process builds its part."""
    work: list[tuple[str, list]] = []
    for uid, record in doc.items():
        u = state.user(file, uid, record)
        if u is None:
            continue
        history = record.get("action_history")
        if isinstance(history, list):
            work.append((u, history))
        else:
            state.events(file, u, history)  # logs the problem
    total = sum(len(h) for _, h in work)
    if total < limits.PARALLEL_MIN_EVENTS:
        for u, h in work:
            state.events(file, u, h)
        return
    cut = int(total * (1.0 - limits.WORKER_SHARE))
    mine: list[tuple[str, list, int, int]] = []
    theirs: list[tuple[str, list, int, int]] = []
    pos = 0
    for u, h in work:
        n = len(h)
        if pos + n <= cut:
            mine.append((u, h, 0, n))
        elif pos >= cut:
            theirs.append((u, h, 0, n))
        else:
            mine.append((u, h, 0, cut - pos))
            theirs.append((u, h, cut - pos, n))
        pos += n
    del work
    started = start(build_worker, (file, theirs), wide=True)
    if started is None:
        for u, h, s, e in itertools.chain(mine, theirs):
            state.events(file, u, h, s, e)
        return
    worker, receiver = started
    with ending(worker, receiver):
        for u, h, s, e in mine:  # parsed events freed after the import (see importer.free_later)
            state.events(file, u, h, s, e, free=False)
        state.flush()
        answer = receive(receiver, worker, state.task)
    if answer is None or isinstance(answer, Failed):  # the worker died or failed: do its part here
        for u, h, s, e in theirs:
            state.events(file, u, h, s, e)
        return
    if isinstance(answer, Fatal):
        raise answer.error()
    add_worker_rows(state, answer)


def receive(receiver, worker, task) -> Any:
    """The worker's pickled answer, or None when it died without one."""
    while not receiver.poll(0.05):
        if task is not None:
            task.check()
        if not worker.is_alive() and not receiver.poll(0):
            return None
    try:
        return pickle.loads(receiver.recv_bytes())
    except (EOFError, OSError, pickle.UnpicklingError):
        return None


def build_worker(sender, file: str, parts: list[tuple[str, list, int, int]]) -> None:
    """In the forked worker: build the rows of ``parts`` and send them (or the error) back."""

    def work() -> Built:
        issues = IssueLog()
        builder = build.EventBuilder(issues)
        for u, h, s, e in parts:
            builder.add_list(file, u, itertools.islice(h, s, e), s)
        return Built.of(builder, issues)

    answer_with(sender, work)


def answer_with(sender, work: Callable[[], object]) -> None:
    """In a forked worker: send the parent ``work()``'s answer (:func:`pack`), or :class:`Fatal` for
    a :class:`TraceError` and :class:`Failed` for anything else (the parent then does the part
    itself), and close the pipe. No garbage collection runs meanwhile: it would touch (and so
    copy) every object shared with the parent."""
    gc.disable()
    answer: object
    try:
        answer = work()
    except TraceError as exc:
        answer = Fatal(exc.issue.to_dict())
    except BaseException as exc:  # noqa: BLE001 - reported; the parent then does this part itself
        answer = Failed(short(exc))
    try:
        sender.send_bytes(pack(answer))
    except (OSError, ValueError):
        pass  # the parent gave up on us
    finally:
        sender.close()
