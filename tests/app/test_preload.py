"""The window's background import of litellm waits for the standby process, then retires it."""

from __future__ import annotations

from workbench.app import preload
from workbench.simulate import providers, standby


def test_the_import_here_waits_for_the_standby_then_retires_it(monkeypatch):
    order: list[str] = []
    monkeypatch.setattr(standby, "wait_quiet", lambda *a: order.append("wait") or True)
    monkeypatch.setattr(providers, "warm_up", lambda: order.append("import"))
    monkeypatch.setattr(standby, "retire", lambda: order.append("retire"))
    monkeypatch.setattr(preload, "_state", dict(preload._state, started=1.0))
    preload._run()
    st = preload.preload_state()
    assert order == ["wait", "import", "retire"]
    assert st["ok"] and not st["error"] and st["importing"] >= st["started"] and st["finished"] >= st["importing"]


def test_a_failed_import_keeps_the_standby(monkeypatch):
    order: list[str] = []
    monkeypatch.setattr(standby, "wait_quiet", lambda *a: True)

    def broken() -> None:
        raise ImportError("no litellm here")

    monkeypatch.setattr(providers, "warm_up", broken)
    monkeypatch.setattr(standby, "retire", lambda: order.append("retire"))
    monkeypatch.setattr(preload, "_state", dict(preload._state, started=1.0, ok=False, error=""))
    preload._run(on_finished=lambda: order.append("told"))
    assert order == ["told"] and preload.preload_state()["error"] == "ImportError: no litellm here"


def test_whoever_is_told_of_the_end_may_be_gone(monkeypatch):
    monkeypatch.setattr(standby, "wait_quiet", lambda *a: True)
    monkeypatch.setattr(providers, "warm_up", lambda: None)
    monkeypatch.setattr(standby, "retire", lambda: None)
    monkeypatch.setattr(preload, "_state", dict(preload._state, started=1.0, ok=False, error=""))

    def gone() -> None:
        raise RuntimeError("Internal C++ object (AppState) already deleted.")

    preload._run(on_finished=gone)                  # a closed window's signal: nothing is raised
    assert preload.preload_state()["ok"]
