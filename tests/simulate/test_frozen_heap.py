"""simulate.limits.frozen_heap: the objects alive when a run starts are left out of the garbage
collector's passes while it runs (and overlapping runs share that), and given back after; garbage
the run makes is still collected."""

from __future__ import annotations

import gc
import threading
import weakref

from workbench.simulate.limits import frozen_heap


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_frozen_while_running_and_given_back_after():
    gc.unfreeze()
    before = _Cycle()
    with frozen_heap():
        assert gc.get_freeze_count() > 0
        with frozen_heap():                     # a second run at the same time
            pass
        assert gc.get_freeze_count() > 0        # still frozen: the first run is not over
        made = _Cycle()
        gone = threading.Event()
        weakref.finalize(made, gone.set)
        del made
        gc.collect()
        assert gone.is_set()                    # what the run makes is collected as before
    assert gc.get_freeze_count() == 0
    assert before.me is before


def test_given_back_when_the_run_fails():
    gc.unfreeze()
    try:
        with frozen_heap():
            raise RuntimeError("the run failed")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0


def _full_passes_while(work) -> int:
    """How many passes over the oldest generation the collector made while ``work()`` ran (after
    one made here: everything alive now counts as old)."""
    gc.collect()
    passes: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            passes.append(1)

    gc.callbacks.append(seen)
    try:
        work()
    finally:
        gc.callbacks.remove(seen)
    return len(passes)


def _many_long_lived() -> list:
    """Enough new container objects that survive young collections for the collector's own rule to
    call for full passes (more than a quarter of what lived after the last full pass, several times)."""
    return [[i] for i in range(len(gc.get_objects()) * 2 + 200_000)]


def test_no_full_collection_while_deferred_and_the_thresholds_back_after():
    from workbench.simulate.limits import no_full_collections

    before = gc.get_threshold()
    assert _full_passes_while(_many_long_lived) > 0          # the same work, not deferred
    with no_full_collections():
        assert _full_passes_while(_many_long_lived) == 0
        made = _Cycle()                                         # young garbage is still collected
        gone = threading.Event()
        weakref.finalize(made, gone.set)
        del made
        gc.collect(0)
        assert gone.is_set()
    assert gc.get_threshold() == before


def test_the_background_litellm_import_makes_no_full_collection(monkeypatch):
    """The preload's import (here: work that makes as many long-lived objects) runs without full
    passes, and the thresholds are back once it is done, also when it fails."""
    from workbench.app import preload
    from workbench.simulate import providers

    before = gc.get_threshold()
    monkeypatch.setattr(providers, "warm_up", lambda: _many_long_lived() and None)
    assert _full_passes_while(preload._run) == 0
    assert gc.get_threshold() == before

    def fails() -> None:
        raise ImportError("no litellm")

    monkeypatch.setattr(providers, "warm_up", fails)
    preload._run()
    assert gc.get_threshold() == before and "no litellm" in str(preload.preload_state()["error"])
