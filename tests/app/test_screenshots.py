"""Screenshot comparisons of the main window on fixed data (regenerate with --regen-baselines)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage, QPainter

from tests.app.data import chain_indices, write_traces
from tests.screenshots import check_baseline, compare
from workbench.app.cli_shot import render

BASELINES = Path(__file__).parent / "baselines"
#: Limits of tests/screenshots.py for whole windows.
MAX_FRACTION = 0.004
MAX_MEAN = 2.5

pytestmark = pytest.mark.screenshot


def _check(tmp_path: Path, name: str, regen: bool, **kwargs) -> None:
    out = tmp_path / f"{name}.png"
    errors = render(str(write_traces(tmp_path / "data")), str(out), **kwargs)
    assert errors == [] and out.exists()
    check_baseline(QImage(str(out)), BASELINES / f"{name}.png", regen, tmp_path,
                   max_fraction=MAX_FRACTION, max_mean=MAX_MEAN)


def _epoch(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp()


def test_main_window_with_causal_chain(tmp_path, regen_baselines, qapp):
    _check(tmp_path, "main_chain", regen_baselines, user="user_a", select=chain_indices()[-1],
           time_range=(_epoch("2025-08-30"), _epoch("2025-09-15")), size=(1280, 800))


def test_main_window_filtered_dialogue(tmp_path, regen_baselines, qapp):
    cs = 67
    _check(tmp_path, "filtered_dialogue", regen_baselines, user="user_a", select=cs, text_filter="跑鞋",
           time_range=(_epoch("2025-09-09"), _epoch("2025-09-14")), size=(1100, 720))


def test_comparison_detects_a_changed_picture(tmp_path, qapp):
    base = BASELINES / "main_chain.png"
    if not base.exists():
        pytest.skip("no baseline yet")
    img = QImage(str(base))
    p = QPainter(img)
    p.fillRect(100, 100, 200, 120, QColor("#ff00ff"))
    p.end()
    original = QImage(str(base))
    assert compare(original, original, MAX_FRACTION, MAX_MEAN)[0]
    ok, message = compare(img, original, MAX_FRACTION, MAX_MEAN)
    assert not ok and "pixels differ" in message


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_main_window_at_laptop_and_desktop_sizes(tmp_path, regen_baselines, qapp, size):
    """The whole window at a laptop's and a desktop's screen size: nothing pushed off the right."""
    w, h = size
    _check(tmp_path, f"main_{w}x{h}", regen_baselines, user="user_a", select=chain_indices()[-1],
           time_range=(_epoch("2025-08-30"), _epoch("2025-09-15")), size=size)
    img = QImage(str(BASELINES / f"main_{w}x{h}.png"))
    assert (img.width(), img.height()) == size
