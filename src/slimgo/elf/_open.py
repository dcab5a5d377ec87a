"""Opening a path as a binary: only a regular file is opened, and every way it can fail is told in words."""

from __future__ import annotations

__all__ = ["not_elf", "open_regular", "os_error"]

import errno
import os
import stat
from pathlib import Path

from slimgo.errors import ElfError

_NOT_ELF_HINTS = {
    b"MZ": "a Windows PE executable; build with GOOS=linux",
    b"\xcf\xfa\xed\xfe": "a Mach-O executable; build with GOOS=linux",
    b"\xca\xfe\xba\xbe": "a Mach-O universal binary; build with GOOS=linux",
    b"#!": "a script, not a compiled binary",
    b"PK\x03\x04": "a zip archive",
    b"\x1f\x8b": "a gzip file",
}
_FILE_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _is_text(head: bytes) -> bool:
    """Whether ``head`` reads as UTF-8 text (a character cut at the end of the sample is fine)."""
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:
            return False
        decoded = head[: err.start].decode("utf-8")
    return all(c.isprintable() or c in "\t\n\r" for c in decoded)


def open_regular(path: Path, subject: str) -> int:
    """A read-only descriptor of ``path`` once it is known to be a regular file (never blocks on a FIFO)."""
    not_found = ElfError(subject, "no such file", "check the path of the binary")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise ElfError(subject, f"is a symbolic link to {os.readlink(path)}, which does not exist",
                           "point the link at the binary, or give the binary's own path") from None
        raise not_found from None
    except OSError as err:
        raise os_error(subject, err) from None
    require_regular(subject, info.st_mode)
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the stat, opening it must not wait for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise not_found from None
    except OSError as err:
        raise os_error(subject, err) from None
    try:
        require_regular(subject, os.fstat(fd).st_mode)
    except ElfError:
        os.close(fd)
        raise
    return fd


def require_regular(subject: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise ElfError(subject, "is a directory, not a binary", "give the path of a Go binary")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")
        raise ElfError(subject, f"is {kind}, not a binary file",
                       "copy the binary to a regular file first, or give the path of the binary itself")


def os_error(subject: str, err: OSError) -> ElfError:
    if err.errno == errno.ELOOP:
        return ElfError(subject, "is a symbolic link loop (too many levels of symbolic links)",
                        "point the link at the binary (see `readlink -f`), or give the binary's own path")
    if err.errno in (errno.EACCES, errno.EPERM):
        return ElfError(subject, "permission denied", "make the file readable (chmod +r), or run as its owner")
    if err.errno == errno.ENOTDIR:
        return ElfError(subject, "a parent of this path is not a directory", "check the path of the binary")
    if err.errno == errno.ENAMETOOLONG:
        return ElfError(subject, "the path is too long", "check the path of the binary")
    reason = os.strerror(err.errno) if err.errno else "unknown error"
    return ElfError(subject, f"cannot be read ({reason})", "check that the file exists and can be read")


def not_elf(subject: str, head: bytes) -> ElfError:
    hint = next((h for magic, h in _NOT_ELF_HINTS.items() if head.startswith(magic)), None)
    if hint is None:
        hint = "a text file" if _is_text(head) else f"starts with bytes {head[:4].hex(' ')}"
    return ElfError(subject, f"is not an ELF file ({hint})", "give the path of a Linux binary built by `go build`")
