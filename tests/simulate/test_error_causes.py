"""Errors name their cause within 2 s when the cause is local, through litellm's real path: no key
for the provider (and where to set it), host name not resolved, connection refused, host
unreachable, out of file descriptors, 401/403, model not found, context too long. Only what
retrying can fix (429, 5xx, timeouts) is retried."""

from __future__ import annotations

import asyncio
import errno
import socket
import time

import pytest

from workbench import secrets
from workbench.devserver import DevServer, Reply, closed_port_base
from workbench.simulate.providers import RetryPolicy, predict
from workbench.simulate.types import ModelSpec, Prediction

FAST = 2.0      # seconds: a local cause is named at once


def ask(spec: ModelSpec, policy: RetryPolicy | None = None) -> tuple[Prediction, float]:
    t0 = time.monotonic()
    p = asyncio.run(predict(spec, "Did the user like the video?", "video_liked", "binary", policy=policy))
    return p, time.monotonic() - t0


@pytest.fixture(autouse=True)
def _warm_litellm():
    from workbench.simulate.tokens import import_litellm

    import_litellm()            # the one-off import is start-up cost, not the error's


def test_no_key_for_a_hosted_provider(monkeypatch):
    for name in secrets.key_variables("anthropic"):
        monkeypatch.delenv(name, raising=False)
    connects = []
    real = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", lambda self, a: (connects.append(a), real(self, a))[1])
    p, took = ask(ModelSpec("anthropic/claude-3-5-haiku-latest"))
    assert not p.parse_ok and p.error_kind == "no_key" and took < FAST and p.retry_count == 0
    assert "No API key is set for provider anthropic" in p.error
    assert "API keys" in p.error and "keyring" in p.error and "ANTHROPIC_API_KEY" in p.error
    assert connects == []                        # nothing was sent anywhere


def test_a_key_in_the_environment_is_enough(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "env-key-for-test-123")
    from workbench.simulate.keys import check_key

    check_key(ModelSpec("anthropic/claude-3-5-haiku-latest"))      # no ProviderError


def test_host_name_not_resolved(monkeypatch, provider_sleeps):
    real = socket.getaddrinfo

    def resolve(host, *a, **k):
        if host == "llm.example.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *a, **k)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    p, took = ask(ModelSpec("openai/m", api_base="http://llm.example.invalid/v1"))
    assert p.error_kind == "dns" and took < FAST and p.retry_count == 0 and provider_sleeps == []
    assert "could not be resolved (DNS)" in p.error and "llm.example.invalid" in p.error


def test_connection_refused():
    base = closed_port_base()
    p, took = ask(ModelSpec("openai/m", api_base=base))
    assert p.error_kind == "connection" and took < FAST and p.retry_count == 0
    assert p.error.startswith(f"Could not connect to {base} for model openai/m: connection refused")


def test_host_unreachable(monkeypatch):
    def no_route(self, address):
        raise OSError(errno.EHOSTUNREACH, "No route to host")

    monkeypatch.setattr(socket.socket, "connect", no_route)
    p, took = ask(ModelSpec("openai/m", api_base="http://127.0.0.1:9/v1"))
    assert p.error_kind == "connection" and took < FAST and p.retry_count == 0
    assert "cannot be reached (no route)" in p.error


def test_out_of_file_descriptors(monkeypatch):
    def emfile(self, address):
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(socket.socket, "connect", emfile)
    p, took = ask(ModelSpec("openai/m", api_base="http://127.0.0.1:9/v1"))
    assert p.error_kind == "resources" and took < FAST and "ulimit -n" in p.error
    assert "Could not connect" not in p.error


@pytest.mark.parametrize("status,kind,words", [
    (401, "auth", "rejected the API key"),
    (403, "auth", "refused access"),
    (404, "not_found", "was not found at"),
    (400, "context_window", "context window"),
])
def test_http_errors_name_their_cause_without_retries(status, kind, words, provider_sleeps):
    message = ("This model's maximum context length is 8192 tokens. However, your messages resulted "
               "in 9100 tokens." if status == 400 else f"error {status}")
    with DevServer(script=[Reply(status=status, error_message=message)]) as srv:
        p, took = ask(ModelSpec("openai/dev-model", api_base=srv.base_url))
        n = len(srv.completion_requests())
    assert p.error_kind == kind and words in p.error and took < FAST
    assert n == 1 and p.retry_count == 0 and provider_sleeps == []
    if kind == "auth":
        assert "API keys" in p.error and "keyring" in p.error


def test_only_429_5xx_and_timeouts_are_retried(provider_sleeps):
    with DevServer(script=[Reply(status=429), Reply(status=500), Reply(status=503), "Yes"]) as srv:
        p, _ = ask(ModelSpec("openai/dev-model", api_base=srv.base_url))
        assert len(srv.completion_requests()) == 4
    assert p.parse_ok and p.retry_count == 3 and len(provider_sleeps) == 3
    provider_sleeps.clear()
    with DevServer(script=[Reply("Yes", delay=1.0)]) as srv:
        p, _ = ask(ModelSpec("openai/dev-model", api_base=srv.base_url, timeout=0.3),
                   RetryPolicy(max_retries=1, base_delay=0.01))
        assert len(srv.completion_requests()) == 2          # the timeout was retried once
    assert p.error_kind == "timeout" and p.retry_count == 1
