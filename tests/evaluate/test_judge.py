"""LLM-as-judge helpers (docs/benchmark.md#customer-service) and the pure-layer import boundary."""

from __future__ import annotations

import asyncio
import json

from tests.blocked_imports import run_blocked
from tests.evaluate.conftest import day, service
from workbench.evaluate import judge as J

GOOD = json.dumps({"scores": {"intent_fidelity": 9, "persona_mimicry": "7", "knowledge_boundary": 8.6,
                              "semantic_alignment": 4}})


def test_parse_judge_response():
    assert J.parse_judge_response("noise " + GOOD + " tail") == {
        "intent_fidelity": 9, "persona_mimicry": 7, "knowledge_boundary": 8, "semantic_alignment": 4}
    assert J.parse_judge_response(GOOD.replace("4}", "11}")) is None          # out of range
    assert J.parse_judge_response(GOOD.replace('"semantic_alignment": 4', '"x": 4')) is None
    assert J.parse_judge_response("not json") is None
    assert J.parse_judge_response("") is None
    assert J.parse_judge_response('{"scores": {"intent_fidelity": "high"}}') is None


def test_eligibility_needs_an_earlier_user_turn_before_the_last_exact_match():
    ev = service(day(10, 1), [("user", "在吗"), ("assistant", "在的"), ("user", "什么时候发货")])
    assert J.judge_eligible(ev, "什么时候发货")
    assert not J.judge_eligible(ev, "在吗")                 # first utterance: never judged
    assert not J.judge_eligible(ev, "不在对话里")
    assert not J.judge_eligible(ev, "")
    ev2 = service(day(10, 1), [("assistant", "您好"), ("user", "什么时候发货")])
    assert not J.judge_eligible(ev2, "什么时候发货")


def test_inputs_are_read_back_from_the_prompt():
    prompt = ("角色\n## 输入一：用户画像\n以下是该用户的基本信息：\n女，30岁\n## 输入二：历史\n...\n"
              "## 输入三：当前客服对话场景\n背景：水壶\n对话：用户: 在吗\n\n站在这个用户的角度，预测……")
    got = J.judge_inputs(prompt, "什么时候发货", "请问何时发货")
    assert got == {"user_profile": "以下是该用户的基本信息：\n女，30岁",
                   "context": "## 输入三：当前客服对话场景\n背景：水壶\n对话：用户: 在吗",
                   "ground_truth": "什么时候发货", "model_output": "请问何时发货"}
    en = ("## Input 1: User profile\nBasic information:\nman\n## Input 2: Behaviour\n..\n"
          "## Input 3: Current customer-service dialogue\nbg\n\nFrom this user's point of view, predict")
    got = J.judge_inputs(en, "a", "b")
    assert got["user_profile"] == "Basic information:\nman" and got["context"].endswith("bg")
    assert J.judge_inputs(prompt, "", "x") is None and J.judge_inputs(prompt, "x", "") is None
    text = J.build_judge_prompt(got)
    assert all(k in text for k in ("intent_fidelity", "persona_mimicry", "knowledge_boundary",
                                   "semantic_alignment", "man", "bg"))


def test_judge_one_retries_then_averages():
    replies = iter(["garbage", '{"scores": {"intent_fidelity": 0}}', GOOD])
    calls = []

    async def call(prompt):
        calls.append(prompt)
        return next(replies)

    res = asyncio.run(J.judge_one({"user_profile": "p", "context": "c", "ground_truth": "g",
                                   "model_output": "o"}, call, pause=0))
    assert res.attempts == 3 and len(calls) == 3
    assert res.average == round((9 + 7 + 8 + 4) / 4, 5)

    async def broken(prompt):
        raise RuntimeError("boom")

    res = asyncio.run(J.judge_one({"user_profile": "p", "context": "c", "ground_truth": "g",
                                   "model_output": "o"}, broken, pause=0, max_retries=2))
    assert res.scores is None and res.attempts == 2 and "RuntimeError" in res.error


def test_evaluate_package_imports_no_qt():
    code = (
        "import sys\n"
        "import workbench.evaluate.sampling, workbench.evaluate.metrics, workbench.evaluate.biases\n"
        "import workbench.evaluate.judge, workbench.evaluate.batch, workbench.evaluate.cli\n"
        "assert 'litellm' not in sys.modules\n"
        "print('ok')\n")
    out = run_blocked(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
