"""The OpenAI-compatible dev server (plain HTTP, no litellm)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

from workbench.devserver import DevServer, Reply


def post(url, body, headers=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_models_and_completion_and_recording():
    with DevServer(script=["No", Reply(status=429, error_message="slow down")], models=["a", "b"]) as srv:
        with urllib.request.urlopen(srv.base_url + "/models", timeout=5) as r:
            assert [m["id"] for m in json.loads(r.read())["data"]] == ["a", "b"]
        status, body = post(srv.base_url + "/chat/completions",
                            {"model": "x", "messages": [{"role": "user", "content": "hello"}]},
                            {"Authorization": "Bearer sk-abc"})
        data = json.loads(body)
        assert status == 200 and data["choices"][0]["message"]["content"] == "No"
        assert data["usage"]["completion_tokens"] >= 1
        status, body = post(srv.base_url + "/chat/completions", {"model": "x", "messages": []})
        assert status == 429 and json.loads(body)["error"]["message"] == "slow down"
        status, _ = post(srv.base_url + "/chat/completions", {"model": "x", "messages": []})
        assert status == 429                                      # the last scripted reply repeats
        reqs = srv.completion_requests()
        assert len(reqs) == 3 and reqs[0].header("authorization") == "Bearer sk-abc"
        assert reqs[0].prompt == "hello" and reqs[0].body["model"] == "x"


def test_logprobs_malformed_and_callable_script():
    def script(req):
        if "bad" in req.prompt:
            return Reply(raw_body=b"{oops")
        return Reply("Yes", logprobs={"Yes": -0.3, "No": -1.5, "Maybe": -4.0})

    with DevServer(script=script) as srv:
        status, body = post(srv.base_url + "/chat/completions",
                            {"model": "x", "messages": [{"role": "user", "content": "q"}], "logprobs": True,
                             "top_logprobs": 2})
        top = json.loads(body)["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        assert [(t["token"], t["logprob"]) for t in top] == [("Yes", -0.3), ("No", -1.5)]
        status, body = post(srv.base_url + "/chat/completions",
                            {"model": "x", "messages": [{"role": "user", "content": "bad"}]})
        assert status == 200 and body == b"{oops"


def test_serves_16_requests_concurrently():
    with DevServer(latency=0.4) as srv:
        results = []
        threads = [threading.Thread(target=lambda: results.append(
            post(srv.base_url + "/chat/completions", {"model": "x", "messages": []})[0])) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 16 and srv.max_in_flight == 16


def test_connections_send_without_nagle_delay(monkeypatch):
    """Every accepted connection has TCP_NODELAY, as asyncio servers (uvicorn, vLLM) do: the
    response's headers and body are two writes, and with Nagle's algorithm the body waited for the
    client's delayed ACK (about 40 ms on loopback) on every answer."""
    import socket

    from workbench import devserver

    seen: list[int] = []
    setup = devserver._Handler.setup

    def recording_setup(self):
        setup(self)
        seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(devserver._Handler, "setup", recording_setup)
    with DevServer() as srv:
        for _ in range(2):
            status, _ = post(srv.base_url + "/chat/completions", {"model": "x", "messages": []})
            assert status == 200
    assert len(seen) == 2 and all(seen)
