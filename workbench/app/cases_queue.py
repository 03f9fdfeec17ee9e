"""The Cases panel's queue walking: a persisted annotation queue walked item by item from where it
was left (J/K), its items' cases created on the first edit. Layer: app (Qt).

:class:`CaseQueueMixin` is part of :class:`workbench.app.cases_panel.CasesPanel`.
"""

from __future__ import annotations

from workbench.annotate.model import Case
from workbench.annotate.store import QueueItem


class CaseQueueMixin:
    """Walking a persisted queue in the Cases panel."""

    def _on_queue_combo_changed(self, _index: int) -> None:
        qid = self.queue_combo.currentData()
        if qid is None:
            self._leave_queue()
            self.refresh()
        else:
            self.start_queue(int(qid))

    def start_queue(self, queue_id: int) -> None:
        """Walk a persisted queue from where it was left."""
        if self.store is None:
            return
        q = self._guard("Cannot open the queue", self.store.get_queue, queue_id)
        items = self._guard("Cannot open the queue", self.store.queue_items, queue_id)
        if q is None or items is None:
            return
        self.flush_note()
        self._queue_id = queue_id
        self._queue = items
        self._queue_pos = min(max(q.position, 0), max(len(items) - 1, 0))
        idx = self.queue_combo.findData(queue_id)
        if idx >= 0 and self.queue_combo.currentIndex() != idx:
            self.queue_combo.blockSignals(True)
            self.queue_combo.setCurrentIndex(idx)
            self.queue_combo.blockSignals(False)
        self._show_queue_item()

    def _leave_queue(self) -> None:
        if self._queue_id is None:
            return
        self.flush_note()
        self._queue_id = None
        self._queue = []
        self.queue_label.setText("")
        self.queue_combo.blockSignals(True)
        self.queue_combo.setCurrentIndex(0)
        self.queue_combo.blockSignals(False)

    def _show_queue_item(self) -> None:
        if not self._queue:
            self.queue_label.setText("queue is empty")
            self._show_case(None)
            return
        item, case_id = self._queue[self._queue_pos]
        case = self._queue_case(item, case_id)
        self.queue_label.setText(f"queue item {self._queue_pos + 1} / {len(self._queue)}")
        self._show_case(case, queue_item=item)
        if case is None:
            self._current_id = None
        row = self.model.row_of(case.id) if case else -1
        if row >= 0:
            self.view.selectionModel().blockSignals(True)
            self.view.selectRow(row)
            self.view.selectionModel().blockSignals(False)
        self.state.select_event(item.user_id, item.event_index)

    def _queue_case(self, item: QueueItem, case_id: str | None) -> Case | None:
        """The annotator's case of a queue item: the linked one when it is theirs, else their own case
        of the same event (another annotator's linked case counts as not annotated yet)."""
        if self.store is None:
            return None
        case = None
        if case_id is not None:
            try:
                case = self.store.get_case(case_id)
            except KeyError:
                case = None
        if case is None or self.is_mine(case):
            return case
        mine = [c for c in self._guard("Cannot read cases", self.store.list_cases, user=item.user_id,
                                       with_snapshots=False) or []
                if c.event_index == item.event_index and c.author.strip() == self.author]
        return mine[0] if mine else None

    def _ensure_queue_case(self) -> Case | None:
        """The walked item's case; created (and linked, unless the item links another annotator's
        case) on the first edit."""
        item, case_id = self._queue[self._queue_pos]
        case = self._queue_case(item, case_id)
        if case is not None:
            return case
        case = self.mark_event(item.user_id, item.event_index, [item.field], predictions=[item.prediction()],
                               select=False)
        if case is None:
            return None
        if case_id is None:
            self._guard("Cannot update the queue", self.store.link_queue_case, self._queue_id,
                        self._queue_pos, case.id)
        self._queue[self._queue_pos] = (item, case.id)
        self._current_id = case.id
        self.delete_button.setEnabled(True)
        return case

    def queue_position(self) -> int:
        return self._queue_pos

    def next_item(self) -> None:
        self._step(+1)

    def previous_item(self) -> None:
        self._step(-1)

    def _step(self, delta: int) -> None:
        if self._queue_id is not None:
            if not self._queue:
                return
            pos = min(max(self._queue_pos + delta, 0), len(self._queue) - 1)
            if pos == self._queue_pos:
                return
            self.flush_note()
            self._queue_pos = pos
            self._guard("Cannot save the queue position", self.store.set_queue_position,  # type: ignore[union-attr]
                        self._queue_id, pos)
            self._show_queue_item()
            return
        n = self.model.rowCount()
        if n == 0:
            return
        cur = self.view.currentIndex().row()
        row = 0 if cur < 0 else min(max(cur + delta, 0), n - 1)
        self.view.selectRow(row)
