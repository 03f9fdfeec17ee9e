"""Smoke test of the frozen app and the development install: build, start on a real X server (Xvfb)
and offscreen on the demo data, wait for the first painted window.
Layer: packaging (build tool; run by ``make smoke``, not by the pytest suite: the build takes minutes).

    make smoke                                   # = python packaging/smoke_test.py
    python packaging/smoke_test.py --no-build    # reuse dist/workbench from an earlier build
    python packaging/smoke_test.py --exe ~/.local/bin/workbench   # any installed workbench (pipx)
    python packaging/smoke_test.py --dev-only    # only this checkout's development install, on Xvfb

Steps, each with a time limit:
1. build ``dist/workbench`` with ``packaging/build.py`` (skipped with ``--no-build``);
2. headless: ``workbench --version`` must print ``workbench.__version__``; ``workbench demo DIR`` writes
   the demo traces and ``workbench info DIR`` reads them (proves the CLI and polars work frozen);
3. GUI: ``workbench`` with ``QT_QPA_PLATFORM=offscreen`` and ``WORKBENCH_EXIT_AFTER_PAINT=1`` opens the
   main window on the default demo data, prints ``first_paint_s=...``, ``litellm_imported=...`` and
   ``chinese_drawable=...`` after the first paint and quits; it must exit with 0, print the line, not
   have imported litellm and draw Chinese with glyphs (the bundled font where the system has none);
4. the same on a real X server: a private ``Xvfb`` (1366x768) with Qt's xcb plugin, for the frozen
   app and for the development install (``python -m workbench`` from this checkout). Without Xvfb
   installed these checks fail (they are what proves the app starts on a desktop).
Config, cache and data folders (and HOME/XDG folders) are fresh temporary folders.
Prints one JSON object: ``{"build_s", "start_s", "bundle_mb", "exit_code", ...}``; exits 0 when every
check passed, 1 otherwise (the failed checks are listed under ``"failures"``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build as build_mod  # noqa: E402  (packaging/build.py)

ROOT = build_mod.ROOT
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # workbench.__version__ from the checkout, installed or not
PAINT_LINE = re.compile(r"^first_paint_s=([0-9.eE+-]+)\s*$", re.MULTILINE)
LITELLM_LINE = re.compile(r"^litellm_imported=(\w+)\s*$", re.MULTILINE)
CHINESE_LINE = re.compile(r"^chinese_drawable=(\w+)\s*$", re.MULTILINE)


def isolated_env(base: Path) -> dict[str, str]:
    """The environment for the frozen app: offscreen Qt, exit after first paint, fresh folders."""
    env = dict(os.environ)
    for name in ("CONFIG", "CACHE", "DATA"):
        folder = base / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[f"WORKBENCH_{name}_DIR"] = str(folder)
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "HOME"):
        folder = base / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["WORKBENCH_EXIT_AFTER_PAINT"] = "1"
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    # The frozen app must not pick up this interpreter's packages or Qt plugins.
    for name in ("PYTHONPATH", "PYTHONHOME", "QT_PLUGIN_PATH", "QML2_IMPORT_PATH", "VIRTUAL_ENV"):
        env.pop(name, None)
    return env


def run(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[int | None, str, str, float]:
    """Run ``cmd``; return (exit code or None on timeout, stdout, stderr, seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=env.get("HOME"))
    try:
        out, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()  # only the process this script started
        out, err = proc.communicate()
        code = None
    return code, out, err, time.perf_counter() - start


class _FakeLLM(BaseHTTPRequestHandler):
    """A minimal OpenAI-compatible chat endpoint on 127.0.0.1 that always answers "Yes"."""

    requests: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        type(self).requests.append(self.path)
        answer = {"id": "smoke", "object": "chat.completion", "created": 0, "model": body.get("model"),
                  "choices": [{"index": 0, "finish_reason": "stop",
                               "message": {"role": "assistant", "content": "Yes"}}],
                  "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


def fake_llm_server() -> ThreadingHTTPServer:
    """Start the fake LLM endpoint on a free loopback port (stop it with ``shutdown()``)."""
    _FakeLLM.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def parse_paint(stdout: str) -> tuple[float | None, bool | None]:
    """(first_paint_s, litellm_imported) from the app's stdout; None where the line is missing."""
    paint = PAINT_LINE.search(stdout)
    lite = LITELLM_LINE.search(stdout)
    return (float(paint.group(1)) if paint else None,
            (lite.group(1).lower() == "true") if lite else None)


def predict_check(exe: Path, demo: Path, env: dict[str, str], timeout: float) -> dict:
    """``workbench predict`` through litellm against a loopback fake LLM, with litellm's tokenizer;
    its exit status must follow the failed answers (0 when all parsed, else 1 with the count).

    Proves that litellm, its bundled model map and tiktoken encodings, httpx and the prompt/parse
    code work inside the frozen app (no network: the server is on 127.0.0.1).
    """
    users = sorted(p.stem for p in demo.glob("*.json"))
    if not users:
        return {"predict_failure": f"predict: no per-user JSON files in {demo}"}
    server = fake_llm_server()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/v1"
        cmd = [str(exe), "predict", str(demo / f"{users[0]}.json"), "--user", users[0], "--event", "5",
               "--model", "openai/smoke-test", "--api-base", base, "--tokenizer", "litellm",
               "--json", "--no-cache", "--max-history-tokens", "4000"]
        code, out, err, secs = run(cmd, env, timeout)  # a local server needs no API key
    finally:
        server.shutdown()
    result: dict = {"predict_exit_code": code, "predict_s": round(secs, 2),
                    "predict_llm_calls": len(_FakeLLM.requests)}
    data = _json_or_empty(out)
    parsed = [p.get("parse_ok") for q in data.get("questions", []) for p in q.get("predictions", [])]
    # The fake model answers "Yes" to everything: binary questions parse, a number question does
    # not. A failed answer makes predict exit 1 and say how many failed (as eval does): checked too.
    failed = sum(1 for ok in parsed if not ok)
    result["predict_parsed"] = f"{len(parsed) - failed}/{len(parsed)}"
    told = f"{failed} of {len(parsed)} questions were not answered" in err and data.get("failed") == failed
    if code != (1 if failed else 0) or (failed and not told) or not _FakeLLM.requests or not any(parsed):
        result["predict_failure"] = (f"predict: exit {code} with {failed} failed answers (expected exit "
                                     f"{1 if failed else 0} and the count on stderr), "
                                     f"{len(_FakeLLM.requests)} LLM calls, parse_ok {parsed}: "
                                     f"{err.strip()[-800:]}")
    return result


def _json_or_empty(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def smoke(exe: Path, timeout: float, workdir: Path) -> dict:
    """Run the headless and GUI checks against the frozen executable ``exe``."""
    from workbench import __version__

    env = isolated_env(workdir / "home")
    result: dict = {"failures": []}
    fail = result["failures"].append

    code, out, err, _ = run([str(exe), "--version"], env, timeout)
    result["version_output"] = out.strip()
    if code != 0 or __version__ not in out:
        fail(f"--version: exit {code}, output {out.strip()!r} (expected {__version__}); {err[-400:]}")

    demo = workdir / "demo"
    code, out, err, secs = run([str(exe), "demo", str(demo)], env, timeout)
    result["demo_exit_code"], result["demo_s"] = code, round(secs, 2)
    if code != 0:
        fail(f"demo: exit {code}: {err.strip()[-800:]}")
    else:
        code, out, err, secs = run([str(exe), "info", str(demo)], env, timeout)
        result["info_exit_code"], result["info_s"] = code, round(secs, 2)
        if code != 0:
            fail(f"info: exit {code}: {err.strip()[-800:]}")
        result.update(predict_check(exe, demo, env, timeout))
        if result.get("predict_failure"):
            fail(result.pop("predict_failure"))

    result.update(gui_check([str(exe)], env, timeout, fail))
    with xvfb() as display:
        if display is None:
            fail("GUI on X11: Xvfb is not installed, so the frozen app was not started on a real X server")
        else:
            x_result = gui_check([str(exe)], x11_env(env, display), timeout, fail, label="GUI on X11")
            result.update({f"x11_{k}": v for k, v in x_result.items()})
    return result


def gui_check(cmd: list[str], env: dict[str, str], timeout: float, fail, label: str = "GUI") -> dict:
    """Start the window (``WORKBENCH_EXIT_AFTER_PAINT=1``): it must paint, exit 0, not import litellm
    and draw Chinese; Qt's platform-plugin errors and tracebacks on stderr fail it."""
    code, out, err, secs = run(cmd, env, timeout)
    first_paint_s, litellm_imported = parse_paint(out)
    result: dict = dict(exit_code=code, start_s=round(secs, 2), first_paint_s=first_paint_s,
                        litellm_imported=litellm_imported)
    if code is None:
        fail(f"{label}: no exit within {timeout} s (first paint line seen: {first_paint_s is not None})")
    elif code != 0:
        fail(f"{label}: exit {code}: {err.strip()[-1500:]}")
    if first_paint_s is None:
        fail(f"{label}: no 'first_paint_s=' line on stdout: {out.strip()[-400:]!r}")
    if litellm_imported:
        fail(f"{label}: litellm was imported on the way to the first paint")
    chinese = CHINESE_LINE.search(out)
    result["chinese_drawable"] = chinese.group(1) == "True" if chinese else None
    if not result["chinese_drawable"]:
        fail(f"{label}: Chinese text would be drawn as empty boxes (is the bundled font in the app?)")
    qt_errors = [line for line in err.splitlines()
                 if "Could not load the Qt platform plugin" in line or "Traceback" in line
                 or "QThread: Destroyed while thread" in line or "cannot open the window" in line]
    if qt_errors:
        fail(f"{label} stderr: {qt_errors[:3]}")
    return result


def x11_env(env: dict[str, str], display: str) -> dict[str, str]:
    """``env`` for Qt's xcb plugin on ``display`` (no offscreen, no Wayland)."""
    out = {k: v for k, v in env.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    out["DISPLAY"] = display
    out["XDG_SESSION_TYPE"] = "x11"
    return out


@contextlib.contextmanager
def xvfb(screen: str = "1366x768x24", timeout: float = 30.0):
    """A private Xvfb server for the block: yields its display (":N"), or None without Xvfb."""
    exe = shutil.which("Xvfb")
    if exe is None:
        yield None
        return
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([exe, "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], timeout)
        number = os.read(read_fd, 32).decode().strip() if ready else ""
        if not number:
            raise RuntimeError(f"Xvfb did not start within {timeout} s")
        yield f":{number}"
    finally:
        os.close(read_fd)
        proc.terminate()                 # only the server this script started
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def smoke_dev(timeout: float, workdir: Path) -> dict:
    """The development install (this checkout, this interpreter) on a real X server."""
    failures: list[str] = []
    env = isolated_env(workdir / "dev-home")
    env["PYTHONPATH"] = str(ROOT)
    with xvfb() as display:
        if display is None:
            return {"dev_failures": ["dev GUI on X11: Xvfb is not installed, the app was not started on a "
                                     "real X server"]}
        result = gui_check([sys.executable, "-m", "workbench"], x11_env(env, display), timeout,
                           failures.append, label="dev GUI on X11")
    return {**{f"dev_x11_{k}": v for k, v in result.items()}, "dev_failures": failures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the frozen app and smoke-test it offscreen.")
    parser.add_argument("--no-build", action="store_true", help="reuse the existing dist/workbench")
    parser.add_argument("--dist", type=Path, default=build_mod.DEFAULT_DIST, help="dist folder")
    parser.add_argument("--exe", type=Path, default=None,
                        help="smoke-test this workbench executable instead (e.g. a pipx install); "
                             "implies --no-build")
    parser.add_argument("--dev-only", action="store_true",
                        help="only start the development install (this checkout) on Xvfb; no build")
    parser.add_argument("--timeout", type=float, default=180.0,
                        help="seconds allowed for each run of the app (default 180)")
    args = parser.parse_args(argv)

    if args.dev_only:
        with tempfile.TemporaryDirectory(prefix="workbench-smoke-") as tmp:
            report = smoke_dev(args.timeout, Path(tmp))
        print(json.dumps(report, indent=1))
        return 0 if not report["dev_failures"] else 1
    dist = args.dist.resolve()
    exe = args.exe.resolve() if args.exe else dist / build_mod.APP_NAME / build_mod.APP_NAME
    report: dict = {"build_s": None}
    if not args.no_build and args.exe is None:
        built = build_mod.build(dist=dist, quiet=True)
        report["build_s"] = built["build_s"]
        report["missing_modules"] = built["missing"]
    if not exe.exists():
        print(json.dumps({**report, "exit_code": None,
                          "failures": [f"{exe} does not exist (build first or drop --no-build)"]}))
        return 1
    if args.exe is None:
        report["bundle_mb"] = round(build_mod.folder_size(exe.parent)[0] / 2**20, 1)
    with tempfile.TemporaryDirectory(prefix="workbench-smoke-") as tmp:
        report.update(smoke(exe, args.timeout, Path(tmp)))
        if args.exe is None:             # the checkout's development install too
            dev = smoke_dev(args.timeout, Path(tmp))
            report["failures"] += dev.pop("dev_failures")
            report.update(dev)
    ordered = {k: report.pop(k) for k in ("build_s", "start_s", "bundle_mb", "exit_code") if k in report}
    print(json.dumps({**ordered, **report}, indent=1))
    return 0 if not report["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
