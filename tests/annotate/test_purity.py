"""The annotate package is pure: it imports without PySide6, pyqtgraph, qasync or litellm."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.blocked_imports import QT_AND_LITELLM, run_blocked


def test_annotate_imports_without_qt_or_litellm():
    code = textwrap.dedent("""
        import workbench.annotate.model, workbench.annotate.store, workbench.annotate.queue
        import workbench.annotate.export, workbench.annotate.report, workbench.annotate.redact
        import workbench.annotate.context, workbench.annotate.markers, workbench.annotate.svg
        import workbench.annotate.cli
        workbench.annotate.markers.find_markers("please")
        print("ok")
    """)
    res = run_blocked(code, blocked=QT_AND_LITELLM)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


def test_cli_module_is_light():
    code = ("import sys; import workbench.annotate.cli as c; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('polars', 'orjson', 'sqlite3')))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
