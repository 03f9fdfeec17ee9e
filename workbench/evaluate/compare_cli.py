"""``workbench compare RUN [RUN ...]``: paired comparison of evaluation runs. Layer: evaluate (CLI).

Prints, for the baseline against each contender, every metric with its difference and paired
bootstrap 95% interval (McNemar's exact p for Yes/No fields), the flips per field, and the
questions that changed most; ``--json`` prints the whole comparison, ``--html OUT`` writes a
self-contained page (no script, no external request). Exit codes: 0 ok, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_arguments", "render_html", "render_text", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``compare`` subcommand's options."""
    parser.add_argument("runs", nargs="+", help="run directories written by workbench eval "
                        "(one run: compare its models; several: every run's models)")
    parser.add_argument("--model", action="append", default=[],
                        help="compare only this model (repeat); default every model")
    parser.add_argument("--baseline", help="the baseline side: RUN:MODEL, MODEL or RUN "
                        "(default: the first side)")
    parser.add_argument("--resample", choices=("questions", "users"), default="questions",
                        help="bootstrap unit (default questions; users keeps each user's questions "
                        "together)")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                        help="bootstrap replicates (default 1000; 0 = no intervals)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--changed-only", action="store_true", help="list only changed questions")
    parser.add_argument("--field", help="list only this field's questions")
    parser.add_argument("--scenario", help="list only this scenario's questions")
    parser.add_argument("--user", help="list only this user's questions")
    parser.add_argument("--sort", choices=("change", "order"), default="change",
                        help="question order: largest change first (default) or user/event order")
    parser.add_argument("--limit", type=int, default=20, help="questions listed in text output "
                        "(default 20; the JSON and HTML outputs list all that match)")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.add_argument("--html", type=Path, metavar="OUT", help="also write an HTML page")


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _interval(m: Any) -> str:
    if m.low is None or m.high is None:
        return "-"
    return f"[{m.low:+.2f}, {m.high:+.2f}]" + (" *" if m.significant else "")


def _metric_table(c: Any) -> list[list[str]]:
    rows = [["metric", "baseline", "contender", "diff", "95% CI", "McNemar p", "n"]]
    for m in c.metrics:
        rows.append([m.name, _fmt(m.base), _fmt(m.other),
                     "-" if m.diff is None else f"{m.diff:+.2f}", _interval(m),
                     "-" if m.p_value is None else f"{m.p_value:.3g}", f"{m.n} {m.unit}"])
    return rows


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def _question_rows(qs: list[Any]) -> list[list[str]]:
    rows = [["user", "event", "field", "real", "baseline", "contender", "change"]]
    for q in qs:
        rows.append([q.user_id, str(q.event_index), q.field, _short(q.true_value), _short(q.base),
                     _short(q.other), q.flip])
    return rows


def _short(v: Any, n: int = 40) -> str:
    from workbench.textsafe import visible

    s = visible(_fmt(v))
    return s if len(s) <= n else s[: n - 1] + "…"


def render_text(comparisons: list[Any], questions: list[list[Any]], limit: int) -> str:
    """The terminal report: metrics, flips and the most-changed questions per contender."""
    from workbench.textsafe import visible

    out: list[str] = []
    for c, qs in zip(comparisons, questions):
        out.append(f"baseline  {visible(c.base)}\ncontender {visible(c.other)}")
        out.append(f"{len(c.questions)} questions answered by both "
                   f"({c.only_base} by the baseline only, {c.only_other} by the contender only); "
                   f"bootstrap: {c.settings['replicates']} replicates over {c.settings['unit']}, "
                   f"seed {c.settings['seed']}; * = interval excludes 0")
        out.append(_table(_metric_table(c)))
        flips = [[f, str(v.get("right→wrong", 0)), str(v.get("wrong→right", 0)),
                  str(v.get("better", 0)), str(v.get("worse", 0)), str(v.get("changed", 0)),
                  str(v.get("same", 0))] for f, v in c.flips.items()]
        out.append(_table([["field", "right→wrong", "wrong→right", "better", "worse", "changed",
                            "same"], *flips]))
        shown = qs[:limit] if limit >= 0 else qs
        out.append(f"{len(qs)} questions match; first {len(shown)}:")
        out.append(_table(_question_rows(shown)))
        out.append("")
    return "\n".join(out)


_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330}
table{border-collapse:collapse;margin:8px 0 20px}td,th{padding:3px 8px;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}th{background:#f3f4f7}.sig{font-weight:600;color:#a3321f}
.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#667}"""


def render_html(comparisons: list[Any], questions: list[list[Any]]) -> str:
    """A self-contained page: strict CSP, no script, every text escaped and made visible."""
    import html

    from workbench.textsafe import visible

    def e(v: Any) -> str:
        return html.escape(visible(_fmt(v)))

    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
             ("<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
              "style-src 'unsafe-inline'; img-src data:\">"),
             "<title>Run comparison</title><style>", _CSS, "</style></head><body>",
             "<h1>Run comparison</h1>"]
    for c, qs in zip(comparisons, questions):
        parts.append(f"<h2>{e(c.other)} <span class='muted'>against</span> {e(c.base)}</h2>")
        parts.append(f"<p class='muted'>{len(c.questions)} questions answered by both "
                     f"({c.only_base} by the baseline only, {c.only_other} by the contender only). "
                     f"Paired bootstrap, {c.settings['replicates']} replicates over "
                     f"{e(c.settings['unit'])}; highlighted: the 95% interval excludes 0.</p>")
        rows = _metric_table(c)
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in rows[0]) + "</tr>")
        for m, r in zip(c.metrics, rows[1:]):
            cls = " class='sig'" if m.significant else ""
            parts.append(f"<tr{cls}><td>{e(r[0])}</td>" +
                         "".join(f"<td class='num'>{e(x)}</td>" for x in r[1:]) + "</tr>")
        parts.append("</table><h3>Questions</h3><table>")
        qrows = _question_rows(qs)
        parts.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in qrows[0]) + "</tr>")
        for r in qrows[1:]:
            parts.append("<tr>" + "".join(f"<td>{e(x)}</td>" for x in r) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def run(args: argparse.Namespace) -> int:
    """Run the comparison; 2 with one line on stderr for bad input."""
    import json
    from dataclasses import asdict

    from workbench.evaluate.compare import CompareError, compare_runs, filter_questions
    from workbench.textsafe import visible

    if args.bootstrap < 0:
        print("workbench compare: --bootstrap must be 0 or more", file=sys.stderr)
        return 2
    try:
        comparisons = compare_runs(args.runs, models=args.model, baseline=args.baseline,
                                   unit=args.resample, reps=args.bootstrap, seed=args.seed)
    except (CompareError, OSError, UnicodeDecodeError) as exc:
        print(f"workbench compare: {visible(str(exc))}", file=sys.stderr)
        return 2
    chosen = [filter_questions(c.questions, changed_only=args.changed_only, scenario=args.scenario,
                               field_name=args.field, user=args.user, sort=args.sort)
              for c in comparisons]
    if args.html:
        from workbench.fileio import atomic_write_text

        atomic_write_text(args.html, render_html(comparisons, chosen))
        print(f"wrote {visible(str(args.html))}", file=sys.stderr)
    if args.json:
        out = []
        for c, qs in zip(comparisons, chosen):
            d = c.to_dict()
            d["questions"] = [asdict(q) for q in qs]
            out.append(d)
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    else:
        print(render_text(comparisons, chosen, args.limit))
    return 0
