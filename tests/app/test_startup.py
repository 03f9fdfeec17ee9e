"""Start-up: the window opens and paints without importing litellm; `workbench shot` renders PNGs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from tests.app.data import write_traces

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **env}
    environ.pop("LITELLM_LOCAL_MODEL_COST_MAP", None)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=120)


def test_window_paints_without_importing_litellm(tmp_path):
    """`workbench open PATH` builds and shows the main window; after its first paint litellm is not in
    sys.modules (cli_gui prints the check)."""
    path = write_traces(tmp_path)
    result = _run(["-m", "workbench", "open", str(path)], WORKBENCH_EXIT_AFTER_PAINT="1")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.split() if "=" in line)
    assert float(lines["first_paint_s"]) > 0
    assert lines["litellm_imported"] == "False"


def test_shot_command_writes_png(tmp_path):
    path = write_traces(tmp_path)
    out = tmp_path / "shot.png"
    result = _run(["-m", "workbench", "shot", str(path), "--user", "user_b", "--out", str(out),
                   "--size", "900x600", "--from", "2025-09-04", "--to", "2025-09-08", "--select", "1"])
    assert result.returncode == 0, result.stderr
    img = QImage(str(out))
    assert (img.width(), img.height()) == (900, 600)


def test_shot_command_rejects_bad_input(tmp_path, qapp, capsys):
    from workbench.cli import main

    path = write_traces(tmp_path)
    assert main(["shot", str(path), "--out", str(tmp_path / "x.png"), "--size", "big"]) == 2
    assert "--size" in capsys.readouterr().err
    assert main(["shot", str(tmp_path / "nope.json"), "--out", str(tmp_path / "x.png")]) == 2
    assert "nope.json" in capsys.readouterr().err
    assert main(["shot", str(path), "--out", str(tmp_path / "x.png"), "--from", "2025-09-09",
                 "--to", "2025-09-01"]) == 2
    assert "--to" in capsys.readouterr().err
    assert main(["shot", str(path), "--user", "ghost", "--out", str(tmp_path / "y.png")]) == 2
    assert "ghost" in capsys.readouterr().err
