"""Cost of opening a case store: the integrity check on a write-open, a read-only open, and reading
a damaged store back. Layer: bench (prints JSON; not a test).

Builds a store of ``--cases`` cases (each with a 3,000-character prompt and a 20 KB snapshot, about
the size of cases marked in the GUI), then times (wall clock, best of ``--repeat``):

* ``open_write_s``: ``CaseStore(path)`` (file classification + ``PRAGMA quick_check`` + pragmas);
* ``quick_check_s``: the integrity check alone;
* ``open_readonly_s``: ``CaseStore(path, readonly=True)``;
* ``salvage_s`` / ``salvaged_cases``: a read-only open after three ``cases`` pages were overwritten.

    python bench/store_open.py [--cases 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from workbench.annotate.model import new_case
    from workbench.annotate.store import CaseStore
    from workbench.annotate.store_file import quick_check

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.db"
        rng = random.Random(0)
        with CaseStore(path) as store:
            store._db.execute("PRAGMA synchronous=OFF")  # building the fixture only
            for i in range(args.cases):
                case = new_case(source="trace.json", user_id=f"user_{i % 50:04d}", event_index=i,
                                tags=["hyper-activity"], note=f"note {i}", prompt="p" * 3000,
                                fields=["video_liked"], real_values={"video_liked": i % 2},
                                snapshot_png=b"\x89PNG\r\n\x1a\n" + rng.randbytes(20_000))
                store.add_case(case)
        size_mb = path.stat().st_size / 1e6

        def open_write() -> None:
            CaseStore(path).close()

        def open_ro() -> None:
            CaseStore(path, readonly=True).close()

        def check() -> None:
            db = sqlite3.connect(path)
            assert quick_check(db) == ""
            db.close()

        result = {"cases": args.cases, "file_mb": round(size_mb, 1),
                  "open_write_s": round(_best(open_write, args.repeat), 4),
                  "quick_check_s": round(_best(check, args.repeat), 4),
                  "open_readonly_s": round(_best(open_ro, args.repeat), 4)}

        db = sqlite3.connect(path)
        leaves = [r[0] for r in db.execute("SELECT pageno FROM dbstat WHERE name='cases' AND "
                                           "pagetype='leaf' ORDER BY pageno")]
        page = db.execute("PRAGMA page_size").fetchone()[0]
        db.close()
        with open(path, "r+b") as fh:
            for pageno in leaves[len(leaves) // 2: len(leaves) // 2 + 3]:
                fh.seek((pageno - 1) * page)
                fh.write(rng.randbytes(page))
        t0 = time.perf_counter()
        with CaseStore(path, readonly=True) as store:
            result["salvage_s"] = round(time.perf_counter() - t0, 4)
            result["salvaged_cases"] = store.count()
            result["lost_cases"] = len(store.salvage.lost_case_ids) if store.salvage else 0
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
