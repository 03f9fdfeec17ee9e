"""The folded session time axis (pure numpy)."""

from __future__ import annotations

import numpy as np
import pytest

from widgets._time_fold import TimeFold, fold_label

DAY = 86400.0
T0 = 1_744_000_000.0


def sessions():
    # three sessions of 3, 5 and 2 minutes; gaps of 6 days and 10 minutes
    starts = np.array([T0, T0 + 6 * DAY, T0 + 6 * DAY + 15 * 60])
    ends = starts + np.array([180.0, 300.0, 120.0])
    return starts, ends


def test_long_gaps_fold_short_ones_stay():
    s, e = sessions()
    f = TimeFold.from_sessions(s, e, min_gap=1800, folded_width=60)
    assert len(f.folds) == 1
    fold = f.folds[0]
    assert fold.real_start == e[0] and fold.real_end == s[1] and fold.display_end - fold.display_start == 60
    x = f.to_display(np.concatenate([s, e]))
    # inside sessions one display second is one real second
    assert x[3] - x[0] == 180 and x[4] - x[1] == 300
    # the 10-minute gap is kept as it is, the 6-day gap takes 60 s
    assert x[2] - x[4] == 10 * 60 and x[1] - x[3] == 60
    assert f.folded_seconds == pytest.approx(6 * DAY - 180 - 60)
    assert fold_label(fold.real_seconds) == "5 d 23 h"


def test_round_trip_and_monotonic():
    s, e = sessions()
    f = TimeFold.from_sessions(s, e, min_gap=1800)
    t = np.sort(np.random.default_rng(1).uniform(T0 - DAY, T0 + 8 * DAY, 500))
    x = f.to_display(t)
    assert np.all(np.diff(x) >= 0)
    assert np.allclose(f.to_real(x), t)
    assert f.to_display(T0 - 100.0) == pytest.approx(T0 - 100.0)  # slope 1 before the first session


def test_boundaries_overlaps_and_errors():
    f = TimeFold.from_sessions([T0, T0 + 100, T0 + 5 * DAY], [T0 + 200, T0 + 150, T0 + 5 * DAY + 60], min_gap=600)
    starts, ends = f.boundaries()
    assert len(starts) == 2 and ends[0] - starts[0] == 200   # overlapping sessions merged
    assert TimeFold.from_sessions([], []).folds == []
    with pytest.raises(ValueError):
        TimeFold.from_sessions([1.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        TimeFold.from_sessions([np.nan], [1.0])
    with pytest.raises(ValueError):
        TimeFold.from_sessions([1.0], [2.0], min_gap=0)
    assert fold_label(42 * 60) == "42 min" and fold_label(3 * 3600) == "3 h" and fold_label(2 * DAY) == "2 d"
