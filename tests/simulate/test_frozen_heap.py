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
