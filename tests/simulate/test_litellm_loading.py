"""litellm half-imported by another thread is not "loaded"; ensure_litellm imports off the loop."""

from __future__ import annotations

import asyncio
import importlib.machinery
import sys
import threading
import types

from workbench.simulate import tokens


def test_a_module_still_initialising_is_not_loaded(monkeypatch):
    fake = types.ModuleType("litellm")
    fake.__spec__ = importlib.machinery.ModuleSpec("litellm", None)
    fake.__spec__._initializing = True
    monkeypatch.setitem(sys.modules, "litellm", fake)
    assert not tokens.litellm_loaded()
    fake.__spec__._initializing = False
    assert tokens.litellm_loaded()
    monkeypatch.delitem(sys.modules, "litellm")
    assert not tokens.litellm_loaded()


def test_ensure_litellm_imports_on_a_worker_thread(monkeypatch):
    seen = []
    monkeypatch.setattr(tokens, "litellm_loaded", lambda: False)
    monkeypatch.setattr(tokens, "import_litellm", lambda: seen.append(threading.current_thread().name))
    asyncio.run(tokens.ensure_litellm())
    assert seen and seen[0] != threading.main_thread().name
