"""Annotated bias cases as plain frozen data. Layer: annotate (pure; no Qt).

A :class:`Case` ties an analyst's note to one event (``event_index``) or a time range
(``start_ts``..``end_ts``) of one user of a real trace, together with the fields looked at, their
real values, the predictions that were compared (model, memory strategy, prompt hash, value, label,
raw output), tags from the bias taxonomy, a severity (0-3), the note, the author and times.

Timestamps of the trace (``start_ts``, ``end_ts``, the event's ``timestamp``) are kept exactly as the
trace prints them (``YYYY-MM-DD HH:MM:SS`` or date-only). ``created``/``updated`` are UTC ISO-8601.
A case never holds an API key: predictions keep the model string, never call parameters or headers.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from workbench.simulate.types import Prediction
from workbench.traces.dialogue import Turn, event_turns

SEVERITY_MIN, SEVERITY_MAX = 0, 3
SEVERITY_NAMES = ("none", "minor", "major", "critical")


def utc_now() -> str:
    """Current UTC time as ISO-8601 with milliseconds (``2026-11-22T05:14:03.120+00:00``)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_case_id() -> str:
    """A new random case id (32 hex characters)."""
    return uuid.uuid4().hex


def epoch_to_trace_ts(value: float) -> str:
    """Epoch seconds (as the timeline reports them, naive trace times read as UTC) -> trace string."""
    return datetime.fromtimestamp(float(value), tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class CasePrediction:
    """One model's answer as kept in a case (a :class:`Prediction` plus how the prompt was made)."""

    model: str
    field: str
    predicted_value: Any = None
    predicted_label: Any = None
    raw_output: str = ""
    parse_ok: bool = True
    memory: str = ""                # truncate | retrieve | summary | "" (baselines, unknown)
    prompt_hash: str = ""
    prediction_method: str = ""
    error: str = ""

    @classmethod
    def from_prediction(cls, prediction: Prediction, memory: str = "", prompt_hash: str = "") -> "CasePrediction":
        """A case's copy of a :class:`~workbench.simulate.types.Prediction` (values made JSON-safe)."""
        return cls(model=prediction.model, field=prediction.field,
                   predicted_value=_plain(prediction.predicted_value),
                   predicted_label=_plain(prediction.predicted_label),
                   raw_output=prediction.raw_output or "", parse_ok=bool(prediction.parse_ok),
                   memory=memory, prompt_hash=prompt_hash,
                   prediction_method=prediction.prediction_method, error=prediction.error or "")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "CasePrediction":
        """A case prediction from a dict (an export row or an evaluation cell); missing keys get defaults."""
        return cls(model=str(data.get("model", "")), field=str(data.get("field", "")),
                   predicted_value=_plain(data.get("predicted_value")),
                   predicted_label=_plain(data.get("predicted_label")),
                   raw_output=str(data.get("raw_output") or ""),
                   parse_ok=bool(data.get("parse_ok", True)),
                   memory=str(data.get("memory") or ""), prompt_hash=str(data.get("prompt_hash") or ""),
                   prediction_method=str(data.get("prediction_method") or ""),
                   error=str(data.get("error") or ""))

    def to_dict(self) -> dict[str, Any]:
        """The prediction as plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class Case:
    """One annotated case. Build new ones with :func:`new_case`; change them with ``dataclasses.replace``."""

    id: str
    source: str                                   # trace file or folder the case comes from
    user_id: str
    event_index: int | None = None                # one event ...
    start_ts: str | None = None                   # ... or a time range (trace timestamp strings)
    end_ts: str | None = None
    scenario: str = ""
    fields: tuple[str, ...] = ()
    real_values: dict[str, Any] = field(default_factory=dict)          # field -> real value
    predictions: tuple[CasePrediction, ...] = ()
    prompt: str = ""
    transcript: tuple[Turn, ...] = ()             # customer-service dialogue, if any
    event: dict[str, Any] | None = None           # the raw event (type/timestamp/context/action)
    neighbours: tuple[dict[str, Any], ...] = ()   # raw events around it, each with "event_index"
    tags: tuple[str, ...] = ()
    severity: int = 0
    note: str = ""
    author: str = ""
    created: str = ""
    updated: str = ""
    snapshot_png: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.severity, int) or not SEVERITY_MIN <= self.severity <= SEVERITY_MAX:
            raise ValueError(f"case {self.id}: severity must be an integer 0-3, got {self.severity!r}")
        if self.event_index is None and (self.start_ts is None or self.end_ts is None):
            raise ValueError(f"case {self.id}: give an event_index or both start_ts and end_ts")
        if self.start_ts is not None and self.end_ts is not None and self.start_ts > self.end_ts:
            raise ValueError(f"case {self.id}: start_ts {self.start_ts!r} is after end_ts {self.end_ts!r}")

    @property
    def is_range(self) -> bool:
        """Whether the case marks a time range (no single event)."""
        return self.event_index is None

    @property
    def models(self) -> tuple[str, ...]:
        """The models that predicted for this case, in first-seen order, without repeats."""
        return tuple(dict.fromkeys(p.model for p in self.predictions))

    def location(self) -> str:
        """Human description of where the case is: ``user_0001 #12`` or ``user_0001 t0 .. t1``."""
        if self.event_index is not None:
            return f"{self.user_id} #{self.event_index}"
        return f"{self.user_id} {self.start_ts} .. {self.end_ts}"

    def to_dict(self, include_snapshot: bool = False) -> dict[str, Any]:
        """Plain JSON-ready dict (the snapshot PNG is left out unless asked for)."""
        d: dict[str, Any] = {
            "id": self.id, "source": self.source, "user_id": self.user_id,
            "event_index": self.event_index, "start_ts": self.start_ts, "end_ts": self.end_ts,
            "scenario": self.scenario, "fields": list(self.fields),
            "real_values": dict(self.real_values),
            "predictions": [p.to_dict() for p in self.predictions],
            "prompt": self.prompt, "transcript": [t.to_dict() for t in self.transcript],
            "event": self.event, "neighbours": list(self.neighbours), "tags": list(self.tags),
            "severity": self.severity, "note": self.note, "author": self.author,
            "created": self.created, "updated": self.updated,
            "has_snapshot": self.snapshot_png is not None,
        }
        if include_snapshot:
            d["snapshot_png"] = self.snapshot_png
        return d


def new_case(*, source: str, user_id: str, event_index: int | None = None,
             start_ts: str | None = None, end_ts: str | None = None, scenario: str = "",
             fields: Iterable[str] = (), real_values: Mapping[str, Any] | None = None,
             predictions: Iterable[CasePrediction | Prediction] = (), prompt: str = "",
             transcript: Iterable[Turn | Mapping[str, Any]] = (), event: Mapping[str, Any] | None = None,
             neighbours: Iterable[Mapping[str, Any]] = (), tags: Iterable[str] = (), severity: int = 0,
             note: str = "", author: str = "", snapshot_png: bytes | None = None,
             memory: str = "", prompt_hash: str = "") -> Case:
    """A fresh case with a new id and both times set to now. ``memory``/``prompt_hash`` apply to
    plain :class:`Prediction` objects given in ``predictions``."""
    now = utc_now()
    preds = tuple(p if isinstance(p, CasePrediction) else CasePrediction.from_prediction(p, memory, prompt_hash)
                  for p in predictions)
    field_list = list(dict.fromkeys(fields))
    for p in preds:
        if p.field and p.field not in field_list:
            field_list.append(p.field)
    return Case(id=new_case_id(), source=str(source), user_id=str(user_id), event_index=event_index,
                start_ts=start_ts, end_ts=end_ts, scenario=scenario, fields=tuple(field_list),
                real_values={k: _plain(v) for k, v in (real_values or {}).items()}, predictions=preds,
                prompt=prompt, transcript=tuple(turns_from(transcript)),
                event=dict(event) if event is not None else None,
                neighbours=tuple(dict(n) for n in neighbours), tags=tuple(dict.fromkeys(tags)),
                severity=int(severity), note=note, author=author, created=now, updated=now,
                snapshot_png=snapshot_png)


def turns_from(items: Iterable[Turn | Mapping[str, Any]]) -> list[Turn]:
    """Turns from Turns or ``{role, content}`` mappings."""
    return [Turn.of(t) for t in items]


def dialogue_of(event: Mapping[str, Any] | None) -> list[Turn]:
    """The customer-service transcript of a raw event (every turn of its first ``dialogue``
    action, see :func:`workbench.traces.dialogue.event_turns`), or []."""
    return event_turns(event)


def touch(case: Case, **changes: Any) -> Case:
    """``replace`` plus a fresh ``updated`` time."""
    return replace(case, updated=utc_now(), **changes)


def _plain(value: Any) -> Any:
    """Numbers, strings, bools, None, lists and dicts pass; numpy scalars become Python; NaN/inf -> None."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return _plain(item())
        except (TypeError, ValueError):
            pass
    return str(value)
