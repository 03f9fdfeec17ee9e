"""The canonical table written to Parquet while it is being imported, so that the import never holds
every event's payload at once. Layer: traces (pure; no Qt).

A :class:`CanonicalSink` takes the importer's frames one by one (payload included), hands them to a
writer thread (pyarrow's ``ParquetWriter`` releases the GIL: the write runs on the other core while
the next events are built) and gives back each frame without its payload columns. ``commit`` adds
the user table and the warnings to the file's metadata (as :mod:`workbench.traces.canonical` reads
them) and renames it into place; until then the file is a temporary one beside the target.
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from workbench.traces import limits, schema

#: Frames waiting for the writer thread at most (each about 20 MB of payload).
QUEUE_FRAMES = 2


class CanonicalSink:
    """Writes the canonical table's frames (payload included) to a temporary Parquet file in
    ``folder`` in a writer thread; ``failed`` holds the first write error (later frames are then
    dropped: the caller re-imports without the cache)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".import-", suffix=".parquet.tmp", dir=folder)
        os.close(fd)
        self.path = Path(name)
        self.failed: BaseException | None = None
        self.rows = 0
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
        self._writer: Any = None  # pyarrow.parquet.ParquetWriter, made with the first frame
        self._schema: Any = None
        self._thread = threading.Thread(target=self._run, name="trace-cache-sink", daemon=True)
        self._thread.start()

    def add(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Queue ``frame`` (payload included) for writing; returns it without the payload columns."""
        if frame.height:
            if self.failed is None:
                self._queue.put(frame.select(list(schema.EVENT_SCHEMA)))
            self.rows += frame.height
        return frame.drop([c for c in schema.PAYLOAD_COLUMNS if c in frame.columns])

    def add_arrow(self, frame: pl.DataFrame, context: Any, actions: Any) -> pl.DataFrame:
        """``add`` for a frame without payload whose payload columns are Arrow arrays of the same
        length (they are written as they are, never made into polars columns); returns ``frame``."""
        if frame.height:
            if self.failed is None:
                table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
                for name, column in (("context", context), ("actions", actions)):
                    table = table.add_column(list(schema.EVENT_SCHEMA).index(name), name, column)
                self._queue.put(table)
            self.rows += frame.height
        return frame

    def _run(self) -> None:
        while True:
            frame = self._queue.get()
            if frame is None:
                return
            if self.failed is not None:
                continue
            try:
                self._write(frame)
            except BaseException as exc:  # noqa: BLE001 - kept and reported by commit; the data is re-read
                self.failed = exc

    def _write(self, frame: pl.DataFrame | pa.Table) -> None:
        import pyarrow.parquet as pq

        table = frame if isinstance(frame, pa.Table) else frame.to_arrow(compat_level=pl.CompatLevel.oldest())
        if self._writer is None:
            self._schema = table.schema
            # the payload texts are all different and never filtered on: no dictionary and no
            # statistics for them (both cost CPU for nothing; a tenth of the write)
            plain = [c for c in table.column_names if c not in schema.PAYLOAD_COLUMNS]
            # the payload in snappy: a fifth less CPU than lz4 to write (3.4 against 4.3 us per
            # event of the release-shaped folder), about as small; the rest, read at every open,
            # in lz4 (faster to read than snappy: 0.29 against 0.36 s for 1.6 million rows)
            codecs = {c: "snappy" if c in schema.PAYLOAD_COLUMNS else "lz4" for c in table.column_names}
            self._writer = pq.ParquetWriter(self.path, table.schema, compression=codecs,
                                            use_dictionary=plain, write_statistics=plain)
        elif table.schema != self._schema:
            table = table.cast(self._schema)
        self._writer.write_table(table, row_group_size=limits.ROW_GROUP)

    def _finish(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def commit(self, target: Path, meta: dict[str, str]) -> None:
        """Finish the file with ``meta`` (key-value metadata) and move it to ``target``. Raises
        OSError (or the writer's error) when the file could not be written; it is removed then."""
        self._finish()
        try:
            if self.failed is not None:
                raise self.failed
            if self._writer is None:  # no rows at all
                self._write(schema.empty_events())
            self._writer.add_key_value_metadata(meta)
            self._writer.close()
            self._writer = None
            os.replace(self.path, target)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Stop writing and remove the temporary file."""
        if self._thread.is_alive():
            self._finish()
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # noqa: BLE001 - a half-written temporary file is removed anyway
                pass
            self._writer = None
        try:
            self.path.unlink()
        except OSError:
            pass
