"""`workbench demo` CLI, ensure_demo_dataset caching, and light / Qt-free imports."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.blocked_imports import run_blocked

from workbench import cli, paths
import workbench.demo as demo
from workbench.demo import generator
from workbench.demo.personas import PERSONAS


def test_cli_writes_the_dataset(tmp_path, capsys):
    out = tmp_path / "d"
    rc = cli.main(["demo", str(out), "--seed", "3", "--heavy-events", "300", "--scale", "0.05", "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["out_dir"] == str(out) and summary["chains"] >= 15
    assert sorted(summary["users"]) == sorted(p.user_id for p in PERSONAS)
    assert summary["total_events"] == sum(summary["users"].values())
    assert {p.name for p in out.glob("*.json")} == {f"{p.user_id}.json" for p in PERSONAS}
    assert (out / "meta" / "chains.json").is_file() and (out / "meta" / "manifest.json").is_file()
    manifest = demo.demo_manifest(out)
    assert manifest["seed"] == 3 and manifest["heavy_events"] == 300
    assert demo.demo_chains(out) and demo.demo_chains(tmp_path) == []


def test_cli_rejects_a_file_as_output(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("x")
    assert cli.main(["demo", str(f)]) == 2
    err = capsys.readouterr().err
    assert str(f) in err and len(err.strip().splitlines()) == 1
    assert cli.main(["demo", str(tmp_path / "x"), "--scale", "0"]) == 2


@pytest.fixture
def tiny_personas(monkeypatch):
    """Make the 'full' dataset tiny so ensure_demo_dataset runs fast in tests."""
    small = tuple(dataclasses.replace(p, feed_events=40) for p in PERSONAS)
    monkeypatch.setattr(generator, "PERSONAS", small)
    monkeypatch.setattr(generator, "HEAVY_EVENTS", 200)
    calls = []
    real = generator.generate

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(generator, "generate", counting)
    return calls


def test_ensure_demo_dataset_generates_once_and_reuses(tiny_personas):
    folder = demo.ensure_demo_dataset()
    assert folder == paths.data_dir() / "demo" / "seed0"
    assert len(tiny_personas) == 1
    files = {p.name: p.read_bytes() for p in folder.glob("*.json")}
    assert len(files) == len(PERSONAS)
    assert demo.ensure_demo_dataset() == folder
    assert len(tiny_personas) == 1  # reused, not regenerated
    assert demo.ensure_demo_dataset(seed=2) == paths.data_dir() / "demo" / "seed2"
    assert len(tiny_personas) == 2
    # no temporary or half-written folders left behind
    assert sorted(p.name for p in (paths.data_dir() / "demo").iterdir()) == ["seed0", "seed2"]


def test_ensure_demo_dataset_regenerates_after_a_generator_change(tiny_personas, monkeypatch):
    folder = demo.ensure_demo_dataset()
    (folder / "user_0001.json").write_bytes(b"stale")
    monkeypatch.setattr(generator, "GENERATOR_VERSION", "test-next")
    assert demo.ensure_demo_dataset() == folder
    assert len(tiny_personas) == 2
    assert (folder / "user_0001.json").read_bytes().startswith(b'{"user_0001":')
    assert demo.demo_manifest(folder)["version"] == "test-next"
    assert sorted(p.name for p in (paths.data_dir() / "demo").iterdir()) == ["seed0"]


def test_ensure_demo_dataset_repairs_a_damaged_folder(tiny_personas):
    folder = demo.ensure_demo_dataset()
    (folder / "user_0005.json").unlink()
    demo.ensure_demo_dataset()
    assert (folder / "user_0005.json").is_file() and len(tiny_personas) == 2


def test_a_failed_generation_leaves_nothing_behind(monkeypatch):
    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(generator, "generate", boom)
    with pytest.raises(OSError):
        demo.ensure_demo_dataset()
    root = paths.data_dir() / "demo"
    assert not root.exists() or list(root.iterdir()) == []


def test_imports_are_light_and_qt_free():
    code = (
        "import sys\n"
        "import workbench.demo, workbench.demo.cli\n"
        "assert 'numpy' not in sys.modules, 'cli import pulled numpy'\n"
        "import workbench.demo.generator\n"
        "print('ok')\n"
    )
    r = run_blocked(code)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_ensure_demo_dataset_reports_progress_and_can_be_cancelled(tiny_personas):
    from workbench.tasks import Cancelled, TaskState

    seen = []
    task = TaskState(lambda done, total, text: (seen.append((done, total, text)), done >= 3 and task.cancel()))
    with pytest.raises(Cancelled):
        demo.ensure_demo_dataset(task=task)
    assert seen[0][:2] == (0, len(PERSONAS)) and "user_0001" in seen[0][2]
    root = paths.data_dir() / "demo"
    assert list(root.iterdir()) == []  # the half-generated temporary folder is gone
    progress = []
    folder = demo.ensure_demo_dataset(task=TaskState(lambda d, t, s: progress.append(d)))
    assert progress == list(range(len(PERSONAS))) and (folder / "meta" / "manifest.json").is_file()
