"""The HTML report in a real browser engine (Qt WebEngine, Chromium): it renders, runs no script
from trace or note text, makes no request (every request is recorded by an interceptor and a
loopback server counts hits), and its Content-Security-Policy blocks active content even if the
escaping were to miss some. Each load runs in its own process (``webengine_probe.py``)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from workbench.annotate.export import export_cases
from workbench.annotate.model import CasePrediction, Turn
from workbench.annotate.taxonomy import DEFAULT_TAGS, Tag

PROBE = Path(__file__).with_name("webengine_probe.py")

pytestmark = pytest.mark.skipif(importlib.util.find_spec("PySide6.QtWebEngineWidgets") is None,
                                reason="Qt WebEngine is not installed")


@pytest.fixture
def loopback():
    """A loopback HTTP server that records every path asked of it."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"x")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def probe(path: Path, *extra: str, timeout: float = 240.0) -> dict:
    res = subprocess.run([sys.executable, str(PROBE), str(path), "--timeout", str(timeout), *extra],
                         capture_output=True, text=True, timeout=timeout + 60, check=False)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    assert res.returncode == 0 and lines, res.stdout + res.stderr[-3000:]
    return json.loads(lines[-1])


def payloads(base: str) -> list[str]:
    return [
        "<script>document.body.setAttribute('data-pwned','script')</script>",
        f"<img src=\"{base}/img.png\" onerror=\"document.body.setAttribute('data-pwned','onerror')\">",
        f"\"><svg onload=\"document.body.setAttribute('data-pwned','svg')\"><image href=\"{base}/svg.png\"/></svg>",
        f"<iframe src=\"{base}/frame\"></iframe><object data=\"{base}/obj\"></object>",
        f"<link rel=stylesheet href=\"{base}/x.css\"><style>@import url({base}/y.css); body{{background:url({base}/bg.png)}}</style>",
        f"<meta http-equiv=\"refresh\" content=\"0;url={base}/refresh\">",
        f"<a href=\"javascript:document.body.setAttribute('data-pwned','js')\">x</a> {base}/plain-text-url",
        "\u202e\x00\x1b[2J 用户 😀 </textarea></pre></details></article>",
    ]


def hostile_cases(sample_cases, base: str):
    bad = payloads(base)
    text = " ".join(bad)
    first = replace(sample_cases[1], note=text, prompt=text, user_id=bad[0],
                    transcript=tuple(Turn("user" if i % 2 else "assistant", p) for i, p in enumerate(bad)),
                    predictions=(CasePrediction(bad[1], "next_user_message", bad[2], bad[2], bad[3], True),),
                    real_values={"next_user_message": bad[4]},
                    event={"type": bad[5], "timestamp": bad[6], "context": {bad[7]: bad[0]}})
    return [first, *sample_cases[2:]]


def test_hostile_report_renders_runs_no_script_and_requests_nothing(tmp_path, sample_cases, loopback):
    base, hits = loopback
    taxonomy = (*DEFAULT_TAGS, Tag("custom", payloads(base)[0], 9, color=f"url({base}/c)"))
    out = export_cases(hostile_cases(sample_cases, base), "html", tmp_path / "report.html",
                       title=payloads(base)[1], taxonomy=taxonomy)
    got = probe(out)
    assert got["loaded"] and got["scroll_height"] > 0
    assert got["pwned"] is None
    assert got["requests"] == [out.resolve().as_uri()], got["requests"]
    assert hits == []
    assert got["title"].startswith("<img src=")  # the hostile title is shown as text


def _inject(html_text: str, base: str) -> str:
    raw = (f"<script>document.body.setAttribute('data-pwned','raw')</script>"
           f"<img src=\"{base}/raw.png\"><link rel=stylesheet href=\"{base}/raw.css\">"
           f"<iframe src=\"{base}/raw-frame\"></iframe>")
    return html_text.replace("<body>", "<body>" + raw, 1)


def test_csp_blocks_active_content_the_escaping_might_miss(tmp_path, sample_cases, loopback):
    base, hits = loopback
    page = export_cases(sample_cases, "html", tmp_path / "report.html").read_text(encoding="utf-8")
    tampered = tmp_path / "tampered.html"
    tampered.write_text(_inject(page, base), encoding="utf-8")
    got = probe(tampered)
    assert got["loaded"] and got["pwned"] is None
    assert got["requests"] == [tampered.resolve().as_uri()], got["requests"]
    assert hits == []
    assert any("Content Security Policy" in m for m in got["console"]), got["console"]

    # control: the same page without its CSP does run the script and fetch, so the probe can see it
    no_csp = tmp_path / "no_csp.html"
    stripped = _inject(page, base)
    start = stripped.index('<meta http-equiv="Content-Security-Policy"')
    stripped = stripped[:start] + stripped[stripped.index(">", start) + 1:]
    no_csp.write_text(stripped, encoding="utf-8")
    control = probe(no_csp)
    assert control["pwned"] == "raw"
    assert any(u.startswith(base) for u in control["requests"])


def test_report_with_a_5_mb_note_loads_and_keeps_the_full_text(tmp_path, sample_cases):
    """Completion, not speed, is asserted here; bench/report_render.py measures the time."""
    note = "A" * 5_000_000 + "END"
    big = replace(sample_cases[1], note=note, prompt="P" * 1_000_000)
    out = export_cases([big, *sample_cases[2:]], "html", tmp_path / "big.html")
    got = probe(out, "--open-details")
    assert got["loaded"] and got["scroll_height"] > 0 and got.get("open_scroll_height", 0) > 0
    assert got["body_text_chars"] > 6_000_000          # the whole note and prompt are in the page
    assert got["pwned"] is None and got["requests"] == [out.resolve().as_uri()]
