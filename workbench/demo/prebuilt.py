"""The demo dataset, prebuilt: the canonical table of the seed-0 demo shipped in ``resources/demo``.
Layer: demo (pure; no Qt).

Generating the demo (about 150,000 events) and importing it takes several seconds; a new analyst
should see a user's timeline within two seconds of the first start. So the demo also ships as a
canonical Parquet file (zstd, about 9 MB), which opens like any canonical source in a fraction of a
second and reads each user's payload on demand. Its metadata records the generator version and
seed it was built from; :func:`prebuilt_demo` returns it only while they match the current
generator, so a generator change can never show stale data (the app then generates, as before).

    workbench demo --prebuilt resources/demo/synthetic-demo.parquet     # rebuild after a change
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["META_DEMO", "PREBUILT_NAME", "build_prebuilt", "prebuilt_demo", "prebuilt_path"]

PREBUILT_NAME = "synthetic-demo.parquet"
META_DEMO = "workbench.demo"


def prebuilt_path() -> Path:
    """Where the shipped file lives (``resources/demo``; it may be absent in a checkout)."""
    import resources

    return Path(resources.__file__).resolve().parent / "demo" / PREBUILT_NAME


def _stamp(seed: int) -> str:
    from workbench.demo.generator import GENERATOR_VERSION

    return f"generator={GENERATOR_VERSION};seed={seed}"


def prebuilt_demo(seed: int = 0) -> Path | None:
    """The shipped demo file when it exists and was built by the current generator for ``seed``."""
    path = prebuilt_path()
    if seed != 0 or not path.is_file():
        return None
    try:
        import polars as pl

        meta = pl.read_parquet_metadata(path)
    except Exception:  # noqa: BLE001 - a damaged file is simply not used (the demo is generated)
        return None
    return path if meta.get(META_DEMO) == _stamp(seed) else None


def build_prebuilt(out: str | os.PathLike[str], seed: int = 0, level: int = 19) -> Path:
    """Generate the demo for ``seed``, import it and write its canonical table to ``out`` (zstd at
    ``level``) with the generator stamp in the metadata. Raises OSError when ``out`` cannot be
    written."""
    from workbench.demo.generator import generate
    from workbench.traces import load_traces
    from workbench.traces.canonical import write_canonical

    tmp = Path(tempfile.mkdtemp(prefix="workbench-demo-"))
    try:
        generate(tmp, seed)
        ts = load_traces(tmp, use_cache=False)
        target = Path(out)
        write_canonical(ts.with_payload(), ts.users, ts.warnings, target, tmp, compression="zstd",
                        level=level, extra_meta={META_DEMO: _stamp(seed)})
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
