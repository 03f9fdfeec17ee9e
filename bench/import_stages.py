"""Where a cold import of a release-shaped folder spends its CPU, stage by stage. Layer: bench (prints JSON).

The cold open of the whole release is compared with ``orjson.loads`` of every file on two cores
(``bench/release.py``). This bench says what stands between the two: for the first ``--files``
files of the folder, in one process set up as the import's workers are (cyclic GC off, freed memory
kept, orjson as the parser), the CPU microseconds per event of each stage the import runs, each
through the import's own code:

* ``read``: the file's bytes (``importer.read_file``); ``hash``: the cache key (``cache.bytes_hash``);
* ``parse``: ``orjson.loads`` of the document, and freeing it;
* ``build``: one row per event (``EventBuilder.add_list``: the payload written back to compact JSON
  text, the derived columns, the labels); ``build_payload_text`` is the part of it that is
  ``orjson.dumps`` of the context and the actions, measured alone over the same events;
* ``columns`` and ``frame``: the rows as columns and the polars frame (``build.columns_frame``);
* ``write``: the Parquet cache (``sink.CanonicalSink``, its writer thread included);
* ``raw_scan``: for comparison, the cheapest parse that keeps each event's payload as its text (msgspec
  decoding events whose context and actions stay raw JSON text); not a stage of the import.

It also measures ``orjson_2cores_s``, reading and parsing the same files split over two forked
processes, with ``bench/release.py``'s own child. ``budget_us_per_event`` is what the target (the cold open
within 1.5 times that) leaves per event on two fully used cores; ``after_parse_us_per_event`` is
what the import spends besides reading and parsing. When the second alone exceeds the first, no
parser, however fast, brings the cold open within the target.

    python bench/import_stages.py [--dir DIR] [--files N]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _orjson_two_cores(files: list[Path]) -> float:
    """Seconds to read and ``orjson.loads`` the files, split over two forked processes: the
    reference of ``bench/release.py`` (its ``orjson2`` child, in a fresh process), run on a folder
    holding links to just these files."""
    from release import _child

    with tempfile.TemporaryDirectory(prefix="import-stages-ref-") as tmp:
        subset = Path(tmp) / "files"
        subset.mkdir()
        for f in files:
            (subset / f.name).symlink_to(f.resolve())
        return float(_child("orjson2", subset, Path(tmp) / "cache")["seconds"])


def _raw_scanner() -> Any:
    """A msgspec decoder for a trace document whose events keep their context and actions as raw
    JSON text (their boundaries found, nothing in them decoded)."""
    import msgspec

    raw = msgspec.Raw(b"")                         # empty: the key was missing
    event = msgspec.defstruct("Event", [("type", Any, None), ("timestamp", Any, None),
                                        ("context", msgspec.Raw, raw), ("action", msgspec.Raw, raw)])
    record = msgspec.defstruct("Record", [("user_profile", Any, None), ("action_history", list[event], [])])
    return msgspec.json.Decoder(dict[str, record])


def measure(files: list[Path]) -> dict[str, Any]:
    """The CPU seconds of each stage over ``files`` (see the module docstring) and the event count;
    the garbage collector and the parser choice are as they were afterwards."""
    from workbench.traces import fastparse, pool

    gc_was_enabled, fast_was_enabled = gc.isenabled(), fastparse.ENABLED
    gc.disable()
    pool._keep_freed_memory()
    fastparse.ENABLED = False                      # the workers parse with orjson
    try:
        return _stages(files)
    finally:
        fastparse.ENABLED = fast_was_enabled
        if gc_was_enabled:
            gc.enable()


def _stages(files: list[Path]) -> dict[str, Any]:
    import orjson

    from workbench.traces import build, cache, importer
    from workbench.traces.errors import IssueLog
    from workbench.traces.importer import ImportState
    from workbench.traces.sink import CanonicalSink

    scan = _raw_scanner()
    stages = dict.fromkeys(("read", "hash", "parse", "build", "build_payload_text", "columns", "frame",
                            "write", "raw_scan"), 0.0)

    @contextmanager
    def timed(stage: str) -> Iterator[None]:
        t = time.process_time()
        yield
        stages[stage] += time.process_time() - t

    events = 0
    written: list[tuple[Any, Any, Any]] = []
    with tempfile.TemporaryDirectory(prefix="import-stages-") as tmp:
        sink = CanonicalSink(Path(tmp))
        for f in files:
            name = importer.display(f)
            with timed("read"):
                data = importer.read_file(f)
            with timed("hash"):
                cache.bytes_hash(data)
            with timed("parse"):
                doc = orjson.loads(data)
            with timed("raw_scan"):
                scan.decode(data)
            state = ImportState(IssueLog(), None)
            with timed("build"):
                for uid, record in doc.items():
                    user = state.user(name, uid, record)
                    if user is not None:
                        state.builder.add_list(name, user, record["action_history"], 0)
            with timed("build_payload_text"):
                for record in doc.values():
                    for ev in record["action_history"]:
                        orjson.dumps(ev.get("context"))
                        orjson.dumps(ev.get("action"))
            events += len(state.builder)
            with timed("columns"):
                columns = state.builder.columns()
            with timed("frame"):
                frame = build.columns_frame(columns, state.issues, None, payload=False)
            written.append((frame, columns[-2].array(), columns[-1].array()))
            with timed("parse"):                   # freeing the parsed document is part of parsing it
                del doc
            del data, state, columns, frame
        # written after all files, so that the writer thread's CPU (counted by process_time) falls
        # in this stage and no other
        with timed("write"):
            for frame, context, actions in written:
                sink.add_arrow(frame, context, actions)
            sink.commit(Path(tmp) / "out.parquet", {})
    return {"events": events, "cpu_s": stages}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "workbench-bench", "release"),
                    help="a release-shaped folder (bench/tracegen.py OUT_DIR --release)")
    ap.add_argument("--files", type=int, default=40, help="how many of its files (in name order)")
    args = ap.parse_args()
    folder = Path(args.dir)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from tracegen import write_release

    write_release(folder)                          # writes the files that are missing
    files = sorted(folder.glob("*.json"))[: args.files]
    two_cores = _orjson_two_cores(files)
    got = measure(files)
    n = got["events"]
    us = {k: round(v / n * 1e6, 2) for k, v in got["cpu_s"].items()}
    after_parse = sum(v for k, v in us.items() if k not in ("read", "parse", "raw_scan", "build_payload_text"))
    budget = 1.5 * two_cores * 2 / n * 1e6
    print(json.dumps({
        "folder": str(folder), "files": len(files), "events": n,
        "bytes": sum(f.stat().st_size for f in files),
        "orjson_2cores_s": round(two_cores, 3),
        "us_per_event": us,
        "after_parse_us_per_event": round(after_parse, 2),
        "after_parse_without_payload_text_us_per_event": round(after_parse - us["build_payload_text"], 2),
        "budget_us_per_event": round(budget, 2),
        "after_parse_over_budget": round(after_parse / budget, 2),
    }, indent=1))


if __name__ == "__main__":
    main()
