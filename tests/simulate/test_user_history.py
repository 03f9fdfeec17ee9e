"""``baseline:user`` from running statistics (simulate/user_history.py) equals the plain computation
(BaselineStats.predict) for rolling histories, targets asked out of order, a history that skips events,
ties between text values, even counts for the median and odd values."""

from __future__ import annotations

import random
import threading

from tests.evaluate.conftest import day, live, search, service, video
from workbench.simulate.baselines import BaselineStats
from workbench.simulate.questions import questions_for_event
from workbench.simulate.user_history import UserTruth, user_baseline_memo


def _events(n: int, seed: int) -> list[dict]:
    r = random.Random(seed)
    out = []
    for i in range(n):
        ts = day(9 + i // 600, 1 + (i // 24) % 28, i % 24)
        k = r.random()
        if k < 0.4:
            out.append(video(ts, play=r.choice([3, 10, 10, 27, 40]), like=r.random() < 0.3))
        elif k < 0.6:
            out.append(live(ts, gift=r.random() < 0.5, play=r.choice([60, 61, 120])))
        elif k < 0.8:
            out.append(search(ts, keyword=r.choice(["小米", "耳机", "小米", "耳机", "手机"])))
        else:
            out.append(service(ts, [("user", r.choice(["在吗", "发货了吗"])), ("assistant", "您好"),
                                    ("user", r.choice(["在吗", "发货了吗", "谢谢"]))]))
    out[5] = video(out[5]["timestamp"], play="n/a")        # not a number: read as the benchmark does
    return out


def _plain(qs, history):
    return [p.to_dict() for p in BaselineStats().predict("baseline:user", qs, [e for _, e in history])]


def _check(events, targets, memo):
    for t in targets:
        history = list(enumerate(events[:t]))
        qs = questions_for_event(events[t])
        got = [p.to_dict() for p in user_baseline_memo(qs, history, memo)]
        assert got == _plain(qs, history), t


def test_rolling_histories_in_order_match_the_plain_computation():
    events = _events(400, 1)
    _check(events, range(20, 400, 7), UserTruth())


def test_out_of_order_and_non_extending_histories_match_too():
    events = _events(300, 2)
    memo = UserTruth()
    _check(events, [200, 150, 250, 30, 299, 10, 280], memo)
    window = [(i, e) for i, e in enumerate(events) if i % 3]   # a history that skips events
    qs = questions_for_event(events[299])
    assert [p.to_dict() for p in user_baseline_memo(qs, window, memo)] == _plain(qs, window)


def test_a_plain_dict_memo_still_works():
    events = _events(120, 4)
    _check(events, [50, 80, 119], {})


def test_threads_sharing_one_memo_get_the_plain_answers():
    events = _events(500, 5)
    memo = UserTruth()
    targets = list(range(100, 500, 3))
    random.Random(0).shuffle(targets)
    errors: list[BaseException] = []

    def run(part):
        try:
            _check(events, part, memo)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(targets[k::4],)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
