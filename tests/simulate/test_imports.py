"""The simulate package stays pure: no Qt, and litellm only when a call or the litellm counter needs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CODE = """
import sys
import workbench.simulate.cli, workbench.simulate.runner, workbench.simulate.providers
import workbench.simulate.cache, workbench.simulate.baselines, workbench.devserver, workbench.secrets
from workbench.simulate.prompts import build_prompt
from workbench.simulate.questions import questions_for_event
ev = {"type": "Video Browsing", "timestamp": "2025-09-01 10:00:00", "context": {"caption": "x"},
      "action": [{"type": "watch", "play_duration": 3}]}
p = build_prompt("", [(0, ev)], ev, questions_for_event(ev)[1])
assert p.history_event_indices == (0,)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph", "qasync", "litellm"))
print(",".join(bad))
"""


def test_no_qt_and_no_litellm_on_import_or_prompt_build():
    out = subprocess.run([sys.executable, "-c", CODE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
