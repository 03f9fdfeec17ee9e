"""Every key the process can see is redacted, whatever its shape, from error texts, predictions,
reports, logs and the terminal: canary keys in the keyring, in the environment variables litellm
reads, in settings, echoed back by a loopback server in 400/401/500 bodies, malformed answers and
normal answers."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import pytest

from workbench import secrets

#: Canary keys of several shapes: OpenAI-like, short, base64-ish, with dashes, no prefix at all.
CANARIES = {
    "OPENAI_API_KEY": "sk-proj-CanaryOpenAI0123456789abcdef",
    "ANTHROPIC_API_KEY": "c4n4ry7",
    "GEMINI_API_KEY": "Q0FOQVJZ+YmFzZTY0/ZWQ9PQ==",
    "DEEPSEEK_API_KEY": "canary-with-dashes-4242",
    "MY_PROXY_TOKEN": "zzCANARYtoken",
}
KEYRING_CANARY = "kr-CANARY-in-keyring-77"
SETTINGS_CANARY = "settings-CANARY-555"


def _forms(secret: str) -> list[str]:
    return [secret, json.dumps(secret)[1:-1], quote(secret, safe="")]


def _leaks(text: str) -> list[str]:
    every = [*CANARIES.values(), KEYRING_CANARY, SETTINGS_CANARY]
    return [s for s in every for f in _forms(s) if f in text]


@pytest.fixture
def canaries(monkeypatch, memory_keyring, _isolated_dirs):
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)
    # a key put in the keyring by another session: this process has not read it yet
    memory_keyring.set_password(secrets.SERVICE, "mistral", KEYRING_CANARY)
    (_isolated_dirs / "config" / "settings.json").write_text(
        json.dumps({"extra_headers": {"x-api-key": SETTINGS_CANARY}, "recent_files": []}))
    secrets._reset_for_tests()
    yield
    secrets._reset_for_tests()


def echo_everything(text: str) -> str:
    return " | ".join(f"{k}={v}" for k, v in CANARIES.items()) + \
        f" | keyring {KEYRING_CANARY} | settings {SETTINGS_CANARY} | json {json.dumps(text)}"


def test_redact_covers_every_visible_key_in_every_form(canaries):
    for secret in [*CANARIES.values(), KEYRING_CANARY, SETTINGS_CANARY]:
        for form in _forms(secret):
            got = secrets.redact(f"before {form} after")
            assert got == f"before {secrets.REDACTED} after", (secret, form, got)
    assert secrets.redact("Bearer abcdefghijklmnop") == secrets.REDACTED
    assert secrets.redact_json({"a": [f"x {KEYRING_CANARY}"], KEYRING_CANARY: 1}) == \
        {"a": [f"x {secrets.REDACTED}"], secrets.REDACTED: 1}


def test_redact_leaves_ordinary_text_alone(monkeypatch):
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")     # not a key, though the name says token
    monkeypatch.setenv("SOME_KEY", "1")                       # too short to be a key
    secrets._reset_for_tests()
    text = "false 1 用户 user_0001 watched 12.5 s; Could not parse the answer"
    assert secrets.redact(text) == text


def test_a_key_set_later_is_redacted_at_once(monkeypatch):
    secrets._reset_for_tests()
    assert secrets.redact("x late-key-123456") == "x late-key-123456"
    secrets.set_key("groq", "late-key-123456")
    assert secrets.redact("x late-key-123456") == f"x {secrets.REDACTED}"
    monkeypatch.setenv("XAI_API_KEY", "env-late-abcdef")
    assert secrets.redact("env-late-abcdef") == secrets.REDACTED


def test_log_records_are_redacted(canaries, caplog):
    secrets.install_log_redaction()
    caplog.set_level(logging.INFO)
    log = logging.getLogger("LiteLLM")
    log.warning("request failed: %s", echo_everything("x"))
    try:
        raise ValueError(f"boom {CANARIES['ANTHROPIC_API_KEY']}")
    except ValueError:
        log.exception("call failed")
    assert "request failed" in caplog.text and "boom" in caplog.text
    assert _leaks(caplog.text) == []
