"""The server pool (simulate/servers.py) through litellm's real path to loopback servers: each call
goes to the server with the most room and never past its limit; a failing server is left out
while the others answer and the retries are counted; when every server fails a question fails
after its retries, quickly."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from workbench.devserver import DevServer, Reply
from workbench.simulate.providers import RetryPolicy, predict
from workbench.simulate.servers import ServerPool, open_pools, servers_from_urls
from workbench.simulate.types import ModelSpec

MODEL = "openai/pool-dev-model"
QUESTION = "Yes 或 No"


def _spec(urls, per_server):
    return ModelSpec(MODEL, servers=servers_from_urls(urls, max_parallel=per_server))


async def _ask_all(spec, n, policy=None):
    return await asyncio.gather(*(predict(spec, f"{QUESTION} #{i}", "f", "binary", policy=policy)
                                  for i in range(n)))


def test_calls_spread_by_room_and_never_past_a_limit():
    a = DevServer(latency=0.05).start()
    b = DevServer(latency=0.05).start()
    a_url, b_url = a.base_url, b.base_url
    try:
        dep = ModelSpec(MODEL, servers=(*servers_from_urls([a.base_url], 1), *servers_from_urls([b.base_url], 3)))
        open_pools([dep])
        preds = asyncio.run(_ask_all(dep, 24))
    finally:
        a.stop()
        b.stop()
    assert all(p.parse_ok and p.retry_count == 0 for p in preds)
    assert a.max_in_flight == 1 and b.max_in_flight == 3          # both full, neither past its limit
    # nothing bounced or was sent twice: one request per question, shared about 1:3
    assert len(a.completion_requests()) + len(b.completion_requests()) == 24
    assert Counter(p.server for p in preds) == {a_url: len(a.completion_requests()),
                                                b_url: len(b.completion_requests())}
    assert 3 <= len(a.completion_requests()) <= 9


def test_a_failing_server_is_left_out_and_the_retry_counted():
    bad = DevServer(script=lambda req: Reply(status=500, error_message="boom"), latency=0.0).start()
    good = DevServer(latency=0.02).start()
    good_url = good.base_url
    try:
        spec = _spec([bad.base_url, good.base_url], 2)
        open_pools([spec])
        preds = asyncio.run(_ask_all(spec, 12))
    finally:
        bad.stop()
        good.stop()
    assert all(p.parse_ok and p.server == good_url for p in preds)
    sent_to_bad = len(bad.completion_requests())
    # the failing server is left out for its cooldown after a failure: at most the calls that
    # were already on it, each sent again once to the good server
    assert 1 <= sent_to_bad <= 2
    assert sum(p.retry_count for p in preds) == sent_to_bad
    assert len(good.completion_requests()) == 12


def test_every_server_down_fails_after_the_retries_quickly():
    a = DevServer().start()
    b = DevServer().start()
    urls = [a.base_url, b.base_url]
    a.stop()
    b.stop()
    spec = _spec(urls, 2)
    open_pools([spec], retries=4)
    t = time.monotonic()
    preds = asyncio.run(_ask_all(spec, 3, RetryPolicy()))
    assert time.monotonic() - t < 10
    for p in preds:
        assert not p.parse_ok and p.error_kind == "connection" and p.retry_count == 4
        assert "Gave up after 5 attempts" in p.error


def test_a_pool_is_bound_to_no_event_loop():
    """The same pool serves calls from two event loops (the GUI's and a worker's)."""
    with DevServer(latency=0.01) as srv:
        spec = _spec([srv.base_url], 1)
        pool = ServerPool(spec, concurrency=1)
        open_pools([spec])
        first = asyncio.run(_ask_all(spec, 3))
        second = asyncio.run(_ask_all(spec, 3))
    assert all(p.parse_ok for p in first + second)
    assert srv.max_in_flight == 1 and pool.slots[0].in_flight == 0
