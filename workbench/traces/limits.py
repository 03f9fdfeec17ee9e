"""Size limits and tuning of the trace importer. Layer: traces (pure; no Qt).

The importer's modules read these at call time (``limits.BATCH_EVENTS``), so a test can lower one
with ``monkeypatch.setattr(limits, ...)`` to force a path (streaming, two processes) on a small file.
"""

from __future__ import annotations

#: Files larger than this are refused (bytes).
MAX_FILE_BYTES = 32 * 1024 ** 3
#: Files up to this size are parsed whole (faster); larger ones are streamed (bytes).
FAST_PATH_MAX_BYTES = 256 * 1024 * 1024
#: Events parsed per batch on the streaming path.
BATCH_EVENTS = 20_000
#: A single JSON string longer than this (bytes) is refused.
MAX_STRING_BYTES = 64 * 1024 * 1024
#: Files at least this big (bytes), parsed whole, have their events built by two processes: a
#: forked worker builds the rows of the second half while this process builds the first.
PARALLEL_MIN_BYTES = 20 * 1024 * 1024
#: ... when they hold at least this many events.
PARALLEL_MIN_EVENTS = 4096
#: Share of the events the worker takes (this process also makes frames of the worker's columns).
WORKER_SHARE = 0.5
#: Share of the events the worker builds on the streaming path (more than half: this process also
#: makes the frames of all of them; measured on a 1M-event file).
STREAM_WORKER_SHARE = 0.57
#: Parsed events freed per step after an import (about a third of a millisecond each).
FREE_STEP = 250
#: Parquet row groups (small enough that reading one user's payload skips the others).
ROW_GROUP = 32_768
#: A JSON document with at least this many users is parsed a slice of users at a time (memory
#: then holds one slice of parsed users, not all of them).
MANY_USERS = 50_000
#: Users parsed per slice on that path.
USERS_PER_SLICE = 20_000
#: Share of such a document's bytes (from ``PARALLEL_MIN_BYTES`` on) whose slices a forked worker
#: reads (:mod:`workbench.traces.forked_users`). The worker makes no frames and so reads a user a
#: fifth faster; this process also takes in the worker's rows: the two then end together (measured
#: on a million one-event users).
USERS_WORKER_SHARE = 0.52
#: Worker processes that read the files of a folder (:mod:`workbench.traces.pool`); this process
#: makes their frames and writes the cache meanwhile.
POOL_WORKERS = 2
#: Bytes of files read ahead by those workers, waiting for their turn, at most (about).
POOL_AHEAD_BYTES = 256 * 1024 * 1024
#: A file at least this big is handed to a worker early (:class:`workbench.traces.pool._Pool`) ...
POOL_BIG_FILE_BYTES = 32 * 1024 * 1024
#: ... when at most this many bytes of files lie before it: about what the other worker reads
#: meanwhile (a worker reads a big file and the same bytes of small ones in about the same time).
POOL_BIG_LOOKAHEAD_BYTES = 128 * 1024 * 1024
