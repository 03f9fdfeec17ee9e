"""Pure numpy indexing and level-of-detail binning behind the timeline widget. Layer: widgets (no Qt).

Everything here works on plain numpy arrays so it can be tested and benchmarked without a display:

* :class:`LaneIndex` sorts the events once by (lane, time), keeps per-lane slices, an id lookup and
  prefix counts per kind (active and dimmed), so the per-pixel-column density of any visible range is
  one ``np.searchsorted`` per lane plus a few subtractions.
* :func:`density_rgba` turns the per-column counts into one RGBA image (a band per lane, kind-weighted
  colour, a strip on top where a conversion happened so a single purchase is never hidden).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KIND_VIEW = 0
KIND_ENGAGEMENT = 1
KIND_CONVERSION = 2
N_KINDS = 3

#: Okabe-Ito colour-blind-safe palette (view sky blue, engagement orange, conversion reddish purple).
KIND_COLORS: tuple[str, str, str] = ("#56B4E9", "#E69F00", "#CC79A7")
KIND_NAMES: tuple[str, str, str] = ("view", "engagement", "conversion")
DIM_COLOR = "#8a8f99"

#: Image rows per lane in the density image; first and last rows stay empty (lane padding).
ROWS_PER_LANE = 10
#: Accepted timestamps: years 1..9999 in epoch seconds (date axes cannot label beyond).
MAX_EPOCH = 253402300799.0
MIN_EPOCH = -62135596800.0  # 0001-01-01
#: [start, stop) rows of each kind's strip inside a lane band: view middle, engagement below,
#: conversion on top.
KIND_ROWS: tuple[tuple[int, int], ...] = ((3, 7), (7, 9), (1, 3))


def hex_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"colour must be #rrggbb, got {color!r}")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _as_array(name: str, arr: object, dtype: type, n: int | None) -> np.ndarray:
    try:
        out = np.asarray(arr, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"timeline set_data: field {name!r} cannot be read as {np.dtype(dtype)}: {exc}") from None
    if out.ndim != 1:
        raise ValueError(f"timeline set_data: field {name!r} must be 1-D, got shape {out.shape}")
    if n is not None and out.shape[0] != n:
        raise ValueError(f"timeline set_data: field {name!r} has {out.shape[0]} values, expected {n} (same as 't')")
    return out


@dataclass
class VisibleSlices:
    """Per-lane [lo, hi) positions into the (lane, time)-sorted arrays for one time range."""

    lo: np.ndarray  # int64, one per lane
    hi: np.ndarray

    @property
    def total(self) -> int:
        return int((self.hi - self.lo).sum())


class LaneIndex:
    """Events sorted by (lane, time) with prefix counts per kind; built once per ``set_data``."""

    def __init__(self, t: object, lane: object, kind: object, value: object, ids: object, n_lanes: int) -> None:
        t_arr = _as_array("t", t, np.float64, None)
        n = t_arr.shape[0]
        lane_arr = _as_array("lane", lane, np.int64, n)
        kind_arr = _as_array("kind", kind, np.int64, n)
        value_arr = _as_array("value", value, np.float64, n)
        ids_arr = _as_array("ids", ids, np.int64, n)
        if n and not np.isfinite(t_arr).all():
            bad = int(np.flatnonzero(~np.isfinite(t_arr))[0])
            raise ValueError(f"timeline set_data: field 't' has a non-finite timestamp at position {bad} "
                             f"(event id {int(ids_arr[bad])})")
        out_of_range = (t_arr < MIN_EPOCH) | (t_arr > MAX_EPOCH) if n else None
        if out_of_range is not None and out_of_range.any():
            bad = int(np.flatnonzero(out_of_range)[0])
            raise ValueError(f"timeline set_data: field 't' is {t_arr[bad]:.6g} at position {bad} (event id "
                             f"{int(ids_arr[bad])}): not epoch seconds between years 1 and 9999 "
                             "(milliseconds given by mistake?)")
        if n and (lane_arr.min() < 0 or lane_arr.max() >= max(n_lanes, 1)):
            bad = int(np.flatnonzero((lane_arr < 0) | (lane_arr >= n_lanes))[0])
            raise ValueError(f"timeline set_data: field 'lane' is {int(lane_arr[bad])} at position {bad} "
                             f"(event id {int(ids_arr[bad])}) but there are {n_lanes} lanes")
        if n and (kind_arr.min() < 0 or kind_arr.max() >= N_KINDS):
            bad = int(np.flatnonzero((kind_arr < 0) | (kind_arr >= N_KINDS))[0])
            raise ValueError(f"timeline set_data: field 'kind' is {int(kind_arr[bad])} at position {bad} "
                             f"(event id {int(ids_arr[bad])}); expected 0 view, 1 engagement, 2 conversion")
        self.n = n
        self.n_lanes = n_lanes
        self.t = t_arr
        self.lane = lane_arr.astype(np.int8) if n_lanes < 128 else lane_arr
        self.kind = kind_arr.astype(np.int8)
        self.value = value_arr
        self.ids = ids_arr
        # (lane, time) order: a time sort (skipped when already in time order, as traces usually are),
        # then a stable radix sort by the small lane ints.
        if n < 2 or bool(np.all(t_arr[1:] >= t_arr[:-1])):
            by_t = np.arange(n, dtype=np.int64)
        else:
            by_t = np.argsort(t_arr, kind="stable")
        by_lane = np.argsort(self.lane[by_t], kind="stable")
        self.order = by_t[by_lane]                       # sorted position -> original index
        self.ts = t_arr[self.order]                      # times in (lane, time) order
        self.ks = self.kind[self.order]
        counts = np.bincount(self.lane, minlength=n_lanes)[:n_lanes] if n else np.zeros(n_lanes, np.int64)
        self.lane_start = np.zeros(n_lanes + 1, dtype=np.int64)
        np.cumsum(counts, out=self.lane_start[1:])
        self.lane_counts = counts.astype(np.int64)
        # id lookup without a million-entry dict.
        if n < 2 or bool(np.all(ids_arr[1:] > ids_arr[:-1])):
            self._id_order = np.arange(n, dtype=np.int64)
        else:
            self._id_order = np.argsort(ids_arr, kind="stable")
        self._ids_sorted = ids_arr[self._id_order]
        # watch-seconds track: finite positive values in global time order, log10-scaled (>= 0).
        v_by_t = value_arr[by_t]
        finite = np.isfinite(v_by_t) & (v_by_t > 0)
        self.w_t = t_arr[by_t][finite]
        self.w_log = np.log10(np.maximum(v_by_t[finite], 1.0))
        self.w_max = float(self.w_log.max()) if self.w_log.size else 1.0
        self.active = np.ones(n, dtype=bool)  # in sorted order
        self._build_prefix()

    # -- dimming ------------------------------------------------------------------------------------

    def set_dim_mask(self, mask: object | None) -> None:
        """``mask`` aligned with the original order; False = dimmed. None clears dimming."""
        if mask is None:
            self.active = np.ones(self.n, dtype=bool)
        else:
            m = np.asarray(mask, dtype=bool)
            if m.shape != (self.n,):
                raise ValueError(f"timeline dim mask has shape {m.shape}, expected ({self.n},) "
                                 "(one bool per event, in set_data order)")
            self.active = m[self.order]
        self._build_prefix()

    @property
    def has_dimmed(self) -> bool:
        return bool(self.n) and not bool(self.active.all())

    def _build_prefix(self) -> None:
        # prefix[i, k] = number of sorted events before position i that are active and of kind k;
        # column 3 counts dimmed events of any kind. Row-major so one gather reads 16 contiguous bytes.
        n = self.n
        flags = np.zeros((n + 1, N_KINDS + 1), dtype=np.int32)
        for k in range(N_KINDS):
            flags[1:, k] = (self.ks == k) & self.active
        flags[1:, N_KINDS] = ~self.active
        self.prefix = np.cumsum(flags, axis=0, dtype=np.int32)

    # -- lookups -------------------------------------------------------------------------------------

    def index_of(self, event_id: int) -> int | None:
        """Original index of an event id, or None."""
        if not self.n:
            return None
        pos = int(np.searchsorted(self._ids_sorted, event_id))
        if pos < self.n and self._ids_sorted[pos] == event_id:
            return int(self._id_order[pos])
        return None

    def indices_of(self, ids: object) -> np.ndarray:
        """Original indices of the known ids among ``ids`` (unknown ids are dropped)."""
        arr = np.asarray(ids, dtype=np.int64).ravel()
        if not self.n or not arr.size:
            return np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(self._ids_sorted, arr)
        pos = np.minimum(pos, self.n - 1)
        ok = self._ids_sorted[pos] == arr
        return self._id_order[pos[ok]]

    def span(self) -> tuple[float, float] | None:
        if not self.n:
            return None
        return float(self.t.min()), float(self.t.max())

    def slices(self, t0: float, t1: float) -> VisibleSlices:
        lo = np.empty(self.n_lanes, dtype=np.int64)
        hi = np.empty(self.n_lanes, dtype=np.int64)
        for lane in range(self.n_lanes):
            a, b = self.lane_start[lane], self.lane_start[lane + 1]
            seg = self.ts[a:b]
            lo[lane] = a + np.searchsorted(seg, t0, side="left")
            hi[lane] = a + np.searchsorted(seg, t1, side="right")
        return VisibleSlices(lo, hi)

    def column_counts(self, t0: float, t1: float, columns: int) -> np.ndarray:
        """Counts per (lane, kind-or-dimmed, column) over ``columns`` equal bins of [t0, t1].

        Returns int32 array of shape (n_lanes, 4, columns): kinds 0..2 active, 3 = dimmed.
        """
        edges = np.linspace(t0, t1, columns + 1)
        out = np.zeros((self.n_lanes, N_KINDS + 1, columns), dtype=np.int32)
        for lane in range(self.n_lanes):
            a, b = self.lane_start[lane], self.lane_start[lane + 1]
            if a == b:
                continue
            pos = a + np.searchsorted(self.ts[a:b], edges, side="left")
            p = self.prefix[pos]                                  # (columns + 1, 4)
            out[lane] = (p[1:] - p[:-1]).T
        return out

    def nearest_in_lane(self, lane: int, t: float, max_dt: float) -> int | None:
        """Original index of the event in ``lane`` nearest to ``t`` within ``max_dt`` seconds."""
        if not (0 <= lane < self.n_lanes):
            return None
        a, b = self.lane_start[lane], self.lane_start[lane + 1]
        if a == b:
            return None
        seg = self.ts[a:b]
        j = int(np.searchsorted(seg, t))
        best, best_dt = None, max_dt
        for c in (j - 1, j):
            if 0 <= c < b - a:
                dt = abs(float(seg[c]) - t)
                if dt <= best_dt:
                    best, best_dt = c, dt
        return None if best is None else int(self.order[a + best])

    def watch_columns(self, t0: float, t1: float, columns: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-column max of log10 watch seconds: (column centre times, values) for non-empty columns."""
        if not self.w_t.size or columns < 1:
            return np.zeros(0), np.zeros(0)
        a = int(np.searchsorted(self.w_t, t0, side="left"))
        b = int(np.searchsorted(self.w_t, t1, side="right"))
        if a >= b:
            return np.zeros(0), np.zeros(0)
        tt = self.w_t[a:b]
        vv = self.w_log[a:b]
        edges = np.linspace(t0, t1, columns + 1)
        starts = np.searchsorted(tt, edges[:-1], side="left")
        ends = np.searchsorted(tt, edges[1:], side="left")
        nonempty = np.flatnonzero(ends > starts)
        if not nonempty.size:
            return np.zeros(0), np.zeros(0)
        maxima = np.maximum.reduceat(vv, starts[nonempty])
        centres = (edges[nonempty] + edges[nonempty + 1]) * 0.5
        return centres, maxima

    def watch_points(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        a = int(np.searchsorted(self.w_t, t0, side="left"))
        b = int(np.searchsorted(self.w_t, t1, side="right"))
        return self.w_t[a:b], self.w_log[a:b]


def density_rgba(counts: np.ndarray) -> np.ndarray:
    """RGBA image (n_lanes * ROWS_PER_LANE, columns, 4) from ``column_counts`` output.

    Each lane band has three strips, one per kind: conversions on top, views in the middle (the
    widest), engagements below, each coloured by its kind with opacity growing with log(count)
    relative to that lane's busiest column for that kind. So a single conversion or like is never
    averaged away by thousands of views. Columns holding only filtered-out (dimmed) events are faint
    grey across the band.
    """
    n_lanes, _, columns = counts.shape
    # one packed little-endian RGBA uint32 per pixel: a strip is filled with a single broadcast store
    img32 = np.zeros((n_lanes, ROWS_PER_LANE, columns), dtype="<u4")
    if columns and n_lanes:
        c = counts.astype(np.float32)
        floor = (0.30, 0.45, 0.80)
        for k, (r0, r1) in enumerate(KIND_ROWS):
            ck = c[:, k, :]                                                  # (L, W)
            peak = np.log1p(np.maximum(ck.max(axis=1, keepdims=True), 1.0))
            alpha = np.where(ck > 0, floor[k] + (1.0 - floor[k]) * np.log1p(ck) / peak, 0.0)
            r, g, b = hex_rgb(KIND_COLORS[k])
            packed = (alpha * 255.0).astype("<u4") << 24 | np.uint32(r | g << 8 | b << 16)
            img32[:, r0:r1, :] = np.where(alpha > 0, packed, 0).astype("<u4")[:, None, :]
        only_dim = (c[:, :N_KINDS, :].sum(axis=1) == 0) & (c[:, N_KINDS, :] > 0)   # (L, W)
        if only_dim.any():
            r, g, b = hex_rgb(DIM_COLOR)
            dim = np.uint32(r | g << 8 | b << 16 | 60 << 24)
            r0, r1 = KIND_ROWS[KIND_CONVERSION][0], KIND_ROWS[KIND_ENGAGEMENT][1]
            block = img32[:, r0:r1, :]
            block[np.broadcast_to(only_dim[:, None, :], block.shape)] = dim
    return img32.view(np.uint8).reshape(n_lanes * ROWS_PER_LANE, columns, 4)


def overview_rgba(counts: np.ndarray) -> np.ndarray:
    """One row per lane for the overview strip: total activity (all kinds, dimmed included).

    Returns (n_lanes, columns, 4) uint8; opacity grows with log(count) relative to the busiest column.
    """
    n_lanes, _, columns = counts.shape
    img = np.zeros((n_lanes, columns, 4), dtype=np.uint8)
    if columns == 0 or n_lanes == 0:
        return img
    total = counts[:, :N_KINDS, :].sum(axis=1).astype(np.float32) + counts[:, N_KINDS, :]
    peak = np.log1p(max(float(total.max()), 1.0))
    alpha = np.where(total > 0, 0.15 + 0.45 * np.log1p(total) / peak, 0.0)
    img[:, :, :3] = (0x8f, 0xa8, 0xc4)
    img[:, :, 3] = (alpha * 255).astype(np.uint8)
    return img
