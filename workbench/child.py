"""Helper processes of ours: starting ``python -m workbench...`` and the messages on its pipes.
Layer: pure (no Qt).

Two parts of the workbench hand work to a second Python process: the baselines batch
(:mod:`workbench.evaluate.offline_worker`) and the window's first model calls
(:mod:`workbench.simulate.standby`). Both start it with :func:`spawn` and talk to it in
length-prefixed messages (:func:`write_frame`, :func:`read_frame`) on its standard input and output.
A helper's standard error goes to /dev/null: only the parent writes to the terminal, through its
redaction, and a helper reports a failure as a message.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

_HEADER = struct.Struct("<Q")


def spawn(module: str) -> subprocess.Popen | None:
    """``python -m module`` with pipes on its standard input and output, this checkout on its
    ``PYTHONPATH`` (so that it imports the same code as this process); None in a frozen app (which
    has no interpreter to run a module with) or when the process cannot be started."""
    if getattr(sys, "frozen", False):
        return None
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    try:
        return subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env)
    except (OSError, ValueError):
        return None


def write_frame(out: IO[bytes] | Any, body: bytes) -> None:
    """One message: its length, then ``body``; flushed."""
    out.write(_HEADER.pack(len(body)) + body)
    out.flush()


def read_frame(stream: IO[bytes] | Any) -> bytes | None:
    """The next message's body, or None at the end of the stream (or a message cut short)."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    size = _HEADER.unpack(head)[0]
    body = stream.read(size)
    return body if len(body) == size else None
