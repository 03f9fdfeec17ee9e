"""Start-up on a desktop without Qt's X11 libraries: one line naming every missing library and the
install commands (Debian/Ubuntu and Fedora), exit code 2, before Qt can abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.app import platform_check as pc

ROOT = Path(__file__).resolve().parents[2]


def _real_plugin() -> Path:
    plugin, _ = pc._qt_dirs()
    if plugin is None:
        pytest.skip("PySide6 has no xcb plugin here")
    return plugin


def test_elf_needed_reads_the_plugins_libraries():
    needed = pc.elf_needed(_real_plugin())
    assert "libQt6XcbQpa.so.6" in needed and "libxkbcommon-x11.so.0" in needed
    assert pc.elf_needed(__file__) == []                # not an ELF file


def test_hint_names_libraries_and_both_install_commands():
    line = pc.install_hint(["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxkbcommon-x11.so.0"])
    assert "\n" not in line
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4, libxkbcommon-x11.so.0" in line
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxkbcommon-x11-0 (Debian/Ubuntu)" in line
    assert "sudo dnf install xcb-util-cursor xcb-util-wm libxkbcommon-x11 (Fedora)" in line


def test_only_checked_when_qt_will_use_xcb():
    assert pc.uses_xcb({"DISPLAY": ":0"}) is sys.platform.startswith("linux")
    assert not pc.uses_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"})
    assert not pc.uses_xcb({})
    assert not pc.uses_xcb({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"})


def test_present_libraries_are_not_reported():
    plugin, shipped = pc._qt_dirs()
    if plugin is None:
        pytest.skip("no xcb plugin")
    assert pc.missing_libraries(plugin, shipped) == []   # this machine has Qt's X11 libraries


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux ELF")
def test_app_exits_2_with_one_line_when_a_library_is_missing(tmp_path):
    """A copy of the plugin that needs a library no system has (libxcb-cursor.so.9): the window
    command prints one line and exits 2 before Qt starts."""
    real = _real_plugin()
    data = real.read_bytes()
    assert data.count(b"libxcb-cursor.so.0\0") == 1
    fake_dir = tmp_path / "platforms"
    fake_dir.mkdir()
    (fake_dir / "libqxcb.so").write_bytes(data.replace(b"libxcb-cursor.so.0\0", b"libxcb-cursor.so.9\0"))
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": ":987", "QT_QPA_PLATFORM_PLUGIN_PATH": str(fake_dir),
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "workbench"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "libxcb-cursor.so.9" in lines[0] and "apt-get install libxcb-cursor0" in lines[0]
    assert "dnf install xcb-util-cursor" in lines[0]
