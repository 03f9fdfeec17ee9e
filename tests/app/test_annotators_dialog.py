"""Merging stores and the agreement dialog in the window's terms (workers, Y/N adjudication)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from workbench.annotate.model import new_case  # noqa: E402
from workbench.annotate.store import CaseStore  # noqa: E402


def _stores(tmp_path):
    pattern = [(1, 1)] * 4 + [(1, 0), (0, 1)] + [(0, 0)] * 4
    paths = []
    for who, col in (("ana", 0), ("bo", 1)):
        path = tmp_path / f"{who}.db"
        with CaseStore(path) as s:
            for i, pair in enumerate(pattern):
                s.add_case(new_case(source="t.json", user_id="user_0001", event_index=i, author=who,
                                    tags=["utopian-tone"] * pair[col]))
        paths.append(str(path))
    return paths


def test_merge_on_a_worker_then_agreement_and_adjudication(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

    from workbench.app import annotators_dialog as mod

    inputs = _stores(tmp_path)
    out = tmp_path / "team.db"
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: (inputs, "")))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    shown = []
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda *a, **k: shown.append(a[2])))
    parent = QWidget()
    qtbot.addWidget(parent)
    job = mod.merge_case_stores(parent)
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert job is not None and "20 case(s)" in shown[0] and out.exists()

    dlg = mod.AgreementDialog(out, "carla")
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.report is not None, timeout=30000)
    assert dlg.table.item(0, 0).text() == "utopian-tone"
    assert dlg.table.item(0, 1).text() == "0.600 (10)"          # Cohen's kappa and its items
    assert dlg.table.item(0, 4).text() == "0.600 (10)"          # Gwet's AC1
    assert dlg.queue.count() == 2
    first = dlg.report
    qtbot.keyClick(dlg, Qt.Key.Key_Y)
    qtbot.waitUntil(lambda: dlg.report is not first, timeout=30000)
    assert dlg.queue.count() == 1
    with CaseStore(out, readonly=True) as s:
        [adj] = s.adjudications()
        assert (adj.item, adj.final, adj.decided_by) == ("user_0001 #4", 1, "carla")
    from workbench.annotate.store_file import held_open

    assert held_open(out)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.close()                                                 # the dialog closes the store it opened
    assert dlg.store is None and not held_open(out)
