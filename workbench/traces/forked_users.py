"""A document of very many users read a slice of users at a time by two processes. Layer: traces
(pure; no Qt).

:func:`workbench.traces.whole._read_by_users` cuts such a document (a million users of one event,
say) into slices of ``limits.USERS_PER_SLICE`` users. Read in one process, nearly all of its time is
parsing the slices and building their rows, one user after another, on one core. From
``limits.PARALLEL_MIN_BYTES`` on, :func:`read_slices` hands the last slices (about
``limits.USERS_WORKER_SHARE`` of the bytes) to a forked worker that parses and builds them exactly
as this process does its own (:meth:`ImportState.read_users`), then sends back its users, the user
keys it met and its rows as columns (:func:`workbench.traces.forked.pack`).

The result is what one process gives: the same users in the same order, the same rows, the same
warnings (in the same order within each kind; like the other two-process paths, kinds may
interleave differently). Every check of the one-process path still holds: a slice that does not
parse or repeats a key, in either process or across the two, gives False (the caller then takes the
careful path), a :class:`TraceError` in the worker's part is raised here, and when the worker dies
or fails this process reads its part itself. The worker runs no threads and no polars.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from workbench.traces import limits
from workbench.traces.errors import IssueLog
from workbench.traces.forked import (
    Built,
    Failed,
    Fatal,
    add_worker_rows,
    answer_with,
    can_fork,
    ending,
    receive,
    start,
)
from workbench.traces.importer import ImportState

#: ``(start, stop, users)`` of a slice of the document (see ``whole._user_slices``)
Slice = tuple[int, int, int]
#: parses one slice, adding its keys to the set; None when it does not parse or repeats a key
SliceReader = Callable[[bytes | bytearray, int, int, int, set], dict | None]


@dataclass(frozen=True)
class UsersBuilt:
    """The worker's part: its users as ``(user id, profile)`` in document order, the user keys of
    its slices that are not among those users (records that were skipped), and its rows and warnings."""

    users: list[tuple[str, str]]
    skipped_keys: list[str]
    built: Built


class _WorkerState(ImportState):
    """The worker's import state: its rows stay in the builder until they are sent (a frame would
    need polars, whose thread pool does not survive a fork)."""

    def flush(self) -> None:
        """Nothing: the rows are sent as columns once the worker's slices are read."""


def worth_two_processes(data: bytes | bytearray, slices: list[Slice]) -> bool:
    """True when ``slices`` of ``data`` are read by :func:`read_slices` (two slices at least and a
    document of ``limits.PARALLEL_MIN_BYTES`` or more)."""
    return len(slices) >= 2 and len(data) >= limits.PARALLEL_MIN_BYTES


def read_slices(file: str, data: bytes | bytearray, slices: list[Slice], state: ImportState,
                read_slice: SliceReader) -> bool | None:
    """Read ``slices`` of ``data`` into ``state`` (which holds nothing yet), the first ones here and
    the rest in a forked worker; True when all were read, False as soon as a slice does not parse or
    a key is given twice (``state`` then holds a part: the caller empties it or starts again), None
    when two processes are not worth it (:func:`worth_two_processes`) or no worker could be started
    (nothing was read then). Raises the first :class:`TraceError`."""
    if not (worth_two_processes(data, slices) and can_fork()):
        return None
    cut = _cut(slices)
    mine, theirs = slices[:cut], slices[cut:]
    started = start(users_worker, (file, data, theirs, read_slice), "trace-users-worker", wide=True)
    if started is None:
        return None
    worker, receiver = started
    keys: set[str] = set()
    with ending(worker, receiver):
        if not read_in_turn(file, data, mine, state, read_slice, keys):
            return False
        state.flush()
        answer = receive(receiver, worker, state.task)
    if answer is None or isinstance(answer, Failed):  # the worker died or failed: its part is read here
        return read_in_turn(file, data, theirs, state, read_slice, keys)
    if isinstance(answer, Fatal):
        raise answer.error()
    if not keys.isdisjoint(uid for uid, _ in answer.users) or not keys.isdisjoint(answer.skipped_keys):
        return False                # a key of the worker's slices was given in this process's too
    state.add_users([(uid, profile, file) for uid, profile in answer.users])
    add_worker_rows(state, answer.built)
    return True


def _cut(slices: list[Slice]) -> int:
    """How many slices this process reads: the worker takes the last ``USERS_WORKER_SHARE`` of the
    bytes (at least one slice each)."""
    total = slices[-1][1] - slices[0][0]
    mine_until = slices[0][0] + total * (1.0 - limits.USERS_WORKER_SHARE)
    cut = next((i for i, (a, _, _) in enumerate(slices) if a >= mine_until), len(slices))
    return min(max(cut, 1), len(slices) - 1)


def read_in_turn(file: str, data: bytes | bytearray, slices: list[Slice], state: ImportState,
                 read_slice: SliceReader, keys: set[str]) -> bool:
    """Parse and build ``slices`` in turn into ``state``; False at the first that does not parse or
    repeats a key in ``keys`` (before it is built)."""
    for a, z, members in slices:
        part = read_slice(data, a, z, members, keys)
        if part is None:
            return False
        state.read_users(file, part)
        del part
    return True


def users_worker(sender, file: str, data: bytes | bytearray, slices: list[Slice], read_slice: SliceReader) -> None:
    """In the forked worker: read ``slices`` as this process would and send the part back
    (:class:`UsersBuilt`), or :class:`Fatal` / :class:`Failed`."""

    def work() -> UsersBuilt | Failed:
        issues = IssueLog()
        state = _WorkerState(issues, None)
        keys: set[str] = set()
        if not read_in_turn(file, data, slices, state, read_slice, keys):
            return Failed("a slice does not parse or repeats a user key")  # met again by the parent
        skipped = [] if len(keys) == len(state.seen) else [k for k in keys if k not in state.seen]
        return UsersBuilt([(uid, profile) for uid, profile, _ in state.users], skipped,
                          Built.of(state.builder, issues))

    answer_with(sender, work)
