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
