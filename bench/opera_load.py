"""OPeRA import speed. Layer: bench (prints JSON; not a test).

Writes an OPeRA-shaped dataset (``workbench.demo.opera.write_opera``: the full version's layout and
columns, 28,904 actions as in the released full version, sharded action tables, user, session and
image tables, ``--html-chars`` characters of simplified HTML per action) once into ``--dir``, then in
fresh subprocesses with an empty cache dir:

* ``cold_s``: first ``load_traces`` of the folder until the trace set is returned (tables found,
  light columns read, events built; the Parquet cache is then written in a background thread);
  ``cold_incl_cache_write_s`` until that cache file is on disk too;
* ``cached_s``: ``load_traces`` again in a new process (from the cache);
* ``observe_s``: one event's heavy columns (simplified HTML and page meta) and its screenshot read
  on demand afterwards (median over 20 events).

Targets: cold < 3 s, cached < 0.3 s. ``*_cpu_s``: CPU seconds of the process (all threads; less
sensitive to a shared machine than wall-clock seconds). ``loadavg_*``: ``/proc/loadavg`` around
the measurement.

    python bench/opera_load.py [--dir DIR] [--repeat 3] [--html-chars 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N_ACTIONS = 28_904

_CHILD = r"""
import json, sys, time
path, mode = sys.argv[1], sys.argv[2]
from workbench.traces import load_traces
out = {}
t0, c0 = time.perf_counter(), time.process_time()
ts = load_traces(path)
out["load_s"] = time.perf_counter() - t0
out["load_cpu_s"] = time.process_time() - c0  # all threads of the process
if mode == "cold":
    ts.wait_cache()
    out["incl_cache_write_s"] = time.perf_counter() - t0
out["events"] = ts.events.height
out["users"] = ts.users.height
out["warnings"] = len(ts.warnings)
if mode == "cached":
    from workbench.traces.opera_observe import observe
    import statistics
    times = []
    rows = ts.events.select("user_id", "event_index").gather_every(max(1, ts.events.height // 20)).rows()
    sizes = []
    for user, index in rows[:20]:
        t = time.perf_counter()
        obs = observe(ts, user, index)
        times.append(time.perf_counter() - t)
        sizes.append(len(obs.simplified_html or ""))
    out["observe_s"] = statistics.median(times)
    out["observe_max_s"] = max(times)
    out["html_chars_median"] = statistics.median(sizes)
print(json.dumps(out))
"""


def _loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def _run(path: Path, mode: str, cache_dir: Path) -> dict:
    env = dict(os.environ, WORKBENCH_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", _CHILD, str(path), mode], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "workbench-bench-opera"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--html-chars", type=int, default=50_000)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from workbench.demo.opera import write_opera

    base = Path(args.dir) / f"n{N_ACTIONS}-h{args.html_chars}"
    folder = base / "OPeRA_full"
    if not (folder / "action").is_dir():
        write_opera(base, n_actions=N_ACTIONS, html_chars=args.html_chars, version="full")
    size = sum(p.stat().st_size for p in folder.rglob("*.parquet"))
    before = _loadavg()
    cold, cached, runs = [], [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as cache_dir:
            c = _run(folder, "cold", Path(cache_dir))
            w = _run(folder, "cached", Path(cache_dir))
        cold.append(c)
        cached.append(w)
        runs.append({"cold_s": round(c["load_s"], 3), "cached_s": round(w["load_s"], 3)})
    print(json.dumps({
        "bench": "opera_load", "actions": cold[0]["events"], "users": cold[0]["users"],
        "warnings": cold[0]["warnings"], "folder_mb": round(size / 1e6, 1),
        "html_chars_median": cached[0]["html_chars_median"],
        "cold_s": round(statistics.median(r["load_s"] for r in cold), 3),
        "cold_incl_cache_write_s": round(statistics.median(r["incl_cache_write_s"] for r in cold), 3),
        "cached_s": round(statistics.median(r["load_s"] for r in cached), 3),
        "cold_cpu_s": round(statistics.median(r["load_cpu_s"] for r in cold), 3),
        "cached_cpu_s": round(statistics.median(r["load_cpu_s"] for r in cached), 3),
        "observe_s": round(statistics.median(r["observe_s"] for r in cached), 4),
        "observe_max_s": round(max(r["observe_max_s"] for r in cached), 4),
        "targets": {"cold_s": 3.0, "cached_s": 0.3},
        "runs": runs, "loadavg_before": before, "loadavg_after": _loadavg(),
    }, indent=2))


if __name__ == "__main__":
    main()
