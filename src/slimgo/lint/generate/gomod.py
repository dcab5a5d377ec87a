"""Read a Go module without the toolchain: go.mod's module path and Go version, and its main packages."""

from __future__ import annotations

__all__ = [
    "MAX_DIRS", "GenerateError", "MainPackage", "Module", "find_module", "go_sources", "main_packages", "package_name",
]

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from slimgo.errors import InputError, SlimgoError
from slimgo.gobuild.toolchain import GoPackage


class GenerateError(SlimgoError):
    """The Go module or packages given to `slimgo dockerfile` cannot be used."""


_MODULE = re.compile(r"^\s*module\s+(\"[^\"]+\"|\S+)", re.M)
_GO = re.compile(r"^\s*go\s+(\d+\.\d+(?:\.\d+)?)", re.M)
_TOOLCHAIN = re.compile(r"^\s*toolchain\s+go(\S+)", re.M)
_COMMENTS = re.compile(r"\s*(//[^\n]*|/\*.*?\*/)", re.S)
_PACKAGE = re.compile(r"\s*package\s+([A-Za-z_][A-Za-z0-9_]*)")
_IGNORE_TAG = re.compile(r"^//go:build\s+ignore\s*$", re.M)
_SKIP_DIRS = {"vendor", "testdata", "node_modules"}
MAX_DIRS = 20_000  # a module tree larger than this is not walked for main packages


@dataclass(frozen=True)
class Module:
    root: Path
    path: str
    go_version: str | None
    toolchain: str | None
    has_go_sum: bool
    has_vendor: bool


@dataclass(frozen=True)
class MainPackage:
    dir: Path
    rel: str  # "./cmd/api", or "." for the module root
    name: str  # a service name for image and bake target names
    binary: str  # the binary's file name, as `go build` and `slimgo build` name it


def find_module(start: Path) -> Module:
    """The module whose go.mod is at ``start`` or above it."""
    here = start.resolve()
    for directory in [here, *here.parents]:
        gomod = directory / "go.mod"
        if gomod.is_file():
            return read_module(gomod)
    raise GenerateError(str(start), "no go.mod here or in any parent directory",
                        "run `go mod init <module path>` first, or pass a package inside a Go module")


def read_module(gomod: Path) -> Module:
    try:
        text = gomod.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise GenerateError(str(gomod), f"cannot read: {err}", "check the file") from None
    m = _MODULE.search(text)
    if not m:
        raise GenerateError(str(gomod), "no `module` line", "add `module example.com/app`")
    go = _GO.search(text)
    toolchain = _TOOLCHAIN.search(text)
    root = gomod.parent
    return Module(
        root=root,
        path=m.group(1).strip('"'),
        go_version=go.group(1) if go else None,
        toolchain=toolchain.group(1) if toolchain else None,
        has_go_sum=(root / "go.sum").is_file(),
        has_vendor=(root / "vendor" / "modules.txt").is_file(),
    )


def package_name(source: str) -> str | None:
    """The name in a Go file's package clause (comments before it skipped), None for `//go:build ignore`."""
    if _IGNORE_TAG.search(source[:4096]):
        return None
    rest = source
    while True:
        m = _COMMENTS.match(rest)
        if not m:
            break
        rest = rest[m.end() :]
    m = _PACKAGE.match(rest)
    return m.group(1) if m else None


def is_main_package(directory: Path) -> bool:
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return False
    for entry in entries:
        if entry.suffix != ".go" or entry.name.endswith("_test.go") or not entry.is_file():
            continue
        try:
            head = entry.read_text(encoding="utf-8", errors="replace")[:65536]
        except OSError:
            continue
        name = package_name(head)
        if name is not None:
            return name == "main"
    return False


def _walk_mains(top: Path) -> list[Path]:
    found: list[Path] = []
    seen = 0
    for dirpath, dirnames, _files in os.walk(top):  # does not follow symlinks: no cycles
        seen += 1
        if seen > MAX_DIRS:
            raise GenerateError(str(top), f"more than {MAX_DIRS} directories", "name the main packages")
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")) and d not in _SKIP_DIRS)
        here = Path(dirpath)
        if here != top and (here / "go.mod").exists():
            dirnames[:] = []  # a nested module is not part of this one
            continue
        if is_main_package(here):
            found.append(here)
    return found


def _binary_name(module: Module, directory: Path) -> str:
    """The name `go build` (and so `slimgo build`, for /app/<name>) gives the binary of the package in ``directory``:
    the last element of its import path, a major-version suffix (/v2) skipped."""
    rel = directory.relative_to(module.root).as_posix()
    import_path = module.path if rel == "." else f"{module.path}/{rel}"
    return GoPackage(import_path, "main", directory, module.root, module.path).binary_name


def _service_names(module: Module, dirs: list[Path]) -> list[str]:
    def clean(text: str) -> str:
        return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "app"

    names = []
    for d in dirs:
        rel = d.relative_to(module.root)
        names.append(clean(_binary_name(module, d) if rel == Path(".") else rel.name))
    if len(set(names)) < len(names):  # same last element: use the whole relative path
        names = [clean(str(d.relative_to(module.root)).replace("/", "-")) for d in dirs]
    return names


def main_packages(module: Module, args: list[str], cwd: Path) -> list[MainPackage]:
    """The main packages named by ``args`` (dirs, or ``dir/...`` patterns); all of the module's when empty."""
    dirs: list[Path] = []
    for arg in args or []:
        recursive = arg == "..." or arg.endswith("/...")
        base = (cwd / ((arg.removesuffix("...").rstrip("/") if recursive else arg) or ".")).resolve()
        if not base.is_dir():
            raise InputError(arg, "not a directory", "pass Go package directories such as ./cmd/api")
        try:
            base.relative_to(module.root)
        except ValueError:
            raise GenerateError(arg, f"outside the module at {module.root}", "pass packages of one module") from None
        if recursive:
            dirs.extend(_walk_mains(base))
        elif is_main_package(base):
            dirs.append(base)
        else:
            raise GenerateError(arg, "not a main package (no non-test .go file says `package main`)",
                                "pass the directory of a command, e.g. ./cmd/api, or ./... for all of them")
    if not args:
        dirs = _walk_mains(module.root)
    dirs = sorted(set(dirs))
    if not dirs:
        raise GenerateError(str(module.root), "no main package found", "add a `package main` with func main")
    names = _service_names(module, dirs)
    out = []
    for d, name in zip(dirs, names, strict=True):
        rel = d.relative_to(module.root).as_posix()
        out.append(MainPackage(d, "." if rel == "." else f"./{rel}", name, _binary_name(module, d)))
    return out


_SKIP_SOURCE_DIRS = {"vendor", "testdata", "node_modules"}


def go_sources(module: Module, max_bytes: int) -> Iterator[tuple[Path, str]]:
    """Each non-test .go file of ``module`` (not nested modules, vendor, testdata, hidden or `_` directories) with
    its first ``max_bytes`` of text, directory by directory in sorted order; at most MAX_DIRS directories."""
    seen = 0
    for dirpath, dirnames, files in os.walk(module.root):
        seen += 1
        if seen > MAX_DIRS:
            return
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")) and d not in _SKIP_SOURCE_DIRS
                             and not (here / d / "go.mod").exists())
        for name in sorted(files):
            if not name.endswith(".go") or name.endswith("_test.go"):
                continue
            try:
                with open(here / name, encoding="utf-8", errors="replace") as fh:
                    text = fh.read(max_bytes)
            except OSError:
                continue
            yield here / name, text
