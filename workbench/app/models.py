"""Qt item models over polars frames (virtual: cells are read from the frame on demand). Layer: app.

Never copy a big frame into item objects: :class:`EventTableModel` keeps a numpy
row permutation over a :class:`~workbench.app.navigation.UserTrack` frame and reads each cell from the
polars columns when the view asks for it, so a 100k-event user costs a few numpy arrays, not 700k
QStandardItems. Sorting computes a new permutation with polars; the filter either hides or greys out
non-matching rows. :class:`UsersModel` shows the user table with an activity sparkline per user
(daily event counts under :data:`SPARKLINE_ROLE`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from workbench.app.navigation import UserTrack
from workbench.traces.schema import OUTCOME_NAMES

EVENT_ID_ROLE = Qt.ItemDataRole.UserRole            # int event_index of a row
SORT_ROLE = Qt.ItemDataRole.UserRole + 2            # a sortable value (numbers as numbers)
SPARKLINE_ROLE = Qt.ItemDataRole.UserRole + 1       # numpy float array of daily event counts
USER_ID_ROLE = Qt.ItemDataRole.UserRole + 3         # str user id

OUTCOME_COLORS = {0: None, 1: QColor("#E69F00"), 2: QColor("#e599c6")}
#: Short scenario names for the table (the tooltip and the inspector give the full name).
SHORT_SCENARIO = {"Video Browsing": "Video", "Live Streaming": "Live", "E-commerce": "E-commerce",
                  "Customer Service": "Service", "Advertisement": "Ad", "Search Behavior": "Search"}
_DIM = QColor(150, 150, 150)
_BOLD = QFont()
_BOLD.setBold(True)

_Index = QModelIndex | QPersistentModelIndex


def _fmt_number(value: float | None, digits: int = 1) -> str:
    if value is None or value != value:
        return ""
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:,.0f}"


class EventTableModel(QAbstractTableModel):
    """One user's events; row order = a permutation over ``track.frame`` (time order by default)."""

    COLUMNS: tuple[tuple[str, str], ...] = (
        ("event_index", "#"),
        ("ts_raw", "Time"),
        ("scenario", "Scenario"),
        ("actions_text", "Actions"),
        ("title", "Title"),
        ("watch_seconds", "Watch s"),
        ("outcome", "Outcome"),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.track: UserTrack | None = None
        self._rows = np.zeros(0, dtype=np.int64)        # displayed row -> track row position
        self._order = np.zeros(0, dtype=np.int64)       # sort permutation over all track rows
        self._mask: np.ndarray | None = None           # filter mask over track rows
        self._hide_unmatched = False
        self._cols: dict[str, pl.Series] = {}
        self._row_of_pos = np.zeros(0, dtype=np.int64)  # track row position -> displayed row (-1)
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # -- data in ----------------------------------------------------------------------------------
    def set_track(self, track: UserTrack | None) -> None:
        self.beginResetModel()
        self.track = track
        self._cols = {}
        self._mask = None
        if track is not None and len(track):
            f = track.frame
            for key, _ in self.COLUMNS:
                if key == "actions_text":
                    self._cols[key] = f["action_types"].list.join(", ") if "action_types" in f.columns \
                        else pl.Series([""] * f.height)
                elif key in f.columns:
                    self._cols[key] = f[key]
            self._order = np.arange(len(track), dtype=np.int64)
        else:
            self._order = np.zeros(0, dtype=np.int64)
        self._sort = None
        self._recompute_rows()
        self.endResetModel()

    def set_filter(self, mask: np.ndarray | None, hide_unmatched: bool) -> None:
        """``mask`` over track rows (None = everything matches). Hidden or greyed, as asked."""
        self.beginResetModel()
        self._mask = mask
        self._hide_unmatched = hide_unmatched
        self._recompute_rows()
        self.endResetModel()

    def _recompute_rows(self) -> None:
        order = self._order
        if self._mask is not None and self._hide_unmatched:
            order = order[self._mask[order]]
        self._rows = order
        n = len(self.track) if self.track is not None else 0
        self._row_of_pos = np.full(n, -1, dtype=np.int64)
        self._row_of_pos[order] = np.arange(order.size, dtype=np.int64)

    # -- lookups ----------------------------------------------------------------------------------
    def event_at(self, row: int) -> int:
        if self.track is None or not 0 <= row < self._rows.size:
            return -1
        return int(self.track.ids[self._rows[row]])

    def row_of(self, event_index: int) -> int:
        if self.track is None:
            return -1
        pos = self.track.position(event_index)
        return int(self._row_of_pos[pos]) if pos >= 0 else -1

    # -- Qt model API -----------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else int(self._rows.size)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section][1]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.track is None:
            return None
        r = index.row()
        if not 0 <= r < self._rows.size:
            return None
        pos = int(self._rows[r])
        key = self.COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.ToolTipRole:
            if key == "outcome":
                k = int(self.track.kind[pos])
                return OUTCOME_NAMES[k] if 0 <= k < len(OUTCOME_NAMES) else str(k)
            if key == "watch_seconds":
                return _fmt_number(float(self.track.value[pos]))
            if key == "event_index":
                return str(int(self.track.ids[pos]))
            series = self._cols.get(key)
            value = None if series is None else series[pos]
            if key == "scenario" and role == Qt.ItemDataRole.DisplayRole:
                return SHORT_SCENARIO.get(value, value or "")
            if key == "title" and role == Qt.ItemDataRole.DisplayRole and isinstance(value, str) and len(value) > 160:
                return value[:160] + "…"
            return "" if value is None else str(value)
        if role == EVENT_ID_ROLE:
            return int(self.track.ids[pos])
        if role == Qt.ItemDataRole.ForegroundRole:
            if self._mask is not None and not self._hide_unmatched and not self._mask[pos]:
                return QBrush(_DIM)
            if key == "outcome":
                color = OUTCOME_COLORS.get(int(self.track.kind[pos]))
                return QBrush(color) if color is not None else None
            return None
        if role == Qt.ItemDataRole.FontRole and key == "outcome" and int(self.track.kind[pos]) == 2:
            return _BOLD
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("event_index", "watch_seconds"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self.track is None or not len(self.track) or not 0 <= column < len(self.COLUMNS):
            return
        key = self.COLUMNS[column][0]
        descending = order == Qt.SortOrder.DescendingOrder
        if key == "event_index":
            perm = np.argsort(self.track.ids, kind="stable")
        elif key == "ts_raw":
            perm = np.arange(len(self.track))           # the track is already in time order
        elif key == "outcome":
            perm = np.argsort(self.track.kind, kind="stable")
        elif key == "watch_seconds":
            v = np.where(np.isfinite(self.track.value), self.track.value, -np.inf)
            perm = np.argsort(v, kind="stable")
        else:
            s = self._cols[key]
            perm = pl.DataFrame({"v": s, "i": np.arange(s.len())}).sort(["v", "i"], nulls_last=True)["i"].to_numpy()
        perm = np.asarray(perm, dtype=np.int64)
        if descending:
            perm = perm[::-1].copy()
        self.layoutAboutToBeChanged.emit()
        old = [(p, self.event_at(p.row())) for p in self.persistentIndexList()]
        self._order = perm
        self._sort = (column, order)
        self._recompute_rows()
        for p, ev in old:
            row = self.row_of(ev)
            self.changePersistentIndex(p, self.index(row, p.column()) if row >= 0 else QModelIndex())
        self.layoutChanged.emit()


class UsersModel(QAbstractTableModel):
    """The user table: id, profile, event count, activity sparkline (daily counts)."""

    COLUMNS = ("User", "Profile", "Events", "Activity")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._users: pl.DataFrame = pl.DataFrame()
        self._ids: pl.Series = pl.Series([], dtype=pl.String)
        self._profiles: pl.Series = pl.Series([], dtype=pl.String)
        self._counts = np.zeros(0, dtype=np.int64)
        self._spark: dict[str, np.ndarray] = {}
        self.spark_max = 1.0

    def set_users(self, users: pl.DataFrame | None, sparklines: dict[str, np.ndarray] | None = None) -> None:
        self.beginResetModel()
        if users is None or users.height == 0:
            self._users = pl.DataFrame()
            self._ids = pl.Series([], dtype=pl.String)
            self._profiles = pl.Series([], dtype=pl.String)
            self._counts = np.zeros(0, dtype=np.int64)
        else:
            self._users = users
            self._ids = users["user_id"]
            self._profiles = users["profile"].fill_null("") if "profile" in users.columns else \
                pl.Series([""] * users.height)
            self._counts = users["event_count"].fill_null(0).to_numpy().astype(np.int64)
        self._spark = sparklines or {}
        peaks = [float(a.max()) for a in self._spark.values() if a.size]
        self.spark_max = max(peaks) if peaks else 1.0
        self.endResetModel()

    def append_users(self, users: pl.DataFrame) -> None:
        """Add rows (``schema.USER_SCHEMA``) after the present ones, e.g. while a folder is read."""
        if users.height == 0:
            return
        if self._users.height == 0:
            self.set_users(users)
            return
        n = int(self._ids.len())
        self.beginInsertRows(QModelIndex(), n, n + users.height - 1)
        self._users = pl.concat([self._users, users.select(self._users.columns)])
        self._ids = self._users["user_id"]
        self._profiles = self._users["profile"].fill_null("")
        self._counts = self._users["event_count"].fill_null(0).to_numpy().astype(np.int64)
        self.endInsertRows()

    def user_at(self, row: int) -> str:
        return str(self._ids[row]) if 0 <= row < self._ids.len() else ""

    def row_of(self, user_id: str) -> int:
        if not user_id or self._ids.len() == 0:
            return -1
        hits = np.flatnonzero((self._ids == user_id).to_numpy())
        return int(hits[0]) if hits.size else -1

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else int(self._ids.len())

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section] if 0 <= section < len(self.COLUMNS) else None
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if not 0 <= r < self._ids.len():
            return None
        uid = str(self._ids[r])
        if role == USER_ID_ROLE:
            return uid
        if role == SPARKLINE_ROLE:
            return self._spark.get(uid)
        if role == SORT_ROLE:
            if c == 2 or c == 3:
                return int(self._counts[r])
            return uid if c == 0 else str(self._profiles[r] or "")
        if role == Qt.ItemDataRole.DisplayRole:
            if c == 0:
                return uid
            if c == 1:
                text = str(self._profiles[r] or "")
                return text if len(text) <= 120 else text[:120] + "…"
            if c == 2:
                return f"{int(self._counts[r]):,}"
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if c == 1:
                return str(self._profiles[r] or "")
            if c == 3:
                a = self._spark.get(uid)
                if a is not None and a.size:
                    return f"{a.size} days, peak {int(a.max()):,} events/day, mean {a.mean():,.1f}"
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and c == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class UsersProxyModel(QSortFilterProxyModel):
    """Sortable, filterable (id or profile, case-insensitive) view over :class:`UsersModel`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setFilterRole(SORT_ROLE)


def daily_sparklines(events: pl.DataFrame) -> dict[str, np.ndarray]:
    """Daily event counts per user over the dataset's whole date span (same x for every user)."""
    if events.height == 0 or "ts" not in events.columns:
        return {}
    day = events.select(pl.col("user_id"), pl.col("ts").dt.date().alias("day")).drop_nulls("day")
    if day.height == 0:
        return {}
    first, last = day["day"].min(), day["day"].max()
    n_days = (last - first).days + 1
    counts = (day.group_by("user_id", "day").len()
              .with_columns(((pl.col("day") - pl.lit(first)).dt.total_days()).alias("k")))
    out: dict[str, np.ndarray] = {}
    for (uid,), part in counts.group_by("user_id"):
        arr = np.zeros(n_days, dtype=np.float64)
        arr[part["k"].to_numpy()] = part["len"].to_numpy()
        out[str(uid)] = arr
    return out
