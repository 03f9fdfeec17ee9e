"""Point 2 (crash safety): a writer killed with SIGKILL mid-edit loses nothing it reported committed
and leaves an intact file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workbench.annotate.store import CaseStore

CHILD = textwrap.dedent("""
    import sys
    from workbench.annotate.model import new_case
    from workbench.annotate.store import CaseStore

    store = CaseStore(sys.argv[1])
    n = 0
    ids = []
    while True:
        case = new_case(source="trace.json", user_id=f"user_{n % 7}", event_index=n,
                        fields=["video_liked"], real_values={"video_liked": n % 2},
                        tags=["hyper-activity"], note="", prompt="p" * 2000)
        store.add_case(case)
        print("case", case.id, flush=True)
        ids.append(case.id)
        # an analyst typing: one autosave per (debounced) keystroke, on the last few cases
        for k in range(5):
            n += 1
            target = ids[-1 - (k % min(len(ids), 3))]
            store.update_note(target, f"note {n} " + "x" * (n % 50))
            print("note", target, n, flush=True)
            store.toggle_tag(target, "other")
            print("tags", target, n, flush=True)
""")


@pytest.mark.parametrize("stop_after", [40, 157])
def test_sigkill_mid_edit_keeps_every_commit(tmp_path, stop_after):
    db = tmp_path / "cases.db"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2]) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True)
    cases: set[str] = set()
    last_note: dict[str, int] = {}
    lines = 0
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            parts = line.split()
            if parts[0] == "case":
                cases.add(parts[1])
            elif parts[0] == "note":
                last_note[parts[1]] = int(parts[2])
            lines += 1
            if lines >= stop_after:
                os.kill(proc.pid, signal.SIGKILL)  # the child is mid-way through its next write
                break
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    assert cases and last_note
    # the WAL (and its shared-memory index) are left behind by the kill: recovery must use them
    assert Path(str(db) + "-wal").exists()
    with CaseStore(db) as store:
        assert store.integrity_check() == "ok"
        stored = {c.id: c for c in store.list_cases()}
        assert cases <= set(stored), "a case the writer reported as committed is missing"
        for cid, n in last_note.items():
            note = stored[cid].note
            assert note.startswith("note "), (cid, note)
            # the stored note is the reported one or a later one (committed just before the kill)
            assert int(note.split()[1]) >= n
