"""Fixtures for the simulate tests: a running OpenAI-compatible dev server and a fast retry policy.

Other test areas that need the server import :mod:`workbench.devserver` directly.
"""

from __future__ import annotations

import pytest

from workbench.devserver import DevServer


@pytest.fixture
def devserver():
    """A started :class:`workbench.devserver.DevServer` (answers "Yes" until scripted)."""
    with DevServer() as server:
        yield server


@pytest.fixture
def fast_policy():
    from workbench.simulate.providers import RetryPolicy

    return RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05)


@pytest.fixture(autouse=True)
def _fresh_secrets():
    from workbench import secrets

    secrets._reset_for_tests()
    yield
    secrets._reset_for_tests()
