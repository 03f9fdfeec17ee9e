"""The main window's heavy panels and case marking. Layer: app (Qt).

The heavy panels (Predict, Evaluation, Cases) get their docks at once (so saved layouts restore and the
View menu lists them) but are imported and built only when first needed: when their dock is first
shown, or when an action needs them (Predict here, Mark case, Presentation mode). Nothing of them is
imported on the way to the first paint. They are wired here: the predict and evaluation panels'
"Mark case", the inspector's "Mark this dialogue" and a timeline range selection go to
``CasesPanel.mark_event`` / ``mark_range``; a reopened range case zooms the timeline.

:class:`WindowCasesMixin` is one part of :class:`workbench.app.main_window.MainWindow`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QIODevice, Qt, QTimer
from PySide6.QtWidgets import QWidget

from workbench.app.settings import annotator_name

if TYPE_CHECKING:  # types only: the heavy panels are imported when first needed
    from workbench.annotate.model import Case
    from workbench.annotate.store import CaseStore
    from workbench.app.annotators_dialog import AgreementDialog
    from workbench.app.blind_dialog import BlindDialog
    from workbench.app.jobs import Job
    from workbench.app.cases_panel import CasesPanel
    from workbench.app.compare_panel import ComparePanel
    from workbench.app.eval_panel import EvaluationPanel
    from workbench.app.export_dialog import ExportDialog
    from workbench.app.opera_panel import OperaEvalPanel
    from workbench.app.population_panel import PopulationPanel
    from workbench.app.predict_panel import PredictPanel
    from workbench.app.presentation import PresentationWindow
    from workbench.app.rollout_panel import RolloutPanel
    from workbench.app.settings_dialog import SettingsDialog


class WindowCasesMixin:
    """Lazily built Predict, Evaluation and Cases panels; marking events, dialogues and ranges."""

    predict_panel: PredictPanel | None          # None until first built
    eval_panel: EvaluationPanel | None
    cases_panel: CasesPanel | None
    population_panel: PopulationPanel | None
    compare_panel: ComparePanel | None
    rollout_panel: RolloutPanel | None
    opera_panel: OperaEvalPanel | None
    presentation: PresentationWindow | None     # the open one, if any

    def _on_lazy_dock_visibility_changed(self, title: str, shown: bool) -> None:
        if shown and self._lazy_panels.get(title) is not None:
            # after this event: a dock shown while the window is first laid out never delays the paint
            QTimer.singleShot(0, lambda: self._build_if_shown(title))

    def _build_if_shown(self, title: str) -> None:
        dock = self.docks.get(title)
        if dock is not None and dock.isVisible() and not dock.visibleRegion().isEmpty():
            self.ensure_panel(title)

    def ensure_panel(self, title: str) -> QWidget:
        """The panel of dock ``title`` (Predict, Evaluation, Cases), built on first use."""
        factory = self._lazy_panels.get(title)
        if factory is None:
            return self.docks[title].widget()
        self._lazy_panels[title] = None
        widget = factory()
        dock = self.docks[title]
        old = dock.widget()
        dock.setWidget(widget)
        if old is not None:
            old.deleteLater()
        return widget

    def show_dock(self, title: str) -> QWidget:
        """Show and raise dock ``title``, building its panel first if needed; returns the panel."""
        widget = self.ensure_panel(title)
        dock = self.docks[title]
        dock.show()
        dock.raise_()
        return widget

    def _create_predict_panel(self) -> QWidget:
        from workbench.app.predict_panel import PredictPanel

        panel = PredictPanel(self.state)
        panel.setObjectName("predict_panel")
        panel.defer_when_hidden = True
        panel.mark_case_requested.connect(self._on_predict_mark_case_requested)
        panel.blind_test_requested.connect(self.blind_test_predictions)
        panel.reference.setText(self.settings.reference_checkout)
        panel.reference.editingFinished.connect(
            lambda: setattr(self.settings, "reference_checkout", panel.reference.text().strip()))
        panel.apply_options(self.settings.predict)          # models, API base, knobs of last time
        panel.options_changed.connect(self._on_predict_options_changed)
        panel.marker.set_host(self.marking_host)
        panel.make_case = self._predict_case_for_marks
        self.predict_panel = panel
        return panel

    def _on_predict_options_changed(self) -> None:
        if self.predict_panel is not None:
            self.settings.predict = self.predict_panel.options()
            self._save_settings()

    def _create_eval_panel(self) -> QWidget:
        from workbench.app.eval_panel import EvaluationPanel

        panel = EvaluationPanel(self.state)
        panel.setObjectName("eval_panel")
        panel.mark_case_requested.connect(self._on_eval_mark_case_requested)
        panel.blind_store_path = self._blind_store_path
        self.eval_panel = panel
        panel.refresh_blind()
        return panel

    def _create_cases_panel(self) -> QWidget:
        from workbench.app.cases_panel import CasesPanel

        panel = CasesPanel(self.state, author=annotator_name(self.settings),
                           hide_others=self.settings.hide_other_annotators, undo_stack=self.undo_stack)
        panel.setObjectName("cases_panel")
        panel.range_reopened.connect(self._on_cases_range_reopened)
        panel.export_requested.connect(self.export_cases)
        panel.marker.set_host(self.marking_host)     # one host: a mark shows in every transcript of its case
        self.cases_panel = panel
        return panel

    def _create_population_panel(self) -> QWidget:
        from workbench.app.population_panel import PopulationPanel

        panel = PopulationPanel(self.state)
        panel.setObjectName("population_panel")
        self.population_panel = panel
        return panel

    def _create_compare_panel(self) -> QWidget:
        from workbench.app.compare_panel import ComparePanel

        panel = ComparePanel(self.state)
        panel.setObjectName("compare_panel")
        self.compare_panel = panel
        return panel

    def _create_rollout_panel(self) -> QWidget:
        from workbench.app.rollout_panel import RolloutPanel

        panel = RolloutPanel(self.state)
        panel.setObjectName("rollout_panel")
        self.rollout_panel = panel
        return panel

    def _create_opera_panel(self) -> QWidget:
        from workbench.app.opera_panel import OperaEvalPanel

        panel = OperaEvalPanel(self.state)
        panel.setObjectName("opera_panel")
        self.opera_panel = panel
        return panel

    def show_opera_eval(self) -> OperaEvalPanel:
        """Show the OPeRA evaluation dock (next-action task on web-shopping sessions)."""
        return self.show_dock("OPeRA evaluation")

    def show_rollout(self) -> RolloutPanel:
        """Show the Rollout dock (the model lives the user's days beside the real ones)."""
        return self.show_dock("Rollout")

    def open_split_view(self) -> QWidget:
        """A window with two users (or two traces) on one linked time axis."""
        from workbench.app.split_view import SplitView

        view = SplitView(self.state, self)
        view.show()
        return view

    def show_compare(self) -> ComparePanel:
        """Show the Compare dock (runs side by side, question by question)."""
        return self.show_dock("Compare")

    def predict_here(self) -> PredictPanel:
        """Show the Predict dock for the selected event and give it the focus."""
        panel = self.show_dock("Predict")
        if self.state.selected_index < 0:
            self.state.post_status("Select an event, then Predict here (Ctrl+P)")
        target = panel.predict_button if panel.predict_button.isEnabled() else panel
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return panel

    def timeline_png(self, event_index: int | None = None) -> bytes:
        """The timeline as PNG bytes (the snapshot stored with a case), with the predicted values
        (ghost marks) of ``event_index`` only: another event's predictions never enter a case."""
        from widgets.timeline import GhostSpec

        marks = [m for m in self.session.ghost_marks(self.state.ghosts)
                 if event_index is not None and m.event_id == event_index]
        self.timeline.set_ghosts([GhostSpec(event_id=m.event_id, lane=m.lane, agrees=m.agrees, label=m.label)
                                  for m in marks])
        try:
            buf = QBuffer()
            buf.open(QIODevice.OpenModeFlag.WriteOnly)
            self.timeline.grab().save(buf, "PNG")
            buf.close()
        finally:
            self._on_state_ghosts_changed()        # what the selection shows again
        return bytes(buf.data().data())

    def _cases(self) -> CasesPanel:
        return self.ensure_panel("Cases")

    def _cases_unopened(self) -> tuple[str, bool] | None:
        """(annotator, blind annotation) while the lazy Cases panel is not built and the open
        trace has no case store yet: a transcript then shows no stored marks, and the panel (and its
        store file) are made by the first mark; None once there is a panel or a store to read."""
        if self.cases_panel is not None:
            return None
        if self.state.dataset is not None:
            from workbench.annotate.store import default_store_path

            if default_store_path(getattr(self.state.dataset, "source", None)).exists():
                return None
        return annotator_name(self.settings), self.settings.hide_other_annotators

    def _announce_case(self, case: Case | None) -> None:
        if case is not None:
            self.docks["Cases"].show()
            self.state.post_status(f"Case marked: {case.location()} (Cases panel)")

    def _on_predict_mark_case_requested(self) -> None:
        payload = self.predict_panel.case_payload() if self.predict_panel is not None else None
        if payload is None:
            self.state.post_status("Run a prediction first: the case keeps its predictions")
            return
        self._announce_case(self._cases().mark_event(**payload,
                                                     snapshot_png=self.timeline_png(payload["event_index"])))

    def _predict_case_for_marks(self) -> Case | None:
        """The case a first mark in the Predict panel's transcript makes: the event with the run's
        predictions (as Mark case), or, before any run, its dialogue alone."""
        payload = self.predict_panel.case_payload() if self.predict_panel is not None else None
        if payload is None:
            return self.mark_dialogue()
        case = self._cases().mark_event(**payload, snapshot_png=self.timeline_png(payload["event_index"]))
        self._announce_case(case)
        return case

    def _on_eval_mark_case_requested(self, payload: dict) -> None:
        from workbench.annotate.model import CasePrediction

        payload = dict(payload)
        payload["predictions"] = [CasePrediction.from_mapping(p) for p in payload.get("predictions", [])]
        self._announce_case(self._cases().mark_event(**payload, snapshot_png=self.timeline_png(None)))

    def mark_selected_event(self) -> Case | None:
        """Mark the selected event as a case (with a timeline snapshot); the case, or None."""
        if self.track is None or self.state.selected_index < 0:
            self.state.post_status("Select an event to mark it as a case")
            return None
        user, ev = self.track.user_id, self.state.selected_index
        payload = (self.predict_panel.case_payload(user, ev) if self.predict_panel is not None else None) \
            or {"user_id": user, "event_index": ev}
        case = self._cases().mark_event(**payload, snapshot_png=self.timeline_png(ev))
        self._announce_case(case)
        return case

    def mark_dialogue(self) -> Case | None:
        """Mark the selected customer-service event with its transcript (the inspector's dialogue)."""
        ev = self.state.selected_index
        events = self.state.current_events() if self.track is not None and ev >= 0 else None
        turns = events.turns(ev) if events is not None else []
        if not turns:
            self.state.post_status("Select a customer-service event with a dialogue to mark it")
            return None
        case = self._cases().mark_event(self.track.user_id, ev, ["next_user_message"], transcript=turns,
                                        snapshot_png=self.timeline_png(ev))
        self._announce_case(case)
        return case

    def mark_time_range(self, t0: float | None = None, t1: float | None = None) -> Case | None:
        """Mark ``t0..t1`` (default: the range last selected with Shift+drag) of the current user."""
        rng = (t0, t1) if t0 is not None and t1 is not None else self.session.last_range
        if self.track is None or rng is None:
            self.state.post_status("Select a time range on the timeline first (Shift+drag)")
            return None
        case = self._cases().mark_range(self.track.user_id, float(rng[0]), float(rng[1]),
                                        snapshot_png=self.timeline_png(None))
        if case is not None:
            self.mark_range_button.hide()
            self._announce_case(case)
        return case

    def _on_mark_range_button_clicked(self) -> None:
        self.mark_time_range()

    def _on_cases_range_reopened(self, user_id: str, t0: float, t1: float) -> None:
        if self.track is not None and self.track.user_id == user_id and not self._jobs.get("track"):
            self.timeline.set_range(t0, t1)
        else:  # that user's track is loading: show the range when it is in
            self.session.pending["range"] = (t0, t1)

    def export_cases(self) -> ExportDialog | None:
        """File ▸ Export cases…: the export dialog on the Cases panel's cases (non-modal)."""
        from workbench.app.export_dialog import ExportDialog

        panel = self._cases()
        if panel.store is None:
            self.state.post_status("Open a trace (or a case store) before exporting cases")
            return None
        run = self.eval_panel.out_dir if self.eval_panel is not None and self.eval_panel.report else None
        dialog = ExportDialog(panel, self, run_dir=run)
        dialog.exported.connect(lambda path: self.state.post_status(f"Cases exported to {path}"))
        dialog.show()
        self.export_dialog = dialog
        return dialog

    def open_presentation(self) -> PresentationWindow | None:
        """Presentation mode on the cases listed (filtered) in the Cases panel."""
        window = self._cases().present()
        if window is not None:
            self.presentation = window
            window.destroyed.connect(lambda *_: setattr(self, "presentation", None))
        return window

    def open_blind_test(self) -> BlindDialog | None:
        """File ▸ Blind test…: the keyboard-only blind test on a case store's items (built with
        ``workbench blind build``); the annotator is the one of Edit ▸ Settings…."""
        from workbench.app.blind_dialog import open_blind_test

        held = self.cases_panel.store if self.cases_panel is not None else None
        dialog = open_blind_test(self, annotator_name(self.settings), held=held)
        if dialog is not None:
            self._watch_blind_dialog(dialog)
        return dialog

    def blind_test_predictions(self) -> BlindDialog | None:
        """Predict ▸ Blind test these predictions…: one item per event predicted since the last blind
        test and per model, stored in the Cases panel's store, walked at once in the blind dialog."""
        import random

        from workbench.annotate.blind import BlindError, items_from_event_results
        from workbench.app.blind_dialog import BlindDialog

        panel, store = self.predict_panel, self._cases().store
        if panel is None or store is None:
            self.state.post_status("Open a trace (or a case store) first: the blind items are stored with the cases")
            return None
        seed = random.SystemRandom().randrange(2**31)
        source = str(getattr(self.state.dataset, "source", "") or "")
        try:
            items = store.append_blind_items(items_from_event_results(panel.blind_events(), seed=seed, source=source))
        except BlindError as exc:
            self.state.post_error("Blind test", str(exc))
            return None
        except Exception as exc:  # noqa: BLE001 - a store error is shown, never raised into Qt
            self.state.post_error("Blind test", f"{store.path}: the items could not be stored: {exc}")
            return None
        panel.clear_blind_pool()
        dialog = BlindDialog(store, annotator_name(self.settings), parent=self, among=[i.id for i in items])
        self._watch_blind_dialog(dialog)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        self.state.post_status(f"Blind test: {len(items)} item(s) in {store.path} (A/B order seed {seed})")
        return dialog

    def _watch_blind_dialog(self, dialog: BlindDialog) -> None:
        """The Evaluation chart and the Cases list follow the dialog's picks (an easy pick is a case)."""
        self.blind_dialog = dialog
        self._blind_store = str(dialog.store.path)
        dialog.picked.connect(self._on_blind_picked)
        self._on_blind_picked()

    def _on_blind_picked(self) -> None:
        if self.eval_panel is not None:
            self.eval_panel.refresh_blind()
        if self.cases_panel is not None:
            self.cases_panel.refresh()

    def _blind_store_path(self) -> CaseStore | Path | None:
        """What the Evaluation panel's blind chart reads: the last blind session's store, else the Cases
        panel's; the store object itself when this window already holds that file open (a second
        connection opened and closed in this process would drop SQLite's locks on the file)."""
        held = self.cases_panel.store if self.cases_panel is not None else None
        dialog = getattr(self, "blind_dialog", None)
        wanted = getattr(self, "_blind_store", None)
        for store in (held, dialog.store if dialog is not None and dialog.isVisible() else None):
            if store is not None and (not wanted or Path(store.path) == Path(wanted)):
                return store
        return Path(wanted) if wanted else None

    def merge_case_stores(self) -> Job | None:
        """File ▸ Merge case stores…: several analysts' stores into a new one, on a worker."""
        from workbench.app.annotators_dialog import merge_case_stores

        return merge_case_stores(self, self.state)

    def open_agreement(self) -> AgreementDialog | None:
        """File ▸ Annotator agreement…: coefficients, disagreement queue, Y/N adjudication (decided by
        the annotator of Edit ▸ Settings…)."""
        from workbench.app.annotators_dialog import open_agreement

        return open_agreement(self, annotator_name(self.settings))

    def open_settings(self) -> SettingsDialog:
        """Edit ▸ Settings…: the annotator name and blind annotation; saved and applied on OK."""
        from workbench.app.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        dialog.accepted.connect(self._on_settings_accepted)
        dialog.open()                              # window-modal: the window's keys wait for it
        dialog.activateWindow()
        dialog.annotator.setFocus()
        self.settings_dialog = dialog
        return dialog

    def _on_settings_accepted(self) -> None:
        self._save_settings()
        who = annotator_name(self.settings)
        if self.cases_panel is not None:
            self.cases_panel.set_annotator(who, hide_others=self.settings.hide_other_annotators)
        self.marking_host.annotator_changed.emit()      # the inspector's marked words, shown again
        self.state.post_status(f"Annotator: {who}" + (" (other annotators' labels hidden)"
                                                      if self.settings.hide_other_annotators else ""))

    def shutdown_panels(self) -> None:
        """Stop the panels' coroutines and close the case store (the window is closing)."""
        if self.predict_panel is not None and self.predict_panel.is_running():
            self.predict_panel._on_cancel_clicked()
        if self.eval_panel is not None:
            self.eval_panel.cancel()
        if self.cases_panel is not None:
            self.cases_panel.shutdown()
        if self.presentation is not None:
            self.presentation.close()

