"""Timeline labels never collide however small the widget: date-axis tick labels ("29Oct"/"Nov03"),
lane names and counts in squeezed lanes; the header's date range is shortened, never cut; an empty
trace says so instead of drawing a 1970 axis."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from widgets._timeline_lanes import tidy_labels
from widgets.timeline import TimelineWidget

LANES = ["Video Browsing", "Live Streaming", "E-commerce", "Customer Service", "Advertisement", "Search Behavior"]
T0 = 1756684800.0  # 2025-09-01 00:00


def ninety_days(n: int = 3000):
    rng = np.random.default_rng(5)
    t = np.sort(T0 + rng.uniform(0, 90 * 86400, n))
    lane = rng.integers(0, 6, n).astype(np.int8)
    kind = rng.integers(0, 3, n).astype(np.int8)
    value = rng.uniform(1, 100, n)
    return t, lane, kind, value, np.arange(n, dtype=np.int64)


@pytest.fixture
def make(qtbot):
    def factory(w: int, h: int, data=None):
        tl = TimelineWidget(LANES)
        qtbot.addWidget(tl)
        tl.resize(w, h)
        tl.show()
        qtbot.waitExposed(tl)
        tl.set_data(*(data or ninety_days()), lanes=LANES)
        qtbot.wait(80)
        return tl
    return factory


def _overlaps(rects: list[QRectF]) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(rects)) for j in range(i + 1, len(rects)) if rects[i].intersects(rects[j])]


def _axis_label_rects(axis) -> list[QRectF]:
    img = QImage(10, 10, QImage.Format.Format_ARGB32)
    p = QPainter(img)
    try:
        specs = axis.generateDrawSpecs(p)
    finally:
        p.end()
    return [] if specs is None else [s[0] for s in specs[2]]


def test_tidy_labels_drops_the_later_of_two_overlapping_labels():
    a, b, c = QRectF(0, 0, 40, 12), QRectF(38, 0, 40, 12), QRectF(100, 0, 40, 12)
    kept = tidy_labels([(a, 0, "29Oct"), (b, 0, "Nov03"), (c, 0, "Nov10")], 4.0)
    assert [k[2] for k in kept] == ["29Oct", "Nov10"]


@pytest.mark.parametrize("size", [(1400, 700), (700, 420), (420, 300), (300, 200)])
def test_no_two_labels_overlap_at_any_size(make, size):
    tl = make(*size)
    for span_days in (90, 21, 3, 0.25):
        tl.set_range(T0 + 10 * 86400, T0 + 10 * 86400 + span_days * 86400)
        for axis in (tl.lanes_plot.time_axis, tl.overview.axis):
            rects = _axis_label_rects(axis)
            assert _overlaps(rects) == [], (size, span_days, [r.getRect() for r in rects])
        lanes = [r for r, _, _ in tl._lane_axis.label_rects()]
        assert _overlaps(lanes) == [], size
        assert lanes                                  # something is still labelled


def test_squeezed_lanes_keep_names_and_drop_counts(make):
    tall = make(1200, 800)
    assert any(is_count for _, _, is_count in tall._lane_axis.label_rects())
    short = make(1200, 230)
    labels = short._lane_axis.label_rects()
    assert not any(is_count for _, _, is_count in labels)
    assert _overlaps([r for r, _, _ in labels]) == []


def test_header_range_is_shortened_never_cut(make, qtbot):
    for width in (1400, 800, 520, 360):
        tl = make(width, 400)
        label = tl._info
        qtbot.wait(30)
        assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width() or \
            label.text() == tl.info_candidates()[-1]
        assert label.text() in tl.info_candidates()
        assert label.toolTip() == tl.info_candidates()[0]


def test_an_empty_trace_says_so_instead_of_drawing_1970(make):
    empty = (np.array([], dtype=np.float64), np.array([], dtype=np.int8), np.array([], dtype=np.int8),
             np.array([], dtype=np.float64), np.array([], dtype=np.int64))
    tl = make(900, 500, empty)
    assert tl.empty_text_shown() == "No events to show."
    assert tl._empty_label.geometry() == tl._glw.rect()
    tl.set_empty_text("empty.json has no events")
    assert tl.empty_text_shown() == "empty.json has no events"
    tl.set_data(*ninety_days(50), lanes=LANES)
    assert tl.empty_text_shown() == ""
