"""Per-user population figures from the canonical event table."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.evaluate.population import spread, user_rates
from workbench.traces import load_traces
from workbench.traces.population import population_table


def _trace(tmp_path):
    def video(ts, like=False, play=10):
        acts = [{"type": "watch", "play_duration": play}] + ([{"type": "like"}] if like else [])
        return {"type": "Video Browsing", "timestamp": ts, "context": {"caption": "c", "duration": 30},
                "action": acts}

    live = {"type": "Live Streaming", "timestamp": "2025-09-03 20:00:00",
            "context": {"live_title": "t"}, "action": [{"type": "watch", "play_duration": 30}]}
    doc = {"a": {"user_profile": "", "action_history": [video("2025-09-01 08:00:00", like=True),
                                                         video("2025-09-01 09:00:00"), live]},
           "b": {"user_profile": "", "action_history": [video("2025-09-02 08:00:00")]}}
    p = tmp_path / "t.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    return load_traces(p)


def test_population_by_hand(tmp_path):
    ts = _trace(tmp_path)
    pop = population_table(ts.events, ["b", "a", "nobody"])
    rows = {r["user_id"]: r for r in pop.frame.iter_rows(named=True)}
    assert pop.user_ids == ["b", "a", "nobody"]
    assert rows["a"]["events"] == 3 and rows["a"]["active_days"] == 2
    assert rows["a"]["engaged"] == pytest.approx(1 / 3) and rows["a"]["rate_like"] == pytest.approx(1 / 3)
    assert rows["a"]["time_Video Browsing"] == pytest.approx(20 / 50)
    assert rows["a"]["time_Live Streaming"] == pytest.approx(30 / 50)
    assert rows["b"]["time_Video Browsing"] == 1.0 and rows["nobody"]["events"] == 0
    assert [str(d) for d in pop.days] == ["2025-09-01", "2025-09-02", "2025-09-03"]
    assert pop.activity.tolist() == [[0, 1, 0], [2, 0, 1], [0, 0, 0]]


def test_user_rates_and_spread():
    rows = [{"model": "m", "user_id": u, "kind": "binary", "parse_ok": True, "true_value": t,
             "predicted_label": p} for u, t, p in
            [("a", 1, 1), ("a", 0, 1), ("b", 0, 1), ("b", 0, 1), ("c", 1, 1), ("c", 1, 1)]]
    rows.append({"model": "m", "user_id": "a", "kind": "binary", "parse_ok": False,
                 "true_value": 1, "predicted_label": None})
    r = user_rates(rows)["m"]
    assert (r["a"].real, r["a"].predicted, r["a"].questions) == (0.5, 1.0, 2)
    assert r["b"].gap == 1.0
    s = spread(r)
    assert s["real_sd"] == pytest.approx(np.std([0.5, 0.0, 1.0], ddof=1))
    assert s["predicted_sd"] == 0.0 and s["ratio"] == 0.0       # every simulated user the same
