"""Annotation queues: which predictions to review, most telling first. Layer: annotate (pure; no Qt).

A queue is built from prediction rows (the ``predictions.jsonl`` a batch run writes, one row per
question: user_id, event_index, scenario, field, kind, true_value, predicted_value, predicted_label,
raw_output, model, parse_ok, ...) or from :class:`~workbench.simulate.types.Prediction` objects with
their place in the trace. :func:`mismatch_queue` keeps every disagreement of one model on one field:

* binary: the predicted label differs from the real 0/1; ranked by the model's confidence in its
  (wrong) label, i.e. the probability it gave that label (hard answers count as 1.0);
* continuous: the absolute error exceeds ``max(abs_tol, rel_tol * |real|)``; ranked by the error;
* text: the normalised texts differ (customer-service messages and search keywords: every
  prediction that is not a verbatim match); kept in input order;
* unparsed answers are always kept, after the ranked ones (they are "parse failure" cases).

The ranking is stable: ties keep the input order. Persist the result with
:meth:`workbench.annotate.store.CaseStore.create_queue`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Mapping

import orjson

from workbench.annotate.store import QueueItem
from workbench.simulate.types import Prediction


class QueueError(ValueError):
    """Bad prediction rows; the message names the file, line and field."""


def load_prediction_rows(path: str | Path) -> list[dict[str, Any]]:
    """Read a ``predictions.jsonl``; a bad line raises :class:`QueueError` naming file and line."""
    p = Path(path)
    rows: list[dict[str, Any]] = []
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise QueueError(f"{p}: cannot read ({exc.strerror or exc})") from None
    for n, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise QueueError(f"{p}:{n}: not valid JSON ({exc})") from None
        if not isinstance(row, dict):
            raise QueueError(f"{p}:{n}: expected a JSON object per line")
        for key in ("user_id", "event_index", "field", "model"):
            if key not in row:
                raise QueueError(f"{p}:{n}: missing key {key!r}")
        rows.append(row)
    return rows


def rows_from_predictions(items: Iterable[tuple[str, int, str, Any, Prediction]],
                          kinds: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """``(user_id, event_index, scenario, true_value, Prediction)`` tuples -> prediction rows.
    ``kinds`` maps field -> kind when it cannot be guessed from the values."""
    rows = []
    for user_id, event_index, scenario, true_value, pred in items:
        kind = (kinds or {}).get(pred.field) or _guess_kind(pred.field, true_value)
        rows.append({"user_id": user_id, "event_index": event_index, "scenario": scenario,
                     "field": pred.field, "kind": kind, "true_value": true_value,
                     "predicted_value": pred.predicted_value, "predicted_label": pred.predicted_label,
                     "raw_output": pred.raw_output, "model": pred.model, "parse_ok": pred.parse_ok})
    return rows


def _guess_kind(field: str, true_value: Any) -> str:
    if field in ("next_user_message", "search_keyword") or isinstance(true_value, str):
        return "text"
    if field.endswith("_seconds"):
        return "continuous"
    return "binary"


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(float(value)):
        return float(value)
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def _norm_text(value: Any) -> str:
    return " ".join(str(value or "").split()).casefold()


def mismatch_queue(rows: Iterable[Mapping[str, Any]], model: str, field: str, *,
                   rel_tol: float = 0.5, abs_tol: float = 1.0) -> list[QueueItem]:
    """Every disagreement of ``model`` on ``field`` in ``rows``, most confident (or largest) first."""
    ranked: list[tuple[float, int, QueueItem]] = []
    unparsed: list[QueueItem] = []
    for n, row in enumerate(rows):
        if row.get("model") != model or row.get("field") != field:
            continue
        kind = row.get("kind") or _guess_kind(field, row.get("true_value"))
        parse_ok = bool(row.get("parse_ok", True))
        true_value, pv, pl = row.get("true_value"), row.get("predicted_value"), row.get("predicted_label")
        try:
            event_index = int(row["event_index"])
        except (TypeError, ValueError, KeyError):
            raise QueueError(f"row {n + 1}: event_index {row.get('event_index')!r} is not an integer") from None
        base: dict[str, Any] = dict(user_id=str(row.get("user_id")), event_index=event_index, field=field, model=model,
                    true_value=true_value, predicted_value=pv, predicted_label=pl,
                    raw_output=str(row.get("raw_output") or ""), parse_ok=parse_ok,
                    scenario=str(row.get("scenario") or ""), memory=str(row.get("memory") or ""),
                    prompt_hash=str(row.get("prompt_hash") or ""))
        if not parse_ok:
            unparsed.append(QueueItem(**base, confidence=0.0))
            continue
        if kind == "binary":
            real, label = _num(true_value), _num(pl)
            if label is None:
                label = _num(pv)
                label = None if label is None else float(label >= 0.5)
            if real is None or label is None or int(real >= 0.5) == int(label >= 0.5):
                continue
            prob = _num(pv)
            if prob is None or not 0.0 <= prob <= 1.0:
                confidence = 1.0
            else:
                confidence = prob if label >= 0.5 else 1.0 - prob
            ranked.append((confidence, n, QueueItem(**base, confidence=confidence)))
        elif kind == "continuous":
            real, pred = _num(true_value), _num(pv if pv is not None else pl)
            if real is None or pred is None:
                continue
            err = abs(pred - real)
            if err <= max(abs_tol, rel_tol * abs(real)):
                continue
            ranked.append((err, n, QueueItem(**base, confidence=err)))
        else:
            if _norm_text(pv if pv is not None else pl) == _norm_text(true_value):
                continue
            ranked.append((0.0, n, QueueItem(**base, confidence=0.0)))
    ranked.sort(key=lambda t: (-t[0], t[1]))
    return [item for _, _, item in ranked] + unparsed
