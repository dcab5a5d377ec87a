"""Source changes for `go build -overlay` (the tree is never written): debug handlers left out, user files added."""

from __future__ import annotations

__all__ = ["DEBUG_HANDLERS", "SourceOverlay", "plan_overlay", "written_overlay"]

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slimgo.errors import BuildError, UsageError
from slimgo.gobuild.goimports import GoSyntaxError, blank_out, parse_head

if TYPE_CHECKING:
    from slimgo.gobuild.options import GoBuildOptions
    from slimgo.gobuild.toolchain import GoPackage, GoToolchain
    from slimgo.oci.platform import Platform

# Imported for their side effects: their init() registers /debug/pprof/* and /debug/vars on http.DefaultServeMux.
DEBUG_HANDLERS = ("expvar", "net/http/pprof")
ANNOTATION_STRIPPED = "dev.slimgo.build.stripped"
ANNOTATION_INJECTED = "dev.slimgo.build.injected"
_MAX_SOURCE = 8 << 20  # a Go source file larger than this is not something to rewrite or inject


@dataclass(frozen=True)
class SourceOverlay:
    """What `go build` sees instead of, or besides, the files on disk: (absolute path in the tree, new content)."""

    files: tuple[tuple[str, bytes], ...] = ()
    stripped: tuple[str, ...] = ()  # debug handler packages whose blank imports were left out
    injected: tuple[tuple[str, str], ...] = ()  # (file name in the main package, sha256 of its content)
    edits: tuple[str, ...] = field(default=(), compare=False)  # "file:line: import removed" for the report

    @property
    def key(self) -> str:
        """A digest of every path and content: two overlays that compile the same have the same key."""
        digest = hashlib.sha256()
        for path, content in self.files:
            digest.update(f"{path}\0{len(content)}\0".encode())
            digest.update(content)
        return digest.hexdigest()

    def annotations(self) -> dict[str, str]:
        out = {}
        if self.stripped:
            out[ANNOTATION_STRIPPED] = ",".join(self.stripped)
        if self.injected:
            out[ANNOTATION_INJECTED] = ",".join(f"{name}@sha256:{digest}" for name, digest in self.injected)
        return out


@contextmanager
def written_overlay(overlay: SourceOverlay | None) -> Iterator[list[str]]:
    """The `-overlay=FILE` flag for ``overlay`` (none for None), its files in a private temporary directory that
    lives as long as the block. Go compiles a replaced file under its original name, so the temporary path
    reaches neither the binary nor its build information."""
    if overlay is None or not overlay.files:
        yield []
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="slimgo-overlay-") as tmp:
        replace: dict[str, str] = {}
        for number, (path, content) in enumerate(overlay.files):
            copy = Path(tmp) / f"{number}-{Path(path).name}"
            copy.write_bytes(content)
            replace[path] = str(copy)
        manifest = Path(tmp) / "overlay.json"
        manifest.write_text(json.dumps({"Replace": replace}, indent=1, sort_keys=True))
        yield [f"-overlay={manifest}"]


def _read_source(path: Path, subject: str) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_SOURCE + 1)
    except OSError as err:
        raise UsageError(subject, f"cannot be read: {err.strerror or err}", "check the path and its permissions") \
            from None
    if len(data) > _MAX_SOURCE:
        raise UsageError(subject, f"is over {_MAX_SOURCE >> 20} MiB, too large for a Go source file",
                         "give a Go source file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(subject, "is not UTF-8, which Go source must be", "save it as UTF-8") from None


def _injected(paths: Sequence[Path], package: GoPackage) -> list[tuple[str, bytes, str]]:
    """(path in the main package's directory, content, sha256) of each --inject file, checked first."""
    out: list[tuple[str, bytes, str]] = []
    for path in paths:
        subject = f"--inject {path}"
        if not path.is_file():
            raise UsageError(subject, "is not a file" if path.exists() else "does not exist",
                             "give the path of a Go source file, e.g. --inject buildinfo.go")
        if path.suffix != ".go" or path.name.endswith("_test.go"):
            raise UsageError(subject, "is not a Go source file (a name ending in .go, not _test.go)",
                             "rename it, e.g. zz_buildinfo.go")
        text = _read_source(path, subject)
        try:
            head = parse_head(text)
        except GoSyntaxError as err:
            raise UsageError(subject, f"does not parse as Go at line {err.line}: {err}",
                             "fix the file: it must start with `package main` and its imports") from None
        if head.package != package.name:
            raise UsageError(subject, f"says `package {head.package}` (line {head.package_line}), but it is added "
                             f"to {package.import_path}, which is package {package.name}",
                             f"change its package clause to `package {package.name}`")
        target = package.dir / path.name
        if target.exists() or any(Path(name) == target for name, _, _ in out):
            raise UsageError(subject, f"would be added as {target}, which "
                             + ("already exists" if target.exists() else "another --inject file also takes"),
                             "rename the file to a name the package does not use, e.g. zz_inject_buildinfo.go")
        content = text.encode("utf-8")
        out.append((str(target), content, hashlib.sha256(content).hexdigest()))
    return out


@dataclass
class _Importers:
    """Who imports one debug handler across the platforms: rewritable blank imports, and what keeps it linked."""

    blank: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # file -> spans to blank out
    lines: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)  # "file:line" of an import that uses it by name
    outside: set[str] = field(default_factory=set)  # importers outside the main module(s)


def _list_deps(toolchain: GoToolchain, package: GoPackage, options: GoBuildOptions,
               platform: Platform) -> list[dict[str, Any]]:
    from slimgo.gobuild.toolchain import _decode_stream, trim_go_errors

    tags = [f"-tags={','.join(options.tags)}"] if options.tags else []
    result = toolchain.call(["list", "-deps", *tags, "-json=ImportPath,Dir,GoFiles,CgoFiles,Imports,Module,Standard",
                             package.import_path], package.dir, options.environment(platform), timeout=300)
    if result.returncode != 0:
        raise BuildError(f"package {package.import_path} ({platform})", "could not be listed by `go list -deps`:\n"
                         + trim_go_errors(result.stderr), "fix the errors above")
    return _decode_stream(result.stdout)


def _scan(item: dict[str, Any], handler: str, found: _Importers, seen: set[tuple[str, str]]) -> None:
    """Record how each compiled file of ``item`` (a main-module package) imports ``handler``."""
    directory = Path(item["Dir"])
    for name in [*(item.get("GoFiles") or []), *(item.get("CgoFiles") or [])]:
        path = str(directory / name)
        if (path, handler) in seen:  # listed again for another platform
            continue
        seen.add((path, handler))
        try:
            head = parse_head(_read_source(directory / name, path))
        except GoSyntaxError as err:
            raise BuildError(path, f"does not parse: {err}", "fix the file; go build would fail on it too") from None
        for spec in head.imports:
            if spec.path != handler:
                continue
            if spec.name == "_":
                found.blank.setdefault(path, []).append((spec.start, spec.end))
                found.lines.append(f"{path}:{spec.line}")
            else:
                found.named.append(f"{path}:{spec.line}")


def _find_importers(toolchain: GoToolchain, package: GoPackage, options: GoBuildOptions,
                    platforms: Sequence[Platform]) -> dict[str, _Importers]:
    found = {handler: _Importers() for handler in DEBUG_HANDLERS}
    seen: set[tuple[str, str]] = set()
    for platform in platforms:  # a file may import a handler under one GOOS/GOARCH only
        for item in _list_deps(toolchain, package, options, platform):
            for handler in set(item.get("Imports") or ()) & set(DEBUG_HANDLERS):
                if (item.get("Module") or {}).get("Main"):
                    _scan(item, handler, found[handler], seen)
                else:
                    found[handler].outside.add(item["ImportPath"])
    return found


def _stripped(found: dict[str, _Importers], on_note: Callable[[str, str], None]) \
        -> tuple[dict[str, list[tuple[int, int]]], list[str], list[str]]:
    """Which handlers can go (every importer is a blank import in the main module) and their spans per file."""
    spans: dict[str, list[tuple[int, int]]] = {}
    stripped: list[str] = []
    edits: list[str] = []
    for handler, who in sorted(found.items()):
        if who.outside:
            on_note("warning", f"--strip-debug-handlers: {handler} stays linked: imported by "
                    f"{', '.join(sorted(who.outside))}, outside the main module, whose source is not rewritten")
        elif who.named:
            on_note("warning", f"--strip-debug-handlers: {handler} stays linked: used by name at "
                    f"{', '.join(sorted(who.named))} (only `import _ \"{handler}\"` is left out)")
        elif who.blank:
            stripped.append(handler)
            edits += [f"{line}: import _ \"{handler}\" left out" for line in sorted(who.lines)]
            for path, ranges in who.blank.items():
                spans.setdefault(path, []).extend(ranges)
    return spans, stripped, edits


def plan_overlay(toolchain: GoToolchain, package: GoPackage, options: GoBuildOptions,
                 platforms: Sequence[Platform], *, strip: bool, inject: Sequence[Path],
                 on_note: Callable[[str, str], None] = lambda _kind, _text: None) -> SourceOverlay | None:
    """The overlay for ``package``: its main module's blank imports of the debug handlers left out (``strip``),
    and the ``inject`` files added to it. None when there is nothing to change."""
    files: list[tuple[str, bytes]] = []
    injected = _injected(inject, package)
    stripped: list[str] = []
    edits: list[str] = []
    if strip:
        found = _find_importers(toolchain, package, options, platforms)
        spans, stripped, edits = _stripped(found, on_note)
        for path, ranges in sorted(spans.items()):
            text = _read_source(Path(path), path)
            files.append((path, blank_out(text, ranges).encode("utf-8")))
        if stripped:
            root = package.module_dir or package.dir
            shown = [edit.removeprefix(f"{root}/") for edit in edits]
            on_note("note", f"--strip-debug-handlers: {', '.join(stripped)} left out of {package.import_path} "
                    f"(go build -overlay; the source is not written): {'; '.join(shown)}")
        if not any(who.blank or who.named or who.outside for who in found.values()):
            on_note("note", f"--strip-debug-handlers: {package.import_path} imports neither "
                    f"{' nor '.join(DEBUG_HANDLERS)} for its side effects; nothing to leave out")
    files += [(path, content) for path, content, _ in injected]
    if not files:
        return None
    return SourceOverlay(tuple(files), tuple(stripped),
                         tuple((Path(path).name, digest) for path, _, digest in injected), tuple(edits))
