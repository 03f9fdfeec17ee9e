"""Frame time of the split (real above, simulated below) timeline against the single one. Layer:
bench (prints JSON; not a test).

100k events per side (``bench/timeline.py``'s synthetic trace; the simulated side is the same
events with other outcomes and a difference lane), window 1600x900 offscreen. The same 30-step
zoom/pan tour as ``bench/timeline.py``: each step is ``set_range`` then a synchronous repaint
(``grab()``) of the whole widget; steps alternate between the single and the split widget so machine
load hits both alike; each step's time is its fastest of ``--rounds`` rounds. Target: the split's
median frame at most 2x the single timeline's.

    QT_QPA_PLATFORM=offscreen python bench/split_timeline.py [--events 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402 - after the path set-up above


def main() -> None:
    ap = argparse.ArgumentParser(description="split timeline frame times (prints JSON)")
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from PySide6.QtWidgets import QApplication
    from timeline import DAY, LANES, START, step_ranges, synthetic_trace

    from widgets.split_timeline import SplitTimeline, Track
    from widgets.timeline import TimelineWidget

    app = QApplication.instance() or QApplication([])
    t, lane, kind, value, ids = synthetic_trace(args.events)
    rng = np.random.default_rng(3)
    sim_kind = np.where(rng.random(len(kind)) < 0.4, 1, kind).astype(np.int8)   # a hyper-active twin
    single = TimelineWidget(LANES)
    split = SplitTimeline()
    for w in (single, split):
        w.resize(1600, 900)
        w.show()
    app.processEvents()
    single.set_data(t, lane, kind, value, ids, LANES)
    split.set_tracks(Track(t, lane, kind, value, ids, LANES, "real"),
                     Track(t, lane, sim_kind, value, ids, LANES, "simulated"), differs=sim_kind != kind)
    for w in (single, split):
        app.processEvents()
        w.grab()
    ranges = step_ranges(START, START + 90 * DAY)
    best = {"single": [float("inf")] * len(ranges), "split": [float("inf")] * len(ranges)}
    for _ in range(args.rounds):
        for i, (a, b) in enumerate(ranges):
            for name, w, setter in (("single", single, single.set_range), ("split", split, split.set_range)):
                t0 = time.perf_counter()
                setter(a, b)
                app.processEvents()
                w.grab()
                best[name][i] = min(best[name][i], (time.perf_counter() - t0) * 1000)
    med = {k: statistics.median(v) for k, v in best.items()}
    print(json.dumps({
        "events_per_side": args.events,
        "single_frame_ms_median": round(med["single"], 2),
        "split_frame_ms_median": round(med["split"], 2),
        "split_over_single": round(med["split"] / med["single"], 2),
        "single_frame_ms_p95": round(sorted(best["single"])[int(0.95 * (len(ranges) - 1))], 2),
        "split_frame_ms_p95": round(sorted(best["split"])[int(0.95 * (len(ranges) - 1))], 2),
        "loadavg": Path("/proc/loadavg").read_text().strip() if Path("/proc/loadavg").exists() else None,
        "target": {"split_over_single_max": 2.0},
    }, indent=1))


if __name__ == "__main__":
    main()
