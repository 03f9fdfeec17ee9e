"""The response cache keys on the endpoint a call really goes to, wherever it came from: ``--api-base``,
``OPENAI_BASE_URL`` / ``OPENAI_API_BASE`` or the provider's default."""

from __future__ import annotations

import asyncio

from tests.simulate import events as E
from workbench.devserver import DevServer
from workbench.simulate.cache import ResponseCache, cache_key
from workbench.simulate.endpoints import effective_endpoint, endpoint_from_environment
from workbench.simulate.runner import run_event
from workbench.simulate.types import ModelSpec


def _ask(spec: ModelSpec, cache: ResponseCache):
    evs = E.trace(2) + [E.video(ts="2025-09-10 08:00:00", caption="目标", actions=("like",))]
    return asyncio.run(run_event("女", list(enumerate(evs)), len(evs) - 1, [spec], cache=cache))


def test_answers_of_one_server_are_not_served_for_another(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-123456")
    cache = ResponseCache(tmp_path / "c.sqlite")
    spec = ModelSpec("openai/dev-model")
    with DevServer(default="Yes") as a, DevServer(default="No") as b:
        monkeypatch.setenv("OPENAI_BASE_URL", a.base_url)
        first = _ask(spec, cache)
        assert a.completion_requests() and not b.completion_requests()
        monkeypatch.setenv("OPENAI_BASE_URL", b.base_url)
        second = _ask(spec, cache)
        assert b.completion_requests(), "server B's answers must be asked for, not served from A's"
        again = _ask(spec, cache)                  # same endpoint again: from the cache
    n = len(first.questions)
    assert len(b.completion_requests()) >= n
    ok = [p for p in again.predictions[spec.model] if p.parse_ok]
    assert ok and all(p.cached for p in ok)    # parsed answers are cached, failed ones asked again
    assert [p.raw_output for p in first.predictions[spec.model]] != \
        [p.raw_output for p in second.predictions[spec.model]]


def test_cache_key_and_words_follow_the_endpoint(monkeypatch):
    for name in ("OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    spec = ModelSpec("openai/m")
    plain = cache_key(spec, "h", "f", "binary")
    assert endpoint_from_environment(spec) is None
    assert effective_endpoint(spec) == "the openai default endpoint"
    monkeypatch.setenv("OPENAI_API_BASE", "http://127.0.0.1:9/v1")
    assert cache_key(spec, "h", "f", "binary") != plain
    assert effective_endpoint(spec) == "http://127.0.0.1:9/v1"
    explicit = ModelSpec("openai/m", api_base="http://127.0.0.1:8/v1")
    assert endpoint_from_environment(explicit) is None          # api_base wins over the environment
    monkeypatch.setenv("DEEPSEEK_API_BASE", "http://127.0.0.1:7")
    assert endpoint_from_environment(ModelSpec("deepseek/chat")) == "DEEPSEEK_API_BASE=http://127.0.0.1:7"
