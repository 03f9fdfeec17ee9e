"""The per-call work switched off in litellm (simulate/litellm_tuning.py), through litellm's real path
to the loopback dev server: a model litellm cannot price stays unpriced without being priced again,
a priced model is priced on every call exactly as litellm prices it, and a registered callback
still hears every success."""

from __future__ import annotations

import asyncio

import pytest

from workbench.devserver import DevServer
from workbench.simulate import litellm_tuning
from workbench.simulate.providers import complete, token_prices
from workbench.simulate.types import ModelSpec

PRICED = "openai/priced-tuning-test"


@pytest.fixture
def litellm():
    from workbench.simulate.providers import warm_up
    from workbench.simulate.tokens import import_litellm

    warm_up()
    assert litellm_tuning.installed()
    return import_litellm()


def _calls(n, spec):
    async def go():
        return [await complete(spec, f"问题 {i}", max_tokens=5) for i in range(n)]

    return asyncio.run(go())


def test_an_unpriced_model_is_priced_once_then_answered_at_once(litellm, monkeypatch):
    from litellm.litellm_core_utils.litellm_logging import Logging

    wrapped = Logging.response_cost_calculator
    original = wrapped.__wrapped__
    priced = []

    def counting(self, *a, **k):
        priced.append(1)
        return original(self, *a, **k)

    monkeypatch.setattr(wrapped, "__wrapped__", counting)
    monkeypatch.setattr(Logging, "response_cost_calculator", litellm_tuning._wrap_cost(counting))
    with DevServer(default="Yes") as srv:
        spec = ModelSpec("openai/unpriced-tuning-test", api_base=srv.base_url)
        results = _calls(3, spec)
    assert [r.cost for r in results] == [None, None, None]
    assert all(r.prompt_tokens > 0 for r in results)
    assert ("openai/unpriced-tuning-test", None) in litellm_tuning.unpriced_models()
    assert len(priced) == 1                   # litellm priced the first response only


def test_a_priced_model_is_priced_on_every_call_as_litellm_prices_it(litellm):
    litellm.register_model({PRICED: {"input_cost_per_token": 2e-5, "output_cost_per_token": 3e-5,
                                     "litellm_provider": "openai", "mode": "chat"}})
    token_prices.cache_clear()
    try:
        with DevServer(default="Yes") as srv:
            results = _calls(3, ModelSpec(PRICED, api_base=srv.base_url))
    finally:
        token_prices.cache_clear()
    for r in results:
        assert r.cost == pytest.approx(r.prompt_tokens * 2e-5 + r.completion_tokens * 3e-5)
        assert r.cost > 0
    assert not any(m == PRICED for m, _ in litellm_tuning.unpriced_models())


def test_a_registered_callback_still_hears_every_success(litellm, monkeypatch):
    from litellm.integrations.custom_logger import CustomLogger

    heard = []

    class Listener(CustomLogger):
        async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
            heard.append(kwargs.get("model"))

    for name in ("success_callback", "_async_success_callback", "failure_callback", "_async_failure_callback"):
        monkeypatch.setattr(litellm, name, [])   # litellm copies the callback into these: undone after
    monkeypatch.setattr(litellm, "callbacks", [Listener()])

    async def go(spec):
        for i in range(2):
            await complete(spec, f"问题 {i}", max_tokens=5)
        for _ in range(100):                  # the success log is queued: let it run
            if len(heard) >= 2:
                break
            await asyncio.sleep(0.02)

    with DevServer(default="Yes") as srv:
        asyncio.run(go(ModelSpec("openai/heard-tuning-test", api_base=srv.base_url)))
    assert len(heard) == 2


def test_without_listeners_no_success_log_is_queued(litellm, monkeypatch):
    from litellm import utils as lutils

    queued = []
    original = lutils._schedule_async_success_logging.__wrapped__
    monkeypatch.setattr(lutils, "_schedule_async_success_logging", litellm_tuning._wrap_logging(
        lambda *a, **k: queued.append(1) or original(*a, **k), litellm))
    with DevServer(default="Yes") as srv:
        _calls(2, ModelSpec("openai/quiet-tuning-test", api_base=srv.base_url))
    assert queued == []
