"""A rollout as a self-contained HTML page: the real days above the simulated ones, and small
multiples of what compounds. Layer: annotate (pure; no Qt).

:func:`rollout_html` takes what ``workbench rollout`` writes (the ``rollout.json`` content) and the
events of each side: the real user's horizon, and each loop's simulated events. It draws a timeline
sketch per side (:func:`workbench.annotate.svg.timeline_svg`, the same drawing as the case report),
then per day of the horizon: the share of events with any engagement, the interest drift from the
days before the start, the closed-minus-open gap; and a table of the per-day figures. The page uses
the case report's template and content security policy: no script, nothing loaded from elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from string import Template
from typing import Any

from workbench.annotate.context import marks_from_events
from workbench.annotate.report import CSP, _resource
from workbench.annotate.svg import e, grouped_bar_svg, timeline_svg

__all__ = ["rollout_html"]


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.0f}%"


def _side_svg(events: Sequence[tuple[int, Mapping[str, Any]]], t0: str, t1: str, title: str) -> str:
    marks = marks_from_events([{**dict(ev), "event_index": int(i)} for i, ev in events
                               if t0 <= str(ev.get("timestamp", "")) < t1 or
                               str(ev.get("timestamp", ""))[:10] == t0[:10]])
    return f"<h3>{e(title)}</h3>" + timeline_svg(marks, start_ts=t0, end_ts=t1, title=title, width=900)


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def _shares(shares: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {100 * v:.0f}%" for name, v in sorted(shares.items(), key=lambda kv: -kv[1]))


def _days_table(days: Mapping[str, Sequence[Mapping[str, Any]]], gap: Sequence[Mapping[str, Any]]) -> str:
    sources = list(days)
    head = "".join(f"<th>{e(s)} engaged</th><th>{e(s)} drift</th><th>{e(s)} diversity</th>"
                   f"<th>{e(s)} watch time by scenario</th>" for s in sources)
    head += "<th>closed − open engaged</th>" if gap else ""
    rows = []
    for k, d in enumerate(days[sources[0]]):
        cells = "".join(f"<td>{_pct(days[s][k]['engagement'])}</td><td>{_num(days[s][k]['drift'])}</td>"
                        f"<td>{_num(days[s][k].get('diversity'))}</td>"
                        f"<td>{e(_shares(days[s][k].get('time_share') or {}))}</td>" for s in sources)
        if gap:
            g = gap[k]["engagement"]
            cells += f"<td>{'–' if g is None else f'{100 * g:+.0f} pp'}</td>"
        rows.append(f"<tr><td>{e(d['day'])}</td><td>{d['steps']}</td>{cells}</tr>")
    return (f"<table class='facts'><tr><th>day</th><th>events</th>{head}</tr>" + "".join(rows)
            + "</table>")


def rollout_html(result: Mapping[str, Any], real: Sequence[tuple[int, Mapping[str, Any]]],
                 simulated: Mapping[str, Sequence[tuple[int, Mapping[str, Any]]]]) -> str:
    """The page for one rollout (``result``: the ``rollout.json`` content; ``simulated``: loop ->
    that loop's events as ``(event_index, raw event)``)."""
    runs = result["runs"]
    first = next(iter(runs.values()))
    t0, t1 = first["t0"], first["t1"]
    days = result["days"]
    body = [f"<section><h2>{e(result['user_id'])} · {e(result['model'])}</h2>",
            f"<p>From {e(t0)} to {e(t1)}. "
            + " ".join(f"{e(m)} loop: {r['done']}/{r['planned']} events, ${r['cost']:.4f}"
                       + (f" ({r['unknown_cost_calls']} calls at unknown price counted as $0)"
                          if r.get("unknown_cost_calls") else "")
                       + (f", stopped: {e(r['stopped'])}" if r.get("stopped") else "") + "."
                       for m, r in runs.items())
            + " Customer-service dialogues stay open loop: the agent's replies are real.</p>",
            _side_svg(real, t0, t1, "Real"),
            *(_side_svg(simulated[m], t0, t1, f"Simulated · {m} loop") for m in runs if m in simulated),
            "</section><section><h2>What compounds, day by day</h2>"]
    day_names = [d["day"] for d in days["real"]]
    body.append(grouped_bar_svg(
        [(day, [(src, days[src][k]["engagement"]) for src in days]) for k, day in enumerate(day_names)],
        title="share of events with any engagement, per day"))
    body.append(grouped_bar_svg(
        [(day, [(src, days[src][k]["drift"]) for src in days]) for k, day in enumerate(day_names)],
        title="interest drift from the days before the start",
        value_format="{:.2f}"))
    body.append(_days_table(days, result.get("gap") or []))
    body.append("</section>")
    return Template(_resource("template.html")).substitute(
        csp=e(CSP), title=e(f"Rollout of {result['user_id']}"),
        subtitle=e(f"{result['model']} · {t0} – {t1}"), css=_resource("report.css"),
        body="\n".join(body),
        footer=e("Behavior Trace Workbench rollout report. Self-contained: nothing in this file loads "
                 "anything from elsewhere."))
