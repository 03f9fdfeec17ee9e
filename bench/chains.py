"""Causal-chain finder quality and speed on the demo dataset. Layer: bench (prints JSON; not a test).

Generates (or reuses) the full demo dataset (``workbench.demo.generator``; 26 planted chains in
``meta/chains.json``) and, from each planted purchase, runs ``workbench.traces.chains.find_chain``
with its defaults. Per step type (search, video, live, cart):

* ``recall``: planted steps of that type found / planted steps of that type;
* ``precision``: found events of that scenario that are planted steps of the chain / found events
  of that scenario (a found event of a scenario with no planted step, e.g. an unrelated video, counts
  against the step type of that scenario: search -> Search Behavior, video -> Video Browsing,
  live -> Live Streaming, cart -> E-commerce).

Plus overall link precision, ``chains_complete`` (every planted search/video/live/cart found),
``chains_search_found`` and the time per chain (median, max; wall clock on this machine) for the
heaviest user (about 100k events) and over all chains.

    python bench/chains.py [--dir DIR] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEP_SCENARIO = {"search": "Search Behavior", "video": "Video Browsing", "live": "Live Streaming",
                 "cart": "E-commerce"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "workbench-bench-chains-demo")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from workbench.demo import demo_chains
    from workbench.demo.generator import generate
    from workbench.traces import load_traces
    from workbench.traces.chains import find_chain

    folder: Path = args.dir / f"seed{args.seed}"
    if not (folder / "meta" / "chains.json").is_file():
        generate(folder, args.seed)
    traces = load_traces(folder)
    planted = demo_chains(folder)
    counts = {u: int(n) for u, n in zip(traces.users["user_id"].to_list(), traces.users["event_count"].to_list())}
    heavy = max(counts, key=counts.get)

    want_n = {k: 0 for k in STEP_SCENARIO}
    hit_n = {k: 0 for k in STEP_SCENARIO}
    found_n = {k: 0 for k in STEP_SCENARIO}
    found_ok = {k: 0 for k in STEP_SCENARIO}
    other_found = 0
    complete = search_found = 0
    times_all: list[float] = []
    times_heavy: list[float] = []
    noise: list[dict] = []
    frames: dict = {}
    for spec in planted:
        uid = spec["user_id"]
        if uid not in frames:
            frames[uid] = traces.user_events(uid)
        events = frames[uid]
        t0 = time.perf_counter()
        chain = find_chain(events, spec["purchase_index"], user_id=uid)
        dt = time.perf_counter() - t0
        times_all.append(dt)
        if uid == heavy:
            times_heavy.append(dt)
        steps = {k: {s["event_index"] for s in spec["steps"] if s["role"] == k} for k in STEP_SCENARIO}
        planted_all = set().union(*steps.values())
        got = {link.event_index: link for link in chain.links}
        for k, scen in STEP_SCENARIO.items():
            want_n[k] += len(steps[k])
            hit_n[k] += len(steps[k] & set(got))
            mine = {i for i, link in got.items() if link.scenario == scen}
            found_n[k] += len(mine)
            found_ok[k] += len(mine & steps[k])
        for i, link in got.items():
            if link.scenario not in STEP_SCENARIO.values():
                other_found += 1
            if i not in planted_all and len(noise) < 12:
                noise.append({"chain": spec["chain_id"], "event": i, "scenario": link.scenario,
                              "title": link.title[:60], "rule": link.rule[:100]})
        complete += planted_all <= set(got)
        search_found += steps["search"] <= set(got)
    total_found = sum(found_n.values()) + other_found
    total_ok = sum(found_ok.values())
    out = {
        "dataset": str(folder), "chains": len(planted), "heavy_user": heavy, "heavy_user_events": counts[heavy],
        "per_step": {k: {"planted": want_n[k], "found": hit_n[k],
                         "recall": round(hit_n[k] / want_n[k], 4) if want_n[k] else None,
                         "linked_in_scenario": found_n[k],
                         "precision": round(found_ok[k] / found_n[k], 4) if found_n[k] else None}
                     for k in STEP_SCENARIO},
        "links_total": total_found, "links_planted": total_ok,
        "precision_overall": round(total_ok / total_found, 4) if total_found else None,
        "recall_overall": round(sum(hit_n.values()) / sum(want_n.values()), 4),
        "chains_complete": complete, "chains_search_found": search_found,
        "time_per_chain_s": {"median_all": round(statistics.median(times_all), 4), "max_all": round(max(times_all), 4),
                             "heavy_user_median": round(statistics.median(times_heavy), 4) if times_heavy else None,
                             "heavy_user_max": round(max(times_heavy), 4) if times_heavy else None,
                             "heavy_user_chains": len(times_heavy)},
        "noise_examples": noise,
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
