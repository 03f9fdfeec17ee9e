"""The freeze and smoke-test scripts' own logic (the frozen build itself runs in ``make smoke``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str):
    packaging_dir = str(ROOT / "packaging")
    if packaging_dir not in sys.path:
        sys.path.insert(0, packaging_dir)  # smoke_test imports its sibling build.py
    spec = importlib.util.spec_from_file_location(f"_packaging_{name}", ROOT / "packaging" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build():
    return _load("build")


@pytest.fixture(scope="module")
def smoke():
    return _load("smoke_test")


def test_module_exists_tells_modules_from_attributes(build):
    assert build.module_exists("json")
    assert build.module_exists("json.decoder")
    assert build.module_exists("polars")
    assert not build.module_exists("json.loads")  # an attribute, not a module
    assert not build.module_exists("no_such_package_xyz")


def test_missing_modules_reports_only_real_unguarded_gaps(build, tmp_path):
    warn = tmp_path / "warn-workbench.txt"
    warn.write_text(
        "\n".join([
            "This file lists modules PyInstaller was not able to find.",
            # real module, imported at top level: reported
            "missing module named polars.io - imported by polars (top-level), x (delayed)",
            # an attribute imported with 'from json import loads': not a module, ignored
            "missing module named json.loads - imported by polars (top-level)",
            # guarded import: ignored
            "missing module named 'polars.dataframe' - imported by polars (optional)",
            # a package the app does not depend on: ignored
            "missing module named pytest - imported by foo (top-level)",
        ]),
        encoding="utf-8",
    )
    assert build.missing_modules(warn) == ["polars.io <- polars (top-level)"]
    assert build.missing_modules(tmp_path / "absent.txt") == []


def test_folder_size_counts_files(build, tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 10)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 5)
    assert build.folder_size(tmp_path) == (15, 2)


def test_spec_excludes_tests_and_big_unused_qt_modules():
    spec = (ROOT / "packaging" / "workbench.spec").read_text()
    compile(spec, "workbench.spec", "exec")  # valid Python
    for name in ('"tests"', '"tkinter"', '"QtWebEngineCore"', '"Qt3DCore"', '"QtQuick3D"',
                 '"QtMultimedia"', 'collect_data_files(\n    "litellm"', 'copy_metadata("litellm"',
                 '"tiktoken_ext.openai_public"', 'collect_submodules("keyring.backends")'):
        assert name in spec, name


def test_parse_paint_reads_the_app_lines(smoke):
    out = "loading\nfirst_paint_s=1.234\nlitellm_imported=False\n"
    assert smoke.parse_paint(out) == (1.234, False)
    assert smoke.parse_paint("first_paint_s=2\nlitellm_imported=True") == (2.0, True)
    assert smoke.parse_paint("crashed") == (None, None)


def test_isolated_env_points_every_folder_at_the_temp_dir(smoke, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    env = smoke.isolated_env(tmp_path)
    assert env["QT_QPA_PLATFORM"] == "offscreen"
    assert env["WORKBENCH_EXIT_AFTER_PAINT"] == "1"
    for key in ("WORKBENCH_CONFIG_DIR", "WORKBENCH_CACHE_DIR", "WORKBENCH_DATA_DIR", "HOME",
                "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        assert Path(env[key]).is_dir() and Path(env[key]).is_relative_to(tmp_path), key
    assert "PYTHONPATH" not in env


def test_smoke_fails_clearly_without_a_build(smoke, tmp_path, capsys):
    code = smoke.main(["--no-build", "--dist", str(tmp_path)])
    assert code == 1
    assert "does not exist" in capsys.readouterr().out
