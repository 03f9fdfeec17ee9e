"""Baselines without an LLM: user rate, median watch seconds, population rate."""

from __future__ import annotations

import pytest

from tests.simulate import events as E
from workbench.simulate.baselines import BaselineStats
from workbench.simulate.questions import questions_for_event


def test_user_baseline_rates_and_median():
    history = [E.video(play=10, actions=("like",)), E.video(play=20), E.video(play=60, actions=("like",)),
               E.video(play=0, actions=("like", "share")),           # filtered: play 0
               E.shop(cart=True, pay=False)]
    target = E.video()
    qs = questions_for_event(target)
    preds = {p.field: p for p in BaselineStats().predict("baseline:user", qs, history)}
    assert preds["video_liked"].predicted_value == pytest.approx(2 / 3) and preds["video_liked"].predicted_label == 1
    assert preds["video_shared"].predicted_value == 0.0 and preds["video_shared"].predicted_label == 0
    assert preds["video_watch_seconds"].predicted_value == 20.0
    assert all(p.prediction_method == "baseline" and p.model == "baseline:user" and p.parse_ok
               for p in preds.values())


def test_user_baseline_without_matching_history_is_a_visible_failure():
    (p,) = [x for x in BaselineStats().predict("baseline:user", questions_for_event(E.shop()), [E.video()])
            if x.field == "shop_added_to_cart"]
    assert not p.parse_ok and "no events with field shop_added_to_cart" in p.error


def test_population_baseline_and_text_mode():
    users = [[E.video(actions=("like",)), E.search(keyword="小米")], [E.video(), E.search(keyword="小米")],
             [E.video(), E.search(keyword="华为")], [E.video()]]
    stats = BaselineStats.from_users(users)
    assert stats.population_count("video_liked") == 4
    preds = stats.predict("baseline:population", questions_for_event(E.video()), [])
    assert {p.field: p.predicted_value for p in preds}["video_liked"] == 0.25
    (kw,) = stats.predict("baseline:population", questions_for_event(E.search(keyword="x")), [])
    assert kw.predicted_value == "小米"
    with pytest.raises(ValueError):
        stats.predict("baseline:other", [], [])


def test_population_excludes_the_target_itself():
    target = E.search(keyword="独有关键词")
    stats = BaselineStats.from_users([[target, E.search(keyword="常见"), E.search(keyword="常见")],
                                      [E.search(keyword="独有关键词")]])
    qs = questions_for_event(target)
    (without_target,) = stats.predict("baseline:population", qs, [], exclude=qs)
    assert without_target.predicted_value == "常见"                # 2 x 常见 beat the other 独有关键词
    only = BaselineStats.from_users([[target]])
    (p,) = only.predict("baseline:population", qs, [], exclude=qs)
    assert not p.parse_ok                                        # nothing left once the target is out
    liked = BaselineStats.from_users([[E.video(actions=("like",)), E.video()]])
    (rate,) = [x for x in liked.predict("baseline:population", questions_for_event(E.video(actions=("like",))), [],
                                        exclude=questions_for_event(E.video(actions=("like",))))
               if x.field == "video_liked"]
    assert rate.predicted_value == 0.0
