"""Point 4 (export options): pseudonymous ids, coarse timestamps, secret scrubbing."""

from __future__ import annotations

import re
from datetime import datetime

from hypothesis import example, given, settings, strategies as st

from workbench.annotate.redact import Redactor, coarsen_text, pseudonym, scrub_secrets


def test_coarsen_text_forms():
    s = "at 2025-09-03 21:14:05, 2025/9/3 08:05, 2026-11-22T05:14:03.120+00:00 and 2025-09-05; id 120250903211405"
    assert coarsen_text(s, "hour") == ("at 2025-09-03 21:00:00, 2025/9/3 08:00:00, 2026-11-22T05:00:00+00:00 "
                                       "and 2025-09-05; id 120250903211405")
    assert coarsen_text(s, "day") == "at 2025-09-03, 2025/9/3, 2026-11-22 and 2025-09-05; id 120250903211405"


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 1)), st.sampled_from(["hour", "day"]))
def test_coarsened_times_have_no_finer_part(dt, level):
    text = f"x {dt:%Y-%m-%d %H:%M:%S} y"
    out = coarsen_text(text, level)
    if level == "day":
        assert out == f"x {dt:%Y-%m-%d} y"
    else:
        assert out == f"x {dt:%Y-%m-%d %H}:00:00 y"


def test_pseudonyms_are_salted_and_stable():
    a = Redactor(pseudonymise=True, salt="pepper")
    b = Redactor(pseudonymise=True, salt="pepper")
    c = Redactor(pseudonymise=True, salt="other")
    assert a.user("user_0001") == b.user("user_0001") == pseudonym("user_0001", b"pepper")
    assert a.user("user_0001") != c.user("user_0001")
    assert re.fullmatch(r"u_[0-9a-f]{16}", a.user("user_0001"))
    assert a.user("user_0001") != a.user("user_0002")
    assert "pepper" not in repr(a)
    # random salt by default: two exports do not share pseudonyms
    assert Redactor(pseudonymise=True).user("x") != Redactor(pseudonymise=True).user("x")


def test_user_ids_replaced_inside_text_without_touching_longer_ids():
    r = Redactor(pseudonymise=True, salt="s")
    r.learn_users(["user_1", "user_12"])
    out = r.text("user_1 met user_12 and user_123")
    assert out == f"{r.user('user_1')} met {r.user('user_12')} and user_123"


def test_case_redaction_reaches_every_slot(sample_cases):
    r = Redactor(pseudonymise=True, salt="s", coarsen="day")
    out = r.cases(sample_cases)
    blob = repr([c.to_dict() for c in out])
    assert "user_0001" not in blob and "user_0002" not in blob
    assert not re.search(r"\d{2}:\d{2}", blob)
    assert out[0].source == "{}.json".format(r.user("user_0001"))  # folder dropped, id in name replaced
    assert out[0].neighbours[0]["context"]["upload_timestamp"] == "2025-08-30"
    assert out[0].event["timestamp"] == "2025-09-03"
    assert out[1].event["context"]["pay_order_time"] == "2025-09-01"
    assert out[2].start_ts == "2025-09-03" and out[2].end_ts == "2025-09-04"


def test_secret_scrubbing():
    key = "sk-proj-" + "A1b2C3d4" * 5
    text = f"my key is {key} and Bearer abcdefghijklmnopqrstuvwx and sk-ant-api03-xyzxyzxyzxyz ok"
    out = scrub_secrets(text, ["weird-custom-secret-123"])
    assert key not in out and "abcdefghijklmnop" not in out and "xyzxyz" not in out and out.endswith("ok")
    assert scrub_secrets("use weird-custom-secret-123 here", ["weird-custom-secret-123"]) == \
        "use [redacted secret] here"
    assert scrub_secrets("ask-me-anything and skate") == "ask-me-anything and skate"


def test_ids_next_to_chinese_underscore_and_letters_are_replaced():
    r = Redactor(pseudonymise=True, salt="s")
    r.learn_users(["user_0001", "user_0002"])
    p1, p2 = r.user("user_0001"), r.user("user_0002")
    out = r.text("用户user_0001的订单; user_0001_v2.json; xuser_0002y; (user_0002)；user_0001，好")
    assert out == f"用户{p1}的订单; {p1}_v2.json; x{p2}y; ({p2})；{p1}，好"
    # a longer number is a different id: user_00012 is not user_0001 followed by "2"
    assert r.text("user_00012 and 9user_0002") == f"user_00012 and 9{p2}"


# Ids as datasets spell them: never pure hex (a pseudonym is "u_" + hex digits), never starting "u_".
_IDS = st.one_of(
    st.from_regex(r"user_[0-9]{1,6}", fullmatch=True),
    st.from_regex(r"(uid|usr|用户)-?[0-9A-Za-z]{2,10}", fullmatch=True),
    st.from_regex(r"[g-zG-Z][0-9A-Za-z_]{3,20}", fullmatch=True),
)
# Surrounding text: Chinese, Latin letters, "_", "-", punctuation, spaces, emoji, fullwidth forms.
# No ASCII digits, so an id never sits inside a longer number (tested separately above).
_FRAGMENT = st.text(alphabet=st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF),
    st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHXYZ_-. ,;:()[]{}\"'/\\\n\t，。！？：")),
    st.sampled_from(["😀", "👍", "\U0001F3FD", "＿", "ｕ", "０"])), max_size=12)


@settings(max_examples=300, deadline=None)
@example(ids=["user_000000", "uidsk"], pieces=[("", 1), ("-AAAAA", 0)])   # a key-shaped run of text
@given(ids=st.lists(_IDS, min_size=1, max_size=4, unique=True),
       pieces=st.lists(st.tuples(_FRAGMENT, st.integers(0, 3)), min_size=1, max_size=12))
def test_pseudonymisation_leaves_no_id_anywhere(ids, pieces):
    """Ids embedded in random Chinese and Latin text, touching letters, "_" and Chinese on both sides:
    none survives, and mapping the pseudonyms back gives the original text (nothing else changed but
    what secret scrubbing removes)."""
    r = Redactor(pseudonymise=True, salt="hypothesis")
    r.learn_users(ids)
    text = "".join(frag + ids[k % len(ids)] for frag, k in pieces)
    out = r.text(text)
    for uid in ids:
        assert uid not in out
    back = out
    for uid in sorted(ids, key=len):
        back = back.replace(r.user(uid), uid)
    # secret scrubbing runs first (text shaped like a key, "sk-" + 16 characters, is removed whole)
    assert back == scrub_secrets(text)


def test_case_with_ids_everywhere_is_fully_pseudonymised(sample_cases):
    from dataclasses import replace

    from workbench.annotate.model import Turn

    case = replace(sample_cases[1], source="/data/用户user_0001_traces/user_0001_v2.json",
                   note="用户user_0001的投诉，见user_0001_v2", prompt="历史: 用户user_0001在直播间",
                   transcript=(Turn("user", "我是user_0001啊"),),
                   event={"context": {"user_0001的备注": "user_0001_x"}, "timestamp": "2025-09-04 12:00:00"},
                   neighbours=({"event_index": 3, "note": "见user_0001。"},))
    r = Redactor(pseudonymise=True, salt="s")
    [out] = r.cases([case])
    blob = repr(out.to_dict())
    assert "user_0001" not in blob
    assert out.source == f"{r.user('user_0001')}_v2.json"
    assert out.note == f"用户{r.user('user_0001')}的投诉，见{r.user('user_0001')}_v2"
