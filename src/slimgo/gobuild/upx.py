"""Runs `upx`: pack a Go binary (once per input, level and upx version: packed results are cached), test the
result, start it once, and unpack a packed one for inspection."""

from __future__ import annotations

__all__ = ["check_platform", "find_upx", "is_packed", "pack", "parse_level", "start_once", "unpack"]

import hashlib
import os
import shutil
import signal
import subprocess
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from slimgo.cachedir import cache_root, keep
from slimgo.errors import BuildError, UsageError
from slimgo.oci.platform import Platform

PACKAGE = "upx-ucl"  # the Debian package that provides /usr/bin/upx
# Levels a user picks with --compress upx[:LEVEL]. No --brute/--ultra-brute (minutes per binary) and never
# --overlay=strip, --force or --strip-relocs: Go binaries need their overlay and relocations left alone.
LEVELS: dict[str, tuple[str, ...]] = {
    "fast": ("-1",),
    "best": ("--best",),
    "lzma": ("--lzma",),
}
DEFAULT_LEVEL = "fast"
# GOARCH values whose linux ELF binaries UPX 4 packs and whose stub it ships.
SUPPORTED_ARCHES = frozenset({"amd64", "386", "arm", "arm64", "ppc64le", "mips", "mipsle"})
# UPX writes this marker into every file it packs (the l_info header); it sits in the first pages.
_MAGIC = b"UPX!"
_MAGIC_WINDOW = 4096
_START_GRACE = 2.0  # a program still running after this long has started (a server); it is stopped then
_STDERR_TAIL = 2000


@dataclass(frozen=True)
class Packed:
    """A packed binary and what it replaced."""

    path: Path
    level: str
    original_bytes: int
    original_digest: str  # sha256:... of the binary before packing
    packed_bytes: int


def parse_level(text: str) -> str:
    """`upx` or `upx:LEVEL` to a level name; raises UsageError naming the levels when unknown."""
    kind, _, level = text.partition(":")
    level = level or DEFAULT_LEVEL
    if kind != "upx" or level not in LEVELS:
        raise UsageError(f"--compress {text}", "is not a known binary compressor",
                         f"use upx, or upx:LEVEL with LEVEL one of {', '.join(LEVELS)}")
    return level


def find_upx() -> str:
    found = shutil.which("upx")
    if found is None:
        raise BuildError("upx", "is not installed, and --compress upx needs it",
                         f"install the `{PACKAGE}` package: apt-get install {PACKAGE}")
    return found


def check_platform(platform: Platform) -> None:
    if platform.os != "linux" or platform.architecture not in SUPPORTED_ARCHES:
        raise BuildError(f"--compress upx for {platform}", "UPX cannot pack binaries for this platform",
                         f"pack only linux/{{{','.join(sorted(SUPPORTED_ARCHES))}}} images, or drop --compress")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"


def _upx(args: Sequence[str], subject: str, timeout: float = 600) -> None:
    try:
        done = subprocess.run([find_upx(), *args], capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise BuildError(subject, f"upx did not finish within {timeout:.0f} s",
                         "use a faster level (upx:fast)") from None
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip())[-_STDERR_TAIL:]
        raise BuildError(subject, f"upx failed: {said}",
                         "build without --compress (UPX cannot pack this binary: PIE, cgo or an unusual layout)")


def _version() -> str:
    """The first line of `upx --version`: part of a cache key, so a new upx packs again."""
    try:
        done = subprocess.run([find_upx(), "--version"], capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return ""
    return done.stdout.partition("\n")[0].strip() if done.returncode == 0 else ""


def _cache_entry(cache: Path, original_digest: str, level: str) -> Path | None:
    """Where the packed result of this input at this level, by this upx, is kept; None when upx has no version."""
    version = _version()
    if not version:
        return None
    key = hashlib.sha256("\0".join([original_digest, version, *LEVELS[level]]).encode()).hexdigest()
    return cache / key


def _from_cache(entry: Path, out: Path, binary: Path) -> bool:
    """Copy a cached packed binary to ``out``, with the input's mode (as upx would), when it is one: smaller than
    its input, UPX's marker in it, and `upx -t` passes (an entry that fails is removed, and packed again)."""
    try:
        original = binary.stat()
        if not entry.is_file() or entry.stat().st_size >= original.st_size or not is_packed(entry):
            return False
        shutil.copyfile(entry, out)
        out.chmod(original.st_mode & 0o777)
        _upx(["-q", "-t", str(out)], str(out))
    except (OSError, BuildError):
        with suppress(OSError):
            out.unlink(missing_ok=True)
            entry.unlink(missing_ok=True)
        return False
    return True


def _keep(out: Path, entry: Path) -> None:
    """Store ``out`` as the cache ``entry`` (whole or not at all, see cachedir.keep)."""
    def copy(dest: BinaryIO) -> None:
        with out.open("rb") as src:
            shutil.copyfileobj(src, dest)

    keep(entry, copy)


def pack(binary: Path, out: Path, level: str, cache: Path | None = None) -> Packed:
    """Pack ``binary`` into ``out`` at ``level`` and test it with `upx -t`; refuses a result larger than the input.

    A packed result is kept under ``cache`` (default: slimgo's cache directory) keyed by the input's sha256, the
    level's flags and the upx version, so packing the same binary again (a rebuild, a bench) costs a copy and a
    test instead of up to a minute of `upx --best`."""
    out.unlink(missing_ok=True)
    original, digest = binary.stat().st_size, _sha256(binary)
    entry = _cache_entry(cache if cache is not None else cache_root() / "upx", digest, level)
    cached = entry is not None and _from_cache(entry, out, binary)
    if not cached:
        _upx(["-q", "--no-color", *LEVELS[level], "-o", str(out), str(binary)], str(binary))
        _upx(["-q", "-t", str(out)], str(out))
    packed = out.stat().st_size
    if packed >= original:
        raise BuildError(str(binary), f"packs to {packed} bytes, not smaller than its {original} bytes",
                         "drop --compress: this binary does not compress")
    if entry is not None and not cached:
        _keep(out, entry)
    return Packed(out, level, original, digest, packed)


def start_once(binary: Path, args: Sequence[str], env: Sequence[tuple[str, str]] = ()) -> str:
    """Start ``binary`` with ``args`` and no stdin; it passes if it exits by itself or is still running after a
    grace period (a server). Killed by a signal (a broken unpacker) is a BuildError with its stderr tail."""
    with subprocess.Popen([str(binary), *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env={**os.environ, **dict(env)}) as proc:
        try:
            _, err = proc.communicate(timeout=_START_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return f"still running after {_START_GRACE:.0f} s"
    code = proc.returncode
    if code < 0:
        tail = err.decode(errors="replace")[-_STDERR_TAIL:].strip()
        raise BuildError(str(binary), f"the packed binary was killed by {signal.Signals(-code).name} when started"
                         + (f"; it said: {tail}" if tail else ""),
                         "build without --compress, or try another upx level")
    return f"exited with {code}"


def is_packed(path: Path) -> bool:
    """Whether the file at ``path`` carries UPX's marker in its first page."""
    with path.open("rb") as stream:
        return _MAGIC in stream.read(_MAGIC_WINDOW)


def unpack(packed: Path, out: Path) -> None:
    """`upx -d` of ``packed`` into ``out`` (for reading the Go parts of a packed binary)."""
    out.unlink(missing_ok=True)
    _upx(["-q", "-d", "-o", str(out), str(packed)], str(packed))
