"""Point 4 (export options): pseudonymous ids, coarse timestamps, secret scrubbing."""

from __future__ import annotations

import re
from datetime import datetime

from hypothesis import given, settings, strategies as st

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
