"""Reference mode against our stand-in checkout (tests/fixtures/benchmark_standin), the history
selection and costing, the rolling-history rule, target truncation and ``workbench prompt-diff``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.simulate import events as E
from workbench.cli import main
from workbench.simulate.prompts import build_prompt, fit_target
from workbench.simulate.questions import questions_for_event
from workbench.simulate.reference import CheckoutError, load_reference
from workbench.simulate.tokens import approx_tokens

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STANDIN = FIXTURES / "benchmark_standin"


def q(event, field):
    return next(x for x in questions_for_event(event) if x.field == field)


@pytest.fixture
def standin(tmp_path):
    """A fresh copy (so the loader's cache and the git test do not share state)."""
    dst = tmp_path / "checkout"
    shutil.copytree(STANDIN, dst)
    return dst


def test_loading_leaves_sys_modules_and_path_alone(standin, monkeypatch):
    ours = type(sys)("config")
    monkeypatch.setitem(sys.modules, "config", ours)           # a module of ours with a clashing name
    before, path = set(sys.modules), list(sys.path)
    ref = load_reference(standin)
    assert sys.modules["config"] is ours and sys.path == path
    assert not [n for n in set(sys.modules) - before if "action_types" in n or "prompt_builder" in n]
    assert ref.builder.STANDIN_MARKER == "stand-in"            # its own config was used inside it
    assert ref.judge_prompt({"user_profile": "p"}).startswith("STANDIN JUDGE")
    assert sys.modules["config"] is ours and sys.path == path
    assert "metrics" not in set(sys.modules) - before


@pytest.mark.parametrize("breakage, message", [
    ("missing", "no such folder"),
    ("empty", "not a checkout of the benchmark"),
    ("renamed", "another version of the benchmark (src/models/prompt_builder.py has no function "
                "build_single_text_prompt)"),
    ("signature", "another version of the benchmark (src/models/prompt_builder.py: get_actual_used_history"),
    ("package", "needs the Python package 'a_package_nobody_installed'"),
])
def test_one_line_errors(standin, tmp_path, breakage, message):
    builder = standin / "src/models/prompt_builder.py"
    text = builder.read_text()
    if breakage == "missing":
        standin = tmp_path / "nowhere"
    elif breakage == "empty":
        standin = tmp_path / "empty"
        standin.mkdir()
    elif breakage == "renamed":
        builder.write_text(text.replace("def build_single_text_prompt(", "def build_text_prompt("))
    elif breakage == "signature":
        builder.write_text(text.replace("def get_actual_used_history(action_history, max_history_tokens=None,",
                                        "def get_actual_used_history(history, max_history_tokens=None,"))
    else:
        builder.write_text("import a_package_nobody_installed\n" + text)
    with pytest.raises(CheckoutError) as err:
        load_reference(standin)
    assert message in str(err.value) and "\n" not in str(err.value)
    rc = main(["predict", str(FIXTURES / "quirks_en.json"), "--user", "user_0001", "--event", "10",
               "--model", "baseline:user", "--reference", str(standin)])
    assert rc == 2


def test_git_commit_is_recorded(standin):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    run = {"cwd": standin, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q"], **run)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A"], **run)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"], **run)
    head = subprocess.run(["git", "rev-parse", "HEAD"], **run, text=True).stdout.strip()
    assert load_reference(standin).describe() == {"prompt_source": "reference", "path": str(standin.resolve()),
                                                   "commit": head}


def _trace():
    evs = E.trace(12) + [E.video(play=0, ts="2025-09-20 00:00:00"), E.ad(), E.search(), E.service()]
    return list(enumerate(evs))


def test_reference_prompt_and_history_are_the_checkouts_own(standin):
    ref = load_reference(standin)
    hist = _trace()
    target = E.video(ts="2025-10-02 08:00:00", caption="目标")
    for budget in (4000, 6000):
        p = build_prompt("甲。乙", hist, target, q(target, "video_liked"), max_history_tokens=budget, reference=ref)
        assert p.source == "reference" and p.text.startswith("STANDIN ROLE")
        # the kept set is what the checkout's own selection kept: its count is in its header line,
        # and it is the newest events its own filter lets through
        shown = int(re.search(r"^HISTORY (\d+) ", p.text, re.M).group(1))
        unfiltered = [i for i, e in hist if not ref.builder.should_filter_action(e)]
        assert 0 < len(p.history_event_indices) == shown <= len(unfiltered)
        assert budget > 4000 or shown < len(unfiltered)
        assert list(p.history_event_indices) == unfiltered[-shown:]
        assert p.tokens == approx_tokens(p.text)
    with pytest.raises(ValueError, match="memory truncate"):
        build_prompt("", hist, target, q(target, "video_liked"), memory="retrieve", reference=ref)


def test_our_selection_equals_the_checkouts_with_the_same_block_costs(standin):
    """Our selection rule and costing (newest first, stop at the first misfit, blocks costed with
    their trailing newline against the budget left by the empty-history prompt) equal the
    checkout's own selection when fed the checkout's block texts."""
    from workbench.simulate.filters import is_filtered

    ref = load_reference(standin)
    b = ref.builder
    hist = _trace()
    for budget in (300, 900, 2500, 10 ** 6):
        ours, total = [], 0
        for i, e in reversed([(i, e) for i, e in hist if not b.should_filter_action(e)]):
            cost = approx_tokens(b._block(e, "#"))
            if total + cost > budget:
                break
            ours.insert(0, i)
            total += cost
        b.estimate_token_count, saved = approx_tokens, b.estimate_token_count
        try:
            theirs = b.get_actual_used_history([e for _, e in hist], budget)["actual_used_actions"]
        finally:
            b.estimate_token_count = saved
        assert [hist[i][1] for i in ours] == theirs
    assert any(is_filtered(e) for _, e in hist)


def test_our_costing_matches_the_block_as_the_benchmark_costs_it():
    """Our own mode: each event costs its label-free block WITH the trailing newline."""
    from workbench.simulate.prompts import _T, TEMPLATE_MARGIN, _render, short_profile
    from workbench.simulate.render import event_block

    hist = _trace()
    target = E.video(ts="2025-10-02 08:00:00")
    question = q(target, "video_liked")
    p = build_prompt("甲。乙", hist, target, question, max_history_tokens=4000)
    T = _T["zh"]
    room = 4000 - approx_tokens(_render("binary", T, short_profile("甲。乙"), "", target, question, "zh")) \
        - TEMPLATE_MARGIN
    costs = [approx_tokens(event_block(hist[i][1], T["label0"])) for i in p.history_event_indices]
    assert all(event_block(hist[i][1], T["label0"]).endswith("\n") for i in p.history_event_indices)
    assert sum(costs) <= room
    older = [i for i, e in hist if i < p.history_event_indices[0] and not e["action"][0].get("play_duration") == 0]
    nxt = approx_tokens(event_block(hist[older[-1]][1], T["label0"]))
    assert sum(costs) + nxt > room                                     # the next older one did not fit
    assert f"约 {sum(costs)} tokens" in p.text


def test_rolling_history_rule():
    from workbench.simulate.memory import rolling_history

    evs = [{"timestamp": t} for t in ("2025-08-31 10:00:00", "2025-09-02 10:00:00", "2025-09-30",
                                      "2025-09-30 09:28:22", "2025-10-02 10:00:00", "2025-10-03 10:00:00",
                                      "2025-10-04 10:00:00")]
    events = list(enumerate(evs))
    hist, rule = rolling_history(events, 5)
    assert hist == [1, 2, 4] and rule.startswith("benchmark rolling history")   # 08-31 and 09-30 timed out
    hist, rule = rolling_history(events, 3)
    assert hist == [0, 1, 2] and rule.startswith("every earlier event (outside the test window")
    with pytest.raises(ValueError):
        rolling_history(events, 99)


def test_predict_json_says_which_rule_chose_the_history(capsys):
    trace = str(FIXTURES / "quirks_en.json")
    rc = main(["predict", trace, "--user", "user_0001", "--event", "10", "--model", "baseline:user", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["history_rule"].startswith(("benchmark rolling", "every earlier"))
    assert out["prompt_source"] == {"prompt_source": "ours", "path": None, "commit": None,
                                   "token_counter": {"kind": "approx"}}
    rc = main(["predict", trace, "--user", "user_0001", "--event", "10", "--model", "baseline:user", "--json",
               "--reference", str(STANDIN)])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["prompt_source"]["prompt_source"] == "reference"


# -- a target larger than the budget ----------------------------------------------------------------

@pytest.mark.parametrize("budget", [4000, 0])
def test_huge_target_is_cut_field_by_field_and_says_so(budget):
    huge = E.video(ts="2025-10-02 08:00:00", caption="长" * 200_000, asr="话" * 9000)
    hist = _trace()
    for question in questions_for_event(huge):
        p = build_prompt("甲", hist, huge, question, max_history_tokens=budget)
        limit = budget or 128000
        assert p.tokens <= limit and "caption" in p.truncated_fields
        assert "这一项过长，后面的内容已截去" in p.text
    small = E.video(ts="2025-10-02 08:00:00")
    assert build_prompt("甲", hist, small, q(small, "video_liked")).truncated_fields == ()


def test_huge_dialogue_target_and_profile_are_cut(standin):
    svc = E.service()
    svc["context"]["product_name"] = "货" * 100_000
    p = build_prompt("画像" * 50_000, _trace(), svc, q(svc, "next_user_message"), max_history_tokens=8000)
    assert p.tokens <= 8000 and set(p.truncated_fields) >= {"product_name"}
    ref = load_reference(standin)
    big = E.video(ts="2025-10-02 08:00:00", caption="长" * 50_000)
    pr = build_prompt("甲", _trace(), big, q(big, "video_liked"), max_history_tokens=4000, reference=ref)
    assert pr.tokens <= 4000 and pr.truncated_fields == ("caption",)


def test_cut_prefers_a_sentence_end():
    from workbench.simulate.prompts import cut_to_tokens

    text = "第一句话。" * 100 + "没有句号的尾巴" * 100
    out = cut_to_tokens(text, 600, approx_tokens, "[截]")
    assert out.endswith("。[截]") and approx_tokens(out) <= 600 + approx_tokens("[截]")
    profile, target, cut = fit_target("p", {"context": {"a": "x" * 10}}, lambda p, t: 10, 4000, approx_tokens, "M")
    assert cut == () and target == {"context": {"a": "x" * 10}}


# -- prompt-diff ------------------------------------------------------------------------------------

def test_prompt_diff_marks_lines_and_exit_codes(capsys, standin):
    trace = str(FIXTURES / "quirks_en.json")
    rc = main(["prompt-diff", trace, "--user", "user_0001", "--event", "10", "--reference", str(standin),
               "--field", "ad_liked"])
    out = capsys.readouterr().out
    assert rc == 1 and "ad_liked: DIFFERENT" in out and " | " in out and "0 of 1 prompts equal" in out
    # a checkout whose builder renders exactly our prompt: every prompt equal, exit 0
    builder = standin / "src/models/prompt_builder.py"
    builder.write_text(builder.read_text() + '''

def _ours(user_profile, action_history, test_action, question_info, max_history_tokens=None, max_history_days=None):
    from workbench.simulate.prompts import build_prompt
    from workbench.simulate.questions import questions_for_event
    from workbench.simulate.tokens import approx_tokens
    qq = next(x for x in questions_for_event(test_action) if x.field == question_info["field"])
    hist = list(enumerate(action_history))
    p = build_prompt(user_profile, hist, test_action, qq, max_history_tokens=max_history_tokens)
    get_actual_used_history([action_history[i] for i in p.history_event_indices], 10 ** 9)
    return {"prompt": p.text}

build_single_binary_prompt = build_single_continuous_prompt = build_single_text_prompt = _ours
''')
    rc = main(["prompt-diff", trace, "--user", "user_0001", "--event", "10", "--reference", str(standin)])
    out = capsys.readouterr().out
    assert rc == 0 and "DIFFERENT" not in out and "5 of 5 prompts equal" in out and " | " not in out
    assert main(["prompt-diff", trace, "--user", "nobody", "--event", "1", "--reference", str(standin)]) == 2


def test_diff_rows_tags():
    from workbench.simulate.prompt_diff import diff_rows, side_by_side

    rows = diff_rows("a\nb\nc\nd", "a\nB\nc\nd\ne")
    assert [r[0] for r in rows] == [" ", "|", " ", " ", ">"]
    text = side_by_side(rows, 40, only_changes=True)
    assert text.splitlines()[0].startswith("b") and "| B" in text and len(text.splitlines()) == 2
