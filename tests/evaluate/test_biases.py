"""Bias analyses on synthetic data with known answers."""

from __future__ import annotations

import json
import random

import pytest

from workbench.evaluate import biases as B

FIELDS = ("video_liked", "video_shared", "video_completed")


def _rows(model, truth, pred, *, users=("u1", "u2", "u3"), n=20, scenario="视频浏览"):
    """truth(u, i, f) / pred(u, i, f) -> 0/1."""
    rows = []
    for u in users:
        for i in range(n):
            for f in FIELDS:
                rows.append({"model": model, "user_id": u, "event_index": i, "scenario": scenario,
                             "field": f, "kind": "binary", "true_value": truth(u, i, f),
                             "predicted_value": float(pred(u, i, f)), "predicted_label": pred(u, i, f),
                             "parse_ok": True})
    return rows


def test_always_yes_shows_the_expected_hyperactivity_gap():
    real_rate = {"video_liked": 0.1, "video_shared": 0.05, "video_completed": 0.5}

    def truth(u, i, f):
        return int(i < real_rate[f] * 20)

    rows = _rows("yes-man", truth, lambda u, i, f: 1) + _rows("mirror", truth, truth)
    h = B.hyperactivity(rows)
    got = {r.field: r for r in h.fields["yes-man"]}
    for f, rate in real_rate.items():
        assert got[f].real_rate == pytest.approx(rate)
        assert got[f].predicted_rate == 1.0
        assert got[f].gap == pytest.approx(1 - rate)
        assert got[f].ratio == pytest.approx(1 / rate)
    assert h.mean_gap["yes-man"] == pytest.approx(sum(1 - r for r in real_rate.values()) / 3)
    assert h.mean_gap["mirror"] == pytest.approx(0.0)
    json.dumps(h.to_dict())


def test_failed_answers_do_not_count():
    rows = _rows("m", lambda u, i, f: 0, lambda u, i, f: 1, n=2)
    for r in rows[:3]:
        r["parse_ok"] = False
    h = B.hyperactivity(rows)
    assert sum(x.n for x in h.fields["m"]) == len(rows) - 3


def test_homogenisation_distinct_real_personas_vs_interchangeable_simulated_users():
    persona = {"u1": 0.9, "u2": 0.1, "u3": 0.5, "u4": 0.7}
    users = tuple(persona)

    def truth(u, i, f):  # stable personas: the same rate in both halves
        return int((i * 7 + FIELDS.index(f)) % 20 < persona[u] * 20)

    rng = random.Random(0)
    noise = {(u, i, f): int(rng.random() < 0.5) for u in users for i in range(40) for f in FIELDS}
    rows = _rows("coin", truth, lambda u, i, f: noise[(u, i, f)], users=users, n=40)
    rows += _rows("same", truth, lambda u, i, f: 1, users=users, n=40)
    h = B.homogenisation(rows, n_windows=2)
    real, coin, same = h.sources[B.REAL], h.sources["coin"], h.sources["same"]
    assert real.ratio < 0.3
    assert 0.7 < coin.ratio < 1.3
    assert same.ratio == 1.0 and same.mean_inter == 0.0     # identical users: nothing to tell apart
    assert len(real.intra) == 4 and len(real.inter) == 6 * 4  # 6 user pairs x 2 x 2 windows
    assert h.dimensions[:3] == ["rate:video_completed", "rate:video_liked", "rate:video_shared"]
    assert len(h.vectors[B.REAL]["u1"]) == 2
    json.dumps(h.to_dict())


def test_homogenisation_watch_time_block():
    rows = []
    for u, secs in (("a", 5.0), ("b", 600.0)):
        for i in range(6):
            rows.append({"model": "m", "user_id": u, "event_index": i, "scenario": "视频浏览",
                         "field": "video_watch_seconds", "kind": "continuous", "true_value": secs,
                         "predicted_value": 30.0, "predicted_label": 30.0, "parse_ok": True})
    h = B.homogenisation(rows, blocks=("watch",))
    assert h.sources[B.REAL].mean_intra == 0.0 and h.sources[B.REAL].ratio == 0.0
    assert h.sources["m"].ratio == 1.0


def test_analyze_message_markers_spans_and_negation():
    a = B.analyze_message("不好意思，可能是我搞错了吧")
    assert a.counts["politeness"] == 1 and a.counts["hedging"] == 2
    assert a.counts["negative"] == 0 and a.counts["positive"] == 0   # 不好意思 is one politeness hit
    start, end, cat, term = a.spans[0]
    assert (cat, term) == ("politeness", "不好意思") and a.text[start:end] == term
    a = B.analyze_message("这个质量太差了，我要投诉！")
    assert a.counts["complaint"] == 2 and a.sentiment == -1.0
    a = B.analyze_message("Could you please check? It is NOT good, thanks")
    assert a.counts["politeness"] == 2 and a.counts["hedging"] == 0
    assert a.counts["negative"] == 1 and a.counts["positive"] == 0
    assert ("politeness", "Could you please") in [(s[2], s[3]) for s in a.spans]
    a = B.analyze_message("东西不太好用")        # negated positive
    assert a.counts["negative"] == 1 and a.sentiment == -1.0
    assert B.analyze_message("好的，收到").counts == {c: 0 for c in B.LEXICON_CATEGORIES}
    assert B.analyze_message("").tokens == 0 and B.analyze_message("hi 你好").tokens == 3


def test_lexicons_are_documented_and_loaded():
    lex = B.lexicons()
    for cat in (*B.LEXICON_CATEGORIES, "neutral"):
        assert lex[cat]["en"] and lex[cat]["zh"]
    from importlib import resources

    for cat in B.LEXICON_CATEGORIES:
        data = json.loads(resources.files("resources.lexicons").joinpath(f"{cat}.json").read_text("utf-8"))
        assert data["description"] and data["source"]
    assert "How matching works" in resources.files("resources.lexicons").joinpath("README.md").read_text("utf-8")


def _msg_rows(model, pairs):
    return [{"model": model, "user_id": "u", "event_index": i, "scenario": "电商客服对话",
             "field": "next_user_message", "kind": "text", "true_value": real,
             "predicted_value": pred, "predicted_label": pred, "parse_ok": True}
            for i, (real, pred) in enumerate(pairs)]


def test_utopian_tendency_real_vs_model():
    pairs = [("怎么还没发货？垃圾！", "您好，请问大概什么时候发货呢？谢谢"),
             ("退款！你们的问题", "麻烦帮我看一下，谢谢您"),
             ("东西坏了", "不好意思，可能是我操作有点问题吧"),
             ("ok", "好的，非常满意，谢谢")]
    u = B.utopian_tendency(_msg_rows("polite-bot", pairs))
    real, bot = u.summaries[B.REAL], u.summaries["polite-bot"]
    assert real.n_messages == bot.n_messages == 4
    assert real.share_with["politeness"] == 0.0 and bot.share_with["politeness"] == 1.0
    assert real.share_with["complaint"] == 0.75 and bot.share_with["complaint"] == 0.0
    assert bot.mean_sentiment > real.mean_sentiment
    assert u.gaps["polite-bot"]["share_politeness"] == 1.0
    assert u.gaps["polite-bot"]["share_complaint"] == -0.75
    assert u.messages[0]["models"]["polite-bot"]["spans"]
    json.dumps(u.to_dict())


def test_interest_drift():
    def ev(cat):
        return {"type": "E-commerce", "context": {"category_level1_name": cat},
                "action": [{"type": "cart", "is_add_to_cart": True}]}

    events = {}
    rows = []
    for u, cats in (("static", ["A"] * 4), ("moving", ["A", "A", "B", "B"])):
        for i, c in enumerate(cats):
            events[(u, i)] = ev(c)
            rows.append({"model": "m", "user_id": u, "event_index": i, "scenario": "商城购物",
                         "field": "shop_added_to_cart", "kind": "binary", "true_value": 1,
                         "predicted_value": 1.0 if i < 2 else 0.0, "predicted_label": 1 if i < 2 else 0,
                         "parse_ok": True})
    d = B.interest_drift(rows, events, n_windows=2)
    assert d.per_user[B.REAL] == {"static": 0.0, "moving": 1.0}
    assert d.mean[B.REAL] == 0.5
    # the model engages only in the first window: {A} vs {} -> distance 1 for both users
    assert d.per_user["m"] == {"static": 1.0, "moving": 1.0}
    assert B.event_interests({"type": "Search Behavior", "action": [{"type": "search", "keyword": "小米"}]}) == {"kw:小米"}
    assert "kw:cats" in B.event_interests({"context": {"caption": "so cute #Cats"}})


def test_long_tail_loss():
    def truth(u, i, f):
        if f == "video_shared":
            return int(i == 0)            # 1 in 20 = rare
        return int(i % 2 == 0)            # common

    rows = _rows("common-only", truth, lambda u, i, f: 0 if f == "video_shared" else truth(u, i, f))
    rows += _rows("mirror", truth, truth)
    lt = B.long_tail(rows, rare_threshold=0.1)
    assert lt.rare_fields == ["video_shared"]
    tf = lt.fields["common-only"][0]
    assert (tf.real_count, tf.predicted_count, tf.recall) == (3, 0, 0.0)
    assert lt.tail_share_predicted["common-only"] == 0.0
    assert lt.tail_share_real["common-only"] == pytest.approx(3 / (3 + 30 + 30))
    assert lt.tail_share_predicted["mirror"] == pytest.approx(lt.tail_share_real["mirror"])
    assert lt.fields["mirror"][0].recall == 1.0


def test_all_biases_json_ready():
    rows = _rows("m", lambda u, i, f: i % 2, lambda u, i, f: 1)
    out = B.all_biases(rows, events={})
    json.dumps(out, allow_nan=False)
    assert set(out) == {"hyperactivity", "utopian_tendency", "homogenisation", "long_tail", "interest_drift"}
