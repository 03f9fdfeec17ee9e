"""Named bookmarks on events, persisted per trace source. Layer: app (no Qt imports here).

A bookmark names one event of one user in one source (file or folder) and remembers the visible time
range when it was made, like Perfetto's pinned markers. They live in ``data_dir()/bookmarks.json``
(user data, not settings), written atomically, read tolerantly (bad entries are skipped).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from workbench.paths import data_dir
from workbench.fileio import atomic_write_text

FILE_NAME = "bookmarks.json"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Bookmark:
    name: str
    source: str
    user_id: str
    event_index: int
    t0: float | None = None
    t1: float | None = None


def source_key(source: str | Path | None) -> str:
    if source is None:
        return ""
    try:
        return str(Path(source).expanduser().resolve())
    except OSError:
        return str(source)


class BookmarkStore:
    """All bookmarks; ``for_source`` gives those of one source in creation order."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or (data_dir() / FILE_NAME)
        self.problems: list[str] = []
        self._items: list[Bookmark] = self._read()

    def _read(self) -> list[Bookmark]:
        if not self.path.exists():
            return []
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            entries = raw.get("bookmarks", []) if isinstance(raw, dict) else []
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            self.problems.append(f"{self.path}: bookmarks could not be read ({exc})")
            return []
        out = []
        for i, e in enumerate(entries if isinstance(entries, list) else []):
            try:
                out.append(Bookmark(name=str(e["name"]), source=str(e["source"]), user_id=str(e["user_id"]),
                                    event_index=int(e["event_index"]),
                                    t0=None if e.get("t0") is None else float(e["t0"]),
                                    t1=None if e.get("t1") is None else float(e["t1"])))
            except (KeyError, TypeError, ValueError):
                self.problems.append(f"{self.path}: bookmark {i} is malformed and was skipped")
        return out

    def _write(self) -> None:
        atomic_write_text(self.path, json.dumps(
            {"schema_version": SCHEMA_VERSION, "bookmarks": [asdict(b) for b in self._items]},
            ensure_ascii=False, indent=1))

    def for_source(self, source: str | Path | None) -> list[Bookmark]:
        key = source_key(source)
        return [b for b in self._items if b.source == key]

    def add(self, bookmark: Bookmark) -> Bookmark:
        bookmark = Bookmark(**{**asdict(bookmark), "source": source_key(bookmark.source)})
        self._items.append(bookmark)
        self._write()
        return bookmark

    def remove(self, bookmark: Bookmark) -> None:
        self._items = [b for b in self._items if b != bookmark]
        self._write()

    def rename(self, bookmark: Bookmark, name: str) -> Bookmark:
        renamed = Bookmark(**{**asdict(bookmark), "name": name})
        self._items = [renamed if b == bookmark else b for b in self._items]
        self._write()
        return renamed
