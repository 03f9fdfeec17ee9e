"""Benchmark: time to build one 32k-token prompt (truncate / retrieve / summary; approx / litellm).

Prints JSON. Run: ``.venv/bin/python bench/simulate_prompt_build.py [--events N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_trace(n: int) -> list[dict]:
    from tests.simulate import events as E

    out = []
    for i in range(n):
        day, hour = 1 + (i // 48) % 28, (i // 2) % 24
        ts = f"2025-09-{day:02d} {hour:02d}:{(i % 2) * 30:02d}:00"
        kind = i % 5
        if kind == 0:
            out.append(E.video(ts=ts, caption=f"视频标题{i} 美食 旅行 vlog", play=10 + i % 50, duration=60,
                               asr="今天带大家去吃一家很有名的火锅店" * 3, like_cnt=1000 + i, play_cnt=50000 + i))
        elif kind == 1:
            out.append(E.live(ts=ts, title=f"直播{i} 好物推荐", play=30 + i % 600, live_total_user_cnt=20000 + i,
                              live_total_view_duration=3600 * (1 + i % 5), live_cover_content="主播在展示商品"))
        elif kind == 2:
            out.append(E.shop(ts=ts, title=f"商品{i} 无线蓝牙耳机 降噪", cart=i % 2 == 0, pay=i % 7 == 0,
                              item_num_180d_sales=12000 + i, category_level1_name="数码"))
        elif kind == 3:
            out.append(E.ad(ts=ts[:10], product=f"游戏{i}"))
        else:
            out.append(E.search(ts=ts, keyword=f"关键词{i % 30}"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--budget", type=int, default=32000)
    args = ap.parse_args()
    from tests.simulate import events as E
    from workbench.simulate.prompts import build_prompt
    from workbench.simulate.questions import questions_for_event

    hist = list(enumerate(make_trace(args.events)))
    target = E.video(ts="2025-09-30 12:00:00", caption="目标视频 火锅 美食")
    question = next(q for q in questions_for_event(target) if q.field == "video_liked")
    results = {}
    for tokenizer in ("approx", "litellm"):
        for memory in ("truncate", "retrieve", "summary"):
            times = []
            p = None
            if tokenizer == "litellm":
                build_prompt("", hist[:5], target, question, tokenizer="litellm")   # import + warm-up
            for _ in range(args.repeat):
                t = time.perf_counter()
                p = build_prompt("用户画像。", hist, target, question, max_history_tokens=args.budget,
                                 memory=memory, tokenizer=tokenizer, summary="概要" if memory == "summary" else None)
                times.append((time.perf_counter() - t) * 1000)
            results[f"{tokenizer}/{memory}"] = {"median_ms": round(statistics.median(times), 1),
                                                "min_ms": round(min(times), 1),
                                                "prompt_tokens": p.tokens, "history_events": len(p.history_event_indices)}
    print(json.dumps({"history_events_available": len(hist), "budget": args.budget, "repeat": args.repeat,
                      "results": results}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
