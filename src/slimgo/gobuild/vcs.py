"""The version-control facts of a Go package's directory that an image records (its repository URL)."""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["changed_files", "git_info", "vcs_source"]


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


def _git(directory: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=10,
                                check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def git_info(directory: Path) -> dict[str, str]:
    """The git facts ko's templates offer as {{.Git.*}} (empty strings outside a repository, as ko leaves them)."""
    full = _git(directory, "rev-parse", "HEAD")
    dirty = bool(_git(directory, "status", "--porcelain")) if full else False
    return {
        "Branch": _git(directory, "rev-parse", "--abbrev-ref", "HEAD") if full else "",
        "Tag": _git(directory, "describe", "--tags", "--abbrev=0") if full else "",
        "ShortCommit": _git(directory, "rev-parse", "--short", "HEAD") if full else "",
        "FullCommit": full,
        "CommitDate": _git(directory, "log", "-1", "--format=%cI") if full else "",
        "CommitTimestamp": _git(directory, "log", "-1", "--format=%ct") if full else "",
        "IsDirty": "true" if dirty else "false",
        "IsClean": "false" if dirty else "true",
        "TreeState": "dirty" if dirty else "clean",
    }


def changed_files(directory: Path, ref: str) -> list[Path] | None:
    """Files changed since git ``ref`` (committed, staged, unstaged and untracked), as absolute paths; None when
    ``ref`` is not a commit of the repository holding ``directory``."""
    top = _git(directory, "rev-parse", "--show-toplevel")
    if not top or ref.startswith("-") or not _git(directory, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"):
        return None
    root = Path(top)
    names = _git(directory, "diff", "--name-only", "--no-renames", ref, "--").splitlines()
    names += _git(directory, "ls-files", "--others", "--exclude-standard").splitlines()
    return sorted({root / name for name in names if name})
