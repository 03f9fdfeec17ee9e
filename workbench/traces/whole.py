"""Reading one JSON or JSONL file into an import: parsed whole with orjson (fastest), by two
processes from ``limits.PARALLEL_MIN_BYTES`` on (:mod:`workbench.traces.forked`), or streamed when
big or rejected by orjson (:mod:`workbench.traces.stream`; a big file is read by position as it
goes, :mod:`workbench.traces.filebytes`). Layer: traces (pure; no Qt).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

from workbench.traces import build, forked, forked_users, importer, limits, stream
from workbench.traces.errors import TraceError, TraceIssue
from workbench.traces.filebytes import FileBytes
from workbench.traces.importer import BOM, UNPARSED, ImportState, ReadAgainError, parse_whole, short


def read_json(f: Path, size: int, state: ImportState, pre: list | None = None) -> None:
    """Import the users of the OmniBehavior JSON file ``f`` (``size`` bytes) into ``state``;
    ``pre`` is ``[bytes, document or None]`` when the file was read (and maybe parsed) already.
    Raises :class:`TraceError` when nothing usable can be read."""
    file = importer.display(f)
    if size <= limits.FAST_PATH_MAX_BYTES:
        if pre is not None:  # [bytes, document or None] read (and maybe parsed) already
            data, doc = pre[0], pre[1]
            pre.clear()
        else:
            data, doc = importer.read_file(f), None
        if doc is None:
            if many_users(data) and _read_by_users(file, data, state):
                return
            if size >= limits.PARALLEL_MIN_BYTES and forked.can_fork() and forked.read_split(file, data, state):
                return
            doc = parse_whole(data)
        if doc is UNPARSED:
            stream.stream_json(f, data, state)
            return
        if not isinstance(doc, dict):
            raise TraceError(TraceIssue(file, expected="a JSON object {user_id: {user_profile, action_history}}",
                                        message=f"found {build._kind(doc)}"))
        importer.warn_duplicate_users(file, data, doc, state.issues)
        del data
        if size >= limits.PARALLEL_MIN_BYTES and forked.can_fork():
            forked.read_doc_parallel(file, doc, state)
            # freeing millions of parsed objects takes a while: do it after the import returns
            state.garbage.append(doc)  # freed once the import is done
            del doc
            return
        state.read_users(file, doc)
        return
    # read by position, never mapped: a file cut short meanwhile is then an error naming it, not
    # a SIGBUS that kills the process (see workbench.traces.filebytes)
    with FileBytes(f) as raw:
        stream.stream_json(f, raw, state)


def many_users(data: bytes | bytearray) -> bool:
    """True for a document with so many users (``limits.MANY_USERS`` ``"action_history"`` keys)
    that it is parsed a slice of users at a time (:func:`_read_by_users`)."""
    if len(data) < limits.MANY_USERS * 32:
        return False
    head = 1 << 20  # a first look at the first MiB: a file of few big users is not counted through
    if len(data) > 4 * head and data.count(b'"action_history"', 0, head) * (len(data) / head) < limits.MANY_USERS / 4:
        return False
    return data.count(b'"action_history"') >= limits.MANY_USERS


def _read_by_users(file: str, data: bytes | bytearray, state: ImportState) -> bool:
    """Parse and build a document of very many users ``limits.USERS_PER_SLICE`` users at a time,
    so that memory holds one slice of parsed users, not a million: the top-level commas (a scan
    at depth 1) cut the object into slices, each parsed as its own object and freed once built.
    Returns False, having changed nothing, when the document is not a complete object, a slice
    does not parse or a user key is given twice (the whole-document path then keeps the last
    copy and warns).

    Into a state that holds nothing yet (``ImportState.fresh``) and writes no cache, or can start
    again (``ImportState.restartable``), each slice is parsed once; on a failure the state is
    emptied again (``ImportState.reset``), or :class:`~workbench.traces.importer.ReadAgainError` is
    raised when rows went to the cache. Otherwise a first pass parses every slice only to check
    it before the second builds them."""
    slices = _user_slices(data)
    if slices is None:
        return False
    if state.fresh and (state.sink is None or state.restartable):
        try:
            if _one_pass(file, data, slices, state):
                return True
        except TraceError:
            pass  # the two passes meet it again where the one-process path would
        if state.sink is not None:
            raise ReadAgainError(file)
        state.reset()
    return _two_passes(file, data, slices, state)


def _user_slices(data: bytes | bytearray) -> list[tuple[int, int, int]] | None:
    """``(start, stop, users)`` of each slice of ``limits.USERS_PER_SLICE`` users of the document
    (its text between ``{`` and ``}`` is ``data[start:stop]``), or None when the document is not
    one complete object (or holds a string too long)."""
    st = forked.scan_in_two(data, forked.USER_START, 1)   # on two cores when the document is big
    if not st.complete or st.max_string > limits.MAX_STRING_BYTES:
        return None
    P, C, D = st.pos, st.char, st.depth_before
    # the outer object: its "{" is the only token at depth 0, its "}" the last token (depth 1 before)
    if P.size < 2 or C[0] != ord("{") or D[0] != 0 or C[-1] != ord("}") or D[-1] != 1 \
            or np.count_nonzero(D == 0) != 1:
        return None
    cuts = [int(P[0])] + P[(C == ord(",")) & (D == 1)].tolist() + [int(P[-1])]
    del st, P, C, D
    step = limits.USERS_PER_SLICE
    return [(cuts[i] + 1, cuts[min(i + step, len(cuts) - 1)], min(step, len(cuts) - 1 - i))
            for i in range(0, len(cuts) - 1, step)]


def _one_pass(file: str, data: bytes | bytearray, slices: list[tuple[int, int, int]], state: ImportState) -> bool:
    """Parse and build each slice in turn (the last ones in a forked worker, when worthwhile:
    :mod:`workbench.traces.forked_users`); False as soon as a slice does not parse or repeats a
    key, before that slice is built (the caller then empties the state)."""
    done = forked_users.read_slices(file, data, slices, state, _checked_slice)
    if done is not None:
        return done
    return forked_users.read_in_turn(file, data, slices, state, _checked_slice, set())


def _two_passes(file: str, data: bytes | bytearray, slices: list[tuple[int, int, int]], state: ImportState) -> bool:
    """A first pass parses every slice to check that each parses and every key is given once
    (False, having changed nothing, otherwise); the second parses and builds them."""
    keys: set[str] = set()
    for a, z, members in slices:
        if _checked_slice(data, a, z, members, keys) is None:
            return False
    del keys
    for a, z, _ in slices:
        part = orjson.loads(b"{" + memoryview(data)[a:z] + b"}")
        state.read_users(file, part)
        del part
    return True


def _checked_slice(data: bytes | bytearray, a: int, z: int, members: int, keys: set[str]) -> dict | None:
    """The users of the slice ``data[a:z]`` (``members`` of them) parsed, their keys added to
    ``keys`` (those of the slices before); None when it does not parse or a key is given twice."""
    try:
        part = orjson.loads(b"{" + memoryview(data)[a:z] + b"}")
    except orjson.JSONDecodeError:
        return None
    n = len(keys)
    keys.update(part)
    if len(part) != members or len(keys) - n != members:  # a key given twice
        return None
    return part


def read_jsonl(f: Path, state: ImportState) -> None:
    """Import a JSONL file (one ``{user_id: {...}}`` object per line); bad lines are skipped with
    a warning naming the line."""
    file = importer.display(f)
    with open(f, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if lineno == 1 and line.startswith(BOM):
                line = line[3:]
            if not line.strip():
                continue
            if state.task is not None:
                state.task.check()
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                state.issues.add(TraceIssue(f"{file}:{lineno}", expected="one JSON object {user_id: {...}} per line",
                                            message=f"{short(exc)}; line skipped"))
                continue
            if not isinstance(doc, dict):
                state.issues.add(TraceIssue(f"{file}:{lineno}", expected="one JSON object {user_id: {...}} per line",
                                            message=f"found {build._kind(doc)}; line skipped"))
                continue
            state.read_users(file, doc)


