"""Hostile big files: time and memory of the trace loader on them. Layer: bench (prints JSON; not a test).

Each case runs ``workbench info PATH --no-cache`` (or ``load_traces``) in a fresh subprocess and
reports wall seconds, CPU seconds (user + system: much less sensitive to a shared machine's load)
and peak RSS (``ru_maxrss`` of the child):

* ``users_1m``: one JSON file of 1,000,000 users with one event each (targets: at most 20 s and
  1.5 GB for ``workbench info --no-cache``, as a table and with ``--json``; also measured: the
  default ``workbench info --json`` opening the file for the first time, which writes its cache);
* ``hole_1g``: one user whose ``action_history`` holds 1 GB of whitespace between two events
  (target: memory far below the 3 GB it once took; the file is 1 GB);
* ``nul_2g``: a 2 GB file of NUL bytes (sparse), refused from its first bytes (target: at once).

``loadavg_*`` is ``/proc/loadavg`` around each measurement (the machine may be shared).

    python bench/files.py [--dir DIR] [--only users_1m|hole_1g|nul_2g] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_EVENT = ('{"type":"Video Browsing","timestamp":"2025-10-01 12:00:00","context":{"caption":"a video %d",'
          '"duration":30},"action":[{"type":"watch","play_duration":12}]}')


def write_users(path: Path, n: int) -> None:
    """``n`` users of one event each."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("{")
        for i in range(n):
            if i:
                fh.write(",")
            fh.write(f'"user_{i:07d}":{{"user_profile":"p","action_history":[{_EVENT % i}]}}')
        fh.write("}")


def write_hole(path: Path, hole_bytes: int) -> None:
    """One user: an event, ``hole_bytes`` of spaces and newlines, another event."""
    block = (b" " * 1023 + b"\n") * 1024  # 1 MiB
    with open(path, "wb") as fh:
        fh.write(b'{"u": {"user_profile": "p", "action_history": [' + (_EVENT % 0).encode() + b",")
        left = hole_bytes
        while left > 0:
            part = block[:left]
            fh.write(part)
            left -= len(part)
        fh.write((_EVENT % 1).encode() + b"]}}")


def write_nul(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        fh.truncate(size)


_WRAPPER = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run([sys.executable, "-m", "workbench", *sys.argv[1:]], capture_output=True, text=True, check=False)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": time.perf_counter() - t, "rss_kb": r.ru_maxrss, "cpu_s": r.ru_utime + r.ru_stime,
                  "returncode": p.returncode, "stdout": p.stdout[:2000], "stderr": p.stderr[-2000:]}))
"""


def measure(args: list[str], env: dict[str, str]) -> dict:
    """Run ``python -m workbench ARGS`` under a small wrapper process (so that ``ru_maxrss`` of its
    children is this run's alone) and report wall seconds, peak RSS (MB) and the exit code."""
    load0 = Path("/proc/loadavg").read_text().strip()
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, check=True)
    got = json.loads(proc.stdout)
    return {"seconds": round(got["seconds"], 2), "cpu_s": round(got["cpu_s"], 2),
            "peak_rss_mb": round(got["rss_kb"] / 1024, 1),
            "returncode": got["returncode"],
            "stderr_tail": got["stderr"].strip().splitlines()[-1:] if got["stderr"].strip() else [],
            "loadavg_before": load0, "loadavg_after": Path("/proc/loadavg").read_text().strip()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="where to write the files (default: a temp dir)")
    parser.add_argument("--only", choices=["users_1m", "hole_1g", "nul_2g"], action="append")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--hole-mb", type=int, default=1024)
    parser.add_argument("--keep", action="store_true", help="keep the files")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="wb-bench-files-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKBENCH_CACHE_DIR": str(work / "cache")}
    cases = args.only or ["nul_2g", "hole_1g", "users_1m"]
    out: dict = {"machine": {"cpus": os.cpu_count()}}
    try:
        for case in cases:
            if case == "nul_2g":
                path = work / "nul_2g.json"
                write_nul(path, 2 * 1024 ** 3)
                out[case] = {"file_mb": 2048, **measure(["info", str(path), "--no-cache"], env)}
            elif case == "hole_1g":
                path = work / "hole_1g.json"
                if not path.exists():
                    write_hole(path, args.hole_mb * 1024 ** 2)
                out[case] = {"file_mb": round(path.stat().st_size / 2 ** 20), "hole_mb": args.hole_mb,
                             **measure(["info", str(path), "--no-cache"], env)}
            else:
                path = work / f"users_{args.users}.json"
                if not path.exists():
                    write_users(path, args.users)
                cold = work / "cache-first-open"
                shutil.rmtree(cold, ignore_errors=True)  # a first open: the cache is written as it reads
                out[case] = {"file_mb": round(path.stat().st_size / 2 ** 20), "users": args.users,
                             "table": measure(["info", str(path), "--no-cache"], env),
                             "json": measure(["info", str(path), "--no-cache", "--json"], env),
                             "json_first_open_cached": measure(["info", str(path), "--json"],
                                                               {**env, "WORKBENCH_CACHE_DIR": str(cold)})}
                shutil.rmtree(cold, ignore_errors=True)
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
