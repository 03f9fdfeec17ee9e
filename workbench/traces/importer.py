"""What every import path shares: reading a file's bytes, the state of one import (users and
event frames gathered across files), and freeing parsed documents afterwards. Layer: traces (pure; no Qt).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import polars as pl

from workbench.traces import build, fastparse, limits, schema
from workbench.traces.errors import IssueLog, TraceError, TraceIssue

if TYPE_CHECKING:
    from workbench.traces.sink import CanonicalSink

BOM = b"\xef\xbb\xbf"

UNPARSED = object()


def read_file(f: Path) -> bytearray:
    """The bytes of ``f``, in a bytearray: a forked worker may then change its own copy in place
    instead of copying its part (see ``forked.split_worker``)."""
    with open(f, "rb", buffering=0) as fh:
        data = bytearray(os.fstat(fh.fileno()).st_size)
        view = memoryview(data)
        got = 0
        while got < len(data):
            n = fh.readinto(view[got:])
            if not n:
                break
            got += n
        view.release()
        if got < len(data):  # shrank meanwhile
            del data[got:]
        else:  # or grew
            data += fh.read()
    return data


def parse_whole(data: bytes | bytearray) -> Any:
    """The whole document, or ``UNPARSED`` when orjson rejects it (the streaming path then says
    where and reads what it can). A trace document is decoded by msgspec when it gives exactly
    orjson's result (:mod:`workbench.traces.fastparse`), faster."""
    try:
        return fastparse.loads(memoryview(data)[3:] if data.startswith(BOM) else data)
    except orjson.JSONDecodeError:
        return UNPARSED




def free_later(garbage: list) -> None:
    """Free parsed documents a few hundred events at a time, offering the GIL to other threads after
    each step (one big ``clear`` would hold it for a tenth of a second or more)."""
    while garbage:
        doc = garbage.pop()
        if isinstance(doc, dict):
            lists = [r.get("action_history") for r in doc.values() if isinstance(r, dict)]
        else:
            lists = [doc]
        for history in lists:
            if isinstance(history, list):
                while history:
                    del history[-limits.FREE_STEP:]
                    time.sleep(0)  # releases the GIL: a waiting thread runs now, not in 5 ms
        del doc, lists


_WHITESPACE = b" \t\r\n"


def first_byte(f: Path) -> tuple[int, int] | None:
    """``(byte, offset)`` of the first byte of ``f`` that is not JSON whitespace (after a UTF-8
    BOM), or None when there is none. Reads only as far as it has to, in 64 KiB steps."""
    with open(f, "rb") as fh:
        offset = 0
        chunk = fh.read(1 << 16)
        if chunk.startswith(BOM):
            chunk, offset = chunk[3:], 3
        while chunk:
            stripped = chunk.lstrip(_WHITESPACE)
            if stripped:
                return stripped[0], offset + len(chunk) - len(stripped)
            offset += len(chunk)
            chunk = fh.read(1 << 16)
    return None


def describe_byte(b: int) -> str:
    """A byte as a reader recognises it: ``'['`` for printable ASCII, else ``0x00``."""
    return repr(chr(b)) if 0x20 < b < 0x7F else f"0x{b:02x}"


def display(path: Any) -> str:
    """A path as text that is always valid UTF-8 (bytes that are not: backslash escapes), for
    messages and tables; the file itself is always opened by its real name."""
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def check_source(path: Path) -> os.stat_result:
    """The ``stat`` of a source that is a regular file or a folder; TraceError at once for anything
    else (a FIFO or a device would block or never end) and for a missing path."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise TraceError(TraceIssue(display(path), expected="an existing file or folder",
                                    message="not found")) from None
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "a special file")
        raise TraceError(TraceIssue(display(path), expected="a regular file or a folder",
                                    message=f"it is {kind}; only regular files are read"))
    return st


def snapshot(files: list[Path]) -> list[tuple[int, int, int, int]]:
    """``(inode, size, mtime, ctime)`` of each file: compared before and after an import to notice
    a file that changed while it was read."""
    out = []
    for f in files:
        st = f.stat()
        out.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return out


class ReadAgainError(Exception):
    """A file read in one pass turned out to need the careful path after rows went to the cache
    sink (which cannot take them back): the import starts again with a new sink."""


class FileOfUser(Mapping[str, str]):
    """The file each user of ``users`` (``(user_id, profile, file)``, ids unique, only ever added to)
    came from, as a mapping made on first use and brought up to date as users are added: only a
    warning about an event needs it, and a million users need no second dict filled as they are read."""

    def __init__(self, users: list[tuple[str, str, str]]) -> None:
        self._users = users
        self._map: dict[str, str] = {}

    def _current(self) -> dict[str, str]:
        if len(self._map) != len(self._users):
            self._map.update((u, f) for u, _, f in self._users[len(self._map):])
        return self._map

    def __getitem__(self, uid: str) -> str:
        return self._current()[uid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._users)


class ImportState:
    """Users and event frames gathered across files."""

    def __init__(self, issues: IssueLog, task) -> None:
        self.issues = issues
        self.task = task
        self.users: list[tuple[str, str, str]] = []  # user_id, profile, file
        self.seen: set[str] = set()
        self.file_of_user = FileOfUser(self.users)
        self.frames: list[pl.DataFrame] = []
        self.builder = build.EventBuilder(issues)
        self.garbage: list = []  # parsed documents to free after the import
        #: where the frames' payload goes as they are made (then only the rest is kept), if anywhere
        self.sink: CanonicalSink | None = None
        #: the import can start again with a new sink (one file): a file may then be read in one
        #: pass even with a sink, and :class:`ReadAgainError` raised if that turns out wrong
        self.restartable = False

    @property
    def fresh(self) -> bool:
        """True while nothing was imported into this state (no user, event, frame or warning, no
        row sent to the cache): :meth:`reset` can then undo an import that turns out to be
        unusable (or, when it writes a cache, starting again: :class:`ReadAgainError`)."""
        return ((self.sink is None or self.sink.rows == 0) and not self.users and not self.seen
                and not self.frames and not len(self.builder)
                and not len(self.issues))

    def reset(self) -> None:
        """Forget everything imported since the state was :attr:`fresh` (users, events, frames,
        warnings); only for a state that writes no cache (a sink cannot take rows back)."""
        if self.sink is not None:
            raise RuntimeError("an import that writes a cache cannot be reset")
        self.users.clear()
        self.file_of_user = FileOfUser(self.users)
        self.seen.clear()
        self.frames.clear()
        self.issues.clear()
        self.builder = build.EventBuilder(self.issues)

    def add_frame(self, frame: pl.DataFrame) -> None:
        """Keep one frame of events (its payload written to the sink, when there is one)."""
        self.frames.append(self.sink.add(frame) if self.sink is not None else frame)

    def flush(self) -> None:
        """Turn the events built so far into a frame (keeps memory bounded on big imports)."""
        if len(self.builder):
            self.add_frame(self.builder.frame(self.file_of_user))
            self.builder = build.EventBuilder(self.issues)

    def finish(self) -> pl.DataFrame:
        """The whole import's event table (empty with the canonical schema when nothing was read)."""
        self.flush()
        if not self.frames:
            empty = schema.empty_events()
            return empty if self.sink is None else empty.drop(list(schema.PAYLOAD_COLUMNS))
        return pl.concat(self.frames, how="vertical", rechunk=False) if len(self.frames) > 1 else self.frames[0]

    def user(self, file: str, uid: Any, record: Any) -> str | None:
        """Register a user record; returns the user id, or None when the record is skipped."""
        if not isinstance(uid, str):
            uid = str(uid)
        if uid in self.seen:
            self.issues.add(TraceIssue(file, uid, None, "", "unique user ids",
                                       "user appears again; this later copy is skipped"))
            return None
        if not isinstance(record, dict):
            self.issues.add(TraceIssue(file, uid, None, "", "a user object with action_history",
                                       f"found {build._kind(record)}; user skipped"))
            return None
        profile = record.get("user_profile", "")
        if profile is None:
            profile = ""
        if not isinstance(profile, str):
            self.issues.add(TraceIssue(file, uid, None, "user_profile", "a string",
                                       f"found {build._kind(profile)}; kept as its JSON text"))
            profile = orjson.dumps(profile).decode()
        if len(profile) > build.MAX_PROFILE_CHARS:
            raise TraceError(TraceIssue(file, uid, None, "user_profile",
                                        f"at most {build.MAX_PROFILE_CHARS} characters",
                                        f"profile has {len(profile)} characters"))
        self.seen.add(uid)
        self.users.append((uid, profile, file))
        return uid

    def add_users(self, users: list[tuple[str, str, str]]) -> None:
        """Register ``(user id, profile, file)`` users read and checked elsewhere (a worker's),
        none of them seen before."""
        self.seen.update(uid for uid, _, _ in users)
        self.users.extend(users)

    def read_users(self, file: str, doc: dict) -> None:
        """``user`` then ``events`` for each ``(user id, record)`` of the parsed object ``doc``, in
        its order. Same users, events and warnings; a user whose record is an object with a string
        (or null, or missing) profile and a list of at most ``limits.BATCH_EVENTS`` events is
        registered here without the two calls (a file of a million one-event users saves a
        second), any other record goes through them."""
        seen, users = self.seen, self.users
        limit, batch, task = build.MAX_PROFILE_CHARS, limits.BATCH_EVENTS, self.task
        for uid, record in doc.items():
            if type(record) is dict and type(uid) is str and uid not in seen:
                history = record.get("action_history")
                profile = record.get("user_profile", "")
                if profile is None:
                    profile = ""
                if type(history) is list and len(history) <= batch and type(profile) is str \
                        and len(profile) <= limit:
                    seen.add(uid)
                    users.append((uid, profile, file))
                    if history:
                        n = len(history)
                        builder = self.builder
                        builder.add_list(file, uid, history, 0)
                        history.clear()  # the parsed events are freed now, as ``events`` frees them
                        if len(builder) >= batch:
                            self.flush()
                        if task is not None:
                            task.check()
                            task.progress(n, n, f"reading the events of {uid}")
                    continue
            u = self.user(file, uid, record)
            if u is not None:
                self.events(file, u, record.get("action_history"))

    def events(self, file: str, uid: str, history: Any, first: int = 0, stop: int | None = None,
               free: bool = True, base: int = 0) -> None:
        """Build the events ``history[first:stop]`` (all of them by default; ``history[0]`` has event
        index ``base``); ``free`` drops each parsed batch from ``history`` once built."""
        if not isinstance(history, list):
            self.issues.add(not_a_history(file, uid, history))
            return
        n = len(history) if stop is None else stop
        for s in range(first, n, limits.BATCH_EVENTS):
            e = min(n, s + limits.BATCH_EVENTS)
            self.builder.add_list(file, uid, history[s:e], base + s)
            if free:
                for i in range(s, e):  # free the parsed events now: their memory is reused at once
                    history[i] = None
            if len(self.builder) >= limits.BATCH_EVENTS:
                self.flush()
            if self.task is not None:
                self.task.check()
                self.task.progress(e, n, f"reading the events of {uid}")


def not_a_history(file: str, uid: str, history: Any) -> TraceIssue:
    """The warning for a user whose ``action_history`` is not a list."""
    return TraceIssue(file, uid, None, "action_history", "a list of events",
                      f"found {build._kind(history)}; user kept with no events")


def merge_issues(log: IssueLog, items: list[TraceIssue], counts: dict[tuple, int]) -> None:
    """Add the worker's issues (kept ones and counts of those left out) to ``log``, after its own."""
    last: dict[tuple, TraceIssue] = {}
    sent: dict[tuple, int] = {}
    for issue in items:
        log.add(issue)
        key = (issue.file, issue.field, issue.expected)
        last[key] = issue
        sent[key] = sent.get(key, 0) + 1
    for key, n in counts.items():
        for _ in range(n - sent.get(key, 0)):  # only past the cap: counted, not listed again
            log.add(last[key])


def short(exc: BaseException) -> str:
    """The first line of an exception's text (at most 200 characters), for a one-line message."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def duplicate_users(raw: Any, pos: Any, char: Any, depth: Any) -> dict[str, int]:
    """``{user_id: copies}`` of the user keys that appear more than once in a JSON document, from
    its structural tokens (positions, bytes, depth before): the keys of the objects at depth 1."""
    from workbench.traces.scan import key_before

    seen: dict[str, int] = {}
    for i in np.flatnonzero((char == ord("{")) & (depth == 1)).tolist():
        key = key_before(raw, int(pos[i]))
        if key is not None:
            seen[key] = seen.get(key, 0) + 1
    return {k: n for k, n in seen.items() if n > 1}


def warn_duplicate_users(file: str, data: Any, doc: Any, issues: IssueLog) -> None:
    """Warn about user keys that appear more than once in one JSON file (the parser keeps the last
    copy only, so the earlier copies' events would vanish silently). Cheap unless there are some:
    the scan runs only when the file holds more ``"action_history"`` keys than the parsed users."""
    if not isinstance(doc, dict):
        return
    expected = sum(1 for r in doc.values() if isinstance(r, dict) and "action_history" in r)
    if data.count(b'"action_history"') <= expected:
        return
    from workbench.traces.scan import scan

    st = scan(np.frombuffer(data, np.uint8), keep_depth=1)
    for uid, n in duplicate_users(data, st.pos, st.char, st.depth_before).items():
        issues.add(duplicate_issue(file, uid, n))


def duplicate_issue(file: str, uid: str, copies: int) -> TraceIssue:
    """The warning for a user key found ``copies`` times in one file."""
    return TraceIssue(file, uid, None, "", "unique user ids",
                      f"the user appears {copies} times in this file; only the last copy is read")
