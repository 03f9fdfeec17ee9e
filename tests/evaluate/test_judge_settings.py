"""The judge has its own endpoint and no answer limit, uses the benchmark's own prompt in reference
mode, and ``workbench eval`` records the token counter and carries extra request fields."""

from __future__ import annotations

import asyncio
import json

from tests.evaluate.conftest import day, service, video
from tests.evaluate.test_sampling import _big_user
from workbench.cli import main
from workbench.devserver import DevServer
from workbench.evaluate import judge as J
from workbench.simulate.types import ModelSpec

SCORES = json.dumps({"scores": {"intent_fidelity": 8, "persona_mimicry": 6, "knowledge_boundary": 9,
                                "semantic_alignment": 5}})
TURNS = [("user", "你好，我的水壶坏了"), ("assistant", "您好，请问有什么问题？"), ("user", "烧水的时候一直漏水，怎么回事")]


def _trace(tmp_path):
    events = [video(day(9, 2))] + [service(day(10, d), TURNS) for d in range(1, 4)]
    path = tmp_path / "cs.json"
    path.write_text(json.dumps({"u1": {"user_profile": "女。", "action_history": events}}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def test_judge_caller_sends_no_answer_limit_unless_set():
    with DevServer(default=SCORES) as srv:
        asyncio.run(J.judge_caller(ModelSpec("openai/judge", api_base=srv.base_url))("p"))
        asyncio.run(J.judge_caller(ModelSpec("openai/judge", api_base=srv.base_url, max_tokens=300))("p"))
        first, second = (r.body for r in srv.completion_requests())
    assert "max_tokens" not in first and "max_completion_tokens" not in first
    assert second["max_tokens"] == 300


class StandIn:
    """A stand-in for a loaded benchmark checkout: only what the judge uses."""

    def judge_prompt(self, inputs):
        return "REFERENCE JUDGE " + inputs["ground_truth"] + " / " + inputs["model_output"]


def test_reference_mode_uses_the_benchmarks_judge_prompt():
    inputs = {"user_profile": "p", "context": "c", "ground_truth": "gt", "model_output": "mo"}
    assert J.judge_prompt(inputs, StandIn()) == "REFERENCE JUDGE gt / mo"
    assert J.judge_prompt(inputs) == J.build_judge_prompt(inputs)
    seen = []

    async def call(prompt):
        seen.append(prompt)
        return SCORES

    res = asyncio.run(J.judge_one(inputs, call, pause=0, reference=StandIn()))
    assert seen == ["REFERENCE JUDGE gt / mo"] and res.average == 7.0


def test_our_judge_prompt_carries_the_benchmarks_rubric():
    text = J.build_judge_prompt({"user_profile": "PROFILE", "context": "CONTEXT", "ground_truth": "TRUTH",
                                 "model_output": "OUTPUT"})
    for needle in ("User Profile**: PROFILE", "Current Context**: CONTEXT", "TRUTH", "OUTPUT",
                   "Intent Fidelity", "Persona & Tone Mimicry", "Knowledge Boundary", "Semantic Alignment",
                   "from 1 to 10", "- 10:", "- 5:", "- 1:", "raw JSON", '"intent_fidelity": <1-10>',
                   "markdown code blocks"):
        assert needle in text
    assert "customer service" not in text.lower()   # no context the benchmark does not give


def test_context_extraction_prefers_the_benchmarks_pattern():
    prompt = ("## 输入一：用户画像\n说明\n女\n## 输入二：历史\n"
              "## 输入三：当前客服对话场景\n对话：用户: 站在这个用户的角度看\n站在这个用户的角度也行\n\n"
              "请你站在这个用户的角度，预测")
    got = J.judge_inputs(prompt, "a", "b")
    # the benchmark cuts at the request sentence that starts with 请你, not at an earlier line
    assert got["context"].endswith("站在这个用户的角度也行") and got["user_profile"] == "说明\n女"


def test_eval_judge_has_its_own_endpoint(tmp_path, capsys):
    path = _trace(tmp_path)
    with DevServer(default="能换一个新的吗") as model_srv, DevServer(default=SCORES) as judge_srv:
        rc = main(["eval", str(path), "--model", "openai/dev-model", "--api-base", model_srv.base_url,
                   "--judge-model", "openai/judge", "--judge-api-base", judge_srv.base_url,
                   "--users", "u1", "--all-events", "--out", str(tmp_path / "o"), "--no-cache", "--no-biases",
                   "--extra-body", '{"chat_template_kwargs": {"enable_thinking": false}}'])
        model_bodies = [r.body for r in model_srv.completion_requests()]
        judge_bodies = [r.body for r in judge_srv.completion_requests()]
    capsys.readouterr()
    assert rc == 0
    assert model_bodies and all(b["model"] == "dev-model" for b in model_bodies)
    assert all(b["chat_template_kwargs"] == {"enable_thinking": False} for b in model_bodies)
    assert len(judge_bodies) == 3 and all(b["model"] == "judge" for b in judge_bodies)
    assert all("max_tokens" not in b and "chat_template_kwargs" not in b for b in judge_bodies)
    report = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    assert report["models"]["openai/dev-model"]["llm_judge_metrics"]["average_score"] == 7.0
    assert report["settings"]["token_counter"] == {"kind": "approx"}


def test_eval_records_a_tokenizer_file(tmp_path, capsys):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(["a cat video", "evening show", "小米 手机"] * 10,
                            trainers.BpeTrainer(vocab_size=60, special_tokens=["[UNK]"]))
    tok_path = tmp_path / "tokenizer.json"
    tok.save(str(tok_path))
    user = _big_user("user_001", 40, seed=1)
    path = tmp_path / "t.json"
    path.write_text(json.dumps({user.user_id: {"user_profile": user.profile, "action_history": user.events}},
                               ensure_ascii=False), encoding="utf-8")
    rc = main(["eval", str(path), "--model", "baseline:user", "--n-per-user", "2", "--out", str(tmp_path / "o"),
               "--no-biases", "--tokenizer", str(tok_path)])
    capsys.readouterr()
    assert rc == 0
    settings = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))["settings"]
    assert settings["token_counter"]["kind"] == "tokenizer.json"
    assert settings["token_counter"]["path"] == str(tok_path.resolve())



def test_eval_rejects_bad_extra_body(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["eval", str(tmp_path / "x.json"), "--model", "m", "--extra-body", "[1]"])
    assert exc.value.code == 2 and "must be a JSON object" in capsys.readouterr().err


def test_eval_reference_mode_judges_with_the_checkouts_judge_prompt(tmp_path, capsys):
    from pathlib import Path

    standin = Path(__file__).resolve().parents[1] / "fixtures" / "benchmark_standin"
    path = _trace(tmp_path)
    with DevServer(default="能换一个新的吗") as model_srv, DevServer(default=SCORES) as judge_srv:
        rc = main(["eval", str(path), "--model", "openai/dev-model", "--api-base", model_srv.base_url,
                   "--judge-model", "openai/judge", "--judge-api-base", judge_srv.base_url,
                   "--users", "u1", "--all-events", "--out", str(tmp_path / "o"), "--no-cache", "--no-biases",
                   "--reference", str(standin)])
        judge_prompts = [r.prompt for r in judge_srv.completion_requests()]
    capsys.readouterr()
    assert rc == 0 and len(judge_prompts) == 3
    assert all(p.startswith("STANDIN JUDGE ") for p in judge_prompts)
    assert all('"ground_truth": "烧水的时候一直漏水，怎么回事"' in p for p in judge_prompts)


def test_malformed_counts_are_warned_in_predictions_jsonl(tmp_path, capsys):
    """An ad whose activation count is text: the benchmark stops on it; the run goes on and says so."""
    ad = {"type": "Advertisement", "timestamp": "2025-10-03", "context": {"product": "game", "show_cnt": 1},
          "action": [{"type": "watch", "is_complete_play": True}, {"type": "activation", "activation_cnt": "2"}]}
    path = tmp_path / "ad.json"
    path.write_text(json.dumps({"u1": {"user_profile": "女。", "action_history": [video(day(9, 2)), {**ad, "timestamp": "2025-09-03", "action": [{"type": "watch"}]}, ad]}},
                               ensure_ascii=False), encoding="utf-8")
    rc = main(["eval", str(path), "--model", "baseline:user", "--users", "u1", "--all-events",
               "--out", str(tmp_path / "o"), "--no-biases"])
    capsys.readouterr()
    rows = [json.loads(line) for line in (tmp_path / "o" / "predictions.jsonl").read_text().splitlines()]
    act = next(r for r in rows if r["field"] == "ad_activated")
    assert rc == 0 and act["true_value"] == 1
    assert "activation_cnt" in act["warnings"][0] and "benchmark" in act["warnings"][0]
    assert all("warnings" not in r for r in rows if r["field"] != "ad_activated")
