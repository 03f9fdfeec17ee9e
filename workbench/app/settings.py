"""Typed application settings in ``config_dir()/settings.json``. Layer: app (no Qt imports here).

One settings object: a frozen-schema dataclass with a schema version, read
tolerantly (unknown keys ignored, wrong types fall back to defaults, a corrupt file is set aside and
reported, never a crash) and written atomically (temp file in the same folder, fsync, rename).
No secrets ever go in here: API keys live in keyring only. Named bookmarks are user data and live in
``data_dir()`` (see :mod:`workbench.app.bookmarks`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from workbench.paths import config_dir
from workbench.fileio import atomic_write_text

SCHEMA_VERSION = 1
MAX_RECENT = 10
FILE_NAME = "settings.json"

#: Keys that must never be written to settings (defence in depth: secrets live in keyring only).
_FORBIDDEN_KEY_PARTS = ("key", "secret", "token", "password")
#: Nested option keys never kept (``max_tokens`` and friends are fine; keys and passwords are not).
_SECRET_PARTS = ("api_key", "apikey", "secret", "password", "authorization", "bearer")


@dataclass
class Settings:
    schema_version: int = SCHEMA_VERSION
    open_files: list[str] = field(default_factory=list)      # sources open at exit, reopened at start
    recent_files: list[str] = field(default_factory=list)    # most recent first
    last_user: str = ""                                      # user shown at exit
    last_range: list[float] = field(default_factory=list)    # [t0, t1] epoch seconds, or []
    window_geometry: str = ""                                # QMainWindow.saveGeometry(), base64
    window_state: str = ""                                   # QMainWindow.saveState() (docks), base64
    lookback_days: float = 30.0                              # causal-chain look-back window
    reference_checkout: str = ""                             # folder of a checkout of the benchmark's code
    predict: dict[str, Any] = field(default_factory=dict)    # Predict panel: models, API base, knobs (no secrets)
    annotator: str = ""                                      # who labels; "" = the login name (annotator_name)
    hide_other_annotators: bool = False                      # blind annotation: only my labels while annotating

    def add_recent(self, path: str) -> None:
        path = str(path)
        self.recent_files = [path] + [p for p in self.recent_files if p != path]
        del self.recent_files[MAX_RECENT:]


def login_name() -> str:
    """The login name of the user running the app, or "" where there is none (containers)."""
    import getpass

    try:
        return getpass.getuser().strip()
    except Exception:  # noqa: BLE001 - getpass raises OSError/KeyError variants without a login: none
        return ""


def annotator_name(settings: Settings | None = None) -> str:
    """The annotator every label the GUI writes records (tags, severity, blind picks, spans,
    adjudications): the ``annotator`` setting, else the login name, else ``"analyst"``."""
    name = " ".join((settings.annotator if settings is not None else "").split())
    return name or login_name() or "analyst"


def settings_path() -> Path:
    return config_dir() / FILE_NAME


def _coerce(name: str, default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        return value if isinstance(value, bool) else default
    if isinstance(default, int):
        return value if isinstance(value, int) and not isinstance(value, bool) else default
    if isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return float(value) if ok and value == value and abs(value) != float("inf") and value > 0 else default
    if isinstance(default, str):
        return value if isinstance(value, str) else default
    if isinstance(default, dict):
        return _plain(value) if isinstance(value, dict) else default
    if isinstance(default, list):
        if not isinstance(value, list):
            return default
        if name == "last_range":
            ok = len(value) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            return [float(v) for v in value] if ok and value[0] < value[1] else []
        return [v for v in value if isinstance(v, str)]
    return default


def _plain(value: Any) -> Any:
    """JSON values only; nested keys that look like secrets are dropped (defence in depth)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()
                if isinstance(k, str) and not any(part in k.lower() for part in _SECRET_PARTS)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def load_settings(path: Path | None = None, problems: list[str] | None = None) -> Settings:
    """Read the settings; any problem yields defaults for what is wrong (described in ``problems``)."""
    path = path or settings_path()
    defaults = Settings()
    if not path.exists():
        return defaults
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("top level is not a JSON object")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        if problems is not None:
            problems.append(f"{path}: settings could not be read ({exc}); defaults are used")
        try:
            path.replace(path.with_suffix(".json.corrupt"))
        except OSError:
            pass
        return defaults
    version = raw.get("schema_version")
    if isinstance(version, int) and version > SCHEMA_VERSION and problems is not None:
        problems.append(f"{path}: settings schema {version} is newer than this version ({SCHEMA_VERSION}); "
                        "known keys are read")
    values = {}
    for f in fields(Settings):
        if f.name == "schema_version":
            continue
        default = getattr(defaults, f.name)
        if f.name in raw:
            values[f.name] = _coerce(f.name, default, raw[f.name])
    return Settings(**values)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write atomically: temp file beside the target, fsync, rename. Returns the path."""
    path = path or settings_path()
    data = asdict(settings)
    data["schema_version"] = SCHEMA_VERSION
    data["predict"] = _plain(data.get("predict") or {})
    for name in data:
        if any(part in name.lower() for part in _FORBIDDEN_KEY_PARTS):
            raise ValueError(f"settings field {name!r} looks like a secret; secrets belong in keyring")
    return atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2))
