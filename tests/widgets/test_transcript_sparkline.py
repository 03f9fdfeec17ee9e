"""Tests of the transcript view and the sparkline delegate (widgets layer)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QStyleOptionViewItem, QTableView

from widgets.sparkline import SPARKLINE_ROLE, SparklineDelegate, as_counts, paint_sparkline
from widgets.transcript import TranscriptView, highlighted_html, transcript_html


def test_transcript_escapes_everything():
    html = transcript_html([{"role": "<b>user</b>", "content": "<script>alert(1)</script> & \"x\""}])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;user&lt;/b&gt;" in html
    assert "&amp; &quot;x&quot;" in html


def test_transcript_sides_and_simulated_turn():
    html = transcript_html([{"role": "user", "content": "hi"}, {"role": "agent", "content": "hello"}],
                           simulated={"role": "user", "content": "thanks!", "label": "model<1>"})
    assert html.index("class='turn user' align='left'") < html.index("class='turn agent' align='right'")
    assert "class='turn simulated'" in html and "dashed" in html
    assert "simulated &middot; model&lt;1&gt;" in html


def test_highlight_spans_are_clipped_and_coloured():
    out = highlighted_html("I am so sorry <3", [(5, 13, "politeness"), (2, 4, "#123456"), (10, 99, "blame")])
    assert "<span class='#123456' style='background-color:#123456" in out
    assert "<span class='politeness'" in out and ">so sorry</span>" in out
    assert "'> &lt;3</span>" in out  # overlapping span clipped to start after the previous one
    with pytest.raises(ValueError, match="span 0"):
        transcript_html([{"role": "user", "content": "x", "spans": [(1, 2)]}])
    with pytest.raises(ValueError, match="turn 1"):
        transcript_html([{"role": "user", "content": "x"}, "not a dict"])


def test_transcript_view_shows_turns(qtbot):
    v = TranscriptView()
    qtbot.addWidget(v)
    v.set_turns([{"role": "customer", "content": "where is my parcel?"}, {"role": "客服", "content": "亲，马上查"}])
    assert "where is my parcel?" in v.toPlainText() and "亲，马上查" in v.toPlainText()
    v.set_simulated({"role": "customer", "content": "ok thanks"})
    assert v.simulated_turn is not None and "ok thanks" in v.toPlainText()
    assert len(v.turns) == 2
    v.clear_turns()
    assert "No dialogue" in v.toPlainText()


def test_as_counts():
    assert as_counts(None) is None and as_counts([]) is None and as_counts("abc") is None
    assert as_counts([1, -2, float("nan"), 3]).tolist() == [1.0, 0.0, 0.0, 3.0]


def test_paint_sparkline_draws_pixels():
    img = QImage(100, 20, QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    paint_sparkline(p, QRectF(0, 0, 100, 20), [0, 1, 5, 2, 0, 9, 3], "#ff0000")
    p.end()
    reds = sum(1 for x in range(100) for y in range(20) if img.pixelColor(x, y).red() > 200
               and img.pixelColor(x, y).green() < 120)
    assert reds > 20


def test_sparkline_delegate_in_a_table(qtbot):
    model = QStandardItemModel(2, 2)
    for r in range(2):
        model.setItem(r, 0, QStandardItem(f"user_{r}"))
        it = QStandardItem("")
        it.setData(list(np.arange(30) % 7) if r == 0 else None, SPARKLINE_ROLE)
        model.setItem(r, 1, it)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    delegate = SparklineDelegate(view, color="#ff0000", log_scale=False)
    view.setItemDelegateForColumn(1, delegate)
    view.resize(300, 120)
    view.setColumnWidth(1, 150)
    view.show()
    qtbot.waitExposed(view)
    img = view.grab().toImage()
    rect = view.visualRect(model.index(0, 1)).translated(view.viewport().pos())
    reds = sum(1 for x in range(rect.left(), rect.right()) for y in range(rect.top(), rect.bottom())
               if img.pixelColor(x, y).red() > 200 and img.pixelColor(x, y).green() < 150)
    assert reds > 30
    rect1 = view.visualRect(model.index(1, 1)).translated(view.viewport().pos())
    reds1 = sum(1 for x in range(rect1.left(), rect1.right()) for y in range(rect1.top(), rect1.bottom())
                if img.pixelColor(x, y).red() > 200 and img.pixelColor(x, y).green() < 150)
    assert reds1 == 0  # no counts -> default painting, no sparkline
    hint = delegate.sizeHint(QStyleOptionViewItem(), model.index(0, 1))
    assert hint.width() >= 96 and hint.height() >= 20


def test_transcript_follows_a_dark_palette(qtbot):
    from PySide6.QtGui import QColor, QPalette

    from widgets.transcript import THEMES

    v = TranscriptView()
    qtbot.addWidget(v)
    v.set_turns([{"role": "user", "content": "hi"}])
    assert not v.is_dark()  # the default (offscreen) palette is light
    assert THEMES["light"]["user"] in v.toHtml().lower()
    pal = v.palette()
    pal.setColor(QPalette.ColorRole.Base, QColor("#15171c"))
    v.setPalette(pal)
    assert v.is_dark()
    assert THEMES["dark"]["user"] in v.toHtml().lower()
    assert THEMES["light"]["user"] not in v.toHtml().lower()
    assert THEMES["dark"]["page"] in transcript_html([], dark=True)
