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


def test_a_direct_call_imports_litellm_off_the_loop(monkeypatch, devserver, fast_policy):
    """``complete`` (the judge calls it directly) waits for the import on a worker thread instead of
    importing litellm on the event loop's thread."""
    from workbench.simulate import providers
    from workbench.simulate.types import ModelSpec

    seen: list[str] = []
    real = tokens.ensure_litellm

    async def spy() -> None:
        seen.append("ensure")
        await real()

    monkeypatch.setattr(tokens, "ensure_litellm", spy)
    spec = ModelSpec("openai/judge-model", api_base=devserver.base_url)
    res = asyncio.run(providers.complete(spec, "Score this.", max_tokens=5, policy=fast_policy))
    assert seen == ["ensure"] and res.text == "Yes"
