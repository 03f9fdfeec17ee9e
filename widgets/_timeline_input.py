"""The timeline's input: mouse (click, double click, hover, Shift+drag, the overview brush), the
keys it answers to, and the throttled range updates. Layer: widgets.

:class:`TimelineInputMixin` is one part of :class:`widgets.timeline.TimelineWidget`; the keys it
handles are listed in the application's shortcuts table.
"""

from __future__ import annotations

import datetime
import math

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QToolTip

from widgets._timeline_data import KIND_NAMES
from widgets._timeline_lanes import MIN_SPAN, PICK_PIXELS


class TimelineInputMixin:
    """Slots of the view box, brush and scene, the tooltip text and the keys of the timeline."""

    # == slots =======================================================================================

    def _on_view_range_changed(self, _vb: object, _rng: object) -> None:
        t0, t1 = self._view_range()
        self._sync_brush(t0, t1)
        if not self._throttle.isActive():
            self._throttle.start()

    def _on_view_resized(self) -> None:
        if not self._throttle.isActive():
            self._throttle.start()

    def _on_throttle_timeout(self) -> None:
        self._refresh()
        t0, t1 = self.visible_range()
        self.range_changed.emit(t0, t1)

    def _on_brush_region_changed(self) -> None:
        if self._syncing:
            return
        lo, hi = self._brush.getRegion()
        if hi - lo < MIN_SPAN:
            return
        self._syncing = True
        try:
            self._vb.setXRange(lo, hi, padding=0.0)
        finally:
            self._syncing = False

    def _on_view_range_selecting(self, t0: float, t1: float, finished: bool) -> None:
        self._range_sel.setRegion((t0, t1))
        self._range_sel.show()
        if finished:
            if t1 > t0:
                self.range_selected.emit(float(self._to_real(t0)), float(self._to_real(t1)))
            else:
                self._range_sel.hide()

    def clear_range_selection(self) -> None:
        self._range_sel.hide()

    def _pick(self, scene_pos: QPointF) -> int | None:
        """Original index of the event under ``scene_pos`` in the lanes plot, or None."""
        if not self._vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = self._vb.mapSceneToView(scene_pos)
        lane = int(round(p.y()))
        px = self._vb.viewPixelSize()[0]
        return self._data.nearest_in_lane(lane, p.x(), PICK_PIXELS * px)

    def _on_scene_clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        pos = ev.scenePos()
        if self._ov_vb.sceneBoundingRect().contains(pos):
            t = self._ov_vb.mapSceneToView(pos).x()
            t0, t1 = self._view_range()
            half = (t1 - t0) / 2.0
            self._set_view(*self._clamped(t - half, t + half))
            return
        if ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            return
        idx = self._pick(pos)
        if idx is None:
            self._range_sel.hide()
            return
        event_id = int(self._data.ids[idx])
        self.setFocus()
        if ev.double():
            self.event_activated.emit(event_id)
        else:
            self.event_clicked.emit(event_id)

    def _on_scene_mouse_moved(self, pos: QPointF) -> None:
        idx = self._pick(pos)
        if idx is None:
            if self._glw.toolTip():
                self._glw.setToolTip("")
                QToolTip.hideText()
            return
        text = self.tooltip_text(int(self._data.ids[idx]))
        self._glw.setToolTip(text)
        global_pos = self._glw.mapToGlobal(self._glw.mapFromScene(pos))
        QToolTip.showText(global_pos, text, self._glw)

    def tooltip_text(self, event_id: int) -> str:
        """The hover text for an event: ``tooltip_provider(event_id)`` if set, else time/lane/kind."""
        idx = self._data.index_of(event_id)
        if idx is None:
            return ""
        text = ""
        if self.tooltip_provider is not None:
            try:
                text = str(self.tooltip_provider(event_id))
            except Exception as exc:  # noqa: BLE001 - a provider bug must not crash the hover
                text = f"(tooltip failed: {type(exc).__name__})"
        if not text:
            when = fmt_utc(float(self._to_real(self._data.t[idx])))
            lane = int(self._data.lane[idx])
            lane_name = self._lanes[lane] if lane < len(self._lanes) else str(lane)
            text = f"{when}  {lane_name}  {KIND_NAMES[int(self._data.kind[idx])]}"
            v = float(self._data.value[idx])
            if math.isfinite(v):
                text += f"  watched {v:g} s"
        for g in self.overlays.ghost_by_index.get(idx, []):
            text += f"\npredicted: {g.label or ('agrees' if g.agrees else 'differs')}"
        return text

    # == keyboard ====================================================================================

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.KeyPress and self._handle_key(event):  # type: ignore[arg-type]
            return True
        if event.type() == QEvent.Type.Resize:
            if obj is self._info:
                self._update_info()
            elif obj is self._glw:
                self._empty_label.setGeometry(self._glw.rect())
        return super().eventFilter(obj, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt naming)
        if not self._handle_key(event):
            super().keyPressEvent(event)

    def _handle_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        big = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(2.0 if big else 1.5, self._zoom_centre())
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom(1 / 2.0 if big else 1 / 1.5, self._zoom_centre())
        elif key == Qt.Key.Key_Left:
            self.pan(-0.5 if big else -0.15)
        elif key == Qt.Key.Key_Right:
            self.pan(0.5 if big else 0.15)
        elif key == Qt.Key.Key_Home:
            self.fit_all()
        else:
            return False
        event.accept()
        return True

    def _zoom_centre(self) -> float | None:
        """Zoom around the selected event when it is on screen, else the view centre."""
        if self._selected is not None:
            t = float(self._data.t[self._selected])
            t0, t1 = self._view_range()
            if t0 <= t <= t1:
                return t
        return None


def fmt_utc(t: float) -> str:
    """``t`` (epoch seconds) as ``YYYY-MM-DD HH:MM`` in UTC; the raw number when out of range."""
    try:
        return datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return f"{t:.0f}"
