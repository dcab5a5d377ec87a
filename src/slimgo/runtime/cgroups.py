"""A throwaway cgroup around one runc container, whose memory high-water mark outlives the container's own cgroup
(cgroup v2 `memory.peak`, v1 `memory.max_usage_in_bytes`), so a bench can read a container's peak memory."""

from __future__ import annotations

__all__ = ["CGROUP_ROOT", "PeakGroup", "peak_group"]

import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_LEAF = "ctr"
_MAX_READ = 64  # a counter file holds one decimal number


@dataclass(frozen=True)
class PeakGroup:
    """``cgroups_path`` goes into the bundle's config.json (linux.cgroupsPath): runc puts the container in a leaf
    under a parent made for this one start. The kernel charges the leaf's memory to the parent too, and the parent's
    high-water mark stays readable after `runc run` has removed the leaf."""

    cgroups_path: str
    peak_file: Path

    def peak_bytes(self) -> int | None:
        """The most memory the container's cgroup held (anonymous memory and page cache it charged, including runc's
        own set-up before the program was exec'd); None when the counter cannot be read."""
        try:
            with self.peak_file.open("rb") as stream:
                text = stream.read(_MAX_READ).strip()
        except OSError:
            return None
        return int(text) if text.isdigit() and int(text) > 0 else None


def _memory_hierarchy(root: Path) -> tuple[Path, str] | None:
    """The directory of the memory controller's hierarchy and its peak file name; None without one we can use."""
    if (root / "cgroup.controllers").is_file():  # v2: one unified hierarchy
        try:
            enabled = (root / "cgroup.subtree_control").read_text()[:4096].split()
        except OSError:
            return None
        return (root, "memory.peak") if "memory" in enabled else None
    memory = root / "memory"
    if (memory / "memory.max_usage_in_bytes").is_file():  # v1: memory has its own hierarchy
        try:  # before Linux 5.16 a v1 hierarchy could be flat: a parent's counters would not see its children
            flat = (memory / "memory.use_hierarchy").read_text()[:16].strip() == "0"
        except OSError:
            flat = False
        return None if flat else (memory, "memory.max_usage_in_bytes")
    return None


@contextmanager
def peak_group(root: Path = CGROUP_ROOT) -> Iterator[PeakGroup | None]:
    """A new parent cgroup for one container start (None when this host has no usable memory controller); removed
    on exit, with the directories runc made under it in the other v1 controllers."""
    found = _memory_hierarchy(root)
    if found is None:
        yield None
        return
    hierarchy, peak_name = found
    name = f"slimgo-bench-{secrets.token_hex(6)}"
    parent = hierarchy / name
    try:
        parent.mkdir()
    except OSError:  # not root, or a read-only cgroup file system
        yield None
        return
    try:
        # v2 before Linux 5.19 has no memory.peak: peak_bytes() is None then, and the figure is not reported.
        yield PeakGroup(f"/{name}/{_LEAF}", parent / peak_name)
    finally:
        _remove(root, name)


def _remove(root: Path, name: str) -> None:
    """rmdir the parent (and a leaf runc left) in every hierarchy: v1 runc makes the path under each controller."""
    with suppress(OSError):
        hierarchies = [root, *(entry for entry in root.iterdir() if entry.is_dir() and not entry.is_symlink())]
        for hierarchy in hierarchies[:64]:
            for directory in (hierarchy / name / _LEAF, hierarchy / name):
                with suppress(OSError):
                    directory.rmdir()
