"""Exports of annotated cases: JSONL, CSV, Parquet (and HTML via ``report``). Layer: annotate (pure).

Every export goes through a :class:`~workbench.annotate.redact.Redactor` first (pseudonymous ids,
coarse times, secret scrubbing), then is written to a temporary file beside the target and renamed
over it, so a crash never leaves half a file.

* **JSONL**: one case per line, serialised by orjson (strict JSON: NaN/inf become null, no
  non-JSON tokens), with its context: the raw event (``context``/``action``) and the neighbouring
  raw events, each with its ``event_index``.
* **CSV** (stdlib ``csv``): one row per case; nested values as JSON text. Control, bidi-override and
  zero-width characters are shown as ``\\xNN``/``\\uNNNN`` (in JSON cells as JSON ``\\uNNNN``
  escapes, so the JSON stays valid). A cell a spreadsheet could run as a formula gets a leading
  single quote: one starting with ``=``, ``+``, ``-``, ``@``, tab, carriage return, line feed or NUL
  (the OWASP list plus line feed), and one whose first visible character is such a sign (also in
  its fullwidth or small forms, ``＝＋－＠``) after leading white space, control or format characters
  (a BOM) and quotes.
* **Parquet** (polars): typed columns; lists as List(String); predictions and transcripts as lists
  of structs (prediction values as JSON text, since they mix numbers and strings).

Marker spans (:mod:`workbench.annotate.spans`) go with their case in every format: a ``spans`` list
in JSONL, a ``spans`` JSON column in CSV, a list of structs in Parquet, highlights and a table in
the HTML report. When redaction changes a message (a pseudonymised id, a scrubbed key), each span's
quote is redacted the same way and its code-point offsets are moved to where the quote now stands.

Snapshot PNGs are not exported in these formats (the HTML report embeds them).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path
from dataclasses import replace
from typing import Any, Callable, Iterable, Mapping, Sequence

import orjson

from workbench.annotate.model import Case
from workbench.annotate.redact import RedactionError, Redactor
from workbench.annotate.spans import Span, SpanError, relocate, target_text
from workbench import fileio
from workbench.textsafe import UNSAFE, visible

FORMATS = ("jsonl", "csv", "parquet", "html")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
_FORMULA_SIGNS = frozenset("=+-@")
_QUOTES = frozenset("\"'`\uff02\uff07\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u00ab\u00bb\u2039\u203a")

CSV_COLUMNS = ("id", "user_id", "source", "event_index", "start_ts", "end_ts", "scenario", "fields",
               "tags", "severity", "note", "author", "created", "updated", "real_values", "models",
               "predictions", "prompt_hashes", "prompt", "transcript", "event", "neighbours", "spans")

_JSON_CSV_COLUMNS = frozenset({"real_values", "predictions", "transcript", "event", "neighbours", "spans"})
SpanMap = Mapping[str, Sequence[Span]]


class ExportError(Exception):
    """An export could not be written; the message names the file."""


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode("utf-8")


def _formula_risk(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (see the module docstring)."""
    if text.startswith(_FORMULA_START):
        return True
    for ch in text:
        if ch.isspace() or ch in _QUOTES or unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        return unicodedata.normalize("NFKC", ch)[:1] in _FORMULA_SIGNS
    return False


def neutralise_cell(value: Any, *, json_text: bool = False) -> str:
    """A CSV cell as text: control and bidi characters made visible (JSON escapes in JSON text),
    then a leading single quote when a spreadsheet could run it as a formula."""
    raw = "" if value is None else str(value)
    if json_text:
        text = UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", raw)
    else:
        text = visible(raw.replace("\r\n", "\n"))
    if _formula_risk(raw) or _formula_risk(text):
        return "'" + text
    return text


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """:func:`workbench.fileio.atomic_write`, with file-system errors as :class:`ExportError`."""
    try:
        return fileio.atomic_write(path, write)
    except OSError as exc:
        raise ExportError(f"{Path(path)}: cannot write ({exc.strerror or exc})") from None


def case_record(case: Case, spans: SpanMap | None = None) -> dict[str, Any]:
    """The exported dict of one (already redacted) case, with its spans."""
    return {**case.to_dict(include_snapshot=False), "spans": _span_dicts(case, spans)}


def _span_dicts(case: Case, spans: SpanMap | None) -> list[dict[str, Any]]:
    return [s.to_dict() for s in (spans or {}).get(case.id, ())]


def redact_spans(red: Redactor, originals: Sequence[Case], exported: Sequence[Case],
                 spans: SpanMap | None) -> dict[str, list[Span]]:
    """Spans as they stand in the redacted cases (``originals`` and ``exported`` in the same order):
    quote and annotator redacted, offsets moved to the redacted quote's place in the redacted text."""
    out: dict[str, list[Span]] = {}
    for orig, exp in zip(originals, exported):
        for s in (spans or {}).get(orig.id, ()):
            quote = red.text(s.quote)
            moved = replace(s, quote=quote, annotator=red.text(s.annotator))
            try:
                text, new_text = target_text(orig, s.target), target_text(exp, s.target)
            except SpanError:
                out.setdefault(orig.id, []).append(moved)
                continue
            if new_text != text:
                start = len(red.text(text[:s.start]))
                moved = relocate(replace(moved, start=start, end=start + len(quote)), new_text) or moved
            out.setdefault(orig.id, []).append(moved)
    return out


def fill_context(cases: Iterable[Case], traces: Callable[[str], Any] | None) -> list[Case]:
    """Cases that lack their raw event or neighbours (e.g. marked in the GUI without them) get them
    from the trace when ``traces(source)`` can load it; the others are returned unchanged."""
    from dataclasses import replace as _replace

    from workbench.annotate.context import CaseContextError, neighbours_of, raw_events_for

    out = []
    for c in cases:
        if traces is None or (c.event is not None and c.neighbours) or not c.source:
            out.append(c)
            continue
        try:
            ts = traces(c.source)
            events = raw_events_for(ts, c.user_id) if ts is not None else None
        except (CaseContextError, OSError, KeyError, ValueError):
            events = None
        if not events:
            out.append(c)
            continue
        if c.event_index is not None:
            event = c.event if c.event is not None else (
                dict(events[c.event_index]) if c.event_index in events else None)
            neighbours = c.neighbours or tuple(neighbours_of(events, c.event_index))
        else:
            event = c.event
            neighbours = c.neighbours or tuple(neighbours_of(events, None, start_ts=c.start_ts,
                                                             end_ts=c.end_ts, around=1))
        out.append(_replace(c, event=event, neighbours=tuple(neighbours)))
    return out


# -- formats ----------------------------------------------------------------------------------------

def jsonl_bytes(cases: Iterable[Case], spans: SpanMap | None = None) -> bytes:
    """The cases as JSON Lines (UTF-8), one case record per line, with their marker spans."""
    return b"".join(orjson.dumps(case_record(c, spans), default=str, option=orjson.OPT_APPEND_NEWLINE)
                    for c in cases)


def csv_text(cases: Iterable[Case], spans: SpanMap | None = None) -> str:
    """The cases as CSV text (CRLF line ends, the :data:`CSV_COLUMNS` header; nested values as JSON)."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in cases:
        row = {
            "id": c.id, "user_id": c.user_id, "source": c.source, "event_index": c.event_index,
            "start_ts": c.start_ts, "end_ts": c.end_ts, "scenario": c.scenario,
            "fields": ";".join(c.fields), "tags": ";".join(c.tags), "severity": c.severity,
            "note": c.note, "author": c.author, "created": c.created, "updated": c.updated,
            "real_values": _json(c.real_values), "models": ";".join(c.models),
            "predictions": _json([p.to_dict() for p in c.predictions]),
            "prompt_hashes": ";".join(dict.fromkeys(p.prompt_hash for p in c.predictions if p.prompt_hash)),
            "prompt": c.prompt, "transcript": _json([t.to_dict() for t in c.transcript]),
            "event": _json(c.event) if c.event is not None else "",
            "neighbours": _json(list(c.neighbours)), "spans": _json(_span_dicts(c, spans)),
        }
        writer.writerow([neutralise_cell(row[k], json_text=k in _JSON_CSV_COLUMNS) for k in CSV_COLUMNS])
    return buf.getvalue()


def parquet_frame(cases: Iterable[Case], spans: SpanMap | None = None):  # -> polars.DataFrame
    """The cases as a polars DataFrame with a fixed schema (nested predictions, transcript, spans)."""
    import polars as pl

    pred_struct = pl.Struct({"model": pl.String(), "field": pl.String(), "memory": pl.String(),
                             "prompt_hash": pl.String(), "predicted_value": pl.String(),
                             "predicted_label": pl.String(), "raw_output": pl.String(),
                             "parse_ok": pl.Boolean(), "prediction_method": pl.String(),
                             "error": pl.String()})
    turn_struct = pl.Struct({"role": pl.String(), "content": pl.String()})
    span_struct = pl.Struct({"id": pl.String(), "case_id": pl.String(), "target": pl.String(),
                             "start": pl.Int64(), "end": pl.Int64(), "quote": pl.String(),
                             "marker": pl.String(), "status": pl.String(), "source": pl.String(),
                             "lang": pl.String(), "annotator": pl.String(), "created": pl.String()})
    schema = {
        "id": pl.String(), "user_id": pl.String(), "source": pl.String(), "event_index": pl.Int64(),
        "start_ts": pl.String(), "end_ts": pl.String(), "scenario": pl.String(),
        "fields": pl.List(pl.String()), "tags": pl.List(pl.String()), "severity": pl.Int8(),
        "note": pl.String(), "author": pl.String(), "created": pl.String(), "updated": pl.String(),
        "real_values": pl.String(), "predictions": pl.List(pred_struct), "prompt": pl.String(),
        "transcript": pl.List(turn_struct), "event": pl.String(), "neighbours": pl.String(),
        "spans": pl.List(span_struct),
    }
    rows = []
    for c in cases:
        rows.append({
            "id": c.id, "user_id": c.user_id, "source": c.source, "event_index": c.event_index,
            "start_ts": c.start_ts, "end_ts": c.end_ts, "scenario": c.scenario,
            "fields": list(c.fields), "tags": list(c.tags), "severity": c.severity, "note": c.note,
            "author": c.author, "created": c.created, "updated": c.updated,
            "real_values": _json(c.real_values),
            "predictions": [{**p.to_dict(), "predicted_value": _json(p.predicted_value),
                             "predicted_label": _json(p.predicted_label)} for p in c.predictions],
            "prompt": c.prompt, "transcript": [t.to_dict() for t in c.transcript],
            "event": _json(c.event) if c.event is not None else None,
            "neighbours": _json(list(c.neighbours)), "spans": _span_dicts(c, spans),
        })
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


# -- entry point ------------------------------------------------------------------------------------

def export_cases(cases: Iterable[Case], fmt: str, out: str | Path, *, redactor: Redactor | None = None,
                 title: str = "Annotated cases", taxonomy: Iterable[Any] = (),
                 traces: Callable[[str], Any] | None = None, spans: SpanMap | None = None,
                 stakeholder: Any = None) -> Path:
    """Write ``cases`` to ``out`` in ``fmt`` (jsonl, csv, parquet, html) after redaction.

    ``taxonomy`` (a list of :class:`~workbench.annotate.taxonomy.Tag`) gives the report its tag
    labels and colours; ``traces`` (source -> TraceSet or None) fills in the raw event and the
    neighbouring events of cases stored without them, and lets the report draw a wider timeline
    around each case than the stored neighbours. ``spans`` (case id -> spans) are exported with
    their cases; ``stakeholder`` (:class:`~workbench.annotate.stakeholder.StakeholderFacts`) gives the
    HTML report its first, one-minute section.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    red = redactor or Redactor()
    filled = fill_context(cases, traces)
    try:
        exported = red.cases(filled)
        out_spans = redact_spans(red, filled, exported, spans)
    except RedactionError as exc:
        raise ExportError(f"{Path(out)}: {exc}") from None
    if fmt == "jsonl":
        data = jsonl_bytes(exported, out_spans)
        return atomic_write(out, lambda p: p.write_bytes(data))
    if fmt == "csv":
        text = csv_text(exported, out_spans)
        return atomic_write(out, lambda p: p.write_bytes(text.encode("utf-8-sig")))
    if fmt == "parquet":
        frame = parquet_frame(exported, out_spans)
        return atomic_write(out, lambda p: frame.write_parquet(p, compression="zstd"))
    from workbench.annotate.report import render_report
    from workbench.annotate.stakeholder import stakeholder_html

    # a redacting export draws only the (redacted) stored events: the trace itself is not redacted
    notes = []
    if red.pseudonymise:
        notes.append("user ids pseudonymised")
    if red.coarsen:
        notes.append(f"times coarsened to the {red.coarsen}")
    tags = [replace(t, label=red.text(t.label), description=red.text(t.description)) for t in taxonomy]
    if red.pseudonymise and stakeholder is not None:  # the pairs' users, even without a case of theirs
        red.learn_users(item.user_id for item, _ in stakeholder.pairs)
    html_text = render_report(exported, title=red.text(title), taxonomy=tags,
                              traces=None if red.active else traces, note=", ".join(notes),
                              coarsen=red.coarsen, spans=out_spans,
                              first_section=stakeholder_html(stakeholder, exported, red.text))
    return atomic_write(out, lambda p: p.write_bytes(html_text.encode("utf-8")))
