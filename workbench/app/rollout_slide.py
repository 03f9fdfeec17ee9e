"""A rollout shown to a room: the real week above, the simulated week below, the gap chart. Layer:
app (Qt).

Opened from the Rollout dock (*Present*). One slide in large type: who, which model, which days; the
split timeline zoomed to the horizon; beneath it the share of events with any engagement per day for
the real user and each loop, and the closed-minus-open gap. ``F`` toggles full screen, ``Esc``
closes. It fits 1366x768 and 1920x1080 at its first size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from widgets.split_timeline import SplitTimeline, Track

__all__ = ["RolloutSlide"]

_COLORS = {"real": "#e8e8e8", "open": "#56B4E9", "closed": "#E69F00"}


class RolloutSlide(QWidget):
    """One slide; see the module docstring."""

    def __init__(self, title: str, subtitle: str, real: Track, simulated: Track, differs: np.ndarray,
                 days: dict[str, list[Any]], horizon: tuple[float, float],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(f"{title} — presentation")
        head = QLabel(title, self)
        f = QFont()
        f.setPointSize(22)
        f.setBold(True)
        head.setFont(f)
        sub = QLabel(subtitle, self)
        f2 = QFont()
        f2.setPointSize(14)
        sub.setFont(f2)
        sub.setWordWrap(True)
        self.split = SplitTimeline(self)
        self.split.set_tracks(real, simulated, differs=differs)
        lo, hi = horizon
        self.split.set_range(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
        self.chart = pg.PlotWidget(self)
        self.chart.setMinimumHeight(110)
        self.chart.addLegend(offset=(10, 10))
        self.chart.setTitle("share of events with any engagement, per day of the horizon", size="13pt")
        x = None
        for source, ds in days.items():
            ys = np.array([np.nan if d.engagement is None else d.engagement for d in ds])
            x = np.arange(len(ys))
            self.chart.plot(x, ys, pen=pg.mkPen(_COLORS.get(source, "#ccc"), width=3), symbol="o",
                            symbolSize=9, symbolBrush=_COLORS.get(source, "#ccc"), name=source)
        if "open" in days and "closed" in days and x is not None:
            gap = [np.nan if (o.engagement is None or c.engagement is None) else c.engagement - o.engagement
                   for o, c in zip(days["open"], days["closed"])]
            self.chart.addItem(pg.BarGraphItem(x=x, height=np.nan_to_num(np.array(gap)), width=0.35,
                                               brush="#d9534f", name="closed − open"))
        self.chart.setYRange(-0.2, 1.0)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(20, 10, 20, 10)
        lay.addWidget(head)
        lay.addWidget(sub)
        lay.addWidget(self.split, 3)
        lay.addWidget(self.chart, 1)
        self.resize(1280, 720)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt naming)
        """``F`` toggles full screen, ``Esc`` closes; other keys go to the timelines."""
        if event.key() == Qt.Key.Key_F:
            self.showNormal() if self.isFullScreen() else self.showFullScreen()
        elif event.key() == Qt.Key.Key_Escape:
            self.close()
        else:
            super().keyPressEvent(event)
