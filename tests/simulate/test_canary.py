"""A canary API key goes to the server and nowhere else: no log, output, cache or file."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

import pytest

from tests.simulate import events as E
from workbench import secrets
from workbench.cli import main
from workbench.devserver import DevServer, Reply
from workbench.simulate.cache import ResponseCache
from workbench.simulate.providers import RetryPolicy
from workbench.simulate.runner import run_event
from workbench.simulate.types import ModelSpec


def answers():
    # normal, logprobs, 429 -> retry, 500 -> retry, malformed, 401 (error text is shown)
    return [Reply("Yes", logprobs={"Yes": -0.1, "No": -2.0}), "No", Reply(status=429), "12",
            Reply(status=500), Reply(raw_body=b"{broken"), "Yes", Reply(status=401, error_message="bad key")]


def _scenario(tmp_path, capture, base_dir, caplog):
    caplog.set_level(logging.DEBUG)
    canary = f"sk-canary-{uuid.uuid4().hex}"
    assert secrets.set_key("openai", canary) is True
    evs = E.trace(2) + [E.video(ts="2025-09-10 08:00:00", caption="目标", actions=("like",))]
    trace = tmp_path / "t.json"
    trace.write_text(json.dumps({"u1": {"user_profile": "女", "action_history": evs}}, ensure_ascii=False))
    with DevServer(script=answers()) as srv:
        spec = ModelSpec("openai/dev-model", api_base=srv.base_url, use_logprobs=True)
        cache = ResponseCache()
        res = asyncio.run(run_event("女", list(enumerate(evs)), 6, [spec], cache=cache,
                                    policy=RetryPolicy(max_retries=2, base_delay=0.01),
                                    semaphore=asyncio.Semaphore(1)))
        cache.close()
        errors = [p.error for p in res.predictions[spec.model] if p.error]
        assert any("rejected the API key" in e for e in errors)
        for argv in (["--json"], ["--show-prompt"]):
            srv.set_script(["Yes", Reply(status=401)])
            rc = main(["predict", str(trace), "--user", "u1", "--event", "6", "--model", "openai/dev-model",
                       "--api-base", srv.base_url, "--no-cache", *argv])
            assert rc == 1                  # the rejected key failed an answer (named on stderr)
        auth = {r.header("Authorization") for r in srv.completion_requests()}
    assert auth == {f"Bearer {canary}"}                      # the server saw the key every time
    out, err = capture.readouterr()
    assert "rejected the API key" in out
    assert canary not in out and canary not in err
    assert canary not in caplog.text
    assert canary not in json.dumps([p.to_dict() for p in res.predictions[spec.model]])
    files = [p for p in base_dir.rglob("*") if p.is_file()] + [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("llm_responses.sqlite") for p in files)
    for path in files:
        assert canary.encode() not in path.read_bytes(), path
    return canary


def test_canary_key_capsys(tmp_path, capsys, caplog, _isolated_dirs):
    _scenario(tmp_path, capsys, _isolated_dirs, caplog)


def test_canary_key_capfd(tmp_path, capfd, caplog, _isolated_dirs):
    _scenario(tmp_path, capfd, _isolated_dirs, caplog)


def test_key_never_in_exception_text(devserver):
    from workbench.simulate.providers import ProviderError, complete

    canary = f"sk-canary-{uuid.uuid4().hex}"
    devserver.set_script([Reply(status=400, error_message=f"Invalid key {canary} in request")])
    with pytest.raises(ProviderError) as info:
        asyncio.run(complete(ModelSpec("openai/dev-model", api_base=devserver.base_url), "p", max_tokens=5,
                             api_key=canary))
    assert canary not in str(info.value) and canary not in repr(info.value.args)
    assert info.value.kind == "bad_request"
