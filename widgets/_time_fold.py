"""A time axis that folds the long gaps between sessions. Layer: widgets (pure numpy; no Qt).

Web-shopping traces are minutes of activity spread over weeks: on a linear axis every session is a
hairline. :class:`TimeFold` is a piecewise-linear map from real time (epoch seconds) to display
time: inside sessions (and across gaps shorter than ``min_gap``) one display second is one real
second; a longer gap between two sessions takes only ``folded_width`` display seconds. The map is
monotonic and invertible (:meth:`to_real`), so picking, ticks and tooltips can go back to real
times; :attr:`folds` lists the folded gaps (to draw a break mark and how long each really was) and
:meth:`boundaries` the display positions of session starts and ends.

    fold = TimeFold.from_sessions(starts, ends, min_gap=1800)
    x = fold.to_display(t)          # feed the timeline display time
    t = fold.to_real(x)             # and back
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Gaps between sessions longer than this (seconds) are folded by default.
DEFAULT_MIN_GAP = 30 * 60.0


@dataclass(frozen=True)
class Fold:
    real_start: float       # end of the session before the gap (epoch s)
    real_end: float         # start of the session after it
    display_start: float
    display_end: float

    @property
    def real_seconds(self) -> float:
        return self.real_end - self.real_start


def fold_label(seconds: float) -> str:
    """``3 d 4 h``, ``5 h 10 min``, ``42 min``: how long a folded gap really is."""
    s = max(0.0, float(seconds))
    d, rem = divmod(int(s), 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    if d:
        return f"{d} d {h} h" if h else f"{d} d"
    if h:
        return f"{h} h {m} min" if m else f"{h} h"
    return f"{m} min"


class TimeFold:
    """Piecewise-linear real <-> display time map (see the module docstring)."""

    def __init__(self, real_knots: np.ndarray, display_knots: np.ndarray, folds: list[Fold],
                 starts: np.ndarray, ends: np.ndarray) -> None:
        self.real_knots = real_knots
        self.display_knots = display_knots
        self.folds = folds
        self._starts = starts
        self._ends = ends

    @classmethod
    def identity(cls) -> TimeFold:
        z = np.array([0.0, 1.0])
        return cls(z, z.copy(), [], np.empty(0), np.empty(0))

    @classmethod
    def from_sessions(cls, starts: object, ends: object, *, min_gap: float = DEFAULT_MIN_GAP,
                      folded_width: float | None = None) -> TimeFold:
        """Fold every gap longer than ``min_gap`` seconds between consecutive sessions (spans
        ``[starts[i], ends[i]]``, epoch seconds, any order; overlapping spans are merged) to
        ``folded_width`` display seconds (default: a quarter of the median session length, at least
        one minute). Raises ValueError for mismatched or non-finite input or a bad gap."""
        s = np.asarray(starts, dtype=np.float64).ravel()
        e = np.asarray(ends, dtype=np.float64).ravel()
        if s.shape != e.shape:
            raise ValueError(f"TimeFold: {s.size} session starts but {e.size} ends")
        if s.size and not (np.isfinite(s).all() and np.isfinite(e).all()):
            raise ValueError("TimeFold: session times must be finite numbers")
        if not (min_gap > 0 and np.isfinite(min_gap)):
            raise ValueError(f"TimeFold: min_gap must be a positive number of seconds, got {min_gap!r}")
        if s.size == 0:
            return cls.identity()
        lo, hi = np.minimum(s, e), np.maximum(s, e)
        order = np.argsort(lo, kind="stable")
        lo, hi = lo[order], hi[order]
        merged_lo, merged_hi = [lo[0]], [hi[0]]
        for a, b in zip(lo[1:], hi[1:]):
            if a <= merged_hi[-1]:
                merged_hi[-1] = max(merged_hi[-1], b)
            else:
                merged_lo.append(a)
                merged_hi.append(b)
        if folded_width is None:
            folded_width = max(60.0, 0.25 * float(np.median(np.subtract(merged_hi, merged_lo))))
        if not (folded_width > 0 and np.isfinite(folded_width)):
            raise ValueError(f"TimeFold: folded_width must be a positive number of seconds, got {folded_width!r}")
        real = [merged_lo[0]]
        disp = [merged_lo[0]]  # display time starts at the first real time (same epoch as labels)
        folds: list[Fold] = []
        for k in range(len(merged_lo)):
            a, b = merged_lo[k], merged_hi[k]
            if k:
                gap = a - real[-1]
                width = folded_width if gap > min_gap else gap
                if gap > min_gap:
                    folds.append(Fold(real[-1], a, disp[-1], disp[-1] + width))
                real.append(a)
                disp.append(disp[-1] + width)
            if b > a:
                real.append(b)
                disp.append(disp[-1] + (b - a))
        r, d = np.asarray(real), np.asarray(disp)
        keep = np.concatenate(([True], np.diff(r) > 0))
        return cls(r[keep], d[keep], folds, np.asarray(merged_lo), np.asarray(merged_hi))

    def _map(self, x: object, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        v = np.asarray(x, dtype=np.float64)
        if src.size < 2:
            return v + (dst[0] - src[0]) if src.size else v.copy()
        out = np.interp(v, src, dst)
        out = np.where(v < src[0], dst[0] + (v - src[0]), out)      # slope 1 outside the sessions
        return np.where(v > src[-1], dst[-1] + (v - src[-1]), out)

    def to_display(self, t: object) -> np.ndarray:
        """Display time of real epoch seconds ``t`` (array or scalar)."""
        return self._map(t, self.real_knots, self.display_knots)

    def to_real(self, x: object) -> np.ndarray:
        """Real epoch seconds of display time ``x``; inside a folded gap, the proportional real time."""
        return self._map(x, self.display_knots, self.real_knots)

    def boundaries(self) -> tuple[np.ndarray, np.ndarray]:
        """Display positions of the (merged) session starts and ends."""
        return self.to_display(self._starts), self.to_display(self._ends)

    @property
    def folded_seconds(self) -> float:
        """Real time hidden by the folds (seconds)."""
        return float(sum(f.real_seconds - (f.display_end - f.display_start) for f in self.folds))
