"""Keyring glue (workbench.secrets): keyring when it works, memory for the session otherwise."""

from __future__ import annotations

import keyring
import keyring.backends.fail

from workbench import secrets


def test_keys_go_to_keyring(memory_keyring):
    assert secrets.backend_status().persistent
    assert secrets.set_key("OpenAI", "sk-test-1") is True
    assert memory_keyring.store[(secrets.SERVICE, "openai")] == "sk-test-1"
    assert secrets.get_key("openai") == "sk-test-1" and secrets.has_key("openai")
    secrets.delete_key("openai")
    assert secrets.get_key("openai") is None and not memory_keyring.store


def test_memory_fallback_without_backend():
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        status = secrets.backend_status()
        assert not status.persistent and status.name == "memory" and "memory" in status.message
        assert secrets.set_key("anthropic", "sk-ant-x") is False
        assert secrets.get_key("anthropic") == "sk-ant-x"
        secrets.delete_key("anthropic")
        assert secrets.get_key("anthropic") is None
    finally:
        keyring.set_keyring(previous)


def test_broken_backend_falls_back_to_memory(memory_keyring, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("locked")

    monkeypatch.setattr(memory_keyring, "set_password", boom)
    assert secrets.set_key("openai", "sk-x") is False
    assert secrets.get_key("openai") == "sk-x"
    assert not secrets.backend_status().persistent


def test_provider_for_model():
    assert secrets.provider_for_model("openai/gpt-4o") == "openai"
    assert secrets.provider_for_model("anthropic/claude-3") == "anthropic"
    assert secrets.provider_for_model("claude-sonnet-4-5") == "anthropic"
    assert secrets.provider_for_model("gpt-4o-mini") == "openai"
    assert secrets.provider_for_model("ollama/qwen3:8b") == "ollama"
