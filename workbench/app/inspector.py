"""Event inspector: every context field and action attribute of the selected event, readably.
Layer: app (Qt).

:func:`event_html` (plain HTML, testable without a window) renders one raw event: titles, OCR/ASR text and cover descriptions as
paragraphs, products and prices in yuan, counts with thousands separators, a 万 form and a unit,
durations in seconds and hours/minutes, booleans as yes/no, ``null`` shown as *null* and fields the
scenario usually has but this event lacks listed as *absent* (docs/benchmark.md#data-quirks: null vs absent vs 0 vs
""). A customer-service dialogue is shown as a chat transcript (``widgets.transcript``) under it, where
the annotator marks words (:mod:`workbench.app.transcript_marks`); the first mark makes the dialogue a
case (the window's *Mark this dialogue*).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Callable

import orjson
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QTextBrowser, QVBoxLayout, QWidget

from workbench.traces.dialogue import SPEAKERS, action_turns, event_turns
from workbench.traces.schema import AD, LIVE, SEARCH, SERVICE, SHOP, VIDEO

if TYPE_CHECKING:
    from workbench.annotate.model import Case
    from workbench.app.navigation import UserTrack
    from workbench.app.state import AppState
    from workbench.app.transcript_marks import MarkingHost, TranscriptMarker

# -- labels and units -------------------------------------------------------------------------------

LABELS: dict[str, str] = {
    "caption": "Title", "duration": "Duration", "fans_user_num": "Author followers",
    "fans_user_num_range": "Follower bucket", "fans_user_num_op_range": "Follower bucket",
    "is_verified": "Verified author", "verification_type": "Verification", "photo_type": "Media type",
    "show_cnt": "Shown", "play_cnt": "Plays", "complete_play_cnt": "Complete plays", "like_cnt": "Likes",
    "comment_cnt": "Comments", "share_cnt": "Shares", "collect_cnt": "Saves", "download_cnt": "Downloads",
    "follow_cnt": "Follows", "report_cnt": "Reports", "reduce_similar_cnt": "‘Show fewer’",
    "reduce_simliar_cnt": "‘Show fewer’ (misspelt key)", "upload_timestamp": "Uploaded",
    "ocr": "On-screen text (OCR)", "asr": "Speech (ASR)", "ocr_text": "On-screen text (OCR)",
    "asr_text": "Speech (ASR)",
    "live_title": "Stream title", "live_category": "Stream category", "live_game_name": "Game",
    "is_shop_live": "Selling stream", "live_total_user_cnt": "Audience", "live_total_view_cnt": "Views",
    "live_total_view_duration": "Total watch time", "live_like_cnt": "Likes", "live_comment_cnt": "Chat messages",
    "live_cover_content": "Cover description", "items": "Products on sale",
    "item_title": "Product", "item_desc": "Description", "product_source": "Seen on",
    "item_price": "Price", "category_level1_name": "Category 1", "category_level2_name": "Category 2",
    "category_level3_name": "Category 3", "industry_level1_name": "Industry 1",
    "industry_level2_name": "Industry 2", "industry_level3_name": "Industry 3",
    "item_num_180d_sales": "Sales (180 d)", "item_num_good_assess": "Good reviews",
    "item_num_180d_buyer": "Buyers (180 d)", "item_num_180d_rebuyer": "Repeat buyers (180 d)",
    "item_num_180d_cart": "Added to cart (180 d)", "product_id": "Product id",
    "item_main_image_url": "Image URL", "external_item_title": "External title", "pay_item_qty": "Quantity paid",
    "product": "Advertised product", "industry_main": "Industry", "industry_sub": "Sub-industry",
    "keyword": "Keyword", "query_category": "Query type",
    "ticket_category": "Ticket type", "product_name": "Product", "product_category_info": "Product category",
    "item_qty": "Quantity", "express_fee": "Shipping fee", "pay_order_time": "Order paid",
    # action attributes
    "play_duration": "Watched", "played_loop_cnt": "Loops", "is_complete_play": "Watched to the end",
    "is_fast_forward_play": "Fast-forwarded", "is_backward_play": "Rewound", "is_enlarge_play": "Enlarged",
    "watch_seconds": "Watched", "completed": "Completed", "play_count": "Entries",
    "comment_detail_list": "Comment text", "comment_stay_duration": "Time in comments",
    "is_at_friend_in_comment": "@-mentioned a friend", "comment_content": "Chat messages sent",
    "is_unfollow_action": "Unfollowed", "is_follow_action": "Followed", "gift_amount": "Gift value",
    "join_fans_group_cnt": "Fan-group joins", "is_click_cart_action": "Opened the cart",
    "is_add_to_cart": "Added to cart", "is_pay": "Paid", "paid": "Paid", "order_success": "Order succeeded",
    "conversion_cnt": "Conversions", "activation_cnt": "Activations", "form_submit_total_cnt": "Form submissions",
    "pay_cnt": "Payments", "pay_purchase_amt": "Amount paid", "click_cnt": "Clicks", "content": "Dialogue",
}

UNITS: dict[str, str] = {
    "fans_user_num": "followers", "show_cnt": "times", "play_cnt": "plays", "complete_play_cnt": "plays",
    "like_cnt": "likes", "comment_cnt": "comments", "share_cnt": "shares", "collect_cnt": "saves",
    "download_cnt": "downloads", "follow_cnt": "follows", "report_cnt": "reports",
    "reduce_similar_cnt": "times", "reduce_simliar_cnt": "times", "live_total_user_cnt": "viewers",
    "live_total_view_cnt": "views", "live_like_cnt": "likes", "live_comment_cnt": "messages",
    "item_num_180d_sales": "sold", "item_num_good_assess": "reviews", "item_num_180d_buyer": "buyers",
    "item_num_180d_rebuyer": "buyers", "item_num_180d_cart": "carts", "pay_item_qty": "pcs", "item_qty": "pcs",
    "played_loop_cnt": "loops", "play_count": "entries", "join_fans_group_cnt": "joins",
    "conversion_cnt": "conversions", "activation_cnt": "activations", "form_submit_total_cnt": "forms",
    "pay_cnt": "payments", "click_cnt": "clicks",
}

SECONDS_KEYS = frozenset({"duration", "play_duration", "watch_seconds", "comment_stay_duration",
                          "live_total_view_duration"})
MONEY_KEYS = frozenset({"item_price", "gift_amount", "pay_purchase_amt", "express_fee"})
LONG_TEXT_KEYS = frozenset({"ocr", "asr", "ocr_text", "asr_text", "live_cover_content", "item_desc",
                            "caption", "comment_detail_list"})

#: Fields each scenario usually carries (docs/benchmark.md#data-format); missing ones are listed as "absent".
EXPECTED_CONTEXT: dict[str, tuple[str, ...]] = {
    VIDEO: ("caption", "duration", "fans_user_num", "is_verified", "show_cnt", "play_cnt", "like_cnt",
            "comment_cnt", "share_cnt", "upload_timestamp", "ocr", "asr"),
    LIVE: ("live_title", "live_category", "is_shop_live", "live_total_user_cnt", "live_total_view_cnt",
           "live_total_view_duration", "live_like_cnt", "live_comment_cnt", "live_cover_content"),
    SHOP: ("item_title", "item_desc", "product_source", "item_price", "category_level1_name",
           "category_level2_name", "category_level3_name", "product_id"),
    AD: ("product", "industry_main", "industry_sub", "caption", "show_cnt", "ocr_text", "asr_text"),
    SERVICE: ("ticket_category", "product_name", "product_category_info", "item_price", "item_qty",
              "pay_order_time"),
    SEARCH: (),
}

SCENARIO_COLORS: dict[str, str] = {
    VIDEO: "#4c6ef5", LIVE: "#ae3ec9", SHOP: "#f08c00", SERVICE: "#0ca678", AD: "#868e96", SEARCH: "#1c7ed6",
}

_NULL = '<span style="color:#9a9a9a;font-style:italic">null</span>'
_EMPTY = '<span style="color:#9a9a9a;font-style:italic">empty string</span>'


def wan(n: float) -> str:
    """Chinese 万/亿 form of a large count: 12345 -> "1.2万"."""
    if abs(n) >= 1e8:
        return f"{n / 1e8:.1f}亿"
    return f"{n / 1e4:.1f}万"


def _num(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h} h {m} min"
    if m:
        return f"{m} min {sec} s"
    return f"{sec} s"


def format_value(key: str, value: Any) -> str:
    """HTML for one field value (escaped)."""
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return '<span style="color:#51cf66">✔ yes</span>' if value else '<span style="color:#ff6b6b">✘ no</span>'
    if isinstance(value, (int, float)):
        if key in MONEY_KEYS:
            return f"¥{value:,.2f}" + (" (0 = not given)" if value == 0 and key == "item_price" else "")
        if key in SECONDS_KEYS:
            if key == "duration" and value == 0:
                return "0 (unknown)"
            text = f"{_num(value)} s"
            return text + (f" ({_hms(value)})" if value >= 60 else "")
        text = _num(value)
        if abs(value) >= 1e4:
            text += f" ({wan(value)})"
        unit = UNITS.get(key)
        return text + (f" {unit}" if unit else "")
    if isinstance(value, str):
        if value == "":
            return _EMPTY
        esc = html.escape(value)
        if key in LONG_TEXT_KEYS or len(value) > 80:
            return f'<div style="white-space:pre-wrap">{esc}</div>'
        return esc
    if isinstance(value, list):
        if not value:
            return '<span style="color:#9a9a9a">[] (empty list)</span>'
        parts = []
        for v in value:
            if isinstance(v, dict):
                if "title" in v and "price" in v and len(v) == 2:
                    parts.append(f"<li>{html.escape(str(v['title']))} — {format_value('item_price', v['price'])}</li>")
                else:
                    parts.append("<li>" + _fields_table(v) + "</li>")
            else:
                parts.append("<li>" + format_value(key, v) + "</li>")
        return "<ul style='margin:0'>" + "".join(parts) + "</ul>"
    if isinstance(value, dict):
        return _fields_table(value)
    return html.escape(repr(value))


def _fields_table(obj: dict, skip: frozenset[str] = frozenset()) -> str:
    rows = []
    for key, value in obj.items():
        if key in skip:
            continue
        label = LABELS.get(key, key)
        rows.append(
            f"<tr><td style='color:#9aa3b0;padding-right:10px;vertical-align:top;white-space:nowrap'>"
            f"{html.escape(label)}<br><span style='color:#6c7480;font-size:small'>{html.escape(key)}</span></td>"
            f"<td style='vertical-align:top'>{format_value(key, value)}</td></tr>")
    return "<table cellspacing='0' cellpadding='2'>" + "".join(rows) + "</table>"


def dialogue_turns(actions: list) -> list[tuple[str, str]]:
    """(role, text) turns of the event's dialogue, every role as given (the one extractor:
    :func:`workbench.traces.dialogue.event_turns`; non-speaker turns are marked where shown)."""
    return [(t.role, t.content) for t in event_turns({"action": actions})]


def event_html(row: dict, *, transcript_shown_separately: bool = False) -> str:
    """HTML for one canonical row that has its payload columns (``context``/``actions`` JSON text)."""
    scenario = str(row.get("scenario") or "")
    color = SCENARIO_COLORS.get(scenario, "#495057")
    context_raw = row.get("context")
    context = _loads(context_raw) if context_raw is not None else None
    actions = _loads(row.get("actions")) or []
    outcome = {0: "passive view", 1: "engagement", 2: "conversion"}.get(int(row.get("outcome") or 0), "")
    scen_raw = row.get("scenario_raw")
    head = (f"<div style='font-size:large'><span style='background:{color};color:white;padding:2px 6px'>"
            f"&nbsp;{html.escape(scenario)}&nbsp;</span>&nbsp; <b>event #{row.get('event_index')}</b></div>"
            f"<div style='color:#9aa3b0'>{html.escape(str(row.get('ts_raw') or ''))}"
            + (" (date only)" if row.get("ts_date_only") else "")
            + (f" · type “{html.escape(str(scen_raw))}”" if scen_raw and scen_raw != scenario else "")
            + f" · {outcome}</div>")
    title = row.get("title")
    parts = [head]
    if title:
        parts.append(f"<h3 style='margin:6px 0'>{html.escape(str(title))}</h3>")
    parts.append("<h4 style='margin:8px 0 2px 0'>Context</h4>")
    if context is None:
        parts.append("<div style='color:#9a9a9a;font-style:italic'>no context (the event has no "
                     "<code>context</code> key)</div>")
    elif not isinstance(context, dict):
        parts.append(format_value("context", context))
    elif not context:
        parts.append("<div style='color:#9a9a9a;font-style:italic'>empty context {}</div>")
    else:
        parts.append(_fields_table(context))
    if isinstance(context, dict) or context is None:
        absent = [k for k in EXPECTED_CONTEXT.get(scenario, ()) if k not in (context or {})]
        if absent and context is not None:
            parts.append("<div style='color:#9a9a9a;font-size:small'>absent: "
                         + ", ".join(html.escape(k) for k in absent) + "</div>")
    parts.append(f"<h4 style='margin:10px 0 2px 0'>Actions ({len(actions)})</h4>")
    for action in actions if isinstance(actions, list) else []:
        if not isinstance(action, dict):
            parts.append(f"<div>{html.escape(repr(action))}</div>")
            continue
        atype = str(action.get("type", "?"))
        parts.append(f"<div style='margin-top:4px'><b>{html.escape(atype)}</b></div>")
        if atype == "dialogue" and isinstance(action.get("content"), list):
            n = len(action["content"])
            if transcript_shown_separately:
                parts.append(f"<div style='color:#9aa3b0'>{n} turns (transcript below)</div>")
            else:
                parts.append(_transcript_html([(t.role, t.content) for t in action_turns(action)]))
            rest = {k: v for k, v in action.items() if k not in ("type", "content")}
        else:
            rest = {k: v for k, v in action.items() if k != "type"}
        if rest:
            parts.append(_fields_table(rest))
    return "<html><body style='font-family:sans-serif'>" + "".join(parts) + "</body></html>"


def _non_speaker(role: str) -> str:
    """How a turn that is neither the customer's nor the agent's is labelled: shown, but marked
    as one the benchmark leaves out of the prompt's dialogue context."""
    return f"{role or '?'} (not in prompts)"


def _transcript_html(turns: list[tuple[str, str]]) -> str:
    out = []
    for role, text in turns:
        user = role == "user"
        bg = "#1c3d5a" if user else "#30343e"
        who = "Customer" if user else ("Agent" if role == "assistant" else _non_speaker(role))
        out.append(f"<div style='background:{bg};margin:2px 0;padding:3px'><b>{html.escape(who)}:</b> "
                   f"{html.escape(text)}</div>")
    return "".join(out)


def _loads(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


# -- the Qt widget ----------------------------------------------------------------------------------


class InspectorPanel(QWidget):
    """Shows the selected event of ``state`` (observes ``selection_changed``/``user_changed``)."""

    def __init__(self, state: AppState, track_provider: Callable[[], UserTrack | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._track_provider = track_provider          # callable -> current UserTrack or None
        self.marker: TranscriptMarker | None = None
        self._make_case: Callable[[], Case | None] | None = None
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(False)
        self.browser.setObjectName("inspector_browser")
        self.transcript = self._make_transcript()
        self.placeholder = QLabel("Select an event in the timeline or the table.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet("color:#888")
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.browser)
        if self.transcript is not None:
            self.splitter.addWidget(self.transcript)
            self.transcript.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.splitter)
        self.splitter.hide()
        self.current_event = -1
        state.selection_changed.connect(self._on_state_selection_changed)
        state.user_changed.connect(self._on_state_user_changed)
        state.dataset_changed.connect(self._on_state_user_changed)

    def _make_transcript(self) -> QWidget | None:
        try:
            from widgets.transcript import TranscriptView
        except ImportError:  # the HTML transcript in event_html is used instead
            return None
        from workbench.app.transcript_marks import TranscriptMarker

        view = TranscriptView(self)
        view.setObjectName("inspector_transcript")
        self.marker = TranscriptMarker(view)
        return view

    def set_marking(self, host: MarkingHost, make_case: Callable[[], Case | None]) -> None:
        """Store marked words through ``host``; ``make_case`` marks the shown dialogue as a case
        (the first mark on a dialogue that is no case yet)."""
        self._make_case = make_case
        if self.marker is not None:
            self.marker.set_host(host)

    def _on_state_user_changed(self, *_: Any) -> None:
        self.show_event(-1)

    def _on_state_selection_changed(self, user_id: str, event_index: int) -> None:
        self.show_event(event_index)

    def show_event(self, event_index: int) -> None:
        self.current_event = event_index
        track = self._track_provider()
        row = track.row(event_index) if track is not None and event_index >= 0 else None
        if row is None:
            self.browser.clear()
            self.splitter.hide()
            self.placeholder.show()
            return
        events = getattr(self.state, "user_events", None)  # the shared, already decoded ones
        if events is not None and events.user_id == getattr(track, "user_id", None):
            turns = [(t.role, t.content) for t in events.turns(event_index)]
        else:
            actions = _loads(row.get("actions")) or []
            turns = dialogue_turns(actions) if isinstance(actions, list) else []
        use_widget = self.transcript is not None and bool(turns)
        self.browser.setHtml(event_html(row, transcript_shown_separately=use_widget))
        if self.transcript is not None:
            if use_widget:
                self._set_transcript(turns, row)
                self.transcript.show()
            else:
                self.transcript.hide()
        self.placeholder.hide()
        self.splitter.show()

    def _set_transcript(self, turns: list[tuple[str, str]], row: dict) -> None:
        from workbench.app.transcript_marks import Message

        messages = [Message(r if r in SPEAKERS else _non_speaker(r), c, f"turn:{i}") for i, (r, c) in enumerate(turns)]
        if self.marker is None:
            self.transcript.set_turns([{"role": m.role, "content": m.content} for m in messages])  # type: ignore[union-attr]
            return
        track = self._track_provider()
        event = (track.user_id, self.current_event) if track is not None else None
        self.marker.show(messages, None, self._make_case, event)

    def plain_text(self) -> str:
        return self.browser.toPlainText()
