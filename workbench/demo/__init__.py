"""Embedded demo dataset: deterministic synthetic OmniBehavior traces. Layer: demo (pure; no Qt).

``ensure_demo_dataset(seed)`` returns a folder of per-user OmniBehavior JSON files under
``workbench.paths.data_dir() / "demo" / f"seed{seed}"``, generating it on first use (into a temporary
folder that is then renamed, so a crash never leaves a half-written dataset) and reusing it
afterwards while its ``meta/manifest.json`` matches the current generator version. The GUI opens this
folder when nothing else is open. ``workbench demo OUT_DIR`` writes the same files anywhere.

Heavy imports (numpy, the generator) happen inside the functions.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

__all__ = ["ensure_demo_dataset", "demo_manifest", "demo_chains"]


def _read_json(path: Path):
    import orjson

    try:
        return orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def demo_manifest(folder: str | os.PathLike[str]) -> dict | None:
    """The ``meta/manifest.json`` of a generated demo folder, or None."""
    data = _read_json(Path(folder) / "meta" / "manifest.json")
    return data if isinstance(data, dict) else None


def demo_chains(folder: str | os.PathLike[str]) -> list[dict]:
    """The planted cross-scenario chains of a demo folder (``meta/chains.json``); [] if none."""
    data = _read_json(Path(folder) / "meta" / "chains.json")
    return list(data.get("chains", [])) if isinstance(data, dict) else []


def _is_current(folder: Path, seed: int) -> bool:
    from workbench.demo.generator import GENERATOR_VERSION

    m = demo_manifest(folder)
    if not m or m.get("version") != GENERATOR_VERSION or m.get("seed") != seed:
        return False
    if m.get("heavy_events") is not None or m.get("scale") != 1.0:
        return False
    users = m.get("users")
    if not isinstance(users, list) or not users:
        return False
    return all(isinstance(u, dict) and (folder / str(u.get("file"))).is_file() for u in users) and (
        folder / "meta" / "chains.json").is_file()


def ensure_demo_dataset(seed: int = 0, task=None) -> Path:
    """Folder with the full demo dataset for ``seed``; generated once (a few seconds), then reused.

    ``task`` (a ``workbench.tasks.TaskState``) receives progress per user and may cancel; a
    cancelled or failed generation leaves nothing behind. Raises ``OSError`` when the data folder
    cannot be written.
    """
    from workbench import paths

    root = paths.data_dir() / "demo"
    target = root / f"seed{seed}"
    if _is_current(target, seed):
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".seed{seed}-", dir=root))
    try:
        from workbench.demo.generator import generate

        generate(tmp, seed, task=task)
        if target.exists():
            if _is_current(target, seed):  # another process finished first
                shutil.rmtree(tmp, ignore_errors=True)
                return target
            old = root / f".old-seed{seed}-{os.getpid()}-{time.time_ns()}"
            try:
                os.replace(target, old)
            except OSError:
                pass
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            if _is_current(target, seed):
                shutil.rmtree(tmp, ignore_errors=True)
                return target
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
