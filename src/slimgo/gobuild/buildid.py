"""The Go build ID of a Go ELF binary, as `go tool buildid` reads it: the "Go" note near the start of the file.
Go decides from it that a binary is up to date, and rewrites it whenever the content changes."""

from __future__ import annotations

__all__ = ["go_build_id"]

import struct
from pathlib import Path

_HEAD = 32 << 10  # where Go's linker puts the note (Go's own reader looks no further)
_NOTE_NAME = b"Go\x00\x00"
_NOTE_TYPE_BUILD_ID = 4
_MAX_ID = 1024


def go_build_id(path: Path) -> str | None:
    """The build ID of a little-endian Go ELF binary, or None (not found, not ELF, unreadable)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD)
    except OSError:
        return None
    if head[:4] != b"\x7fELF" or head[5:6] != b"\x01":  # EI_DATA: 1 = little-endian
        return None
    pos = head.find(_NOTE_NAME)
    while pos >= 12:
        namesz, descsz, kind = struct.unpack_from("<3I", head, pos - 12)
        if namesz == 4 and kind == _NOTE_TYPE_BUILD_ID and 0 < descsz <= _MAX_ID and pos + 4 + descsz <= len(head):
            text = head[pos + 4: pos + 4 + descsz]
            return text.decode("ascii") if text.isascii() and b"/" in text else None
        pos = head.find(_NOTE_NAME, pos + 1)
    return None
