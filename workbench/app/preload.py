"""Import litellm in the background once the window is up. Layer: app.

``import litellm`` takes seconds. It must never delay the first paint (it is imported lazily, on
the first model call), but a Predict clicked a few seconds after start should not wait for it
either. So after the first paint the application imports it on a plain Python thread, through
:func:`workbench.simulate.providers.warm_up` (the same configuration a model call applies: local
price map, no debug banner, redacting log filter). Python imports are safe from any thread. When
the window started a standby process first thing (:mod:`workbench.simulate.standby`), this import
waits until that process has imported litellm on the other core and then had no call for a few
seconds; model calls go there meanwhile. Once the import here is done, the standby process is
retired. Whoever shows something that needs litellm loaded (the Predict panel's cost estimate)
hears of the end of the import through ``on_finished``.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

__all__ = ["preload_state", "start_litellm_preload"]

_state: dict[str, float | bool | str] = {"started": 0.0, "importing": 0.0, "finished": 0.0, "ok": False,
                                         "error": ""}
_lock = threading.Lock()


def _run(on_finished: Callable[[], None] | None = None) -> None:
    try:
        from workbench import secrets
        from workbench.simulate import standby
        from workbench.simulate.limits import no_full_collections
        from workbench.simulate.providers import warm_up

        secrets.backend_status()        # finding the keyring's backend (0.3 s) is off the first call's path
        standby.wait_quiet()            # the standby process imports first, on the other core,
                                        # and makes the calls until it has had none for a while
        _state["importing"] = time.time()
        with no_full_collections():     # no full garbage-collector pass stalls the window meanwhile
            warm_up()
        _state["ok"] = True
        standby.retire()                # calls are made here from now on
    except Exception as exc:  # noqa: BLE001 - a failed preload only means the first call imports it
        _state["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        _state["finished"] = time.time()
        if on_finished is not None:
            try:
                on_finished()
            except Exception:  # noqa: BLE001 - e.g. the window is gone meanwhile: nobody to tell
                pass


def start_litellm_preload(on_finished: Callable[[], None] | None = None) -> threading.Thread | None:
    """Start the background import (once per process); returns its thread, None when already started.
    ``on_finished()`` is called on that thread when the import has ended, whether it worked or not
    (a Qt signal's ``emit`` is fine: it is delivered on the receiver's thread)."""
    with _lock:
        if _state["started"]:
            return None
        _state["started"] = time.time()
    thread = threading.Thread(target=_run, args=(on_finished,), name="litellm-preload", daemon=True)
    thread.start()
    return thread


def preload_state() -> dict[str, float | bool | str]:
    """``started``, ``importing`` (after the wait for the standby process) and ``finished`` (epoch
    seconds, 0 = not yet), ``ok`` and ``error`` of the preload."""
    return dict(_state)
