"""Benchmark of the timeline widget (and, when present, the workbench cold start). Layer: bench.

Offscreen (QT_QPA_PLATFORM=offscreen), window 1600x900, ONE user per trace. For synthetic traces of
0 (empty lanes), 100k and 1M events over 90 days (sessions of bursts, evening-heavy, realistic scenario
and action mixes) it measures, in the same process:

* first paint: ``set_data`` + synchronous render (``widget.grab()``), seconds;
* frame time of 30 programmatic zoom/pan steps (the same sequence of ranges for every size): each step
  is ``set_range(...)`` followed by a synchronous repaint (``widget.grab()``), timed together;
  reports median and p95 in milliseconds and which level of detail each step drew. Steps are
  interleaved across sizes so a busy machine slows all sizes alike; the load average is reported.
  The tour runs ``rounds`` times (default 3): ``frame_ms_median``/``p95`` are over the 30 steps, each
  step's time being its fastest round (timeit-style: the least disturbed by other processes on a
  shared machine); ``all_rounds_frame_ms_*`` are over every measured frame, undisturbed or not.

If ``workbench/app/main_window.py`` exists it also measures the cold start ``python -m workbench`` to
the first painted window with ``WORKBENCH_EXIT_AFTER_PAINT=1`` (the app prints
``first_paint_s=<seconds since process start>``) and whether litellm was imported (``-X importtime``).

Prints one JSON object. Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/timeline.py``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

LANES = ["Video Browsing", "Live Streaming", "E-commerce", "Customer Service", "Advertisement", "Search Behavior"]
DAY = 86400.0
START = 1756684800.0  # 2025-09-01 00:00 (naive wall-clock as epoch)


def synthetic_trace(n: int, days: int = 90, seed: int = 7):
    """Arrays (t, lane, kind, value, ids) for one user: ``n`` events in sessions over ``days`` days."""
    rng = np.random.default_rng(seed)
    if n == 0:
        e = np.zeros(0)
        return e, np.zeros(0, np.int8), np.zeros(0, np.int8), e, np.zeros(0, np.int64)
    mean_len = 25.0
    n_sessions = max(1, int(n / mean_len))
    day = rng.integers(0, days, n_sessions)
    evening = rng.random(n_sessions) < 0.7
    hour = np.where(evening, rng.normal(20.5, 2.0, n_sessions), rng.normal(12.5, 2.5, n_sessions)) % 24.0
    start = START + day * DAY + hour * 3600.0
    lane_p = np.array([0.55, 0.15, 0.12, 0.03, 0.10, 0.05])
    s_lane = rng.choice(6, size=n_sessions, p=lane_p)
    weights = rng.geometric(1.0 / mean_len, n_sessions).astype(np.float64)
    lengths = rng.multinomial(n, weights / weights.sum())  # session lengths summing to exactly n
    sess = np.repeat(np.arange(n_sessions), lengths)
    gaps = rng.exponential(18.0, n)
    first = np.r_[True, sess[1:] != sess[:-1]]
    gaps[first] = 0.0
    csum = np.cumsum(gaps)
    sess_off = csum - np.maximum.accumulate(np.where(first, csum, 0.0))
    t = start[sess] + sess_off
    lane = s_lane[sess].astype(np.int8)
    hop = rng.random(n) < 0.12  # a search or ad in the middle of a video session
    lane[hop] = rng.choice(6, size=int(hop.sum()), p=[0.2, 0.1, 0.2, 0.05, 0.25, 0.2])
    p_conv = np.array([0.003, 0.01, 0.08, 0.05, 0.03, 0.0])[lane]
    p_eng = np.array([0.12, 0.15, 0.10, 0.02, 0.05, 0.10])[lane]
    u = rng.random(n)
    kind = np.where(u < p_conv, 2, np.where(u < p_conv + p_eng, 1, 0)).astype(np.int8)
    value = np.where(lane <= 1, np.round(rng.lognormal(2.6, 1.1, n)), np.nan)
    ids = np.arange(n, dtype=np.int64)
    return t, lane, kind, value, ids


def step_ranges(t_lo: float, t_hi: float, steps: int = 30) -> list[tuple[float, float]]:
    """A fixed zoom/pan tour: full view, zoom in towards a day, pans, a minute-scale view, zoom out."""
    out = []
    full = t_hi - t_lo
    centre = t_lo + full * 0.62
    span = full
    for i in range(steps):
        phase = i % 10
        if i < 8:
            span = full / (2.2 ** i)                     # 90 d -> ~ 3 h, density then marks
        elif i < 14:
            centre += span * 0.35                         # pans at ~ 3 h
        elif i < 18:
            span = max(span / 6.0, 120.0)                 # down to minutes
        elif i < 24:
            centre -= span * 0.4
            span = span * (3.0 if phase % 2 else 1.5)     # back out with pans
        else:
            span = min(full, span * 4.0)
            centre = t_lo + full * (0.3 + 0.05 * (i - 24))
        out.append((centre - span / 2.0, centre + span / 2.0))
    return out


def bench_sizes(app, sizes: tuple[int, ...], rounds: int = 3) -> dict[str, dict]:
    """Measure every size in the same run; the zoom/pan steps are interleaved across sizes (step i on
    the empty widget, then on 100k, then on 1M) so machine load hits all sizes alike."""
    from widgets.timeline import TimelineWidget

    widgets, first_paint = {}, {}
    for n in sizes:
        t, lane, kind, value, ids = synthetic_trace(n)
        w = TimelineWidget(LANES)
        w.resize(1600, 900)
        w.show()
        app.processEvents()
        w.grab()  # warm fonts and the paint engine before timing
        paints = []
        for _ in range(2):  # the same set_data twice: report both (first and best)
            t0 = time.perf_counter()
            w.set_data(t, lane, kind, value, ids, LANES)
            app.processEvents()
            w.grab()
            paints.append(time.perf_counter() - t0)
        first_paint[n] = paints
        widgets[n] = w
    ranges = step_ranges(START, START + 90 * DAY)
    # times[n][round][step]
    times: dict[int, list[list[float]]] = {n: [] for n in sizes}
    modes: dict[int, list[str]] = {n: [] for n in sizes}
    visible: dict[int, list[int]] = {n: [] for n in sizes}
    for r in range(rounds):
        for n in sizes:
            times[n].append([])
        for w in widgets.values():
            w.set_range(*ranges[-1])
            w.grab()
        for a, b in ranges:
            for n, w in widgets.items():
                s = time.perf_counter()
                w.set_range(a, b)
                w.grab()
                times[n][r].append((time.perf_counter() - s) * 1000.0)
                if r == 0:
                    modes[n].append(w.mode)
                    visible[n].append(w.visible_count)
    out = {}
    for n, w in widgets.items():
        per_round = np.array(times[n])               # (rounds, steps)
        best = per_round.min(axis=0)                 # per step: the least disturbed of the rounds
        out[str(n)] = {
            "events": n,
            "first_paint_s": round(min(first_paint[n]), 4),
            "first_paint_s_runs": [round(x, 4) for x in first_paint[n]],
            "frame_ms_median": round(float(np.median(best)), 2),
            "frame_ms_p95": round(float(np.percentile(best, 95)), 2),
            "frame_ms_max": round(float(best.max()), 2),
            "all_rounds_frame_ms_median": round(float(np.median(per_round)), 2),
            "all_rounds_frame_ms_p95": round(float(np.percentile(per_round, 95)), 2),
            "steps": int(per_round.shape[1]),
            "rounds": int(per_round.shape[0]),
            "steps_density": modes[n].count("density"),
            "steps_marks": modes[n].count("marks"),
            "max_visible_in_marks": max([v for v, m in zip(visible[n], modes[n]) if m == "marks"], default=0),
        }
        w.close()
        w.deleteLater()
    app.processEvents()
    return out


def cold_start() -> dict:
    main_window = ROOT / "workbench" / "app" / "main_window.py"
    if not main_window.exists():
        return {"measured": False, "reason": "workbench/app/main_window.py does not exist yet"}
    env = dict(os.environ, WORKBENCH_EXIT_AFTER_PAINT="1", QT_QPA_PLATFORM="offscreen")
    runs = []
    litellm_imported = False
    # 4 runs: the first with -X importtime (proof that litellm is not imported), 3 timed without it.
    for k in range(4):
        cmd = [sys.executable, "-X", "importtime", "-m", "workbench"] if k == 0 else [sys.executable, "-m", "workbench"]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            runs.append({"importtime": k == 0, "rc": None, "error": "timed out after 60 s"})
            continue
        wall = time.perf_counter() - t0
        text = proc.stdout + proc.stderr
        m = re.search(r"first_paint_s=([0-9.]+)", text)
        reported = re.search(r"litellm_imported=(True|False)", text)
        in_importtime = bool(re.search(r"\|\s+litellm\s*$", proc.stderr, re.MULTILINE))
        # either proof counts: the app's own report, or litellm in the -X importtime listing
        litellm_imported = litellm_imported or in_importtime or (reported is not None and reported.group(1) == "True")
        runs.append({"importtime": k == 0, "rc": proc.returncode, "wall_s": round(wall, 3),
                     "first_paint_s": float(m.group(1)) if m else None})
    paints = [r["first_paint_s"] for r in runs if not r["importtime"] and r.get("first_paint_s") is not None]
    return {
        "measured": bool(paints),
        "runs": runs,
        "first_paint_s_median": round(float(np.median(paints)), 3) if paints else None,
        "le_1_5s": bool(paints) and float(np.median(paints)) <= 1.5,
        "litellm_imported": litellm_imported,
        "note": "python -m workbench with WORKBENCH_EXIT_AFTER_PAINT=1 (no file given; the app prints "
                "first_paint_s since process start); median of the 3 runs without -X importtime",
    }


def main() -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    load_before = os.getloadavg()
    results = bench_sizes(app, (0, 100_000, 1_000_000))
    empty_med = results["0"]["frame_ms_median"]
    big = results["1000000"]
    out = {
        "bench": "timeline",
        "window": "1600x900 offscreen",
        "platform": os.environ.get("QT_QPA_PLATFORM"),
        "cpu_count": os.cpu_count(),
        "loadavg_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "sizes": results,
        "targets": {
            "median_1M_over_empty": round(big["frame_ms_median"] / empty_med, 2) if empty_med else None,
            "median_1M_le_2x_empty": bool(big["frame_ms_median"] <= 2 * empty_med),
            "p95_1M_le_33ms": bool(big["frame_ms_p95"] <= 33.0),
            "first_paint_1M_le_0_5s": bool(big["first_paint_s"] <= 0.5),
        },
        "cold_start": cold_start(),
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
