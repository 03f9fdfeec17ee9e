"""The files of a folder read by forked worker processes. Layer: traces (pure; no Qt).

A release is a folder of per-user JSON files; parsing them (orjson) and building their rows is
most of an import's time and needs no polars. :func:`read_folder` hands the files, in order, to
``limits.POOL_WORKERS`` forked workers; each reads, hashes (for the cache), parses and builds one
file at a time and sends back its users, issues and rows as columns (the payload as three raw
buffers: see :class:`workbench.traces.build.Payload`). This process makes each file's frames as
soon as it arrives (so the user list can fill in while the rest is read) and adds them to the
import in file order, so the result (rows, users, warnings, the cache's row order) is the one
reading the files one after another gives:

* a file a worker cannot do the fast way (not a JSON object, not parsable, very big, very many
  users, JSONL, a worker that died) is read here by the ordinary path, in its turn;
* a file holding a user an earlier file already had is read here again, in its turn, so that the
  later copy is skipped and warned about exactly as without workers;
* an error that ends the import (:class:`TraceError`) is raised when its file's turn comes.

Workers run no threads and no polars (polars' thread pool does not survive a fork).
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import pickle
import struct
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Callable

import polars as pl

from workbench.traces import build, cache, fastparse, forked, importer, limits, schema, whole
from workbench.traces.errors import IssueLog, TraceError, TraceIssue
from workbench.traces.importer import ImportState, merge_issues, short

#: ``on_users(users, events)``: the user rows (``schema.USER_SCHEMA``) of one file as soon as they
#: are read, and those users' events (without payload).
UsersCallback = Callable[[pl.DataFrame, pl.DataFrame], None]


@dataclass(frozen=True)
class FileBuilt:
    """A worker's result for one file: its users ``(user_id, profile, file)``, its rows
    (``EventBuilder.columns()``), its issues (kept ones and counts) and the content hash of its bytes
    (``cache.bytes_hash``; "" when not asked for)."""

    users: list[tuple[str, str, str]]
    columns: list
    issues: list[TraceIssue]
    counts: dict[tuple, int]
    digest: str


@dataclass
class _Arrived:
    """A file's answer, with its frames made here (payload included) and their issues."""

    answer: Any
    frames: list[pl.DataFrame]
    log: IssueLog
    payload: tuple = ()  # (context, actions) Arrow arrays when the frames go to a cache without them


def usable(files: list[Path]) -> bool:
    """Whether the files are worth reading with workers: several JSON files, together at least
    ``limits.PARALLEL_MIN_BYTES``, and a process that may fork."""
    if len(files) < 2 or limits.POOL_WORKERS < 1:
        return False
    try:
        total = sum(f.stat().st_size for f in files if f.suffix.lower() == ".json")
    except OSError:
        return False
    return total >= limits.PARALLEL_MIN_BYTES and forked.can_fork()


def read_file(f: Path, want_digest: bool) -> FileBuilt | forked.Fatal | forked.Failed:
    """Read, parse and build one JSON file as a worker does (no polars); ``Failed`` when it must be
    read by the ordinary path (it then says where and why), ``Fatal`` for a :class:`TraceError`."""
    file = importer.display(f)
    try:
        if f.suffix.lower() != ".json" or f.stat().st_size > limits.FAST_PATH_MAX_BYTES:
            return forked.Failed("not for a worker")
        data = importer.read_file(f)
        digest = cache.bytes_hash(data) if want_digest else ""
        if whole.many_users(data):
            return forked.Failed("very many users")
        doc = importer.parse_whole(data)
        if not isinstance(doc, dict):
            return forked.Failed("not a JSON object")
        issues = IssueLog()
        state = ImportState(issues, None)
        importer.warn_duplicate_users(file, data, doc, issues)
        del data
        for uid, record in doc.items():
            u = state.user(file, uid, record)
            if u is None:
                continue
            history = record.get("action_history")
            if isinstance(history, list):
                state.builder.add_list(file, u, history, 0)
            else:
                issues.add(importer.not_a_history(file, u, history))
        return FileBuilt(state.users, state.builder.columns(), issues._items, issues._counts, digest)
    except TraceError as exc:
        return forked.Fatal(exc.issue.to_dict())
    except Exception as exc:  # noqa: BLE001 - reported; this process then reads the file itself
        return forked.Failed(short(exc))


# -- the wire: a pickle whose big buffers (the payload) follow it raw ----------------------------------

def _send(fd: int, obj: Any) -> None:
    buffers: list[pickle.PickleBuffer] = []
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=5, buffer_callback=buffers.append)
    pickler.fast = True  # no memo: ~10^5 distinct small objects and no cycles (see forked.pack)
    pickler.dump(obj)
    head = out.getbuffer()
    views = [memoryview(head)] + [b.raw() for b in buffers]
    _write_all(fd, struct.pack("<Q", len(views)) + b"".join(struct.pack("<Q", v.nbytes) for v in views))
    for v in views:
        _write_all(fd, v)


def _write_all(fd: int, data) -> None:
    view = memoryview(data).cast("B")
    while view.nbytes:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, n: int) -> bytearray:
    out = bytearray(n)
    view = memoryview(out)
    got = 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if not k:
            raise EOFError("the worker went away")
        got += k
    return out


def _receive(fd: int) -> Any:
    (count,) = struct.unpack("<Q", _read_exact(fd, 8))
    sizes = struct.unpack(f"<{count}Q", _read_exact(fd, 8 * count))
    parts = [_read_exact(fd, n) for n in sizes]
    return pickle.loads(parts[0], buffers=parts[1:])


def _worker(orders, answers_fd: int, want_digest: bool) -> None:
    """In a forked worker: read the files we are sent (``(position, path)``; None: stop)."""
    gc.disable()  # a collection would touch (and so copy) every object shared with the parent
    _keep_freed_memory()
    # orjson here, not msgspec (workbench.traces.fastparse): with freed memory kept, orjson parses
    # these files as fast (measured on 58 release files: 1.97-2.15 against 2.08-2.13 us per event;
    # the release folder's workers 11.3-11.8 against 11.9-12.0 s of CPU with msgspec)
    fastparse.ENABLED = False
    try:
        while True:
            order = orders.recv()
            if order is None:
                return
            position, path = order
            _send(answers_fd, (position, read_file(Path(path), want_digest)))
    except (EOFError, OSError):
        pass  # the parent went away or gave up on us
    finally:
        os.close(answers_fd)


def _keep_freed_memory() -> None:
    """In a worker (glibc only; elsewhere nothing): let malloc keep what is freed for the next file
    instead of giving it back to the system. Each file's bytes and its parsed strings and objects
    are allocated and freed again; by default a big buffer is a fresh mapping and the heap's top is
    trimmed, so every file faulted in (and zeroed) its memory anew: 1.4 of 3.3 s of the workers'
    system time on the release-shaped folder (measured). The worker holds at most one file's
    memory at a time and ends with the import, so keeping it costs nothing later."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(ctypes.c_int(-3), ctypes.c_int(1 << 30))  # M_MMAP_THRESHOLD: heap, not mmap, up to 1 GiB
        libc.mallopt(ctypes.c_int(-1), ctypes.c_int(1 << 30))  # M_TRIM_THRESHOLD: keep up to 1 GiB freed
    except (OSError, AttributeError):
        pass  # not glibc: the allocator's defaults


class _Pool:
    """Forked workers and the files handed to them in order, a few files ahead of what this
    process has used (``limits.POOL_AHEAD_BYTES`` of answers waiting at most). A big file
    (``limits.POOL_BIG_FILE_BYTES``) coming up within ``limits.POOL_BIG_LOOKAHEAD_BYTES`` of files
    is handed out before the files in front of it: one worker reads it while the other reads those,
    instead of one worker reading it alone at the end (the folder's last big file would otherwise
    leave a core idle for as long as it takes)."""

    def __init__(self, files: list[Path], want_digest: bool) -> None:
        self.files = files
        self.todo = list(range(len(files)))  # positions not handed out yet, in order
        self.sizes = [_size(f) for f in files]
        self.waiting_bytes = 0
        self.busy: dict[int, int] = {}  # answer fd -> position being read
        self.workers: list[tuple[Any, Any, int]] = []  # process, order connection, answer fd
        for _ in range(limits.POOL_WORKERS):
            orders_in, orders = multiprocessing.Pipe(duplex=False)
            r, w = os.pipe()
            forked.widen_fd(w)
            proc = forked.fork(_worker, (orders_in, w, want_digest), name="trace-folder-worker")
            orders_in.close()
            os.close(w)
            if proc is None:
                orders.close()
                os.close(r)
                continue
            self.workers.append((proc, orders, r))
        for _, orders, r in self.workers:
            self._assign(orders, r)

    def handed_out(self, position: int) -> bool:
        """Whether the file at ``position`` was given to a worker."""
        return position not in self.todo

    def _pick(self) -> int:
        """The next file to hand out: the first not handed out, or a big one shortly after it."""
        best = self.todo[0]
        ahead = 0
        for position in self.todo:
            if ahead > limits.POOL_BIG_LOOKAHEAD_BYTES:
                break
            size = self.sizes[position]
            if size >= limits.POOL_BIG_FILE_BYTES and size > self.sizes[best]:
                best = position
            ahead += size
        return best

    def _assign(self, orders, fd: int) -> None:
        if not self.todo or self.waiting_bytes > limits.POOL_AHEAD_BYTES:
            return
        position = self._pick()
        try:
            orders.send((position, str(self.files[position])))
        except OSError:
            return
        self.busy[fd] = position
        self.todo.remove(position)

    def arrivals(self, timeout: float) -> list[tuple[int, Any]]:
        """Answers that came within ``timeout`` s: ``(position, answer)``; a dead worker's file is
        answered ``Failed``."""
        out: list[tuple[int, Any]] = []
        if not self.busy:
            return out
        for ready in wait(list(self.busy), timeout):
            fd = int(ready)  # type: ignore[arg-type]  # wait() gives back the fds it was given
            position = self.busy.pop(fd)
            try:
                got, answer = _receive(fd)
            except (EOFError, OSError, pickle.UnpicklingError, ValueError, struct.error):
                got, answer = position, forked.Failed("the worker died")
                self._drop(fd)
            out.append((got, answer))
        return out

    def feed(self, size: int) -> None:
        """Hand out more files (``size``: bytes of answers now waiting here)."""
        self.waiting_bytes = size
        for _, orders, fd in self.workers:
            if fd not in self.busy:
                self._assign(orders, fd)

    def _drop(self, fd: int) -> None:
        for k, (proc, orders, r) in enumerate(self.workers):
            if r == fd:
                del self.workers[k]
                orders.close()
                os.close(r)
                if proc.is_alive():
                    proc.terminate()
                proc.join()
                return

    def close(self) -> None:
        """Stop the workers (at once: their files are not needed any more)."""
        for proc, orders, r in self.workers:
            try:
                orders.send(None)
            except OSError:
                pass
            orders.close()
            os.close(r)
            if proc.is_alive():
                proc.terminate()
            proc.join()
        self.workers = []


def read_folder(files: list[Path], state: ImportState, read_here: Callable[[int, Path], None],
                want_digest: bool, on_users: UsersCallback | None = None) -> list[str]:
    """Import ``files`` into ``state`` with forked workers (see the module docstring); ``read_here(i,
    f)`` reads a file by the ordinary path. Returns the content hash (``cache.file_hash``) of each file's bytes when
    ``want_digest`` (else [] ); raises :class:`TraceError` as reading the files in order would."""
    digests: list[str] = []
    done: dict[int, _Arrived] = {}
    pool = _Pool(files, want_digest)
    try:
        for i, f in enumerate(files):
            while i not in done and (pool.busy or not pool.handed_out(i)):
                if state.task is not None:
                    state.task.check()
                for position, answer in pool.arrivals(0.05):
                    done[position] = _arrive(answer, state, on_users)
                pool.feed(sum(_bytes_of(a) for a in done.values()))
                if not pool.busy and not pool.handed_out(i):
                    break  # no worker left (or none could start): this file is read here
            arrived = done.pop(i, None)
            if state.task is not None:
                state.task.progress(i + 1, len(files), f"read {f.name} ({i + 1} of {len(files)})")
            if arrived is not None and isinstance(arrived.answer, forked.Fatal):
                raise arrived.answer.error()
            if arrived is None or not _adopt(arrived, state):
                read_here(i, f)
                if want_digest:
                    digests.append(cache.file_hash(f))
            elif want_digest:
                digests.append(arrived.answer.digest)
            pool.feed(sum(_bytes_of(a) for a in done.values()))
    finally:
        pool.close()
    return digests


def _size(f: Path) -> int:
    try:
        return f.stat().st_size
    except OSError:
        return 0


def _bytes_of(arrived: _Arrived) -> int:
    return sum(int(f.estimated_size()) for f in arrived.frames) + sum(a.nbytes for a in arrived.payload)


def _arrive(answer: Any, state: ImportState, on_users: UsersCallback | None) -> _Arrived:
    """Make the frames of a worker's answer now (their timestamp issues in a log of their own,
    merged in turn) and show its users."""
    log = IssueLog(state.issues.cap)
    if not isinstance(answer, FileBuilt):
        return _Arrived(answer, [], log)
    file_of_user = {u: file for u, _, file in answer.users}
    columns = answer.columns
    frames: list[pl.DataFrame] = []
    payload: tuple = ()
    if columns and len(columns[0]):
        # with a cache, the payload goes from the worker's buffers to the writer as Arrow arrays
        direct = state.sink is not None
        frames = [build.columns_frame(columns, log, file_of_user, payload=not direct)]
        payload = (columns[-2].array(), columns[-1].array()) if direct else ()
    answer = FileBuilt(answer.users, [], answer.issues, answer.counts, answer.digest)  # rows now in frames
    if on_users is not None and answer.users:
        from workbench.traces.canonical import user_table

        plain = [f.drop([c for c in schema.PAYLOAD_COLUMNS if c in f.columns]) for f in frames]
        events = pl.concat(plain) if plain else schema.empty_events().drop(list(schema.PAYLOAD_COLUMNS))
        on_users(user_table(events, answer.users), events)
    return _Arrived(answer, frames, log, payload)


def _adopt(arrived: _Arrived, state: ImportState) -> bool:
    """Add a worker's file to the import in its turn; False (nothing changed) when one of its users
    was read from an earlier file (the file is then read here, which skips and warns as usual)."""
    answer = arrived.answer
    if not isinstance(answer, FileBuilt) or any(u in state.seen for u, _, _ in answer.users):
        return False
    state.add_users(answer.users)
    merge_issues(state.issues, answer.issues, answer.counts)
    merge_issues(state.issues, arrived.log._items, arrived.log._counts)
    state.flush()
    step = limits.BATCH_EVENTS
    for frame in arrived.frames:
        for b0 in range(0, frame.height, step):
            if arrived.payload and state.sink is not None:
                context, actions = (a.slice(b0, step) for a in arrived.payload)
                state.frames.append(state.sink.add_arrow(frame.slice(b0, step), context, actions))
            else:
                state.add_frame(frame.slice(b0, step))
    arrived.frames.clear()
    arrived.payload = ()
    return True
