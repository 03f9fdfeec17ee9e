"""The prebuilt demo file: current with the generator, identical to a fresh build, used at start-up."""

from __future__ import annotations

import polars as pl
import pytest

from workbench.demo import prebuilt
from workbench.traces import load_traces


def test_the_shipped_file_is_current():
    path = prebuilt.prebuilt_demo(seed=0)
    assert path is not None, ("resources/demo/synthetic-demo.parquet is missing or was built by another "
                              "generator version: rebuild it with `workbench demo --prebuilt "
                              "resources/demo/synthetic-demo.parquet`")
    assert prebuilt.prebuilt_demo(seed=1) is None


def test_a_stale_file_is_not_used(monkeypatch):
    from workbench.demo import generator

    monkeypatch.setattr(generator, "GENERATOR_VERSION", "something-else")
    assert prebuilt.prebuilt_demo(seed=0) is None


@pytest.mark.slow
def test_the_shipped_file_equals_a_fresh_build(tmp_path):
    fresh = prebuilt.build_prebuilt(tmp_path / "fresh.parquet", seed=0, level=1)
    shipped = prebuilt.prebuilt_path()
    cols = list(pl.read_parquet_schema(shipped))
    a = pl.read_parquet(shipped, columns=cols)
    b = pl.read_parquet(fresh, columns=cols)
    assert a.equals(b)
    ta, tb = load_traces(shipped), load_traces(fresh)
    assert ta.users.select("user_id", "profile", "event_count").equals(
        tb.users.select("user_id", "profile", "event_count"))
    assert ta.raw_events("user_0003")[:50] == tb.raw_events("user_0003")[:50]
