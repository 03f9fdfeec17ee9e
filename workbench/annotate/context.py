"""A case's place in its trace: the event, its neighbours, its real values. Layer: annotate (pure).

Works on raw OmniBehavior event dicts (``type``/``timestamp``/``context``/``action``) so it needs
only a list of a user's events; :func:`case_from_trace` fetches them from a loaded
``workbench.traces.TraceSet``. Real values come from the benchmark's own question rules
(``workbench.simulate.questions.questions_for_event``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from workbench.annotate.model import Case, CasePrediction, Turn, dialogue_of, new_case
from workbench.traces.numbers import to_number
from workbench.traces.schema import ENGAGEMENT_TYPES, OTHER, SCENARIOS, canonical_scenario, parse_timestamp

if TYPE_CHECKING:
    from workbench.traces.traceset import TraceSet

#: Raw neighbouring events stored with a case on each side of its event (export context).
NEIGHBOURS = 3


class CaseContextError(LookupError):
    """The event or user a case points at is not in the trace; the message names them."""


def outcome_of(event: Mapping[str, Any]) -> int:
    """0 passive view, 1 engagement, 2 conversion: the same rule as the trace table's ``outcome``."""
    engaged = converted = False
    for a in event.get("action") or []:
        if not isinstance(a, Mapping):
            continue
        t = a.get("type")
        if t in ENGAGEMENT_TYPES:
            engaged = True
        elif t == "cart" and a.get("is_add_to_cart"):
            converted = True
        elif t == "purchase" and (a.get("is_pay") or a.get("paid") or a.get("order_success")
                                  or (to_number(a.get("pay_cnt")) or 0) > 0):
            converted = True
        elif t == "activation" and (to_number(a.get("activation_cnt")) or 0) > 0:
            converted = True
        elif t == "submit" and (to_number(a.get("form_submit_total_cnt")) or 0) > 0:
            converted = True
        elif t == "conversion" and (to_number(a.get("conversion_cnt")) or 0) > 0:
            converted = True
        elif t == "click_cart" and a.get("is_click_cart_action"):
            converted = True
    return 2 if converted else 1 if engaged else 0


@dataclass(frozen=True)
class Mark:
    """One event on a case's timeline sketch."""

    event_index: int
    ts: str
    scenario: str          # canonical English (one of SCENARIOS)
    outcome: int


def marks_from_events(events: Iterable[Mapping[str, Any]]) -> list[Mark]:
    """Timeline marks from raw events that carry an ``event_index`` key (as stored neighbours do)."""
    out = []
    for ev in events:
        idx = ev.get("event_index")
        ts = ev.get("timestamp")
        if not isinstance(idx, int) or not isinstance(ts, str):
            continue
        scen = canonical_scenario(ev.get("type"))
        out.append(Mark(idx, ts, scen if scen in SCENARIOS else OTHER, outcome_of(ev)))
    out.sort(key=lambda m: (m.ts, m.event_index))
    return out


Events = Sequence[Mapping[str, Any]] | Mapping[int, Mapping[str, Any]]


def _indexed(raw_events: Events) -> dict[int, Mapping[str, Any]]:
    """A user's events keyed by ``event_index`` (a list's positions are its event indices)."""
    if isinstance(raw_events, Mapping):
        return {int(k): v for k, v in sorted(raw_events.items())}
    return dict(enumerate(raw_events))


def neighbours_of(raw_events: Events, event_index: int | None = None, *,
                  start_ts: str | None = None, end_ts: str | None = None,
                  around: int = NEIGHBOURS) -> list[dict[str, Any]]:
    """Raw events around an event (``around`` on each side, the event itself excluded) or, for a time
    range, the events inside it plus ``around`` on each side. Each gets its ``event_index``."""
    events = _indexed(raw_events)
    order = list(events)
    if event_index is not None:
        if event_index not in events:
            return []
        pos = order.index(event_index)
        picked = [i for i in order[max(0, pos - around):pos + around + 1] if i != event_index]
    else:
        inside = [p for p, i in enumerate(order)
                  if isinstance(events[i].get("timestamp"), str) and start_ts is not None
                  and end_ts is not None and start_ts <= events[i]["timestamp"] <= end_ts]
        picked = order[max(0, inside[0] - around):inside[-1] + around + 1] if inside else []
    return [{**dict(events[i]), "event_index": i} for i in picked]


def real_values_of(event: Mapping[str, Any], fields: Iterable[str] = ()) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The benchmark's ground truth for the event's questions: ``(field -> value, all fields)``.
    When ``fields`` is given only those are returned (a field the event has no question for is
    reported with :class:`CaseContextError`)."""
    from workbench.simulate.questions import questions_for_event

    questions = questions_for_event(dict(event))
    values = {q.field: q.true_value for q in questions}
    wanted = tuple(fields)
    if wanted:
        missing = [f for f in wanted if f not in values]
        if missing:
            raise CaseContextError(f"no question {', '.join(missing)} for this event "
                                   f"(it has: {', '.join(values) or 'none'})")
        return {f: values[f] for f in wanted}, wanted
    return values, tuple(values)


def case_from_events(raw_events: Events, *, source: str, user_id: str,
                     event_index: int, fields: Iterable[str] = (),
                     predictions: Iterable[CasePrediction] = (), tags: Iterable[str] = (),
                     note: str = "", severity: int = 0, author: str = "", prompt: str = "",
                     around: int = NEIGHBOURS) -> Case:
    """A new case for ``raw_events[event_index]`` of one user: the event, its neighbours, its scenario,
    the real values of its questions (all of them unless ``fields`` names some) and its dialogue."""
    events = _indexed(raw_events)
    if event_index not in events:
        span = f"events {min(events)}-{max(events)}" if events else "no events"
        raise CaseContextError(f"{source}: user {user_id} has no event {event_index} ({span})")
    event = dict(events[event_index])
    real, field_names = real_values_of(event, fields)
    transcript: list[Turn] = dialogue_of(event)
    return new_case(source=source, user_id=user_id, event_index=event_index,
                    scenario=canonical_scenario(event.get("type")), fields=field_names,
                    real_values=real, predictions=predictions, prompt=prompt, transcript=transcript,
                    event=event, neighbours=neighbours_of(events, event_index, around=around),
                    tags=tags, severity=severity, note=note, author=author)


def case_for_range(raw_events: Events, *, source: str, user_id: str,
                   start_ts: str, end_ts: str, tags: Iterable[str] = (), note: str = "",
                   severity: int = 0, author: str = "", around: int = 1) -> Case:
    """A new case for a time range of one user (trace timestamp strings, compared as the benchmark
    compares them: as strings). The range's events are kept as its neighbours."""
    if start_ts > end_ts:
        start_ts, end_ts = end_ts, start_ts
    for ts in (start_ts, end_ts):
        if parse_timestamp(ts)[0] is None:
            raise CaseContextError(f"{source}: {ts!r} is not a 'YYYY-MM-DD[ HH:MM:SS]' time")
    neighbours = neighbours_of(raw_events, None, start_ts=start_ts, end_ts=end_ts, around=around)
    inside = {canonical_scenario(n.get("type")) for n in neighbours
              if isinstance(n.get("timestamp"), str) and start_ts <= n["timestamp"] <= end_ts}
    scenario = inside.pop() if len(inside) == 1 else ("mixed" if inside else "")
    return new_case(source=source, user_id=user_id, start_ts=start_ts, end_ts=end_ts, scenario=scenario,
                    neighbours=neighbours, tags=tags, severity=severity, note=note, author=author)


def raw_events_for(traces: TraceSet, user_id: str) -> dict[int, dict[str, Any]]:
    """A user's raw events keyed by ``event_index`` from a ``TraceSet`` (decoded once and shared:
    ``TraceSet.user``), naming the trace when the user is missing. An event the importer had to
    skip leaves a gap instead of shifting the indices. Treat the events as read-only."""
    if not traces.has_user(user_id):
        ids = traces.user_ids()
        sample = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
        raise CaseContextError(f"{getattr(traces, 'source', 'trace')}: no user {user_id!r} (users: {sample})")
    return traces.user(user_id).raw()


def case_from_trace(traces: TraceSet, user_id: str, event_index: int, **kwargs: Any) -> Case:
    """:func:`case_from_events` over a loaded ``workbench.traces.TraceSet``."""
    return case_from_events(raw_events_for(traces, user_id), source=str(getattr(traces, "source", "")),
                            user_id=user_id, event_index=event_index, **kwargs)
