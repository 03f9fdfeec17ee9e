"""Test isolation for the whole suite.

* Qt runs offscreen; config, cache and data folders are in tmp_path; keyring is in memory.
* Network: only loopback connections are allowed (tests start their own servers on 127.0.0.1).
* ``qasync_loop``: an asyncio loop driven by Qt (pytest-qt has no qasync support).
* Qt warnings fail the test (pytest-qt's qt_log_level_fail).
* Shared set-up: ``cases_panel`` (a Cases panel on a real store), :func:`app_state_of` and
  :func:`one_user_state` (the window state over a small trace file).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import socket
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("LITELLM_TELEMETRY", "False")
# the bundled Noto Sans CJK for Chinese whatever fonts the machine has: screenshots stay comparable
os.environ["WORKBENCH_CJK_FONT"] = "bundled"


def pytest_addoption(parser):
    parser.addoption("--regen-baselines", action="store_true", default=False,
                     help="rewrite screenshot baselines instead of comparing with them")


@pytest.fixture
def regen_baselines(request) -> bool:
    return bool(request.config.getoption("--regen-baselines"))


# -- isolation --------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    base = tmp_path_factory.mktemp("wbhome")
    for name in ("CONFIG", "CACHE", "DATA"):
        d = base / name.lower()
        d.mkdir()
        monkeypatch.setenv(f"WORKBENCH_{name}_DIR", str(d))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "xdg_config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "xdg_cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "xdg_data"))
    monkeypatch.setenv("HOME", str(base / "home"))
    yield base
    # a test that undoes every patch (monkeypatch.undo()) ran part of itself on the real folders
    assert "WORKBENCH_CACHE_DIR" in os.environ, "the test undid the isolated folders (monkeypatch.undo())"


class _MemoryKeyring:
    """An in-memory keyring backend (no OS secret store is touched by tests)."""

    priority = 1

    def __init__(self):
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        import keyring.errors

        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError(username)
        del self.store[(service, username)]


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch):
    import keyring
    import keyring.backend

    backend_cls = type("MemoryKeyring", (_MemoryKeyring, keyring.backend.KeyringBackend), {})
    backend = backend_cls()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(address):
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            if host in ("localhost",):
                return
        raise ConnectionRefusedError(f"network disabled in tests: {address!r} is not loopback")


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _check_address(address)
        return _real_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _check_address(address)
        return _real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield


# -- qasync -----------------------------------------------------------------------------------------

@pytest.fixture
def qasync_loop(qapp):
    """An asyncio event loop running on the Qt event loop (qasync.QEventLoop).

    Use ``qasync_loop.run_until_complete(coro)`` in tests, or schedule tasks and let qtbot wait.
    """
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        finally:
            loop.close()
            asyncio.set_event_loop(None)


@pytest.fixture(autouse=True)
def _restore_app_look(request):
    """The main window applies the app-wide Fusion style and dark palette; restore the defaults
    after each Qt test so widget tests in the same worker see the platform's look."""
    if not {"qtbot", "qapp"} & set(request.fixturenames):
        yield
        return
    app = request.getfixturevalue("qapp")
    palette, style = app.palette(), app.style().name()
    yield
    app.setPalette(palette)
    if app.style().name() != style:
        app.setStyle(style)


@pytest.fixture
def provider_sleeps(monkeypatch) -> list[float]:
    """The delays the LLM provider sleeps between retries, recorded (each sleep returns at once)."""
    from workbench.simulate import providers

    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(d, *a, **k):
        delays.append(d)
        return await real_sleep(0)

    monkeypatch.setattr(providers.asyncio, "sleep", fake_sleep)
    return delays


# -- the Cases panel on a real store -----------------------------------------------------------------

#: :func:`cases_panel`'s default store: a new one at ``tmp_path / "cases.db"``, closed after the test.
NEW_STORE = object()


def app_state_of(trace: Path) -> Any:
    """An :class:`~workbench.app.state.AppState` with the traces at ``trace`` loaded."""
    from workbench.app.state import AppState
    from workbench.traces import load_traces

    st = AppState()
    st.set_dataset(load_traces(trace))
    return st


def one_user_state(tmp_path: Path, history: list[dict] | None = None, *, profile: str = "A woman, 30-40.") -> Any:
    """:func:`app_state_of` a trace file in ``tmp_path`` holding ``user_0001`` with ``history``
    (default: the annotate tests' ``raw_history()``, one event of every scenario)."""
    from tests.annotate.conftest import raw_history

    path = tmp_path / "trace.json"
    data = {"user_0001": {"user_profile": profile, "action_history": raw_history() if history is None else history}}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return app_state_of(path)


@pytest.fixture
def cases_panel(qtbot, tmp_path) -> Iterator[Callable[..., Any]]:
    """``cases_panel(state, store=NEW_STORE, *, show=True, **kwargs)``: a
    :class:`~workbench.app.cases_panel.CasesPanel` on ``store`` (a :class:`CaseStore`, None for
    none, or by default a new store in ``tmp_path`` that this fixture closes), shown at 900 x 600
    unless ``show`` is False. Every panel is shut down after the test."""
    from workbench.annotate.store import CaseStore
    from workbench.app.cases_panel import CasesPanel

    made: list[tuple[Any, Any]] = []

    def make(state: Any, store: Any = NEW_STORE, *, show: bool = True, **kwargs: Any) -> Any:
        ours = store is NEW_STORE
        if ours:
            store = CaseStore(tmp_path / "cases.db")
        panel = CasesPanel(state, store, **kwargs)
        made.append((panel, store if ours else None))
        qtbot.addWidget(panel)
        if show:
            panel.resize(900, 600)
            panel.show()
            qtbot.waitExposed(panel)
        return panel

    yield make
    for panel, store in made:
        panel.shutdown()
        if store is not None:
            store.close()
