"""The one observable state object the GUI panels share. Layer: app (Qt).

Panels observe, they do not own (docs/architecture.md#one-owner-per-concept):
every panel gets the same ``AppState``, connects to
its signals and redraws; a panel changes what is shown only by calling the setters below, never by
reaching into a sibling widget. Signals are named in the past tense.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from workbench.traces.traceset import TraceSet
    from workbench.traces.user import UserEvents


@dataclass(frozen=True)
class GhostMark:
    """A predicted outcome drawn beside the real event on the timeline."""

    user_id: str
    event_index: int
    model: str
    field: str
    predicted: Any
    real: Any
    agrees: bool


@dataclass(frozen=True)
class Highlight:
    """A named set of events to emphasise on the timeline (memory-strategy picks, a causal chain)."""

    name: str
    user_id: str
    event_indices: tuple[int, ...]
    color: str = "#f0a030"
    connect: bool = False  # draw a line through the events in time order (causal chains)
    label: str = ""


class AppState(QObject):
    """Shared application state. Construct with ``AppState()``; it is a QObject with signals."""

    dataset_changed = Signal()                 # a new TraceSet is loaded (or closed)
    user_changed = Signal(str)                 # current user id
    user_events_changed = Signal(object)       # the current user's UserEvents (None while reading)
    selection_changed = Signal(str, int)       # (user_id, event_index); -1 = nothing selected
    range_changed = Signal(float, float)       # visible time range, epoch seconds
    filter_changed = Signal()                  # the event filter changed
    highlights_changed = Signal()
    ghosts_changed = Signal()
    status_posted = Signal(str)                # a short message for the status bar
    error_posted = Signal(str, str)            # (title, plain-words message): the one error sink
    litellm_loaded = Signal()                  # the background import of litellm ended (cost estimates)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dataset: TraceSet | None = None
        self.current_user: str = ""
        #: the current user's events (``workbench.traces.user.UserEvents``), decoded once and shared
        #: by every panel; None until they are read
        self.user_events: UserEvents | None = None
        self.selected_index: int = -1
        self.highlights: dict[str, Highlight] = {}
        self.ghosts: list[GhostMark] = []

    # -- setters (the only way panels change shared state) ----------------------------------------
    def set_dataset(self, dataset: TraceSet | None) -> None:
        self.dataset = dataset
        self.user_events = None
        self.highlights.clear()
        self.ghosts.clear()
        self.selected_index = -1
        self.dataset_changed.emit()

    def set_user(self, user_id: str) -> None:
        if user_id == self.current_user:
            return
        self.current_user = user_id
        self.selected_index = -1
        if self.user_events is not None and self.user_events.user_id != user_id:
            self.user_events = None
            self.user_events_changed.emit(None)
        self.user_changed.emit(user_id)

    def set_user_events(self, events: UserEvents | None) -> None:
        """Announce the current user's decoded events (ignored when they are another user's)."""
        if events is not None and events.user_id != self.current_user:
            return
        if events is self.user_events:
            return
        self.user_events = events
        self.user_events_changed.emit(events)

    def current_events(self) -> Any:
        """The current user's UserEvents: the announced ones, else read (once, shared) from the
        dataset; None without a dataset or user. Call from the GUI thread or a worker alike."""
        if self.user_events is not None and self.user_events.user_id == self.current_user:
            return self.user_events
        if self.dataset is None or not self.current_user:
            return None
        return self.dataset.user(self.current_user)

    def select_event(self, user_id: str, event_index: int) -> None:
        if user_id != self.current_user:
            self.set_user(user_id)
        if event_index == self.selected_index:
            return
        self.selected_index = event_index
        self.selection_changed.emit(user_id, event_index)

    def set_highlight(self, highlight: Highlight) -> None:
        self.highlights[highlight.name] = highlight
        self.highlights_changed.emit()

    def clear_highlight(self, name: str) -> None:
        if self.highlights.pop(name, None) is not None:
            self.highlights_changed.emit()

    def set_range(self, t0: float, t1: float) -> None:
        """Announce the visible time range (epoch seconds); emits ``range_changed``."""
        self.range_changed.emit(float(t0), float(t1))

    def set_ghosts(self, ghosts: list[GhostMark]) -> None:
        self.ghosts = list(ghosts)
        self.ghosts_changed.emit()

    def post_status(self, message: str) -> None:
        self.status_posted.emit(message)

    def post_error(self, title: str, message: str) -> None:
        self.error_posted.emit(title, message)
