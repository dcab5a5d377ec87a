"""Where slimgo keeps its caches: $SLIMGO_CACHE_DIR, else $XDG_CACHE_HOME/slimgo, else ~/.cache/slimgo."""

from __future__ import annotations

__all__ = ["cache_root", "keep"]

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def cache_root() -> Path:
    explicit = os.environ.get("SLIMGO_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "slimgo" if xdg else Path.home() / ".cache" / "slimgo"


def keep(entry: Path, write: Callable[[BinaryIO], object]) -> bool:
    """Store a cache ``entry`` from ``write(file)``: written to a temporary file beside it, then renamed, so a process
    reading the cache at the same moment (two builds may share it) sees the whole entry or none. A cache that cannot
    be written only makes the next run slower: False, and nothing left behind."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
            os.replace(temp, entry)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True
