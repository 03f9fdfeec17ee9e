"""Shared fixtures for the demo-data tests: one small generated dataset per test session."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

SMALL = dict(heavy_events=3000, scale=0.15)


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    from workbench.demo.generator import generate

    out = tmp_path_factory.mktemp("demo_small")
    generate(out, 0, **SMALL)
    return out


@pytest.fixture(scope="session")
def small_users(small_demo) -> dict[str, dict]:
    """user_id -> {"user_profile", "action_history"} for the small dataset (read with orjson)."""
    users: dict[str, dict] = {}
    for f in sorted(small_demo.glob("*.json")):
        data = orjson.loads(f.read_bytes())
        assert isinstance(data, dict) and len(data) == 1, f
        users.update(data)
    return users


@pytest.fixture(scope="session")
def small_chains(small_demo) -> list[dict]:
    return orjson.loads((small_demo / "meta" / "chains.json").read_bytes())["chains"]
