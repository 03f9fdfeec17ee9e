"""Traces: the canonical event table, importers, columnar cache and query helpers. Layer: pure.

    from workbench.traces import load_traces, TraceSet, TraceError, TraceIssue
    ts = load_traces(path)          # JSON file/folder (EN or ZH), .jsonl, .parquet

See :mod:`workbench.traces.schema` for the table and :mod:`workbench.traces.load` for the sources.
"""

from workbench.traces.errors import TraceError, TraceIssue
from workbench.traces.load import TraceSet, load_traces, read_parquet, write_parquet

__all__ = ["TraceError", "TraceIssue", "TraceSet", "load_traces", "read_parquet", "write_parquet"]
