"""The worker thread's event loop that runs batches off the GUI loop (app/llm_loop.py): the work
runs on another thread and loop, results and errors come back to the caller's loop, a cancel
reaches the worker and is awaited. (The GUI lag it buys is measured by bench/eval.py.)"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from workbench.app import llm_loop


def test_result_and_error_come_back_from_the_worker():
    seen = {}

    async def work():
        seen["thread"] = threading.current_thread().name
        seen["loop"] = asyncio.get_running_loop()
        await asyncio.sleep(0.01)
        return 42

    async def main():
        return await llm_loop.run(work), asyncio.get_running_loop()

    value, caller_loop = asyncio.run(main())
    assert value == 42
    assert seen["thread"] == "workbench-llm-loop" and seen["loop"] is not caller_loop
    assert seen["loop"] is llm_loop.worker_loop()           # one loop for every run

    async def fails():
        raise ValueError("bad sample")

    with pytest.raises(ValueError, match="bad sample"):
        asyncio.run(llm_loop.run(fails))


def test_cancel_reaches_the_worker_and_waits_for_it():
    events = []

    async def work():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(0.2)            # cleaning up (writers closed) before it ends
            events.append("worker ended")
            raise

    async def main():
        task = asyncio.ensure_future(llm_loop.run(work))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        events.append("caller saw the cancel")

    t = time.monotonic()
    asyncio.run(main())
    assert events == ["worker ended", "caller saw the cancel"]
    assert time.monotonic() - t < 5


def test_a_cancel_before_the_work_starts_still_ends():
    async def work():
        await asyncio.sleep(30)

    async def main():
        task = asyncio.ensure_future(llm_loop.run(work))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(main(), 5))


def test_the_evaluation_panel_runs_its_batch_on_the_worker(qtbot, qasync_loop, tmp_path, monkeypatch):
    from tests.evaluate.test_sampling import _big_user
    from workbench.app.eval_panel import EvaluationPanel
    from workbench.app.state import AppState
    from workbench.evaluate import batch, sampling
    from workbench.simulate.types import ModelSpec

    real, threads = batch.run_batch, []

    async def recording(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return await real(*args, **kwargs)

    monkeypatch.setattr(batch, "run_batch", recording)
    panel = EvaluationPanel(AppState())
    qtbot.addWidget(panel)
    users = [_big_user(f"user_{i:03d}", 30, seed=i) for i in range(1, 3)]
    progress = []
    panel.progress_changed.connect(lambda done, total, text: progress.append((done, total)))
    with qtbot.waitSignal(panel.run_finished, timeout=60000) as done:
        task = panel.start(specs=[ModelSpec("baseline:user")], users=users,
                           sample=sampling.sample_events(users, test_length=4), out_dir=tmp_path / "o")
        qasync_loop.run_until_complete(task)
    assert threads == ["workbench-llm-loop"]
    assert done.args[0]["run"]["answered"] > 0
    # the progress reached the GUI thread (queued signal), the last one complete
    assert progress and progress[-1][0] == progress[-1][1] > 0


def test_the_evaluation_panel_runs_a_baselines_batch_with_its_second_process(qtbot, qasync_loop, tmp_path,
                                                                              monkeypatch):
    """The panel's batch (on its loop thread) hands the last users to the second interpreter of
    evaluate.offline_worker and ends with every question answered and the progress complete."""
    from workbench.app.eval_panel import EvaluationPanel
    from workbench.app.state import AppState
    from workbench.demo.prebuilt import prebuilt_path
    from workbench.evaluate import offline_worker, sampling
    from workbench.simulate.types import ModelSpec
    from workbench.traces import load_traces

    assert load_traces(prebuilt_path()).wait_cache(60)
    users = sampling.users_from_traceset(load_traces(prebuilt_path()))     # from the trace cache
    monkeypatch.setattr(offline_worker, "MIN_EVENTS", 0)
    real, helpers = offline_worker.start, []

    def watching(*a, **k):
        mine, helper = real(*a, **k)
        helpers.append(helper)
        return mine, helper

    monkeypatch.setattr(offline_worker, "start", watching)
    panel = EvaluationPanel(AppState())
    qtbot.addWidget(panel)
    texts = []
    panel.progress_changed.connect(lambda done, total, text: texts.append(text))
    sample = sampling.sample_events(users, test_length=3)
    with qtbot.waitSignal(panel.run_finished, timeout=120000) as done:
        task = panel.start(specs=[ModelSpec("baseline:user"), ModelSpec("baseline:population")], users=users,
                           sample=sample, out_dir=tmp_path / "o")
        qasync_loop.run_until_complete(task)
    assert len(helpers) == 1 and helpers[0] is not None and helpers[0].proc.returncode == 0
    run = done.args[0]["run"]
    assert run["questions"] > 0 and run["answered"] + run["failed"] == run["questions"]
    assert any(t.startswith(f"prepare: {len(sample.users)}/{len(sample.users)}") for t in texts)
