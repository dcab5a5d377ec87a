"""The version-control facts of a Go package's directory that an image records (its repository URL)."""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["vcs_source"]


def vcs_source(directory: Path) -> str | None:
    """The repository URL of ``directory`` (its git `origin`), as https when it is an scp-style address."""
    try:
        result = subprocess.run(["git", "-C", str(directory), "remote", "get-url", "origin"], capture_output=True,
                                text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    url = result.stdout.strip()
    if result.returncode != 0 or not url:
        return None
    if url.startswith("git@") and ":" in url:
        host, _, path = url[4:].partition(":")
        url = f"https://{host}/{path}"
    return url.removesuffix(".git")
