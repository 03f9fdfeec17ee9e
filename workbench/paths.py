"""Where the workbench keeps its files. Layer: pure (no Qt).

Config (settings.json), cache (columnar Parquet cache, LLM response cache) and data (case stores,
bookmarks) live in the platform folders given by platformdirs. ``WORKBENCH_CONFIG_DIR``,
``WORKBENCH_CACHE_DIR`` and ``WORKBENCH_DATA_DIR`` override them (tests point them at tmp_path).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "behavior-trace-workbench"


def _dir(env: str, default: str) -> Path:
    path = Path(os.environ.get(env) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """The settings folder (``WORKBENCH_CONFIG_DIR`` or the platform's), created if needed."""
    return _dir("WORKBENCH_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME))


def cache_dir() -> Path:
    """The cache folder (``WORKBENCH_CACHE_DIR`` or the platform's), created if needed."""
    return _dir("WORKBENCH_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME))


def data_dir() -> Path:
    """The data folder (``WORKBENCH_DATA_DIR`` or the platform's), created if needed."""
    return _dir("WORKBENCH_DATA_DIR", platformdirs.user_data_dir(APP_NAME))
