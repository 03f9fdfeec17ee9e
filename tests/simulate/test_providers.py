"""Model calls through litellm's real path (litellm.acompletion -> HTTP -> the dev server)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from workbench.devserver import DevServer, Reply, closed_port_base
from workbench.simulate.providers import ProviderError, RetryPolicy, complete, predict
from workbench.simulate.types import ModelSpec


def spec(srv, **kw):
    return ModelSpec(model="openai/dev-model", api_base=srv.base_url, **kw)


def run(coro):
    return asyncio.run(coro)


def test_normal_answer_and_request_shape(devserver, fast_policy):
    devserver.set_script(["No"])
    p = run(predict(spec(devserver), "prompt text", "video_liked", "binary", policy=fast_policy))
    assert p.parse_ok and p.predicted_label == 0 and p.predicted_value == 0.0 and p.raw_output == "No"
    assert p.prediction_method == "direct_mapping" and p.prompt_tokens > 0 and p.cost is None
    (req,) = devserver.completion_requests()
    assert req.body["messages"] == [{"role": "user", "content": "prompt text"}]
    assert req.body["temperature"] == 0.1 and req.body["max_tokens"] == 50 and "logprobs" not in req.body


def test_continuous_and_text_token_limits(devserver, fast_policy):
    devserver.set_script(["约 45 秒", '"小米手机"'])
    c = run(predict(spec(devserver), "p", "video_watch_seconds", "continuous", policy=fast_policy))
    t = run(predict(spec(devserver), "p", "search_keyword", "text", policy=fast_policy))
    assert c.predicted_value == 45.0 and t.predicted_value == "小米手机" and t.raw_output == '"小米手机"'
    assert [r.body["max_tokens"] for r in devserver.completion_requests()] == [200, 200]


def test_logprobs_answer(devserver, fast_policy):
    devserver.set_script([Reply("Yes", logprobs={"Yes": -0.5, "No": -1.0})])
    p = run(predict(spec(devserver, use_logprobs=True), "p", "live_liked", "binary", policy=fast_policy))
    assert p.prediction_method == "logprobs" and p.predicted_label == 1
    assert p.predicted_value == pytest.approx(0.6224593, rel=1e-5)
    assert (p.logprob_yes, p.logprob_no) == (-0.5, -1.0)
    body = devserver.completion_requests()[0].body
    assert body["logprobs"] is True and body["top_logprobs"] == 5 and body["max_tokens"] == 200


def test_429_then_success_is_retried(devserver, fast_policy):
    devserver.set_script([Reply(status=429), Reply(status=429), "Yes"])
    p = run(predict(spec(devserver), "p", "video_liked", "binary", policy=fast_policy))
    assert p.parse_ok and p.predicted_label == 1 and p.retry_count == 2
    assert len(devserver.completion_requests()) == 3


def test_500_retried_then_given_up(devserver, fast_policy):
    devserver.set_script([Reply(status=500)])
    p = run(predict(spec(devserver), "p", "video_liked", "binary", policy=fast_policy))
    assert not p.parse_ok and "server error" in p.error and "Gave up after 4 attempts" in p.error
    assert len(devserver.completion_requests()) == 4        # 1 + max_retries(3)


@pytest.mark.parametrize("status,message,needle", [
    (401, "Incorrect API key provided", "rejected the API key for model openai/dev-model"),
    (400, "temperature must be <= 2", "rejected the request"),
    (400, "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens",
     "context window"),
])
def test_client_errors_are_not_retried(devserver, fast_policy, status, message, needle):
    devserver.set_script([Reply(status=status, error_message=message)])
    p = run(predict(spec(devserver), "p", "video_liked", "binary", policy=fast_policy))
    assert not p.parse_ok and needle in p.error and p.predicted_value is None
    assert len(devserver.completion_requests()) == 1


def test_timeout_is_retried_then_reported(fast_policy):
    release = threading.Event()
    with DevServer(script=lambda req: (release.wait(5), Reply("Yes"))[1]) as srv:
        try:
            pol = RetryPolicy(max_retries=1, base_delay=0.01)
            p = run(predict(spec(srv, timeout=0.3), "p", "video_liked", "binary", policy=pol))
        finally:
            release.set()
        assert not p.parse_ok and "did not answer within 0.3 s" in p.error
        assert len(srv.completion_requests()) == 2


def test_connection_refused_is_plain_words(fast_policy):
    with DevServer() as srv:
        base = srv.base_url
    s = ModelSpec(model="openai/dev-model", api_base=base, timeout=2)
    with pytest.raises(ProviderError) as info:
        run(complete(s, "p", max_tokens=5, policy=RetryPolicy(max_retries=1, base_delay=0.01)))
    assert info.value.kind == "connection" and "Could not connect to" in info.value.message


def test_malformed_bodies_count_as_invalid_answers(devserver, fast_policy):
    devserver.set_script([Reply(raw_body=b"{not json"), Reply(raw_body=b'{"choices": []}'), "No"])
    p = run(predict(spec(devserver), "p", "video_liked", "binary", policy=fast_policy))
    assert p.parse_ok and p.predicted_label == 0 and len(devserver.completion_requests()) == 3
    devserver.set_script([Reply(raw_body=b"<html>oops</html>")])
    bad = run(predict(spec(devserver), "p", "video_watch_seconds", "continuous", policy=fast_policy))
    assert not bad.parse_ok and "not a valid chat completion" in bad.error


def test_unparseable_answers_use_protocol_attempts(devserver, fast_policy):
    devserver.set_script(["maybe"])
    p = run(predict(spec(devserver), "p", "video_liked", "binary", policy=fast_policy))
    assert not p.parse_ok and p.raw_output == "maybe" and "after 6 attempts" in p.error
    assert len(devserver.completion_requests()) == 6
    devserver.requests.clear()
    devserver.set_script(["不知道"])
    c = run(predict(spec(devserver), "p", "live_watch_seconds", "continuous", policy=fast_policy))
    assert not c.parse_ok and len(devserver.completion_requests()) == 5
    devserver.requests.clear()
    devserver.set_script(["whatever", "Yes"])
    ok = run(predict(spec(devserver), "p", "video_liked", "binary", policy=fast_policy))
    assert ok.parse_ok and ok.retry_count == 1 and ok.completion_tokens >= 2   # tokens of both calls


def test_cancel_mid_call_propagates_and_reports_nothing_late():
    release = threading.Event()
    with DevServer(script=lambda req: (release.wait(5), Reply("Yes"))[1]) as srv:
        results = []

        async def main():
            task = asyncio.ensure_future(predict(spec(srv), "p", "video_liked", "binary"))
            task.add_done_callback(lambda t: results.append(t))
            while not srv.completion_requests():
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            release.set()
            while srv.in_flight:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
            return task

        task = run(main())
        assert task.cancelled() and len(results) == 1 and results[0].cancelled()
        assert len(srv.completion_requests()) == 1


def test_sixteen_concurrent_calls(fast_policy):
    with DevServer(latency=0.3) as srv:
        async def main():
            return await asyncio.gather(*(predict(spec(srv), f"p{i}", "video_liked", "binary", policy=fast_policy)
                                          for i in range(16)))

        preds = run(main())
        assert all(p.parse_ok for p in preds) and srv.max_in_flight >= 16


def test_cost_from_litellm_cost_map_when_known(devserver, fast_policy):
    devserver.set_script([Reply("Yes", prompt_tokens=1000, completion_tokens=1)])
    s = ModelSpec(model="openai/gpt-4o-mini", api_base=devserver.base_url)
    p = run(predict(s, "p", "video_liked", "binary", policy=fast_policy))
    assert p.cost is not None and 0 < p.cost < 0.01


def test_reasoning_model_gets_max_completion_tokens(devserver, fast_policy):
    s = ModelSpec(model="openai/gpt-5-mini", api_base=devserver.base_url)
    p = run(predict(s, "p", "video_liked", "binary", policy=fast_policy))
    body = devserver.completion_requests()[0].body
    assert p.parse_ok and body.get("max_completion_tokens") == 50 and "max_tokens" not in body
    assert body.get("reasoning_effort") == "minimal"


def test_unreachable_server_fails_at_once_without_retries(provider_sleeps):
    """Connection refused: retrying cannot fix it, so no retry and no sleep (429/5xx/timeouts keep the
    backoff); the message says what happened in plain words for the GUI/CLI."""

    delays = provider_sleeps
    s = ModelSpec(model="openai/dev-model", api_base=closed_port_base(), timeout=5)
    with pytest.raises(ProviderError) as info:
        run(complete(s, "p", max_tokens=5))
    err = info.value
    assert err.kind == "connection" and err.retries == 0 and not err.retryable
    assert err.message.startswith("Could not connect to http://127.0.0.1:")
    assert "connection refused" in err.message and "Is the server running" in err.message
    assert delays == []

    # 25 questions at once: every one fails with the same plain message, never a retry
    async def many():
        return await asyncio.gather(*(predict(s, f"q{i}", "video_liked", "binary") for i in range(25)))

    preds = run(many())
    assert all(not p.parse_ok and p.error.startswith("Could not connect to") and p.retry_count == 0
               and p.error_kind == "connection" for p in preds)
    assert delays == []


def test_server_errors_keep_the_long_backoff(devserver, provider_sleeps):
    """5xx (and 429/timeouts) still use base_delay doubling up to max_retries: only unreachable servers
    are cut short."""

    delays = provider_sleeps
    devserver.set_script([Reply(status=503)] * 10)
    with pytest.raises(ProviderError) as info:
        run(complete(spec(devserver), "p", max_tokens=5, policy=RetryPolicy()))
    assert info.value.kind == "server" and info.value.retries == 4
    assert [d for d in delays if d >= 0.1] == [1.0, 2.0, 4.0, 8.0]
    assert len(devserver.completion_requests()) == 5


def test_response_cost_without_a_second_cost_calculation():
    """litellm's own per-response cost is used; else per-token prices from the local cost map, looked
    up once per model; None for models litellm does not price (local servers)."""
    from types import SimpleNamespace

    from workbench.simulate.providers import response_cost, token_prices

    assert response_cost(SimpleNamespace(_hidden_params={"response_cost": 0.0125}), "x", 10, 2) == 0.0125
    assert response_cost(SimpleNamespace(_hidden_params={"response_cost": 0.0}), "openai/dev-model", 10, 2) is None
    cin, cout = token_prices("openai/gpt-4o-mini")
    assert cin > 0 and cout > 0 and token_prices("gpt-4o-mini") == (cin, cout)
    got = response_cost(SimpleNamespace(_hidden_params={}), "openai/gpt-4o-mini", 1000, 10)
    assert got == pytest.approx(1000 * cin + 10 * cout)
    assert token_prices("openai/no-such-local-model") is None
    assert response_cost(SimpleNamespace(_hidden_params={}), "openai/no-such-local-model", 1000, 10) is None
    assert response_cost(None, "openai/no-such-local-model", 5, 5) is None
