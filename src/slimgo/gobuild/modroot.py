"""Files that belong to a Go module: found from a directory upwards, never past the module root (go.mod)."""

from __future__ import annotations

__all__ = ["SETTINGS_FILE", "find_in_module"]

from pathlib import Path

SETTINGS_FILE = ".slimgo.yaml"


def find_in_module(start: Path, name: str) -> Path | None:
    """The nearest file ``name`` from ``start`` up to the directory holding go.mod (the module root)."""
    current = start.resolve()
    for directory in (current, *current.parents):
        candidate = directory / name
        if candidate.is_file():
            return candidate
        if (directory / "go.mod").is_file():
            return None
    return None
