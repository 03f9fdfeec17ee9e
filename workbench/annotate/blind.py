"""The blind test: "which one is the real user?". Layer: annotate (pure; no Qt).

Items are built from a model's answers in an evaluation run (``predictions.jsonl``): for a
customer-service event, the dialogue so far (from the trace, when given) and then the real next user
message and the model's predicted one; for any other event, the real reactions and the model's
predicted reactions, written out by the same function (:func:`reactions_text`) so the wording gives
nothing away. Which side (A or B) is real is drawn from a seeded generator and stored with the item.

Items also come from predictions made one event at a time (the Predict panel):
:func:`items_from_event_results` turns each event's questions and every model's answers into the
run's row shape and hands them to the same :func:`build_items`.

The annotator picks A or B with a confidence (1-3) and optional reasons (taxonomy tags). The
*detection rate* is the share of picks that found the real side; 50% is chance. Its 95% interval is
Wilson's score interval (good at small n and near 0 or 1, unlike the normal approximation).
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

if TYPE_CHECKING:
    from workbench.simulate.types import Prediction, Question

CS_FIELD = "next_user_message"
SIDES = ("A", "B")


class BlindError(ValueError):
    """Items could not be built (no answers of the model, bad rows); the message says why."""


@dataclass(frozen=True)
class BlindItem:
    """One question of a blind session. ``context`` is the dialogue so far (list of role/content)."""

    id: str
    position: int
    user_id: str
    event_index: int
    scenario: str
    model: str
    kind: str                 # "message" (customer service) or "reactions"
    context: tuple[Mapping[str, str], ...]
    a_text: str
    b_text: str
    real_side: str            # "A" or "B"
    source: str = ""          # the run the item came from

    def to_dict(self) -> dict[str, Any]:
        """The item as plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class Pick:
    """An annotator's answer to one item: the side they think is real, confidence 1-3, reasons."""

    item_id: str
    annotator: str
    pick: str
    confidence: int
    reasons: tuple[str, ...] = ()
    note: str = ""
    created: str = ""


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
        if not math.isfinite(v):
            return "unknown"
        if v in (0.0, 1.0):
            return "yes" if v == 1.0 else "no"
        return f"{v:.0f}" if abs(v) >= 10 else f"{v:.1f}"
    if value is None:
        return "unknown"
    return " ".join(str(value).split())


def reactions_text(values: Mapping[str, Any]) -> str:
    """Reactions in plain words, one per line, in field order (the same for real and predicted)."""
    return "\n".join(f"{field.replace('_', ' ')}: {_fmt(values[field])}" for field in sorted(values))


def _predicted(row: Mapping[str, Any]) -> Any:
    label = row.get("predicted_label")
    return label if label is not None else row.get("predicted_value")


def build_items(rows: Iterable[Mapping[str, Any]], model: str, n: int, *, seed: int = 0,
                dialogues: Mapping[tuple[str, int], Sequence[Mapping[str, str]]] | None = None,
                source: str = "") -> list[BlindItem]:
    """Up to ``n`` items from ``model``'s answered rows (events drawn with ``random.Random(seed)``).
    ``dialogues`` gives each customer-service event's turns before the real next message."""
    by_event: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for r in rows:
        if r.get("model") == model and r.get("parse_ok", True) and _predicted(r) is not None:
            by_event.setdefault((str(r["user_id"]), int(r["event_index"])), []).append(r)
    if not by_event:
        raise BlindError(f"no answered question of model {model!r} in the run")
    rng = random.Random(seed)
    keys = sorted(by_event)
    rng.shuffle(keys)
    items: list[BlindItem] = []
    for key in keys:
        if len(items) >= n:
            break
        ev_rows = by_event[key]
        scenario = str(ev_rows[0].get("scenario") or "")
        cs = next((r for r in ev_rows if r.get("field") == CS_FIELD), None)
        if cs is not None:
            real, fake = str(cs.get("true_value") or ""), str(_predicted(cs) or "")
            if not real.strip() or not fake.strip():
                continue
            kind = "message"
            context = tuple(dict(t) for t in (dialogues or {}).get(key, ()))
        else:
            fields = [r for r in ev_rows if r.get("true_value") is not None]
            if not fields:
                continue
            real = reactions_text({str(r["field"]): r["true_value"] for r in fields})
            fake = reactions_text({str(r["field"]): _predicted(r) for r in fields})
            kind, context = "reactions", ()
        real_side = rng.choice(SIDES)
        a, b = (real, fake) if real_side == "A" else (fake, real)
        items.append(BlindItem(uuid.uuid4().hex, len(items), key[0], key[1], scenario, model, kind,
                               context, a, b, real_side, source))
    if not items:
        raise BlindError(f"model {model!r} has no event with a real and a predicted answer to compare")
    return items


def dialogue_so_far(question: Question) -> list[dict[str, str]]:
    """The turns before a customer-service question's target turn (the one the model had to write), as
    role/content dicts; [] for any other question. The benchmark's target is the last *qualifying*
    user turn, so a later rating or transfer line never leaks the real message into the context."""
    turns = question.extra.get("dialogue_candidates") or []
    return [{"role": str(t.get("role", "")), "content": str(t.get("content", ""))} for t in turns]


#: one predicted event: (user_id, event_index, scenario, questions, model -> predictions aligned with them)
PredictedEvent = tuple[str, int, str, Sequence["Question"], Mapping[str, Sequence["Prediction"]]]


def items_from_event_results(events: Iterable[PredictedEvent], *, seed: int = 0, source: str = "") -> list[BlindItem]:
    """Items from predictions made event by event (one item per event and model that answered), built
    by :func:`build_items` from the same rows an evaluation run writes; the order of all items is
    drawn from ``random.Random(seed)`` and numbered from 0. BlindError when no model answered."""
    from workbench.evaluate.rows import PredictionRow

    rows: list[dict[str, Any]] = []
    dialogues: dict[tuple[str, int], list[dict[str, str]]] = {}
    keys: set[tuple[str, int]] = set()
    for user, index, scenario, questions, predictions in events:
        keys.add((user, index))
        for q in questions:
            if q.field == CS_FIELD:
                dialogues[(user, index)] = dialogue_so_far(q)
        for preds in predictions.values():
            rows += [PredictionRow.of(user, index, scenario, -1, q, p).to_dict() for q, p in zip(questions, preds)]
    items: list[BlindItem] = []
    for k, model in enumerate(dict.fromkeys(str(r["model"]) for r in rows)):
        try:
            items += build_items(rows, model, len(keys), seed=seed + k, dialogues=dialogues, source=source)
        except BlindError:
            continue                      # this model answered nothing comparable: the others still count
    if not items:
        raise BlindError("no prediction has a real and a predicted answer to compare (run Predict first)")
    random.Random(seed).shuffle(items)
    return [replace(item, position=i) for i, item in enumerate(items)]


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's score interval for ``k`` successes in ``n`` trials (95% by default); (0, 1) for n=0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class DetectionRate:
    """How often annotators found the real side, for one model (and scenario, "" = all)."""

    model: str
    scenario: str
    picks: int
    correct: int
    rate: float | None
    low: float | None
    high: float | None
    chance: float = 0.5

    @property
    def better_than_chance(self) -> bool:
        """Whether the interval's low end lies above chance (annotators reliably find the real side)."""
        return self.low is not None and self.low > self.chance


def detection_rates(items: Sequence[BlindItem], picks: Iterable[Pick]) -> list[DetectionRate]:
    """Per model over all scenarios, then per model and scenario, with Wilson 95% intervals."""
    by_id = {i.id: i for i in items}
    tallies: dict[tuple[str, str], list[int]] = {}
    for p in picks:
        item = by_id.get(p.item_id)
        if item is None:
            continue
        hit = int(p.pick == item.real_side)
        for key in ((item.model, ""), (item.model, item.scenario)):
            t = tallies.setdefault(key, [0, 0])
            t[0] += 1
            t[1] += hit
    out = []
    for (model, scenario), (n, k) in sorted(tallies.items()):
        low, high = wilson(k, n)
        out.append(DetectionRate(model, scenario, n, k, k / n, low, high))
    return out
