"""Tests of the pure numpy level-of-detail layer behind the timeline (no display needed)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widgets._timeline_data import KIND_ROWS, ROWS_PER_LANE, LaneIndex, density_rgba, overview_rgba


def make(n: int, lanes: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1e6, n)
    lane = rng.integers(0, lanes, n)
    kind = rng.integers(0, 3, n)
    value = np.where(rng.random(n) < 0.5, rng.uniform(0, 500, n), np.nan)
    ids = rng.permutation(n).astype(np.int64) * 7 + 3
    return t, lane, kind, value, ids


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 300), cols=st.integers(1, 50), seed=st.integers(0, 1000),
       a=st.floats(-1e5, 1.1e6), w=st.floats(1.0, 1.2e6))
def test_column_counts_match_brute_force(n, cols, seed, a, w):
    t, lane, kind, value, ids = make(n, seed=seed)
    idx = LaneIndex(t, lane, kind, value, ids, 4)
    mask = np.random.default_rng(seed + 1).random(n) < 0.7
    idx.set_dim_mask(mask)
    counts = idx.column_counts(a, a + w, cols)
    edges = np.linspace(a, a + w, cols + 1)
    for ln in range(4):
        for k in range(3):
            sel = (lane == ln) & (kind == k) & mask
            expect, _ = np.histogram(t[sel], bins=edges)
            # histogram closes the last bin on the right; ours is [lo, hi) everywhere
            expect[-1] -= int(np.sum(t[sel] == edges[-1]))
            assert np.array_equal(counts[ln, k], expect)
        expect_dim, _ = np.histogram(t[(lane == ln) & ~mask], bins=edges)
        expect_dim[-1] -= int(np.sum(t[(lane == ln) & ~mask] == edges[-1]))
        assert np.array_equal(counts[ln, 3], expect_dim)


def test_slices_and_lookup():
    t, lane, kind, value, ids = make(1000)
    idx = LaneIndex(t, lane, kind, value, ids, 4)
    vis = idx.slices(2e5, 4e5)
    assert vis.total == int(np.sum((t >= 2e5) & (t <= 4e5)))
    for i in (0, 17, 999):
        assert idx.index_of(int(ids[i])) == i
    assert idx.index_of(-5) is None
    assert sorted(idx.indices_of([ids[3], 123456789, ids[5]]).tolist()) == [3, 5]


def test_nearest_in_lane_respects_distance():
    t = np.array([100.0, 200.0, 300.0, 150.0])
    lane = np.array([0, 0, 0, 1])
    idx = LaneIndex(t, lane, np.zeros(4), np.full(4, np.nan), np.array([9, 8, 7, 6]), 2)
    assert idx.nearest_in_lane(0, 210.0, 20.0) == 1
    assert idx.nearest_in_lane(0, 250.0, 20.0) is None
    assert idx.nearest_in_lane(1, 160.0, 20.0) == 3
    assert idx.nearest_in_lane(5, 160.0, 20.0) is None


def test_watch_columns_take_the_max_per_column():
    t = np.array([0.5, 0.6, 1.5, 3.5])
    value = np.array([10.0, 1000.0, np.nan, 100.0])
    idx = LaneIndex(t, np.zeros(4), np.zeros(4), value, np.arange(4), 1)
    x, y = idx.watch_columns(0.0, 4.0, 4)
    assert x.tolist() == [0.5, 3.5]
    assert y.tolist() == pytest.approx([3.0, 2.0])


def test_density_image_keeps_a_single_conversion_visible():
    counts = np.zeros((2, 4, 10), dtype=np.int32)
    counts[0, 0, :] = 5000          # thousands of views everywhere in lane 0
    counts[0, 2, 7] = 1             # one conversion in column 7
    counts[1, 3, 2] = 4             # lane 1: only dimmed events in column 2
    img = density_rgba(counts)
    assert img.shape == (2 * ROWS_PER_LANE, 10, 4)
    conv_rows = slice(*KIND_ROWS[2])
    assert img[conv_rows, 7, 3].min() > 150      # the conversion strip is lit in column 7
    assert img[conv_rows, 6, 3].max() == 0       # and only there
    view_rows = slice(*KIND_ROWS[0])
    assert img[view_rows, :, 3].min() > 0
    lane1 = img[ROWS_PER_LANE:]
    assert lane1[:, 2, 3].max() > 0 and lane1[:, 3, 3].max() == 0
    ov = overview_rgba(counts)
    assert ov.shape == (2, 10, 4) and ov[1, 2, 3] > 0 and ov[1, 3, 3] == 0


def test_bad_arrays_are_rejected_with_field_names():
    with pytest.raises(ValueError, match="'value' has 2 values, expected 3"):
        LaneIndex([1.0, 2.0, 3.0], [0, 0, 0], [0, 0, 0], [1.0, 2.0], [1, 2, 3], 1)
    with pytest.raises(ValueError, match="'t' must be 1-D"):
        LaneIndex(np.zeros((2, 2)), [0, 0], [0, 0], [1.0, 2.0], [1, 2], 1)


def test_millisecond_timestamps_are_rejected_clearly():
    with pytest.raises(ValueError, match="milliseconds given by mistake"):
        LaneIndex([1.7e12, 1.8e12], [0, 0], [0, 0], [1.0, 2.0], [1, 2], 1)
