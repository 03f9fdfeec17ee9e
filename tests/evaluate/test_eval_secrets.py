"""Canary keys of several shapes, echoed back by a loopback server through every error path of a
batch run and ``workbench predict``, appear in no row, report, log, file or terminal output."""

from __future__ import annotations

import json
import logging

import pytest

from tests.evaluate.test_sampling import _big_user
from tests.simulate.test_secret_redaction import (CANARIES, KEYRING_CANARY, SETTINGS_CANARY,  # noqa: F401
                                                  _leaks, canaries, echo_everything)
from workbench import secrets
from workbench.cli import main
from workbench.devserver import DevServer, Reply


def _script(req):
    """Every error path of a provider, each echoing every canary back."""
    p = req.prompt
    echo = echo_everything(p[-40:])
    h = sum(map(ord, p)) % 6
    if h == 0:
        return Reply(status=400, error_message=f"invalid request: {echo}")
    if h == 1:
        return Reply(status=401, error_message=f"bad key {echo}")
    if h == 2:
        return Reply(status=500, error_message=f"internal {echo}")
    if h == 3:
        return Reply(raw_body=f"not json {echo}".encode())
    if h == 4:
        return Reply(status=404, error_message=f"no model {echo}")
    return Reply(f"Yes {echo}")          # an answer that echoes the keys


@pytest.mark.usefixtures("canaries")
def test_eval_writes_and_prints_no_key(tmp_path, capsys, caplog, provider_sleeps):
    caplog.set_level(logging.DEBUG)
    users = [_big_user("user_001", 30, seed=1)]
    data = {u.user_id: {"user_profile": u.profile, "action_history": u.events} for u in users}
    path = tmp_path / "traces.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    out = tmp_path / "out"
    with DevServer(script=_script) as srv:
        rc = main(["eval", str(path), "--model", "openai/dev-model", "--model", "baseline:user",
                   "--api-base", srv.base_url, "--n-per-user", "6", "--out", str(out),
                   "--allow-failures", "1000"])
        predict_rc = main(["predict", str(path), "--user", "user_001", "--event", "20", "--model",
                           "openai/dev-model", "--api-base", srv.base_url, "--no-cache", "--json",
                           "--allow-failures", "1000"])
        seen = [r.body for r in srv.completion_requests()]
    assert rc == 0 and predict_rc == 0 and seen
    stdout, stderr = capsys.readouterr()
    rows = (out / "predictions.jsonl").read_text(encoding="utf-8")
    report = (out / "report.json").read_text(encoding="utf-8")
    errors = [json.loads(line)["error"] for line in rows.splitlines()]
    # the paths were taken: the provider's echoed texts reached the rows, redacted
    assert any("rejected the request" in e and secrets.REDACTED in e for e in errors)
    assert any(secrets.REDACTED in json.loads(line)["raw_output"] for line in rows.splitlines())
    for name, text in (("predictions.jsonl", rows), ("report.json", report), ("stdout", stdout),
                       ("stderr", stderr), ("log", caplog.text)):
        assert _leaks(text) == [], name
    for f in tmp_path.rglob("*"):
        if f.is_file() and f != path:
            assert _leaks(f.read_bytes().decode("utf-8", "replace")) == [], f
