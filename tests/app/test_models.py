"""Qt item models over polars frames: virtual, sortable, filterable (checked by qtmodeltester)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.app.data import chain_indices, write_traces
from workbench.app.models import (EVENT_ID_ROLE, SPARKLINE_ROLE, EventTableModel, UsersModel, UsersProxyModel,
                                  daily_sparklines)
from workbench.app.navigation import EventFilter, UserTrack
from workbench.traces import load_traces


@pytest.fixture
def traces(tmp_path):
    return load_traces(write_traces(tmp_path))


def test_event_model_is_virtual_sortable_and_filterable(qtmodeltester, traces):
    track = UserTrack("user_a", traces.user_events("user_a"))
    model = EventTableModel()
    model.set_track(track)
    qtmodeltester.check(model)
    assert model.rowCount() == 70
    purchase = chain_indices()[-1]
    row = model.row_of(purchase)
    assert model.event_at(row) == purchase
    assert model.index(row, 2).data() == "E-commerce"
    assert model.index(model.row_of(chain_indices()[0]), 2).data() == "Search"
    assert model.index(model.row_of(chain_indices()[0]), 2).data(Qt.ItemDataRole.ToolTipRole) == "Search Behavior"
    assert model.index(row, 6).data() == "conversion"
    assert model.index(row, 0).data(EVENT_ID_ROLE) == purchase
    model.sort(5, Qt.SortOrder.DescendingOrder)                 # watch seconds, largest first
    assert model.index(0, 5).data() == "600"
    assert model.row_of(purchase) != row
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert model.row_of(purchase) == row
    mask = track.mask(EventFilter(text="跑鞋"))
    model.set_filter(mask, hide_unmatched=True)
    assert model.rowCount() == int(mask.sum())
    model.set_filter(mask, hide_unmatched=False)
    assert model.rowCount() == 70
    dim_row = int(np.flatnonzero(~mask)[0])
    assert model.index(dim_row, 4).data(Qt.ItemDataRole.ForegroundRole) is not None
    qtmodeltester.check(model)


def test_users_model_sparklines_sort_and_filter(qtmodeltester, traces):
    spark = daily_sparklines(traces.events)
    assert set(spark) == {"user_a", "user_b"}
    assert spark["user_a"].sum() == 70 and spark["user_b"].sum() == 3
    assert spark["user_a"].size == spark["user_b"].size
    model = UsersModel()
    model.set_users(traces.users, spark)
    qtmodeltester.check(model)
    assert model.index(0, 3).data(SPARKLINE_ROLE) is spark["user_a"]
    proxy = UsersProxyModel()
    proxy.setSourceModel(model)
    proxy.sort(2, Qt.SortOrder.AscendingOrder)
    assert proxy.index(0, 0).data() == "user_b"                # 3 events < 70 events
    proxy.setFilterFixedString("LIKES RUNNING")
    assert proxy.rowCount() == 1 and proxy.index(0, 0).data() == "user_a"
