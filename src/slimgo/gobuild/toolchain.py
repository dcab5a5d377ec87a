"""Runs the `go` command: list packages, build one binary, find the packages that use cgo."""

from __future__ import annotations

__all__ = ["GoPackage", "GoToolchain"]

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slimgo.errors import BuildError, InputError, UsageError
from slimgo.gobuild.listcache import ListCache, Watch, package_dirs
from slimgo.gobuild.options import GoBuildOptions, check_goflags
from slimgo.oci.platform import Platform

Runner = Callable[..., "subprocess.CompletedProcess[str]"]
_MAX_ERROR_LINES = 25


@dataclass(frozen=True)
class GoPackage:
    import_path: str
    name: str
    dir: Path
    module_dir: Path | None
    module_path: str

    @property
    def binary_name(self) -> str:
        """What `go build` names the binary: the last path element (skipping a major-version suffix)."""
        parts = self.import_path.rstrip("/").split("/")
        last = parts[-1]
        if len(parts) > 1 and last.startswith("v") and last[1:].isdigit():
            last = parts[-2]
        return last if last not in (".", "") else self.dir.name


def _decode_stream(text: str) -> list[dict[str, Any]]:
    """`go list -json` prints concatenated JSON objects, not an array."""
    decoder = json.JSONDecoder()
    items, pos = [], 0
    text = text.strip()
    while pos < len(text):
        obj, end = decoder.raw_decode(text, pos)
        items.append(obj)
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return items


def trim_go_errors(stderr: str) -> str:
    """Keep what a user needs from Go's output: the error lines, not the package banner, at most a screenful."""
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("# ")]
    if len(lines) > _MAX_ERROR_LINES:
        hidden = len(lines) - _MAX_ERROR_LINES
        lines = [*lines[:_MAX_ERROR_LINES], f"... and {hidden} more lines"]
    return "\n".join("    " + ln for ln in lines)


class GoToolchain:
    """The `go` command, with an injectable runner so unit tests need no toolchain."""

    def __init__(self, go: str | None = None, run: Runner = subprocess.run, list_cache: Path | None = None) -> None:
        """``list_cache``: a directory where `go list` answers are kept between runs (none: always ask go)."""
        found = go or shutil.which("go")
        if found is None:
            raise BuildError("go", "the Go toolchain is not on PATH",
                             "install Go (https://go.dev/dl) or run `make setup`, which installs one into .venv")
        self.go = found
        self._run = run
        self.list_cache = ListCache(list_cache) if list_cache is not None else None

    def cached_list(self, args: Sequence[str], cwd: Path, env: Mapping[str, str] | None,
                    watch_of: Callable[[list[dict[str, Any]]], Watch]) -> tuple[int, str, str]:
        """`go ARGS` (a `go list -json`) as (exit code, stdout, stderr), from the list cache while nothing
        ``watch_of(answer)`` names has changed; a failed run is never kept."""
        cache = self.list_cache
        key = cache.key(self.go, {**os.environ, **(env or {})}, args, cwd) if cache else ""
        if cache is not None and isinstance(kept := cache.load(key), str):
            return 0, kept, ""
        started = time.time_ns()
        result = self._call(args, cwd, env)
        if cache is not None and result.returncode == 0:
            cache.store(key, result.stdout, watch_of(_decode_stream(result.stdout)), started)
        return result.returncode, result.stdout, result.stderr

    def _call(self, args: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None,
              timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        try:
            return self._run([self.go, *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                             timeout=timeout, check=False)
        except FileNotFoundError:
            raise BuildError(self.go, "cannot be executed", "check your Go installation") from None
        except subprocess.TimeoutExpired:
            raise BuildError(f"go {' '.join(args[:2])}", f"did not finish within {timeout:.0f}s",
                             "check the build for hangs (e.g. a module download that never completes)") from None

    def call(self, args: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run `go ARGS` (for the other gobuild modules)."""
        return self._call(args, cwd, env, timeout)

    def goflags(self) -> str:
        """GOFLAGS as `go` will see it: the environment, else the `go env -w` file (read directly: no subprocess)."""
        if "GOFLAGS" in os.environ:
            return os.environ["GOFLAGS"]
        config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        env_file = Path(os.environ.get("GOENV") or Path(config) / "go" / "env")
        try:
            for line in env_file.read_text().splitlines():
                key, sep, value = line.partition("=")
                if sep and key.strip() == "GOFLAGS":
                    return value.strip()
        except OSError:
            pass
        return ""

    def list_main_packages(self, patterns: Sequence[str], cwd: Path) -> list[GoPackage]:
        """Resolve ``patterns`` to main packages; an explicitly named non-main package is an error.

        A directory pattern is listed from inside that directory, so `slimgo build /elsewhere/cmd/app` works
        from anywhere (its go.mod is found from there, as `cd dir && go build` would).
        """
        check_goflags(self.goflags())
        packages: list[GoPackage] = []
        for pattern in patterns:
            directory, go_pattern = _split_directory(pattern, cwd)
            for package in self._list(pattern, go_pattern, directory):
                if package.import_path not in {p.import_path for p in packages}:
                    packages.append(package)
        return packages

    def list_deps(self, package: str, cwd: Path, timeout: float = 120) -> list[dict[str, Any]]:
        """`go list -deps -json` of ``package`` from ``cwd``: every package it imports, with its imports."""
        result = self._call(["list", "-deps", "-json=ImportPath,Imports,Module,Standard", package], cwd,
                            timeout=timeout)
        if result.returncode != 0:
            raise BuildError(f"package {package}", "could not be listed by `go list -deps`:\n"
                             + trim_go_errors(result.stderr), "run it inside the module that built the binary")
        return _decode_stream(result.stdout)

    def _list(self, shown: str, pattern: str, cwd: Path) -> list[GoPackage]:
        wildcard = "..." in pattern

        def watch_of(items: list[dict[str, Any]]) -> Watch:
            watch = Watch()
            watch.module_files(cwd)
            if pattern == "./...":
                watch.tree(cwd)
            elif wildcard or any(item.get("Error") for item in items):
                watch.complete = False  # an import-path wildcard is too wide to watch; an error is asked again
            for directory in package_dirs(items):
                watch.package(directory)
            return watch

        code, stdout, stderr = self.cached_list(["list", "-e", "-json=ImportPath,Name,Dir,Module,Error", pattern],
                                                cwd, None, watch_of)
        if code != 0 and not stdout.strip():
            raise InputError(f"package {shown}", "could not be listed by `go list`:\n" + trim_go_errors(stderr),
                             "give a directory inside a Go module (./cmd/server) or an import path of a package main")
        packages: list[GoPackage] = []
        for item in _decode_stream(stdout):
            error = (item.get("Error") or {}).get("Err")
            where = shown if not wildcard else (item.get("ImportPath") or shown)
            if error and not item.get("Name"):
                raise BuildError(f"package {where}", f"cannot be loaded: {error}",
                                 "check the path exists and is inside a Go module (go.mod)")
            if item.get("Name") != "main":
                if wildcard:
                    continue
                raise UsageError(f"package {where}", f"is package {item.get('Name')!r}, not package main",
                                 "point slimgo build at a command (a directory whose files say `package main`)")
            module = item.get("Module") or {}
            packages.append(GoPackage(
                import_path=item["ImportPath"], name="main", dir=Path(item["Dir"]),
                module_dir=Path(module["Dir"]) if module.get("Dir") else None,
                module_path=str(module.get("Path") or ""),
            ))
        if not packages:
            raise UsageError(f"package {shown}", "matches no main package",
                             "point slimgo build at a directory holding a `package main`")
        return packages

    def build(self, package: GoPackage, output: Path, options: GoBuildOptions, platform: Platform) -> None:
        from slimgo.gobuild.overlay import written_overlay

        with written_overlay(options.overlay) as overlay:  # -overlay: source changes, the tree never written
            args = ["build", "-o", str(output), *options.flags(), *overlay, package.import_path]
            result = self._call(args, package.dir, options.environment(platform))
        if result.returncode != 0:
            raise BuildError(f"go build {package.import_path} ({platform})",
                             "failed:\n" + trim_go_errors(result.stderr),
                             "fix the compile errors above; slimgo ran: go " + " ".join(args))

    def build_many(self, packages: Sequence[GoPackage], directory: Path, options: GoBuildOptions,
                   platform: Platform) -> None:
        """`go build -o DIR/` of several main packages of one module (each binary named as Go names it)."""
        args = ["build", "-o", f"{directory}/", *options.flags(), *(p.import_path for p in packages)]
        result = self._call(args, packages[0].dir, options.environment(platform))
        if result.returncode != 0:
            raise BuildError(f"go build of {len(packages)} packages ({platform})",
                             "failed:\n" + trim_go_errors(result.stderr),
                             "fix the compile errors above; slimgo ran: go " + " ".join(args))

    def test(self, patterns: Sequence[str], cwd: Path, options: GoBuildOptions, platform: Platform,
             on_line: Callable[[str], None], timeout: float = 1800) -> bool:
        """`go test` of ``patterns`` with the build's own flags, each output line handed to ``on_line`` as it
        comes; True when the tests pass."""
        import threading

        args = [self.go, "test", *options.flags(), *patterns]
        env = {**os.environ, **options.environment(platform)}
        try:
            process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True, errors="replace")
        except OSError as err:
            raise BuildError(self.go, f"cannot be executed: {err.strerror or err}", "check your Go installation") \
                from None
        timer = threading.Timer(timeout, process.kill)  # a hung test must not hang the build
        timer.start()
        with process:
            try:
                assert process.stdout is not None
                for line in process.stdout:
                    on_line(line.rstrip("\n")[:4096])
                code = process.wait()
            finally:
                timer.cancel()
                if process.poll() is None:
                    process.kill()
        if code < 0:
            raise BuildError(f"go test {' '.join(patterns)}", f"did not finish within {timeout:.0f}s",
                             "find the hanging test (go test -timeout), or raise the limit")
        return code == 0

    def dependency_dirs(self, package: GoPackage, options: GoBuildOptions, platform: Platform) -> set[Path]:
        """The directories of every non-standard package ``package`` is built from (itself included)."""
        tags = [f"-tags={','.join(options.tags)}"] if options.tags else []
        fmt = "{{if not .Standard}}{{.Dir}}{{end}}"
        result = self._call(["list", "-deps", *tags, "-f", fmt, package.import_path], package.dir,
                            options.environment(platform))
        if result.returncode != 0:
            raise BuildError(f"package {package.import_path}", "could not be listed by `go list -deps`:\n"
                             + trim_go_errors(result.stderr), "fix the errors above")
        return {Path(line) for line in result.stdout.splitlines() if line.strip()}

    def cgo_packages(self, package: GoPackage, options: GoBuildOptions, platform: Platform) -> list[str]:
        """The packages in the build that use cgo (as they would with CGO_ENABLED=1)."""
        env = {**options.environment(platform), "CGO_ENABLED": "1"}
        fmt = "{{if or .CgoFiles .CgoPkgConfig}}{{.ImportPath}}{{end}}"
        tags = [f"-tags={','.join(options.tags)}"] if options.tags else []
        result = self._call(["list", "-deps", *tags, "-f", fmt, package.import_path], package.dir, env)
        if result.returncode != 0:
            return []
        return [line for line in result.stdout.splitlines() if line.strip()]

    def version(self) -> str:
        result = self._call(["env", "GOVERSION"], Path.cwd())
        return result.stdout.strip()


def _split_directory(pattern: str, cwd: Path) -> tuple[Path, str]:
    """(directory to run `go list` in, pattern to give it): "./cmd/..." -> (cwd/cmd, "./...")."""
    recursive = pattern.endswith("/...") or pattern == "..."
    base = pattern[: -len("/...")] if pattern.endswith("/...") else ("." if pattern == "..." else pattern)
    is_path = base in (".", "..") or base.startswith(("./", "../", "/")) or ((cwd / base).is_dir() and not recursive)
    if not is_path:
        return cwd, pattern
    directory = (cwd / base).resolve()
    if not directory.is_dir():
        raise UsageError(f"package {pattern}", f"{directory} is not a directory",
                         "give an existing directory or an import path")
    return directory, "./..." if recursive else "."
