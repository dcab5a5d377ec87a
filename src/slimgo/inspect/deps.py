"""Why a module is in a binary: the import chain from the main package, from `go list -deps` in its module."""

from __future__ import annotations

__all__ = ["import_chains", "module_root", "with_import_chains"]

import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from slimgo.errors import SlimgoError
from slimgo.inspect.binary import BinaryReport, Problem
from slimgo.inspect.size import STD_MODULE

Lister = Callable[[str, Path], Sequence[dict[str, Any]]]
_MODULE_LINE = re.compile(r"^module\s+(\S+)", re.MULTILINE)
_MAX_PARENTS = 32  # directories walked up from the working directory looking for go.mod
_MAX_GO_MOD = 1 << 20


def module_root(start: Path, module_path: str) -> Path | None:
    """The directory at or above ``start`` whose go.mod declares ``module_path``, if any."""
    directory = start.resolve()
    for _ in range(_MAX_PARENTS):
        go_mod = directory / "go.mod"
        if go_mod.is_file():
            with open(go_mod, "rb") as handle:
                found = _MODULE_LINE.search(handle.read(_MAX_GO_MOD).decode("utf-8", "replace"))
            return directory if found and found.group(1).strip('"') == module_path else None
        if directory.parent == directory:
            return None
        directory = directory.parent
    return None


def import_chains(packages: Sequence[dict[str, Any]], main: str) -> dict[str, list[str]]:
    """For each module, the shortest import chain from package ``main`` to one of its packages."""
    imports = {pkg["ImportPath"]: pkg.get("Imports") or [] for pkg in packages}
    module_of = {pkg["ImportPath"]: (STD_MODULE if pkg.get("Standard") else (pkg.get("Module") or {}).get("Path"))
                 for pkg in packages}
    parent: dict[str, str | None] = {main: None}
    queue = deque([main])
    chains: dict[str, list[str]] = {}
    while queue:
        current = queue.popleft()
        module = module_of.get(current)
        if module and module not in chains:
            chain = [current]
            while (up := parent[chain[-1]]) is not None:
                chain.append(up)
            chains[module] = chain[::-1]
        for child in imports.get(current, ()):
            if child not in parent:
                parent[child] = current
                queue.append(child)
    return chains


def with_import_chains(reports: list[BinaryReport], module_dir: Path | None, list_deps: Lister | None = None,
                       cwd: Path | None = None) -> list[BinaryReport]:
    """Reports whose modules name the import chain that pulls them in, when the main module's source is at
    ``module_dir`` or around the working directory; unchanged otherwise."""
    result = []
    for report in reports:
        info = report.go
        main_module = info.main.path if info and info.main else None
        if info is None or not info.path or main_module is None or not report.size.modules:
            result.append(report)
            continue
        root = module_dir or module_root(cwd or Path.cwd(), main_module)
        if root is None:
            result.append(report)
            continue
        try:
            lister = list_deps or _go_list
            chains = import_chains(lister(info.path, root), info.path)
        except SlimgoError as err:
            result.append(replace(report, problems=[*report.problems, Problem("size.modules", err.cause)]))
            continue
        modules = [replace(m, chain=chains.get(m.path)) for m in report.size.modules]
        result.append(replace(report, size=replace(report.size, modules=modules)))
    return result


def _go_list(package: str, root: Path) -> Sequence[dict[str, Any]]:
    from slimgo.gobuild.toolchain import GoToolchain  # the go command is run only when a module is at hand

    return GoToolchain().list_deps(package, root)
