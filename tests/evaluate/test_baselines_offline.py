"""The offline baselines (``baseline:user``, ``baseline:population``) never import litellm: a
``workbench predict`` and a ``workbench eval`` with only baselines, in a fresh process, end with
``litellm`` absent from ``sys.modules``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.evaluate.test_sampling import _big_user

ROOT = Path(__file__).resolve().parents[2]

CODE = """
import sys
from workbench.cli import main
rc_predict = main(["predict", sys.argv[1], "--user", "user_001", "--event", "30",
                   "--model", "baseline:user", "--model", "baseline:population"])
rc_eval = main(["eval", sys.argv[1], "--model", "baseline:user", "--model", "baseline:population",
                "--n-per-user", "3", "--out", sys.argv[2], "--allow-failures", "1000"])
print("RESULT", rc_predict, rc_eval, "litellm" in sys.modules,
      sorted(m for m in sys.modules if m.split(".")[0] in ("litellm", "openai", "tiktoken")))
"""


def test_baseline_predict_and_eval_do_not_import_litellm(tmp_path):
    u = _big_user("user_001", 40, seed=3)
    path = tmp_path / "t.json"
    path.write_text(json.dumps({u.user_id: {"user_profile": u.profile, "action_history": u.events}},
                               ensure_ascii=False))
    out = subprocess.run([sys.executable, "-c", CODE, str(path), str(tmp_path / "o")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    result = [line for line in out.stdout.splitlines() if line.startswith("RESULT")]
    assert result, out.stderr[-2000:]
    assert result[0] == "RESULT 0 0 False []", (result, out.stderr[-2000:])
    assert (tmp_path / "o" / "report.json").exists()
