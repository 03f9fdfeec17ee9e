"""The whole release at once: 200 per-user files, 1.6 million events. Layer: bench (prints JSON).

Writes the folder once with ``bench/tracegen.py --release`` (about 1 KB of text per event: 1.6 GB),
then measures, each in a fresh subprocess so that peak RSS and caches are honest:

* ``orjson_serial_s`` / ``orjson_2cores_s``: read and ``orjson.loads`` every file, in one process
  and split over two processes (this machine's two cores): the reference for the cold open;
* ``first_progress_s``: from the call to the first progress report of ``load_traces`` (when the
  window shows its progress bar); ``first_users_s``: to the first users handed over while the
  folder is read (the window lists them at once), ``users_listed_at_1s`` / ``users_listed_halfway``:
  how many were listed one second in and halfway through; ``cold_s`` until the TraceSet is returned,
  ``cold_peak_rss_mb``; ``cached_s`` and ``cached_peak_rss_mb`` for a second open from the cache;
* ``switch_user_ms``: per user, reading its events and raw events from the cache (what the window
  does when the analyst picks another user): p50 / p95 / max over all 200 users;
* ``*_cpu_s`` / ``switch_user_cpu_ms``: the same in CPU seconds (threads and forked workers
  included), which a loaded machine does not inflate; ``cold_cpu_over_orjson_serial_cpu`` compares
  the cold open with ``orjson.loads`` of every file in one process; ``*_cpu_s`` counts the workers'
  user time only, ``*_cpu_all_s`` their system time too (page faults, process exits), and
  ``cold_cpu_until_cached_s`` also what is done after the open returns until the trace cache is
  on disk;
* ``sample_s``: ``workbench sample DIR --json`` (the benchmark's sampling of all 200 users);
* ``eval_baselines_s`` / ``eval_baselines_cpu_s``: ``workbench eval DIR`` with both offline baselines
  over the official sample, sampling included (:func:`bench_sample_and_eval`).

    python bench/release.py [--dir DIR] [--skip-eval]
    python bench/release.py --only-sample-eval [--cache DIR]   # just these two, cache warmed first
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
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_CHILD = r"""
import json, resource, sys, time
mode, path = sys.argv[1], sys.argv[2]
out = {}
if mode in ("orjson", "orjson2"):
    import orjson, glob, os
    files = sorted(glob.glob(os.path.join(path, "*.json")))
    t0 = time.perf_counter()
    if mode == "orjson":
        for f in files:
            with open(f, "rb") as fh:
                orjson.loads(fh.read())
    else:
        pid = os.fork()
        mine = files[0::2] if pid else files[1::2]
        for f in mine:
            with open(f, "rb") as fh:
                orjson.loads(fh.read())
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    out["seconds"] = time.perf_counter() - t0
    out["cpu_s"] = time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    out["cpu_all_s"] = out["cpu_s"] + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
else:
    from workbench.tasks import TaskState
    from workbench.traces import load_traces
    first, told = [], []
    t0 = time.perf_counter()
    task = TaskState(lambda d, t, s: first.append(time.perf_counter() - t0) if not first else None)
    # what the window's user list gets while the folder is read (load_job passes the same callback)
    ts = load_traces(path, task=task, on_users=lambda users, events: told.append(
        (time.perf_counter() - t0, users.height)))
    out["seconds"] = time.perf_counter() - t0
    # CPU seconds of this process's threads and its forked workers: what a loaded machine does not inflate
    out["cpu_s"] = time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    # the same with the workers' system time (page faults, exits), which cpu_s leaves out
    out["cpu_all_s"] = out["cpu_s"] + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
    out["first_progress_s"] = first[0] if first else None
    out["first_users_s"] = told[0][0] if told else None
    out["users_listed_at_1s"] = sum(n for t, n in told if t <= 1.0)
    out["users_listed_at_half"] = sum(n for t, n in told if t <= out["seconds"] / 2)
    ts.wait_cache()
    # and until the trace cache is on disk, whatever of it is left after the open returns
    out["cpu_until_cached_s"] = (time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
                                 + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime)
    out["events"] = ts.events.height
    out["users"] = ts.users.height
    if mode == "cached":
        times, cpu = [], []
        for uid in ts.user_ids():
            t1, c1 = time.perf_counter(), time.process_time()
            ts.user_events(uid)
            ts.raw_events(uid)
            times.append(1000 * (time.perf_counter() - t1))
            cpu.append(1000 * (time.process_time() - c1))
        out["switch_ms"] = times
        out["switch_cpu_ms"] = cpu
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["children_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(out))
"""


def _env(cache: Path) -> dict[str, str]:
    return dict(os.environ, WORKBENCH_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT),
                LITELLM_LOCAL_MODEL_COST_MAP="True")


def _child(mode: str, path: Path, cache: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", _CHILD, mode, str(path)], env=_env(cache),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"bench child {mode} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _timed(cmd: list[str], cache: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=_env(cache), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:5])} failed:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def _timed_cpu(cmd: list[str], cache: Path, ok: tuple[int, ...] = (0,)) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one command, the CPU and RSS of that child
    process alone (``os.wait4``); exits when its status is not in ``ok``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=_env(cache), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd[2:5])} failed:\n{err.decode(errors='replace')[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def bench_sample_and_eval(folder: Path, cache: Path) -> dict:
    """``workbench sample`` of every user, then ``workbench eval`` with both offline baselines over
    the official sample (sampling included, as a user runs it; the trace cache already warm), each
    in a fresh process: wall and CPU seconds, the questions asked, and the load average around
    the eval (two shared cores: the wall figure depends on it, the CPU figure much less)."""
    py = [sys.executable, "-m", "workbench"]
    out: dict = {}
    out["sample_loadavg_before"] = _loadavg()
    wall, cpu, rss = _timed_cpu(py + ["sample", str(folder), "--json"], cache)
    out["sample_s"], out["sample_cpu_s"], out["sample_peak_rss_mb"] = round(wall, 2), round(cpu, 2), round(rss)
    run_dir = Path(tempfile.mkdtemp(prefix="wb-bench-run-"))
    try:
        out["eval_loadavg_before"] = _loadavg()
        # exit 1 with a report: questions a baseline cannot answer (no history of the field), counted
        wall, cpu, rss = _timed_cpu(py + ["eval", str(folder), "--model", "baseline:user", "--model",
                                     "baseline:population", "--out", str(run_dir), "--no-cache"], cache,
                               ok=(0, 1))
        out["eval_loadavg_after"] = _loadavg()
        out["eval_baselines_s"], out["eval_baselines_cpu_s"] = round(wall, 2), round(cpu, 2)
        out["eval_peak_rss_mb"] = round(rss)
        report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
        run = report.get("run", {})
        out["eval_questions"] = run.get("questions")
        out["eval_failed"] = run.get("failed")   # no history of the field, say
        out["eval_events"] = run.get("events")
        if out["eval_questions"]:
            out["eval_cpu_ms_per_question"] = round(cpu / out["eval_questions"] * 1000, 3)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    return out


def _loadavg() -> str | None:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return None


def _only_sample_eval(folder: Path, keep: Path | None) -> dict:
    """:func:`bench_sample_and_eval` alone, the trace cache warmed by one open first."""
    cache = keep if keep is not None else Path(tempfile.mkdtemp(prefix="wb-bench-cache-"))
    try:
        _child("warm", folder, cache)
        out = {"folder": str(folder), **bench_sample_and_eval(folder, cache)}
    finally:
        if keep is None:
            shutil.rmtree(cache, ignore_errors=True)
    out["targets"] = {"sample_s_max": 10, "eval_baselines_s_max": 60}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="release-scale benchmark (prints JSON)")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "workbench-bench" / "release")
    ap.add_argument("--skip-eval", action="store_true", help="leave out sample and eval")
    ap.add_argument("--only-sample-eval", action="store_true",
                    help="only sample and eval (after one open that warms the trace cache)")
    ap.add_argument("--cache", type=Path, default=None,
                    help="with --only-sample-eval: the trace cache folder to use and keep (default: a new one)")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from tracegen import write_release

    shape = write_release(args.dir)
    if args.only_sample_eval:
        print(json.dumps(_only_sample_eval(args.dir, args.cache), indent=1))
        return
    cache = Path(tempfile.mkdtemp(prefix="wb-bench-cache-"))
    out: dict = {"folder": str(args.dir), **shape, "loadavg_before": _loadavg()}
    try:
        serial = _child("orjson", args.dir, cache)
        out["orjson_serial_s"] = round(serial["seconds"], 2)
        out["orjson_serial_cpu_s"] = round(serial["cpu_s"], 2)
        out["orjson_serial_cpu_all_s"] = round(serial["cpu_all_s"], 2)
        out["orjson_2cores_s"] = round(_child("orjson2", args.dir, cache)["seconds"], 2)
        cold = _child("cold", args.dir, cache)
        out["first_progress_s"] = cold["first_progress_s"] and round(cold["first_progress_s"], 3)
        out["first_users_s"] = cold["first_users_s"] and round(cold["first_users_s"], 3)
        out["users_listed_at_1s"] = cold["users_listed_at_1s"]
        out["users_listed_halfway"] = cold["users_listed_at_half"]
        out["cold_s"] = round(cold["seconds"], 2)
        out["cold_over_orjson_2cores"] = round(cold["seconds"] / out["orjson_2cores_s"], 2)
        out["cold_cpu_s"] = round(cold["cpu_s"], 2)
        out["cold_cpu_over_orjson_serial_cpu"] = round(cold["cpu_s"] / serial["cpu_s"], 2)
        out["cold_cpu_all_s"] = round(cold["cpu_all_s"], 2)
        out["cold_cpu_all_over_orjson_serial_cpu_all"] = round(cold["cpu_all_s"] / serial["cpu_all_s"], 2)
        out["cold_cpu_until_cached_s"] = round(cold["cpu_until_cached_s"], 2)
        out["cold_peak_rss_mb"] = round(cold["peak_rss_mb"])
        out["cold_worker_peak_rss_mb"] = round(cold["children_peak_rss_mb"])
        cached = _child("cached", args.dir, cache)
        out["cached_s"] = round(cached["seconds"], 3)
        out["cached_cpu_s"] = round(cached["cpu_s"], 3)
        out["cached_peak_rss_mb"] = round(cached["peak_rss_mb"])
        sw = sorted(cached["switch_ms"])
        out["switch_user_ms"] = {"p50": round(statistics.median(sw), 1),
                                 "p95": round(sw[int(0.95 * (len(sw) - 1))], 1), "max": round(sw[-1], 1)}
        sc = sorted(cached["switch_cpu_ms"])
        out["switch_user_cpu_ms"] = {"p50": round(statistics.median(sc), 1),
                                     "p95": round(sc[int(0.95 * (len(sc) - 1))], 1), "max": round(sc[-1], 1)}
        if not args.skip_eval:
            out.update(bench_sample_and_eval(args.dir, cache))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    out["loadavg_after"] = _loadavg()
    out["targets"] = {"first_progress_s_max": 1.0, "first_users_s_max": 1.0, "cold_over_orjson_2cores_max": 1.5,
                      "cached_s_max": 1.0, "peak_rss_mb_max": 1536, "switch_user_p95_ms_max": 150,
                      "sample_s_max": 10, "eval_baselines_s_max": 60}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
