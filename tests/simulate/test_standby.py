"""The standby process: a second interpreter with litellm loaded makes the window's first model
calls, exactly as this process would, and any failure of it makes the call here instead.

One real standby process (``python -m workbench.simulate.standby``, importing litellm: seconds) is
shared by the tests that need it; the failure tests use small stand-ins that speak the same
messages. Calls go through litellm's real path to a loopback server.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench import secrets
from workbench.child import read_frame, spawn, write_frame
from workbench.devserver import Reply
from workbench.simulate import dropped, providers, standby, tokens
from workbench.simulate.types import ModelSpec

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Will you like this video? Answer Yes or No."


def _stand_in(how: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.Popen([sys.executable, "-c", _STAND_IN, how], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)


def _install(proc: subprocess.Popen) -> standby._Standby:
    sb = standby._Standby(proc)
    standby._current[:] = [sb]
    return sb


@pytest.fixture(scope="module")
def real_standby():
    """The real standby process, ready (its import of litellm done)."""
    proc = spawn("workbench.simulate.standby")
    assert proc is not None
    sb = _install(proc)
    assert standby.wait(120), "the standby process did not get ready"
    yield sb
    sb.kill()
    standby._current[:] = []


@pytest.fixture
def serving(real_standby, monkeypatch):
    """The real standby, current, with litellm counted as not loaded here (so calls go there)."""
    standby._current[:] = [real_standby]
    monkeypatch.setattr(tokens, "litellm_loaded", lambda: False)
    yield real_standby
    standby._current[:] = []


def test_a_call_there_gives_what_the_call_here_gives(serving, devserver, fast_policy):
    devserver.set_script(["Yes", "Yes"])
    secrets.set_key("openai", "sk-standby-test-key-123456")       # in this process's keyring only
    spec = ModelSpec("openai/bench-model", api_base=devserver.base_url)
    calls = serving.calls
    there = asyncio.run(providers.predict(spec, QUESTION, "is_like", "binary", policy=fast_policy))
    assert serving.calls == calls + 1                               # it went to the standby process
    here = asyncio.run(providers._predict(spec, QUESTION, "is_like", "binary", policy=fast_policy, api_key=None))
    assert there == here
    assert there.parse_ok and there.predicted_label == 1
    a, b = devserver.completion_requests()
    assert a.body == b.body
    # the key of this process's keyring went with the call, over the pipe, to the provider
    assert a.header("authorization") == b.header("authorization") == "Bearer sk-standby-test-key-123456"


def test_a_provider_error_there_is_raised_here_without_the_key(serving, devserver, fast_policy):
    devserver.set_script([Reply(status=400, error_message="bad request sk-standby-test-key-654321, "
                                                          "header x-team-token: team-secret-only-here-42")])
    secrets.set_key("openai", "sk-standby-test-key-654321")
    secrets.register_secret("team-secret-only-here-42")          # known to this process only
    spec = ModelSpec("openai/bench-model", api_base=devserver.base_url)
    calls = serving.calls
    with pytest.raises(providers.ProviderError) as err:
        asyncio.run(providers.summarize(spec, "Summarise.", policy=fast_policy))
    assert serving.calls == calls + 1
    assert err.value.kind == "bad_request"
    assert "sk-standby-test-key-654321" not in err.value.message
    assert "team-secret-only-here-42" not in err.value.message and "x-team-token" in err.value.message


def test_a_cancelled_call_is_cancelled_there(serving, devserver, fast_policy):
    devserver.set_script([Reply(content="Yes", delay=3.0), "No"])
    spec = ModelSpec("openai/bench-model", api_base=devserver.base_url)

    async def run() -> object:
        task = asyncio.ensure_future(providers.predict(spec, QUESTION, "is_like", "binary", policy=fast_policy))
        while not devserver.completion_requests():
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not serving._pending
        # the standby still answers the next call
        return await providers.predict(spec, QUESTION, "is_like", "binary", policy=fast_policy)

    p = asyncio.run(run())
    assert p.parse_ok and p.predicted_label == 0


# --- stand-ins that speak the messages but fail ---------------------------------------------------

_STAND_IN = r"""
import pickle, sys, time
from workbench.child import read_frame, spawn, write_frame
out, inp, how = sys.stdout.buffer, sys.stdin.buffer, sys.argv[1]
if how == "never-ready":
    inp.read()
    sys.exit(0)
if how == "holds":                                  # ready, takes a call and never answers it
    write_frame(out, pickle.dumps(("ready", 0.5)))
    read_frame(inp)
    inp.read()
    sys.exit(0)
if how == "quiet":                                  # ready, then ends when its input ends
    write_frame(out, pickle.dumps(("ready", 0.5)))
    inp.read()
    sys.exit(0)
write_frame(out, pickle.dumps(("ready", 0.5)))
read_frame(inp)                                     # the first call
if how == "dies":
    sys.exit(3)
if how == "garbage":
    write_frame(out, b"not a pickle")
if how == "fails":
    write_frame(out, pickle.dumps(("fail", 1, "RuntimeError: broken there")))
inp.read()
"""


@pytest.mark.parametrize("how", ["never-ready", "dies", "garbage", "fails"])
def test_a_standby_that_fails_leaves_the_call_here(how, devserver, fast_policy, monkeypatch):
    monkeypatch.setattr(tokens, "litellm_loaded", lambda: False)
    monkeypatch.setattr(standby, "READY_TIMEOUT_S", 1.0)
    sb = _install(_stand_in(how))
    try:
        if how != "never-ready":
            assert standby.wait(30)
        spec = ModelSpec("openai/bench-model", api_base=devserver.base_url)
        p = asyncio.run(providers.predict(spec, QUESTION, "is_like", "binary", policy=fast_policy))
        assert p.parse_ok and p.predicted_label == 1 and not p.error
        assert sb.calls == (0 if how == "never-ready" else 1)
        assert len(devserver.completion_requests()) == 1             # made here, once
        assert standby.wait(0.2) is (how == "fails")                 # ready and alive, or not
    finally:
        sb.kill()
        standby._current[:] = []


def test_retired_it_ends_and_calls_are_made_here(devserver, fast_policy, monkeypatch):
    monkeypatch.setattr(tokens, "litellm_loaded", lambda: False)
    sb = _install(_stand_in("quiet"))
    try:
        assert standby.wait(30) and standby.running()
        standby.retire()
        assert not standby.running()
        assert sb.proc.wait(30) == 0                                 # its input ended: it stopped
        spec = ModelSpec("openai/bench-model", api_base=devserver.base_url)
        p = asyncio.run(providers.predict(spec, QUESTION, "is_like", "binary", policy=fast_policy))
        assert p.parse_ok and sb.calls == 0 and len(devserver.completion_requests()) == 1
        deadline = time.time() + 10
        while not sb.gone and time.time() < deadline:
            time.sleep(0.02)
        assert sb.gone and sb.ended_at and standby.state()["ended"] == sb.ended_at
    finally:
        sb.kill()
        standby._current[:] = []


def test_the_import_here_waits_until_the_standby_has_been_quiet():
    import threading

    sb = _install(_stand_in("quiet"))
    try:
        t0 = time.time()
        assert standby.wait_quiet(0.3, timeout=30)
        assert time.time() - sb.ready_at >= 0.3 and time.time() - t0 >= 0.3
    finally:
        sb.kill()
        standby._current[:] = []
    sb = _install(_stand_in("holds"))
    try:
        assert standby.wait(30)

        async def send() -> object:
            return sb.submit("predict", (), {})

        assert asyncio.run(send()) is not None                        # a call it never answers
        got: list[bool] = []
        waiter = threading.Thread(target=lambda: got.append(standby.wait_quiet(0.1, timeout=30)))
        waiter.start()
        waiter.join(0.6)
        assert waiter.is_alive() and not got                          # not while a call is pending
        sb.proc.kill()
        waiter.join(10)
        assert got == [False] and sb.gone
    finally:
        sb.kill()
        standby._current[:] = []
    assert standby.wait_quiet(0.1) is False                           # no standby at all


def test_no_standby_when_frozen_switched_off_or_litellm_is_loaded(monkeypatch):
    monkeypatch.setattr(standby, "_current", [])
    monkeypatch.setattr(tokens, "litellm_loaded", lambda: True)
    assert standby.start() is False and not standby.running()
    monkeypatch.setattr(tokens, "litellm_loaded", lambda: False)
    monkeypatch.setenv(standby.ENV_SWITCH, "0")
    assert standby.start() is False
    monkeypatch.delenv(standby.ENV_SWITCH)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert standby.start() is False and not standby.running()
    assert standby.state() == {"started": 0.0, "ready": 0.0, "ended": 0.0, "ready_cpu_s": 0.0, "calls": 0}
    assert standby.wait(0) is False


def test_baselines_never_go_to_the_standby(monkeypatch):
    monkeypatch.setattr(tokens, "litellm_loaded", lambda: False)
    sb = _install(_stand_in("dies"))
    try:
        spec = ModelSpec("baseline:user")
        assert asyncio.run(providers._on_standby("predict", spec, QUESTION, "is_like", "binary",
                                                 api_key=None)) is None
        assert sb.calls == 0
    finally:
        sb.kill()
        standby._current[:] = []


def test_a_keyring_switched_off_is_never_read(monkeypatch):
    secrets.set_key("openai", "sk-stored-in-the-keyring-1")
    assert secrets.get_key("openai") == "sk-stored-in-the-keyring-1"
    secrets.keyring_off()
    assert secrets.get_key("openai") is None
    assert secrets.backend_status().name == "memory"


def test_notices_from_there_join_these_once():
    before = dropped.drop_notices()
    dropped.adopt_drop_notices(["model m: litellm does not send logprobs to this provider (x)"] * 2)
    dropped.adopt_drop_notices(["model m: litellm does not send logprobs to this provider (x)"])
    assert dropped.drop_notices()[len(before):] == ["model m: litellm does not send logprobs to this provider (x)"]


def test_the_message_frames_read_back():
    import io

    buf = io.BytesIO()
    write_frame(buf, pickle.dumps(("ready", 1.0)))
    write_frame(buf, b"x" * 70_000)
    buf.write(b"\x05\x00")                                        # a message cut short
    buf.seek(0)
    assert pickle.loads(read_frame(buf)) == ("ready", 1.0)
    assert read_frame(buf) == b"x" * 70_000
    assert read_frame(buf) is None
