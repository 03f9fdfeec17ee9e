"""The pure packages import without PySide6, pyqtgraph or qasync (docs/architecture.md#layering)."""

from __future__ import annotations

from tests.blocked_imports import run_blocked

PURE = ["workbench.traces", "workbench.simulate", "workbench.evaluate", "workbench.annotate",
        "workbench.demo", "workbench.tasks", "workbench.paths"]

_SCRIPT = r"""
import importlib, pkgutil, sys

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
print("\n".join(imported))
"""


def test_blocker_really_blocks():
    proc = run_blocked(_SCRIPT, "pyqtgraph")
    assert proc.returncode != 0 and "blocked" in proc.stderr


def test_pure_packages_import_without_qt():
    proc = run_blocked(_SCRIPT, *PURE, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported = proc.stdout.split()
    for name in PURE:
        assert name in imported
    assert "workbench.traces.load" in imported and "workbench.traces.query" in imported
