"""Load an HTML report in Qt WebEngine (Chromium) and report what the page did, as JSON on stdout.

    python tests/annotate/webengine_probe.py REPORT.html [--open-details] [--timeout 120]

Run in its own process (WebEngine must start before any other Qt application object, and a crash
must not take the test run with it); ``QT_QPA_PLATFORM=offscreen`` works, and as root Chromium needs
``QTWEBENGINE_DISABLE_SANDBOX=1`` (set here when running as root). Prints one JSON object:

* ``loaded`` (loadFinished's ok), ``load_s`` (load() to loadFinished) and ``layout_s`` (load() to
  the first layout: ``document.body.scrollHeight`` evaluated after loading), wall-clock seconds;
* ``open_s``: time to open every ``<details>`` and lay the page out again (``--open-details``);
* ``requests``: every URL a ``QWebEngineUrlRequestInterceptor`` saw (the page itself included);
* ``console``: the page's console messages (CSP violations are reported there);
* ``pwned``: the ``data-pwned`` attribute of ``<body>`` (hostile test payloads set it if they run);
* ``title``, ``scroll_height``, ``body_text_chars`` (``document.body.textContent.length``).

The page may fetch remote URLs as a desktop browser's ``file://`` page may (Qt's default forbids it).
Probe scripts run in Qt's ApplicationWorld, which shares the DOM but not the page's script context
and is not subject to the page's Content-Security-Policy; the page's own scripts stay enabled, so
only the CSP and the report's escaping keep them from running.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("--open-details", action="store_true")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu")

    from PySide6.QtCore import QEventLoop, QTimer, QUrl
    from PySide6.QtWebEngineCore import (QWebEnginePage, QWebEngineProfile, QWebEngineScript,
                                         QWebEngineSettings, QWebEngineUrlRequestInterceptor)
    from PySide6.QtWebEngineWidgets import QWebEngineView
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    result: dict = {"loaded": False, "requests": [], "console": []}

    class Interceptor(QWebEngineUrlRequestInterceptor):
        def interceptRequest(self, info) -> None:  # noqa: N802 (Qt override)
            result["requests"].append(info.requestUrl().toString()[:300])

    class Page(QWebEnginePage):
        def javaScriptConsoleMessage(self, level, message, line, source) -> None:  # noqa: N802
            result["console"].append(str(message)[:300])

    profile = QWebEngineProfile()  # off the record: no cache or cookies on disk
    interceptor = Interceptor()
    profile.setUrlRequestInterceptor(interceptor)
    page = Page(profile)
    # behave like a desktop browser opening a mailed file: a local page may fetch remote URLs (Qt's
    # default forbids it, which would hide what the report's own CSP does)
    page.settings().setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, True)
    view = QWebEngineView()
    view.setPage(page)
    view.resize(1280, 900)
    view.show()

    loop = QEventLoop()
    world = QWebEngineScript.ScriptWorldId.ApplicationWorld
    t0 = time.perf_counter()
    probe = ("JSON.stringify({title: document.title, scroll_height: document.body.scrollHeight, "
             "pwned: document.body.getAttribute('data-pwned'), "
             "body_text_chars: document.body.textContent.length})")

    def after_open(height) -> None:
        result["open_s"] = round(time.perf_counter() - t_open, 3)
        result["open_scroll_height"] = height
        loop.quit()

    def after_layout(value) -> None:
        nonlocal t_open
        result["layout_s"] = round(time.perf_counter() - t0, 3)
        result.update(json.loads(value) if value else {})
        if not args.open_details:
            loop.quit()
            return
        t_open = time.perf_counter()
        page.runJavaScript("document.querySelectorAll('details').forEach(d => d.open = true); "
                           "document.body.scrollHeight", world, after_open)

    def finished(ok: bool) -> None:
        result["loaded"] = bool(ok)
        result["load_s"] = round(time.perf_counter() - t0, 3)
        page.runJavaScript(probe, world, after_layout)

    t_open = 0.0
    page.loadFinished.connect(finished)
    page.load(QUrl.fromLocalFile(os.path.abspath(args.report)))
    QTimer.singleShot(int(args.timeout * 1000), loop.quit)
    loop.exec()
    # let late requests (an image, a CSS import) reach the interceptor before reporting
    settle = QEventLoop()
    QTimer.singleShot(500, settle.quit)
    settle.exec()
    print(json.dumps(result))
    view.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
