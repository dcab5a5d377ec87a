"""Answers of `go list` kept on disk and reused while nothing they depend on changed: the go command, the Go
environment, the module files, and the file names, build constraints, package clause and imports of each watched
package directory (an edit inside a function body keeps the answer; a new import or file drops it)."""

from __future__ import annotations

__all__ = ["ListCache", "Watch", "go_header", "package_dirs"]

import hashlib
import json
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slimgo.cachedir import keep

MODULE_FILES = ("go.mod", "go.sum", "go.work", "go.work.sum", "vendor/modules.txt")
MAX_ENTRY_BYTES = 16 << 20  # a cache file larger than this is not read (a deep `-deps` list is a few MB)
MAX_WATCHED_DIRS = 5000  # a larger tree is listed by `go list` every time rather than walked
MAX_HEAD = 1 << 20  # a Go file's header is read up to here (a longer one is watched by its whole first MB)
# A file changed this recently may change again within one timestamp tick: its stat is not trusted, its hash is.
RACY_NS = 2_000_000_000
# A file changed after `go list` started (minus a timestamp tick) may have been read before the change: no entry.
TICK_NS = 20_000_000
FORMAT = 1
_DECL = re.compile(rb"(?:func|var|const|type)\b")


def go_header(data: bytes) -> bytes:
    """What `go list` reads of a Go source file: everything before its first top-level declaration (build
    constraints, package clause, cgo preamble, imports). A line comment or a block comment is never taken for
    that declaration; a `/*` that is not really a comment's start only makes the header longer."""
    in_block = False
    pos = 0
    for line in data.splitlines(keepends=True):
        if not in_block and _DECL.match(line):
            return data[:pos]
        pos += len(line)
        rest = line
        while rest:
            if in_block:
                end = rest.find(b"*/")
                if end < 0:
                    break
                in_block, rest = False, rest[end + 2:]
            else:
                start = rest.split(b"//", 1)[0].find(b"/*")
                if start < 0:
                    break
                in_block, rest = True, rest[start + 2:]
    return data


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _content(path: Path, header: bool) -> str | None:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_HEAD if header else MAX_ENTRY_BYTES)
    except OSError:
        return None
    return _digest(go_header(data) if header else data)


def _listing(directory: Path) -> str | None:
    """The names that decide what a directory holds for Go: its .go files, its subdirectories and go.mod."""
    try:
        with os.scandir(directory) as entries:
            names = sorted(e.name + ("/" if e.is_dir() else "") for e in entries
                           if e.name.endswith(".go") or e.name == "go.mod" or e.is_dir())
    except OSError:
        return None
    return _digest("\0".join(names).encode())


@dataclass
class Watch:
    """What one `go list` answer depends on: files (by Go header, or whole) and directory listings."""

    files: dict[str, bool] = field(default_factory=dict)  # path -> header only
    dirs: set[str] = field(default_factory=set)
    complete: bool = True  # False when the tree was too large to watch: the answer is not kept

    def module_files(self, start: Path) -> None:
        """go.mod, go.sum, go.work and vendor/modules.txt in ``start`` and every directory above it (present or
        not: one appearing changes the answer)."""
        current = start.resolve()
        for directory in (current, *current.parents):
            for name in MODULE_FILES:
                self.files[str(directory / name)] = False

    def package(self, directory: Path, whole_files: bool = False) -> None:
        """A package directory: its listing and each .go file's header (or whole file)."""
        self.dirs.add(str(directory))
        try:
            names = [e.name for e in os.scandir(directory) if e.name.endswith(".go") and e.is_file()]
        except OSError:
            return
        for name in names:
            self.files[str(directory / name)] = not whole_files

    def tree(self, root: Path) -> None:
        """Every directory `go list ./...` would look in under ``root``, as Go walks it (no testdata, no ./_
        directories, no vendor, no nested module)."""
        pending = [root]
        while pending:
            if len(self.dirs) > MAX_WATCHED_DIRS:
                self.complete = False
                return
            directory = pending.pop()
            self.package(directory)
            try:
                subdirs = [Path(e.path) for e in os.scandir(directory) if e.is_dir() and not e.name.startswith(
                    (".", "_")) and e.name not in ("testdata", "vendor")]
            except OSError:
                continue
            pending += [d for d in subdirs if not (d / "go.mod").exists()]


def _snapshot(watch: Watch, started_ns: int) -> dict[str, Any] | None:
    """The state of everything watched, or None when a file changed while `go list` ran."""
    now = time.time_ns()
    files: dict[str, list[Any]] = {}
    for name, header in watch.files.items():
        try:
            st = os.stat(name)
        except OSError:
            files[name] = [None]
            continue
        changed = max(st.st_mtime_ns, st.st_ctime_ns)
        if changed >= started_ns - TICK_NS:
            return None
        files[name] = [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, header, _content(Path(name), header),
                       now - changed > RACY_NS]
    return {"files": files, "dirs": {name: _listing(Path(name)) for name in sorted(watch.dirs)}}


def _file_unchanged(name: str, recorded: list[Any]) -> bool:
    try:
        st = os.stat(name)
    except OSError:
        return recorded == [None]
    if recorded == [None]:
        return False
    mtime, ctime, size, ino, header, content, trusted = recorded
    if trusted and (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino) == (mtime, ctime, size, ino):
        return True
    return bool(_content(Path(name), header) == content)


def _unchanged(state: Mapping[str, Any]) -> bool:
    return (all(_file_unchanged(name, recorded) for name, recorded in state["files"].items())
            and all(_listing(Path(name)) == listing for name, listing in state["dirs"].items()))


class ListCache:
    """One JSON file per question (the go command, its environment, arguments and directory), holding the answer
    and the state of what it depends on. Two processes may share it: entries are replaced by rename."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def key(self, go: str, env: Mapping[str, str], args: Sequence[str], cwd: Path) -> str:
        """The question: the go binary (path and stat), every GO*/CGO_* variable, `go env -w` settings,
        the arguments and the directory."""
        try:
            st = os.stat(go)
            binary: list[Any] = [go, st.st_mtime_ns, st.st_size, st.st_ino]
        except OSError:
            binary = [go]
        config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        env_file = Path(env.get("GOENV") or Path(config) / "go" / "env")
        go_env = sorted((k, v) for k, v in env.items() if k.startswith(("GO", "CGO_")) or k in ("CC", "HOME"))
        question = [FORMAT, binary, go_env, _content(env_file, False), list(args), str(cwd)]
        return _digest(json.dumps(question).encode())

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def load(self, key: str) -> Any | None:
        """The kept answer, when there is one and nothing it depends on changed."""
        path = self._path(key)
        try:
            if path.stat().st_size > MAX_ENTRY_BYTES:
                return None
            entry = json.loads(path.read_bytes())
            if entry.get("format") != FORMAT or not _unchanged(entry["state"]):
                return None
            return entry["value"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store(self, key: str, value: Any, watch: Watch, started_ns: int) -> None:
        """Keep ``value`` (an answer `go list` gave after ``started_ns``) unless the watch is incomplete or
        something watched changed while it ran. A cache that cannot be written is skipped."""
        if not watch.complete:
            return
        state = _snapshot(watch, started_ns)
        if state is None:
            return
        path = self._path(key)
        data = json.dumps({"format": FORMAT, "value": value, "state": state}).encode()
        if len(data) > MAX_ENTRY_BYTES:
            return
        keep(path, lambda out: out.write(data))


def package_dirs(items: Iterable[Mapping[str, Any]]) -> list[Path]:
    """The directories of listed packages that are not in GOROOT or the module cache (which never change in
    place): the main module's, a workspace's and local replacements'."""
    dirs = []
    for item in items:
        module = item.get("Module") or {}
        replace = module.get("Replace") or {}
        versioned = bool(replace.get("Version")) if replace else bool(module.get("Version"))
        if item.get("Standard") or versioned or not item.get("Dir"):
            continue
        dirs.append(Path(item["Dir"]))
    return dirs
