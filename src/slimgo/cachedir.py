"""Where slimgo keeps its caches: $SLIMGO_CACHE_DIR, else $XDG_CACHE_HOME/slimgo, else ~/.cache/slimgo."""

from __future__ import annotations

__all__ = ["cache_root"]

import os
from pathlib import Path


def cache_root() -> Path:
    explicit = os.environ.get("SLIMGO_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "slimgo" if xdg else Path.home() / ".cache" / "slimgo"
