"""Screenshot comparisons of the widgets against baseline PNGs (regenerate with --regen-baselines)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from tests.screenshots import check_baseline
from widgets.timeline import GhostSpec, HighlightSpec, TimelineWidget
from widgets.transcript import TranscriptView

BASELINES = Path(__file__).parent / "baselines"
#: Widgets are small pictures: a few differing pixels matter (see tests/screenshots.py).
MAX_FRACTION = 0.002
MAX_MEAN = 1.3
T0 = 1756684800.0
LANES = ["Video Browsing", "Live Streaming", "E-commerce", "Customer Service", "Advertisement", "Search Behavior"]


def compare_with_baseline(img: QImage, name: str, regen: bool, tmp_path: Path) -> None:
    check_baseline(img, BASELINES / f"{name}.png", regen, tmp_path, max_fraction=MAX_FRACTION, max_mean=MAX_MEAN)


def demo_arrays(n: int = 4000, seed: int = 5):
    rng = np.random.default_rng(seed)
    day = rng.integers(0, 14, n)
    hour = (rng.normal(20.0, 2.5, n)) % 24
    t = T0 + day * 86400.0 + hour * 3600.0
    lane = rng.choice(6, size=n, p=[0.5, 0.15, 0.15, 0.05, 0.1, 0.05]).astype(np.int8)
    u = rng.random(n)
    kind = np.where(u < 0.03, 2, np.where(u < 0.18, 1, 0)).astype(np.int8)
    value = np.where(lane <= 1, np.round(rng.lognormal(2.5, 1.0, n)), np.nan)
    return t, lane, kind, value, np.arange(n, dtype=np.int64)


@pytest.mark.screenshot
def test_timeline_density_screenshot(qtbot, regen_baselines, tmp_path):
    w = TimelineWidget(LANES)
    qtbot.addWidget(w)
    w.resize(1000, 560)
    w.show()
    qtbot.waitExposed(w)
    t, lane, kind, value, ids = demo_arrays(30_000)
    w.set_data(t, lane, kind, value, ids, LANES)
    assert w.mode == "density"
    compare_with_baseline(w.grab().toImage(), "timeline_density", regen_baselines, tmp_path)


@pytest.mark.screenshot
def test_timeline_marks_screenshot(qtbot, regen_baselines, tmp_path):
    w = TimelineWidget(LANES)
    qtbot.addWidget(w)
    w.resize(1000, 560)
    w.show()
    qtbot.waitExposed(w)
    t, lane, kind, value, ids = demo_arrays()
    w.set_data(t, lane, kind, value, ids, LANES)
    day3 = T0 + 3 * 86400
    w.set_range(day3 + 17 * 3600, day3 + 26 * 3600)
    assert w.mode == "marks"
    inside = np.flatnonzero((t > day3 + 18 * 3600) & (t < day3 + 25 * 3600))
    chain = ids[inside[:: max(1, inside.size // 4)]][:4]
    w.set_highlights([HighlightSpec("chain", chain, "#F0E442", connect=True, label="causal chain")])
    w.set_ghosts([GhostSpec(int(chain[0]), int(lane[chain[0]]), True, "agrees"),
                  GhostSpec(int(chain[0]), int(lane[chain[0]]), False, "differs")])
    mask = lane != 4
    w.set_dim_mask(mask)
    w.set_selected(int(chain[1]))
    compare_with_baseline(w.grab().toImage(), "timeline_marks", regen_baselines, tmp_path)


@pytest.mark.screenshot
def test_transcript_screenshot(qtbot, regen_baselines, tmp_path):
    v = TranscriptView()
    qtbot.addWidget(v)
    v.resize(520, 360)
    v.set_turns([
        {"role": "user", "content": "My parcel <#88> is late & nobody answers!", "spans": [(26, 41, "blame")]},
        {"role": "agent", "content": "So sorry, dear! Let me check it for you.", "spans": [(0, 8, "politeness")]},
        {"role": "user", "content": "Maybe it got lost?", "spans": [(0, 5, "hedging")]},
    ], simulated={"role": "user", "content": "Thank you, that is wonderful!", "label": "model-x"})
    v.show()
    qtbot.waitExposed(v)
    compare_with_baseline(v.grab().toImage(), "transcript", regen_baselines, tmp_path)
