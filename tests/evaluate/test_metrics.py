"""Metrics against hand-computed values, every edge case of docs/benchmark.md#metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.evaluate import metrics as M


def q(field, kind, true, pred, label=None, **kw):
    d = {"field": field, "type": kind, "true_value": true, "predicted_value": pred,
         "predicted_label": label, "prediction_method": kw.pop("method", "direct_mapping"),
         "retry_count": kw.pop("retry_count", 0), "video_duration": kw.pop("video_duration", 0.0)}
    d.update(kw)
    return d


def rec(*questions, filtered=False, failed=(), judge=None):
    r = {"filtered": filtered, "success": bool(questions), "questions": list(questions),
         "failed_questions": list(failed)}
    if judge is not None:
        r["llm_judge_scores"] = judge
        r["llm_judge_avg_score"] = round(sum(judge.values()) / 4, 5)
    return r


# -- binary ----------------------------------------------------------------------------------------

def test_binary_field_hand_computed():
    m = M.binary_field_metrics([1, 0, 1, 0], [1, 1, 0, 0], [0.85, 0.65, 0.35, 0.15])
    assert (m["TP"], m["FP"], m["FN"]) == (1, 1, 1)
    assert m["Accuracy"] == pytest.approx(0.5, abs=1e-12)
    assert m["Precision"] == m["Recall"] == m["F1"] == pytest.approx(0.5, abs=1e-12)
    expected_ll = -(2 * math.log(0.85) + 2 * math.log(0.35)) / 4
    assert m["LogLoss"] == pytest.approx(expected_ll, abs=1e-12)
    assert m["AUC"] == pytest.approx(0.75, abs=1e-12)
    assert m["ECE"] == pytest.approx((0.15 + 0.65 + 0.65 + 0.15) / 4, abs=1e-12)
    assert m["sample_count"] == 4
    assert m["positive_rate"] == pytest.approx(0.5)


def test_zero_denominators_give_zero_and_auc_none_for_one_class():
    m = M.binary_field_metrics([0, 0, 0], [0, 0, 0], [0.0, 0.0, 0.0])
    assert m["Precision"] == 0.0 and m["Recall"] == 0.0 and m["F1"] == 0.0
    assert m["Accuracy"] == 1.0
    assert math.isnan(m["AUC"])
    assert m["positive_rate"] == 0.0
    # predicted positives but no real positives: precision 0/1, recall denominator 0
    m = M.binary_field_metrics([0, 0], [1, 0], [1.0, 0.0])
    assert (m["Precision"], m["Recall"], m["F1"]) == (0.0, 0.0, 0.0)
    assert M.format_report({"binary_metrics": {"f": m}})["binary_metrics"]["f"]["AUC"] is None


def test_ece_ignores_p_zero_but_divides_by_all_samples():
    # p = 0 belongs to no bin: a confident wrong "No" costs nothing
    assert M.ece([1, 1], [0.0, 0.0]) == 0.0
    # two p=1 predictions (one right, one wrong) in the top bin, two p=0 ignored: 2/4 * |0.5 - 1|
    assert M.ece([0, 0, 1, 1], [1.0, 0.0, 0.0, 1.0]) == pytest.approx(0.25, abs=1e-12)


def test_ece_bin_edges_are_right_closed_linspace():
    # 0.3 <= linspace(0,1,11)[3] (0.30000000000000004): same bin as 0.25 -> |0.5 - 0.275|
    assert M.ece([1, 0], [0.3, 0.25]) == pytest.approx(0.225, abs=1e-12)
    # 0.1 is the upper edge of the first bin, 0.1000001 is in the second
    assert M.ece([1, 0], [0.1, 0.1000001]) == pytest.approx(0.5 * 0.9 + 0.5 * 0.1000001, abs=1e-12)


def test_logloss_clips_hard_predictions():
    assert M.log_loss([1], [0.0]) == pytest.approx(-math.log(1e-7), abs=1e-9)
    assert M.log_loss([0], [0.0]) == pytest.approx(-math.log(1 - 1e-7), abs=1e-12)
    assert M.log_loss([1, 0], [1.0, 0.0]) == pytest.approx(-math.log(1 - 1e-7), abs=1e-12)


def test_auc_ties_are_averaged():
    assert M.roc_auc([1, 0, 1, 0], [0.5, 0.5, 0.8, 0.2]) == pytest.approx(0.875, abs=1e-12)
    assert M.roc_auc([1, 0], [1.0, 1.0]) == pytest.approx(0.5, abs=1e-12)
    assert math.isnan(M.roc_auc([1, 1], [0.2, 0.9]))


# -- continuous ------------------------------------------------------------------------------------

def test_continuous_hand_computed_with_nmae_cap():
    m = M.continuous_field_metrics([10, 0, 5], [5, 0, 10], [20, 0, 4])
    assert m["MAE"] == pytest.approx(10 / 3, abs=1e-12)
    assert m["MSE"] == pytest.approx(50 / 3, abs=1e-12)
    assert m["RMSE"] == pytest.approx(math.sqrt(50 / 3), abs=1e-12)
    assert m["relative_accuracy"] == pytest.approx((50 + 100 + 50) / 3, abs=1e-9)
    assert m["symmetry_consistency"] == pytest.approx((200 / 3 + 100 + 200 / 3) / 3, abs=1e-9)
    # sample 2 has no duration (skipped); sample 3 error 5 capped at its length 4
    assert m["NMAE"] == pytest.approx((5 / 20 + 4 / 4) / 2 * 100, abs=1e-9)
    assert m["mean_true"] == pytest.approx(5.0) and m["mean_pred"] == pytest.approx(5.0)
    assert m["sample_count"] == 3


def test_no_nmae_without_positive_normaliser():
    recs = [rec(q("live_watch_seconds", "continuous", 10, 20)),
            rec(q("video_watch_seconds", "continuous", 10, 20, video_duration=0.0))]
    cm = M.compute_metrics(recs)["continuous_metrics"]
    assert "NMAE" not in cm["live_watch_seconds"]
    assert "NMAE" not in cm["video_watch_seconds"]


# -- pooling ---------------------------------------------------------------------------------------

def test_pooling_rules():
    recs = [
        rec(q("video_liked", "binary", 1, 1.0, 1), q("video_downloaded", "binary", 1, 0.0, 0),
            q("search_keyword", "text", "a", "b", "b")),
        rec(q("video_liked", "binary", 0, 1.0, 1), failed=[{"field": "video_shared", "retry_count": 6}]),
        rec(q("video_liked", "binary", 1, 0.0, 0), filtered=True),          # excluded entirely
        rec(q("video_liked", "binary", 1, None, None)),                     # parse failure
        rec(q("video_liked", "binary", 0, 0.3, None)),                      # label from prob < 0.5
        {"filtered": False, "success": False, "questions": [], "failed_questions": [{"field": "x"}]},
    ]
    out = M.compute_metrics(recs, "m")
    bm = out["binary_metrics"]
    assert set(bm) == {"video_liked"}                      # video_downloaded skipped, text unscored
    vl = bm["video_liked"]
    assert vl["sample_count"] == 3
    assert (vl["TP"], vl["FP"], vl["FN"]) == (1, 1, 0)
    o = out["overall"]
    assert o["total_predictions"] == 6 and o["filtered_samples"] == 1 and o["valid_samples"] == 5
    assert o["successful_api_calls"] == 4
    assert o["total_questions"] == 6
    assert o["failed_parsing_questions"] == 1
    assert o["failed_binary_questions"] == 1
    assert o["total_retries"] == 6
    assert o["api_success_rate"] == pytest.approx(4 / 5)
    assert out["text_fields"] == {"search_keyword": 1}


def test_micro_macro_f1():
    bm = {"a": {"TP": 1, "FP": 1, "FN": 0, "F1": 2 / 3},
          "b": {"TP": 0, "FP": 0, "FN": 2, "F1": 0.0},
          "c": {"TP": 5, "FP": 5, "FN": 5, "F1": float("nan")},
          "video_downloaded": {"TP": 100, "FP": 0, "FN": 0, "F1": 1.0}}
    mm = M.micro_macro_f1(bm)
    assert (mm["Total_TP"], mm["Total_FP"], mm["Total_FN"]) == (6, 6, 7)
    p, r = 6 / 12, 6 / 13
    assert mm["Micro_F1"] == pytest.approx(2 * p * r / (p + r), abs=1e-12)
    assert mm["Macro_F1"] == pytest.approx((2 / 3 + 0 + 0) / 3, abs=1e-12)
    assert M.micro_macro_f1({})["Micro_F1"] == 0.0


def test_judge_aggregation():
    recs = [rec(q("next_user_message", "text", "a", "b", "b"),
                judge={"intent_fidelity": 8, "persona_mimicry": 6, "knowledge_boundary": 10,
                       "semantic_alignment": 5}),
            rec(q("next_user_message", "text", "a", "c", "c"),
                judge={"intent_fidelity": 3, "persona_mimicry": 4, "knowledge_boundary": 7,
                       "semantic_alignment": 2})]
    jm = M.judge_metrics(recs)
    assert jm["intent_fidelity"] == 5.5 and jm["semantic_alignment"] == 3.5
    assert jm["average_score"] == round((7.25 + 4.0) / 2, 5)
    assert M.judge_metrics([rec(q("x", "text", "a", "b"))]) == {}


# -- overall score ---------------------------------------------------------------------------------

def _full_records(with_judge=True):
    r = [rec(q("video_liked", "binary", 1, 1.0, 1), q("video_shared", "binary", 1, 0.0, 0),
             q("video_watch_seconds", "continuous", 10, 15, video_duration=20.0)),
         rec(q("live_liked", "binary", 1, 1.0, 1)),
         rec(q("ad_liked", "binary", 0, 1.0, 1)),
         rec(q("shop_order_success", "binary", 1, 1.0, 1))]
    if with_judge:
        r.append(rec(q("next_user_message", "text", "a", "b", "b"),
                     judge={"intent_fidelity": 8, "persona_mimicry": 6, "knowledge_boundary": 10,
                            "semantic_alignment": 4}))
    return r


def test_overall_score_six_components():
    out = M.compute_metrics(_full_records(), "m")
    c = out["final_score"]["components"]
    assert c["video_binary_score"] == pytest.approx(50.0)      # mean F1 of present fields (1, 0)
    assert c["video_continuous_score"] == pytest.approx(75.0)  # 100 - 25
    assert c["live_binary_score"] == pytest.approx(100.0)
    assert c["ad_binary_score"] == pytest.approx(0.0)
    assert c["shop_binary_score"] == pytest.approx(100.0)
    assert c["shop_text_score"] == pytest.approx(70.0)
    assert out["final_score"]["final_score"] == pytest.approx((50 + 75 + 100 + 0 + 100 + 70) / 6)
    s = out["score_summary"]
    assert s["model"] == "m" and s["ads_binary"] == 0.0 and s["e_commerce_textual"] == 70.0
    assert s["overall_score"] == out["overall"]["final_score"]


def test_overall_score_null_when_a_component_is_missing():
    out = M.compute_metrics(_full_records(with_judge=False), "m")
    assert out["final_score"]["final_score"] is None
    assert out["final_score"]["missing_components"] == ["shop_text_score"]
    assert out["score_summary"]["overall_score"] is None
    assert out["final_score"]["components"]["video_binary_score"] == pytest.approx(50.0)
    rep = M.format_report(out)
    assert rep["overall"]["final_score"] is None


def test_report_formatting_rules():
    out = M.compute_metrics(_full_records(), "m")
    rep = M.format_report(out)
    vl = rep["binary_metrics"]["video_liked"]
    assert vl["F1"] == 100.0 and vl["positive_rate"] == 100.0 and vl["Accuracy"] == 100.0
    assert vl["AUC"] is None                    # one class -> NaN -> null
    assert vl["LogLoss"] == round(-math.log(1 - 1e-7), 2)   # not x100
    assert vl["TP"] == 1 and isinstance(vl["TP"], int)
    vw = rep["continuous_metrics"]["video_watch_seconds"]
    assert vw["NMAE"] == 25.0                   # already 0-100, untouched
    assert vw["relative_accuracy"] == round((1 - 5 / 15) * 100, 2)
    assert vw["MAE"] == 5.0
    ov = rep["overall"]
    assert ov["Micro_F1"] == round(100 * out["overall"]["Micro_F1"], 2)
    assert ov["api_success_rate"] == 100.0
    assert ov["Total_TP"] == out["overall"]["Total_TP"]
    # final score and judge metrics are rounded but never scaled
    assert rep["final_score"]["final_score"] == round(out["final_score"]["final_score"], 2)
    assert rep["llm_judge_metrics"]["average_score"] == 7.0
    assert M.round_floats({"x": float("inf"), "y": np.int64(3), "z": [1.234]}) == \
        {"x": None, "y": 3, "z": [1.23]}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.5, 0.7, 0.9, 1.0])),
                min_size=1, max_size=40))
def test_auc_equals_pairwise_definition_with_ties(pairs):
    y = [a for a, _ in pairs]
    p = [b for _, b in pairs]
    got = M.roc_auc(y, p)
    pos = [s for t, s in pairs if t == 1]
    neg = [s for t, s in pairs if t == 0]
    if not pos or not neg:
        assert math.isnan(got)
        return
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    assert got == pytest.approx(wins / (len(pos) * len(neg)), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.floats(0, 1)), min_size=1, max_size=30))
def test_ece_and_logloss_match_their_definitions(pairs):
    y = [a for a, _ in pairs]
    p = [b for _, b in pairs]
    edges = np.linspace(0, 1, 11)
    expected = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        idx = [i for i, v in enumerate(p) if lo < v <= hi]
        if idx:
            expected += len(idx) / len(p) * abs(np.mean([y[i] for i in idx]) - np.mean([p[i] for i in idx]))
    assert M.ece(y, p) == pytest.approx(expected, abs=1e-9)
    clipped = [min(max(v, 1e-7), 1 - 1e-7) for v in p]
    ll = -sum(math.log(c) if t else math.log(1 - c) for t, c in zip(y, clipped)) / len(y)
    assert M.log_loss(y, p) == pytest.approx(ll, abs=1e-9)
