"""Which Go toolchain `slimgo build` would use, found cheaply for `slimgo --version`."""

from __future__ import annotations

__all__ = ["find_go"]

import shutil
import subprocess
from dataclasses import dataclass

_TIMEOUT = 10  # seconds: `go env` reads a few files; a hung toolchain must not hang --version
_MAX_VERSION = 200  # characters: a version is a short word; anything longer is not one


@dataclass(frozen=True)
class FoundGo:
    path: str | None  # the `go` on PATH, or None
    version: str | None  # what `go env GOVERSION` printed (go1.23.4), or None when it could not say

    def describe(self) -> str:
        if self.path is None:
            return "go: not found on PATH (slimgo build needs Go: https://go.dev/dl)"
        return f"go: {self.version or 'unknown version (go env GOVERSION failed)'} ({self.path})"


def find_go() -> FoundGo:
    """The `go` on PATH and its version; never raises."""
    path = shutil.which("go")
    if path is None:
        return FoundGo(None, None)
    try:
        result = subprocess.run([path, "env", "GOVERSION"], capture_output=True, text=True, timeout=_TIMEOUT,
                                check=False)
    except (OSError, subprocess.SubprocessError):
        return FoundGo(path, None)
    version = result.stdout.strip()
    if result.returncode != 0 or not version or len(version) > _MAX_VERSION or "\n" in version:
        return FoundGo(path, None)
    return FoundGo(path, version)
