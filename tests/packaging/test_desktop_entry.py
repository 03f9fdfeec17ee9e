"""The freedesktop entry has the required keys and points at the console script and an existing icon."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "packaging" / "behavior-trace-workbench.desktop"


@pytest.fixture(scope="module")
def entry() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    assert parser.sections()[0] == "Desktop Entry"
    return dict(parser["Desktop Entry"])


def test_required_keys(entry):
    for key in ("Type", "Name", "Exec", "Icon", "Comment", "Categories", "Terminal"):
        assert entry.get(key), f"{key} missing or empty"
    assert entry["Type"] == "Application"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";")
    assert entry["Name"] == "Behavior Trace Workbench"


def test_exec_runs_the_console_script(entry):
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    from workbench.cli import COMMANDS

    program, *rest = entry["Exec"].split()
    assert program in scripts
    assert entry.get("TryExec", program) == program
    words = [w for w in rest if not w.startswith("%")]
    assert not words or words[0] in COMMANDS  # e.g. "workbench gui %f"
    assert all(code in ("%f", "%F", "%u", "%U") for code in rest if code.startswith("%"))


def test_icon_name_resolves_to_shipped_files(entry):
    icon = entry["Icon"]
    assert "/" not in icon and not icon.endswith((".png", ".svg")), "theme icon name expected"
    icons = ROOT / "resources" / "icons"
    assert (icons / f"{icon}.svg").is_file()
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert (icons / f"{icon}-{size}.png").is_file()


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate (desktop-file-utils) not installed")
def test_desktop_file_validate_accepts_it():
    proc = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr
