"""Several annotators in the Cases panel: the annotator setting, blind annotation (others' labels
hidden), another annotator's case shown but never edited, and a store that can only be read."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from tests.conftest import one_user_state  # noqa: E402
from workbench.annotate.model import new_case  # noqa: E402
from workbench.annotate.store import CaseStore  # noqa: E402


@pytest.fixture
def state(qapp, tmp_path):
    return one_user_state(tmp_path)


def test_annotator_name_setting_defaults_to_the_login_name(monkeypatch, tmp_path):
    import getpass

    from workbench.app.settings import Settings, annotator_name, load_settings, save_settings

    monkeypatch.setattr(getpass, "getuser", lambda: "lee")
    assert annotator_name(Settings()) == "lee"
    assert annotator_name(Settings(annotator="  Carla   Z ")) == "Carla Z"
    path = save_settings(Settings(annotator="carla", hide_other_annotators=True), tmp_path / "s.json")
    back = load_settings(path)
    assert (back.annotator, back.hide_other_annotators) == ("carla", True)

    def no_login() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_login)
    assert annotator_name(Settings()) == "analyst"


def test_blind_annotation_lists_only_my_cases_and_others_are_never_edited(qtbot, state, cases_panel, tmp_path):
    store = CaseStore(tmp_path / "team.db")
    mine = store.add_case(new_case(source="t", user_id="user_0001", event_index=1, author="ana",
                                   tags=["utopian-tone"]))
    theirs = store.add_case(new_case(source="t", user_id="user_0001", event_index=1, author="bo",
                                     tags=["other"], severity=2))
    p = cases_panel(state, store, author="ana", hide_others=True)
    assert [c.id for c in p.model.cases] == [mine.id]
    assert "ana" in p.who_label.text() and "hidden" in p.who_label.text()

    p.set_annotator("ana", hide_others=False)
    assert {c.id for c in p.model.cases} == {mine.id, theirs.id}
    assert "hidden" not in p.who_label.text()
    p.view.selectRow(p.model.row_of(theirs.id))
    assert "bo's labels (view only)" in p.title_label.text()
    assert not p.tag_buttons["utopian-tone"].isEnabled() and not p.severity.isEnabled()
    assert p.note_edit.isReadOnly()
    p.toggle_tag("utopian-tone")
    p.cycle_severity()
    assert p.delete_selected(ask=False) == 0
    kept = store.get_case(theirs.id)
    assert (kept.tags, kept.severity, kept.author) == (("other",), 2, "bo")

    p.view.selectRow(p.model.row_of(mine.id))
    assert p.tag_buttons["other"].isEnabled() and not p.note_edit.isReadOnly()
    p.toggle_tag("other")
    assert store.get_case(mine.id).tags == ("utopian-tone", "other")

    p.set_annotator("carla")         # a new annotator's cases are recorded under that name
    case = p.mark_event("user_0001", 2, ["live_liked"], tags=["other"])
    assert case is not None and store.get_case(case.id).author == "carla"
    p.shutdown()
    store.close()


def test_a_queue_item_linked_to_another_annotators_case_gets_my_own_case(qtbot, state, cases_panel, tmp_path):
    from workbench.annotate.store import QueueItem

    store = CaseStore(tmp_path / "team.db")
    qid = store.create_queue("q", [QueueItem("user_0001", 2, "live_liked", "m", true_value=0,
                                             predicted_value=1.0, predicted_label=1, raw_output="Yes")]).id
    bo = store.add_case(new_case(source="t", user_id="user_0001", event_index=2, author="bo", tags=["other"]))
    store.link_queue_case(qid, 0, bo.id)
    p = cases_panel(state, store, author="ana", hide_others=True)
    p.start_queue(qid)
    assert "not annotated yet" in p.title_label.text()
    p.toggle_tag("utopian-tone")
    own = [c for c in store.list_cases() if c.author == "ana"]
    assert len(own) == 1 and own[0].tags == ("utopian-tone",) and own[0].event_index == 2
    assert store.get_case(bo.id).tags == ("other",)                 # bo's labels untouched
    assert store.queue_items(qid)[0][1] == bo.id                     # and bo's link kept
    p.start_queue(qid)                                               # walked again: my case is found
    assert p.current_case() is not None and p.current_case().id == own[0].id
    p.shutdown()
    store.close()


def test_a_damaged_store_opens_read_only_with_one_line_and_no_writing(qtbot, state, cases_panel, tmp_path):
    from tests.annotate.test_store_faults import N_CASES, _damage, _fill, _sha

    db = tmp_path / "cases.db"
    _fill(db)
    _damage(db)
    before = _sha(db)
    p = cases_panel(state, None, author="ana")
    errors: list[tuple[str, str]] = []
    state.error_posted.connect(lambda title, msg: errors.append((title, msg)))
    assert p.open_store(db)
    assert not errors
    assert p.store is not None and p.store.readonly and not p.writable
    notice = p.notice_label.text()
    assert p.notice_label.isVisibleTo(p) and notice.startswith("Read-only: cases.db is damaged")
    assert "case(s) could not be read; editing is off (" in notice and "\n" not in notice
    assert 0 < p.model.rowCount() < N_CASES
    p.view.selectRow(0)
    shown = p.current_case()
    assert shown is not None and p.title_label.text().startswith(shown.location())
    assert p.reopen_button.isEnabled() and p.note_edit.isReadOnly()
    assert not any(b.isEnabled() for b in p.tag_buttons.values())
    assert not p.severity.isEnabled() and not p.delete_button.isEnabled()
    p.toggle_tag("other")
    p.clear_tags()
    assert p.mark_event("user_0001", 1) is None and p.mark_range("user_0001", 0.0, 60.0) is None
    assert p.delete_selected(ask=False) == 0
    assert not errors
    p.shutdown()
    assert _sha(db) == before


def test_a_sound_store_on_read_only_media_opens_read_only(qtbot, state, cases_panel, tmp_path, monkeypatch):
    import workbench.annotate.store as store_mod

    db = tmp_path / "ro.db"
    with CaseStore(db) as s:
        s.add_case(new_case(source="t", user_id="user_0001", event_index=1, author="ana"))
    # the media check is what a read-only mount answers (tests run as root, who may write anything)
    monkeypatch.setattr(store_mod, "write_problem", lambda path: "it is on read-only media")
    p = cases_panel(state, None, author="ana")
    assert p.open_store(db) and p.store.readonly and not p.store.damage
    assert p.notice_label.text() == "Read-only: ro.db; editing is off (it is on read-only media)"
    assert p.model.rowCount() == 1
    p.shutdown()


def test_settings_dialog_sets_the_annotator_of_the_cases_panel(qtbot, make_window, trace_path):
    from tests.app.conftest import open_window

    win = open_window(qtbot, make_window, trace_path, restore=False)
    panel = win.show_dock("Cases")
    dialog = win.open_settings()
    dialog.annotator.setText(" carla ")
    dialog.hide_others.setChecked(True)
    dialog.accept()
    assert (win.settings.annotator, win.settings.hide_other_annotators) == ("carla", True)
    assert panel.author == "carla" and panel.hide_others
    assert panel.who_label.text().startswith("Annotator: carla · other annotators' labels hidden")
    win.state.select_event(win.track.user_id, 1)
    case = win.mark_selected_event()
    assert case is not None and panel.store.get_case(case.id).author == "carla"
    assert win.actions_by_key["settings"].text() == "&Settings…"


def _two_annotators(store: CaseStore) -> None:
    """ana and bo on ten events: both tag 4, each alone 1, neither 4 (Cohen's kappa = AC1 = 0.6 by hand:
    observed 0.8, chance 0.5)."""
    pattern = [(1, 1)] * 4 + [(1, 0), (0, 1)] + [(0, 0)] * 4
    for who, col in (("ana", 0), ("bo", 1)):
        for i, pair in enumerate(pattern):
            store.add_case(new_case(source="t", user_id="user_0001", event_index=i, author=who,
                                    tags=["utopian-tone"] * pair[col]))


def _agreement_shown(qtbot, p):
    first = p.agreement.report
    p.tabs.setCurrentWidget(p.agreement)
    qtbot.waitUntil(lambda: p.agreement.report is not None and p.agreement.report is not first, timeout=30000)
    return p.agreement


def test_agreement_tab_coefficients_queue_and_adjudication_by_the_annotator(qtbot, state, cases_panel, tmp_path):
    from PySide6.QtCore import Qt

    store = CaseStore(tmp_path / "team.db")
    _two_annotators(store)
    p = cases_panel(state, store, author="carla", hide_others=True)
    assert p.model.rowCount() == 0                 # blind: carla has no cases of her own
    view = _agreement_shown(qtbot, p)
    assert view.report.annotators == ("ana", "bo")  # agreement is not blind
    t = view.table
    assert [t.horizontalHeaderItem(c).text() for c in range(t.columnCount())] == \
        ["label", "Cohen's κ", "Fleiss' κ", "Krippendorff's α", "Gwet's AC1"]
    assert t.item(0, 0).text() == "utopian-tone"
    assert (t.item(0, 1).text(), t.item(0, 4).text()) == ("0.600 (10)", "0.600 (10)")
    assert t.item(0, 3).text().endswith("(10)") and t.isColumnHidden(2)   # Fleiss needs three or more
    assert "Cohen's kappa:" in view.meanings.text() and "Gwet's AC1:" in view.meanings.text()
    assert "Fleiss" not in view.meanings.text()
    assert view.queue.count() == 2 and view.yes_button.isEnabled()

    view.queue.setFocus()
    first = view.report
    qtbot.keyClick(view.queue, Qt.Key.Key_N)       # the tag does not apply (N is not "focus the note" here)
    qtbot.waitUntil(lambda: view.report is not first, timeout=30000)
    assert not p.note_edit.hasFocus() and view.queue.count() == 1
    assert "1 adjudication(s)" in view.summary.text() and "decided by carla" in view.status.text()
    [adj] = store.adjudications()
    assert (adj.item, adj.tag, adj.final, adj.decided_by) == ("user_0001 #4", "utopian-tone", 0, "carla")

    store.add_case(new_case(source="t", user_id="user_0001", event_index=4, author="dee", tags=["utopian-tone"]))
    p.tabs.setCurrentWidget(p.cases_page)
    view = _agreement_shown(qtbot, p)               # shown again: recomputed, now three annotators
    assert view.report.annotators == ("ana", "bo", "dee")
    assert view.table.isColumnHidden(1) and not view.table.isColumnHidden(2)
    assert view.table.item(0, 2).text().endswith("(10)") and "Fleiss' kappa:" in view.meanings.text()
    p.shutdown()
    store.close()


def test_agreement_tab_reads_and_adjudicates_through_the_panels_own_store(qtbot, state, cases_panel, tmp_path, monkeypatch):
    """No second connection on the panel's file: the tab computes and records through the open store."""
    import sqlite3

    store = CaseStore(tmp_path / "team.db")
    _two_annotators(store)
    p = cases_panel(state, store, author="carla")
    opened: list[str] = []
    real_connect = sqlite3.connect

    def counting_connect(*args, **kwargs):
        opened.append(str(args[0] if args else kwargs.get("database")))
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", counting_connect)
    view = _agreement_shown(qtbot, p)
    assert view.queue.count() == 2
    first = view.report
    assert view.adjudicate(True)
    qtbot.waitUntil(lambda: view.report is not first, timeout=30000)
    assert view.queue.count() == 1 and [a.item for a in store.adjudications()] == ["user_0001 #4"]
    assert opened == []
    assert view.store is store
    p.set_store(None)                       # the panel closes nothing it did not open; the tab lets go
    assert view.store is None
    p.shutdown()
    store.close()


def test_agreement_of_a_damaged_store_is_shown_but_not_adjudicated(qtbot, state, cases_panel, tmp_path):
    from tests.annotate.test_store_faults import _damage

    db = tmp_path / "team.db"
    with CaseStore(db) as s:
        _two_annotators(s)
        for i in range(10, 130):                    # enough pages to damage some in the middle
            s.add_case(new_case(source="t", user_id="user_0002", event_index=i, author="ana",
                                prompt="p" * 3000))
    _damage(db)
    p = cases_panel(state, None, author="carla")
    assert p.open_store(db) and p.store.readonly
    view = _agreement_shown(qtbot, p)
    assert view.report.annotators == ("ana", "bo") and view.queue.count() == 2
    assert not view.yes_button.isEnabled() and not view.adjudicate(True)
    assert "read-only" in view.status.text()
    p.shutdown()


def test_blind_annotation_hides_other_annotators_marked_words(qtbot, state, cases_panel, tmp_path):
    from workbench.annotate.spans import make_span

    store = CaseStore(tmp_path / "team.db")
    case = store.add_case(new_case(source="t", user_id="user_0001", event_index=3, author="ana",
                                   transcript=[{"role": "user", "content": "非常感谢 thank you so much"}]))
    store.add_span(make_span(case, "turn:0", 0, 4, "politeness", annotator="ana"))
    store.add_span(make_span(case, "turn:0", 5, 14, "politeness", annotator="bo"))
    p = cases_panel(state, store, author="ana", hide_others=True)
    p.view.selectRow(p.model.row_of(case.id))
    assert [s.annotator for s in p.marker.spans] == ["ana"]
    p.set_annotator("ana", hide_others=False)
    assert sorted(s.annotator for s in p.marker.spans) == ["ana", "bo"]
    p.set_annotator("bo", hide_others=True)        # ana's case itself is hidden from bo
    assert p.model.row_of(case.id) == -1 and p.marker.spans == []
    p.shutdown()
    store.close()


def test_first_paint_watcher_skips_a_widget_deleted_before_it_stops_watching(qtbot):
    """A lazy dock shown at start-up replaces its placeholder before the first paint's watcher lets
    go of it: letting go must skip the deleted placeholder (it was an 'Unexpected error' banner)."""
    import shiboken6
    from PySide6.QtWidgets import QLabel, QWidget

    from workbench.app.cli_gui import _first_paint_watcher

    parent = QWidget()
    qtbot.addWidget(parent)
    placeholder, kept = QLabel("placeholder", parent), QLabel("kept", parent)
    times: list[float] = []
    watcher = _first_paint_watcher(parent, times)
    watcher.watch([placeholder, kept])
    shiboken6.delete(placeholder)
    watcher.unwatch()
    assert watcher.watched == [] and shiboken6.isValid(kept)
