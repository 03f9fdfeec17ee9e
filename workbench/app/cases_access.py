"""Who annotates in the Cases panel, what they see, and whether the store can be written. Layer: app (Qt).

* The annotator (Edit ▸ Settings…, :func:`workbench.app.settings.annotator_name`) is the author of
  every case the panel creates, so every tag and severity it records is that annotator's label.
  Another annotator's case is shown but not edited (its labels are theirs).
* Blind annotation (``hide_others``): the list and the queues show only the annotator's own cases
  (and cases without an author); the Agreement tab is unaffected.
* A store that cannot be opened for writing (damaged, read-only file or media) is opened read-only
  as far as it can be read (:class:`~workbench.annotate.store.CaseStore` with ``readonly=True``); one
  line above the list says so and every writing action is disabled.

:class:`CaseAccessMixin` is part of :class:`workbench.app.cases_panel.CasesPanel`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from workbench.annotate.agreement import annotator_of
from workbench.annotate.model import Case
from workbench.annotate.store import CaseStore, StoreError, default_store_path


def _reason(exc: Exception, path: Path) -> str:
    """The why of a refused write open, without the path and the advice: "it is on read-only media"."""
    text = str(exc).split("\n")[0]
    prefix = f"{path}: "
    if text.startswith(prefix):
        text = text[len(prefix):]
    return text.split("; refused")[0].strip() or "refused for writing"


def read_only_line(store: CaseStore, why: str) -> str:
    """One line saying that ``store`` is shown read-only, what could not be read, and (last, as the
    part a narrow dock may cut) SQLite's complaint or the reason."""
    name = store.path.name
    if store.damage:
        lost = len(store.salvage.lost_case_ids) if store.salvage is not None else 0
        lost_text = f"{lost} case(s) could not be read; " if lost else ""
        return f"Read-only: {name} is damaged; {lost_text}editing is off ({store.damage[:80]})"
    return f"Read-only: {name}; editing is off ({why})"


def open_read_only(path: Path, exc: Exception) -> tuple[CaseStore, str] | None:
    """After ``exc`` refused opening ``path`` for writing: the store opened read-only (as far as it
    can be read) and the one line saying so; None when it cannot be read either."""
    if not isinstance(exc, StoreError) or not path.exists():
        return None
    try:
        store = CaseStore(path, readonly=True)
    except Exception:  # noqa: BLE001 - not readable either: the caller shows the first error
        return None
    return store, read_only_line(store, _reason(exc, path))


class CaseAccessMixin:
    """The store, the annotator and blind annotation of the Cases panel."""

    store: CaseStore | None
    author: str
    hide_others: bool
    state: Any

    # -- the store ---------------------------------------------------------------------------------
    def set_store(self, store: CaseStore | None, *, owned: bool = False, notice: str = "") -> None:
        """Show another store (the panel closes stores it opened itself); ``notice`` is the one line
        shown above the list (why the store is read-only), "" for none."""
        self.flush_note()
        if self.store is not None and self._own_store and self.store is not store:
            self.store.close()
        self.store = store
        self._own_store = owned
        self.undo_stack.clear()          # the commands belong to the previous store
        self._current_id = None
        self._queue_id = None
        self._queue: list[Any] = []
        if store is not None and store.readonly and not notice:
            notice = read_only_line(store, "opened read-only")
        self.notice_label.setText(notice)
        self.notice_label.setToolTip(notice)
        self.notice_label.setVisible(bool(notice))
        self._update_who()
        self.refresh()
        self._sync_agreement()

    def open_store(self, path: str | Path) -> bool:
        """Open the store at ``path`` for writing; when it is refused (damaged, read-only), read-only
        as far as it can be read. False (and the error shown) when it cannot be read at all."""
        try:
            store = CaseStore(path)
        except Exception as exc:  # noqa: BLE001 - StoreError and OS errors: shown, never raised into Qt
            fallback = self._open_read_only(Path(path), exc)
            if fallback is None:
                self.state.post_error("Cannot open the case store", str(exc))
                return False
            store, notice = fallback
            self.set_store(store, owned=True, notice=notice)
            self.state.post_status(notice)
            return True
        self.set_store(store, owned=True)
        self.state.post_status(f"Cases: {store.path}")
        return True

    @staticmethod
    def _open_read_only(path: Path, exc: Exception) -> tuple[CaseStore, str] | None:
        return open_read_only(path, exc)

    def _on_state_dataset_changed(self) -> None:
        if self.store is not None and not self._own_store:
            return  # a store given by the caller stays
        source = getattr(self.state.dataset, "source", None)
        self.open_store(default_store_path(source))

    def _guard(self, title: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a store call; errors go to the one error sink (the GUI never crashes on them)."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every store error is shown, never raised into Qt
            self.state.post_error(title, str(exc))
            return None

    @property
    def writable(self) -> bool:
        """Can the panel write to its store (open and not read-only)?"""
        return self.store is not None and not self.store.readonly

    def _refuse_read_only(self) -> bool:
        """True (and the analyst told why) when the store is read-only."""
        if self.store is not None and self.store.readonly:
            self.state.post_status(f"{self.store.path.name} is read-only: nothing can be changed")
            return True
        return False

    # -- agreement -----------------------------------------------------------------------------------
    def _sync_agreement(self) -> None:
        """Compute the Agreement tab for the store and the annotator, whenever the tab is shown (the
        cases may have changed since) and when they change while it is shown. The tab reads through
        the panel's own open store (a second connection is never opened on its file)."""
        view = getattr(self, "agreement", None)
        if view is None:
            return
        if self.tabs.currentWidget() is not view:
            if view.store is not None and view.store is not self.store:
                view.set_store(None, decided_by=self.author)     # never keeps a store the panel closed
            return
        view.set_store(self.store, decided_by=self.author, writable=self.writable)

    def _on_adjudicated(self, item: str, tag: str, final: int, decided_by: str) -> None:
        self.state.post_status(f"Adjudicated {item} · {tag}: {'applies' if final else 'does not apply'} "
                               f"(decided by {decided_by})")

    # -- the annotator -----------------------------------------------------------------------------
    def set_annotator(self, name: str, *, hide_others: bool | None = None) -> None:
        """Label as ``name`` from now on; ``hide_others`` switches blind annotation (None: unchanged)."""
        self.flush_note()
        self.author = " ".join(name.split())
        if hide_others is not None:
            self.hide_others = bool(hide_others)
        self._update_who()
        self.refresh()
        marker = getattr(self, "marker", None)
        if marker is not None and marker.host is not None:
            marker.host.annotator_changed.emit()
        self._sync_agreement()

    def is_mine(self, case: Case) -> bool:
        """Is ``case`` the annotator's own (or without an author)? Only those are edited here."""
        return not case.author.strip() or annotator_of(case) == self.author

    def visible_cases(self, cases: Iterable[Case]) -> list[Case]:
        """``cases`` as the annotator may see them: only their own under blind annotation."""
        return [c for c in cases if self.is_mine(c)] if self.hide_others else list(cases)

    def _update_who(self) -> None:
        text = f"Annotator: {self.author or '(none)'}"
        if self.hide_others:
            text += " · other annotators' labels hidden"
        if self.store is not None:
            text += f" · {self.store.path.name}"
        self.who_label.setText(text)
        self.who_label.setToolTip("Change the annotator and blind annotation in Edit ▸ Settings…")
