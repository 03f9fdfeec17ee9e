"""Raw OmniBehavior event builders for the evaluate tests, and the set-up of runs against loopback
servers: seeded users, their trace file, a run interrupted mid-way, the check that report.json is
the report of its rows, and the ``dev_servers`` fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pytest


def video(ts: str, *, caption: str = "a cat video #cats", play: int = 10, like: bool = False,
          duration: int = 30, share: bool = False) -> dict[str, Any]:
    actions: list[dict[str, Any]] = [{"type": "watch", "play_duration": play}]
    if like:
        actions.append({"type": "like"})
    if share:
        actions.append({"type": "share", "share_cnt": 1})
    return {"type": "Video Browsing", "timestamp": ts,
            "context": {"caption": caption, "duration": duration}, "action": actions}


def live(ts: str, *, title: str = "evening show", gift: bool = False, play: int = 60) -> dict[str, Any]:
    actions: list[dict[str, Any]] = [{"type": "watch", "play_duration": play}]
    if gift:
        actions.append({"type": "send_gift", "gift_amount": 1})
    return {"type": "Live Streaming", "timestamp": ts,
            "context": {"live_title": title, "live_category": "Other", "is_shop_live": False},
            "action": actions}


def ad(ts: str, *, show: int = 1, conversion: bool = True) -> dict[str, Any]:
    actions: list[dict[str, Any]] = [{"type": "watch", "is_complete_play": True}]
    if conversion:
        actions.append({"type": "conversion", "conversion_cnt": 1})
    return {"type": "Advertisement", "timestamp": ts,
            "context": {"product": "game", "industry_main": "Games", "show_cnt": show},
            "action": actions}


def search(ts: str, keyword: str = "小米") -> dict[str, Any]:
    return {"type": "Search Behavior", "timestamp": ts,
            "action": [{"type": "search", "keyword": keyword}, {"type": "show", "show_cnt": 5}]}


def service(ts: str, turns: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "Customer Service", "timestamp": ts,
            "context": {"ticket_category": "logistics", "product_name": "kettle"},
            "action": [{"type": "dialogue", "content": [{"role": r, "content": c} for r, c in turns]}]}


def day(month: int, d: int, h: int = 12, m: int = 0) -> str:
    return f"2025-{month:02d}-{d:02d} {h:02d}:{m:02d}:00"


# -- runs against loopback servers ------------------------------------------------------------------

def big_users(n: int) -> list[Any]:
    """``user_001`` … ``user_{n:03d}``: 40 seeded test events each (:func:`_big_user` of the sampling tests)."""
    from tests.evaluate.test_sampling import _big_user

    return [_big_user(f"user_{i:03d}", 40, seed=i) for i in range(1, n + 1)]


def write_traces(path: Path, users: Sequence[Any]) -> Path:
    """``users`` as an OmniBehavior JSON trace file at ``path``; returns ``path``."""
    data = {u.user_id: {"user_profile": u.profile, "action_history": u.events} for u in users}
    path.write_text(json.dumps(data, ensure_ascii=False))
    return path


def report_of_rows(out: Path, users: Sequence[Any], n: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(report.json, predictions.jsonl rows) of the run in ``out``, asserting that report.json is the
    report built again from those rows alone (models, score summary and servers section)."""
    from workbench.evaluate import sampling as S
    from workbench.evaluate.batch import build_report, read_rows
    from workbench.evaluate.batch_report import server_shares
    from workbench.simulate.filters import is_filtered

    report = json.loads((out / "report.json").read_text())
    rows = read_rows(out / "predictions.jsonl")
    sample = S.sample_events(users, test_length=n)
    filtered = [(e.user_id, e.event_index) for e in sample.events
                if is_filtered(next(u for u in users if u.user_id == e.user_id).events[e.event_index])]
    again = build_report(rows, filtered=filtered, models=report["settings"]["models"], biases=False)
    assert json.dumps(again["models"], sort_keys=True) == json.dumps(report["models"], sort_keys=True)
    assert again["score_summary"] == report["score_summary"]
    assert again.get("servers") == report.get("servers") == (server_shares(rows) or None)
    return report, rows


def run_interrupted(after: int, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Start ``run_batch(*args, **kwargs)`` and cancel it once ``after`` rows were written; returns
    the rows it reported (the cancellation must reach the run)."""
    import asyncio

    from workbench.evaluate.batch import run_batch

    async def interrupted() -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        task = asyncio.ensure_future(run_batch(*args, on_row=got.append, **kwargs))
        while len(got) < after:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return got

    return asyncio.run(interrupted())


@pytest.fixture
def dev_servers() -> Iterator[Callable[..., Any]]:
    """Start loopback :class:`~workbench.devserver.DevServer` s: ``dev_servers(script, latency=…)``
    returns a running one; every one started is stopped after the test (stopping twice is fine)."""
    from workbench.devserver import DevServer

    started: list[Any] = []

    def start(script: Any, **kwargs: Any) -> Any:
        server = DevServer(script=script, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
