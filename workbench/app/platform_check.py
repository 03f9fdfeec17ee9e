"""Before Qt starts: can its X11 (xcb) platform plugin load? Layer: entry (no Qt imports).

Qt aborts when ``libqxcb.so`` cannot be loaded and names only the first library it missed. This
check tries to load the plugin itself (``ctypes``, a few milliseconds); when that fails it reads the
libraries the plugin and ``libQt6XcbQpa`` were linked against (their ELF ``DT_NEEDED`` entries),
finds which of them are neither shipped with Qt nor known to the system's loader, and returns one
line naming them with the command that installs them on Debian/Ubuntu and on Fedora.
The caller prints it and exits with code 2.

The check runs only when Qt will use xcb: ``QT_QPA_PLATFORM`` unset or ``xcb`` (``offscreen``,
``wayland`` ... skip it) and an X display is set. ``QT_QPA_PLATFORM_PLUGIN_PATH`` is honoured as Qt
honours it.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from pathlib import Path

#: Library base name (soname up to ".so") -> (Debian/Ubuntu package, Fedora package).
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-util": ("libxcb-util1", "xcb-util"),
    "libxcb-image": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-randr": ("libxcb-randr0", "libxcb"),
    "libxcb-shm": ("libxcb-shm0", "libxcb"),
    "libxcb-sync": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render": ("libxcb-render0", "libxcb"),
    "libxcb-shape": ("libxcb-shape0", "libxcb"),
    "libxcb-xkb": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinerama": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xinput": ("libxcb-xinput0", "libxcb"),
    "libxcb": ("libxcb1", "libxcb"),
    "libX11-xcb": ("libx11-xcb1", "libX11-xcb"),
    "libX11": ("libx11-6", "libX11"),
    "libxkbcommon-x11": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon": ("libxkbcommon0", "libxkbcommon"),
    "libGL": ("libgl1", "libglvnd-glx"),
    "libEGL": ("libegl1", "libglvnd-egl"),
    "libOpenGL": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig": ("libfontconfig1", "fontconfig"),
    "libfreetype": ("libfreetype6", "freetype"),
    "libglib-2.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0": ("libglib2.0-0", "glib2"),
    "libdbus-1": ("libdbus-1-3", "dbus-libs"),
    "libICE": ("libice6", "libICE"),
    "libSM": ("libsm6", "libSM"),
}

#: What the plugin needs when its ELF cannot be read (PySide6 6.x on Linux).
FALLBACK_NEEDED = ("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-util.so.1", "libxcb-image.so.0",
                   "libxcb-keysyms.so.1", "libxcb-randr.so.0", "libxcb-render-util.so.0", "libxcb-shm.so.0",
                   "libxcb-sync.so.1", "libxcb-xfixes.so.0", "libxcb-render.so.0", "libxcb-shape.so.0",
                   "libxcb-xkb.so.1", "libxcb.so.1", "libX11-xcb.so.1", "libX11.so.6", "libxkbcommon.so.0",
                   "libxkbcommon-x11.so.0", "libGL.so.1")


def elf_needed(path: str | Path) -> list[str]:
    """The ``DT_NEEDED`` sonames of a 64-bit little-endian ELF file (``[]`` if it is not one).

    Raises ``OSError`` when the file cannot be read."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return []
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    for sec in sections:
        if sec[1] != 6:                               # SHT_DYNAMIC
            continue
        strtab = sections[sec[6]]                     # sh_link: the string table of the entries
        str_off = strtab[4]
        out = []
        for pos in range(sec[4], sec[4] + sec[5], 16):
            tag, val = struct.unpack_from("<qQ", data, pos)
            if tag == 0:
                break
            if tag == 1:                              # DT_NEEDED
                end = data.index(b"\0", str_off + val)
                out.append(data[str_off + val:end].decode("ascii", "replace"))
        return out
    return []


def _qt_dirs() -> tuple[Path | None, list[Path]]:
    """(the xcb plugin file or None, folders holding the libraries Qt ships)."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None, []
    qt = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    plugin_dirs = [Path(p) / "libqxcb.so" for p in os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(os.pathsep)
                   if p]
    plugin_dirs.append(qt / "plugins" / "platforms" / "libqxcb.so")
    plugin = next((p for p in plugin_dirs if p.is_file()), None)
    shipped = [qt / "lib", qt.parent, Path(getattr(sys, "_MEIPASS", "") or qt / "lib")]
    return plugin, shipped


def _loadable(soname: str, shipped: list[Path]) -> bool:
    if any((d / soname).exists() for d in shipped):
        return True
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(plugin: Path, shipped: list[Path]) -> list[str]:
    """Sonames the plugin (and Qt's xcb library) need that neither Qt ships nor the system has."""
    needed: list[str] = []
    try:
        needed += elf_needed(plugin)
        qpa = next((d / "libQt6XcbQpa.so.6" for d in shipped if (d / "libQt6XcbQpa.so.6").exists()), None)
        if qpa is not None:
            needed += elf_needed(qpa)
    except (OSError, ValueError, struct.error, IndexError):
        needed = []
    if not needed:
        needed = list(FALLBACK_NEEDED)
    return [s for s in dict.fromkeys(needed) if not _loadable(s, shipped)]


def install_hint(missing: list[str]) -> str:
    """One line: the missing libraries and the commands that install them."""
    bases = [s.split(".so")[0] for s in missing]
    deb = list(dict.fromkeys(PACKAGES[b][0] for b in bases if b in PACKAGES))
    rpm = list(dict.fromkeys(PACKAGES[b][1] for b in bases if b in PACKAGES))
    line = (f"workbench: cannot open the window: Qt's X11 platform plugin needs system libraries that are "
            f"missing: {', '.join(missing)}.")
    if deb:
        line += (f" Install them with: sudo apt-get install {' '.join(deb)} (Debian/Ubuntu)"
                 f" or: sudo dnf install {' '.join(rpm)} (Fedora)")
    return line


def uses_xcb(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Will Qt pick its xcb plugin? (``QT_QPA_PLATFORM`` unset or xcb, an X display set, Linux.)"""
    platform = environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip().lower()
    if not sys.platform.startswith("linux") or platform not in ("", "xcb"):
        return False
    if platform == "" and environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland":
        return False                                   # Qt 6 prefers its Wayland plugin there
    return bool(environ.get("DISPLAY"))


def check_platform() -> str | None:
    """``None`` when the window can start (or the check does not apply), else the line to print."""
    if not uses_xcb():
        return None
    plugin, shipped = _qt_dirs()
    if plugin is None:
        return None                                    # Qt will say itself that it has no plugin
    try:
        ctypes.CDLL(str(plugin))
        return None
    except OSError as exc:
        missing = missing_libraries(plugin, shipped)
        if not missing:                                # something else is wrong: Qt's own words
            return f"workbench: cannot open the window: Qt's X11 platform plugin does not load ({exc})"
        return install_hint(missing)


#: Libraries every X11 desktop has (the X server's own client libraries and the GL stack, which
#: must match the machine's drivers): never bundled. Everything else the plugin needs is carried.
SYSTEM_X11 = ("libxcb.so.1", "libX11.so.6", "libGL.so.1", "libEGL.so.1", "libOpenGL.so.0")
_NOT_X11 = ("libQt6", "libc.so", "libm.so", "libstdc++", "libgcc_s", "libpthread", "libdl.so", "librt.so",
            "libglib-2.0", "libgthread-2.0")


def libraries_to_bundle() -> list[str]:
    """Sonames of the X11 libraries the frozen app carries (what the xcb plugin and Qt's xcb library
    link against, minus Qt itself, libc and :data:`SYSTEM_X11`)."""
    plugin, shipped = _qt_dirs()
    needed: list[str] = []
    if plugin is not None:
        needed += elf_needed(plugin)
        qpa = next((d / "libQt6XcbQpa.so.6" for d in shipped if (d / "libQt6XcbQpa.so.6").exists()), None)
        if qpa is not None:
            needed += elf_needed(qpa)
    needed = needed or list(FALLBACK_NEEDED)
    return [s for s in dict.fromkeys(needed) if s not in SYSTEM_X11 and not s.startswith(_NOT_X11)]


def system_library_path(soname: str) -> Path | None:
    """Where the system's loader finds ``soname`` (``ldconfig -p``, then the usual folders)."""
    import subprocess

    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""
    for line in listing.splitlines():            # "\tlibxcb-cursor.so.0 (libc6,x86-64) => /lib/.../libxcb-cursor.so.0"
        entry, _, path = line.strip().partition(" => ")
        name, _, flags = entry.partition(" ")
        if name == soname and ("x86-64" in flags or "64" not in flags) and Path(path).exists():
            return Path(path)
    for folder in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib"):
        if (Path(folder) / soname).exists():
            return Path(folder) / soname
    return None


def debian_packages(sonames: list[str] | None = None) -> list[str]:
    """Debian/Ubuntu packages holding these libraries (default: everything the xcb plugin needs)."""
    bases = [s.split(".so")[0] for s in (sonames if sonames is not None else list(FALLBACK_NEEDED))]
    return list(dict.fromkeys(PACKAGES[b][0] for b in bases if b in PACKAGES))


if __name__ == "__main__":
    # ``python workbench/app/platform_check.py --debian-packages`` (used by .ci/run before any venv)
    if sys.argv[1:] == ["--debian-packages"]:
        print(" ".join(debian_packages()))
    else:
        message = check_platform()
        print(message or "ok")
        sys.exit(2 if message else 0)
