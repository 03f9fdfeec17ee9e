"""The page a shopper saw at an OPeRA event, in the inspector. Layer: app (Qt).

:class:`ObservationView` shows an :class:`~workbench.traces.opera_observe.Observation`: the masked
URL, the search term, the cart, the products on the page, the shopper's rationale, the simplified
HTML as text and the screenshot (when the folder has an image table; otherwise a line saying why
there is none). :class:`ObservationLoader` reads the observation of the selected event on a worker
thread (the heavy columns are read from the Parquet files per event) and fills the view; a newer
selection cancels an older read.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from workbench.tasks import TaskState
    from workbench.traces.opera import OperaTraceSet

#: Characters of page text shown (the rest is summarised in one line).
PAGE_CHARS = 60_000


def observation_html(obs: Any) -> str:
    """The head of the view: URL, search term, rationale, cart and products (HTML-escaped)."""
    e = html.escape
    parts = ["<table cellspacing='0' cellpadding='2'>"]

    def row(label: str, value: str) -> None:
        parts.append(f"<tr><td style='color:#6c7480;padding-right:8px;vertical-align:top'>{e(label)}</td>"
                     f"<td>{value}</td></tr>")

    url = obs.url or "(none)"
    row("URL", e(url) + (" <span style='color:#9aa3b0'>(masked)</span>" if obs.url_masked else ""))
    row("Search term", e(obs.search_term) if obs.search_term else "<span style='color:#9aa3b0'>(none)</span>")
    if obs.rationale:
        row("Shopper's reason", f"<i>“{e(obs.rationale)}”</i>")
    cart = ", ".join(f"{c.get('title') or '?'} ×{c.get('quantity') or 1}" for c in obs.cart_items)
    row("Cart", e(cart) if cart else "<span style='color:#9aa3b0'>(empty or unknown)</span>")
    parts.append("</table>")
    if obs.products:
        parts.append("<div style='margin-top:4px'><b>Products</b></div><ul style='margin-top:0'>")
        for p in obs.products[:30]:
            parts.append(f"<li>{e(str(p.get('title') or '?'))} <span style='color:#6c7480'>"
                         f"{e(str(p.get('asin') or ''))} {e(str(p.get('price') or ''))}</span></li>")
        parts.append("</ul>")
    return "".join(parts)


class ObservationView(QWidget):
    """Head (products, search term, rationale), then tabs: page text and screenshot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("observation_view")
        self.head = QTextBrowser(self)
        self.head.setObjectName("observation_head")
        self.tabs = QTabWidget(self)
        self.page = QPlainTextEdit(self)
        self.page.setReadOnly(True)
        self.page.setObjectName("observation_page")
        self.page.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.image = QLabel(self)
        self.image.setObjectName("observation_image")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setWordWrap(True)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.image)
        self.tabs.addTab(self.page, "Page text")
        self.tabs.addTab(scroll, "Screenshot")
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.head)
        split.addWidget(self.tabs)
        split.setSizes([120, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self._pixmap: QPixmap | None = None
        self.show_message("")

    def show_message(self, text: str) -> None:
        """A plain line instead of an observation (loading, an error)."""
        self.head.setHtml(f"<span style='color:#888'>{html.escape(text)}</span>")
        self.page.setPlainText("")
        self.image.setText("")
        self._pixmap = None

    def show_observation(self, obs: Any) -> None:
        self.head.setHtml(observation_html(obs))
        self.page.setPlainText(obs.html_as_text(PAGE_CHARS) or "(no simplified HTML for this action)")
        self._pixmap = None
        if obs.image:
            pm = QPixmap()
            if pm.loadFromData(obs.image):
                self._pixmap = pm
                self.image.setPixmap(pm.scaledToWidth(max(200, self.width() - 30),
                                                      Qt.TransformationMode.SmoothTransformation))
                self.tabs.setTabText(1, "Screenshot")
                return
            self.image.setText(f"screenshot {obs.image_name}: the bytes are not an image Qt can read")
        else:
            self.image.setText(obs.image_note)
        self.tabs.setTabText(1, "Screenshot (none)")

    def has_screenshot(self) -> bool:
        return self._pixmap is not None


class ObservationLoader(QObject):
    """Reads the observation of ``(user, event)`` on a worker and shows it in ``view``."""

    def __init__(self, view: ObservationView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._job: Any = None
        self.wanted: tuple[str, int] | None = None

    def load(self, traces: OperaTraceSet, user_id: str, event_index: int) -> Any:
        """Start reading; returns the job (tests wait for it)."""
        from workbench.app.jobs import run_in_thread
        from workbench.traces.opera_observe import observe

        if self._job is not None:
            self._job.cancel()
        self.wanted = (user_id, event_index)
        self.view.show_message("Reading the page …")

        def work(task: TaskState) -> Any:
            task.check()
            return observe(traces, user_id, event_index)

        key = self.wanted

        def done(obs: Any) -> None:
            if self.wanted == key:
                self.view.show_observation(obs)

        def failed(message: str) -> None:
            if self.wanted == key:
                self.view.show_message("Could not read the page: " + message.splitlines()[0])

        self._job = run_in_thread(work, on_done=done, on_error=failed, title="Reading the page")
        return self._job
