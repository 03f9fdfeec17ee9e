"""Activity sparklines for item views (the user list). Layer: widgets.

Imports nothing from ``workbench``. :class:`SparklineDelegate` reads a sequence of per-day counts from
a model role (list, tuple or numpy array) and paints a small filled area chart; the display text is
not drawn in that column. :func:`paint_sparkline` is the plain painting function, usable elsewhere.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

__all__ = ["SparklineDelegate", "paint_sparkline", "SPARKLINE_ROLE", "as_counts"]

#: Default model role holding the per-day counts.
SPARKLINE_ROLE = int(Qt.ItemDataRole.UserRole) + 41


def as_counts(value: Any) -> np.ndarray | None:
    """The counts as a 1-D float array, or None if ``value`` holds none (bad values become 0)."""
    if value is None:
        return None
    try:
        arr = np.asarray(value, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return None
    if arr.size == 0:
        return None
    arr = np.where(np.isfinite(arr) & (arr > 0), arr, 0.0)
    return arr


def paint_sparkline(painter: QPainter, rect: QRectF, counts: Sequence[float] | np.ndarray,
                    color: QColor | str = "#3b82c4", log_scale: bool = True) -> None:
    """Draw ``counts`` (one value per day) into ``rect`` as a filled area with a line on top."""
    arr = as_counts(counts)
    if arr is None or rect.width() < 4 or rect.height() < 4:
        return
    vals = np.log1p(arr) if log_scale else arr
    top = float(vals.max())
    col = QColor(color)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    base_pen = QPen(QColor(col.red(), col.green(), col.blue(), 70), 1)
    painter.setPen(base_pen)
    painter.drawLine(QPointF(rect.left(), rect.bottom() - 0.5), QPointF(rect.right(), rect.bottom() - 0.5))
    if top <= 0:
        painter.restore()
        return
    n = vals.size
    xs = rect.left() + (np.arange(n) + 0.5) * (rect.width() / n) if n > 1 else np.array([rect.center().x()])
    ys = rect.bottom() - 1 - (vals / top) * (rect.height() - 2)
    line = QPainterPath(QPointF(float(xs[0]), float(ys[0])))
    for x, y in zip(xs[1:], ys[1:]):
        line.lineTo(float(x), float(y))
    area = QPainterPath(line)
    area.lineTo(float(xs[-1]), rect.bottom())
    area.lineTo(float(xs[0]), rect.bottom())
    area.closeSubpath()
    fill = QColor(col)
    fill.setAlpha(70)
    painter.fillPath(area, fill)
    painter.setPen(QPen(col, 1.2))
    painter.drawPath(line)
    painter.restore()


class SparklineDelegate(QStyledItemDelegate):
    """Paints the per-day counts stored under ``role`` as a sparkline (selection colours respected)."""

    def __init__(self, parent: QWidget | None = None, role: int = SPARKLINE_ROLE,
                 color: str = "#3b82c4", log_scale: bool = True) -> None:
        super().__init__(parent)
        self.role = role
        self.color = color
        self.log_scale = log_scale

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        counts = as_counts(index.data(self.role))
        if counts is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        color = opt.palette.highlightedText().color() if selected else QColor(self.color)
        r = QRectF(opt.rect).adjusted(4, 3, -4, -3)
        paint_sparkline(painter, r, counts, color, self.log_scale)

    def sizeHint(self, option: QStyleOptionViewItem,  # noqa: N802 (Qt naming)
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        return QSize(max(base.width(), 96), max(base.height(), 20))
