"""The structural scanner agrees with a plain reference walk, whatever the chunking."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.traces.scan import join, key_before, scan


def reference(data: bytes, keep: int):
    """Byte-by-byte walk: (pos, char, depth_before) of structural bytes outside strings. A quote
    after an odd run of backslashes is escaped (in valid JSON backslashes only occur in strings,
    where this is the JSON rule; the scanner applies it everywhere)."""
    out, depth, in_str, run = [], 0, False, 0
    reference.max_string, start = 0, -1
    for i, b in enumerate(data):
        c = chr(b)
        if c == "\\":
            run += 1
            continue
        escaped = run % 2 == 1
        run = 0
        if c == '"':
            if not escaped:
                in_str = not in_str
                if in_str:
                    start = i
                else:
                    reference.max_string = max(reference.max_string, i - start - 1)
            continue
        if in_str:
            continue
        if c in "{[":
            if depth <= keep:
                out.append((i, b, depth))
            depth += 1
        elif c in "}]":
            if depth - 1 <= keep:
                out.append((i, b, depth))
            depth -= 1
        elif c == ",":
            if depth <= keep:
                out.append((i, b, depth))
    if in_str:
        reference.max_string = max(reference.max_string, len(data) - start - 1)
    return out, depth, in_str


TRICKY = json.dumps({"u\"1": {"user_profile": "a \\\" [ { } ] , \\\\", "action_history": [
    {"type": "x", "context": {"caption": "}}]]\\\\\"", "asr": "\\\\\\\\"}, "action": [{"type": "watch"}]},
    {"type": "y", "action": []}]}, "u2": {"action_history": []}}).encode()


def run(data: bytes, keep: int, chunk: int):
    st_ = scan(np.frombuffer(data, np.uint8), keep_depth=keep, chunk=chunk)
    got = list(zip(st_.pos.tolist(), st_.char.tolist(), st_.depth_before.tolist()))
    return got, st_


def test_tricky_strings_every_chunk_size():
    want, depth, in_str = reference(TRICKY, 3)
    for chunk in (1, 2, 3, 5, 7, 64, 1 << 20):
        got, st_ = run(TRICKY, 3, chunk)
        assert got == want, chunk
        assert st_.max_string == reference.max_string, chunk
        assert st_.final_depth == 0 and not st_.ends_in_string and st_.complete


@settings(max_examples=80, deadline=None, derandomize=True)
@given(data=st.binary(max_size=200).map(lambda b: b.replace(b"\x00", b"\\")) | st.text(
    alphabet='{}[],"\\ab:', max_size=120).map(str.encode), chunk=st.integers(1, 9), keep=st.integers(0, 4))
def test_matches_reference_on_random_input(data, chunk, keep):
    want, depth, in_str = reference(data, keep)
    got, st_ = run(data, keep, chunk)
    assert got == want
    assert st_.final_depth == depth and st_.ends_in_string == in_str
    assert st_.max_string == reference.max_string


def test_truncated_and_longest_string():
    data = b'{"a": {"b": ["xxxxxxxxxx", "yy'
    _, st_ = run(data, 3, 4)
    assert not st_.complete and st_.ends_in_string and st_.final_depth == 3
    _, full = run(b'{"k": "0123456789"}', 3, 3)
    assert full.max_string == 10


def test_key_before():
    data = b'{"user": {"action_history" :  [1]}}'
    assert key_before(data, data.index(b"[")) == "action_history"
    assert key_before(data, 0) is None


def test_two_part_scan_joins_to_the_whole_scan():
    """A scan split at a comma between two events (depth 3, outside strings) and joined equals the
    scan of the whole; a split anywhere else is refused."""
    data = TRICKY
    whole = scan(np.frombuffer(data, np.uint8), keep_depth=3)
    cut = data.index(b', {"type": "y"')  # between the two events of u"1
    buf = np.frombuffer(data, np.uint8)
    head = scan(buf[:cut], keep_depth=3, chunk=7)
    tail = scan(buf[cut:], keep_depth=3, chunk=5, start_depth=3)
    both = join(head, tail, cut)
    assert both is not None
    for name in ("pos", "char", "depth_before"):
        assert np.array_equal(getattr(both, name), getattr(whole, name)), name
    assert (both.size, both.final_depth, both.ends_in_string, both.first_negative, both.max_string) == \
        (whole.size, whole.final_depth, whole.ends_in_string, whole.first_negative, whole.max_string)
    inside = data.index(b"}}]]")  # inside a string: the head ends in it
    assert join(scan(buf[:inside], keep_depth=3), scan(buf[inside:], keep_depth=3, start_depth=3), inside) is None
    shallow = data.index(b', "u2"')  # depth 1, not 3
    assert join(scan(buf[:shallow], keep_depth=3), scan(buf[shallow:], keep_depth=3, start_depth=3),
                shallow) is None
