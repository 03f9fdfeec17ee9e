"""Fuzzing the importer: whatever the bytes, only a TraceSet or a TraceError comes out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.traces import TraceError, TraceSet, load_traces, limits

FIX = Path(__file__).resolve().parents[1] / "fixtures"
VALID = (FIX / "quirks_en.json").read_bytes()
COMPACT = json.dumps(json.loads(VALID), ensure_ascii=False).encode()

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def check(tmp_path: Path, data: bytes, suffix: str = ".json") -> None:
    f = tmp_path / f"fuzz{suffix}"
    f.write_bytes(data)
    try:
        result = load_traces(f, use_cache=False)
    except TraceError as exc:
        assert exc.issue.file and str(exc)
        return
    assert isinstance(result, TraceSet)
    for uid in result.user_ids():
        result.raw_events(uid)  # the payload of every kept event is valid JSON again


@pytest.fixture(params=["fast", "streaming"])
def both_paths(request, monkeypatch):
    if request.param == "streaming":
        monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)
        monkeypatch.setattr(limits, "BATCH_EVENTS", 3)
    return request.param


@SETTINGS
@given(data=st.binary(max_size=400))
def test_random_bytes(tmp_path, both_paths, data):
    check(tmp_path, data)


@SETTINGS
@given(data=st.binary(max_size=300))
def test_random_bytes_jsonl(tmp_path, data):
    check(tmp_path, data, ".jsonl")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "timestamp", "context", "action", "user_profile", "action_history",
                         "play_duration", "like_cnt", "keyword", "caption", "x"]) | st.text(max_size=5),
        children, max_size=5),
    max_leaves=30)
small_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=6)


@SETTINGS
@given(doc=json_values)
def test_random_json_structures(tmp_path, both_paths, doc):
    check(tmp_path, json.dumps(doc).encode())


event = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["Video Browsing", "直播间", "search behavior", "Live Streaming", "Nope", ""]) | small_values,
    "timestamp": st.sampled_from(["2025-09-01 10:00:00", "2025-09-01", "2025/9/1", "x", ""]) | small_values,
    "context": small_values,
    "action": st.lists(st.fixed_dictionaries({"type": st.sampled_from(
        ["watch", "like", "comment", "send_gift", "cart", "purchase", "search", "dialogue"])},
        optional={"play_duration": small_values, "like_cnt": small_values, "gift_amount": small_values,
                  "is_pay": small_values, "keyword": small_values}), max_size=3) | small_values,
})


@SETTINGS
@given(users=st.dictionaries(st.text(max_size=8), st.fixed_dictionaries(
    {"action_history": st.lists(event, max_size=5)}, optional={"user_profile": small_values}), max_size=3))
def test_random_omnibehavior_shaped_files(tmp_path, both_paths, users):
    check(tmp_path, json.dumps(users, ensure_ascii=False).encode())


@SETTINGS
@given(cut=st.integers(0, len(COMPACT)), pos=st.integers(0, len(COMPACT) - 1),
       byte=st.integers(0, 255), insert=st.sampled_from([b"", b"{", b"]", b'"', b"\\", b",", b"NaN", b"\xff"]))
def test_mutations_of_a_valid_file(tmp_path, both_paths, cut, pos, byte, insert):
    mutated = bytearray(COMPACT)
    mutated[pos] = byte
    mutated = bytes(mutated[:pos]) + insert + bytes(mutated[pos:])
    check(tmp_path, mutated[:max(cut, 1)])
    check(tmp_path, COMPACT[:cut])


# -- the streaming path on two processes gives what it gives on one -------------------------------


def _outcome(f: Path):
    try:
        ts = load_traces(f, use_cache=False)
    except TraceError as exc:
        return "error", str(exc)
    return ts.events, ts.users, sorted(map(str, ts.warnings))


def differential(tmp_path: Path, data: bytes, monkeypatch) -> None:
    f = tmp_path / "diff.json"
    f.write_bytes(data)
    monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)
    monkeypatch.setattr(limits, "BATCH_EVENTS", 3)
    monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 1 << 40)
    one = _outcome(f)
    monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(limits, "PARALLEL_MIN_EVENTS", 2)
    same_outcome(_outcome(f), one)


def same_outcome(two, one) -> None:
    """Two ``_outcome`` results are the same: the same error, or the same tables and warnings."""
    from polars.testing import assert_frame_equal

    if isinstance(one[0], str) or isinstance(two[0], str):  # ("error", message)
        assert two == one
        return
    assert_frame_equal(two[0], one[0])
    assert_frame_equal(two[1], one[1])
    assert two[2] == one[2]


@SETTINGS
@given(users=st.dictionaries(st.text(max_size=8), st.fixed_dictionaries(
    {"action_history": st.lists(event, max_size=9)}, optional={"user_profile": small_values}), max_size=3))
def test_two_process_streaming_agrees_on_random_files(tmp_path, monkeypatch, users):
    differential(tmp_path, json.dumps(users, ensure_ascii=False).encode(), monkeypatch)


@SETTINGS
@given(cut=st.integers(len(COMPACT) // 3, len(COMPACT)), pos=st.integers(0, len(COMPACT) - 1),
       insert=st.sampled_from([b"", b"{", b"]", b'"', b"\\", b",", b"NaN", b"\xff"]))
def test_two_process_streaming_agrees_on_damaged_files(tmp_path, monkeypatch, cut, pos, insert):
    mutated = COMPACT[:pos] + insert + COMPACT[pos:]
    differential(tmp_path, mutated[:cut], monkeypatch)
