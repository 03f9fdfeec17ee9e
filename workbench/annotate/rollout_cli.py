"""``workbench rollout``: let a simulator live a user's days, open and closed loop. Layer: annotate
(CLI; the computation is :mod:`workbench.evaluate.rollout`, the page :mod:`workbench.annotate.rollout_report`).

    workbench rollout TRACE --user U --from T0 --days N --model M [--closed-loop] --out DIR [--json]

Always runs the open loop (the benchmark's real history); ``--closed-loop`` also runs the closed
loop (the model feeds on its own earlier reactions). Writes ``DIR/rollout.json`` (steps, settings,
per-day figures for real / open / closed and the closed-minus-open gap) and
``DIR/simulated_<mode>.json`` (OmniBehavior JSON: open it like any trace); ``--html OUT`` also writes
a self-contained page (real above simulated, small multiples per day). Prints a per-day table, or
the whole result with ``--json``. Exit codes: 0 done, 1 stopped early (cancel, spend cap) or
every answer failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_arguments", "gap_by_day", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``rollout`` subcommand's options."""
    parser.add_argument("path", help="trace file or folder")
    parser.add_argument("--user", required=True, help="user id")
    parser.add_argument("--from", dest="t0", required=True, metavar="T0",
                        help="start: YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]")
    parser.add_argument("--days", type=float, default=7.0, help="horizon in days (default 7)")
    parser.add_argument("--model", required=True, help="litellm model string or baseline:user / "
                        "baseline:population")
    parser.add_argument("--closed-loop", action="store_true",
                        help="also run the closed loop (history = the model's own reactions after T0)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--html", type=Path, metavar="OUT", help="also write an HTML page of the rollout")
    parser.add_argument("--scenario", action="append", default=[],
                        help="only this scenario (English name, e.g. 'Video Browsing'; repeatable)")
    parser.add_argument("--every", type=int, default=1, help="predict every Nth event (default 1)")
    parser.add_argument("--samples", type=int, default=1, metavar="K",
                        help="ask each question K times; the simulated user acts on the majority "
                        "(default 1)")
    parser.add_argument("--api-base", default=None, help="base URL of an OpenAI-compatible server")
    parser.add_argument("--memory", choices=("truncate", "retrieve"), default="truncate")
    parser.add_argument("--max-history-tokens", type=int, default=32000)
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--temperature", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=8, help="calls in flight (open loop)")
    parser.add_argument("--max-cost", type=float, default=None, metavar="USD",
                        help="stop starting new steps once the calls cost this much (both loops)")
    parser.add_argument("--no-cache", action="store_true", help="do not use the response cache")


def gap_by_day(open_days: list[Any], closed_days: list[Any]) -> list[dict[str, Any]]:
    """Closed minus open loop, per day: engagement, per-field Yes rates, interest drift."""
    out = []
    for o, c in zip(open_days, closed_days):
        def d(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else b - a
        out.append({"day": o.day, "engagement": d(o.engagement, c.engagement),
                    "drift": d(o.drift, c.drift),
                    "rates": {f: c.rates[f] - o.rates[f] for f in o.rates if f in c.rates}})
    return out


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def _table(days: dict[str, list[Any]]) -> str:
    head = ["day", "steps"] + [f"{s} engaged" for s in days] + [f"{s} drift" for s in days]
    rows = [head]
    for k in range(len(days["real"])):
        rows.append([days["real"][k].day, str(days["real"][k].steps)]
                    + [_pct(days[s][k].engagement) for s in days]
                    + ["-" if days[s][k].drift is None else f"{days[s][k].drift:.2f}" for s in days])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def run(args: argparse.Namespace) -> int:
    """Run the rollout(s) and write the results."""
    from workbench.evaluate.rollout import RolloutError
    from workbench.simulate.baselines import BASELINE_POPULATION, BASELINES, BaselineStats
    from workbench.simulate.types import ModelSpec
    from workbench.traces import TraceError, load_traces

    if args.model.startswith("baseline:") and args.model not in BASELINES:
        return _fail(f"--model {args.model}: unknown baseline (use {' or '.join(BASELINES)})")
    if args.max_cost is not None and args.max_cost <= 0:
        return _fail("--max-cost must be more than 0")
    try:
        ts = load_traces(args.path)
    except (TraceError, OSError) as exc:
        return _fail(str(exc))
    if args.user not in ts.user_ids():
        return _fail(f"{args.path}: no user {args.user!r}")
    indices = ts.user_events(args.user)["event_index"].to_list()
    events = list(zip(indices, ts.raw_events(args.user)))
    profile = ts.profile(args.user)
    spec = ModelSpec(args.model, api_base=None if args.model.startswith("baseline:") else args.api_base,
                     temperature=args.temperature)
    stats = None
    if args.model == BASELINE_POPULATION:
        stats = BaselineStats.from_users(ts.raw_events(u) for u in ts.user_ids() if u != args.user)
    cache = None
    if not args.no_cache:
        from workbench.simulate.cache import ResponseCache

        cache = ResponseCache()
    try:
        results = _run_loops(args, profile, events, spec, stats, cache)
    except RolloutError as exc:
        return _fail(str(exc))
    finally:
        if cache is not None:
            cache.close()
    out, days = _write_results(args, results, profile, events)
    if args.json:
        import json

        print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    else:
        _print_summary(args, days, results)
    failed = all(not s.predicted for r in results.values() for s in r.steps)
    return 1 if any(r.stopped for r in results.values()) or failed else 0


def _fail(msg: str) -> int:
    """Print the bad-input message; exit code 2."""
    from workbench.textsafe import visible

    print(f"workbench rollout: {visible(msg)}", file=sys.stderr)
    return 2


def _run_loops(args: argparse.Namespace, profile: str, events: list[tuple[int, Any]], spec: Any, stats: Any,
               cache: Any) -> dict[str, Any]:
    """The open loop, and with ``--closed-loop`` the closed one: ``{mode: Rollout}``. Progress goes
    to stderr; a loop past 80% of ``--max-cost`` is warned about once. Raises RolloutError."""
    import asyncio

    from workbench.evaluate.rollout import CLOSED, OPEN, run_rollout

    warned = [False]
    is_tty = sys.stderr.isatty()

    def on_step(step: Any, done: int, planned: int) -> None:
        if is_tty:
            print(f"\r{done}/{planned} steps", end="", file=sys.stderr, flush=True)
        elif done == planned or done % 50 == 0:
            print(f"{done}/{planned} steps", file=sys.stderr, flush=True)

    async def go(closed: bool) -> Any:
        return await run_rollout(args.user, profile, events, spec, t0=args.t0, days=args.days,
                                 closed_loop=closed, scenarios=set(args.scenario) or None,
                                 every=args.every, memory=args.memory,
                                 max_history_tokens=args.max_history_tokens, lang=args.lang,
                                 cache=cache, baselines=stats, concurrency=args.concurrency,
                                 max_cost=args.max_cost, on_step=on_step, samples=args.samples)

    results = {}
    for mode in ([OPEN, CLOSED] if args.closed_loop else [OPEN]):
        results[mode] = asyncio.run(go(mode == CLOSED))
        if is_tty:
            print(file=sys.stderr)
        r = results[mode]
        if args.max_cost and r.cost >= 0.8 * args.max_cost and not warned[0]:
            warned[0] = True
            print(f"warning: the {mode} loop spent ${r.cost:.4f}, over 80% of --max-cost", file=sys.stderr)
    return results


def _write_results(args: argparse.Namespace, results: dict[str, Any], profile: str,
                   events: list[tuple[int, Any]]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Write rollout.json, simulated_<mode>.json and (``--html``) the page; returns the result dict
    and the per-day figures per source."""
    import json
    from dataclasses import asdict

    from workbench.evaluate.rollout import CLOSED, OPEN, REAL, daily_figures, to_omnibehavior
    from workbench.fileio import atomic_write_text
    from workbench.textsafe import visible

    days = {REAL: daily_figures(results[OPEN], events, REAL)}
    for mode, r in results.items():
        days[mode] = daily_figures(r, events, mode)
    out: dict[str, Any] = {"user_id": args.user, "model": args.model,
                           "runs": {m: r.to_dict() for m, r in results.items()},
                           "days": {s: [asdict(d) for d in v] for s, v in days.items()}}
    if CLOSED in results:
        out["gap"] = gap_by_day(days[OPEN], days[CLOSED])
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "rollout.json", json.dumps(out, ensure_ascii=False, indent=1, default=str))
    for mode, r in results.items():
        doc = to_omnibehavior(r, profile, events)
        atomic_write_text(args.out / f"simulated_{mode}.json", json.dumps(doc, ensure_ascii=False))
    if args.html:
        from workbench.annotate.rollout_report import rollout_html

        sims = {m: sorted(r.simulated.items(), key=lambda kv: str(kv[1].get("timestamp", "")))
                for m, r in results.items()}
        page = rollout_html(json.loads(json.dumps(out, default=str)), events, sims)
        atomic_write_text(args.html, page)
        print(f"wrote {visible(str(args.html))}", file=sys.stderr)
    return out, days


def _print_summary(args: argparse.Namespace, days: dict[str, list[Any]], results: dict[str, Any]) -> None:
    """The per-day table and one line per loop (steps, cost, why it stopped)."""
    from workbench.textsafe import visible

    print(_table(days))
    for mode, r in results.items():
        unknown = f", {r.unknown_cost_calls} calls at unknown price counted as $0" \
            if r.unknown_cost_calls else ""
        print(f"{mode} loop: {len(r.steps)}/{r.planned} steps, ${r.cost:.4f}{unknown}"
              + (f"; stopped: {r.stopped}" if r.stopped else ""))
    print(f"wrote {visible(str(args.out / 'rollout.json'))}", file=sys.stderr)
