"""The evaluation charts before and between their data."""

from __future__ import annotations

import pytest

from widgets.metric_charts import DistributionChart, GroupedBarChart, IntervalChart


def _axes_shown(chart) -> list[bool]:
    return [chart.plot.getAxis(side).isVisible() for side in ("left", "bottom")]


@pytest.mark.parametrize("make, data", [
    (lambda: GroupedBarChart("Figures per model (%)"), lambda c: c.set_data(["a"], {"m": [40.0]})),
    (lambda: DistributionChart("Distances"), lambda c: c.set_data({"real": [0.1, 0.2]})),
    (lambda: IntervalChart("Detection"), lambda c: c.set_data(["m"], [0.5], [0.4], [0.6])),
])
def test_a_chart_without_data_says_so_and_shows_no_scale(qtbot, make, data):
    chart = make()
    qtbot.addWidget(chart)
    assert chart.plot.titleLabel.text.endswith("(no data)") and _axes_shown(chart) == [False, False]
    data(chart)
    assert "(no data)" not in chart.plot.titleLabel.text and _axes_shown(chart) == [True, True]
