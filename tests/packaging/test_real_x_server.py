"""The development install starts on a real X server (a private Xvfb, Qt's xcb plugin), paints its
first window, imports no litellm and draws Chinese (the same check ``make smoke`` runs for the
frozen app). Skipped only where Xvfb is not installed; ``.ci/run`` installs it."""

from __future__ import annotations

import shutil

import pytest

from tests.packaging.test_build_tools import _load

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")


def test_dev_install_paints_its_window_on_xvfb(tmp_path):
    smoke = _load("smoke_test")
    report = smoke.smoke_dev(180.0, tmp_path)
    assert report["dev_failures"] == []
    assert report["dev_x11_exit_code"] == 0 and report["dev_x11_first_paint_s"] is not None
    assert report["dev_x11_litellm_imported"] is False and report["dev_x11_chinese_drawable"] is True


def test_xvfb_gives_a_private_display_and_stops_it(tmp_path):
    import subprocess

    smoke = _load("smoke_test")
    with smoke.xvfb() as display:
        assert display and display.startswith(":")
        env = smoke.x11_env({"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}, display)
        assert "QT_QPA_PLATFORM" not in env and env["DISPLAY"] == display
        if shutil.which("xdpyinfo"):
            out = subprocess.run(["xdpyinfo", "-display", display], capture_output=True, text=True, timeout=30)
            assert "1366x768" in out.stdout
    socket = f"/tmp/.X11-unix/X{display[1:]}"
    import os
    import time

    deadline = time.time() + 10
    while os.path.exists(socket) and time.time() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(socket)          # the server is gone
