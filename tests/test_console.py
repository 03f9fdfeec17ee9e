"""Terminal output of every command escapes control characters (paths, user ids, messages) through
one helper, :mod:`workbench.console`, and carries no secret; ``--json`` output stays valid JSON."""

from __future__ import annotations

import json
import sys

from tests.evaluate.test_sampling import _big_user
from workbench.cli import main
from workbench.console import safe

EVIL_ID = "user\x1b[2J\x1b]0;pwned\x07\u202e_01\x9b"
CONTROL = ["\x1b", "\x07", "\u202e", "\x9b", "\x00", "\r"]


def _trace(tmp_path, name="t\x1b[31mred.json"):
    u = _big_user(EVIL_ID, 30, seed=1)
    path = tmp_path / name
    path.write_text(json.dumps({EVIL_ID: {"user_profile": "p\x1b[5m", "action_history": u.events}},
                               ensure_ascii=False))
    return path


def _clean(text: str) -> bool:
    return not any(c in text for c in CONTROL)


def test_safe_escapes_and_redacts(monkeypatch):
    monkeypatch.setenv("ACME_API_KEY", "acme-canary-9911")
    got = safe("a\x1b[2Jb\tc\nd\x00e\u202ef\r acme-canary-9911")
    assert got == "a\\u001b[2Jb\tc\nd\\u0000e\\u202ef\\u000d [redacted secret]"


def test_info_and_sample_print_escaped_paths_and_ids(tmp_path, capsys):
    path = _trace(tmp_path)
    main(["info", str(path)])
    out, err = capsys.readouterr()
    assert _clean(out) and _clean(err) and "\\u001b[2J" in out + err
    assert main(["sample", str(path), "--users", EVIL_ID, "--n-per-user", "2", "--history-window", "none",
                 "--test-window", "none"]) == 0
    out, err = capsys.readouterr()
    assert _clean(out) and _clean(err) and "\\u001b" in out


def test_json_output_stays_valid_and_means_the_same(tmp_path, capsys):
    path = _trace(tmp_path)
    assert main(["sample", str(path), "--users", EVIL_ID, "--n-per-user", "2", "--history-window", "none",
                 "--test-window", "none", "--json"]) == 0
    out, _ = capsys.readouterr()
    assert _clean(out)
    assert json.loads(out)["users"][0]["user_id"] == EVIL_ID


def test_errors_naming_a_hostile_path_are_escaped(tmp_path, capsys):
    missing = tmp_path / "nope\x1b[2J\x07.json"
    for argv in (["info", str(missing)], ["eval", str(missing), "--model", "baseline:user"],
                 ["predict", str(missing), "--user", EVIL_ID, "--event", "1", "--model", "baseline:user"]):
        rc = main(argv)
        out, err = capsys.readouterr()
        assert rc != 0 and _clean(out) and _clean(err) and "nope\\u001b[2J\\u0007" in err, argv


def test_argparse_errors_are_escaped_and_streams_restored(capsys):
    before = (sys.stdout, sys.stderr)
    try:
        main(["eval", "x", "--model", "m", "--memory", "bad\x1b[2J"])
    except SystemExit as exc:
        assert exc.code == 2
    _, err = capsys.readouterr()
    assert _clean(err) and "invalid choice" in err
    assert (sys.stdout, sys.stderr) == before


def test_the_redaction_pre_check_never_skips_a_match(monkeypatch):
    """Text without a secret's form or a shape's literal skips the regular expression: each shape
    must start with a literal of ``_SHAPE_LITERALS`` (or be the "bearer" one), and on text of
    every kind the result is the regular expression's."""
    import random

    from workbench import secrets

    for shape in secrets._SHAPES:
        assert shape.startswith(secrets._SHAPE_LITERALS) or shape.startswith("(?i:bearer)"), shape
    monkeypatch.setenv("ACME_API_KEY", "acme/canary key+9911")
    secrets._reset_for_tests()
    seen = secrets.visible_secrets(keyring=None)
    parts = ["sk-", "sk-ant-" + "a" * 12, "sk-proj-" + "b" * 16, "AIza" + "c" * 30, "hf_" + "d" * 20,
             "gsk_" + "e" * 20, "xai-" + "f" * 20, "r8_" + "g" * 20, "BeArEr  token123456", "bearer\tx",
             "Bearer", "acme/canary key+9911", "acme%2Fcanary%20key%2B9911", "acme%2Fcanary+key%2B9911",
             "用户", "user_0001", " ", "\n", "\x1b[2J", "k", "sk", "AIz", "BEARER\n" + "h" * 9, '"', "s"]
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 6)))
        assert secrets.redact(text, keyring=None) == (secrets._pattern(seen).sub(secrets.REDACTED, text)
                                                      if text else text), text
    assert secrets.redact("x acme/canary key+9911 y", keyring=None) == f"x {secrets.REDACTED} y"
    assert not secrets._may_match("user_0001 watched 12 s " * 100, seen)


def test_the_unsafe_pre_check_never_skips_a_character():
    """Every ASCII character, alone and inside ordinary text, and a few others: the same as the
    regular expression alone would give."""
    from workbench.console import _escape
    from workbench.textsafe import UNSAFE

    samples = [chr(i) for i in range(128)] + ["\u202e", "\x9b", "\ufeff", "\u00e9", "\u7528"]
    for c in samples:
        for text in (c, f'{{"user": "a{c}b",\n\t"n": 1}}\n'):
            assert safe(text) == UNSAFE.sub(_escape, text), repr(text)
