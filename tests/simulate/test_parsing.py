"""Answer parsing exactly per PROTOCOL 3.8."""

from __future__ import annotations

import math

import pytest

from workbench.simulate.parsing import clean_text, parse_binary, parse_continuous, parse_text, strip_think


@pytest.mark.parametrize("raw,label", [
    ("Yes", 1), ("no", 0), (" Y E S ", 1), ("Yes, definitely", 1), ("Nope", 0), ("Not sure, yes", 0),
    ("I think yes", 1), ("Answer: no.", 0), ("'Yes'", 1), ("<think>no no no</think>Yes", 1),
    ("Well... probably not, but yes", 0), ("Thinking about it carefully: yes", 1),
    ("Hmm, hmm, hmm, hmm, hmm: no", 0)])
def test_binary_direct_mapping(raw, label):
    p = parse_binary(raw)
    assert p.ok and p.label == label and p.value == float(label) and p.method == "direct_mapping"


@pytest.mark.parametrize("raw", ["是", "否", "", "maybe", "<think>Yes"])
def test_binary_direct_failures(raw):
    p = parse_binary(raw)
    assert not p.ok and p.value is None and p.error


def test_binary_logprobs_probability_and_fallbacks():
    p = parse_binary("Yes", [("Yes", -0.1), ("No", -2.5), (" Yes", -3.0)], use_logprobs=True)
    expected = math.exp(-0.1) / (math.exp(-0.1) + math.exp(-2.5))
    assert p.ok and p.label == 1 and p.value == pytest.approx(expected) and p.method == "logprobs"
    no = parse_binary("**No**.", [("No", -0.2), ("Yes", -1.8)], use_logprobs=True)
    assert no.label == 0 and no.value == pytest.approx(math.exp(-1.8) / (math.exp(-1.8) + math.exp(-0.2)))
    hard = parse_binary("No", [("No", -0.01), ("no", -5.0)], use_logprobs=True)   # "Yes" missing
    assert hard.ok and hard.value == 0.0 and hard.label == 0
    assert parse_binary("Yes", None, use_logprobs=True).value == 1.0
    assert not parse_binary("Yes, I would", [("Yes", -0.1), ("No", -2)], use_logprobs=True).ok


@pytest.mark.parametrize("raw,value", [
    ("42", 42.0), ("-5", -5.0), ("1e3", 1000.0), ("大约30秒", 30.0), ("2分钟", 120.0), ("45 seconds", 45.0),
    ("3 min", 180.0), ("1 min 30 s", 30.0), ("1,200", 1.0), ("看 15 左右", 15.0), ("<think>99</think>7", 7.0)])
def test_continuous(raw, value):
    p = parse_continuous(raw)
    assert p.ok and p.value == value


def test_continuous_nan_and_failure():
    assert math.isnan(parse_continuous("nan").value)
    assert not parse_continuous("不知道").ok


@pytest.mark.parametrize("raw,text", [
    ('"小米手机"', "小米手机"), ("「耳机」", "耳机"), ("搜索关键词：蓝牙耳机", "蓝牙耳机"), ("关键词:猫粮", "猫粮"),
    ("Keyword: cat food", "cat food"), ("'stray", "stray"), ("“curly”", "“curly”"),
    ("<thinking>hmm</thinking> 你好，我的快递呢", "你好，我的快递呢")])
def test_text_cleaning(raw, text):
    p = parse_text(raw)
    assert p.ok and p.value == text


def test_text_failure_and_helpers():
    assert not parse_text('""').ok and not parse_text("   ").ok
    assert strip_think("a<think>b</think>c<THINKING>d") == "ac"
    assert clean_text("搜索：手机") == "手机"
