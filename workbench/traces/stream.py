"""The streaming path for big JSON files (and any file orjson rejects). Layer: traces (pure; no Qt).

A structural scan (:mod:`workbench.traces.scan`) finds each user's ``action_history`` array and the
event boundaries; the document outside the histories (the "skeleton") is parsed whole and the
events in batches (:class:`BatchJob`), so memory stays bounded, a bad event is named precisely and
skipped, and a truncated file yields what is complete. From ``limits.PARALLEL_MIN_BYTES`` on two
processes share the scan (``_scan``) and the batches (``_stream_two_processes``); the worker's
messages are :class:`Spooled`, :class:`Done`, ``forked.Fatal`` and ``forked.Failed``.
"""

from __future__ import annotations

import gc
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl

from workbench.traces import build, filebytes, forked, limits
from workbench.traces.errors import IssueLog, TraceError, TraceIssue
from workbench.traces.importer import (
    BOM,
    ImportState,
    display,
    duplicate_issue,
    duplicate_users,
    merge_issues,
    not_a_history,
    short,
)
from workbench.traces.filebytes import Raw
from workbench.traces.scan import Structure, key_before

_SLICE_KEY = "__workbench_event_slice__"


# -- jobs and messages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryJob:
    """A user whose ``action_history`` was parsed with the skeleton (not an array of the scan: a
    short or malformed value); built as it is."""

    user_id: str
    history: Any


@dataclass(frozen=True)
class BatchJob:
    """Events ``first_index ..`` of a user, at byte ranges ``starts[k]:ends[k]`` of the file."""

    user_id: str
    first_index: int
    starts: np.ndarray
    ends: np.ndarray


Job = HistoryJob | BatchJob


@dataclass(frozen=True)
class Spooled:
    """From the stream worker: ``size`` bytes at ``at`` in the spool file hold a pickled
    ``forked.Built``; the worker has read the file up to byte ``end``."""

    at: int
    size: int
    end: int


@dataclass(frozen=True)
class Done:
    """From the stream worker: every job is built and spooled."""


def stream_json(f: Path, raw: Raw, state: ImportState) -> None:
    """Import the JSON document ``raw`` (the bytes of file ``f`` in memory, or the file read by
    position: :class:`~workbench.traces.filebytes.FileBytes`) into ``state``. Raises
    :class:`TraceError` when nothing usable can be read, or when the file turns out shorter than
    it was (it changed while it was read)."""
    file = display(f)
    task = state.task

    def scan_progress(done: int, total: int) -> None:
        if task is not None:
            task.check()
            task.progress(done, 2 * total, f"scanning {f.name}")

    scan_chunk = 1 << 22  # 4 MiB: the scan's temporary arrays stay in the CPU cache (faster than 32 MiB)
    st = _scan(raw, scan_chunk, scan_progress, task)
    if st.max_string > limits.MAX_STRING_BYTES:
        raise TraceError(TraceIssue(file, expected=f"strings of at most {limits.MAX_STRING_BYTES // 2**20} MiB",
                                    message=f"a string of {st.max_string / 1e6:.0f} MB"))
    first = _first_byte(raw)
    if first != ord("{"):
        raise TraceError(TraceIssue(file, expected="a JSON object {user_id: {user_profile, action_history}}",
                                    message=f"the file starts with {chr(first)!r}" if first >= 0 else "empty"))
    P, C, D, A, limit, tail_openers = _complete_part(file, st, state)
    arrays = _history_arrays(raw, P, C, D, A)
    doc = _skeleton(file, raw, P, C, arrays, tail_openers, limit)
    total = int(limit)
    slices = [r["action_history"][_SLICE_KEY] for r in doc.values()
              if isinstance(r, dict) and isinstance(r.get("action_history"), dict)
              and set(r["action_history"]) == {_SLICE_KEY}]
    if len(slices) < len(arrays):  # a history the parse dropped: a user key given twice
        for uid, n in duplicate_users(raw, P, C, D).items():
            state.issues.add(duplicate_issue(file, uid, n))
    jobs: list[Job] = []  # in the order of the file
    for uid, record in doc.items():
        u = state.user(file, uid, record)
        if u is None:
            continue
        history = record.get("action_history")
        if isinstance(history, dict) and set(history) == {_SLICE_KEY}:
            i, j = arrays[history[_SLICE_KEY]]
            jobs.extend(_event_batches(u, raw, P, C, D, i, j, limit))
        else:
            jobs.append(HistoryJob(u, history))
    del st, P, C, D, A  # the token arrays can be hundreds of MB: gone before the build
    events = sum(len(job.starts) for job in jobs if isinstance(job, BatchJob))
    if total >= limits.PARALLEL_MIN_BYTES and events >= limits.PARALLEL_MIN_EVENTS and forked.can_fork():
        _stream_two_processes(file, raw, jobs, state, total, events)
        return
    for job in jobs:
        _stream_job(file, raw, job, state, total)


def _complete_part(file: str, st: Structure, state: ImportState) -> tuple:
    """``(pos, char, depth_before, depth_after, limit, tail_openers)``: the tokens of the complete
    part of the document (all of it unless truncated or unbalanced; then up to its last comma at
    depth 1..3, with a warning), the byte where that part ends and the tokens still open there."""
    P, C, D = st.pos, st.char, st.depth_before
    A = st.depth_after
    limit = st.size
    tail_openers: list[int] = []
    if st.complete:
        return P, C, D, A, limit, tail_openers
    bound = st.first_negative if st.first_negative >= 0 else limit
    commas = np.flatnonzero((C == ord(",")) & (D <= 3) & (D >= 1) & (P < bound))
    if not commas.size:
        raise TraceError(TraceIssue(file, expected="complete JSON",
                                    message=_incomplete_message(st) + "; nothing complete to read"))
    cut = int(commas[-1])
    limit = int(P[cut])
    d = int(D[cut])
    for level in range(d - 1, -1, -1):
        cand = np.flatnonzero((D[:cut] == level) & (_is_open(C[:cut])))
        tail_openers.append(int(cand[-1]))
    state.issues.add(TraceIssue(file, expected="complete JSON",
                                message=_incomplete_message(st) + f"; read up to byte {limit}, the rest ignored"))
    return P[:cut], C[:cut], D[:cut], A[:cut], limit, tail_openers


def _history_arrays(raw, P, C, D, A) -> list[tuple[int, int | None]]:
    """The users' ``action_history`` arrays: (open token, close token or None = cut at the limit)."""
    close_cand = np.flatnonzero(A <= 2)
    arrays: list[tuple[int, int | None]] = []
    for i in np.flatnonzero((C == ord("[")) & (D == 2)).tolist():
        if key_before(raw, int(P[i])) != "action_history":
            continue
        k = np.searchsorted(close_cand, i, side="right")
        j = int(close_cand[k]) if k < close_cand.size else None
        if j is not None and C[j] != ord("]"):
            j = None
        arrays.append((i, j))
    return arrays


def _skeleton(file: str, raw: Raw, P, C, arrays: list[tuple[int, int | None]],
              tail_openers: list[int], limit: int) -> dict:
    """The document with each history array replaced by ``{_SLICE_KEY: n}`` (and what was left
    open at the limit closed), parsed. Raises TraceError when that is not a JSON object."""
    excised = {i for i, _ in arrays}
    pieces: list[bytes] = []
    last = 3 if bytes(raw[:3]) == BOM else 0
    for n, (i, j) in enumerate(arrays):
        pieces.append(bytes(raw[last:int(P[i])]))
        pieces.append(b'{"' + _SLICE_KEY.encode() + b'":' + str(n).encode() + b"}")
        last = int(P[j]) + 1 if j is not None else limit
    if last < limit:
        pieces.append(bytes(raw[last:limit]))
    for t in tail_openers:
        if t in excised:
            continue
        pieces.append(b"}" if C[t] == ord("{") else b"]")
    skeleton = b"".join(pieces)
    del pieces
    try:
        doc = orjson.loads(skeleton)
    except orjson.JSONDecodeError as exc:
        raise TraceError(TraceIssue(file, expected="valid JSON outside the action histories",
                                    message=short(exc))) from None
    if not isinstance(doc, dict):
        raise TraceError(TraceIssue(file, expected="a JSON object {user_id: {user_profile, action_history}}",
                                    message=f"found {build._kind(doc)}"))
    return doc


def _scan(raw: Raw, chunk: int, on_progress, task) -> Structure:
    """``scan`` of all of ``raw`` (``keep_depth=3``); for a big file by two processes, cut at the
    first event boundary after the middle (``forked.EVENT_START``: a comma between two events, at
    depth 3, outside any string in valid JSON): :func:`workbench.traces.forked.scan_in_two`."""
    return forked.scan_in_two(raw, forked.EVENT_START, 3, chunk, on_progress, task)


def _event_batches(uid: str, raw, P, C, D, i: int, j: int | None, limit: int) -> list[BatchJob]:
    """Batches of the events in the history array whose
    ``[`` is token ``i`` and ``]`` token ``j`` (None: cut at ``limit``)."""
    start = int(P[i]) + 1
    end = int(P[j]) if j is not None else limit
    hi = j if j is not None else P.size
    inner = np.arange(i + 1, hi)
    commas = inner[(C[i + 1:hi] == ord(",")) & (D[i + 1:hi] == 3)]
    starts = np.concatenate(([start], P[commas] + 1)).astype(np.int64)
    ends = np.concatenate((P[commas], [end])).astype(np.int64)
    if commas.size == 0 and not bytes(raw[start:end]).strip():
        return []
    return [BatchJob(uid, b0, starts[b0:b0 + limits.BATCH_EVENTS], ends[b0:b0 + limits.BATCH_EVENTS])
            for b0 in range(0, starts.size, limits.BATCH_EVENTS)]


def _stream_job(file: str, raw, job: Job, state: ImportState, total: int) -> None:
    """One job of ``stream_json`` in this process."""
    if isinstance(job, HistoryJob):
        state.events(file, job.user_id, job.history)
        return
    _build_batch(file, raw, job, state.builder)
    if len(state.builder) >= limits.BATCH_EVENTS:
        state.flush()
    if state.task is not None:
        state.task.check()
        state.task.progress(total + int(job.ends[-1]), 2 * total, f"reading events of {job.user_id}")


def _build_batch(file: str, raw, job: BatchJob, builder: build.EventBuilder) -> None:
    """Parse one batch of events (one by one when the batch does not parse, so that a bad event is
    named and skipped) and add them to ``builder``."""
    uid, b0, starts, ends = job.user_id, job.first_index, job.starts, job.ends
    s, e = int(starts[0]), int(ends[-1])
    items: list | None = None
    sparse = bool((ends - starts).max() > SPARSE_EVENT_BYTES)
    if not sparse:  # one parse for the batch; a sparse one (a hole of whitespace) is not copied whole
        try:
            items = orjson.loads(filebytes.as_array(raw, s, e))
            if not isinstance(items, list) or len(items) != len(starts):
                items = None
        except orjson.JSONDecodeError:
            items = None
    if items is None:
        for k in range(len(starts)):
            a, z = int(starts[k]), int(ends[k])
            if z - a > SPARSE_EVENT_BYTES:
                a, z = _trim(raw, a, z)
            piece = raw[a:z]
            try:
                ev = orjson.loads(piece)
            except orjson.JSONDecodeError as exc:
                what = "an empty element" if not piece.strip() else short(exc)
                builder.issues.add(TraceIssue(file, uid, b0 + k, "", "a valid JSON event object",
                                              f"{what}; event skipped"))
                continue
            builder.add(file, uid, b0 + k, ev)
    else:
        builder.add_list(file, uid, items, b0)
    del items


#: An event whose bytes (whitespace around it included) exceed this is trimmed before it is parsed,
#: so a hole of whitespace inside a history costs no memory.
SPARSE_EVENT_BYTES = 16 * 1024 * 1024
_NOT_SPACE = np.ones(256, bool)
_NOT_SPACE[[0x20, 0x09, 0x0A, 0x0D]] = False


def _trim(raw: Raw, start: int, end: int, step: int = 1 << 22) -> tuple[int, int]:
    """``raw[start:end]`` without the JSON whitespace at both ends, looked at ``step`` bytes at a
    time (views of bytes in memory, one reused buffer for a file: never a copy of the hole)."""
    a = end
    for off, part in filebytes.chunks(raw, start, end, step):
        hit = np.flatnonzero(_NOT_SPACE[part])
        if hit.size:
            a = off + int(hit[0])
            break
    z = end
    for lo, part in filebytes.chunks(raw, a, end, step, backward=True):
        hit = np.flatnonzero(_NOT_SPACE[part])
        if hit.size:
            z = lo + int(hit[-1]) + 1
            break
        z = lo
    return a, z


def _stream_two_processes(file: str, raw, jobs: list[Job], state: ImportState, total: int,
                          events: int) -> None:
    """Run the jobs of ``stream_json`` in two processes: a forked worker builds the events of the
    last ``limits.STREAM_WORKER_SHARE`` of them, writes each ``limits.BATCH_EVENTS`` rows as columns
    to a spool file (an unlinked temporary file: a pipe would make it wait for us) and says where,
    while this process builds the first part and makes frames of the worker's columns in between.
    The table is the same as with one process; the worker's warnings come after ours. When the
    worker fails, this process does its part."""
    cut, mine = 0, 0
    while cut < len(jobs) and mine < events * (1.0 - limits.STREAM_WORKER_SHARE):
        job = jobs[cut]
        if isinstance(job, BatchJob):
            mine += len(job.starts)
        cut += 1
    theirs = jobs[cut:]
    if not theirs:
        for job in jobs:
            _stream_job(file, raw, job, state, total)
        return
    try:
        spool = tempfile.TemporaryFile(prefix="workbench-import-")  # noqa: SIM115 - closed below
    except OSError:
        spool = None
    started = forked.start(stream_worker, (file, raw, theirs, spool)) if spool is not None else None
    if started is None:
        if spool is not None:
            spool.close()
        for job in jobs:
            _stream_job(file, raw, job, state, total)
        return
    worker, receiver = started
    mail = _Mailbox(receiver, worker, spool, state, total)
    try:
        with forked.ending(worker, receiver):
            for job in jobs[:cut]:
                _stream_job(file, raw, job, state, total)
                mail.read(wait=False)
            state.flush()
            mail.read(wait=True)
    finally:
        if spool is not None:
            spool.close()
    if isinstance(mail.outcome, forked.Fatal):
        raise mail.outcome.error()
    if not isinstance(mail.outcome, Done):  # the worker died or failed: do its part here
        for job in theirs:
            _stream_job(file, raw, job, state, total)
        return
    for frame in mail.frames:
        state.add_frame(frame)
    merge_issues(state.issues, mail.log._items, mail.log._counts)


class _Mailbox:
    """This process's end of ``_stream_two_processes``: reads the worker's messages, makes frames of
    the spooled columns and keeps the final message (``outcome``: Done, Fatal or Failed)."""

    def __init__(self, receiver, worker, spool, state: ImportState, total: int) -> None:
        self.receiver, self.worker, self.spool = receiver, worker, spool
        self.state, self.total = state, total
        self.log = IssueLog(state.issues.cap)
        self.frames: list[pl.DataFrame] = []
        self.outcome: Done | forked.Fatal | forked.Failed | None = None

    def read(self, wait: bool) -> None:
        """Handle the messages waiting (with ``wait``: until the final one arrives)."""
        state = self.state
        while self.outcome is None:
            if not self.receiver.poll(0.05 if wait else 0):
                if not wait:
                    return
                if state.task is not None:
                    state.task.check()
                if not self.worker.is_alive() and not self.receiver.poll(0):
                    self.outcome = forked.Failed("the worker died")
                continue
            try:
                note = self.receiver.recv()
            except (EOFError, OSError, pickle.UnpicklingError):
                self.outcome = forked.Failed("no message")
                return
            if not isinstance(note, Spooled):
                self.outcome = note
                return
            try:
                built = pickle.loads(_read_at(self.spool, note.at, note.size))
            except (OSError, EOFError, pickle.UnpicklingError, ValueError):
                self.outcome = forked.Failed("spool")  # the spool let us down: do the worker's part here
                return
            merge_issues(self.log, built.issues, built.counts)
            if built.columns and len(built.columns[0]):
                self.frames.append(build.columns_frame(built.columns, self.log, state.file_of_user))
            del built
            if state.task is not None:
                state.task.progress(self.total + note.end, 2 * self.total, "reading events")


def _read_at(spool, at: int, size: int) -> bytes:
    out = os.pread(spool.fileno(), size, at)
    while len(out) < size:
        more = os.pread(spool.fileno(), size - len(out), at + len(out))
        if not more:
            raise OSError(f"spool file ends at {at + len(out)}, {size - len(out)} bytes short")
        out += more
    return out


def stream_worker(sender, file: str, raw, jobs: list[Job], spool) -> None:
    """In the forked worker: build ``jobs``; every ``limits.BATCH_EVENTS`` rows, write a
    ``forked.Built`` pickled to ``spool`` and send :class:`Spooled`; at the end send :class:`Done`,
    ``forked.Fatal`` (a TraceError) or ``forked.Failed`` (the parent then does it all)."""
    gc.disable()  # a collection would touch (and so copy) every object shared with the parent
    at = 0

    def post(builder: build.EventBuilder, log: IssueLog, end: int) -> None:
        nonlocal at
        data = memoryview(forked.pack(forked.Built.of(builder, log)))
        done = 0
        while done < len(data):
            done += os.pwrite(spool.fileno(), data[done:], at + done)
        sender.send(Spooled(at, len(data), end))
        at += len(data)

    try:
        log = IssueLog()
        builder = build.EventBuilder(log)
        end = 0
        try:
            for job in jobs:
                if isinstance(job, HistoryJob):
                    if isinstance(job.history, list):
                        builder.add_list(file, job.user_id, job.history)
                    else:
                        log.add(not_a_history(file, job.user_id, job.history))
                else:
                    _build_batch(file, raw, job, builder)
                    end = int(job.ends[-1])
                if len(builder) >= limits.BATCH_EVENTS:
                    post(builder, log, end)
                    log = IssueLog()
                    builder = build.EventBuilder(log)
            post(builder, log, end)
            sender.send(Done())
        except TraceError as exc:
            sender.send(forked.Fatal(exc.issue.to_dict()))
        except Exception as exc:  # noqa: BLE001 - reported; the parent then builds this part itself
            sender.send(forked.Failed(short(exc)))
    except (EOFError, OSError):
        pass  # the parent went away or gave up on us
    finally:
        sender.close()


def _is_open(chars: np.ndarray) -> np.ndarray:
    return (chars == ord("{")) | (chars == ord("["))


def _first_byte(raw: Raw) -> int:
    """The first byte of ``raw`` that is not JSON whitespace (after a BOM), or -1."""
    start = 0
    while bytes(raw[start:start + 3]) == BOM:
        start += 3
    for _off, part in filebytes.chunks(raw, start, len(raw), 1 << 16):
        nz = np.flatnonzero(~np.isin(part, (32, 9, 10, 13)))
        if nz.size:
            return int(part[nz[0]])
    return -1


def _incomplete_message(st) -> str:
    if st.first_negative >= 0:
        return f"unbalanced closing bracket at byte {st.first_negative}"
    if st.ends_in_string:
        return "the file is truncated inside a string"
    return f"the file is truncated ({st.final_depth} brackets left open)"


