"""``workbench sample`` and ``workbench eval``. Layer: entry (headless; light top-level imports).

    workbench sample PATH [--json] [--users U ...] [--n-per-user N] [--all-events]
                          [--history-window A B] [--test-window A B] [--num-users N] [--seed S]
    workbench eval PATH --model M [--model M2 ...] [--api-base URL ...] [--deployment FILE.yaml]
                        [--concurrency N] [--out DIR]
                        [--judge-model M] [--max-history-tokens N] [--memory truncate|retrieve|summary]
                        (+ the sampling options above)

Defaults are the benchmark's settings (docs/benchmark.md#test-samples): 200 users, 30 test events per user, history
window 2025-09-01..2025-09-30, test window 2025-10-01..2025-11-30, seed 42. ``--history-window none``
(or ``--test-window none``) drops a window. ``eval`` prints a progress line on stderr and a summary
table on stdout; an interrupted run (Ctrl-C) resumes when the same command is run again (same
``--out``; the default folder is derived from the path, the sampling settings and the models).
``--max-cost USD`` caps the spend: a warning at 80%, and at the cap no new request starts; the run
keeps what finished, says it stopped at the cap (exit 1 unless every question was answered), and
the same command with a higher cap asks only the rest.
``--api-base`` given several times (or ``--deployment FILE.yaml``) spreads each LLM over those
servers of the same model (:mod:`workbench.simulate.servers`: the least busy server, ``--concurrency``
or the file's ``max_concurrency`` per server, failover); the summary shows each server's share.
``--samples K`` asks each LLM question K times at ``--temperature``: the scores use sample 0, the
report's ``resample`` section the answer distributions, flip rates and spreads over the samples.
Exit codes: 0 every question answered (or at most ``--allow-failures N`` not), 1 questions not
answered, a file that cannot be written, or interrupted; 2 invalid input. The summary on stderr says
how many questions were not answered and why (by kind, with an example each).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from workbench.simulate.failures import add_allow_failures, exit_status, failure_lines

_DEFAULT_HISTORY = ("2025-09-01", "2025-09-30")
_DEFAULT_TEST = ("2025-10-01", "2025-11-30")


def _window(values: list[str] | None, default: tuple[str, str]) -> tuple[str, str] | None:
    if values is None:
        return default
    if len(values) == 1 and values[0].lower() == "none":
        return None
    if len(values) != 2:
        raise ValueError("a window takes two dates (START END) or the word none")
    return (values[0], values[1])


def _add_sampling(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("sampling (defaults: the benchmark's settings)")
    g.add_argument("--users", nargs="+", metavar="USER", help="sample these users (no selection step)")
    g.add_argument("--n-per-user", type=int, default=None, metavar="N",
                   help="test events per user (default 30)")
    g.add_argument("--all-events", action="store_true", help="every candidate test event of each user")
    g.add_argument("--num-users", type=int, default=200, metavar="N", help="users to select (default 200)")
    g.add_argument("--history-window", nargs="+", metavar="DATE",
                   help="history window START END (default 2025-09-01 2025-09-30), or none")
    g.add_argument("--test-window", nargs="+", metavar="DATE",
                   help="test window START END (default 2025-10-01 2025-11-30), or none")
    g.add_argument("--seed", type=int, default=42, help="base seed (default 42)")
    g.add_argument("--reference", default=None, metavar="CHECKOUT",
                   help="use the benchmark's own prompt builder from this checkout of it "
                        "(eval: the prompts; sample: recorded in the settings)")


def add_arguments(parser: argparse.ArgumentParser, name: str = "sample") -> None:
    """Add the arguments of ``workbench sample`` (``name`` "sample") or ``workbench eval`` to ``parser``."""
    parser.add_argument("path", type=Path, help="trace file or folder (OmniBehavior JSON, JSONL, Parquet)")
    _add_sampling(parser)
    if name == "sample":
        parser.add_argument("--json", action="store_true", help="print JSON instead of a listing")
        parser.add_argument("--with-history", action="store_true",
                            help="with --json: include each event's rolling-history indices")
        parser.set_defaults(_evaluate_command="sample")
        return
    parser.add_argument("--model", action="append", required=True, metavar="M",
                        help="litellm model string or baseline:user / baseline:population (repeatable)")
    parser.add_argument("--api-base", action="append", default=None, metavar="URL",
                        help="base URL of an OpenAI-compatible server (for every non-baseline model); "
                             "repeat it to spread the run over several servers of the same model")
    parser.add_argument("--deployment", type=Path, default=None, metavar="FILE.yaml",
                        help="the model's servers from a YAML file (servers: [{api_base, max_concurrency}])")
    parser.add_argument("--concurrency", type=int, default=8, metavar="N", help="parallel calls (default 8)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (default workbench-eval/<name>_<settings hash>)")
    parser.add_argument("--judge-model", default=None, metavar="M",
                        help="LLM judge for customer-service messages (needed for the overall score)")
    parser.add_argument("--judge-api-base", default=None, metavar="URL",
                        help="base URL for the judge model (default: the provider's own endpoint, "
                             "not --api-base)")
    parser.add_argument("--judge-max-tokens", type=int, default=None, metavar="N",
                        help="answer limit for the judge (default none, as in the benchmark)")
    parser.add_argument("--extra-body", type=_extra_body_arg, default=None, metavar="JSON",
                        help="extra request fields for every evaluated LLM (a JSON object)")
    parser.add_argument("--lenient-parsing", action="store_true",
                        help="also accept answers the benchmark rejects; never for benchmark runs")
    parser.add_argument("--max-history-tokens", type=int, default=32000, metavar="N")
    parser.add_argument("--memory", choices=("truncate", "retrieve", "summary"), default="truncate")
    parser.add_argument("--tokenizer", type=_tokenizer_arg, default="approx", metavar="COUNTER",
                        help="token counter: approx (default), litellm, or a tokenizer.json path")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="prompt language (default zh)")
    parser.add_argument("--temperature", type=float, default=0.1)
    parser.add_argument("--logprobs", action="store_true", help="ask for Yes/No log-probabilities")
    parser.add_argument("--samples", type=int, default=1, metavar="K",
                        help="ask each LLM question K times at --temperature (default 1); scores use "
                             "sample 0, report.json's resample section shows the spread")
    parser.add_argument("--max-cost", type=float, default=None, metavar="USD",
                        help="spend cap: no new request starts once the calls cost this much "
                             "(rerun with a higher cap to go on)")
    parser.add_argument("--no-cache", action="store_true", help="do not use the response cache")
    parser.add_argument("--fresh", action="store_true", help="start over instead of resuming")
    parser.add_argument("--no-biases", action="store_true", help="skip the bias analyses")
    parser.add_argument("--json", action="store_true", help="print the score summary as JSON")
    add_allow_failures(parser)
    parser.set_defaults(_evaluate_command="eval")


def _load_and_sample(args: argparse.Namespace):
    from workbench.evaluate import sampling as S

    hist = _window(args.history_window, _DEFAULT_HISTORY)
    test = _window(args.test_window, _DEFAULT_TEST)
    n = args.n_per_user if args.n_per_user is not None else S.TEST_LENGTH
    if n <= 0:
        raise ValueError("--n-per-user must be positive")
    custom = bool(args.users) or args.all_events or args.n_per_user is not None
    users = S.load_users(args.path, num_users=args.num_users, test_length=n,
                         benchmark_scan=not args.users)
    sample = S.sample_events(users, user_ids=args.users, num_users=args.num_users, test_length=n,
                             history_window=hist, test_window=test, seed=args.seed,
                             all_events=args.all_events)
    sample.settings["custom"] = custom
    sample.settings["path"] = str(args.path)
    if getattr(args, "reference", None):
        from workbench.simulate.reference import load_reference

        sample.settings["reference"] = load_reference(args.reference).describe()
    return users, sample


def _input_error(exc: BaseException) -> int:
    print(f"workbench: {exc}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Run ``workbench sample`` or ``eval``; returns the exit code (0 done, 2 bad input, named on stderr)."""
    cmd = getattr(args, "_evaluate_command", None) or getattr(args, "command", "sample")
    try:
        users, sample = _load_and_sample(args)
    except Exception as exc:  # noqa: BLE001 - bad input: one line naming the place
        from workbench.evaluate.sampling import SamplingError

        try:
            from workbench.traces import TraceError
        except ImportError:  # pragma: no cover
            TraceError = SamplingError  # type: ignore[misc,assignment]
        from workbench.simulate.reference import CheckoutError

        if isinstance(exc, (SamplingError, TraceError, ValueError, OSError, CheckoutError)):
            return _input_error(exc)
        raise
    for uid in sample.missing_users:
        print(f"workbench: user {uid} is not in {args.path}", file=sys.stderr)
    _print_cache_notices()
    if cmd == "sample":
        return _print_sample(args, sample)
    return _run_eval(args, users, sample)


def _print_cache_notices() -> None:
    """One warning line per trace-cache problem (the traces were read without the cache)."""
    from workbench.traces.cache import notices

    for note in notices():
        print(f"workbench: warning: {note}", file=sys.stderr)


def _print_sample(args: argparse.Namespace, sample: Any) -> int:
    import json

    if args.json:
        print(json.dumps(sample.to_dict(with_history=args.with_history), ensure_ascii=False, indent=2))
        return 0
    s = sample.settings
    print(f"{len(sample.users)} users, {len(sample.events)} test events "
          f"(history window {s['history_window']}, test window {s['test_window']}, seed {s['seed']})")
    for u in sample.users:
        print(f"{u.user_id}  seed {u.seed} ({u.seed_source})  candidates {u.candidate_count}  "
              f"sampled {len(u.sampled)}")
        for e in u.sampled:
            print(f"  {e.event_index:>6}  {e.scenario}{'  *' if e.high_value else ''}")
    return 0


def _extra_body_arg(value: str) -> Any:
    from workbench.simulate.types import extra_body_argument

    return extra_body_argument(value)


def _tokenizer_arg(value: str) -> str:
    from workbench.simulate.tokens import tokenizer_argument

    return tokenizer_argument(value)


def _default_out(args: argparse.Namespace, sample: Any, models: list[str]) -> Path:
    import hashlib
    import json

    from workbench.simulate.endpoints import endpoint_from_environment
    from workbench.simulate.types import ModelSpec

    bases = list(args.api_base or [])
    servers = getattr(args, "servers", ())
    env = {m: endpoint_from_environment(ModelSpec(m)) for m in models if not bases and not servers}
    sig = json.dumps({"path": str(Path(args.path).resolve()), "settings": sample.settings,
                      "models": models, "api_base": bases[0] if len(bases) == 1 and not servers else None,
                      # several servers: one run folder however the servers are listed or limited
                      **({"servers": sorted(x.shown for x in servers)} if servers else {}),
                      **({"endpoints": env} if any(env.values()) else {}),
                      "max_history_tokens": args.max_history_tokens, "memory": args.memory,
                      "lang": args.lang, "reference": args.reference,
                      # only non-default settings, so that earlier runs keep their folders
                      **({"tokenizer": args.tokenizer} if args.tokenizer != "approx" else {}),
                      **({"extra_body": args.extra_body} if args.extra_body else {}),
                      **({"lenient_parsing": True} if args.lenient_parsing else {}),
                      **({"samples": args.samples} if getattr(args, "samples", 1) > 1 else {})},
                     sort_keys=True, default=str)
    h = hashlib.sha256(sig.encode("utf-8")).hexdigest()[:8]
    return Path("workbench-eval") / f"{Path(args.path).stem}_{h}"


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def summary_table(report: dict[str, Any]) -> str:
    """The report's score summary as an aligned text table, one row per model."""
    cols = ["model", "video_binary", "video_continuous", "live_binary", "ads_binary",
            "e_commerce_binary", "e_commerce_textual", "overall_score"]
    extra = ["Micro_F1", "Macro_F1"]
    rows = []
    for row in report.get("score_summary", []):
        ov = report["models"][row["model"]]["overall"]
        rows.append([_fmt(row.get(c)) for c in cols] + [_fmt(ov.get(c)) for c in extra])
    header = cols + extra
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    b = report.get("biases", {}).get("hyperactivity", {}).get("mean_gap")
    if b:
        lines.append("")
        lines.append("hyper-activity (mean predicted - real positive rate): " +
                     ", ".join(f"{m} {_fmt(None if g is None else 100 * g)} pp" for m, g in b.items()))
    return "\n".join(lines)


def flip_rate_lines(resample: dict[str, Any]) -> str:
    """The resample section in a few lines: per model, the flip rate of each field (share of
    questions whose samples disagree)."""
    lines = [f"{resample.get('samples')} samples per question (scores use sample 0); flip rate per field:"]
    for model, per_field in resample.get("flip_rate", {}).items():
        cells = ", ".join(f"{f} {100 * c['rate']:.0f}% of {c['questions']}" for f, c in per_field.items())
        lines.append(f"  {model}: {cells}")
    return "\n".join(lines)


def server_lines(report: dict[str, Any]) -> list[str]:
    """The share of questions each server answered, one line per model run on several servers."""
    return [f"  servers of {model}: " + ", ".join(f"{url} {100 * c['share']:.0f}% ({c['questions']})"
                                                   for url, c in per.items()) + " share of the answers"
            for model, per in report.get("servers", {}).items()]


def _servers(args: argparse.Namespace) -> tuple[str | None, tuple[Any, ...]]:
    """(the one API base, or None; the servers of a pool, or ()) from ``--api-base`` (one: as
    before, several: a pool) and ``--deployment``. Raises ValueError (one line) for a bad file or
    URL, both options at once, or a deployment file for another model."""
    from dataclasses import replace

    bases = list(args.api_base or [])
    if args.deployment is not None:
        from workbench.simulate.servers import load_deployment

        if bases:
            raise ValueError("give the servers with --api-base or with --deployment, not both")
        dep = load_deployment(args.deployment)
        llms = [m for m in args.model if not m.startswith("baseline:")]
        if dep.model is not None and llms != [dep.model]:
            raise ValueError(f"{args.deployment}: the servers serve model {dep.model}, but --model gives "
                             f"{', '.join(llms) or 'no LLM'}")
        # a server without its own limit takes --concurrency
        return None, tuple(replace(x, max_parallel=x.max_parallel or args.concurrency) for x in dep.servers)
    if len(bases) > 1:
        from workbench.simulate.servers import servers_from_urls

        return None, servers_from_urls(bases, args.concurrency)
    return (bases[0] if bases else None), ()


def _eval_specs(args: argparse.Namespace) -> tuple[list[Any], Any, int]:
    """(the model specs, the judge spec or None, the run's concurrency). Raises ValueError (one line)
    for bad server settings."""
    from workbench.simulate.types import ModelSpec

    api_base, args.servers = _servers(args)
    specs = [ModelSpec(m, api_base=None if m.startswith("baseline:") else api_base,
                       servers=() if m.startswith("baseline:") else args.servers,
                       temperature=args.temperature, use_logprobs=args.logprobs, extra_body=args.extra_body,
                       lenient_parsing=args.lenient_parsing) for m in args.model]
    concurrency = args.concurrency
    if args.servers:
        from workbench.simulate.servers import pool_concurrency

        concurrency = pool_concurrency(specs, args.concurrency)
    judge = ModelSpec(args.judge_model, api_base=args.judge_api_base, temperature=args.temperature,
                      max_tokens=args.judge_max_tokens) if args.judge_model else None
    return specs, judge, concurrency


def _progress_printer(is_tty: bool) -> Any:
    """``on_progress`` for a terminal: one progress line (rewritten on a TTY, every 2 s otherwise)
    and a warning once the spend reaches 80% of the cap."""
    last = [0.0]
    cost_warned = [False]

    def on_progress(p: Any) -> None:
        import time

        from workbench.simulate.spend import WARN_SHARE

        if p.max_cost is not None and not cost_warned[0] and p.cost >= WARN_SHARE * p.max_cost:
            cost_warned[0] = True
            print(("\n" if is_tty else "") + f"workbench eval: warning: the run has spent ${p.cost:.4f}, "
                  f"{100 * WARN_SHARE:.0f}% or more of --max-cost ${p.max_cost:.4f}", file=sys.stderr, flush=True)
        now = time.monotonic()
        if p.done < p.total and now - last[0] < (0.1 if is_tty else 2.0):
            return
        last[0] = now
        line = p.line()
        if is_tty:
            from workbench.console import raw

            raw("\r" + line.ljust(100), file=sys.stderr)
            sys.stderr.flush()
        else:
            print(line, file=sys.stderr, flush=True)

    return on_progress


def _bad_eval_args(args: argparse.Namespace, sample: Any) -> str | None:
    """What is wrong with the eval options (or the sample), if anything."""
    if args.concurrency <= 0:
        return "--concurrency must be positive"
    if args.samples < 1:
        return "--samples must be 1 or more"
    if args.max_cost is not None and not args.max_cost > 0:
        return "--max-cost must be more than 0"
    if not sample.events:
        return f"{args.path}: no test events were sampled (check the windows, --users and --n-per-user)"
    return None


def _run_eval(args: argparse.Namespace, users: list[Any], sample: Any) -> int:
    import asyncio

    from workbench.evaluate.batch import run_batch

    bad = _bad_eval_args(args, sample)
    if bad:
        return _input_error(ValueError(bad))
    try:
        specs, judge, concurrency = _eval_specs(args)
    except ValueError as exc:
        return _input_error(exc)
    out = args.out or _default_out(args, sample, [s.model for s in specs])
    is_tty = sys.stderr.isatty()
    on_progress = _progress_printer(is_tty)

    reference = None
    if args.reference:
        from workbench.simulate.reference import load_reference

        reference = load_reference(args.reference)      # loaded (and checked) while sampling
    print(f"evaluating {len(sample.events)} events of {len(sample.users)} users with "
          f"{', '.join(s.model for s in specs)} -> {out}", file=sys.stderr)
    warned: set[str] = set()

    def on_warning(text: str) -> None:
        if text not in warned:
            warned.add(text)
            print(("\n" if is_tty else "") + f"workbench eval: warning: {text}", file=sys.stderr, flush=True)

    from workbench.evaluate.batch import BatchWriteError

    try:
        result = asyncio.run(run_batch(users, sample, specs, out_dir=out, concurrency=concurrency,
                                       use_cache=not args.no_cache, judge_spec=judge,
                                       max_history_tokens=args.max_history_tokens, memory=args.memory,
                                       lang=args.lang, on_progress=on_progress, resume=not args.fresh,
                                       tokenizer=args.tokenizer,
                                       biases=not args.no_biases, reference=reference,
                                       on_warning=on_warning, max_cost=args.max_cost,
                                       samples=args.samples))
    except KeyboardInterrupt:
        print(f"\ninterrupted: the answers so far are in {out / 'predictions.jsonl'}; "
              "run the same command again to resume", file=sys.stderr)
        return 1
    except BatchWriteError as exc:
        print(f"\nworkbench eval: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(file=sys.stderr)
        return _input_error(exc)
    if is_tty:
        print(file=sys.stderr)
    return _report(args, result, out, on_warning)


def _report(args: argparse.Namespace, result: Any, out: Path, on_warning: Any) -> int:
    """The run's summary (stderr), its score table (stdout) and the exit status."""
    import json

    run = result.report.get("run", {})
    for text in run.get("warnings", []):
        on_warning(text)
    questions, failed = int(run.get("questions", 0)), int(run.get("failed", 0))
    print(f"done in {run.get('seconds', 0):.1f} s: {run.get('answered', 0)} of {questions} questions answered "
          f"({run.get('cached', 0)} from cache, {run.get('resumed', 0)} kept from the earlier run), "
          f"{failed} failed, cost ${run.get('cost', 0):.4f}; "
          f"wrote {out / 'predictions.jsonl'} and {out / 'report.json'}", file=sys.stderr)
    for line in server_lines(result.report):
        print(line, file=sys.stderr)
    if run.get("unknown_cost_calls"):
        print(f"  {run['unknown_cost_calls']} calls had no known price: counted as $0 in the cost", file=sys.stderr)
    for line in failure_lines(run.get("failures", [])):
        print(line, file=sys.stderr)
    for err in run.get("errors", [])[:3]:
        print(f"user {err['user_id']}, event {err['event_index']}: {err['error']}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.report["score_summary"], ensure_ascii=False, indent=2))
    else:
        print(summary_table(result.report))
    resample = result.report.get("resample")
    if resample:
        print(flip_rate_lines(resample), file=sys.stderr)
    if run.get("stopped"):
        print(f"workbench eval: stopped: {run['stopped']}; {run.get('unanswered', 0)} questions were not "
              "asked. Run the same command with a higher --max-cost to ask them.", file=sys.stderr)
        return 1
    return exit_status("workbench eval", failed, questions, args.allow_failures)
