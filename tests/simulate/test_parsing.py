"""Answer parsing: the benchmark's result for every case, table-driven (None = the benchmark fails it)."""

from __future__ import annotations

import math

import pytest

from workbench.simulate.parsing import (BENCHMARK, LENIENT, ParseOptions, clean_text, parse_answer,
                                        parse_binary, parse_continuous, parse_text, strip_think)

DIRECT = [
    ("Yes", 1), ("no", 0), ("YES", 1), ("nO", 0), (" Y E S ", 1), ("N\nO", 0), ("Yes.", 1), ("yes!", 1),
    ("Yes, definitely", 1), ("Nope", 0), ("Not sure, yes", 0), ("No, yes", 0), ("I think yes", 1),
    ("Answer: no.", 0), ("'Yes'", 1), ('"No"', 0), ('"Yes', 1), ("Yes'", 1), ("「Yes」", 1), (", no", 0),
    ("Well... probably not, but yes", 0), ("Thinking about it carefully: yes", 1),
    ("Hmm, hmm, hmm, hmm, hmm: no", 0), ("Unknown. Yes", 1), ("Considering the history, I would say yes", 1),
    ("After careful consideration of everything, NO", 0), ("After careful consideration of everything, Yes", 1),
    # a whole-word answer is only found in the spellings yes/YES/Yes and no/NO/No
    ("After careful consideration of everything, yEs", None), ("After careful consideration: nO", None),
    # think tags: lower-case only, crossed pairs removed, an unterminated opening tag eats the rest
    ("<think>no no no</think>Yes", 1), ("<thinking>yes</thinking>\nNo", 0), ("<think>yes</thinking>No", 0),
    ("<thinking>x</think>Yes", 1), ("Yes<think>", 1), ("<think>unterminated yes", None),
    ("<THINK>Yes, maybe</THINK>No", 1), ("<Think>x</Think>", None),
    ("", None), ("   ", None), ("maybe", None), ("是", None), ("否", None), ("Keyword: yes", 1),
]


@pytest.mark.parametrize("raw,label", DIRECT)
def test_binary_direct_mapping(raw, label):
    p = parse_binary(raw)
    assert p.method == "direct_mapping"
    if label is None:
        assert not p.ok and p.value is None and p.label is None and p.error
    else:
        assert p.ok and p.label == label and p.value == float(label)


def _softmax(y, n):
    return math.exp(y) / (math.exp(y) + math.exp(n))


TOP = [("Yes", -0.1), ("No", -2.5)]
LOGPROBS = [
    # (raw, top-5 of the first token, expected label, expected value; label None = failure)
    ("Yes", TOP, 1, _softmax(-0.1, -2.5)), ("No", TOP, 0, _softmax(-0.1, -2.5)),
    ("YES", TOP, 1, _softmax(-0.1, -2.5)), ("**No**.", TOP, 0, _softmax(-0.1, -2.5)),
    ("`Yes`", TOP, 1, _softmax(-0.1, -2.5)), ("_yes_", TOP, 1, _softmax(-0.1, -2.5)),
    ("~~No~~", TOP, 0, _softmax(-0.1, -2.5)), ("  Yes.  ", TOP, 1, _softmax(-0.1, -2.5)),
    ("<think>x</think>No", TOP, 0, _softmax(-0.1, -2.5)),
    # no quote or prefix cleaning, no backslash removal in this mode
    ("'Yes'", TOP, None, None), ('"No"', TOP, None, None), ("Keyword: Yes", TOP, None, None),
    ("Yes\\", TOP, None, None), ("No!", TOP, None, None), (" y e s ", TOP, None, None),
    ("Yes, I would", TOP, None, None), ("<THINK>x</THINK>No", TOP, None, None), ("", TOP, None, None),
    # the tokens: exact spelling; a repeated token keeps its last value until both were seen
    ("Yes", [("Yes", -0.1), ("Yes", -3.0), ("No", -1.0)], 1, _softmax(-3.0, -1.0)),
    ("Yes", [("No", -1.0), ("Yes", -0.5), ("Yes", -4.0)], 1, _softmax(-0.5, -1.0)),
    ("No", [("No", -0.01), ("no", -5.0)], 0, 0.0), ("Yes", [(" Yes", -0.1), (" No", -2.0)], 1, 1.0),
    ("Yes", [("yes", -0.1), ("no", -2.0)], 1, 1.0), ("Yes", None, 1, 1.0), ("No", [], 0, 0.0),
    ("Yes", [("Yes", None), ("No", -1.0)], 1, 1.0),
    # both alternatives so unlikely that e^y + e^n is 0: the benchmark's arithmetic fails
    ("Yes", [("Yes", -1000.0), ("No", -1000.0)], None, None),
]


@pytest.mark.parametrize("raw,top,label,value", LOGPROBS)
def test_binary_logprobs(raw, top, label, value):
    p = parse_binary(raw, top, use_logprobs=True)
    assert p.method == "logprobs"
    if label is None:
        assert not p.ok and p.value is None and p.error
    else:
        assert p.ok and p.label == label and p.value == value   # bit-identical arithmetic


def test_logprobs_reported_beside_the_answer():
    p = parse_binary("Yes", [("Yes", -0.1), ("Yes", -3.0), ("No", -1.0)], use_logprobs=True)
    assert (p.logprob_yes, p.logprob_no) == (-3.0, -1.0)
    hard = parse_binary("No", [("No", -0.2)], use_logprobs=True)
    assert (hard.logprob_yes, hard.logprob_no) == (None, -0.2)


CONTINUOUS = [
    ("42", 42.0), ("-5", -5.0), ("1e3", 1000.0), ("inf", math.inf), ("1_000", 1000.0), (" 12 ", 12.0),
    ("大约30秒", 30.0), ("30 秒", 30.0), ("2分钟", 120.0), ("1.5分钟", 90.0), ("45 seconds", 45.0),
    ("45s", 45.0), ("45 S", 45.0), ("1 second", 1.0), ("10 sec", 10.0), ("3 min", 180.0), ("5mins", 300.0),
    ("5 Minutes", 300.0), ("2MIN", 120.0), ("1 minute", 60.0), ("1 min 30 s", 30.0),
    ("2 mins 30 secs", 30.0), ("1,200", 1.0), ("看 15 左右", 15.0), ("<think>99</think>7", 7.0),
    ("about 5.", 5.0), ("3 hours", 3.0), ("-7秒", 7.0), ("1.5.2", 1.5), ("1e3s", 3.0),
    ("<THINK>60</THINK>5", 60.0), ("<think>x</thinking>8", 8.0), ("20秒，也就是1分钟", 20.0),
    ("不知道", None), ("", None), ("<think>5", None), ("五秒", None), ("   ", None),
]


@pytest.mark.parametrize("raw,value", CONTINUOUS)
def test_continuous(raw, value):
    p = parse_continuous(raw)
    assert p.method == "continuous"
    if value is None:
        assert not p.ok and p.value is None and p.error
    else:
        assert p.ok and p.value == value and p.label == value


def test_continuous_nan_is_a_number():
    p = parse_continuous("nan")
    assert p.ok and math.isnan(p.value)


TEXT = [
    ('"小米手机"', "小米手机"), ("「耳机」", "耳机"), ("『耳机』", "耳机"), ("'耳机'", "耳机"),
    ("搜索关键词：蓝牙耳机", "蓝牙耳机"), ("搜索关键词:蓝牙耳机", "蓝牙耳机"), ("关键词:猫粮", "猫粮"),
    ("搜索： 手机壳", "手机壳"), ("Keyword: cat food", "cat food"), ("keyword: cat food", "cat food"),
    ("KEYWORDS: x", "x"), ("SEARCH: x", "x"), ("Search:Search: x", "Search: x"),
    ("'stray", "stray"), ("stray'", "stray"), ('""手机', "手机"), ('"""手机', "手机"), ('""手机""', '"手机"'),
    ('"手机', "手机"), (", 手机", "手机"), ("手机, ", "手机,"), ("「手机", "手机"), ("手机」", "手机"),
    ("「手机』", "手机"), ("'手机\"", "手机"), ('搜索："耳机"', '"耳机'), ('「"手机"」', '"手机"'),
    ("“curly”", "“curly”"), ("‘curly’", "‘curly’"),
    ("<thinking>hmm</thinking> 你好，我的快递呢", "你好，我的快递呢"),
    ("<THINK>x</THINK>你好", "<THINK>x</THINK>你好"), ("<think>a</thinking>你好", "你好"),
    ('"', None), ('""', None), ("   ", None), ("", None), ("<think>only thoughts", None), ("「」", None),
]


@pytest.mark.parametrize("raw,text", TEXT)
def test_text(raw, text):
    p = parse_text(raw)
    assert p.method == "text"
    if text is None:
        assert not p.ok and p.value is None
    else:
        assert p.ok and p.value == text == p.label


@pytest.mark.parametrize("raw,expected", [
    ("a<think>b</think>c", "ac"), ("a<thinking>b</thinking>c", "ac"), ("a<think>b</thinking>c", "ac"),
    ("a<thinking>b</think>c", "ac"), ("a<think>b", "a"), ("a<thinking>b", "a"), ("  x  ", "x"),
    ("a<THINK>b</THINK>c", "a<THINK>b</THINK>c"), ("a<think>b</think>c<think>d</think>e", "ace"),
    ("<think>\nmulti\nline\n</think>\nYes", "Yes"), ("", ""), (None, ""),
])
def test_strip_think(raw, expected):
    assert strip_think(raw) == expected


def test_lenient_options_are_named_and_off_by_default():
    assert BENCHMARK == ParseOptions() and not BENCHMARK.lenient and LENIENT.lenient
    assert parse_binary("<THINK>Yes, maybe</THINK>No", options=ParseOptions(think_tags_any_case=True)).label == 0
    assert parse_continuous("<THINK>60</THINK>5", options=LENIENT).value == 5.0
    assert parse_text("“手机”", options=ParseOptions(curly_quotes=True)).value == "手机"
    assert clean_text("‘手机’", LENIENT) == "手机"
    assert parse_binary("是", options=ParseOptions(chinese_yes_no=True)).label == 1
    assert parse_binary("否", options=LENIENT).label == 0
    assert not parse_binary("是").ok


def test_parse_answer_dispatch():
    assert parse_answer("binary", "Yes").label == 1
    assert parse_answer("binary", "Yes", [("Yes", -1.0), ("No", -1.0)], True).value == 0.5
    assert parse_answer("continuous", "5mins").value == 300.0
    assert parse_answer("text", "Keyword: 鞋").value == "鞋"
