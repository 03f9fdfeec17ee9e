"""The first minute: first start to a drawn timeline, and the first prediction. Layer: bench (prints
JSON; not a test).

1. **First start** (median of ``--runs``, default 5): ``python -m workbench`` with fresh, empty
   config, cache and data folders each run (no settings, no trace cache, no generated demo), under
   ``WORKBENCH_EXIT_AFTER_READY=1``: the app prints ``first_paint_s`` and ``ready_s`` (seconds from
   process start until the first user's timeline is drawn with its events) and quits.
2. **First prediction** (one run, in a child process that starts the application the way
   ``workbench gui`` does, from empty folders): the standby process is started first thing and
   imports litellm on the other core (``standby_ready_after_start_s``, ``standby_ready_cpu_s``);
   the window opens the demo; 5 s after start a model is added in the Predict panel (an
   OpenAI-compatible server on 127.0.0.1 that this bench starts) and *Predict* is clicked:
   ``first_request_after_click_s`` is the time until that server receives the first request
   (``standby_calls``: how many calls the standby process made). After the first paint a 16 ms
   timer measures how late each tick fires: ``frame_lag_ms`` p50/p95/max while litellm is imported
   in the window's process (on its background thread, once the standby process has been quiet),
   ``frame_lag_ms_before_import`` from the first paint until then (the standby's import, the
   click). ``baseline_imported_litellm`` says whether a baseline prediction imported litellm (it
   must not).

    QT_QPA_PLATFORM=offscreen python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import os, sys, time, json, statistics
T0 = time.time()
from workbench.simulate import standby
standby.start()                                  # as cli_gui does first thing
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from workbench.app.main_window import MainWindow
from workbench.app.theme import apply_theme
from workbench.app.preload import preload_state, start_litellm_preload
apply_theme(app)
win = MainWindow()
win.resize(1366, 768)
win.show()
win.start(None)
import asyncio, qasync
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
out = {}
ticks = []
def tick():
    ticks.append(time.time())
timer = QTimer(); timer.setInterval(16); timer.timeout.connect(tick)
def begin_preload():
    timer.start()
    start_litellm_preload()
QTimer.singleShot(0, begin_preload)              # as cli_gui does after the first paint
def watch_preload():
    st = preload_state()
    if st["finished"]:
        timer.stop()
        since = st["importing"] or st["started"]     # the import itself, not the wait before it
        gaps = [(a, max(0.0, (b - a) * 1000 - 16)) for a, b in zip(ticks, ticks[1:])]
        lags = [lag for a, lag in gaps if a >= since]
        out["litellm_import_s"] = round(st["finished"] - since, 2)
        out["litellm_import_started_after_start_s"] = round(since - T0, 2)
        out["litellm_loaded_after_start_s"] = round(st["finished"] - T0, 2)
        out["litellm_import_ok"] = st["ok"]
        before = [lag for a, lag in gaps if a < since]
        for name, values in (("frame_lag_ms", lags), ("frame_lag_ms_before_import", before)):
            if values:
                values.sort()
                out[name] = {"p50": round(statistics.median(values), 1),
                             "p95": round(values[int(0.95 * (len(values) - 1))], 1),
                             "max": round(values[-1], 1), "ticks": len(values)}
    else:
        QTimer.singleShot(50, watch_preload)
QTimer.singleShot(400, watch_preload)
def baseline_then_llm():
    if win.track is None or win.busy:
        QTimer.singleShot(100, baseline_then_llm); return
    win.select(int(win.track.ids[len(win.track.ids) // 2]))
    panel = win.predict_here()
    panel.add_model(os.environ["BENCH_MODEL"])
    panel.api_base.setText(os.environ["BENCH_API_BASE"])
    out["click_at"] = time.time()
    out["click_after_start_s"] = round(out["click_at"] - T0, 2)
    panel.predict_button.click()
    QTimer.singleShot(int(os.environ.get("BENCH_WAIT_MS", "30000")), finish)
def finish():
    sb = standby.state()
    out["standby_ready_after_start_s"] = round(sb["ready"] - T0, 2) if sb["ready"] else None
    out["standby_ready_cpu_s"] = round(sb["ready_cpu_s"], 2)
    out["standby_calls"] = sb["calls"]
    print("RESULT " + json.dumps(out), flush=True)
    win.persist = False
    win.cancel_jobs()
    win.close()
    app.quit()
QTimer.singleShot(int(float(os.environ.get("BENCH_CLICK_AT", "5")) * 1000 - int((time.time() - T0) * 1000)),
                  baseline_then_llm)
with loop:
    loop.run_until_complete(asyncio.sleep(float(os.environ.get("BENCH_CLICK_AT", "5")) + 40))
"""

_BASELINE = r"""
import sys, json
from workbench.cli import main
rc = main(["predict", sys.argv[1], "--user", "user_0001", "--event", "100", "--model", "baseline:user",
           "--json"])
print("LITELLM " + json.dumps("litellm" in sys.modules))
"""


def _fresh_env(base: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), LITELLM_LOCAL_MODEL_COST_MAP="True")
    for name in ("CONFIG", "CACHE", "DATA"):
        d = base / name.lower()
        d.mkdir(parents=True, exist_ok=True)
        env[f"WORKBENCH_{name}_DIR"] = str(d)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def first_start(runs: int) -> dict:
    """Median first paint and ready time over ``runs`` cold starts from empty folders."""
    paints, readies, users = [], [], set()
    for _ in range(runs):
        base = Path(tempfile.mkdtemp(prefix="wb-startup-"))
        try:
            env = dict(_fresh_env(base), WORKBENCH_EXIT_AFTER_READY="1")
            proc = subprocess.run([sys.executable, "-m", "workbench"], env=env, capture_output=True,
                                  text=True, timeout=300, check=False)
            text = proc.stdout
            m1, m2 = re.search(r"first_paint_s=([0-9.]+)", text), re.search(r"ready_s=([0-9.]+)", text)
            if proc.returncode != 0 or not (m1 and m2):
                raise SystemExit(f"start-up run failed (rc {proc.returncode}):\n{proc.stderr[-2000:]}")
            paints.append(float(m1.group(1)))
            readies.append(float(m2.group(1)))
            u = re.search(r"ready_user=(\S*)", text)
            users.add(u.group(1) if u else "")
        finally:
            shutil.rmtree(base, ignore_errors=True)
    return {"first_paint_s": round(statistics.median(paints), 3), "ready_s": round(statistics.median(readies), 3),
            "ready_s_runs": readies, "first_paint_s_runs": paints, "first_user": sorted(users),
            "target_ready_s_max": 2.0}


def first_prediction() -> dict:
    """The preload's frame lag and the first request after a Predict click at 5 s."""
    sys.path.insert(0, str(ROOT))
    from workbench.devserver import DevServer

    base = Path(tempfile.mkdtemp(prefix="wb-startup-"))
    try:
        with DevServer(default="Yes") as srv:
            env = dict(_fresh_env(base), BENCH_MODEL="openai/bench-model", BENCH_API_BASE=srv.base_url,
                       OPENAI_API_KEY="bench-not-a-key")
            proc = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True,
                                  timeout=300, check=False)
            m = re.search(r"RESULT (\{.*\})", proc.stdout)
            if not m:
                raise SystemExit(f"first-prediction run failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
            out = json.loads(m.group(1))
            reqs = srv.completion_requests()
            if reqs:
                out["first_request_after_click_s"] = round(min(r.time for r in reqs) - out["click_at"], 3)
            else:
                out["first_request_after_click_s"] = None
            out.pop("click_at", None)
        demo = ROOT / "resources" / "demo" / "synthetic-demo.parquet"
        if demo.exists():
            proc = subprocess.run([sys.executable, "-c", _BASELINE, str(demo)], env=_fresh_env(base),
                                  capture_output=True, text=True, timeout=120, check=False)
            m = re.search(r"LITELLM (true|false)", proc.stdout)
            out["baseline_imported_litellm"] = None if not m else m.group(1) == "true"
    finally:
        shutil.rmtree(base, ignore_errors=True)
    out["targets"] = {"frame_lag_p95_ms_max": 50, "first_request_after_click_s_max": 0.5}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="start-up and first prediction (prints JSON)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    load = Path("/proc/loadavg").read_text().strip() if Path("/proc/loadavg").exists() else None
    out = {"first_start": first_start(args.runs), "first_prediction": first_prediction(),
           "loadavg_before": load,
           "loadavg_after": Path("/proc/loadavg").read_text().strip() if load else None}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
