"""Rollouts: simulated events, open and closed loop, what compounds, cancel, spend cap, the CLI."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.simulate import events as E
from workbench.devserver import DevServer, Reply
from workbench.evaluate import rollout as R
from workbench.simulate.questions import questions_for_event
from workbench.simulate.types import ModelSpec


def _yes_server(req) -> Reply:
    """A simulator that always engages: Yes to every Yes/No question, 30 s of watching."""
    task = req.prompt.split("## 预测任务")[-1]
    return Reply("30" if "秒" in task else "Yes")


def _planted(days_before: int = 20, days_after: int = 3) -> list[tuple[int, dict[str, Any]]]:
    """A user who rarely engages: 1 like in 25 videos, never shares, follows or comments."""
    evs = []
    n = 0
    for d in range(1, days_before + days_after + 1):
        for h in (9, 13, 18, 22, 23):
            n += 1
            day = f"2025-08-{d:02d}" if d <= 31 else f"2025-09-{d - 31:02d}"
            evs.append(E.video(ts=f"{day} {h:02d}:00:00", caption=f"视频{n} #猫", play=5, duration=60,
                               actions=("like",) if n % 25 == 0 else ()))
    return list(enumerate(evs))


# -- simulated events -------------------------------------------------------------------------------

@pytest.mark.parametrize("event,answers", [
    (E.video(actions=("like", "share")), {"video_watch_seconds": 42.0, "video_completed": 1,
                                         "video_liked": 0, "video_commented": 1, "video_shared": 0,
                                         "video_collected": 1, "video_followed": 0}),
    (E.live(actions=({"type": "send_gift", "gift_amount": 5},)),
     {"live_watch_seconds": 120.0, "live_liked": 1, "live_commented": 0, "live_sent_gift": 0,
      "live_followed": 1, "live_shared": 0, "live_clicked_cart": 1}),
    (E.ad(), {"ad_watch_seconds": 7.0, "ad_liked": 1, "ad_commented": 0, "ad_activated": 1,
              "ad_form_submitted": 1}),
    (E.shop(cart=True, pay=True), {"shop_added_to_cart": 0, "shop_order_success": 1}),
    (E.search(keyword="小米"), {"search_keyword": "华为手机"}),
])
def test_the_benchmarks_questions_read_the_answers_back_from_a_simulated_event(event, answers):
    sim = R.simulated_event(event, answers)
    back = {q.field: q.true_value for q in questions_for_event(sim)}
    assert back == answers
    assert sim.get("context") == event.get("context") and sim["timestamp"] == event["timestamp"]
    assert event != sim                                  # the real event is not touched
    if "search_keyword" in answers:
        assert {"type": "show", "show_cnt": 10} in sim["action"]   # the platform's exposure is kept
        assert not any(a["type"] == "click" for a in sim["action"])  # the real click is not


def test_a_dialogue_stays_as_it_happened():
    ev = E.service()
    assert R.simulated_event(ev, {"next_user_message": "好的谢谢"}) == ev


# -- open and closed loop ---------------------------------------------------------------------------

def _run(events, spec, *, closed, days=3.0, **kw):
    return asyncio.run(R.run_rollout("u1", "女。", events, spec, t0="2025-08-21", days=days,
                                     closed_loop=closed, **kw))


def test_closed_loop_always_yes_drifts_to_full_engagement_while_the_real_user_stays_under_10pct():
    events = _planted()
    with DevServer(script=_yes_server) as srv:
        spec = ModelSpec("openai/always-yes", api_base=srv.base_url)
        closed = _run(events, spec, closed=True)
        opened = _run(events, spec, closed=False)
    assert len(closed.steps) == closed.planned == 15 and not closed.stopped
    real_days = R.daily_figures(closed, events, R.REAL)
    sim_days = R.daily_figures(closed, events, R.CLOSED)
    assert [d.engagement for d in sim_days] == [1.0, 1.0, 1.0]
    assert all(d.engagement is not None and d.engagement < 0.1 for d in real_days)
    assert all(d.rates["video_liked"] == 1.0 for d in sim_days)
    # a model that ignores its history answers the same whatever it was shown
    assert [s.predicted for s in opened.steps] == [s.predicted for s in closed.steps]
    # ... but the closed loop was shown its own reactions: every earlier step, as simulated
    last = closed.steps[-1]
    assert {s.event_index for s in closed.steps[:-1]} <= set(last.history_event_indices)
    liked = [i for i in last.history_event_indices if i >= 100]
    assert liked and all(any(a["type"] == "like" for a in closed.simulated[i]["action"]) for i in liked)


def test_closed_loop_history_leaves_out_horizon_events_that_were_not_steps():
    events = _planted()
    spec = ModelSpec("baseline:user")
    closed = _run(events, spec, closed=True, every=2)
    opened = _run(events, spec, closed=False, every=2)
    steps = [s.event_index for s in closed.steps]
    assert steps == [i for i, _ in events if i >= 100][::2]
    skipped = set(range(100, 115)) - set(steps)
    last_closed = set(closed.steps[-1].history_event_indices)
    last_open = set(opened.steps[-1].history_event_indices)
    assert not (skipped & last_closed)                 # the simulated user never saw them
    assert skipped & last_open                         # the benchmark's history has them
    assert closed.steps[-1].predicted                  # baselines roll out too


def test_baseline_user_feeds_on_its_own_answers_in_closed_loop():
    """A user who liked 1 video in 25 before t0: the user baseline says No, and in closed loop the
    simulated events it is shown afterwards carry its own No answers, never a real like."""
    events = _planted()
    closed = _run(events, ModelSpec("baseline:user"), closed=True)
    assert all(s.predicted.get("video_liked") == 0 for s in closed.steps)
    assert all(not any(a["type"] == "like" for a in closed.simulated[s.event_index]["action"])
               for s in closed.steps)


def test_cancel_keeps_the_finished_steps():
    events = _planted()

    class Task:
        cancelled = False

    task = Task()

    def on_step(step, done, planned):
        if done == 4:
            task.cancelled = True

    res = _run(events, ModelSpec("baseline:user"), closed=True, on_step=on_step, task=task)
    assert res.stopped == "cancelled" and len(res.steps) == 4 and res.planned == 15


def test_spend_cap_stops_new_steps_and_a_rerun_resumes_from_the_cache(tmp_path):
    import litellm

    from workbench.simulate.cache import ResponseCache
    from workbench.simulate.providers import token_prices

    litellm.register_model({"openai/priced-test": {"input_cost_per_token": 1e-4,
                                                  "output_cost_per_token": 1e-4,
                                                  "litellm_provider": "openai", "mode": "chat"}})
    token_prices.cache_clear()
    events = _planted()
    cache = ResponseCache(tmp_path / "c.sqlite")
    with DevServer(script=_yes_server) as srv:
        spec = ModelSpec("openai/priced-test", api_base=srv.base_url)
        first = _run(events, spec, closed=True, cache=cache, max_cost=0.05)
        assert first.stopped.startswith("spend cap reached") and 0 < len(first.steps) < 15
        assert first.cost >= 0.05 and first.unknown_cost_calls == 0
        asked = len(srv.completion_requests())
        again = _run(events, spec, closed=True, cache=cache, max_cost=100.0)
        assert not again.stopped and len(again.steps) == 15
        new_calls = len(srv.completion_requests()) - asked
    assert sum(s.cached for s in again.steps) == asked       # finished steps came from the cache
    assert new_calls == 7 * (15 - len(first.steps))
    cache.close()


def test_unknown_prices_are_counted_and_said(tmp_path):
    events = _planted(days_after=1)
    with DevServer(script=_yes_server) as srv:
        res = _run(events, ModelSpec("openai/no-price-known", api_base=srv.base_url), closed=False,
                   days=1.0)
    assert res.cost == 0.0 and res.unknown_cost_calls == 7 * len(res.steps)


def test_bad_settings_are_clear_errors():
    events = _planted()
    with pytest.raises(R.RolloutError, match="not a date"):
        asyncio.run(R.run_rollout("u1", "", events, ModelSpec("baseline:user"), t0="yesterday",
                                  days=1))
    with pytest.raises(R.RolloutError, match="no event to predict"):
        asyncio.run(R.run_rollout("u1", "", events, ModelSpec("baseline:user"), t0="2026-01-01",
                                  days=1))
    with pytest.raises(R.RolloutError, match="more than 0 days"):
        asyncio.run(R.run_rollout("u1", "", events, ModelSpec("baseline:user"), t0="2025-08-21",
                                  days=0))


# -- figures and export -----------------------------------------------------------------------------

def test_daily_figures_by_hand():
    events = list(enumerate([
        E.video(ts="2025-08-01 09:00:00", caption="#猫", actions=("like",)),       # before t0
        E.video(ts="2025-08-02 09:00:00", caption="#狗", play=20, duration=60),
        E.video(ts="2025-08-02 10:00:00", caption="#猫", play=40, duration=60, actions=("like",)),
        E.live(ts="2025-08-02 20:00:00", play=60),
    ]))
    res = asyncio.run(R.run_rollout("u1", "", events, ModelSpec("baseline:user"), t0="2025-08-02",
                                    days=1))
    [real] = R.daily_figures(res, events, R.REAL)
    assert real.steps == 3
    assert real.engagement == pytest.approx(1 / 3)           # one of three steps has a Yes
    assert real.rates["video_liked"] == pytest.approx(0.5)
    assert real.time_share == {"Live Streaming": 0.5, "Video Browsing": 0.5}   # 60 s of 120 s
    assert real.interests == 1 and real.drift == 0.0          # #猫 again: nothing new
    assert real.diversity is None                             # no categories, only keywords


def test_the_simulated_trace_opens_like_any_trace(tmp_path):
    from workbench.traces import load_traces

    events = _planted()
    res = _run(events, ModelSpec("baseline:user"), closed=True, days=1.0)
    doc = R.to_omnibehavior(res, "女。", events)
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    ts = load_traces(path)
    assert ts.user_ids() == ["u1_sim_closed"]
    assert len(ts.raw_events("u1_sim_closed")) == 100 + len(res.steps)


def test_cli_end_to_end(tmp_path, capsys):
    from workbench.cli import main

    events = [ev for _, ev in _planted()]
    trace = tmp_path / "t.json"
    trace.write_text(json.dumps({"u1": {"user_profile": "女。", "action_history": events}},
                                ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    rc = main(["rollout", str(trace), "--user", "u1", "--from", "2025-08-21", "--days", "2",
               "--model", "baseline:user", "--closed-loop", "--out", str(out), "--json", "--no-cache"])
    assert rc == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((out / "rollout.json").read_text(encoding="utf-8"))
    assert printed == saved
    assert set(saved["runs"]) == {"open", "closed"} and set(saved["days"]) == {"real", "open", "closed"}
    assert [g["day"] for g in saved["gap"]] == ["2025-08-21", "2025-08-22"]
    assert (out / "simulated_open.json").exists() and (out / "simulated_closed.json").exists()
    page = tmp_path / "ro.html"
    assert main(["rollout", str(trace), "--user", "u1", "--from", "2025-08-21", "--days", "2",
                 "--model", "baseline:user", "--closed-loop", "--out", str(out), "--html", str(page),
                 "--no-cache"]) == 0
    from workbench.annotate.report import content_security_policies, external_references

    html = page.read_text(encoding="utf-8")
    assert external_references(html) == [] and "script-src 'none'" in content_security_policies(html)[0]
    assert html.count("<svg") == 3 + 2              # real + open + closed sketches, two day charts
    assert "Simulated · closed loop" in html and "2025-08-22" in html
    assert main(["rollout", str(trace), "--user", "u1", "--from", "someday", "--model",
                 "baseline:user", "--out", str(out)]) == 2
    assert "not a date" in capsys.readouterr().err
    assert main(["rollout", str(trace), "--user", "nobody", "--from", "2025-08-21", "--model",
                 "baseline:user", "--out", str(out)]) == 2


def test_samples_majority_distribution_and_resume_from_the_cache(tmp_path):
    from workbench.simulate.cache import ResponseCache

    events = _planted(days_after=1)
    asked: dict[str, int] = {}

    def two_yes_one_no(req):
        n = asked[req.prompt] = asked.get(req.prompt, 0) + 1
        task = req.prompt.split("## 预测任务")[-1]
        if "秒" in task:
            return Reply(str(10 * n))
        return Reply("No" if n % 3 == 0 else "Yes")

    cache = ResponseCache(tmp_path / "c.sqlite")
    with DevServer(script=two_yes_one_no) as srv:
        spec = ModelSpec("openai/three-samples", api_base=srv.base_url)
        res = _run(events, spec, closed=True, days=1.0, samples=3, cache=cache)
        first = len(srv.completion_requests())
        again = _run(events, spec, closed=True, days=1.0, samples=3, cache=cache)
        assert len(srv.completion_requests()) == first          # every sample came from the cache
    cache.close()
    step = res.steps[0]
    assert step.samples == 3 and step.distribution["video_liked"] == {"Yes": 2, "No": 1}
    assert step.predicted["video_liked"] == 1                    # the majority
    assert step.predicted["video_watch_seconds"] == 20.0         # the median of 10, 20, 30
    assert [s.predicted for s in again.steps] == [s.predicted for s in res.steps]
    assert first == 7 * 3 * len(res.steps)
    with pytest.raises(R.RolloutError, match="samples must be 1 or more"):
        _run(events, spec, closed=False, days=1.0, samples=0)
