"""The wheel ships the resources and the entry point, and its version is workbench.__version__.

Builds the wheel once per module with ``pip wheel <copy of the checkout> --no-deps`` (a copy, so the
build leaves no build/ or egg-info in the working tree). Uses the venv's setuptools without build
isolation when it is installed (offline, ~3 s), else pip's isolated build.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import workbench

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("workbench", "widgets", "resources")
# package-data patterns of pyproject.toml ([tool.setuptools.package-data] "*" = [...])
DATA_SUFFIXES = {".json", ".svg", ".png", ".qss", ".html", ".css", ".txt", ".md", ".tsv", ".desktop"}
ICON_FILES = ["behavior-trace-workbench.svg",
              *[f"behavior-trace-workbench-{s}.png" for s in (16, 32, 48, 64, 128, 256, 512)]]


def _ignore(_dir: str, names: list[str]) -> set[str]:
    return {n for n in names if n in ("__pycache__", ".pytest_cache") or n.endswith((".pyc", ".egg-info"))}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    if not (src / "README.md").exists():  # pyproject's readme must exist for the build
        (src / "README.md").write_text("Behavior Trace Workbench\n")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, src / package, ignore=_ignore)
    out = tmp_path_factory.mktemp("wheelhouse")
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(out), "-q",
           "--disable-pip-version-check"]
    if importlib.util.find_spec("setuptools") is not None:
        cmd.append("--no-build-isolation")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(out.glob("behavior_trace_workbench-*.whl"))
    assert len(wheels) == 1, list(out.iterdir())
    with zipfile.ZipFile(wheels[0]) as zf:
        yield zf


def _checkout_data_files() -> list[str]:
    """Every non-Python file under our packages (icons, JSON, templates, ...)."""
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if (path.is_file() and path.suffix not in (".py", ".pyc")
                    and "__pycache__" not in path.parts
                    and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)):
                found.append(path.relative_to(ROOT).as_posix())
    return sorted(found)


def _dist_info(zf: zipfile.ZipFile, name: str) -> str:
    matches = [n for n in zf.namelist() if n.endswith(f".dist-info/{name}")]
    assert len(matches) == 1, matches
    return zf.read(matches[0]).decode()


def test_wheel_contains_the_icons(wheel):
    names = set(wheel.namelist())
    missing = [f for f in ICON_FILES if f"resources/icons/{f}" not in names]
    assert not missing


def test_wheel_contains_every_resource_and_data_file_of_the_checkout(wheel):
    expected = _checkout_data_files()
    assert "resources/icons/behavior-trace-workbench.svg" in expected
    missing = sorted(set(expected) - set(wheel.namelist()))
    uncovered = sorted({Path(m).suffix for m in missing} - DATA_SUFFIXES)
    assert not missing, (f"data files not in the wheel: {missing}; suffixes not in pyproject's "
                         f"[tool.setuptools.package-data] patterns: {uncovered}")


def test_wheel_contains_the_packages_and_no_tests(wheel):
    names = wheel.namelist()
    for module in ("workbench/__init__.py", "workbench/cli.py", "workbench/app/about.py",
                   "workbench/app/icons.py", "resources/__init__.py"):
        assert module in names
    assert not [n for n in names if n.startswith(("tests/", "packaging/", "bench/"))]


def test_wheel_entry_point_is_workbench_cli_main(wheel):
    entry_points = _dist_info(wheel, "entry_points.txt")
    section = entry_points.split("[console_scripts]", 1)[1].split("[", 1)[0]
    scripts = {k.strip(): v.strip() for k, v in
               (line.split("=", 1) for line in section.splitlines() if "=" in line)}
    assert scripts.get("workbench") == "workbench.cli:main"


def test_wheel_version_is_the_single_source(wheel):
    meta = Parser().parsestr(_dist_info(wheel, "METADATA"))
    assert meta["Name"] == "behavior-trace-workbench"
    assert meta["Version"] == workbench.__version__
    assert wheel.filename and f"-{workbench.__version__}-" in Path(wheel.filename).name
