"""run_event: questions x models concurrently, baselines, cache, summary memory, cancellation."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tests.simulate import events as E
from workbench.devserver import DevServer, Reply
from workbench.simulate.baselines import BaselineStats
from workbench.simulate.cache import ResponseCache
from workbench.simulate.runner import SUMMARY_FIELD, run_event
from workbench.simulate.types import ModelSpec


def answer(req):
    text = req.prompt
    if "行为概要：" in text:
        return Reply("这位用户偏爱看视频，很少购物。")
    text = text.split("## 预测任务")[-1]
    if False:
        return Reply("这位用户偏爱看视频，很少购物。")
    if "多少秒" in text:
        return Reply("30")
    if "点赞" in text:
        return Reply("Yes")
    return Reply("No")


def trace_with_target():
    evs = E.trace(4)
    target = E.video(ts="2025-09-20 08:00:00", caption="目标", play=45, actions=("like",))
    return list(enumerate(evs + [target, E.video(ts="2025-09-21 08:00:00")])), len(evs)


def test_two_models_and_baselines(tmp_path):
    events, t = trace_with_target()
    seen = []
    with DevServer(script=answer) as srv:
        specs = [ModelSpec("openai/a", api_base=srv.base_url), ModelSpec("openai/b", api_base=srv.base_url),
                 ModelSpec("baseline:user"), ModelSpec("baseline:population")]
        stats = BaselineStats.from_users([[e for _, e in events]])
        res = asyncio.run(run_event("女。", events, t, specs, baselines=stats, on_prediction=seen.append,
                                    cache=ResponseCache(tmp_path / "c.sqlite")))
        assert len(srv.completion_requests()) == 2 * 7
    assert [q.field for q in res.questions][:2] == ["video_watch_seconds", "video_completed"]
    assert res.history_event_indices == tuple(range(t)) and not res.filtered
    assert len(seen) == 4 * 7
    for model in ("openai/a", "openai/b"):
        preds = res.predictions[model]
        assert [p.field for p in preds] == [q.field for q in res.questions]
        by = {p.field: p for p in preds}
        assert by["video_liked"].predicted_label == 1 and by["video_shared"].predicted_label == 0
        assert by["video_watch_seconds"].predicted_value == 30.0
    js = res.to_json()
    assert set(js) == {"questions", "history_event_indices"}
    q0 = js["questions"][0]
    assert set(q0) == {"field", "kind", "true_value", "predictions"} and q0["true_value"] == 45.0
    assert [p["model"] for p in q0["predictions"]] == [s.model for s in specs]
    assert set(q0["predictions"][0]) == {"model", "predicted_value", "predicted_label", "raw_output", "parse_ok"}
    liked = next(q for q in js["questions"] if q["field"] == "video_liked")
    assert liked["predictions"][2]["predicted_value"] == 0.5      # user's 4 history videos: 2 liked


def test_cache_makes_repeat_free_and_offline(tmp_path):
    events, t = trace_with_target()
    cache = ResponseCache(tmp_path / "c.sqlite")
    with DevServer(script=answer) as srv:
        base = srv.base_url
        spec = ModelSpec("openai/a", api_base=base)
        first = asyncio.run(run_event("", events, t, [spec], cache=cache))
    second = asyncio.run(run_event("", events, t, [spec], cache=cache))      # server is gone
    assert all(p.cached and p.cost == 0.0 for p in second.predictions["openai/a"])
    assert [p.predicted_value for p in second.predictions["openai/a"]] == \
        [p.predicted_value for p in first.predictions["openai/a"]]
    assert not any(p.cached for p in first.predictions["openai/a"])


def test_semaphore_limits_concurrency():
    events, t = trace_with_target()
    with DevServer(script=answer, latency=0.05) as srv:
        spec = ModelSpec("openai/a", api_base=srv.base_url)

        async def main():
            return await run_event("", events, t, [spec], semaphore=asyncio.Semaphore(2))

        res = asyncio.run(main())
        assert srv.max_in_flight <= 2 and all(p.parse_ok for p in res.predictions["openai/a"])


def test_history_indices_override_and_errors():
    events, t = trace_with_target()
    res = asyncio.run(run_event("", events, t, [ModelSpec("baseline:user")], history_indices=[0, 3, t + 1]))
    assert res.history_event_indices == (0, 3, t + 1)
    with pytest.raises(ValueError, match="not in this user's trace"):
        asyncio.run(run_event("", events, 999, [ModelSpec("baseline:user")]))
    with pytest.raises(ValueError, match="must not contain the target"):
        asyncio.run(run_event("", events, t, [ModelSpec("baseline:user")], history_indices=[t]))
    empty = asyncio.run(run_event("", [(0, E.search(keyword=None))], 0, [ModelSpec("baseline:user")]))
    assert empty.questions == [] and empty.errors == ["no_prediction_questions"]
    filtered = asyncio.run(run_event("", [(0, E.video(play=0))], 0, [ModelSpec("baseline:user")]))
    assert filtered.filtered


def test_summary_memory_one_cached_call(tmp_path):
    many = [(i, E.video(caption=f"视频{i}" + "长" * 300, ts=f"2025-09-{1 + i // 20:02d} {i % 20:02d}:00:00"))
            for i in range(80)]
    target = E.video(ts="2025-09-30 08:00:00")
    events = many + [(80, target)]
    cache = ResponseCache(tmp_path / "c.sqlite")
    with DevServer(script=answer) as srv:
        spec = ModelSpec("openai/a", api_base=srv.base_url)
        res = asyncio.run(run_event("", events, 80, [spec], memory="summary", max_history_tokens=8000, cache=cache))
        summaries = [r for r in srv.completion_requests() if "行为概要：" in r.prompt]
        assert len(summaries) == 1
        assert res.summary == "这位用户偏爱看视频，很少购物。"
        assert res.summary_call is not None and res.summary_call.prompt_tokens > 0 and not res.summary_call.cached
        p = res.prompts["video_liked"]
        newest_older, oldest_verbatim = p.summarized_event_indices[-1], p.history_event_indices[0]
        assert f"视频{newest_older}长" in summaries[0].prompt
        assert f"视频{oldest_verbatim}长" not in summaries[0].prompt
        assert p.summarized_event_indices and res.summary in p.text
        assert not set(p.summarized_event_indices) & set(p.history_event_indices)
        assert cache.get_text(spec, __import__("hashlib").sha256(summaries[0].prompt.encode()).hexdigest(),
                              SUMMARY_FIELD) == res.summary
        srv.requests.clear()
        again = asyncio.run(run_event("", events, 80, [spec], memory="summary", max_history_tokens=8000, cache=cache))
        assert srv.completion_requests() == [] and again.summary_call.cached and again.summary == res.summary                  # summary and answers both cached


def test_cancel_run_event_drops_late_results():
    events, t = trace_with_target()
    release = threading.Event()
    seen = []
    with DevServer(script=lambda req: (release.wait(5), Reply("Yes"))[1]) as srv:
        spec = ModelSpec("openai/a", api_base=srv.base_url)

        async def main():
            task = asyncio.ensure_future(run_event("", events, t, [spec], on_prediction=seen.append))
            while len(srv.completion_requests()) < 7:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            release.set()
            while srv.in_flight:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)

        asyncio.run(main())
    assert seen == []


@pytest.mark.parametrize("memory", ["truncate", "summary"])
def test_build_in_thread_gives_the_same_result_off_the_loop(tmp_path, memory, monkeypatch):
    """build_in_thread=True: prompts (and summary covers, baselines) are built on a worker thread, not
    on the event-loop thread, and the result is identical to the default."""
    from workbench.simulate import prompts as P

    events, t = trace_with_target()
    built_on: list[int] = []
    real_build = P.build_prompt

    def spy(*a, **k):
        built_on.append(threading.get_ident())
        return real_build(*a, **k)

    monkeypatch.setattr(P, "build_prompt", spy)
    out = {}
    with DevServer(script=answer) as srv:
        specs = [ModelSpec("openai/a", api_base=srv.base_url), ModelSpec("baseline:user")]
        for flag in (False, True):
            built_on.clear()

            async def go():
                loop_thread = threading.get_ident()
                res = await run_event("女。", events, t, specs, memory=memory, max_history_tokens=4000,
                                      build_in_thread=flag, cache=ResponseCache(tmp_path / f"{flag}.sqlite"))  # noqa: B023 - run in this iteration
                return res, loop_thread

            res, loop_thread = asyncio.run(go())
            assert built_on and all((tid != loop_thread) == flag for tid in built_on)
            out[flag] = res
    a, b = out[False], out[True]
    assert {f: p.text for f, p in a.prompts.items()} == {f: p.text for f, p in b.prompts.items()}
    assert a.history_event_indices == b.history_event_indices and a.summary == b.summary
    for m in a.predictions:
        assert [(p.field, p.predicted_value, p.parse_ok) for p in a.predictions[m]] == \
            [(p.field, p.predicted_value, p.parse_ok) for p in b.predictions[m]]
