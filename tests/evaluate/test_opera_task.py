"""OPeRA next-action task: prompt, answer parsing, metrics, offline baselines and the batch run
through litellm's real path to the loopback dev server (cache, resume, Ask why)."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.traces import opera_fixture as F
from workbench.devserver import DevServer, Reply
from workbench.evaluate.batch import read_rows
from workbench.evaluate.opera_batch import opera_targets, page_for, run_opera_batch
from workbench.evaluate.opera_metrics import macro_f1, opera_metrics, weighted_f1
from workbench.simulate import opera_task as T
from workbench.simulate.cache import ResponseCache
from workbench.simulate.types import ModelSpec
from workbench.traces.opera import load_opera


@pytest.fixture
def ts(tmp_path):
    return load_opera(F.write_quirks(tmp_path), use_cache=False)


# -- parsing and matching -----------------------------------------------------------------------------


def test_parse_the_four_lines_with_markdown_and_think():
    raw = ("<think>hmm</think>\n**Action:** Click\n**Click type:** Product Link\n"
           "Target: 4_stars.tiger.product_title\nReason: I want to see the details of this cooker.")
    a, err = T.parse_action(raw)
    assert err == "" and a == T.OperaAction("click", "product_link", "4_stars.tiger.product_title",
                                            "I want to see the details of this cooker.")


@pytest.mark.parametrize("raw, expected", [
    ("Action: type\nClick type: none\nTarget: \"rice cooker\"\nReason: r",
     T.OperaAction("input", None, "rice cooker", "r")),
    ("Action: stop\nTarget: x\nReason: done", T.OperaAction("terminate", None, None, "done")),
    ('{"action_type": "click", "click_type": "purchase", "target": "buy_box.buy_now", "reason": "ok"}',
     T.OperaAction("click", "purchase", "buy_box.buy_now", "ok")),
])
def test_parse_variants(raw, expected):
    assert T.parse_action(raw)[0] == expected


@pytest.mark.parametrize("raw", ["I would click the product.", "Action: dance\nReason: x", ""])
def test_unreadable_answers_say_why(raw):
    a, err = T.parse_action(raw)
    assert a is None and err


def test_exact_match_rules():
    true = T.OperaAction("click", "product_link", "a.B.c")
    assert T.exact_match(T.OperaAction("click", "product_link", " A.b.C "), true)
    assert not T.exact_match(T.OperaAction("click", "review", "a.b.c"), true)
    assert not T.exact_match(T.OperaAction("click", "product_link", "a.b.d"), true)
    assert T.exact_match(T.OperaAction("input", None, "Rice  Cooker"), T.OperaAction("input", None, "rice cooker"))
    assert T.exact_match(T.OperaAction("terminate"), T.OperaAction("terminate", reason="bye"))
    assert not T.exact_match(T.OperaAction(None), T.OperaAction("terminate"))


# -- metrics ------------------------------------------------------------------------------------------


def _row(session, true, pred, ok=True):
    return {"model": "m", "session_id": session, "true": true.to_dict(), "parse_ok": ok,
            "predicted": pred.to_dict() if pred else None}


def test_f1_helpers_against_hand_computed_values():
    # classes a (support 2), b (1): a: tp1 fp0 fn1 -> 2/3; b: tp1 fp1 fn0 -> 2/3; c: pred only -> 0
    assert macro_f1(["a", "a", "b"], ["a", "b", "b"]) == pytest.approx(2 / 3)
    assert macro_f1(["a", "a", "b"], ["a", "c", "b"]) == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert weighted_f1(["a", "a", "b"], ["a", "c", "b"]) == pytest.approx((2 * 2 / 3 + 1) / 3)


def test_opera_metrics_on_a_small_run():
    click = T.OperaAction("click", "product_link", "x")
    buy = T.OperaAction("click", "purchase", "buy")
    end = T.OperaAction("terminate")
    rows = [
        _row("s1", click, click),                          # exact
        _row("s1", buy, T.OperaAction("click", "purchase", "other")),  # purchase predicted, not exact
        _row("s1", end, click),                            # never stops
        _row("s2", click, buy),                            # false purchase session
        _row("s2", end, None, ok=False),                   # unreadable
        _row("s3", click, T.OperaAction("input", None, "q")),
    ]
    m = opera_metrics(rows)
    assert m["actions"] == 6 and m["sessions"] == 3
    assert m["next_action_accuracy"] == pytest.approx(100 / 6, abs=0.01)
    # sessions: s1 true+pred, s2 pred only, s3 neither -> tp1 fp1 fn0 -> F1 2/3
    assert m["session_purchase_f1"] == pytest.approx(66.67, abs=0.01)
    assert m["terminate_rate_true"] == pytest.approx(33.33, abs=0.01) and m["terminate_rate_predicted"] == 0.0
    assert m["parse_failures"] == 1
    # click types over the 4 true clicks: product_link x3 (pred: product_link, purchase, (not a click)),
    # purchase x1 (pred purchase)
    assert m["click_type_weighted_f1"] == pytest.approx(100 * (3 * 0.5 + 1 * (2 / 3)) / 4, abs=0.01)


# -- prompt ---------------------------------------------------------------------------------------------


def test_prompt_has_persona_history_rationales_and_a_bounded_page(ts):
    evs = ts.user_events(F.ALICE)
    import orjson

    hist = [(r["event_index"], r["ts_raw"], orjson.loads(r["context"])) for r in evs.head(5).iter_rows(named=True)]
    page = page_for(ts, F.ALICE, 5)
    page["page_text"] = page["page_text"] + "\n" + "filler words here " * 5000
    p = T.build_prompt(ts.profile(F.ALICE), hist, page, page_tokens=300)
    assert "MBTI: INTJ" in p.text and 'input "rice cooker"' in p.text
    assert "shopper's reason: I want the white one" in p.text
    assert "Search term: rice cooker" in p.text and "B01L9SD3K0" in p.text
    assert p.page_tokens <= 300 and "more characters of the page left out" in p.text
    assert p.history_event_indices == (0, 1, 2, 3, 4)
    with pytest.raises(ValueError):
        T.build_prompt("", [], {}, page_tokens=0)


def test_baselines():
    ctxs = [{"action_type": "input", "input_text": "q"}, {"action_type": "click", "click_type": "product_link",
            "semantic_id": "a"}, {"action_type": "click", "click_type": "product_link", "semantic_id": "b"},
            {"action_type": "click", "click_type": "review", "semantic_id": "r"}]
    assert T.baseline_action(T.BASELINE_USER, ctxs) == T.OperaAction(
        "click", "product_link", "b", "the user's most frequent kind of action so far")
    assert T.baseline_action(T.BASELINE_LAST, ctxs).target == "r"
    assert T.baseline_action(T.BASELINE_USER, []).click_type == "product_link"
    with pytest.raises(ValueError):
        T.baseline_action("baseline:nope", ctxs)


# -- the batch through litellm -----------------------------------------------------------------------


def _answer(req):
    if "Search term: rice cooker" in req.prompt:
        return ("Action: click\nClick type: purchase\nTarget: buy_box.buy_now\n"
                "Reason: It is the cooker I was looking for.")
    return "Action: click\nClick type: product_link\nTarget: nothing.here\nReason: Looking around."


def test_targets(ts):
    train = opera_targets(ts, split="train")
    assert {t.session_id for t in train} == {F.S1, F.S2, F.S4, F.BAD_SID}
    assert [t.event_index for t in train if t.session_id == F.S1] == list(range(8))
    assert len(opera_targets(ts, split="train", max_sessions=1, max_steps=3)) == 3
    with pytest.raises(ValueError):
        opera_targets(ts, split="test", users=[F.ALICE])


def test_batch_llm_and_baselines_resume_and_ask_why(ts, tmp_path):
    targets = opera_targets(ts, split="all", users=[F.ALICE])
    cache = ResponseCache(tmp_path / "c.sqlite")
    with DevServer(script=_answer) as srv:
        spec = ModelSpec("openai/dev-model", api_base=srv.base_url)
        specs = [spec, ModelSpec(T.BASELINE_USER), ModelSpec(T.BASELINE_LAST)]
        res = asyncio.run(run_opera_batch(ts, targets, specs, out_dir=tmp_path / "run", cache=cache,
                                          concurrency=3))
        first_requests = len(srv.completion_requests())
        prompts = [r.prompt for r in srv.completion_requests()]
        res2 = asyncio.run(run_opera_batch(ts, targets, specs, out_dir=tmp_path / "run", cache=cache))
        assert len(srv.completion_requests()) == first_requests == len(targets)  # resumed: nothing asked
    assert any("MBTI: INTJ" in p for p in prompts)
    rows = read_rows(tmp_path / "run" / "predictions.jsonl")
    assert len(rows) == 3 * len(targets)
    llm = {r["event_index"]: r for r in rows if r["model"] == "openai/dev-model"}
    buy = llm[5]
    assert buy["true"]["click_type"] == "purchase" and buy["exact"] is True
    assert buy["reason"] == "It is the cooker I was looking for."            # the model's own reason
    assert buy["real_rationale"] == "Buy it, the price is good."             # beside the shopper's
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert set(report["models"]) == {"openai/dev-model", T.BASELINE_USER, T.BASELINE_LAST}
    m = report["models"]["openai/dev-model"]
    assert m["actions"] == len(targets) and m["terminate_rate_predicted"] == 0.0
    assert m["terminate_rate_true"] > 0 and m["session_purchase_f1"] is not None
    assert res2.report["models"] == res.report["models"]
    why = {w["event_index"]: w for w in report["ask_why"]["openai/dev-model"]}
    assert why[5]["real_rationale"] == "Buy it, the price is good." and why[5]["exact"]
    assert why[5]["model_reason"] == "It is the cooker I was looking for."
    assert set(why) == {4, 5}                      # only the actions the shopper explained


def test_unreadable_answer_is_a_failed_row(ts, tmp_path):
    targets = opera_targets(ts, split="test")
    with DevServer(script=lambda req: Reply("I think they will probably keep browsing.")) as srv:
        res = asyncio.run(run_opera_batch(ts, targets, [ModelSpec("openai/dev", api_base=srv.base_url)],
                                          cache=ResponseCache(tmp_path / "c.sqlite")))
    assert all(not r["parse_ok"] and "could not read the action" in r["error"] for r in res.rows)
    assert res.report["models"]["openai/dev"]["parse_failures"] == len(targets)
    assert res.report["models"]["openai/dev"]["next_action_accuracy"] == 0.0


def test_cli_opera_eval(ts, tmp_path, capsys):
    from workbench.cli import main

    root = ts.source
    with DevServer(script=_answer) as srv:
        code = main(["opera-eval", str(root), "--model", "openai/dev", "--model", "baseline:last",
                     "--api-base", srv.base_url, "--split", "all", "--users", F.ALICE, "--max-steps", "3",
                     "--out", str(tmp_path / "o"), "--json"])
    assert code == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["openai/dev"]["actions"] == 5 and figures["baseline:last"]["actions"] == 5
    other = tmp_path / "dialogues.jsonl"
    other.write_text('{"id": "c", "user_side": "real", "turns": []}\n')
    assert main(["opera-eval", str(other), "--model", "baseline:user", "--out", str(tmp_path / "x")]) == 2
    assert "expected an OPeRA folder" in capsys.readouterr().err
    assert main(["opera-eval", str(tmp_path / "missing"), "--model", "baseline:user"]) == 2


def test_spend_cap_stops_new_targets(ts, tmp_path):
    targets = opera_targets(ts, split="all", users=[F.ALICE])
    reply = Reply("Action: terminate\nClick type: none\nTarget: none\nReason: done",
                  prompt_tokens=100_000, completion_tokens=10)
    with DevServer(script=lambda req: reply) as srv:
        res = asyncio.run(run_opera_batch(ts, targets, [ModelSpec("openai/gpt-4o-mini", api_base=srv.base_url)],
                                          cache=ResponseCache(tmp_path / "c.sqlite"), concurrency=1,
                                          max_cost=0.01))
        asked = len(srv.completion_requests())
    assert res.rows[0]["cost"] and res.rows[0]["cost"] > 0.01      # litellm's price for the model
    assert asked == 1 and len(res.rows) == 1
    assert res.report["run"]["stopped"].startswith("spend cap reached")
    with pytest.raises(ValueError):
        asyncio.run(run_opera_batch(ts, targets, [ModelSpec(T.BASELINE_USER)], max_cost=0))
