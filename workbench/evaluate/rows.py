"""The rows of ``predictions.jsonl``: one typed row per question and model. Layer: evaluate (pure).

:class:`PredictionRow` is what a batch run writes for every question it asks (and what the report,
the bias analyses, the review queues and the Evaluation panel read back, as plain dicts with these
keys in this order). :class:`RowWriter` appends rows to a JSONL file, flushed per row, so an
interrupted run loses at most a torn last line, which :func:`read_rows` skips.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any, Mapping

from workbench.simulate.types import Prediction, Question

__all__ = ["PredictionRow", "QuestionKey", "RowWriter", "question_key", "read_rows", "dumps_row"]


@dataclass(frozen=True)
class PredictionRow:
    """One model's answer to one question of one sampled event, as written to predictions.jsonl.

    ``tokens`` = prompt + completion tokens; ``cost`` in USD (None = unknown, 0 for baselines and
    cached answers); ``parse_ok`` False means the question was not answered (``error`` says why);
    ``test_time_index`` is the event's position in the unfiltered test-window list; ``sample`` which
    repeat of the question this is (0 unless the run asked each question several times)."""

    user_id: str
    event_index: int
    scenario: str
    field: str
    kind: str
    true_value: Any
    predicted_value: Any
    predicted_label: Any
    raw_output: str
    model: str
    tokens: int
    cost: float | None
    parse_ok: bool
    prompt_tokens: int
    completion_tokens: int
    cached: bool
    prediction_method: str
    retry_count: int
    error: str
    video_duration: float
    test_time_index: int
    warnings: tuple[str, ...] = ()      # malformed values the benchmark itself would stop on
    error_kind: str = ""                # why the question was not answered (failed rows only)
    sample: int = 0
    server: str = ""                    # which server of a pool answered (its URL, credentials redacted)


    @classmethod
    def of(cls, user_id: str, event_index: int, scenario: str, test_time_index: int,
           question: Question, p: Prediction, sample: int = 0) -> "PredictionRow":
        """The row of prediction ``p`` to ``question`` of event ``event_index`` of ``user_id``.
        Non-finite floats are kept (written as the JSON extension ``NaN``/``Infinity``), so the
        metrics see what the benchmark sees instead of a silently dropped answer."""
        return cls(user_id=user_id, event_index=event_index, scenario=scenario, field=p.field,
                   kind=question.kind, true_value=question.true_value,
                   predicted_value=p.predicted_value, predicted_label=p.predicted_label,
                   raw_output=p.raw_output, model=p.model,
                   tokens=int(p.prompt_tokens or 0) + int(p.completion_tokens or 0), cost=p.cost,
                   parse_ok=bool(p.parse_ok), prompt_tokens=p.prompt_tokens,
                   completion_tokens=p.completion_tokens, cached=bool(p.cached),
                   prediction_method=p.prediction_method, retry_count=p.retry_count, error=p.error,
                   video_duration=question.video_duration, test_time_index=test_time_index,
                   warnings=tuple(question.extra.get("warnings") or ()),
                   error_kind="" if p.parse_ok else (p.error_kind or "other"), sample=sample,
                   server=p.server)

    def to_dict(self) -> dict[str, Any]:
        """The JSONL object (keys in field order; ``warnings``, ``error_kind`` and ``server`` only
        when set)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.warnings:
            out["warnings"] = list(self.warnings)
        else:
            del out["warnings"]
        if not self.error_kind:
            del out["error_kind"]
        if not self.server:
            del out["server"]
        return out

    @property
    def key(self) -> QuestionKey:
        """(model, user_id, event_index, field[, sample]): one question of one model (see
        :func:`question_key`)."""
        return question_key({"model": self.model, "user_id": self.user_id, "event_index": self.event_index,
                             "field": self.field, "sample": self.sample})


#: (model, user_id, event_index, field), with the sample number appended for samples after the first.
QuestionKey = tuple[str | int, ...]


def question_key(row: Mapping[str, Any]) -> QuestionKey:
    """(model, user_id, event_index, field) of a row dict, plus its ``sample`` number when that is
    more than 0 (so runs of one sample keep their keys). Raises KeyError/TypeError/ValueError when the
    row lacks or mistypes one of them."""
    key: QuestionKey = (str(row["model"]), str(row["user_id"]), int(row["event_index"]), str(row["field"]))
    sample = int(row.get("sample") or 0)
    return key if sample == 0 else (*key, sample)


def dumps_row(row: Mapping[str, Any]) -> str:
    """One JSONL line (without the newline)."""
    return json.dumps(row, ensure_ascii=False, default=str)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a predictions.jsonl / judge.jsonl; a torn last line (interrupt) is ignored; a missing
    file has none."""
    rows: list[dict[str, Any]] = []
    if not path.exists():
        return rows
    with path.open("r", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


class RowWriter:
    """Append-only JSONL writer, flushed per row (an interrupt loses at most a torn line); ``path``
    None writes nothing. Raises OSError when the file cannot be written."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.error: OSError | None = None       # the first write/flush/close failure
        self._f: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._f = path.open("a", encoding="utf-8")

    def write(self, row: Mapping[str, Any]) -> None:
        """Append one row and flush it to the OS. Raises OSError (also kept in ``error``)."""
        if self._f is not None:
            try:
                self._f.write(dumps_row(row) + "\n")
                self._f.flush()
            except OSError as exc:
                self.error = self.error or exc
                raise

    def close(self) -> None:
        """fsync and close (idempotent). A failure to flush the last rows (full disk) does not
        raise: it is kept in ``error`` for the caller to report."""
        if self._f is not None:
            f, self._f = self._f, None
            try:
                f.flush()
                os.fsync(f.fileno())
            except OSError as exc:
                self.error = self.error or exc
            try:
                f.close()
            except OSError as exc:
                self.error = self.error or exc
