"""Trace loading speed and memory. Layer: bench (prints JSON; not a test).

For a 100k-event single-user file and a 1M-event many-user file (written by ``bench/tracegen.py``
with about 1 KB of text per event), each measurement runs in a fresh subprocess so that peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) and caches are honest:

* ``orjson_loads_s``: read the bytes and ``orjson.loads`` them (the reference; for the 1M file only
  with ``--orjson-big``, since it needs several GB of RAM);
* ``cold_s``: first ``load_traces`` with an empty cache dir until the TraceSet is returned (hash +
  import; the Parquet cache is then written in a background thread), and
  ``cold_incl_cache_write_s`` until that cache file is on disk too;
* ``cold_nocache_s``: ``load_traces(use_cache=False)`` (import only);
* ``cached_s``: ``load_traces`` again in a new process (reads the Parquet cache, payload left on disk);
* ``user_events_s``: one user's payload read lazily from the cache afterwards.

``*_worker_cpu_s``: CPU seconds of the forked workers that scan and build about half of a big file
(``RUSAGE_CHILDREN``), ``worker_peak_rss_mb`` the largest resident set of one of them (pages it
shares with this process, such as the file's, count in both); ``loadavg_*``: ``/proc/loadavg`` around the measurement.
Each timing is the median of ``--repeat`` runs (all runs are printed too). The machine may be shared:
``*_cpu_s`` (user + system CPU seconds of the process, all threads) are much less sensitive to other
load than wall-clock seconds, and ``cold_over_orjson_per_run`` pairs runs made back to back.

    python bench/load.py [--dir DIR] [--repeat 3] [--only 100k|1m] [--orjson-big]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_CHILD = r"""
import json, os, resource, sys, time
mode, path = sys.argv[1], sys.argv[2]


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cpu_children():  # the importer's forked worker (counted once it has been reaped)
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


out = {}
if mode == "orjson":
    import orjson
    t0, c0 = time.perf_counter(), cpu()
    with open(path, "rb") as fh:
        data = fh.read()
    doc = orjson.loads(data)
    out["seconds"] = time.perf_counter() - t0
    out["cpu_seconds"] = cpu() - c0
else:
    from workbench.traces import load_traces
    t0, c0, k0 = time.perf_counter(), cpu(), cpu_children()
    ts = load_traces(path, use_cache=(mode != "nocache"))
    out["seconds"] = time.perf_counter() - t0
    out["cpu_seconds"] = cpu() - c0
    out["worker_cpu_seconds"] = cpu_children() - k0
    ts.wait_cache()
    out["seconds_incl_cache_write"] = time.perf_counter() - t0
    out["events"] = ts.events.height
    out["users"] = ts.users.height
    out["warnings"] = len(ts.warnings)
    if mode == "cached":
        uid = ts.user_ids()[-1]
        t1 = time.perf_counter()
        frame = ts.user_events(uid)
        out["user_events_s"] = time.perf_counter() - t1
        out["user_events_rows"] = frame.height
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["worker_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(out))
"""


def _child(mode: str, path: Path, cache: Path) -> dict:
    env = dict(os.environ, WORKBENCH_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", _CHILD, mode, str(path)], env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"bench child {mode} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _ensure(path: Path, events: int, users: int) -> None:
    if path.exists():
        return
    sys.path.insert(0, str(HERE))
    from tracegen import write_traces

    write_traces(path, events, users)


def _loadavg() -> str | None:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return None


def measure(path: Path, repeat: int, with_orjson: bool) -> dict:
    load_before = _loadavg()
    runs: dict[str, list[dict]] = {"orjson": [], "cold": [], "nocache": [], "cached": []}
    for _ in range(repeat):
        cache = Path(tempfile.mkdtemp(prefix="wb-bench-cache-"))
        try:
            runs["nocache"].append(_child("nocache", path, cache))
            if with_orjson:
                runs["orjson"].append(_child("orjson", path, cache))
            runs["cold"].append(_child("cold", path, cache))
            runs["cached"].append(_child("cached", path, cache))
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def med(mode: str, key: str = "seconds") -> float | None:
        vals = [r[key] for r in runs[mode] if key in r]
        return round(statistics.median(vals), 3) if vals else None

    def all_(mode: str, key: str = "seconds") -> list[float]:
        return [round(r[key], 3) for r in runs[mode] if key in r]

    result = {
        "file": str(path),
        "events": runs["cold"][0]["events"],
        "users": runs["cold"][0]["users"],
        "source_mb": round(path.stat().st_size / 1e6, 1),
        "orjson_loads_s": med("orjson"),
        "cold_s": med("cold"),
        "cold_incl_cache_write_s": med("cold", "seconds_incl_cache_write"),
        "cold_nocache_s": med("nocache"),
        "cached_s": med("cached"),
        "orjson_loads_cpu_s": med("orjson", "cpu_seconds"),
        "cold_cpu_s": med("cold", "cpu_seconds"),
        "cold_nocache_cpu_s": med("nocache", "cpu_seconds"),
        "cached_cpu_s": med("cached", "cpu_seconds"),
        "cold_worker_cpu_s": med("cold", "worker_cpu_seconds"),
        "cold_nocache_worker_cpu_s": med("nocache", "worker_cpu_seconds"),
        "loadavg_before": load_before,
        "loadavg_after": _loadavg(),
        "user_events_s": med("cached", "user_events_s"),
        "user_events_rows": runs["cached"][0].get("user_events_rows"),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs["cold"]), 0),
        "peak_rss_nocache_mb": round(max(r["peak_rss_mb"] for r in runs["nocache"]), 0),
        "worker_peak_rss_mb": round(max(r["worker_peak_rss_mb"] for r in runs["cold"]), 0),
        "peak_rss_cached_mb": round(max(r["peak_rss_mb"] for r in runs["cached"]), 0),
        "orjson_peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs["orjson"]), 0) if runs["orjson"] else None,
        "runs": {m: all_(m) for m in runs if runs[m]},
        "cpu_runs": {m: all_(m, "cpu_seconds") for m in runs if runs[m]},
        "worker_cpu_runs": {m: all_(m, "worker_cpu_seconds") for m in ("cold", "nocache") if runs[m]},
    }
    if result["orjson_loads_s"]:
        result["cold_over_orjson"] = round(result["cold_s"] / result["orjson_loads_s"], 2)
        result["cold_nocache_over_orjson"] = round(result["cold_nocache_s"] / result["orjson_loads_s"], 2)
        result["cold_over_orjson_cpu"] = round(result["cold_cpu_s"] / result["orjson_loads_cpu_s"], 2)
        # per repeat: orjson and cold ran back to back, so their ratio suffers least from other load
        pairs = [c["seconds"] / o["seconds"] for o, c in zip(runs["orjson"], runs["cold"])]
        result["cold_over_orjson_per_run"] = [round(x, 2) for x in pairs]
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description="trace loading benchmark (prints JSON)")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "workbench-bench")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=("100k", "1m"))
    ap.add_argument("--orjson-big", action="store_true", help="also time orjson.loads on the 1M file")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    out = {}
    if args.only in (None, "100k"):
        p = args.dir / "user_100k.json"
        _ensure(p, 100_000, 1)
        out["user_100k"] = measure(p, args.repeat, True)
        out["user_100k"]["targets"] = {"cold_over_orjson_max": 2.5, "cached_s_max": 0.3}
    if args.only in (None, "1m"):
        p = args.dir / "events_1m.json"
        _ensure(p, 1_000_000, 20)
        out["events_1m"] = measure(p, max(1, args.repeat // 2), args.orjson_big)
        out["events_1m"]["targets"] = {"cached_s_max": 2.0, "peak_rss_mb_max": 3072}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
