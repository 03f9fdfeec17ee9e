"""Marking cases: the API other panels call (through the main window) to create a case for one event
or a time range of one user. Layer: app (Qt).

:class:`CaseMarkingMixin` is part of :class:`workbench.app.cases_panel.CasesPanel`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable

from workbench.annotate.model import Case, CasePrediction, epoch_to_trace_ts, new_case, turns_from
from workbench.simulate.types import Prediction


class CaseMarkingMixin:
    """``mark_event`` and ``mark_range`` of the Cases panel."""

    def mark_event(self, user_id: str, event_index: int, fields: Iterable[str] = (), *,
                   predictions: Iterable[Prediction | CasePrediction] = (), prompt: Any = "",
                   tags: Iterable[str] = (), note: str = "", severity: int = 0,
                   memory: str = "", prompt_hash: str = "", transcript: Iterable[Any] | None = None,
                   snapshot_png: bytes | None = None, select: bool = True) -> Case | None:
        """Create a case for one event (from the side-by-side panel, a dialogue message or an
        evaluation cell). With a dataset open, the event, its neighbours and the real values of
        ``fields`` are taken from the trace; predictions keep model, memory strategy and prompt hash.
        ``prompt`` is the prompt text or a ``workbench.simulate.types.Prompt`` (whose memory strategy
        and hash are then used)."""
        if self.store is None:
            self.state.post_error("No case store", "Open a trace (or a case store) before marking cases.")
            return None
        if self._refuse_read_only():
            return None
        if not isinstance(prompt, str):  # a workbench.simulate.types.Prompt: keep its strategy and hash
            memory = memory or str(getattr(prompt, "memory", "") or "")
            prompt_hash = prompt_hash or str(getattr(prompt, "prompt_hash", "") or "")
            prompt = str(getattr(prompt, "text", "") or "")
        preds = [p if isinstance(p, CasePrediction) else CasePrediction.from_prediction(p, memory, prompt_hash)
                 for p in predictions]
        field_list = list(dict.fromkeys([*fields, *(p.field for p in preds if p.field)]))
        try:
            tag_names = [self.store.resolve_tag(t).name for t in tags]
        except KeyError as exc:
            self.state.post_error("Unknown tag", str(exc.args[0]))
            return None
        case: Case | None = None
        dataset = self.state.dataset
        if dataset is not None:
            try:
                from workbench.annotate.context import case_from_trace

                case = case_from_trace(dataset, user_id, event_index, fields=field_list, predictions=preds,
                                       tags=tag_names, note=note, severity=severity, author=self.author,
                                       prompt=prompt)
            except Exception:  # noqa: BLE001 - a field without a question, a moved trace
                case = None  # a field without a question, a moved trace: keep what we were given
            if case is None:
                try:
                    from workbench.annotate.context import case_from_trace

                    base = case_from_trace(dataset, user_id, event_index)
                    case = replace(base, fields=tuple(field_list), predictions=tuple(preds),
                                   real_values={f: v for f, v in base.real_values.items() if f in field_list},
                                   tags=tuple(tag_names), note=note, severity=severity, author=self.author,
                                   prompt=prompt)
                except Exception:  # noqa: BLE001 - as above: keep what we were given
                    case = None
        if case is None:
            case = new_case(source=str(getattr(dataset, "source", "") or ""), user_id=user_id,
                            event_index=event_index, fields=field_list, predictions=preds, prompt=prompt,
                            tags=tag_names, note=note, severity=severity, author=self.author)
        if transcript is not None:
            case = replace(case, transcript=tuple(turns_from(transcript)))
        if snapshot_png is not None:
            case = replace(case, snapshot_png=bytes(snapshot_png))
        if self._guard("Cannot save the case", self.store.add_case, case) is None:
            return None
        self.case_added.emit(case.id)
        self.state.post_status(f"Case marked: {case.location()}")
        if select:
            self._leave_queue()
            self.refresh()
            row = self.model.row_of(case.id)
            if row >= 0:
                self.view.selectRow(row)
            else:
                self._show_case(case)
        else:
            self.refresh()
        return case

    def mark_range(self, user_id: str, t0: float | str, t1: float | str, *, tags: Iterable[str] = (),
                   note: str = "", snapshot_png: bytes | None = None) -> Case | None:
        """Create a case for a time range of one user's timeline (epoch seconds as the timeline
        reports them, or trace timestamp strings)."""
        if self.store is None:
            self.state.post_error("No case store", "Open a trace (or a case store) before marking cases.")
            return None
        if self._refuse_read_only():
            return None
        start = t0 if isinstance(t0, str) else epoch_to_trace_ts(t0)
        end = t1 if isinstance(t1, str) else epoch_to_trace_ts(t1)
        if start > end:
            start, end = end, start
        try:
            tag_names = [self.store.resolve_tag(t).name for t in tags]
        except KeyError as exc:
            self.state.post_error("Unknown tag", str(exc.args[0]))
            return None
        case = None
        if self.state.dataset is not None:
            try:
                from workbench.annotate.context import case_for_range, raw_events_for

                case = case_for_range(raw_events_for(self.state.dataset, user_id),
                                      source=str(self.state.dataset.source), user_id=user_id, start_ts=start,
                                      end_ts=end, tags=tag_names, note=note, author=self.author)
            except Exception:  # noqa: BLE001 - a moved trace: keep the range as given
                case = None
        if case is None:
            case = new_case(source=str(getattr(self.state.dataset, "source", "") or ""), user_id=user_id,
                            start_ts=start, end_ts=end, tags=tag_names, note=note, author=self.author)
        if snapshot_png is not None:
            case = replace(case, snapshot_png=bytes(snapshot_png))
        if self._guard("Cannot save the case", self.store.add_case, case) is None:
            return None
        self.case_added.emit(case.id)
        self._leave_queue()
        self.refresh()
        row = self.model.row_of(case.id)
        if row >= 0:
            self.view.selectRow(row)
        return case
