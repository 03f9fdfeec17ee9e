"""A big JSON file (the streamed path, read from the file as it goes) that another process truncates,
grows or rewrites while it loads: detected, read again or refused with one line naming the file;
never a crash. The truncation cases run in a subprocess: reading a memory mapping past the new end
of its file kills the process with SIGBUS (returncode -7), which must never happen."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.traces import TraceError, importer, limits, load_traces, stream

ROOT = Path(__file__).resolve().parents[2]

# Run in the child: the streamed path forced on a small file (the file is never read whole), then
# the file is cut to a third of its size at a point of the import (`where`, a function of
# workbench.traces.stream): once, or at every attempt.
_CHILD = r"""
import json, os, sys
from pathlib import Path
from workbench.traces import importer, limits, stream

f, where, times, procs, how = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
limits.FAST_PATH_MAX_BYTES = 0
limits.BATCH_EVENTS = 50
if procs == "two":
    limits.PARALLEL_MIN_BYTES = 0
    limits.PARALLEL_MIN_EVENTS = 2

def never(*_a, **_k):
    raise AssertionError("the big file was read whole")

importer.read_file = never
entered = []
real_stream = stream.stream_json

def counted(*a, **k):
    entered.append(1)
    return real_stream(*a, **k)

stream.stream_json = counted
parent, cuts = os.getpid(), []
real = getattr(stream, where)

def cut_then_go_on(*a, **k):
    if os.getpid() == parent and (times == "always" or not cuts):
        size = f.stat().st_size
        os.truncate(f, size // 3)
        cuts.append(size)
    return real(*a, **k)

setattr(stream, where, cut_then_go_on)
if how == "cli":
    from workbench.cli import main
    code = main(["info", str(f)])
    print(json.dumps({"streamed": len(entered), "cuts": len(cuts)}), file=sys.stderr if code else sys.stdout)
    sys.exit(code)
from workbench.traces import load_traces
ts = load_traces(f.parent if how == "folder" else f, use_cache=how == "cache")
print(json.dumps({"streamed": len(entered), "cuts": len(cuts), "users": ts.user_ids(),
                  "events": ts.events.height, "warnings": [str(w) for w in ts.warnings]}))
"""


def _ev(i: int) -> dict:
    return {"type": "Video Browsing", "timestamp": f"2025-10-01 00:{i // 60 % 60:02d}:{i % 60:02d}",
            "context": {"caption": f"video number {i} " + "x" * 200}, "action": [{"type": "watch", "play_duration": i}]}


def _big(path: Path, users: int = 6, events: int = 400) -> Path:
    """A file of about 2 MB (hundreds of pages): cut to a third, most of it lies past the new end."""
    doc = {f"user_{u}": {"user_profile": f"p{u}", "action_history": [_ev(u * events + i) for i in range(events)]}
           for u in range(users)}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _child(f: Path, where: str, times: str = "once", procs: str = "one", how: str = "library"):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", _CHILD, str(f), where, times, procs, how],
                          capture_output=True, text=True, env=env, cwd=f.parent, timeout=120)


@pytest.mark.parametrize("where,procs,how", [
    ("_history_arrays", "one", "library"),     # after the scan, before the skeleton and the events
    ("_stream_job", "one", "cache"),           # while the events are built (the cache being written)
    ("_history_arrays", "two", "library"),     # the forked workers read the file too
    ("_history_arrays", "two", "folder"),      # one big file of a folder (the others read by workers)
])
def test_a_big_file_truncated_while_it_loads_is_read_again_not_a_crash(tmp_path, where, procs, how):
    f = _big(tmp_path / "big.json")
    if how == "folder":
        (tmp_path / "small.json").write_text(json.dumps({"zz": {"action_history": [_ev(0)]}}), encoding="utf-8")
    proc = _child(f, where, "once", procs, how)
    assert proc.returncode != -signal.SIGBUS, "the import died of SIGBUS (Bus error)"
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    # read once (cut meanwhile: noticed), then again: what is complete of the shorter file (in a
    # folder, the small file after it is streamed too, on the second attempt only)
    assert out["cuts"] == 1 and out["streamed"] == (3 if how == "folder" else 2)
    users = [u for u in out["users"] if u != "zz"]
    assert 0 < len(users) < 6 and users == [f"user_{u}" for u in range(len(users))]
    assert ("zz" in out["users"]) == (how == "folder")
    assert any("truncated" in w for w in out["warnings"])


def test_a_big_file_that_keeps_shrinking_is_refused_by_the_cli_in_one_line(tmp_path):
    f = _big(tmp_path / "big.json")
    proc = _child(f, "_history_arrays", "always", "one", "cli")
    assert proc.returncode != -signal.SIGBUS, "workbench info died of SIGBUS (Bus error)"
    assert proc.returncode == 2, proc.stderr
    message, counts = proc.stderr.splitlines()[0], json.loads(proc.stderr.splitlines()[1])
    assert len(proc.stderr.splitlines()) == 2 and proc.stdout == ""   # one line of ours (+ the test's)
    assert str(f) in message and "changed while it was read" in message
    assert counts == {"streamed": 2, "cuts": 2}


def _in_place(f: Path, new: bytes) -> None:
    """Overwrite ``f`` from its start without truncating it (a writer that rewrites in place)."""
    fd = os.open(f, os.O_WRONLY)
    try:
        os.pwrite(fd, new, 0)
    finally:
        os.close(fd)


@pytest.fixture
def streamed(monkeypatch):
    """The streamed path forced on small files, never reading them whole; counts its runs."""
    monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)
    monkeypatch.setattr(limits, "BATCH_EVENTS", 50)

    def never(*_a, **_k):
        raise AssertionError("the big file was read whole")

    monkeypatch.setattr(importer, "read_file", never)
    runs: list[int] = []
    real = stream.stream_json

    def counted(*a, **k):
        runs.append(1)
        return real(*a, **k)

    monkeypatch.setattr(stream, "stream_json", counted)
    return runs


def _rewrite_during_scan(monkeypatch, f: Path, new: bytes, times: str = "once") -> list[int]:
    done: list[int] = []
    real = stream._history_arrays

    def rewrite_then_go_on(*a, **k):
        if times == "always" or not done:
            _in_place(f, new if not done else new.replace(b"video number", b"video NUMBER"))
            done.append(1)
        return real(*a, **k)

    monkeypatch.setattr(stream, "_history_arrays", rewrite_then_go_on)
    return done


@pytest.mark.parametrize("use_cache", [False, True])
def test_a_big_file_that_grows_while_it_loads_is_read_again(tmp_path, monkeypatch, streamed, use_cache):
    f = _big(tmp_path / "big.json", users=3, events=100)
    os.utime(f, ns=(10**18, 10**18))                 # written long ago
    longer = json.dumps({f"user_{u}": {"user_profile": "grown", "action_history": [_ev(i) for i in range(150)]}
                         for u in range(4)}).encode()
    assert len(longer) > f.stat().st_size
    done = _rewrite_during_scan(monkeypatch, f, longer)
    ts = load_traces(f, use_cache=use_cache)
    assert done == [1] and len(streamed) == 2
    assert ts.user_ids() == [f"user_{u}" for u in range(4)] and ts.profile("user_3") == "grown"
    assert ts.events.height == 600 and ts.warnings == []


@pytest.mark.parametrize("use_cache", [False, True])
def test_a_big_file_rewritten_in_place_with_the_same_size_is_read_again(tmp_path, monkeypatch, streamed,
                                                                         use_cache):
    f = _big(tmp_path / "big.json", users=3, events=100)
    os.utime(f, ns=(10**18, 10**18))                 # written long ago
    old = f.read_bytes()
    new = old.replace(b"video number 7 ", b"video NUMBER 7 ")
    assert len(new) == len(old) and new != old
    done = _rewrite_during_scan(monkeypatch, f, new)
    ts = load_traces(f, use_cache=use_cache)
    assert done == [1] and len(streamed) == 2
    assert ts.user("user_0").event(7)["context"]["caption"].startswith("video NUMBER 7 ")


def test_a_big_file_rewritten_at_every_attempt_is_refused_naming_it(tmp_path, monkeypatch, streamed):
    f = _big(tmp_path / "big.json", users=3, events=100)
    os.utime(f, ns=(10**18, 10**18))
    new = f.read_bytes().replace(b"video number 7 ", b"video NUMBER 7 ")
    _rewrite_during_scan(monkeypatch, f, new, times="always")
    with pytest.raises(TraceError, match="changed while it was read") as err:
        load_traces(f, use_cache=False)
    assert err.value.issue.file == str(f) and len(streamed) == 2
