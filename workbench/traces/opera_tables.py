"""Find and check the Parquet tables of an OPeRA folder. Layer: traces (pure; no Qt).

OPeRA ("Observation, Persona, Rationale, Action"; Hugging Face dataset ``NEU-HAI/OPeRA``) ships
two versions (``OPeRA_filtered``, ``OPeRA_full``), each with four tables and a train and a test
split (see ``docs/opera.md``)::

    OPeRA_filtered/action/train-00000-of-00002.parquet ...   one row per action (sharded)
    OPeRA_filtered/session/train/train.parquet               session_id, user_id, action_count
    OPeRA_filtered/user/train/train.parquet                  user_id, survey, raw_survey, interviews
    OPeRA_filtered/images/train-00000-of-00005.parquet       image {bytes, path}, image_name

:func:`discover` finds the tables under a folder (the dataset root, one version's folder, or any
folder of such files), by path first (a folder named ``action``/``session``/``user``/``images``)
and by columns otherwise, and names the split of each file (``train``/``test`` in its path).
:func:`check_columns` turns a missing or mistyped column into a :class:`TraceError` naming the file
and the field, as the OmniBehavior importer does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from workbench.traces.errors import TraceError, TraceIssue

#: Columns every action table must have (dataset card, both versions).
ACTION_REQUIRED = ("session_id", "action_id", "timestamp", "action_type")
#: The light action columns read at import (all strings; absent ones are read as null). The heavy
#: ones (``HEAVY_ACTION_COLUMNS``) stay on disk and are read per event by ``opera_observe``.
ACTION_LIGHT = ("session_id", "action_id", "timestamp", "action_type", "click_type", "semantic_id",
                "mouse_position", "element_meta", "url", "window_size", "rationale", "products",
                "input_text", "image",
                # full version only
                "navigation_type", "scroll_detail", "target", "image_new_page")
HEAVY_ACTION_COLUMNS = ("simplified_html", "page_meta", "simplified_html_new_page")
SESSION_REQUIRED = ("session_id", "user_id")
USER_REQUIRED = ("user_id",)
USER_TEXT = ("survey", "raw_survey", "interview_transcript", "interview_transcript_processed")
IMAGE_REQUIRED = ("image_name", "image")

#: Folders are searched this deep for Parquet files.
MAX_DEPTH = 5
VERSIONS = ("OPeRA_filtered", "OPeRA_full")


@dataclass
class TableFile:
    """One Parquet file of an OPeRA version: its path, kind (action, session, user, image), split
    (train, test or unknown) and column types."""

    path: Path
    kind: str           # action | session | user | image
    split: str          # train | test | "" (unknown)
    columns: dict[str, pl.DataType] = field(default_factory=dict)


@dataclass
class OperaTables:
    """The Parquet files of one OPeRA version under ``root`` (paths sorted, so the order is stable)."""

    root: Path
    version: str                                   # "filtered", "full" or "" (unknown)
    actions: list[TableFile] = field(default_factory=list)
    sessions: list[TableFile] = field(default_factory=list)
    users: list[TableFile] = field(default_factory=list)
    images: list[TableFile] = field(default_factory=list)
    notes: list[TraceIssue] = field(default_factory=list)   # warnings found while looking

    def all_files(self) -> list[TableFile]:
        """Every table file, actions first."""
        return [*self.actions, *self.sessions, *self.users, *self.images]

    def relative(self, path: Path) -> str:
        """``path`` relative to the dataset root (as given when it lies outside)."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def parquet_files(folder: Path, max_depth: int = MAX_DEPTH) -> list[Path]:
    """The ``.parquet`` files under ``folder`` (hidden entries skipped), sorted."""
    out: list[Path] = []
    base = len(folder.parts)
    for dirpath, dirnames, filenames in os.walk(folder):
        depth = len(Path(dirpath).parts) - base
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and depth < max_depth)
        out.extend(Path(dirpath) / f for f in filenames
                   if f.lower().endswith(".parquet") and not f.startswith("."))
    return sorted(out)


def looks_like_opera(folder: Path) -> bool:
    """True when ``folder`` holds an OPeRA action table (by folder name or by its columns)."""
    if not folder.is_dir():
        return False
    for f in parquet_files(folder):
        if _kind_from_path(f, folder) == "action":
            return True
        try:
            cols = pl.read_parquet_schema(f)
        except (OSError, pl.exceptions.PolarsError):
            continue
        if all(c in cols for c in ACTION_REQUIRED):
            return True
    return False


def _kind_from_path(f: Path, root: Path) -> str | None:
    try:
        parts = [p.lower() for p in f.relative_to(root).parts[:-1]]
    except ValueError:
        parts = []
    for p in reversed(parts):
        if p in ("action", "actions"):
            return "action"
        if p in ("session", "sessions"):
            return "session"
        if p in ("user", "users"):
            return "user"
        if p in ("images", "image"):
            return "image"
    return None


def _kind_from_columns(cols: dict[str, pl.DataType]) -> str | None:
    if all(c in cols for c in ACTION_REQUIRED):
        return "action"
    if "image_name" in cols:
        return "image"
    if "action_count" in cols and "session_id" in cols:
        return "session"
    if "user_id" in cols and any(c in cols for c in USER_TEXT):
        return "user"
    return None


def _split_of(f: Path) -> str:
    for part in reversed([p.lower() for p in f.parts]):
        stem = part.split(".")[0]
        for split in ("train", "test"):
            if stem == split or stem.startswith((split + "-", split + "_")) \
                    or stem.endswith(("-" + split, "_" + split)):
                return split
    return ""


def discover(folder: Path) -> OperaTables:
    """The OPeRA tables under ``folder``. With both versions present (the dataset root), the
    filtered one is read and a note says how to open the full one. Raises :class:`TraceError` when
    there is no action table."""
    folder = Path(folder)
    root = folder
    version = ""
    notes: list[TraceIssue] = []
    present = [v for v in VERSIONS if (folder / v).is_dir()]
    if present:
        root = folder / present[0]
        if len(present) > 1:
            notes.append(TraceIssue(str(folder), message=(
                f"both {' and '.join(present)} are here; {present[0]} is read "
                f"(open {folder / present[1]} for the other)")))
    low = root.name.lower()
    version = "filtered" if "filtered" in low else "full" if "full" in low else ""
    tables = OperaTables(root=root, version=version, notes=notes)
    for f in parquet_files(root):
        kind = _kind_from_path(f, root)
        try:
            cols = dict(pl.read_parquet_schema(f))
        except (OSError, pl.exceptions.PolarsError) as exc:
            issue = TraceIssue(str(f), expected="a Parquet file", message=_short(exc))
            if kind == "action":
                raise TraceError(issue) from None
            tables.notes.append(TraceIssue(str(f), expected="a Parquet file",
                                           message=f"{_short(exc)}; file skipped"))
            continue
        kind = kind or _kind_from_columns(cols)
        if kind is None:
            tables.notes.append(TraceIssue(str(f), expected="an OPeRA action, session, user or image table",
                                           message="columns not recognised; file skipped"))
            continue
        getattr(tables, {"action": "actions", "session": "sessions", "user": "users",
                         "image": "images"}[kind]).append(TableFile(f, kind, _split_of(f), cols))
    if not tables.actions:
        raise TraceError(TraceIssue(str(folder), expected="an OPeRA folder with an action table "
                                    "(action/*.parquet with session_id, action_id, timestamp, action_type)",
                                    message="no action table found"))
    return tables


def check_columns(t: TableFile, required: tuple[str, ...], strings: tuple[str, ...]) -> None:
    """Raise :class:`TraceError` for a missing required column or a present column of ``strings``
    that is not text (null-typed columns, all empty, pass)."""
    for col in required:
        if col not in t.columns:
            raise TraceError(TraceIssue(str(t.path), field=col,
                                        expected=f"a column of OPeRA's {t.kind} table",
                                        message="column missing"))
    for col in strings:
        dtype = t.columns.get(col)
        if dtype is not None and dtype not in (pl.String, pl.Utf8, pl.Null, pl.Categorical):
            raise TraceError(TraceIssue(str(t.path), field=col, expected="text (a string column)",
                                        message=f"column has type {dtype}"))


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
