"""One helper for the purity tests: run code in a fresh interpreter where some packages cannot be imported.

``run_blocked(code, blocked=QT)`` starts ``python -c`` (working directory: the repository, so the code
under test is the one imported) with an import hook that raises ImportError for ``blocked`` (and
their submodules) before ``code`` runs, and a check after it that none of them reached
``sys.modules`` by another route. Returns the finished process; callers assert on its returncode,
stdout and stderr.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The Qt stack the pure packages must never import.
QT = ("PySide6", "pyqtgraph", "qasync", "shiboken6")
#: Qt and litellm (slow to import; only a model call may import it).
QT_AND_LITELLM = (*QT, "litellm")

_PRELUDE = """
import sys as _sys

_BLOCKED = {blocked!r}


class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in _BLOCKED:
            raise ImportError(f"{{name}} is blocked: this code must not import it")
        return None


_sys.meta_path.insert(0, _Blocker())
"""

_EPILOGUE = """
_leaked = sorted(m for m in _sys.modules if m.split(".")[0] in _BLOCKED)
assert not _leaked, f"imported anyway: {_leaked}"
"""


def run_blocked(code: str, *args: str, blocked: tuple[str, ...] = QT, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``code`` (with ``args`` as ``sys.argv[1:]``) where importing any of ``blocked`` fails."""
    script = _PRELUDE.format(blocked=tuple(blocked)) + "\n" + code + "\n" + _EPILOGUE
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)
