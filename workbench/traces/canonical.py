"""The canonical event table as a Parquet file: reading and writing it, with the user table and the
import warnings in its metadata. Layer: traces (pure; no Qt).

Used for the columnar cache and for canonical Parquet sources (``workbench convert``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import orjson
import polars as pl

from workbench import fileio
from workbench.traces import cache, limits, schema
from workbench.traces.errors import TraceError, TraceIssue
from workbench.traces.importer import display, short
from workbench.traces.traceset import TraceSet

#: Parquet compressions polars writes.
ParquetCompression = Literal["lz4", "uncompressed", "snappy", "gzip", "brotli", "zstd"]

META_USERS = "workbench.users"
META_WARNINGS = "workbench.warnings"
META_VERSION = "workbench.schema"
NON_PAYLOAD = [c for c in schema.EVENT_SCHEMA if c not in schema.PAYLOAD_COLUMNS]


def write_parquet(traceset: TraceSet, path: str | os.PathLike) -> Path:
    """Write the canonical table (payload included) and the user table to one Parquet file."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_canonical(traceset.with_payload(), traceset.users, traceset.warnings, out, traceset.source)
    return out


def read_parquet(path: Path, source: Path | None = None) -> TraceSet:
    """Read a canonical Parquet file (payload columns left on disk)."""
    path = Path(path)
    try:
        file_schema = pl.read_parquet_schema(path)
        meta = pl.read_parquet_metadata(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise TraceError(TraceIssue(display(path), expected="a Parquet file of the canonical event table",
                                    message=short(exc))) from None
    for col, dtype in schema.EVENT_SCHEMA.items():
        if col not in file_schema:
            raise TraceError(TraceIssue(display(path), field=col,
                                        expected="a column of the canonical event table",
                                        message="column missing"))
        if file_schema[col] != dtype:
            raise TraceError(TraceIssue(display(path), field=col, expected=str(dtype),
                                        message=f"column has type {file_schema[col]}"))
    try:
        events = pl.read_parquet(path, columns=NON_PAYLOAD)
    except pl.exceptions.PolarsError as exc:
        raise TraceError(TraceIssue(display(path), expected="a readable Parquet file",
                                    message=short(exc))) from None
    root = Path(source) if source is not None else path
    where = display(path)
    users_meta, warnings = _metadata(where, meta)
    _check_keys(where, events, users_meta)
    if not users_meta:
        users_meta = [{"user_id": u, "profile": "", "source": ""}
                      for u in events["user_id"].unique(maintain_order=True).to_list()]
    users = user_table(events, [(u["user_id"], u.get("profile") or "", _resolve(root, u.get("source") or ""))
                                for u in users_meta])
    return TraceSet(events, users, warnings, root, parquet=path)


def _metadata(where: str, meta: dict) -> tuple[list[dict], list[TraceIssue]]:
    """The user table and warnings stored in a canonical file's metadata, checked; TraceError
    naming the metadata key and entry when they are not what we write."""
    def bad(key: str, expected: str, message: str) -> TraceError:
        return TraceError(TraceIssue(where, field=f"metadata {key}", expected=expected, message=message))

    users_meta: list[dict] = []
    warnings: list[TraceIssue] = []
    user_shape = "a list of {user_id, profile, source} objects with unique string ids"
    if META_USERS in meta:
        try:
            users_meta = orjson.loads(meta[META_USERS])
        except orjson.JSONDecodeError as exc:
            raise bad(META_USERS, user_shape, f"not JSON ({short(exc)})") from None
        if not isinstance(users_meta, list):
            raise bad(META_USERS, user_shape, "not a list")
        seen: set[str] = set()
        for i, u in enumerate(users_meta):
            if not isinstance(u, dict) or not isinstance(u.get("user_id"), str):
                raise bad(META_USERS, user_shape, f"entry {i} has no string user_id")
            if not all(isinstance(u.get(k), (str, type(None))) for k in ("profile", "source")):
                raise bad(META_USERS, user_shape, f"entry {i} ({u['user_id']!r}): profile and source must be strings")
            if u["user_id"] in seen:
                raise bad(META_USERS, user_shape, f"user {u['user_id']!r} is listed twice")
            seen.add(u["user_id"])
    if META_WARNINGS in meta:
        shape = "a list of warning objects"
        try:
            items = orjson.loads(meta[META_WARNINGS])
        except orjson.JSONDecodeError as exc:
            raise bad(META_WARNINGS, shape, f"not JSON ({short(exc)})") from None
        if not isinstance(items, list) or not all(isinstance(w, dict) for w in items):
            raise bad(META_WARNINGS, shape, "not a list of objects")
        try:
            warnings = [TraceIssue.from_dict(w) for w in items]
        except (TypeError, ValueError) as exc:
            raise bad(META_WARNINGS, shape, short(exc)) from None
        for w in warnings:
            if not isinstance(w.file, str) or not isinstance(w.event_index, (int, type(None))):
                raise bad(META_WARNINGS, shape, "a warning without a file name or with a bad event index")
    return users_meta, warnings


def _check_keys(where: str, events: pl.DataFrame, users_meta: list[dict]) -> None:
    """Every row has a user and an event index >= 0, ``(user_id, event_index)`` is unique, and
    every user with rows is in the stored user table; TraceError naming the first offender."""
    keys = events.select("user_id", "event_index")
    null = keys.filter(pl.col("user_id").is_null() | pl.col("event_index").is_null() | (pl.col("event_index") < 0))
    if null.height:
        u, i = null.row(0)
        raise TraceError(TraceIssue(where, u, i, "event_index" if u is not None else "user_id",
                                    "a user id and an event index >= 0 on every row",
                                    f"{null.height} rows without"))
    runs = _user_runs(keys)
    if runs is None:  # not grouped by user in event order: the general (hashing) check
        dup = keys.filter(keys.is_duplicated())
        if dup.height:
            u, i = dup.row(0)
            raise TraceError(TraceIssue(where, u, i, "event_index", "a unique event_index per user",
                                        f"{dup.height} rows share their user and event index"))
    if users_meta:
        listed = {u["user_id"] for u in users_meta}
        present = runs if runs is not None else events["user_id"].unique(maintain_order=True).to_list()
        unknown = [u for u in present if u not in listed]
        if unknown:
            raise TraceError(TraceIssue(where, unknown[0], None, "user_id",
                                        f"users listed in metadata {META_USERS}",
                                        f"{len(unknown)} users have events but are not listed"))


def _user_runs(keys: pl.DataFrame) -> list[str] | None:
    """The users in row order when the rows come as the importer writes them: each user's rows
    together, event indices rising (then ``(user_id, event_index)`` is unique without hashing
    every row); None otherwise."""
    if keys.height == 0:
        return []
    user, index = keys["user_id"], keys["event_index"]
    same = user == user.shift(1)  # null on the first row
    rising = index > index.shift(1)
    if not bool(((~same).fill_null(True) | rising.fill_null(True)).all()):
        return None
    starts = user.filter((~same).fill_null(True))
    if starts.n_unique() != starts.len():  # a user's rows in two places: let the general check decide
        return None
    return starts.to_list()


def write_canonical(events: pl.DataFrame, users: pl.DataFrame, warnings: list[TraceIssue],
                    out: Path, source: Path, *, compression: ParquetCompression = "lz4", level: int | None = None,
                    extra_meta: dict[str, str] | None = None) -> None:
    """Write ``events`` (payload included) to ``out`` atomically, the user table and warnings in
    its metadata (user sources relative to ``source`` when it is a folder). ``compression`` and
    ``level`` as polars takes them (lz4, fast, for caches; zstd, small, for files that ship);
    ``extra_meta`` adds key-value metadata. Raises OSError."""
    meta = {**metadata(users, warnings, source), **(extra_meta or {})}
    # a cache can be rebuilt from its source: atomic, but no fsync
    fileio.atomic_write(out, lambda tmp: events.select(list(schema.EVENT_SCHEMA)).write_parquet(
        tmp, compression=compression, compression_level=level, row_group_size=limits.ROW_GROUP,
        statistics=True, metadata=meta), fsync=False)


def metadata(users: pl.DataFrame, warnings: list[TraceIssue], source: Path) -> dict[str, str]:
    """The key-value metadata of a canonical Parquet file: the user table (user sources relative to
    ``source`` when it is a folder), the import warnings and the schema version."""
    root = Path(source)
    # each distinct source made relative once (a million users of one file share one)
    relative = {s: _relative(root, s) for s in users["source"].unique().to_list()}
    users_meta = [{"user_id": u, "profile": p, "source": relative[s]}
                  for u, p, s in users.select("user_id", "profile", "source").iter_rows()]
    return {META_USERS: orjson.dumps(users_meta).decode(),
            META_WARNINGS: orjson.dumps([w.to_dict() for w in warnings]).decode(),
            META_VERSION: cache.CACHE_VERSION}


def user_table(events: pl.DataFrame, users: list[tuple[str, str, str]]) -> pl.DataFrame:
    """The user table (``schema.USER_SCHEMA``) of ``(user_id, profile, source)`` in that order,
    with each user's event count and first/last time from ``events``."""
    ids, profiles, sources = zip(*users) if users else ((), (), ())
    base = pl.DataFrame({"user_id": ids, "profile": profiles, "source": sources},
                        schema={"user_id": pl.String, "profile": pl.String, "source": pl.String})
    stats = _run_stats(events, base["user_id"])
    if stats is not None and stats["user_id"].equals(base["user_id"]):
        # every user has events, in the users' order (as a file of a million users): no join
        table = pl.concat([base, stats.drop("user_id")], how="horizontal")
    else:
        if stats is None:
            stats = events.group_by("user_id").agg(
                pl.len().cast(pl.Int64).alias("event_count"),
                pl.col("ts").min().alias("first_ts"), pl.col("ts").max().alias("last_ts"))
        table = base.join(stats, on="user_id", how="left", maintain_order="left").with_columns(
            pl.col("event_count").fill_null(0))
    return table.select([pl.col(c).cast(t) for c, t in schema.USER_SCHEMA.items()])


def _run_stats(events: pl.DataFrame, user_ids: pl.Series) -> pl.DataFrame | None:
    """Each user's event count and first/last time when each user's rows come together (as the
    importer writes them): from the run boundaries, without hashing every row; None otherwise.
    ``user_ids`` (unique): when the runs are theirs in that order, the runs are known unique."""
    user = events["user_id"]
    if events.height == 0 or user.null_count():
        return None
    starts = np.flatnonzero((user != user.shift(1)).fill_null(True).to_numpy())
    ids = user.gather(starts)
    if not ids.equals(user_ids) and ids.n_unique() != len(ids):
        return None
    counts = np.diff(np.append(starts, events.height))
    t = events["ts"].cast(pl.Datetime("us")).to_physical()
    hi, lo = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    first = np.minimum.reduceat(t.fill_null(hi).to_numpy(), starts)
    last = np.maximum.reduceat(t.fill_null(lo).to_numpy(), starts)
    as_time = [pl.Series(name, values, dtype=pl.Int64).cast(pl.Datetime("us"))
               for name, values in (("first_ts", np.where(first == hi, 0, first)), ("last_ts", last))]
    return pl.DataFrame({"user_id": ids, "event_count": pl.Series(counts, dtype=pl.Int64),
                         "first_ts": as_time[0], "last_ts": as_time[1]}).with_columns(
        pl.when(pl.Series(first == hi)).then(None).otherwise(pl.col("first_ts")).alias("first_ts"),
        pl.when(pl.Series(last == lo)).then(None).otherwise(pl.col("last_ts")).alias("last_ts"))


def _relative(root: Path, path: str) -> str:
    if not path:
        return ""
    p = Path(path)
    if root.is_dir():
        try:
            return str(p.relative_to(root))
        except ValueError:
            return str(p)
    return "" if p == root else str(p)


def _resolve(root: Path, rel: str) -> str:
    if not rel:
        return str(root)
    p = Path(rel)
    return str(p if p.is_absolute() else root / p)


