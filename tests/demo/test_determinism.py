"""Same seed -> byte-identical files; another seed -> different data; users independent."""

from __future__ import annotations

from workbench.demo.generator import generate

from .conftest import SMALL


def _all_bytes(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_files(tmp_path, small_demo):
    generate(tmp_path / "again", 0, **SMALL)
    a, b = _all_bytes(small_demo), _all_bytes(tmp_path / "again")
    assert set(a) == set(b) and len(a) >= 14  # 12 users + manifest + chains
    assert a == b
    assert not [name for name in a if name.endswith(".part")]


def test_another_seed_gives_other_data(tmp_path, small_demo):
    generate(tmp_path / "s1", 1, **SMALL)
    a, b = _all_bytes(small_demo), _all_bytes(tmp_path / "s1")
    assert set(a) == set(b)
    differing = [name for name in a if name.endswith(".json") and a[name] != b[name]]
    assert len(differing) == len(a)


def test_users_do_not_depend_on_each_other(tmp_path, small_demo):
    generate(tmp_path / "h", 0, heavy_events=1000, scale=SMALL["scale"])
    for name in ("user_0001.json", "user_011.json"):
        assert (tmp_path / "h" / name).read_bytes() == (small_demo / name).read_bytes()
    assert (tmp_path / "h" / "user_0003.json").read_bytes() != (small_demo / "user_0003.json").read_bytes()


def test_combined_file_holds_every_user(tmp_path, small_users):
    import orjson

    res = generate(tmp_path / "c", 0, combined=True, **SMALL)
    data = orjson.loads(res.combined.read_bytes())
    assert list(data) == list(res.users)
    assert data == small_users
    assert res.combined.parent.name == "combined"  # not beside the per-user files (folder loaders read those)


def test_worker_processes_give_the_same_files(tmp_path, small_demo):
    generate(tmp_path / "w", 0, workers=2, **SMALL)
    assert _all_bytes(tmp_path / "w") == _all_bytes(small_demo)
