"""The self-contained HTML case report. Layer: annotate (pure; no Qt).

One HTML file to mail to a stakeholder: no scripts, no external fonts, images or links; pictures are
``data:`` PNGs or inline SVG; a Content-Security-Policy meta tag (:data:`CSP`) forbids every fetch
except ``data:`` images and the inline style sheet. Per case: the facts, the note, a timeline
snapshot (the stored PNG, else an SVG drawn from the trace events around the case), real against
predicted side by side, the customer-service transcript with politeness / hedging / blame markers
highlighted, the raw model outputs and the prompt (collapsible), and the raw event. A summary
section draws per-tag counts, predicted against real positive rates and, when there are dialogues,
markers per message real against simulated.

Every piece of text that comes from a trace, a model or an analyst goes through :func:`e`
(``html.escape(..., quote=True)``); only the template's own markup is emitted unescaped.
"""

from __future__ import annotations

import base64
import math
import re
from collections import Counter
from datetime import datetime, timezone
from html.parser import HTMLParser
from importlib import resources as importlib_resources
from string import Template
from typing import Any, Callable, Iterable, Mapping, Sequence

import orjson

from workbench.annotate import markers as marker_mod
from workbench.annotate.context import Mark, marks_from_events, outcome_of, raw_events_for
from workbench.annotate.model import SEVERITY_NAMES, Case, CasePrediction
from workbench.annotate.report_text import (Clipper, lexicon_quality_html, marked_html, pre_html,
                                            spans_table_html)
from workbench.annotate.spans import Span
from workbench.annotate.svg import (SERIES_COLORS, bar_chart_svg, e, grouped_bar_svg, safe_color,
                                    timeline_svg)
from workbench.annotate.taxonomy import DEFAULT_TAGS, Tag
from workbench.traces.schema import canonical_scenario

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src 'none'; "
       "script-src 'none'; connect-src 'none'; frame-src 'none'; object-src 'none'; "
       "base-uri 'none'; form-action 'none'")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: Events drawn on each side of a case when the trace itself is available.
TIMELINE_AROUND = 40


def _resource(name: str) -> str:
    return (importlib_resources.files("resources") / "report" / name).read_text(encoding="utf-8")


def _binary_fields() -> set[str]:
    try:
        from workbench.simulate.questions import FIELDS
    except ImportError:
        return set()
    return {f for f, (kind, _) in FIELDS.items() if kind == "binary"}


def _as01(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and not (isinstance(value, float) and not math.isfinite(value)):
        if value in (0, 1):
            return int(value)
        return None
    return None


def _fmt_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e6 else f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode("utf-8")
    return str(value)


def _agrees(real: Any, pred: CasePrediction) -> bool | None:
    if not pred.parse_ok:
        return None
    r = _as01(real)
    label = pred.predicted_label if pred.predicted_label is not None else pred.predicted_value
    if r is not None and _as01(label) is not None:
        return r == _as01(label)
    if isinstance(real, (int, float)) and isinstance(pred.predicted_value, (int, float)):
        return abs(float(real) - float(pred.predicted_value)) <= max(1.0, 0.5 * abs(float(real)))
    if isinstance(real, str):
        return " ".join(real.split()).casefold() == " ".join(str(pred.predicted_value or "").split()).casefold()
    return None


def highlight(text: str) -> str:
    """``text`` escaped, with its politeness / hedging / complaint markers wrapped in ``<mark>``."""
    out, pos = [], 0
    for m in marker_mod.find_markers(text):
        if m.start < pos:
            continue
        out.append(e(text[pos:m.start]))
        out.append(f'<mark class="m-{e(m.category)}" title="{e(m.category)}">{e(text[m.start:m.end])}</mark>')
        pos = m.end
    out.append(e(text[pos:]))
    return "".join(out)


# -- per-case pieces ------------------------------------------------------------------------------

def _marks_for(case: Case, traces: Callable[[str], Any] | None) -> list[Mark]:
    if traces is not None and case.source:
        try:
            ts = traces(case.source)
            if ts is not None:
                events = raw_events_for(ts, case.user_id)
                if case.event_index is not None:
                    lo, hi = case.event_index - TIMELINE_AROUND, case.event_index + TIMELINE_AROUND
                    chosen = {i: ev for i, ev in events.items() if lo <= i <= hi}
                else:
                    chosen = {i: ev for i, ev in events.items()
                              if isinstance(ev.get("timestamp"), str) and case.start_ts and case.end_ts
                              and _near_range(ev["timestamp"], case.start_ts, case.end_ts)}
                    if not chosen:
                        chosen = {}
                if chosen:
                    return marks_from_events({**ev, "event_index": i} for i, ev in chosen.items())
        except Exception:  # noqa: BLE001 - the trace moved or changed: fall back to the events stored with the case
            pass
    stored = [dict(n) for n in case.neighbours]
    if case.event is not None and case.event_index is not None:
        stored.append({**case.event, "event_index": case.event_index})
    return marks_from_events(stored)


def _near_range(ts: str, start: str, end: str) -> bool:
    return start[:10] <= ts[:10] <= end[:10]


def _timeline_html(case: Case, traces: Callable[[str], Any] | None, coarsen: str | None = None) -> str:
    if case.snapshot_png and bytes(case.snapshot_png[:8]) == PNG_MAGIC:
        data = base64.b64encode(bytes(case.snapshot_png)).decode("ascii")
        return (f'<figure class="snapshot"><img src="data:image/png;base64,{data}" '
                f'alt="{e("timeline snapshot of " + case.location())}"></figure>')
    svg = timeline_svg(_marks_for(case, traces), event_index=case.event_index, start_ts=case.start_ts,
                       end_ts=case.end_ts, title=f"timeline around {case.location()}", coarsen=coarsen)
    return f'<figure class="snapshot">{svg}</figure>'


def _renderer(spans: Sequence[Span], target: str, plain: Callable[[str], str]) -> Callable[[str], str]:
    """How to draw the message ``target``: the annotators' spans when it has some, else ``plain``."""
    mine = [s for s in spans if s.target == target and s.status in ("manual", "accepted")]
    return (lambda text: marked_html(text, mine)) if mine else plain


def _compare_html(case: Case, clip: Clipper, spans: Sequence[Span] = ()) -> str:
    models = list(case.models)
    fields = list(case.fields) or list(case.real_values)
    if not fields and not case.predictions:
        return ""
    by_key: dict[tuple[str, str], CasePrediction] = {(p.field, p.model): p for p in case.predictions}
    head = "".join(f"<th>{e(m)}</th>" for m in models)
    rows = []
    for f in fields:
        real = case.real_values.get(f)
        cells = []
        for m in models:
            p = by_key.get((f, m))
            if p is None:
                cells.append("<td>—</td>")
                continue
            if not p.parse_ok:
                cells.append(f'<td class="fail">not parsed{(": " + e(p.error)) if p.error else ""}</td>')
                continue
            agree = _agrees(real, p)
            cls = "" if agree is None else (' class="hit"' if agree else ' class="miss"')
            shown = _fmt_value(p.predicted_label if p.predicted_label is not None else p.predicted_value)
            extra = ""
            if (p.predicted_value is not None and p.predicted_label is not None
                    and p.predicted_value != p.predicted_label and not isinstance(p.predicted_value, str)):
                extra = f' <span class="meta">(p={e(_fmt_value(p.predicted_value))})</span>'
            render = _renderer(spans, f"pred:{m}:{f}", highlight if f == "next_user_message" else e)
            body = clip(f"{m} {f}", shown, render)
            cells.append(f"<td{cls}>{body}{extra}</td>")
        render = _renderer(spans, f"real:{f}", highlight if f == "next_user_message" else e)
        real_html = clip(f"real {f}", _fmt_value(real), render)
        rows.append(f"<tr><th>{e(f)}</th><td>{real_html}</td>{''.join(cells)}</tr>")
    details = []
    for p in case.predictions:
        bits = [f"model {p.model}", f"field {p.field}"]
        if p.memory:
            bits.append(f"memory {p.memory}")
        if p.prompt_hash:
            bits.append(f"prompt {p.prompt_hash[:12]}")
        details.append(f"<h4>{e(' · '.join(bits))}</h4>{pre_html(p.raw_output or '(empty)')}")
    raw = (f"<details><summary>Raw model outputs ({len(case.predictions)})</summary>{''.join(details)}</details>"
           if details else "")
    return (f'<h3>Real against predicted</h3><table class="compare"><thead><tr><th>field</th><th>real</th>'
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{raw}")


def _transcript_html(case: Case, clip: Clipper, spans: Sequence[Span] = ()) -> str:
    if not case.transcript:
        return ""
    target = case.real_values.get("next_user_message")
    target_i = None
    if isinstance(target, str):
        for i in range(len(case.transcript) - 1, -1, -1):
            if case.transcript[i].role == "user" and case.transcript[i].content == target:
                target_i = i
                break
    items = []
    for i, t in enumerate(case.transcript):
        role = t.role if t.role in ("user", "assistant") else "other"
        label = {"user": "user", "assistant": "customer service"}.get(t.role, t.role)
        cls = role + (" target" if i == target_i else "")
        items.append(f'<li class="{cls}"><span class="role">{e(label)}'
                     f'{" — the real next message" if i == target_i else ""}</span>'
                     f"{clip(f'turn {i + 1} ({label})', t.content, _renderer(spans, f'turn:{i}', highlight))}"
                     "</li>")
    sims = []
    for p in case.predictions:
        if p.field == "next_user_message" and p.parse_ok and isinstance(p.predicted_value, str):
            sims.append(f'<div class="sim"><span class="role">simulated by {e(p.model)}</span>'
                        f"{clip(f'message simulated by {p.model}', p.predicted_value, _renderer(spans, f'pred:{p.model}:{p.field}', highlight))}</div>")
    legend = ('<p class="legend">Highlighted: <mark class="m-politeness">politeness</mark> '
              '<mark class="m-hedging">hedging</mark> <mark class="m-complaint">blame / complaint</mark>'
              f" (markers from {e(marker_mod.SOURCE)}).</p>")
    return (f"<h3>Customer-service transcript</h3>{legend}<ol class=\"transcript\">{''.join(items)}</ol>"
            f"{''.join(sims)}")


def _facts_html(case: Case, clip: Clipper) -> str:
    where = (f"event #{case.event_index}" if case.event_index is not None
             else f"{case.start_ts} … {case.end_ts}")
    when = case.event.get("timestamp") if isinstance(case.event, dict) else None
    facts = [("user", case.user_id), ("where", where)]
    if isinstance(when, str):
        facts.append(("event time", when))
    facts += [("scenario", case.scenario or "—"), ("fields", ", ".join(case.fields) or "—"),
              ("source", case.source or "—"), ("author", case.author or "—"),
              ("created", case.created), ("updated", case.updated)]
    hashes = sorted({p.prompt_hash for p in case.predictions if p.prompt_hash})
    if hashes:
        facts.append(("prompt hash", ", ".join(h[:16] for h in hashes)))
    memories = sorted({p.memory for p in case.predictions if p.memory})
    if memories:
        facts.append(("memory", ", ".join(memories)))
    return '<dl class="facts">' + "".join(f"<dt>{e(k)}</dt><dd>{clip(k, str(v))}</dd>" for k, v in facts) + "</dl>"


def _chips(case: Case, tag_info: Mapping[str, Tag]) -> str:
    out = []
    for t in case.tags:
        info = tag_info.get(t)
        label = info.label if info else t
        color = safe_color(info.color) if info else "#888888"
        out.append(f'<span class="chip" style="background:{color}">{e(_short(label, 80))}</span>')
    sev = case.severity if 0 <= case.severity < len(SEVERITY_NAMES) else 0
    out.append(f'<span class="sev sev-{sev}">severity {sev} · {e(SEVERITY_NAMES[sev])}</span>')
    return " ".join(out)


def _short(text: str, limit: int = 300) -> str:
    """A heading-sized piece of ``text`` (ids and names in titles; the facts list holds them whole)."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit:,} more characters)"


def case_html(case: Case, number: int, tag_info: Mapping[str, Tag],
              traces: Callable[[str], Any] | None = None, coarsen: str | None = None,
              spans: Sequence[Span] = ()) -> str:
    """One case as an HTML ``<article>``: facts, note, timeline, real against predicted, dialogue.

    ``traces`` opens a case's trace by path (for the timeline around the event); ``coarsen`` is the
    redaction level of the times shown."""
    anchor = "case-" + "".join(ch for ch in case.id if ch.isalnum() or ch in "-_")[:64]
    title = f"{number}. {_short(case.location())}" + (f" · {_short(case.scenario)}" if case.scenario else "")
    clip = Clipper()
    parts = [f'<article class="case" id="{e(anchor)}"><header><h2>{e(title)}</h2>{_chips(case, tag_info)}</header>',
             _facts_html(case, clip)]
    if case.note:
        parts.append(f'<div class="note">{clip("note", case.note)}</div>')
    parts.append("<h3>Timeline</h3>" + _timeline_html(case, traces, coarsen))
    parts.append(_compare_html(case, clip, spans))
    parts.append(_transcript_html(case, clip, spans))
    parts.append(spans_table_html(spans))
    if case.prompt:
        parts.append(f"<details><summary>Prompt ({len(case.prompt):,} characters)</summary>"
                     f"{pre_html(case.prompt)}</details>")
    if case.event is not None:
        pretty = orjson.dumps(case.event, option=orjson.OPT_INDENT_2, default=str).decode("utf-8")
        parts.append(f"<details><summary>Raw event</summary>{pre_html(pretty)}</details>")
    if case.neighbours:
        lines = []
        for n in case.neighbours:
            scen = canonical_scenario(n.get("type"))
            lines.append(f"#{n.get('event_index')} {n.get('timestamp')} {scen} "
                         f"({('view', 'engagement', 'conversion')[outcome_of(n)]})")
        parts.append(f"<details><summary>Neighbouring events ({len(case.neighbours)})</summary>"
                     f"{pre_html(chr(10).join(lines))}</details>")
    parts.append(clip.section_html())
    parts.append("</article>")
    return "".join(parts)


# -- summary --------------------------------------------------------------------------------------

def positive_rates(cases: Sequence[Case]) -> list[tuple[str, list[tuple[str, float | None]]]]:
    """Per binary field: the real positive rate and each model's predicted positive rate over the
    (case, field) pairs the cases hold (only pairs with a real 0/1 value)."""
    binary = _binary_fields()
    real: dict[str, list[int]] = {}
    pred: dict[str, dict[str, list[int]]] = {}
    for c in cases:
        for f, v in c.real_values.items():
            r = _as01(v)
            if r is None or (binary and f not in binary) or f.endswith("_seconds"):
                continue
            real.setdefault(f, []).append(r)
            for p in c.predictions:
                if p.field != f or not p.parse_ok:
                    continue
                label = _as01(p.predicted_label if p.predicted_label is not None else p.predicted_value)
                if label is not None:
                    pred.setdefault(f, {}).setdefault(p.model, []).append(label)
    out = []
    for f in sorted(real):
        bars: list[tuple[str, float | None]] = [("real", sum(real[f]) / len(real[f]))]
        for m, labels in sorted(pred.get(f, {}).items()):
            bars.append((m, sum(labels) / len(labels)))
        out.append((f, bars))
    return out


def dialogue_markers(cases: Sequence[Case]) -> list[tuple[str, list[tuple[str, float | None]]]]:
    """Markers per message, real next user messages against each model's simulated ones."""
    per: dict[str, list[dict[str, int]]] = {}
    for c in cases:
        real = c.real_values.get("next_user_message")
        if isinstance(real, str) and real:
            per.setdefault("real", []).append(marker_mod.marker_counts(real))
        for p in c.predictions:
            if p.field == "next_user_message" and p.parse_ok and isinstance(p.predicted_value, str):
                per.setdefault(p.model, []).append(marker_mod.marker_counts(p.predicted_value))
    if not per:
        return []
    series = ["real"] + sorted(k for k in per if k != "real")
    out = []
    for cat in marker_mod.CATEGORIES:
        bars: list[tuple[str, float | None]] = []
        for s in series:
            counts = per.get(s, [])
            bars.append((s, sum(x[cat] for x in counts) / len(counts) if counts else None))
        out.append((cat, bars))
    return out


def summary_html(cases: Sequence[Case], tag_info: Mapping[str, Tag], extra: str = "") -> str:
    """The report's summary section: counts per tag, severity and model as inline SVG bar charts."""
    counts = Counter(t for c in cases for t in c.tags)
    order = [t for t in tag_info if counts.get(t)] + sorted(t for t in counts if t not in tag_info)
    tag_bars = [(tag_info[t].label if t in tag_info else t, float(counts[t]),
                 tag_info[t].color if t in tag_info else "#888888") for t in order]
    charts = [bar_chart_svg(tag_bars, title="Cases per tag", value_format="{:.0f}")]
    sev = Counter(c.severity for c in cases)
    charts.append(bar_chart_svg([(f"{s} · {SEVERITY_NAMES[s]}", float(sev.get(s, 0)), SERIES_COLORS[0])
                                 for s in range(len(SEVERITY_NAMES))], title="Cases per severity",
                                value_format="{:.0f}"))
    rates = positive_rates(cases)
    if rates:
        charts.append(grouped_bar_svg(rates, title="Positive rate: real against predicted (cases shown)"))
    dial = dialogue_markers(cases)
    if dial:
        vmax = max([v for _, bars in dial for _, v in bars if v is not None] + [1.0])
        charts.append(grouped_bar_svg(dial, title="Markers per customer-service message",
                                      max_value=vmax, value_format="{:.2f}"))
    scen = Counter(c.scenario or "—" for c in cases)
    facts = (f"{len(cases)} case(s) · {len({c.user_id for c in cases})} user(s) · scenarios: "
             + ", ".join(f"{k} {v}" for k, v in sorted(scen.items())))
    return (f'<section class="summary"><h2>Summary</h2><p class="meta">{e(facts)}</p>'
            f'<div class="charts">{"".join(charts)}</div>{extra}</section>')


def toc_html(cases: Sequence[Case]) -> str:
    """The table of contents linking to each case (empty string for no cases)."""
    if not cases:
        return ""
    items = []
    for _i, c in enumerate(cases, 1):
        anchor = "case-" + "".join(ch for ch in c.id if ch.isalnum() or ch in "-_")[:64]
        label = _short(f"{c.location()}" + (f" · {c.scenario}" if c.scenario else ""))
        items.append(f'<li><a href="#{e(anchor)}">{e(label)}</a></li>')
    return f'<nav class="toc"><h2>Cases</h2><ol>{"".join(items)}</ol></nav>'


def render_report(cases: Iterable[Case], *, title: str = "Annotated cases",
                  taxonomy: Sequence[Tag] = (), traces: Callable[[str], Any] | None = None,
                  generated: datetime | None = None, note: str = "", coarsen: str | None = None,
                  spans: Mapping[str, Sequence[Span]] | None = None, first_section: str = "") -> str:
    """The report as one HTML string. ``traces(source)`` may return a loaded TraceSet to draw a wider
    timeline than the stored neighbours (give None for redacted exports). ``coarsen`` ("hour"/"day")
    keeps the report's own times (axis labels, generation time) no finer than the redacted data."""
    case_list = list(cases)
    tag_info = {t.name: t for t in (taxonomy or DEFAULT_TAGS)}
    spans = spans or {}
    all_spans = [s for c in case_list for s in spans.get(c.id, ())]
    body = [first_section, summary_html(case_list, tag_info, lexicon_quality_html(all_spans)), toc_html(case_list)]
    body += [case_html(c, i, tag_info, traces, coarsen, spans.get(c.id, ())) for i, c in enumerate(case_list, 1)]
    when = (generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    subtitle = f"{len(case_list)} case(s) · generated {when}" + (f" · {note}" if note else "")
    if coarsen:
        from workbench.annotate.redact import coarsen_text

        subtitle = coarsen_text(subtitle, coarsen)
    page = Template(_resource("template.html")).substitute(
        csp=e(CSP), title=e(_short(title)), subtitle=e(subtitle), css=_resource("report.css"),
        body="\n".join(body),
        footer=e("Behavior Trace Workbench case report. Self-contained: nothing in this file loads "
                 "anything from elsewhere."))
    return page


# -- browser-free self-containment check ------------------------------------------------------------

_URL_ATTRS = frozenset({"src", "href", "action", "formaction", "srcset", "poster", "data", "background",
                        "cite", "longdesc", "manifest", "ping", "usemap", "xlink:href", "codebase",
                        "archive", "profile", "icon", "dynsrc", "lowsrc"})
_CSS_URL_RE = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)|@import\s+(['\"])(.*?)\3", re.IGNORECASE | re.DOTALL)


def _local_ref(value: str) -> bool:
    v = value.strip().lower()
    return v == "" or v.startswith("#") or v.startswith("data:")


class _RefScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.csp: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs)

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "style":
            self._in_style = True
        if tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp.append(a.get("content", ""))
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.refs.append(f"<meta refresh> {a.get('content', '')}")
        if tag in ("script", "iframe", "object", "embed", "link", "base", "frame", "applet", "portal"):
            self.refs.append(f"<{tag}> element")
        for k, v in a.items():
            if k == "srcset":
                # candidates are separated by a comma plus white space (data: URIs hold bare commas)
                for part in re.split(r",\s+", v.strip()):
                    url = part.strip().split(" ")[0].rstrip(",")
                    if not _local_ref(url):
                        self.refs.append(f"{tag}[{k}]={url}")
            elif k in _URL_ATTRS and not _local_ref(v):
                self.refs.append(f"{tag}[{k}]={v}")
            elif k == "style":
                self._css(v, f"{tag}[style]")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data, "<style>")

    def _css(self, css: str, where: str) -> None:
        for m in _CSS_URL_RE.finditer(css):
            url = m.group(2) if m.group(2) is not None else m.group(4)
            if m.group(0).lower().startswith("@import") or not _local_ref(url or ""):
                self.refs.append(f"{where} {m.group(0)[:80]}")


def external_references(html_text: str) -> list[str]:
    """Everything in ``html_text`` that would make a browser fetch something from outside the file
    (src/href/action/srcset/... not ``data:`` or ``#``, CSS ``url()``/``@import``, script, link,
    iframe, object, embed, base and meta-refresh elements). Empty for a self-contained page."""
    scanner = _RefScanner()
    scanner.feed(html_text)
    scanner.close()
    return scanner.refs


def content_security_policies(html_text: str) -> list[str]:
    """The Content-Security-Policy values of the page's ``<meta http-equiv>`` tags."""
    scanner = _RefScanner()
    scanner.feed(html_text)
    scanner.close()
    return scanner.csp
