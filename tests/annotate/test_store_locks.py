"""An open store keeps its file's locks while this process looks at the file again.

Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's among
them. Were the store's shared lock lost, another process closing its own connection would take
the exclusive lock, checkpoint and delete the WAL under the still-open store, and the store's next
commits would go to a deleted file: invisible to every other process and lost on a crash.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from workbench.annotate.model import new_case
from workbench.annotate.store import CaseStore
from workbench.annotate.store_file import inspect_store_file

#: Another process: open the store file, count its cases, close (the last connection out of a
#: file whose other holders lost their locks checkpoints and deletes the WAL here).
COUNT = "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); print(db.execute('SELECT COUNT(*) FROM cases').fetchone()[0]); db.close()"


def _count_elsewhere(path: Path) -> int:
    out = subprocess.run([sys.executable, "-c", COUNT, str(path)], capture_output=True, text=True, timeout=60,
                         check=True)
    return int(out.stdout)


@pytest.mark.parametrize("look", ["inspect", "second store"])
def test_looking_at_an_open_store_again_keeps_its_commits_durable(tmp_path, look):
    path = tmp_path / "cases.db"
    store = CaseStore(path)
    try:
        store.add_case(new_case(source="t", user_id="u1", event_index=1, author="ana"))
        if look == "inspect":
            assert inspect_store_file(path).kind == "ours"
        else:
            with CaseStore(path, readonly=True) as other:
                assert len(other.list_cases(with_snapshots=False)) == 1
        assert _count_elsewhere(path) == 1
        assert Path(f"{path}-wal").exists()          # the other process did not delete the open WAL
        store.add_case(new_case(source="t", user_id="u2", event_index=2, author="ana"))
        assert _count_elsewhere(path) == 2           # a commit is on disk for every process
    finally:
        store.close()


def test_held_open_follows_the_stores_on_a_file(tmp_path):
    from workbench.annotate.store_file import held_open

    path = tmp_path / "cases.db"
    assert not held_open(path)
    first = CaseStore(path)
    second = CaseStore(path, readonly=True)
    assert held_open(path)
    first.close()
    assert held_open(path)                            # still open through the second
    second.close()
    second.close()                                    # idempotent: never released twice
    assert not held_open(path)
    assert inspect_store_file(path).kind == "ours"    # closed: classified by its header again
