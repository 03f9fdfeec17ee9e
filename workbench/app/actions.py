"""Menus, actions and keyboard shortcuts as one table; the shortcuts dialog is generated from it.
Layer: app (Qt).

Every key the workbench answers to is declared once in :data:`ACTIONS`: the window's menu actions
(text, keys, the window method they call, their menu, the views whose context menu offers them) and
the keys a panel handles itself (``slot`` None; ``where`` names the panel). :func:`build_menus` makes
the menu bar from the table and :func:`shortcuts_html` lists every row in the Help ▸ Keyboard
shortcuts dialog, so a new key cannot be left out of the dialog.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from workbench.app.main_window import MainWindow

#: The menu bar's menus, in order.
MENUS = ("File", "Edit", "View", "Go", "Help")
_MENU_TITLES = {"File": "&File", "Edit": "&Edit", "View": "&View", "Go": "&Go", "Help": "&Help"}
#: Standard keys (platform-dependent) a table row may name as ``std:<name>``.
_STANDARD = {"Open": QKeySequence.StandardKey.Open, "Quit": QKeySequence.StandardKey.Quit,
             "Find": QKeySequence.StandardKey.Find}
WINDOW = "Window"


@dataclass(frozen=True)
class ActionSpec:
    """One row of the table: an action of the window's menus or a key a panel handles itself.

    ``keys`` are QKeySequence strings (``std:Open`` for a standard key), or free text for keys a panel
    handles (``1``-``9``, ``Shift+drag``); ``slot`` names the MainWindow method an action calls
    (None: the panel in ``where`` handles the keys); ``menu`` is one of :data:`MENUS` (None: no menu
    entry); ``context`` names window views (``events``, ``transcript``) whose right-click menu offers
    the action; ``attr`` the window attribute the QAction is stored as besides ``window.actions``.
    """

    key: str
    text: str
    keys: tuple[str, ...] = ()
    slot: str | None = None
    menu: str | None = None
    where: str = WINDOW
    separator_before: bool = False
    tooltip: str = ""
    context: tuple[str, ...] = ()
    attr: str = ""


ACTIONS: tuple[ActionSpec, ...] = (
    # -- File ----------------------------------------------------------------------------------------
    ActionSpec("open_file", "&Open file…", ("std:Open",), "_on_menu_open_file", "File"),
    ActionSpec("open_folder", "Open &folder…", ("Ctrl+Shift+O",), "_on_menu_open_folder", "File"),
    ActionSpec("recent", "&Recent", (), None, "File"),           # the submenu of recent files
    ActionSpec("open_demo", "Open &demo data", ("Ctrl+Shift+D",), "open_demo", "File"),
    ActionSpec("warnings", "Load &warnings…", (), "show_warnings", "File"),
    ActionSpec("blind_test", "&Blind test: which one is real?…", (), "open_blind_test", "File",
               separator_before=True, tooltip="Keyboard-only blind test on a case store's items "
               "(A/B, 1-3, Enter)"),
    ActionSpec("merge_stores", "&Merge case stores…", (), "merge_case_stores", "File",
               tooltip="Combine several analysts' case stores into a new one without losing anything"),
    ActionSpec("agreement", "Annotator a&greement…", (), "open_agreement", "File",
               tooltip="Agreement per tag (Cohen/Fleiss kappa, Krippendorff alpha, Gwet AC1) and the "
               "disagreement queue"),
    ActionSpec("export_cases", "&Export cases…", ("Ctrl+E",), "export_cases", "File", separator_before=True,
               tooltip="HTML report, JSONL, CSV or Parquet of all, the filtered or the selected cases"),
    ActionSpec("quit", "&Quit", ("std:Quit",), "close", "File", separator_before=True),
    # -- Edit: case edits (tags, note, severity, delete) are undoable -------------------------------
    ActionSpec("undo", "&Undo", ("Ctrl+Z",), "undo", "Edit", attr="undo_action"),
    ActionSpec("redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "redo", "Edit", attr="redo_action"),
    ActionSpec("settings", "&Settings…", (), "open_settings", "Edit", separator_before=True,
               tooltip="Annotator name (recorded with every label) and blind annotation"),
    # -- View (the docks' show/hide actions come first) ----------------------------------------------
    ActionSpec("fit_all", "Fit all (Home)", (), "fit_all", "View", separator_before=True),
    ActionSpec("zoom_selected", "Zoom to selected event", ("Z",), "zoom_to_selected", "View"),
    ActionSpec("focus_filter", "Focus filter", ("std:Find",), "_focus_filter", "View"),
    ActionSpec("fold_sessions", "Fold/unfold gaps between &sessions", ("Ctrl+Shift+F",), "toggle_session_fold", "View",
               tooltip="Session traces (web shopping): fold the long gaps between sessions, or show linear time"),
    ActionSpec("compare", "&Compare runs…", (), "show_compare", "View", separator_before=True,
               tooltip="A baseline run against a contender, question by question, with paired statistics"),
    ActionSpec("rollout", "&Rollout from here…", ("Ctrl+R",), "show_rollout", "View",
               tooltip="Let a model live the user's next days, open and closed loop, beside the real ones"),
    ActionSpec("opera_eval", "&OPeRA evaluation…", (), "show_opera_eval", "View",
               tooltip="Predict OPeRA shoppers' next actions with models and baselines; the figures per model "
               "and, per step, the shopper's rationale beside the model's reason"),
    ActionSpec("split_view", "Compare two &users…", (), "open_split_view", "View",
               tooltip="Two users, or a user and a simulated trace, on one linked time axis"),
    ActionSpec("presentation", "&Presentation mode", ("F11", "Ctrl+Shift+P"), "open_presentation", "View",
               separator_before=True, attr="presentation_action"),
    # -- Go ------------------------------------------------------------------------------------------
    ActionSpec("next", "&Next event", ("J", "]"), "go_next_event", "Go"),
    ActionSpec("previous", "&Previous event", ("K", "["), "go_previous_event", "Go"),
    ActionSpec("next_match", "Next &matching event", ("N", "F3"), "go_next_match", "Go"),
    ActionSpec("previous_match", "Previous matching event", ("Shift+N", "Shift+F3"), "go_previous_match", "Go"),
    ActionSpec("next_conversion", "Next &conversion", ("C",), "go_next_conversion", "Go"),
    ActionSpec("previous_conversion", "Previous conversion", ("Shift+C",), "go_previous_conversion", "Go"),
    ActionSpec("jump_date", "Jump to &date…", ("Ctrl+G",), "_on_menu_jump_to_date", "Go"),
    ActionSpec("next_user", "Next &user", ("Alt+Down",), "go_next_user", "Go", separator_before=True),
    ActionSpec("previous_user", "Previous user", ("Alt+Up",), "go_previous_user", "Go"),
    ActionSpec("bookmark", "&Bookmark selected event…", ("Ctrl+B",), "_on_bookmarks_add_requested", "Go",
               separator_before=True),
    ActionSpec("chain", "Trace causal &chain", ("Ctrl+L",), "trace_chain", "Go", separator_before=True),
    ActionSpec("predict", "&Predict here", ("Ctrl+P",), "predict_here", "Go", separator_before=True,
               tooltip="Ask models and baselines to be this user at the selected event",
               context=("events",), attr="predict_action"),
    ActionSpec("mark_event", "&Mark selected event as case", ("Ctrl+M",), "mark_selected_event", "Go",
               separator_before=True, context=("events",), attr="mark_event_action"),
    ActionSpec("mark_dialogue", "Mark this &dialogue", (), "mark_dialogue", "Go", context=("transcript",),
               attr="mark_dialogue_action"),
    ActionSpec("mark_range", "Mark time &range as case", ("Ctrl+Shift+M",), "mark_time_range", "Go",
               attr="mark_range_action"),
    # -- Help ----------------------------------------------------------------------------------------
    ActionSpec("shortcuts", "&Keyboard shortcuts", (), "_show_shortcuts", "Help"),
    ActionSpec("about", "&About", (), "_on_menu_about", "Help"),
    # -- keys a panel handles itself (widgets.timeline, cases_panel, presentation) --------------------
    ActionSpec("tl_zoom", "Zoom in / out (Shift: more)", ("+", "−"), where="Timeline"),
    ActionSpec("tl_pan", "Pan (Shift: more)", ("←", "→"), where="Timeline"),
    ActionSpec("tl_fit", "Fit all", ("Home",), where="Timeline"),
    ActionSpec("tl_mouse", "Zoom / pan with the mouse", ("wheel", "drag"), where="Timeline"),
    ActionSpec("tl_range", "Select a time range", ("Shift+drag",), where="Timeline"),
    ActionSpec("cs_next", "Next case (or queue item)", ("J", "]", "Ctrl+Down"), where="Cases review"),
    ActionSpec("cs_previous", "Previous case (or queue item)", ("K", "[", "Ctrl+Up"), where="Cases review"),
    ActionSpec("cs_tag", "Toggle the tag with that shortcut", ("1…9",), where="Cases review"),
    ActionSpec("cs_clear", "Clear the tags", ("0",), where="Cases review"),
    ActionSpec("cs_note", "Edit the note (Esc: back to the list)", ("N",), where="Cases review"),
    ActionSpec("cs_reopen", "Reopen the case in context", ("Enter", "O"), where="Cases review"),
    ActionSpec("cs_severity", "Cycle the severity 0-3", ("S",), where="Cases review"),
    ActionSpec("bl_side", "Pick the side you think is the real user", ("A", "B"), where="Blind test"),
    ActionSpec("bl_confidence", "Confidence of the pick", ("1…3",), where="Blind test"),
    ActionSpec("bl_commit", "Commit the pick (again: next item)", ("Enter",), where="Blind test"),
    ActionSpec("ag_adjudicate", "Adjudicate the selected disagreement: the tag applies / does not",
               ("Y", "N"), where="Agreement (Cases panel tab, File ▸ Annotator agreement…)"),
    ActionSpec("cs_delete", "Delete the selected cases (asks once; Ctrl+Z undoes)", ("Delete",),
               where="Cases review"),
    ActionSpec("tr_mark", "Mark the selected words: a menu of the marker types (1-8 pick one; also on "
               "right-click)", ("M",), where="Transcript"),
    ActionSpec("tr_accept", "Accept the current suggestion (dotted) and go to the next", ("A",), where="Transcript"),
    ActionSpec("tr_reject", "Reject the current suggestion and go to the next", ("R",), where="Transcript"),
    ActionSpec("tr_undo", "Undo / redo a mark (Edit menu; in presentation mode too)", ("Ctrl+Z", "Ctrl+Shift+Z"),
               where="Transcript"),
    ActionSpec("pr_next", "Next case", ("→", "↓", "Space", "PgDown"), where="Presentation"),
    ActionSpec("pr_previous", "Previous case", ("←", "↑", "Backspace", "PgUp"), where="Presentation"),
    ActionSpec("pr_ends", "First / last case", ("Home", "End"), where="Presentation"),
    ActionSpec("pr_full", "Toggle full screen", ("F",), where="Presentation"),
    ActionSpec("pr_leave", "Leave", ("Esc",), where="Presentation"),
)


def key_sequences(spec: ActionSpec) -> list[QKeySequence]:
    """The QKeySequences of a window action's keys (a standard key gives all its platform bindings)."""
    out: list[QKeySequence] = []
    for k in spec.keys:
        if k.startswith("std:"):
            out.extend(QKeySequence.keyBindings(_STANDARD[k[4:]])[:1])
        else:
            out.append(QKeySequence(k))
    return out


def build_menus(window: MainWindow) -> dict[str, QAction]:
    """Fill ``window``'s menu bar from :data:`ACTIONS`; returns the actions by key.

    Sets ``window.view_menu`` and ``window.recent_menu`` (filled by ``window._fill_recent_menu`` on
    show), adds each action to the views named in its ``context`` (``window.events_panel.view``,
    ``window.inspector.transcript``) and the dock toggles to the View menu."""
    bar = window.menuBar()
    menus = {name: bar.addMenu(_MENU_TITLES[name]) for name in MENUS}
    window.view_menu = menus["View"]
    for dock in window.docks.values():
        window._add_view_action(dock)
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        if spec.menu is None:
            continue
        menu = menus[spec.menu]
        if spec.separator_before:
            menu.addSeparator()
        if spec.key == "recent":
            window.recent_menu = menu.addMenu(spec.text)
            window.recent_menu.aboutToShow.connect(window._fill_recent_menu)
            window._fill_recent_menu()
            continue
        act = QAction(spec.text, window)
        act.setShortcuts(key_sequences(spec))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if spec.tooltip:
            act.setToolTip(spec.tooltip)
        slot = getattr(window, str(spec.slot))
        act.triggered.connect(lambda _checked=False, slot=slot: slot())
        menu.addAction(act)
        actions[spec.key] = act
        if spec.attr:
            setattr(window, spec.attr, act)
    _add_context_actions(window, actions)
    return actions


def _add_context_actions(window: MainWindow, actions: dict[str, QAction]) -> None:
    views = {"events": window.events_panel.view, "transcript": window.inspector.transcript}
    for spec in ACTIONS:
        for name in spec.context:
            view = views.get(name)
            if view is not None:
                view.addAction(actions[spec.key])
                if view.contextMenuPolicy() != Qt.ContextMenuPolicy.CustomContextMenu:
                    # a view with its own menu (a transcript's marking menu) lists its actions there
                    view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)


def _keys_text(spec: ActionSpec) -> str:
    if spec.slot is None:
        return ", ".join(spec.keys)
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in key_sequences(spec))


def shortcuts_html() -> str:
    """Every keyed row of :data:`ACTIONS` as an HTML table, grouped by where the keys apply (a standard
    key the platform leaves unbound, such as Quit on some Linux desktops, is left out)."""
    groups: dict[str, list[ActionSpec]] = {}
    for spec in ACTIONS:
        if spec.keys:
            groups.setdefault(spec.where, []).append(spec)
    lines = ["<table>"]
    for where, specs in groups.items():
        lines.append(f"<tr><td colspan='2'><br><i>{escape(where)}</i></td></tr>")
        for spec in specs:
            keys = _keys_text(spec)
            if not keys:
                continue  # a standard key this platform does not bind
            lines.append(f"<tr><td>{escape(spec.text.replace('&', ''))}</td>"
                         f"<td><b>{escape(keys)}</b></td></tr>")
    lines.append("</table>")
    return "".join(lines)
