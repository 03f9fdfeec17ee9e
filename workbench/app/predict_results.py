"""The Predict panel's results: the side-by-side table, ghost marks, the dialogue note. Layer: app (Qt).

:class:`PredictResultsMixin` is mixed into :class:`workbench.app.predict_panel.PredictPanel`: it fills
the comparison table as answers arrive, and when a run ends puts ghost marks on the timeline,
highlights the history the memory strategy chose, shows the real and predicted next message of a
dialogue and keeps the result for "Mark case" (:meth:`case_payload`). Every predicted event also
joins the pool that "Blind test these predictions…" turns into blind items (:meth:`blind_events`).
"""

from __future__ import annotations

from typing import Any

from widgets.comparison import ComparisonCell, ComparisonRow
from workbench.app.llm_fields import dropped_params_note
from workbench.app.state import GhostMark, Highlight

MEMORY_COLOR = "#f0a030"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.3f}".rstrip("0")
    return str(value)


def agrees(kind: str, real: Any, pred: Any) -> bool | None:
    """Does a prediction agree with the real value? Binary: same label; continuous: within 50% of
    the larger value (or both 0); text: same text after stripping."""
    if pred is None:
        return None
    try:
        if kind == "binary":
            return int(pred) == int(real)
        if kind == "continuous":
            t, p = float(real), float(pred)
            hi = max(abs(t), abs(p))
            return hi == 0 or abs(t - p) / hi <= 0.5
    except (TypeError, ValueError):
        return None
    return str(pred).strip() == str(real).strip()



class PredictResultsMixin:
    """Show and keep one run's predictions (mixed into the Predict panel, a QWidget subclass)."""

    def _show_table(self, columns: list[str]) -> None:
        self._columns = list(columns)
        rows = [ComparisonRow(q.field, _real_text(q), tuple(ComparisonCell(pending=True) for _ in columns),
                              q.kind) for q in self._questions]
        self.table.set_data(columns, rows)

    def _cell(self, q: Any, p: Any) -> ComparisonCell:
        if not p.parse_ok:
            return ComparisonCell(text="failed", tooltip=f"{p.error}\n\nraw output: {p.raw_output}", failed=True)
        if q.kind == "binary":
            label = "Yes" if p.predicted_label == 1 else "No"
            value = p.predicted_value
            text = label if value in (0.0, 1.0) else f"{label} (P(yes)={value:.2f})"
            pred = p.predicted_label
            key = label
        else:
            text, pred = _fmt(p.predicted_value), p.predicted_value
            key = text
        tip = f"raw output: {p.raw_output}\nmethod: {p.prediction_method}"
        if p.model and not p.model.startswith("baseline:"):
            cost = "cached (free)" if p.cached else ("unknown" if p.cost is None else f"${p.cost:.6f}")
            tip += f"\ntokens: {p.prompt_tokens}+{p.completion_tokens}\ncost: {cost}"
        return ComparisonCell(text=text, tooltip=tip, agrees=agrees(q.kind, q.true_value, pred), key=key)

    def _show_dialogue_note(self, predictions: dict[str, list[Any]]) -> None:
        q = next((q for q in self._questions if q.field == "next_user_message"), None)
        self._show_transcript(q, predictions)
        if q is None:
            self.dialogue_note.setVisible(False)
            return
        lines = [f"<b>Real next message:</b> {_html(q.true_value)}"]
        for model, preds in predictions.items():
            for p in preds:
                if p.field == q.field:
                    shown = _html(p.predicted_value) if p.parse_ok else f"<i>failed: {_html(p.error)}</i>"
                    lines.append(f"<b>{_html(model)}:</b> {shown}")
        self.dialogue_note.setText("<br>".join(lines))
        self.dialogue_note.setVisible(True)

    def _show_transcript(self, q: Any, predictions: dict[str, list[Any]]) -> None:
        """The dialogue up to the real next message and each model's simulated one, in the marking
        transcript (hidden for events without a dialogue question)."""
        from workbench.annotate.model import dialogue_of
        from workbench.app.transcript_marks import Message

        turns = dialogue_of(self._target) if q is not None else []
        last = int(q.extra.get("target_turn_index", len(turns) - 1)) if q is not None else -1
        messages = [Message(t.role, t.content, f"turn:{i}") for i, t in enumerate(turns[:last + 1])]
        if messages:
            messages += [Message("user", p.predicted_value, f"pred:{model}:{p.field}", True, model)
                         for model, preds in predictions.items() for p in preds if p.field == q.field
                         and p.parse_ok and isinstance(p.predicted_value, str) and p.predicted_value]
        self.marker.show(messages, None, self.make_case, (self.state.current_user, self.state.selected_index))
        self.transcript.setVisible(bool(messages))

    def case_payload(self, user_id: str | None = None, event_index: int | None = None) -> dict[str, Any] | None:
        """What "Mark case" saves: the event, its fields, every model's predictions and the prompt of
        the first question (``CasesPanel.mark_event`` keyword arguments), or None without results
        (or when ``user_id``/``event_index`` are given and the results are of another event)."""
        result = self.last_result
        if result is None or self._result_key is None:
            return None
        if user_id is not None and (user_id, event_index) != self._result_key:
            return None
        user, idx = self._result_key
        preds = [p for ps in result.predictions.values() for p in ps]
        fields = [q.field for q in result.questions]
        prompt = result.prompts.get(fields[0]) if fields else None
        payload: dict[str, Any] = {"user_id": user, "event_index": idx, "fields": fields, "predictions": preds,
                                   "prompt": prompt if prompt is not None else ""}
        if self._target is not None:
            from workbench.annotate.model import dialogue_of

            turns = dialogue_of(self._target)
            if turns:
                payload["transcript"] = turns
        return payload

    def _on_runner_prediction(self, run_id: int, p: Any) -> None:
        if run_id != self._run_id:
            return                               # a cancelled run: drop
        try:
            row = next(i for i, q in enumerate(self._questions) if q.field == p.field)
            col = self._columns.index(p.model)
        except (StopIteration, ValueError):
            return
        self.table.set_cell(row, col, self._cell(self._questions[row], p))
        self._done += 1
        self.progress.setValue(self._done)

    def _on_runner_finished(self, result: Any, user: str, idx: int) -> None:
        self.last_result = result
        self._result_key = (user, idx)
        self.mark_button.setEnabled(True)
        self._task = None
        self.predict_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setValue(self.progress.maximum())
        self._prompts.update(result.prompts)
        self._show_prompt()
        ghosts = []
        failures = 0
        cost, unknown = 0.0, False
        for model, preds in result.predictions.items():
            for q, p in zip(result.questions, preds):
                if not p.parse_ok:
                    failures += 1
                    continue
                pred = p.predicted_label if q.kind == "binary" else p.predicted_value
                ghosts.append(GhostMark(user_id=user, event_index=idx, model=model, field=q.field, predicted=pred,
                                        real=q.true_value, agrees=bool(agrees(q.kind, q.true_value, pred))))
                if not model.startswith("baseline:") and not p.cached:
                    if p.cost is None:
                        unknown = True
                    else:
                        cost += p.cost
        # this event's predictions replace its earlier ones; other events keep theirs
        self.state.set_ghosts([g for g in self.state.ghosts if (g.user_id, g.event_index) != (user, idx)] + ghosts)
        self.state.set_highlight(Highlight(name="memory", user_id=user, event_indices=result.history_event_indices,
                                           color=MEMORY_COLOR, label=f"memory: {result.memory}"))
        self._show_dialogue_note(result.predictions)
        self._pool_for_blind_test(result, user, idx)
        msg = f"Done: {len(ghosts)} predictions"
        if failures:
            msg += f", {failures} failed (hover a grey cell for the reason)"
        msg += f"; cost ${cost:.4f}" + (" + unknown" if unknown else "")
        if result.summary_error:
            msg += f"; summary: {result.summary_error}"
        self.status.setText(msg + dropped_params_note())
        self.predictions_finished.emit()


    # -- the blind test ----------------------------------------------------------------------------
    def _pool_for_blind_test(self, result: Any, user: str, idx: int) -> None:
        """Keep this event's questions and every model's answers for the blind test (a later run on
        the same event adds its models, replacing a model's earlier answers)."""
        if self._target is None:
            return
        from workbench.evaluate.sampling import scenario_zh

        earlier = self._blind_pool.get((user, idx))
        predictions = dict(earlier[4]) if earlier else {}
        predictions.update(result.predictions)
        self._blind_pool[(user, idx)] = (user, idx, scenario_zh(self._target), list(result.questions), predictions)
        self._update_blind_button()

    def _update_blind_button(self) -> None:
        n = len(self._blind_pool)
        self.blind_button.setEnabled(n > 0)
        self.blind_button.setToolTip(
            f"Which one is the real user? One A/B item per predicted event and model ({n} event(s) predicted "
            "since the last blind test), stored in the case store; keyboard only: A/B, 1-3, Enter")

    def blind_events(self) -> list[Any]:
        """The events predicted since the last blind test, as
        :data:`workbench.annotate.blind.PredictedEvent` tuples (oldest first)."""
        return list(self._blind_pool.values())

    def clear_blind_pool(self) -> None:
        """Forget the pooled predictions (they are in a blind test now)."""
        self._blind_pool.clear()
        self._update_blind_button()


def _real_text(q: Any) -> str:
    if q.kind == "binary":
        return "Yes" if q.true_value else "No"
    return _fmt(q.true_value)


def _html(value: Any) -> str:
    import html

    return html.escape(str(value))
