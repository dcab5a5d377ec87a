"""Which main packages this run builds: those changed since a git ref (`--changed-since`), and one CI shard's
share (`--shard I/N`)."""

from __future__ import annotations

__all__ = ["changed_since", "in_shard", "parse_shard"]

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from slimgo.errors import UsageError
from slimgo.gobuild.options import GoBuildOptions
from slimgo.gobuild.toolchain import GoPackage, GoToolchain
from slimgo.oci.platform import Platform

_SHARD = re.compile(r"^(\d+)/(\d+)$")
# Files outside any package that change what a main builds into
_MODULE_FILES = ("go.mod", "go.sum", "go.work", "go.work.sum", ".slimgo.yaml", ".ko.yaml")


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` with 1 <= I <= N (GitLab's CI_NODE_INDEX/CI_NODE_TOTAL; a 0-based matrix index needs +1)."""
    match = _SHARD.match(text.strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise UsageError(f"--shard {text}", "is not I/N with 1 <= I <= N", "e.g. --shard 2/4 for the second of four")
    return int(match.group(1)), int(match.group(2))


def in_shard(package: GoPackage, index: int, total: int) -> bool:
    """A stable split by import path: adding or removing a main moves no other main to another shard."""
    digest = hashlib.sha256(package.import_path.encode()).digest()
    return int.from_bytes(digest[:8], "big") % total == index - 1


def is_changed(package: GoPackage, dependency_dirs: set[Path], changed: Sequence[Path]) -> bool:
    """Whether a changed file is in the package's dependency closure (a non-test file in one of its packages'
    directories, its kodata/), or is a module file (go.mod, go.sum, settings) of its module."""
    module_dir = (package.module_dir or package.dir).resolve()
    kodata = package.dir.resolve() / "kodata"
    for path in changed:
        if path.parent in dependency_dirs and not path.name.endswith("_test.go"):
            return True
        if path.name in _MODULE_FILES and module_dir.is_relative_to(path.parent):
            return True
        if path.is_relative_to(kodata):
            return True
    return False


def changed_since(builds: Sequence[tuple[GoPackage, GoBuildOptions, Platform]], ref: str,
                  toolchain: GoToolchain) -> list[bool]:
    """For each (package, options, platform): whether it changed since git ``ref``."""
    from slimgo.gobuild.vcs import changed_files

    first = builds[0][0].module_dir or builds[0][0].dir
    changed = changed_files(first, ref)
    if changed is None:
        raise UsageError(f"--changed-since {ref}", f"is not a commit of a git repository holding {first}",
                         "give a branch, tag or commit (e.g. origin/main); in CI fetch enough history for it")
    changed = [path.resolve() if path.exists() else path for path in changed]
    if not changed:
        return [False] * len(builds)
    return [is_changed(package, {d.resolve() for d in toolchain.dependency_dirs(package, options, platform)},
                       changed) for package, options, platform in builds]
