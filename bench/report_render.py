"""How long a browser engine takes to render HTML case reports with huge fields. Layer: bench (prints
JSON; not a test).

Writes reports through the real export path (``export_cases(..., "html")``) and loads each in Qt
WebEngine (Chromium) with ``tests/annotate/webengine_probe.py`` in its own process; per report:
``load_s`` (load to loadFinished), ``layout_s`` (to the first layout), ``open_s`` (opening every
collapsed section, the full texts included, and laying out again), ``requests`` made. Reports:

* ``note_5mb``: one case whose note is 5 MB without a line break or space;
* ``note_5mb_lines``: a 5 MB note of 80-character lines;
* ``prompt_5mb_chinese``: a 5 MB Chinese prompt plus a 1 MB raw model output;
* ``cases_200``: 200 ordinary cases.

    python bench/report_render.py [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PROBE = ROOT / "tests" / "annotate" / "webengine_probe.py"


def _cases():
    from workbench.annotate.model import CasePrediction, Turn, new_case

    base = new_case(source="trace.json", user_id="user_0001", event_index=4, scenario="Customer Service",
                    fields=["next_user_message"], real_values={"next_user_message": "我要退款"},
                    transcript=[Turn("user", "你好"), Turn("assistant", "您好，请问有什么可以帮您？")],
                    tags=["utopian-tone"], note="too polite", prompt="history ...")
    line = ("x" * 79 + "\n") * (5_000_000 // 80)
    answer = "好的，非常感谢您的耐心！" * 90_000
    return {
        "note_5mb": [replace(base, note="A" * 5_000_000)],
        "note_5mb_lines": [replace(base, note=line)],
        "prompt_5mb_chinese": [replace(base, prompt="用户历史行为记录" * 625_000, predictions=(
            CasePrediction("gpt-4o", "next_user_message", answer, answer, answer, True),))],
        "cases_200": [replace(base, id=f"case{i:04d}", note=f"note {i} " * 40) for i in range(200)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="keep the reports in this folder")
    args = parser.parse_args()
    from workbench.annotate.export import export_cases

    folder = args.out or Path(tempfile.mkdtemp(prefix="report-render-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, cases in _cases().items():
        path = export_cases(cases, "html", folder / f"{name}.html")
        res = subprocess.run([sys.executable, str(PROBE), str(path), "--open-details", "--timeout", "300"],
                             capture_output=True, text=True, check=False)
        lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
        got = json.loads(lines[-1]) if lines else {"error": res.stderr[-500:]}
        results[name] = {"file_mb": round(path.stat().st_size / 1e6, 2), "loaded": got.get("loaded"),
                         "load_s": got.get("load_s"), "layout_s": got.get("layout_s"),
                         "open_s": got.get("open_s"), "requests": len(got.get("requests", [])),
                         "script_ran": got.get("pwned") is not None}
    results["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
