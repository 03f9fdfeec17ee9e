"""Token counters: the benchmark's character fallback, litellm's counter and a user's tokenizer.json
(a small BPE tokenizer trained here, in tmp, with the ``tokenizers`` library)."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.simulate import events as E
from workbench.cli import main
from workbench.simulate.prompts import build_prompt
from workbench.simulate.questions import questions_for_event
from workbench.simulate.tokens import (TokenizerError, approx_tokens, check_counter, count_tokens,
                                       describe_counter, get_counter)

SENTENCES = ["这是一个标题为猫咪跳舞的视频", "用户在搜索框中输入了关键词 猫粮", "观看了 1 分 20 秒",
             "The user liked the video and shared it twice.", "时间：2025-09-03 21:14:05 场景：视频浏览"] * 20


@pytest.fixture(scope="module")
def tokenizer_json(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(SENTENCES, trainers.BpeTrainer(vocab_size=120, special_tokens=["[UNK]"]))
    path = tmp_path_factory.mktemp("tok") / "tokenizer.json"
    tok.save(str(path))
    return path


@pytest.mark.parametrize("text,expected", [
    ("", 0), ("abc", 1), ("猫", 1), ("猫猫", 3), ("，。", 1), ("hello 世界", int(1.5 * 2 + 0.65 * 6)),
    ("时间：2025-09-03", int(1.5 * 2 + 0.65 * 11)), ("\u4e00\u9fff\u3400", int(1.5 * 2 + 0.65)),
])
def test_approx_is_the_benchmark_formula(text, expected):
    assert approx_tokens(text) == expected == count_tokens(text)


def test_tokenizer_file_counts_ids(tokenizer_json):
    from tokenizers import Tokenizer

    ref = Tokenizer.from_file(str(tokenizer_json))
    count = get_counter(str(tokenizer_json))
    for text in SENTENCES[:5] + ["完全没见过的句子 zebra", ""]:
        assert count(text) == len(ref.encode(text).ids)
    # a folder holding tokenizer.json names the same counter
    assert get_counter(str(tokenizer_json.parent))("猫咪跳舞的视频") == count("猫咪跳舞的视频")
    # and it is really a different counter from the fallback
    assert count(SENTENCES[0]) != approx_tokens(SENTENCES[0])


def test_bad_counter_names_are_one_line_errors(tmp_path):
    with pytest.raises(TokenizerError, match="no such file"):
        get_counter(str(tmp_path / "missing.json"))
    bad = tmp_path / "tokenizer.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(TokenizerError, match="not a Hugging Face tokenizer.json"):
        check_counter(str(bad))
    assert check_counter("approx") == "approx" and check_counter("litellm") == "litellm"


def test_describe_counter_records_the_file(tokenizer_json):
    assert describe_counter("approx") == {"kind": "approx"}
    assert describe_counter("litellm", "openai/x") == {"kind": "litellm", "model": "openai/x"}
    d = describe_counter(str(tokenizer_json))
    assert d["kind"] == "tokenizer.json" and d["path"] == str(tokenizer_json.resolve())
    assert d["sha256"] == hashlib.sha256(tokenizer_json.read_bytes()).hexdigest()


def test_prompt_budget_uses_the_tokenizer_file(tokenizer_json):
    history = list(enumerate(E.trace(4)))
    target = E.video(ts="2025-09-20 08:00:00")
    q = questions_for_event(target)[0]
    p = build_prompt("女", history, target, q, max_history_tokens=4000, tokenizer=str(tokenizer_json))
    assert p.tokens == count_tokens(p.text, str(tokenizer_json)) != approx_tokens(p.text)


def test_predict_cli_accepts_a_tokenizer_path(tokenizer_json, tmp_path, capsys):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"u1": {"user_profile": "女", "action_history": E.trace(2) + [E.search(
        ts="2025-09-20 08:00:00", keyword="猫粮")]}}, ensure_ascii=False), encoding="utf-8")
    rc = main(["predict", str(path), "--user", "u1", "--event", str(len(E.trace(2))), "--model", "baseline:user",
               "--tokenizer", str(tokenizer_json), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["prompt_source"]["token_counter"]["kind"] == "tokenizer.json"
    # no earlier search: the baseline cannot answer, so predict exits 1 and says why
    assert rc == 1 and [f["kind"] for f in data["failures"]] == ["no_history"]
    with pytest.raises(SystemExit) as exc:
        main(["predict", str(path), "--user", "u1", "--event", "0", "--model", "baseline:user",
              "--tokenizer", str(tmp_path / "nope.json")])
    assert exc.value.code == 2 and "nope.json" in capsys.readouterr().err


def test_dialogue_context_is_cut_with_the_runs_counter(tokenizer_json):
    """The benchmark costs the dialogue context (4,000 tokens) with the same counter as the history."""
    turns = [("user" if i % 2 == 0 else "assistant", "这是一个标题为猫咪跳舞的视频") for i in range(400)]
    turns.append(("user", "我的快递怎么还没到呢"))
    target = E.service(ts="2025-09-20 08:00:00", turns=turns)
    (q,) = questions_for_event(target)
    approx_kept = len(q.extra["dialogue_context"])
    assert q.extra["dialogue_omitted"] == 400 - approx_kept > 0
    p_approx = build_prompt("女", [], target, q, max_history_tokens=32000)
    p_file = build_prompt("女", [], target, q, max_history_tokens=32000, tokenizer=str(tokenizer_json))
    line = "用户: 这是一个标题为猫咪跳舞的视频"
    assert p_approx.text.count(line) == approx_kept // 2
    assert p_file.text.count(line) > p_approx.text.count(line)
