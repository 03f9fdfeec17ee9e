"""Build the frozen one-folder app with PyInstaller. Layer: packaging (build tool).

    make freeze                      # = python packaging/build.py
    python packaging/build.py [--clean] [--dist DIR] [--work DIR]

Runs ``packaging/workbench.spec`` and writes ``dist/workbench/`` (start it with
``dist/workbench/workbench``), then copies the desktop entry beside the executable (the icons are in
``_internal/resources/icons``). ``--archive`` also packs the folder as
``dist/workbench-<version>-linux-<machine>.tar.gz`` for users (see INSTALL_SECTION.md). Needs PyInstaller (the ``freeze`` extra: ``pip install -e '.[freeze]'``).
At the end it prints the modules PyInstaller could not find that matter (optional imports of
libraries we do not use are filtered out) and one JSON line:
``{"build_s": ..., "bundle_mb": ..., "files": ..., "exe": ...}``.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import subprocess
import tarfile
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "workbench.spec"
APP_NAME = "workbench"
DEFAULT_DIST = ROOT / "dist"
DEFAULT_WORK = ROOT / "build" / "pyinstaller"
DESKTOP_FILE = ROOT / "packaging" / "behavior-trace-workbench.desktop"

# Top-level names whose absence matters for the app (anything we import ourselves or need at run
# time); a missing-module warning for anything else is an optional import of some library.
IMPORTANT_TOP_LEVEL = {
    "workbench", "widgets", "resources", "PySide6", "shiboken6", "pyqtgraph", "polars",
    "_polars_runtime_32", "numpy", "litellm", "tiktoken", "tiktoken_ext", "tokenizers", "qasync",
    "keyring", "secretstorage", "jeepney", "orjson", "platformdirs", "rank_bm25", "httpx", "openai",
    "aiohttp", "pydantic", "pydantic_core", "jinja2", "yaml", "jsonschema", "fastuuid", "xxhash",
    "msgspec",
}


def folder_size(path: Path) -> tuple[int, int]:
    """(bytes, file count) of a folder, not following symlinks."""
    total = files = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
            files += 1
    return total, files


def module_exists(name: str) -> bool:
    """Whether ``name`` is a module or package on ``sys.path``, found on disk without importing it.

    PyInstaller lists ``from package import name`` as a missing module ``package.name`` when ``name``
    is an attribute (``numpy._core.zeros``, ``litellm.get_model_info``): those do not exist as modules.
    """
    from importlib.machinery import all_suffixes

    search = [Path(p or ".") for p in sys.path]
    parts = name.split(".")
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        packages = [d / part for d in search if (d / part).is_dir()]
        if last and any((d / f"{part}{suffix}").is_file() for d in search for suffix in all_suffixes()):
            return True
        if not packages:
            return False
        search = packages
    return True


def missing_modules(warn_file: Path) -> list[str]:
    """Modules PyInstaller left out although they exist here and are imported unguarded.

    Lines of the warn file look like ``missing module named 'x.y' - imported by a (top-level), b
    (delayed)``; ``(optional)``/``(conditional)``/``(delayed)`` imports are guarded by try/except,
    platform checks or run only inside functions. Only names under packages the app depends on
    (``IMPORTANT_TOP_LEVEL``) are reported.
    """
    if not warn_file.exists():
        return []
    found = []
    pattern = re.compile(r"^missing module named '?([\w.]+)'? - imported by (.*)$")
    for line in warn_file.read_text(encoding="utf-8", errors="replace").splitlines():
        m = pattern.match(line.strip())
        if not m:
            continue
        name, importers = m.groups()
        if name.split(".")[0] not in IMPORTANT_TOP_LEVEL:
            continue
        unguarded = [i for i in importers.split(", ") if i.endswith("(top-level)")]
        if unguarded and module_exists(name):
            found.append(f"{name} <- {', '.join(unguarded[:3])}")
    return found


def build(dist: Path = DEFAULT_DIST, work: Path = DEFAULT_WORK, clean: bool = False,
          quiet: bool = False) -> dict:
    """Run PyInstaller on the spec; return ``{"build_s", "bundle_mb", "files", "exe", "missing"}``."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit("PyInstaller is not installed: pip install -e '.[freeze]' (or make freeze)") from None
    cmd = [sys.executable, "-m", "PyInstaller", str(SPEC), "--noconfirm",
           "--distpath", str(dist), "--workpath", str(work), "--log-level", "WARN"]
    if clean:
        cmd.append("--clean")
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=quiet, text=True)
    build_s = time.perf_counter() - start
    if proc.returncode != 0:
        if quiet:
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-8000:])
        raise SystemExit(f"PyInstaller failed with exit code {proc.returncode}")
    app_dir = dist / APP_NAME
    exe = app_dir / APP_NAME
    if not exe.exists():
        raise SystemExit(f"PyInstaller finished but {exe} does not exist")
    shutil.copy2(DESKTOP_FILE, app_dir / DESKTOP_FILE.name)
    size, files = folder_size(app_dir)
    return {
        "build_s": round(build_s, 1),
        "bundle_mb": round(size / 2**20, 1),
        "files": files,
        "exe": str(exe),
        "missing": missing_modules(work / APP_NAME / f"warn-{APP_NAME}.txt"),
    }


def archive(app_dir: Path) -> Path:
    """Pack the one-folder app as ``workbench-<version>-linux-<machine>.tar.gz`` beside it."""
    sys.path.insert(0, str(ROOT))
    from workbench import __version__

    out = app_dir.parent / f"{APP_NAME}-{__version__}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(app_dir, arcname=APP_NAME)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the frozen one-folder app (PyInstaller).")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache first")
    parser.add_argument("--dist", type=Path, default=DEFAULT_DIST, help="output folder (dist/)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="work folder (build/pyinstaller)")
    parser.add_argument("--archive", action="store_true",
                        help="also write dist/workbench-<version>-linux-<machine>.tar.gz")
    args = parser.parse_args(argv)
    result = build(args.dist.resolve(), args.work.resolve(), clean=args.clean)
    if args.archive:
        start = time.perf_counter()
        tarball = archive(Path(result["exe"]).parent)
        result["archive"] = str(tarball)
        result["archive_mb"] = round(tarball.stat().st_size / 2**20, 1)
        result["archive_s"] = round(time.perf_counter() - start, 1)
    for line in result.pop("missing"):
        print(f"warning: missing module {line}", file=sys.stderr)
    print(f"built {result['exe']} ({result['bundle_mb']} MB, {result['files']} files) "
          f"in {result['build_s']} s", file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
