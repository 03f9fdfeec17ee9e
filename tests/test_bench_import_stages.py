"""``bench/import_stages.py`` measures the import's own stages on release-shaped files."""

from __future__ import annotations

import gc
import importlib.util
from pathlib import Path

from workbench.traces import fastparse

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_stage_is_measured_on_every_event(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    tracegen = _module("tracegen")
    files = []
    for k, n in enumerate((300, 120, 45)):
        f = tmp_path / f"user_{k + 1:04d}.json"
        tracegen.write_traces(f, n, 1, seed=k, first_user=k + 1)
        files.append(f)
    stages = _module("import_stages")
    got = stages.measure(files)
    assert got["events"] == 465
    assert set(got["cpu_s"]) == {"read", "hash", "parse", "build", "build_payload_text", "columns", "frame",
                                 "write", "raw_scan"}
    # each stage ran (a stage that is left out, or timed around nothing, shows as 0)
    for stage in ("parse", "build", "build_payload_text", "frame", "write", "raw_scan"):
        assert got["cpu_s"][stage] > 0, stage
    assert gc.isenabled() and fastparse.ENABLED      # the process is left as it was
