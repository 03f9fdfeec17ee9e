"""Comparing rendered pictures with baseline PNGs (one policy for every screenshot test).

A pixel differs when one of its colour channels differs by more than ``PIXEL_TOLERANCE`` (fonts
anti-alias slightly differently from machine to machine); a picture passes when at most
``max_fraction`` of its pixels differ and the mean channel difference is at most ``max_mean``.
``pytest --regen-baselines`` rewrites the baselines; a missing baseline is written and the test
skipped. A failing picture is kept next to the test's tmp dir for a look.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

PIXEL_TOLERANCE = 48


def image_array(img: QImage) -> np.ndarray:
    """Height x width x RGB (int16, so that differences do not wrap)."""
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    assert not img.isNull(), "unreadable picture"
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
    arr = buf.reshape(img.height(), img.bytesPerLine())[:, : img.width() * 3]
    return arr.reshape(img.height(), img.width(), 3).astype(np.int16)


def compare(actual: QImage, expected: QImage, max_fraction: float, max_mean: float) -> tuple[bool, str]:
    a, b = image_array(actual), image_array(expected)
    if a.shape != b.shape:
        return False, f"size {a.shape[1]}x{a.shape[0]} differs from the baseline's {b.shape[1]}x{b.shape[0]}"
    diff = np.abs(a - b)
    frac = float((diff.max(axis=2) > PIXEL_TOLERANCE).mean())
    mean = float(diff.mean())
    ok = frac <= max_fraction and mean <= max_mean
    return ok, f"{frac:.4%} of pixels differ (limit {max_fraction:.2%}), mean difference {mean:.2f} (limit {max_mean})"


def check_baseline(img: QImage, baseline: Path, regen: bool, tmp_path: Path, *, max_fraction: float,
                   max_mean: float) -> None:
    """Fail (keeping the picture in ``tmp_path``) unless ``img`` matches ``baseline``."""
    if regen or not baseline.exists():
        baseline.parent.mkdir(parents=True, exist_ok=True)
        assert img.save(str(baseline)), f"could not write baseline {baseline}"
        if not regen:
            pytest.skip(f"baseline {baseline.name} was missing and has been written; re-run to compare")
        return
    expected = QImage(str(baseline))
    assert not expected.isNull(), f"baseline {baseline} is unreadable"
    ok, message = compare(img, expected, max_fraction, max_mean)
    if not ok:
        kept = tmp_path / f"{baseline.stem}.actual.png"
        img.save(str(kept))
        pytest.fail(f"{baseline.stem}: {message}; actual picture kept at {kept}")
