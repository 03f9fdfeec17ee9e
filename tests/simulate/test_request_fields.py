"""Per-model extra request fields reach the server through litellm's real path; parameters litellm
drops for a model are reported once, visibly; thinking mode asks as the benchmark does."""

from __future__ import annotations

import asyncio
import logging

from workbench.devserver import Reply
from workbench.simulate import dropped
from workbench.simulate.dropped import drop_notices
from workbench.simulate.providers import predict
from workbench.simulate.types import ModelSpec

NO_THINK = {"chat_template_kwargs": {"enable_thinking": False}}


def run(coro):
    return asyncio.run(coro)


def test_extra_body_is_in_the_request_body(devserver, fast_policy):
    spec = ModelSpec("openai/qwen3-8b", api_base=devserver.base_url, extra_body=NO_THINK)
    p = run(predict(spec, "prompt", "video_liked", "binary", policy=fast_policy))
    assert p.parse_ok
    (req,) = devserver.completion_requests()
    assert req.body["chat_template_kwargs"] == {"enable_thinking": False}
    assert req.body["max_tokens"] == 50 and req.body["temperature"] == 0.1


def test_extra_body_nested_fields_and_cache_key():
    a = ModelSpec("openai/m", extra_body={"top_k": 20, "chat_template_kwargs": {"enable_thinking": False}})
    b = ModelSpec("openai/m")
    assert a.cache_params()["extra_body"] == {"top_k": 20, "chat_template_kwargs": {"enable_thinking": False}}
    assert "extra_body" not in b.cache_params() and "lenient_parsing" not in b.cache_params()
    assert a.cache_params() != b.cache_params()
    assert hash(a) == hash(ModelSpec("openai/m", extra_body={"x": 1}))   # still usable as a key


def test_thinking_mode_asks_like_the_benchmark(devserver, fast_policy):
    spec = ModelSpec("openai/qwen3-8b", api_base=devserver.base_url, use_logprobs=True,
                     extra_body={"chat_template_kwargs": {"enable_thinking": True}})
    assert spec.thinking and not ModelSpec("m", extra_body=NO_THINK).thinking
    devserver.set_script(["<think>hmm</think>Yes", "<think>a</think>42"])
    b = run(predict(spec, "p", "video_liked", "binary", policy=fast_policy))
    c = run(predict(spec, "p", "video_watch_seconds", "continuous", policy=fast_policy))
    assert b.prediction_method == "direct_mapping" and b.predicted_label == 1 and c.predicted_value == 42.0
    first, second = (r.body for r in devserver.completion_requests())
    assert "logprobs" not in first and first["max_tokens"] == 4096
    assert "max_tokens" not in second and second["chat_template_kwargs"] == {"enable_thinking": True}


def test_dropped_parameters_are_reported_once(devserver, fast_policy, caplog, capsys):
    # gpt-5 takes no logprobs and no temperature other than 1: litellm drops both
    spec = ModelSpec("openai/gpt-5", api_base=devserver.base_url, use_logprobs=True)
    devserver.set_script([Reply("Yes"), Reply("No")])
    with caplog.at_level(logging.WARNING, logger=dropped.__name__):
        run(predict(spec, "p", "video_liked", "binary", policy=fast_policy))
        run(predict(spec, "p", "video_shared", "binary", policy=fast_policy))
    warned = [r.getMessage() for r in caplog.records if "does not send" in r.getMessage()]
    assert len(warned) == 1 and "openai/gpt-5" in warned[0]
    assert "logprobs" in warned[0] and "temperature" in warned[0]
    assert warned[0] in drop_notices()
    body = devserver.completion_requests()[0].body
    assert "logprobs" not in body and "temperature" not in body and body["max_completion_tokens"] == 200


def test_nothing_reported_when_nothing_is_dropped(devserver, fast_policy, caplog):
    spec = ModelSpec("openai/plain-model", api_base=devserver.base_url, use_logprobs=True)
    devserver.set_script([Reply("Yes", logprobs={"Yes": -0.1, "No": -2.0})])
    with caplog.at_level(logging.WARNING, logger=dropped.__name__):
        p = run(predict(spec, "p", "video_liked", "binary", policy=fast_policy))
    assert p.prediction_method == "logprobs"
    assert not [r for r in caplog.records if "does not send" in r.getMessage()]


def test_lenient_parsing_is_a_named_model_setting(devserver, fast_policy):
    devserver.set_script(["是"])
    strict = run(predict(ModelSpec("openai/m", api_base=devserver.base_url), "p", "video_liked", "binary",
                         policy=fast_policy))
    assert not strict.parse_ok
    devserver.set_script(["是"])
    lenient = run(predict(ModelSpec("openai/m", api_base=devserver.base_url, lenient_parsing=True), "p",
                          "video_liked", "binary", policy=fast_policy))
    assert lenient.parse_ok and lenient.predicted_label == 1
