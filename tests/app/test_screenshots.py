"""Screenshot comparisons of the main window on fixed data (regenerate with --regen-baselines)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPainter

from tests.app.data import chain_indices, write_traces
from workbench.app.cli_shot import render

BASELINES = Path(__file__).parent / "baselines"
#: A pixel differs when a channel differs by more than this; the picture fails above MAX_FRACTION.
PIXEL_TOLERANCE = 48
MAX_FRACTION = 0.004
MAX_MEAN = 2.5

pytestmark = pytest.mark.screenshot


def _array(path: Path) -> np.ndarray:
    img = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    assert not img.isNull(), path
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8, count=img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def compare(actual: Path, expected: Path) -> tuple[bool, str]:
    a, b = _array(actual), _array(expected)
    if a.shape != b.shape:
        return False, f"size {a.shape[1]}x{a.shape[0]} differs from the baseline's {b.shape[1]}x{b.shape[0]}"
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    frac = float((diff.max(axis=2) > PIXEL_TOLERANCE).mean())
    mean = float(diff.mean())
    ok = frac <= MAX_FRACTION and mean <= MAX_MEAN
    return ok, f"{frac:.4%} of pixels differ (limit {MAX_FRACTION:.2%}), mean difference {mean:.2f} (limit {MAX_MEAN})"


def _check(tmp_path: Path, name: str, regen: bool, **kwargs) -> None:
    out = tmp_path / f"{name}.png"
    errors = render(str(write_traces(tmp_path / "data")), str(out), **kwargs)
    assert errors == [] and out.exists()
    baseline = BASELINES / f"{name}.png"
    if regen or not baseline.exists():
        BASELINES.mkdir(parents=True, exist_ok=True)
        baseline.write_bytes(out.read_bytes())
        if not regen:
            pytest.skip(f"baseline {baseline.name} created; re-run to compare")
        return
    ok, message = compare(out, baseline)
    if not ok:
        keep = tmp_path / f"{name}.actual.png"
        keep.write_bytes(out.read_bytes())
    assert ok, f"{name}: {message}; actual picture kept at {out}"


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
    changed = tmp_path / "changed.png"
    img.save(str(changed))
    assert compare(base, base)[0]
    ok, message = compare(changed, base)
    assert not ok and "pixels differ" in message
