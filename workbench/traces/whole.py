"""Reading one JSON or JSONL file into an import: parsed whole with orjson (fastest), by two
processes from ``limits.PARALLEL_MIN_BYTES`` on (:mod:`workbench.traces.forked`), or streamed when
big or rejected by orjson (:mod:`workbench.traces.stream`). Layer: traces (pure; no Qt).
"""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np
import orjson

from workbench.traces import build, forked, importer, limits, stream
from workbench.traces.errors import TraceError, TraceIssue
from workbench.traces.importer import BOM, UNPARSED, ImportState, parse_whole, short


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
            if size >= limits.PARALLEL_MIN_BYTES and forked.can_fork() and forked.read_split(file, data, state):
                return
            doc = parse_whole(data)
        if doc is UNPARSED:
            stream.stream_json(f, np.frombuffer(data, np.uint8), data, state)
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
        for uid, record in doc.items():
            u = state.user(file, uid, record)
            if u is not None:
                state.events(file, u, record.get("action_history"))
        return
    with open(f, "rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        stream.stream_json(f, np.frombuffer(mm, np.uint8), mm, state)
    finally:
        try:
            mm.close()
        except BufferError:
            pass  # numpy views still alive; released with them


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
            for uid, record in doc.items():
                u = state.user(file, uid, record)
                if u is not None:
                    state.events(file, u, record.get("action_history"))


