"""The Cases panel's layout in a short dock: the case list keeps at least six rows in sight (the
bottom dock of a 1366 x 768 window is about 200 pixels high; the panel scrolls to the detail), and
with room to spare the list and the detail share it 3 : 2."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from tests.conftest import one_user_state  # noqa: E402
from workbench.annotate.model import new_case  # noqa: E402


@pytest.fixture
def panel(qapp, tmp_path, cases_panel):
    p = cases_panel(one_user_state(tmp_path), author="ana", show=False)
    for i in range(30):
        p.store.add_case(new_case(source="t", user_id="user_0001", event_index=i % 7, author="ana",
                                  note=f"case {i}"))
    p.refresh()
    return p


def _rows_in_sight(p) -> int:
    """Whole rows of the case list inside the panel's scroll viewport (scrolled to the top)."""
    from PySide6.QtWidgets import QScrollArea

    area = p.findChild(QScrollArea)
    top = p.view.mapTo(area.viewport(), p.view.viewport().geometry().topLeft()).y()
    bottom = min(area.viewport().height(), top + p.view.viewport().height())
    return max(0, bottom - top) // p.view.verticalHeader().defaultSectionSize()


@pytest.mark.parametrize("size", [(690, 200), (1230, 210)])
def test_a_short_dock_keeps_six_rows_of_the_list(panel, qtbot, size):
    """The Cases dock of a 1366 x 768 window (about 690 x 200) and of the default 1600 x 900 window
    on a 1920 x 1080 screen (about 1230 x 210): the list is six rows high at the least."""
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    header = panel.view.horizontalHeader().height()
    assert panel.view.viewport().height() >= 6 * panel.view.verticalHeader().defaultSectionSize(), \
        f"{size}: the list is {panel.view.height()} px high (header {header})"
    assert _rows_in_sight(panel) >= 5                # and five of them without scrolling
    assert panel.detail.isVisibleTo(panel)           # the detail is below, the panel scrolls to it


def test_with_room_the_list_gets_the_larger_share(panel, qtbot):
    panel.resize(900, 900)
    panel.show()
    qtbot.waitExposed(panel)
    list_h, detail_h = panel.splitter.sizes()
    assert list_h >= 12 * panel.view.verticalHeader().defaultSectionSize() and list_h > detail_h
