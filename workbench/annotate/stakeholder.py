"""The report's first section, for a reader who is not a specialist: one minute to read. Layer:
annotate (pure; no Qt).

* the blind test: how often annotators told the real user from each model, with its 95% interval and
  what that means against the 50% of guessing;
* the three most telling real-against-simulated pairs, as the annotators chose them (picks they were
  sure of, confidence 3, and got right; those with reasons first);
* the hyper-activity gap: with an evaluation run, the run's own measure (``report.json``: per model the
  share of binary questions the real users engaged on against the model's share, pooled over the
  fields, and the mean per-field gap), naming the run; without one, how often each model predicted
  "yes" on the binary questions of the cases shown, against how often the real users did;
* the agreement between annotators, each coefficient with its number of items and one sentence on
  what it means.

Every free text (messages, reasons) goes through the export's redaction before it is escaped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from workbench.annotate.agreement import AgreementReport, LabelAgreement, meaning
from workbench.annotate.blind import BlindItem, DetectionRate, Pick, detection_rates
from workbench.annotate.model import Case
from workbench.annotate.svg import e
from workbench.traces.schema import english_scenario

class RunGapError(ValueError):
    """An evaluation run's hyper-activity could not be read; the message names the file and why."""


@dataclass(frozen=True)
class ModelGap:
    """One model's hyper-activity in a run: binary questions, real and predicted engagement rate
    (share answered yes, 0-1, pooled over the fields) and the mean per-field gap (rate points / 100)."""

    model: str
    questions: int
    real_rate: float
    predicted_rate: float
    mean_field_gap: float | None


@dataclass(frozen=True)
class RunGap:
    """The hyper-activity measure of one evaluation run (``run``: the run's folder name)."""

    run: str
    models: tuple[ModelGap, ...]


def run_gap(report: Mapping[str, Any], run: str) -> RunGap:
    """The hyper-activity of every model in a run's ``report.json`` data (``biases.hyperactivity``):
    per model the question-weighted real and predicted positive rates over its binary fields.
    RunGapError when the report has no binary question."""
    hyper = (report.get("biases") or {}).get("hyperactivity") or {}
    models = []
    for model, rates in (hyper.get("fields") or {}).items():
        n = sum(int(r.get("n") or 0) for r in rates)
        if n <= 0:
            continue
        real = sum(int(r["n"]) * float(r["real_rate"]) for r in rates) / n
        pred = sum(int(r["n"]) * float(r["predicted_rate"]) for r in rates) / n
        gap = (hyper.get("mean_gap") or {}).get(model)
        models.append(ModelGap(str(model), n, real, pred, None if gap is None else float(gap)))
    if not models:
        raise RunGapError(f"run {run}: its report has no answered yes/no question (no hyper-activity to show)")
    return RunGap(run, tuple(models))


def load_run_gap(path: str | Path) -> RunGap:
    """:func:`run_gap` of an evaluation run folder (or its ``report.json``). RunGapError naming the file
    when it is missing, not JSON or holds no hyper-activity measure."""
    path = Path(path)
    report_file = path / "report.json" if path.is_dir() else path
    try:
        data = json.loads(report_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RunGapError(f"{report_file}: cannot read the evaluation report ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise RunGapError(f"{report_file}: not a JSON evaluation report ({exc})") from None
    if not isinstance(data, dict):
        raise RunGapError(f"{report_file}: not an evaluation report (a JSON object is expected)")
    try:
        return run_gap(data, report_file.parent.name)
    except RunGapError as exc:
        raise RunGapError(f"{report_file}: {exc}") from None
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise RunGapError(f"{report_file}: malformed biases.hyperactivity ({exc!r})") from None


@dataclass
class StakeholderFacts:
    """What the first section shows (any part may be empty); ``gap``: an evaluation run's
    hyper-activity, used instead of the cases' when given."""

    detection: list[DetectionRate] = field(default_factory=list)
    pairs: list[tuple[BlindItem, Pick]] = field(default_factory=list)
    agreement: AgreementReport | None = None
    gap: RunGap | None = None


def stakeholder_facts(items: Sequence[BlindItem], picks: Sequence[Pick],
                      agreement: AgreementReport | None = None, gap: RunGap | None = None) -> StakeholderFacts:
    """The section's facts from a store's blind session and agreement report (and a run's
    hyper-activity, :func:`load_run_gap`)."""
    by_id = {i.id: i for i in items}
    sure = [(by_id[p.item_id], p) for p in picks
            if p.item_id in by_id and p.confidence == 3 and p.pick == by_id[p.item_id].real_side]
    sure.sort(key=lambda ip: (-len(ip[1].reasons), ip[1].created))
    return StakeholderFacts([r for r in detection_rates(items, picks) if r.scenario == ""], sure[:3], agreement, gap)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


def _detection_html(rates: Sequence[DetectionRate]) -> str:
    rows = []
    for r in rates:
        if r.better_than_chance:
            verdict = "better than guessing: people can tell this simulator from real users"
        elif r.high is not None and r.high < 0.5:
            verdict = "worse than guessing: the simulated side looked more real than the real one"
        else:
            verdict = "not distinguishable from guessing (50%) with this many comparisons"
        rows.append(f"<li><b>{e(r.model)}</b>: the real user was found in {r.correct} of {r.picks} blind "
                    f"comparisons ({_pct(r.rate)}; 95% interval {_pct(r.low)}–{_pct(r.high)}) — {e(verdict)}.</li>")
    return "<h3>Can people tell the simulator from real users?</h3><ul>" + "".join(rows) + "</ul>" if rows else ""


def _pairs_html(pairs: Sequence[tuple[BlindItem, Pick]], text: Callable[[str], str]) -> str:
    if not pairs:
        return ""
    out = ["<h3>The most telling pairs (the annotators' choice)</h3>"]
    for item, pick in pairs:
        real = item.a_text if item.real_side == "A" else item.b_text
        fake = item.b_text if item.real_side == "A" else item.a_text
        why = (" · why: " + ", ".join(pick.reasons)) if pick.reasons else ""
        where = english_scenario(item.scenario) if item.scenario else "event"
        out.append(f'<div class="pair"><p class="meta">{e(text(where))}{e(text(why))}</p>'
                   f'<div class="sim"><span class="role">real user</span>{e(text(real))}</div>'
                   f'<div class="sim"><span class="role">simulated by {e(item.model)}</span>{e(text(fake))}</div></div>')
    return "".join(out)


def _run_gap_html(gap: RunGap, text: Callable[[str], str]) -> str:
    rows = []
    for m in gap.models:
        per_field = "" if m.mean_field_gap is None else f"; per field on average {100 * m.mean_field_gap:+.0f} points"
        rows.append(f"<li><b>{e(m.model)}</b> engaged (answered “yes”) on {_pct(m.predicted_rate)} of "
                    f"{m.questions:,} yes/no questions where the real users did on {_pct(m.real_rate)} (gap "
                    f"{100 * (m.predicted_rate - m.real_rate):+.0f} points{per_field}).</li>")
    return ("<h3>Hyper-activity: do simulated users act more than real ones?</h3>"
            f"<p class=\"legend\">Measured by evaluation run <b>{e(text(gap.run))}</b> (its report.json): the share "
            "of the sampled events' yes/no questions (like, comment, share, buy, …) answered yes, real users "
            "against each model.</p><ul>" + "".join(rows) + "</ul>")


def _gap_html(cases: Sequence[Case], gap: RunGap | None = None, text: Callable[[str], str] = str) -> str:
    if gap is not None:
        return _run_gap_html(gap, text)
    from workbench.annotate.report import positive_rates

    pooled: dict[str, list[float]] = {}
    real_all: list[float] = []
    for _, bars in positive_rates(cases):
        for name, v in bars:
            if v is None:
                continue
            (real_all if name == "real" else pooled.setdefault(name, [])).append(v)
    if not real_all or not pooled:
        return ""
    real = sum(real_all) / len(real_all)
    rows = [f"<li><b>{e(m)}</b> predicted “yes” {_pct(sum(v) / len(v))} of the time where real users did "
            f"{_pct(real)} (gap {100 * (sum(v) / len(v) - real):+.0f} points).</li>" for m, v in sorted(pooled.items())]
    return ("<h3>Hyper-activity: do simulated users act more than real ones?</h3>"
            "<p class=\"legend\">Mean positive rate over the binary questions of the cases in this report "
            "(no evaluation run was given).</p>"
            "<ul>" + "".join(rows) + "</ul>")


def _agreement_html(report: AgreementReport | None) -> str:
    if report is None or report.overall is None:
        return ""
    label: LabelAgreement = report.overall
    items = []
    for c in label.coefficients:
        value = "undefined" if c.value is None else f"{c.value:.2f}"
        items.append(f"<li><b>{value}</b> ({c.items} items, {c.annotators} annotators) — "
                     f"{e(meaning(c.name))}</li>")
    who = ", ".join(report.annotators)
    return (f"<h3>Do annotators agree?</h3><p>{len(report.annotators)} annotators ({e(who)}) rated "
            f"{report.shared_items} items in common; all tags pooled:</p><ul>{''.join(items)}</ul>")


def stakeholder_html(facts: StakeholderFacts | None, cases: Sequence[Case],
                     text: Callable[[str], str] = str) -> str:
    """The section as HTML ("" when there is nothing to say); ``text`` redacts free text."""
    if facts is None:
        return ""
    parts = [_detection_html(facts.detection), _pairs_html(facts.pairs, text), _gap_html(cases, facts.gap, text),
             _agreement_html(facts.agreement)]
    body = "".join(p for p in parts if p)
    if not body:
        return ""
    return f'<section class="stakeholder"><h2>In one minute</h2>{body}</section>'
