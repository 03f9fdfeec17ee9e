"""The population view: heat strips, sorting, filtering, choosing a user."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from widgets.population import Column, PopulationView


def _view(qtbot):
    view = PopulationView()
    qtbot.addWidget(view)
    users = ["user_0003", "user_0001", "user_0002"]
    activity = np.array([[0, 5, 1], [9, 0, 0], [1, 1, 1]], dtype=np.int32)
    cols = [Column("events", "events", np.array([6.0, 9.0, 3.0]), "count"),
            Column("engaged", "engaged", np.array([0.5, np.nan, 0.1]), "share")]
    view.set_population(users, cols, activity, ["2025-09-01", "2025-09-02", "2025-09-03"],
                        summary="3 users")
    view.resize(700, 300)
    return view


def test_cells_sorting_and_filtering(qtbot):
    view = _view(qtbot)
    m = view.model
    assert [m.user_at(r) for r in range(m.rowCount())] == ["user_0001", "user_0002", "user_0003"]
    assert m.data(m.index(0, 2)) == "9" and m.data(m.index(2, 3)) == "50.0%"
    assert m.data(m.index(0, 3)) == "–"                        # NaN is shown as a dash
    assert "9 events on 1 of 3 days" in m.data(m.index(0, 1), Qt.ItemDataRole.ToolTipRole)
    view.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    assert [m.user_at(r) for r in range(3)] == ["user_0001", "user_0003", "user_0002"]
    view.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)    # NaN sorts as the lowest value
    assert [m.user_at(r) for r in range(3)] == ["user_0003", "user_0002", "user_0001"]
    view.filter_edit.setText("0002")
    assert m.rowCount() == 1 and m.user_at(0) == "user_0002"
    view.filter_edit.clear()
    assert m.rowCount() == 3


def test_double_click_and_enter_choose_a_user(qtbot):
    view = _view(qtbot)
    view.show()
    qtbot.waitExposed(view)
    view.set_current("user_0002")
    assert view.table.currentIndex().row() == view.model.row_of("user_0002")
    with qtbot.waitSignal(view.user_chosen) as sig:
        view.table.doubleClicked.emit(view.model.index(2, 0))
    assert sig.args == [view.model.user_at(2)]
    view.table.setFocus()
    with qtbot.waitSignal(view.user_chosen) as sig:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert sig.args == ["user_0002"]


def test_heat_strips_are_drawn_per_user(qtbot):
    view = _view(qtbot)
    view.show()
    qtbot.waitExposed(view)
    img = view.table.viewport().grab().toImage()
    rect = view.table.visualRect(view.model.index(0, 1))       # user_0001: busy on day 1 only
    y = rect.center().y()
    left = img.pixelColor(rect.left() + 4, y)
    right = img.pixelColor(rect.right() - 4, y)
    assert left.blue() > left.red() + 60                       # a dark blue day
    assert abs(right.red() - right.blue()) < 20                # an empty (grey) day


def test_mismatched_columns_are_refused(qtbot):
    view = PopulationView()
    qtbot.addWidget(view)
    with pytest.raises(ValueError, match="column 'x': 1 values for 2 users"):
        view.set_population(["a", "b"], [Column("x", "x", np.array([1.0]))], np.zeros((2, 1)), ["d"])


def test_the_heat_strip_header_fits_its_column(qtbot):
    """The header held the date range too: at 91 days it was wider than the column and cut at both
    ends. The range is in its tooltip (and the summary line)."""
    view = PopulationView()
    qtbot.addWidget(view)
    days = [f"2025-{m:02d}-{d:02d}" for m, n in ((9, 30), (10, 31), (11, 30)) for d in range(1, n + 1)]
    view.set_population(["u1", "u2"], [], np.ones((2, len(days)), dtype=np.int32), days, summary="2 users")
    view.show()
    m, head = view.model, view.table.horizontalHeader()
    head.setFont(QFont(head.font().family(), 11))        # a desktop's usual size (offscreen uses 9 pt)
    assert head.sectionSizeFromContents(1).width() <= head.sectionSize(1)   # Qt's own measure
    assert "2025-09-01 – 2025-11-30" in m.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
