"""A document of very many users read a slice at a time by two processes (traces.forked_users):
the same users, rows and warnings as one process, whatever goes wrong in either process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal
from hypothesis import given, strategies as st

from workbench.traces import build, forked_users, limits, load_traces
from tests.traces.test_fuzz import SETTINGS, _outcome, event, same_outcome

FIX = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def sliced(monkeypatch, tmp_path):
    """Every JSON file of 2+ users read a slice of one user at a time; ``sliced(two)`` switches the
    two processes on or off. Returns the file the worker writes its pid to when it runs."""
    monkeypatch.setattr(limits, "MANY_USERS", 2)
    monkeypatch.setattr(limits, "USERS_PER_SLICE", 1)
    marker = tmp_path / "worker-pid"
    real = forked_users.users_worker

    def users_worker(*args):
        marker.write_text(str(os.getpid()))
        real(*args)

    monkeypatch.setattr(forked_users, "users_worker", users_worker)

    def switch(two: bool) -> Path:
        monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 0 if two else 1 << 40)
        marker.unlink(missing_ok=True)
        return marker

    return switch


def _worker_ran(marker: Path) -> bool:
    return marker.exists() and int(marker.read_text()) != os.getpid()


def _one_then_two(sliced, f: Path):
    """``f`` read by one process, then by two (the worker must run): both outcomes, checked equal."""
    sliced(False)
    one = _outcome(f)
    marker = sliced(True)
    two = _outcome(f)
    assert _worker_ran(marker)
    same_outcome(two, one)
    return one, two


@pytest.mark.parametrize("name", ["quirks_en.json", "bad_types.json"])
def test_two_processes_give_what_one_gives(sliced, monkeypatch, name):
    passes: list[bool | None] = []
    real = forked_users.read_slices
    monkeypatch.setattr(forked_users, "read_slices", lambda *a: passes.append(real(*a)) or passes[-1])
    sliced(False)
    one = _outcome(FIX / name)
    assert passes == [None]                    # asked, and read nothing: one process was asked for
    marker = sliced(True)
    two = _outcome(FIX / name)
    assert passes == [None, True] and _worker_ran(marker)
    same_outcome(two, one)
    if name == "bad_types.json":
        assert len(two[2]) >= 4  # its warnings come back from either process


def _users(tmp_path: Path, n: int, **replace: str) -> Path:
    """A file of ``n`` users ``u0``..; ``replace`` gives some users' JSON text instead."""
    parts = []
    for i in range(n):
        ev = {"type": "Video Browsing", "timestamp": f"2025-10-01 00:00:{i:02d}", "context": {"caption": f"v{i}"},
              "action": [{"type": "watch", "play_duration": i}]}
        parts.append(replace.get(f"u{i}", f'"u{i}": {{"user_profile": "p{i}", "action_history": [{json.dumps(ev)}]}}'))
    f = tmp_path / "users.json"
    f.write_text("{" + ", ".join(parts) + "}", encoding="utf-8")
    return f


def test_a_worker_that_dies_has_its_part_read_here(sliced, monkeypatch, tmp_path):
    f = _users(tmp_path, 8, u6='"u6": {"user_profile": 5, "action_history": [{"type": 3}]}')
    sliced(False)
    one = _outcome(f)
    marker = sliced(True)
    monkeypatch.setattr(forked_users, "users_worker", lambda *a: (marker.write_text(str(os.getpid())), os._exit(3)))
    two = _outcome(f)
    assert _worker_ran(marker)
    same_outcome(two, one)
    assert any("u6" in w for w in two[2])


@pytest.mark.parametrize("where", ["worker", "both"])
def test_a_key_given_twice_takes_the_whole_document_path(sliced, monkeypatch, tmp_path, where):
    """u1 given again at the end: within the worker's slices, or once in each process."""
    first = 6 if where == "worker" else 1
    again = '"u%d": {"action_history": [{"type": "Search Behavior", "timestamp": "2025-10-02", "action": []}]}'
    f = _users(tmp_path, 9, u8=again % first)
    if where == "worker":   # both copies in the worker's slices
        f.write_text(f.read_text().replace('"u7":', '"u6b":'), encoding="utf-8")
    one, two = _one_then_two(sliced, f)
    assert any("unique user ids" in w for w in two[2])
    ts = load_traces(f, use_cache=False)
    assert ts.user(f"u{first}").event(0)["type"] == "Search Behavior"  # the last copy, as the whole document reads it
    assert "u8" not in ts.user_ids()
    # writing the cache: this process's rows went to it before the key was found given twice, so
    # the import starts again with a new cache file; the table is the same
    from workbench.traces import sink

    aborted: list[int] = []
    real_abort = sink.CanonicalSink.abort
    monkeypatch.setattr(sink.CanonicalSink, "abort", lambda self: aborted.append(self.rows) or real_abort(self))
    cached = load_traces(f, use_cache=True)
    assert aborted and aborted[0] > 0                     # the first cache file had rows; it was dropped
    assert_frame_equal(cached.events, ts.events.drop("context", "actions"))   # payload read on demand
    assert_frame_equal(cached.users, ts.users)
    assert all(cached.raw_events(u) == ts.raw_events(u) for u in ts.user_ids())
    assert [str(w) for w in cached.warnings if w.field != "cache"] == [str(w) for w in ts.warnings]


@pytest.mark.parametrize("late", ["bad json", "long profile", "long profile, then bad json"])
def test_a_failure_in_the_worker_part_gives_the_one_process_result(sliced, monkeypatch, tmp_path, late):
    monkeypatch.setattr(build, "MAX_PROFILE_CHARS", 50)
    bad: dict[str, str] = {}
    if "long" in late:
        bad["u6"] = f'"u6": {{"user_profile": "{"p" * 60}", "action_history": []}}'
    if "bad" in late:
        bad["u8"] = '"u8": {"user_profile": "p", "action_history": [tru]}'
    f = _users(tmp_path, 9, **bad)
    one, two = _one_then_two(sliced, f)
    if "long" in late:
        assert one[0] == "error" and "u6" in one[1]


def test_the_worker_takes_the_last_slices(monkeypatch):
    monkeypatch.setattr(limits, "USERS_WORKER_SHARE", 0.5)
    slices = [(1, 11, 1), (12, 22, 1), (23, 33, 1), (34, 44, 1)]
    assert forked_users._cut(slices) == 2
    assert forked_users._cut(slices[:2]) == 1       # at least one slice each
    assert not forked_users.worth_two_processes(b"{}", slices[:1])


@SETTINGS
@given(users=st.dictionaries(st.text(max_size=8), st.fixed_dictionaries(
    {"action_history": st.lists(event, max_size=5)}, optional={"user_profile": st.text(max_size=5)}),
    min_size=2, max_size=6))
def test_random_documents_agree(tmp_path, sliced, users):
    f = tmp_path / "random.json"
    f.write_text(json.dumps(users, ensure_ascii=False), encoding="utf-8")
    sliced(False)
    one = _outcome(f)
    sliced(True)
    same_outcome(_outcome(f), one)


@pytest.mark.parametrize("lookalike", ["none", "deeper down"])
def test_the_user_boundaries_found_by_two_processes_are_the_one_process_ones(monkeypatch, tmp_path, lookalike):
    """The top-level commas are scanned by two processes from a user boundary after the middle; a
    look-alike of that boundary deeper down makes the halves not join, and the whole document is
    scanned here: the slices are the same either way. (Inside a string the boundary's quotes would
    be escaped: no look-alike there.)"""
    from workbench.traces import forked, whole

    pad = "x" * 20_000      # user u50's context holds the middle of the document, then the look-alike
    fake = '}, "u": {"user_profile": "x"'
    inner = {"deeper down": '{"pad": "%s", "q": {"a": {}, "b": {"user_profile": 1}}}' % pad,
             "none": json.dumps(pad + fake)}[lookalike]
    users = [f'"u{i}": {{"user_profile": "p", "action_history": [{{"type": "Search Behavior", '
             f'"timestamp": "2025-10-01", "context": {{"q": {inner if i == 50 else 1}}}, "action": []}}]}}'
             for i in range(100)]
    data = ("{" + ", ".join(users) + "}").encode()
    joined: list[bool] = []
    real_join = forked.join
    monkeypatch.setattr(forked, "join", lambda *a: joined.append(real_join(*a) is not None) or real_join(*a))
    monkeypatch.setattr(limits, "USERS_PER_SLICE", 7)
    monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 1 << 40)
    one = whole._user_slices(data)
    assert joined == []
    monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 0)
    assert whole._user_slices(data) == one and len(one) == 15
    assert joined == [lookalike == "none"]
