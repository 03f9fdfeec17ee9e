"""Positioned reads of a big trace file (workbench.traces.filebytes): the scan, the search and the
slices read from the file are those of the same bytes in memory; a file cut short is an error
naming it."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.traces import TraceError, filebytes
from workbench.traces.scan import scan

from .test_scan import TRICKY


def _same(a, b) -> None:
    for name in ("pos", "char", "depth_before"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert (a.size, a.final_depth, a.ends_in_string, a.first_negative, a.max_string) == \
        (b.size, b.final_depth, b.ends_in_string, b.first_negative, b.max_string)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(data=st.text(alphabet='{}[],"\\ab:', max_size=150).map(str.encode) | st.just(TRICKY),
       chunk=st.integers(1, 9), cut=st.integers(0, 200), keep=st.integers(0, 4))
def test_a_scan_of_the_file_is_the_scan_of_its_bytes(data, chunk, cut, keep):
    """Whatever the chunking and wherever a part starts: runs of backslashes that cross a chunk's
    start are read back from the file, never from before the part."""
    cut = min(cut, len(data))
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "t.json"
        f.write_bytes(data)
        with filebytes.FileBytes(f) as raw:
            buf = np.frombuffer(data, np.uint8)
            _same(scan(filebytes.part(raw), keep_depth=keep, chunk=chunk), scan(buf, keep_depth=keep, chunk=3))
            _same(scan(filebytes.part(raw, cut), keep_depth=keep, chunk=chunk, start_depth=3),
                  scan(buf[cut:], keep_depth=keep, start_depth=3))
            _same(scan(filebytes.part(raw, 0, cut), keep_depth=keep, chunk=chunk), scan(buf[:cut], keep_depth=keep))


def test_slices_chunks_and_search_read_the_files_bytes(tmp_path, monkeypatch):
    data = bytes(range(256)) * 50 + b'}, {"type": "x", "timestamp": 1}' + b" " * 3000 + b'},{"type":null,"timestamp":'
    f = tmp_path / "t.json"
    f.write_bytes(data)
    monkeypatch.setattr(filebytes, "SEARCH_WINDOW", 1000)
    monkeypatch.setattr(filebytes, "SEARCH_OVERLAP", 100)
    pattern = re.compile(rb'\}\s*(,)\s*\{\s*"type"\s*:\s*(?:"[^"\\]*"|null)\s*,\s*"timestamp"\s*:')
    with filebytes.FileBytes(f) as raw:
        assert len(raw) == len(data) and raw[5:7000] == data[5:7000] and raw[-10:] == data[-10:]
        assert raw[len(data):len(data) + 5] == b""
        assert bytes(filebytes.as_array(raw, 10, 20)) == b"[" + data[10:20] + b"]"
        for backward in (False, True):
            got = [(off, bytes(a)) for off, a in filebytes.chunks(raw, 7, 5000, 999, backward)]
            assert got == [(off, bytes(a)) for off, a in filebytes.chunks(data, 7, 5000, 999, backward)]
            assert b"".join(b for _, b in sorted(got)) == data[7:5000]
        for start in (0, 12_800, 12_801, len(data) - 5):
            want = pattern.search(data, start)
            assert filebytes.search(raw, pattern, start, 1) == (want.start(1) if want else None)


def test_a_file_cut_short_is_an_error_naming_it(tmp_path):
    f = tmp_path / "big.json"
    f.write_bytes(b"x" * 100_000)
    with filebytes.FileBytes(f) as raw:
        os.truncate(f, 40_000)
        assert raw[:100] == b"x" * 100
        with pytest.raises(TraceError, match="changed while it was read: it ended at byte 40000 of the 100000") as err:
            raw[39_000:41_000]
        assert err.value.issue.file == str(f)
        with pytest.raises(TraceError, match="changed while it was read"):
            list(filebytes.chunks(raw, 0, 100_000, 4096))
        with pytest.raises(TraceError, match="changed while it was read"):
            scan(filebytes.part(raw), chunk=4096)
