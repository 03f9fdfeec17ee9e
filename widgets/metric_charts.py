"""Small pyqtgraph charts for evaluation figures. Layer: widgets.

Imports nothing from ``workbench``: every chart takes plain lists/arrays.

* :class:`GroupedBarChart`: one bar per series side by side for each category (e.g. real vs
  predicted positive rate per action field), horizontal by default. Clicking a bar emits ``bar_clicked(category, series)``.
* :class:`DistributionChart`: step histograms of several samples on shared bins (e.g. intra- and
  inter-user distance distributions, real vs simulated), with dashed lines at the means.
* :class:`IntervalChart`: a rate per row with its interval as whiskers and a dashed reference line
  (e.g. the blind test's detection rate per model and scenario, Wilson 95% intervals, chance at 50%).

Colours follow the Okabe-Ito palette (distinguishable with colour-vision deficiency), on the app's
dark background.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

__all__ = ["GroupedBarChart", "DistributionChart", "IntervalChart", "PALETTE"]

BG = "#1b1d23"
FG = "#c9ced8"
AXIS = "#3a3f4b"
#: Okabe-Ito colours; the first is used for "real" behaviour by convention.
PALETTE = ("#e8e8e8", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


class _Chart(QWidget):
    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget(self, background=BG)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        for name in ("left", "bottom"):
            ax = self.plot.getAxis(name)
            ax.setPen(pg.mkPen(AXIS))
            ax.setTextPen(pg.mkPen(FG))
            ax.enableAutoSIPrefix(False)
        self.plot.getViewBox().setMouseEnabled(x=False, y=False)
        self.legend_label = QLabel(self)
        self.legend_label.setTextFormat(Qt.TextFormat.RichText)
        self.legend_label.setWordWrap(True)
        self.legend_label.setStyleSheet(f"color: {FG}; background: {BG}; padding: 2px 6px;")
        self.legend_entries: list[tuple[str, str]] = []
        self.title = title
        self._show_empty(True)           # until the first data: its title says so, no axes
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.legend_label)
        lay.addWidget(self.plot_widget, 1)

    def set_title(self, title: str) -> None:
        self.title = title
        self.plot.setTitle(title, color=FG, size="10pt")

    def _show_empty(self, empty: bool) -> None:
        """Say "(no data)" in the title and hide the axes (an empty chart's default 0-1 scale
        means nothing), or show them again."""
        self.plot.setTitle(self.title + ("  (no data)" if empty else ""), color=FG, size="10pt")
        for side in ("left", "bottom"):
            self.plot.showAxis(side, not empty)

    def _clear(self) -> None:
        self.plot.clear()
        self.legend_entries = []
        self.legend_label.clear()

    def _add_legend(self, name: str, color: str) -> None:
        """A legend entry above the plot (never covers the data)."""
        from html import escape

        self.legend_entries.append((name, color))
        self.legend_label.setText("&nbsp;&nbsp;&nbsp;".join(
            f'<span style="color:{c}">&#9632;</span>&nbsp;{escape(n)}' for n, c in self.legend_entries))


class GroupedBarChart(_Chart):
    """Bars per category and series. ``set_data(categories, {series: values}, value_label)``.

    ``horizontal`` (default): categories down the left axis (long field names stay readable), bars
    grow to the right; otherwise categories along the bottom axis.
    """

    bar_clicked = Signal(str, str)   # category, series

    def __init__(self, title: str = "", parent: QWidget | None = None, horizontal: bool = True) -> None:
        super().__init__(title, parent)
        self.horizontal = horizontal
        self.categories: list[str] = []
        self.series: dict[str, np.ndarray] = {}
        self._width = 0.8
        self.plot.getViewBox().invertY(horizontal)
        self.plot.showGrid(x=False, y=False)
        self.plot_widget.scene().sigMouseClicked.connect(self._on_scene_clicked)

    def set_data(self, categories: Sequence[str], series: Mapping[str, Sequence[float | None]],
                 value_label: str = "", value_range: tuple[float, float] | None = None,
                 colors: Mapping[str, str] | None = None) -> None:
        self._clear()
        self.categories = [str(c) for c in categories]
        self.series = {str(k): np.array([np.nan if v is None else float(v) for v in vals], dtype=float)
                       for k, vals in series.items()}
        self._show_empty(not self.categories)
        n_series = max(1, len(self.series))
        width = self._width / n_series
        pos0 = np.arange(len(self.categories), dtype=float)
        for i, (name, vals) in enumerate(self.series.items()):
            color = (colors or {}).get(name, _color(i))
            pos = pos0 - self._width / 2 + width * (i + 0.5)
            ok = np.isfinite(vals)
            brush, pen = pg.mkBrush(color), pg.mkPen(BG, width=0.5)
            if self.horizontal:
                item = pg.BarGraphItem(x0=np.zeros(int(ok.sum())), width=vals[ok], y=pos[ok],
                                       height=width * 0.92, brush=brush, pen=pen)
            else:
                item = pg.BarGraphItem(x=pos[ok], height=vals[ok], width=width * 0.92, brush=brush, pen=pen)
            self.plot.addItem(item)
            self._add_legend(name, color)
        cat_axis, val_axis = ("left", "bottom") if self.horizontal else ("bottom", "left")
        self.plot.getAxis(cat_axis).setTicks([[(float(i), c) for i, c in enumerate(self.categories)]])
        self.plot.getAxis(val_axis).setTicks(None)
        self.plot.setLabel(val_axis, value_label, color=FG)
        self.plot.setLabel(cat_axis, "", color=FG)
        cat_range = (-0.6, max(0.6, len(self.categories) - 0.4))
        if value_range is None:
            finite = [v for vals in self.series.values() for v in vals if np.isfinite(v)]
            top = max(finite) if finite else 1.0
            low = min(0.0, min(finite)) if finite else 0.0
            value_range = (low, top if top > low else low + 1)
        if self.horizontal:
            self.plot.setYRange(*cat_range, padding=0)
            self.plot.setXRange(*value_range, padding=0.02)
        else:
            self.plot.setXRange(*cat_range, padding=0)
            self.plot.setYRange(*value_range, padding=0.02)

    def bar_at(self, x: float, y: float) -> tuple[str, str] | None:
        """The (category, series) of the bar under view coordinates ``(x, y)``."""
        if not self.categories or not self.series:
            return None
        pos, value = (y, x) if self.horizontal else (x, y)
        c = int(round(pos))
        if not 0 <= c < len(self.categories):
            return None
        width = self._width / len(self.series)
        i = int((pos - (c - self._width / 2)) // width)
        if not 0 <= i < len(self.series):
            return None
        name = list(self.series)[i]
        h = self.series[name][c]
        if not np.isfinite(h) or not (min(0.0, h) <= value <= max(0.0, h)):
            return None
        return self.categories[c], name

    def _on_scene_clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        vb = self.plot.getViewBox()
        p = vb.mapSceneToView(QPointF(ev.scenePos()))
        hit = self.bar_at(p.x(), p.y())
        if hit is not None:
            self.bar_clicked.emit(*hit)


class DistributionChart(_Chart):
    """Step histograms on shared bins. ``set_data({name: values}, x_label, bins=20)``."""

    def set_data(self, samples: Mapping[str, Sequence[float]], x_label: str = "", bins: int = 20,
                 colors: Mapping[str, str] | None = None,
                 styles: Mapping[str, Qt.PenStyle] | None = None) -> None:
        self._clear()
        arrays = {k: np.asarray([v for v in vals if v is not None], dtype=float) for k, vals in samples.items()}
        arrays = {k: a[np.isfinite(a)] for k, a in arrays.items()}
        self._show_empty(not any(a.size for a in arrays.values()))
        allv = np.concatenate([a for a in arrays.values() if a.size]) if any(a.size for a in arrays.values()) \
            else np.array([0.0, 1.0])
        lo, hi = float(allv.min()), float(allv.max())
        if hi <= lo:
            hi = lo + 1.0
        edges = np.linspace(lo, hi, bins + 1)
        top = 0.0
        for i, (name, a) in enumerate(arrays.items()):
            color = (colors or {}).get(name, _color(i))
            style = (styles or {}).get(name, Qt.PenStyle.SolidLine)
            counts = np.histogram(a, bins=edges)[0].astype(float) if a.size else np.zeros(bins)
            dens = counts / counts.sum() if counts.sum() else counts
            top = max(top, float(dens.max()) if dens.size else 0.0)
            curve = pg.PlotCurveItem(edges, dens, stepMode="center", pen=pg.mkPen(color, width=2, style=style),
                                     fillLevel=0, brush=pg.mkBrush(pg.mkColor(color).red(),
                                                                   pg.mkColor(color).green(),
                                                                   pg.mkColor(color).blue(), 40))
            self.plot.addItem(curve)
            dashed = style != Qt.PenStyle.SolidLine
            self._add_legend((f"{name}{' (dotted)' if dashed else ''}: n={a.size}, mean={a.mean():.3f}")
                             if a.size else f"{name}: n=0", color)
            if a.size:
                self.plot.addItem(pg.InfiniteLine(pos=float(a.mean()), angle=90,
                                                  pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine)))
        self.plot.getAxis("bottom").setTicks(None)
        self.plot.setLabel("bottom", x_label, color=FG)
        self.plot.setLabel("left", "share", color=FG)
        self.plot.setXRange(lo, hi, padding=0.03)
        self.plot.setYRange(0, top * 1.1 if top > 0 else 1, padding=0)


class IntervalChart(_Chart):
    """One row per category down the left axis: a dot at the rate, whiskers from the interval's low to
    its high end, the count beside it, and a dashed vertical reference line. Rates are shares (0-1),
    drawn as percentages. ``set_data(categories, rates, lows, highs, counts=..., groups=...)``: rows of
    one group (e.g. one model) share a colour; None rates are left empty; ``counts`` (e.g. "7/10") form
    a column right of 100%."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.categories: list[str] = []
        self.plot.getViewBox().invertY(True)
        self.plot.showGrid(x=True, y=False, alpha=0.12)

    def set_data(self, categories: Sequence[str], rates: Sequence[float | None], lows: Sequence[float | None],
                 highs: Sequence[float | None], *, counts: Sequence[str] = (), groups: Sequence[str] = (),
                 reference: float = 0.5, reference_label: str = "chance (50%)", value_label: str = "") -> None:
        self._clear()
        self.categories = [str(c) for c in categories]
        self._show_empty(not self.categories)

        def arr(vals: Sequence[float | None]) -> np.ndarray:
            return np.array([np.nan if v is None else float(v) for v in vals], dtype=float)

        r, lo, hi = arr(rates), arr(lows), arr(highs)
        y = np.arange(len(self.categories), dtype=float)
        names = list(dict.fromkeys(groups)) if groups else [""]
        for g, name in enumerate(names):
            color = _color(g + 1)                      # PALETTE[0] is kept for "real"
            rows = np.array([not groups or groups[i] == name for i in range(len(self.categories))], dtype=bool)
            ok = rows & np.isfinite(r) & np.isfinite(lo) & np.isfinite(hi)
            if ok.any():
                self.plot.addItem(pg.ErrorBarItem(x=r[ok], y=y[ok], left=r[ok] - lo[ok], right=hi[ok] - r[ok],
                                                  beam=0.25, pen=pg.mkPen(color, width=2)))
                self.plot.addItem(pg.ScatterPlotItem(x=r[ok], y=y[ok], size=10, brush=pg.mkBrush(color),
                                                     pen=pg.mkPen(BG, width=1)))
            if name:
                self._add_legend(name, color)
        for i, text in enumerate(counts):            # a column right of 100%: never on a whisker
            if i < len(self.categories) and text:
                label = pg.TextItem(text, color=FG, anchor=(0, 0.5))
                label.setPos(1.03, y[i])
                self.plot.addItem(label)
        line = pg.InfiniteLine(pos=reference, angle=90, pen=pg.mkPen(FG, width=1.5, style=Qt.PenStyle.DashLine),
                               label=reference_label, labelOpts={"position": 0.02, "color": FG, "anchors": [(0, 0), (0, 0)]})
        self.plot.addItem(line)
        self.plot.getAxis("left").setTicks([[(float(i), c) for i, c in enumerate(self.categories)]])
        self.plot.getAxis("bottom").setTicks([[(v / 4, f"{25 * v}%") for v in range(5)]])
        self.plot.setLabel("bottom", value_label, color=FG)
        self.plot.setXRange(0.0, 1.14 if counts else 1.0, padding=0.02)
        self.plot.setYRange(-0.8, max(0.6, len(self.categories) - 0.4), padding=0)
