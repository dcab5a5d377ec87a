"""Dependencies whose cgo files CGO_ENABLED=0 left out: they build, but may be stubs that fail at run time."""

from __future__ import annotations

__all__ = ["DroppedCgo", "dropped_cgo", "imports_c"]

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slimgo.gobuild.listcache import Watch, package_dirs
from slimgo.gobuild.options import GoBuildOptions
from slimgo.gobuild.toolchain import GoPackage, GoToolchain, _decode_stream
from slimgo.oci.platform import Platform

# `import "C"`, or "C" alone on a line of an import block (linear: no nested repetition)
_IMPORT_C = re.compile(rb'^[ \t]*(?:import[ \t]+)?"C"[ \t]*(?://.*)?$', re.MULTILINE)
_NOT_CGO = re.compile(rb"^//go:build\s.*!cgo", re.MULTILINE)
# What a package's without-cgo file says when it is a stub (go-sqlite3: "requires cgo to work. This is a stub")
_STUB = re.compile(rb"\bstub\b|requires cgo|CGO_ENABLED=0", re.IGNORECASE)
_HEAD = 64 << 10  # imports and build constraints sit at the top of a file


@dataclass(frozen=True)
class DroppedCgo:
    import_path: str
    cgo_files: tuple[str, ...]  # what CGO_ENABLED=1 would have compiled
    stub: bool  # its without-cgo files are a stub that fails at run time (no pure-Go implementation)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_HEAD)
    except OSError:
        return b""


def imports_c(source: bytes) -> bool:
    """Whether Go source (its first bytes) imports "C"."""
    return _IMPORT_C.search(source) is not None


def dropped_cgo(toolchain: GoToolchain, package: GoPackage, options: GoBuildOptions,
                platform: Platform) -> list[DroppedCgo]:
    """Non-standard packages in the build whose ignored files import "C" and that CGO_ENABLED=1 would compile.

    The answer is kept in the toolchain's list cache (reading the ignored files of a large program's
    dependencies costs more than `go list`), watched as the package list and the files it read."""
    tags = [f"-tags={','.join(options.tags)}"] if options.tags else []
    env = {**options.environment(platform), "CGO_ENABLED": "0"}
    args = ["list", "-deps", *tags, "-json=ImportPath,Dir,Standard,Module,GoFiles,IgnoredGoFiles",
            package.import_path]
    cache = toolchain.list_cache
    key = cache.key(toolchain.go, {**os.environ, **env}, ["cgo-dropped", *args], package.dir) if cache else ""
    kept = cache.load(key) if cache else None
    if isinstance(kept, list):
        return [DroppedCgo(str(k[0]), tuple(k[1]), bool(k[2])) for k in kept]
    started = time.time_ns()
    result = toolchain.call(args, package.dir, env)
    if result.returncode != 0:
        return []
    items = _decode_stream(result.stdout)
    candidates = {}
    for item in items:
        if item.get("Standard") or not item.get("IgnoredGoFiles"):
            continue
        directory = Path(item.get("Dir") or ".")
        if any(imports_c(_head(directory / name)) for name in item["IgnoredGoFiles"]):
            candidates[item["ImportPath"]] = (directory, tuple(item.get("GoFiles") or ()))
    found = _compiled_with_cgo(toolchain, package, tags, env, candidates) if candidates else []
    if cache is not None and found is not None:
        cache.store(key, [[d.import_path, list(d.cgo_files), d.stub] for d in found], _watch(package, items),
                    started)
    return found or []


def _watch(package: GoPackage, items: list[dict[str, Any]]) -> Watch:
    """What the answer depends on: the module files, and each local package's files (whole where its ignored
    files were read)."""
    watch = Watch()
    watch.module_files(package.dir)
    whole = {item.get("Dir") for item in items if item.get("IgnoredGoFiles")}
    for directory in package_dirs(items):
        watch.package(directory, whole_files=str(directory) in whole)
    return watch


def _compiled_with_cgo(toolchain: GoToolchain, package: GoPackage, tags: list[str], env: dict[str, str],
                       candidates: dict[str, tuple[Path, tuple[str, ...]]]) -> list[DroppedCgo] | None:
    """Which candidates' files the target platform would really compile with cgo (not, say, a windows-only
    file), and whether their files without cgo are a stub."""
    with_cgo = toolchain.call(["list", *tags, "-json=ImportPath,CgoFiles", *candidates], package.dir,
                              {**env, "CGO_ENABLED": "1"})
    if with_cgo.returncode != 0:
        return None  # unknown: not kept
    found = []
    for item in _decode_stream(with_cgo.stdout):
        cgo_files = tuple(item.get("CgoFiles") or ())
        if not cgo_files or item.get("ImportPath") not in candidates:
            continue
        directory, go_files = candidates[item["ImportPath"]]
        heads = [_head(directory / name) for name in go_files]
        stub = not go_files or any(_NOT_CGO.search(head) and _STUB.search(head) for head in heads)
        found.append(DroppedCgo(item["ImportPath"], cgo_files, stub))
    return found
