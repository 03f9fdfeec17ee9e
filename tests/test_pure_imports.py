"""The pure packages import without PySide6, pyqtgraph or qasync (DESIGN.md: the core is Qt-free)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PURE = ["workbench.traces", "workbench.simulate", "workbench.evaluate", "workbench.annotate",
        "workbench.demo", "workbench.tasks", "workbench.paths"]

_SCRIPT = r"""
import importlib, importlib.util, pkgutil, sys

BLOCKED = ("PySide6", "pyqtgraph", "qasync", "shiboken6")


class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked: pure packages must not import Qt")
        return None


sys.meta_path.insert(0, Blocker())
imported = []
for top in sys.argv[1:]:
    module = importlib.import_module(top)
    imported.append(top)
    if hasattr(module, "__path__"):  # a package: import every submodule too
        for info in pkgutil.walk_packages(module.__path__, top + "."):
            if info.name.endswith((".cli", "cli_gui", "cli_shot")) and ".app" in info.name:
                continue
            importlib.import_module(info.name)
            imported.append(info.name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
assert not leaked, leaked
print("\n".join(imported))
"""


def test_blocker_really_blocks():
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, "pyqtgraph"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode != 0 and "blocked" in proc.stderr


def test_pure_packages_import_without_qt():
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, *PURE], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported = proc.stdout.split()
    for name in PURE:
        assert name in imported
    assert "workbench.traces.load" in imported and "workbench.traces.query" in imported
