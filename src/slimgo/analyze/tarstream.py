"""A lean reader of tar headers (ustar, GNU long names, PAX), for walking layers with millions of entries: it
yields metadata and skips file data (with a seek when the stream allows it), so a layer is never held in memory."""

from __future__ import annotations

__all__ = ["Member", "TarFormatError", "TarWalker"]

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

BLOCK = 512
_KINDS = {b"0": "file", b"\0": "file", b"7": "file", b"1": "hardlink", b"2": "symlink", b"3": "char",
          b"4": "block", b"5": "dir", b"6": "fifo"}
_HEADER_ONLY = frozenset({"hardlink", "symlink", "char", "block", "dir", "fifo"})  # data is never stored
MAX_META = 1 << 20  # a PAX record or GNU long name longer than this is hostile


class TarFormatError(ValueError):
    """The stream is not a tar this reader can walk."""


@dataclass(slots=True)
class Member:
    name: str
    kind: str  # file | dir | symlink | hardlink | char | block | fifo | other
    size: int
    mode: int
    uid: int
    gid: int
    linkname: str
    capability: bool  # a security.capability xattr (PAX SCHILY.xattr.security.capability)
    device: tuple[int, int] = (0, 0)  # (major, minor) of a char or block device node


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _number(field: bytes) -> int:
    if field[:1] in (b"\x80", b"\xff"):  # base-256 (GNU) for values that do not fit in octal
        value = int.from_bytes(field[1:], "big")
        if field[:1] == b"\xff":
            raise TarFormatError("negative number in a tar header")
        return value
    text = field.split(b"\0", 1)[0].strip(b" \0")
    try:
        return int(text, 8) if text else 0
    except ValueError:
        raise TarFormatError(f"bad number {text!r} in a tar header") from None


def _pax(data: bytes) -> dict[str, str]:
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data) and data[pos:pos + 1] != b"\0":
        space = data.find(b" ", pos)
        if space < 0:
            raise TarFormatError("bad PAX record")
        length = int(data[pos:space])
        if length <= 0:
            raise TarFormatError("bad PAX record length")
        key, _, value = data[space + 1:pos + length - 1].partition(b"=")
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


def _fileno(stream: BinaryIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None


class TarWalker:
    """Walk ``stream`` member by member; `read_data` reads the current member's contents (bounded)."""

    def __init__(self, stream: BinaryIO, seekable: bool) -> None:
        self.stream, self.seekable = stream, seekable
        self.consumed = 0  # bytes of the stream read or skipped
        # A plain file is read with pread at tracked offsets: no seek, no read-ahead buffer refilled per header.
        self._fd = _fileno(stream) if seekable else None
        self._offset = stream.tell() if self._fd is not None else 0
        self._left = 0  # data bytes of the current member not yet read, plus padding
        self._data_left = 0  # data bytes of the current member not yet read
        self._global: dict[str, str] = {}

    def _read(self, n: int) -> bytes:
        if self._fd is not None:
            data = os.pread(self._fd, n, self._offset)
            self._offset += len(data)
        else:
            data = self.stream.read(n)
        self.consumed += len(data)
        return data

    def _skip(self, n: int) -> None:
        if n <= 0:
            return
        if self._fd is not None:
            self._offset += n
            self.consumed += n
            return
        if self.seekable:
            self.stream.seek(n, 1)
            self.consumed += n
            return
        while n > 0:
            chunk = self._read(min(n, 1 << 20))
            if not chunk:
                raise TarFormatError("the stream ends inside a member")
            n -= len(chunk)

    def drain(self) -> None:
        """Read to the end of the stream (padding after the end-of-archive block counts as the layer's size)."""
        for _ in range(1 << 40):
            if not self._read(1 << 20):
                return

    def read_data(self, limit: int) -> bytes:
        data = self._read(min(limit, self._data_left))
        self._data_left -= len(data)
        self._left -= len(data)
        return data

    def _meta(self, size: int) -> bytes:
        if size > MAX_META:
            raise TarFormatError(f"a {size}-byte tar extension header")
        data = self._read(size)
        self._skip(-size % BLOCK)
        if len(data) < size:
            raise TarFormatError("the stream ends inside a tar extension header")
        return data

    def __iter__(self) -> Iterator[Member]:
        pax: dict[str, str] = {}
        long_name = long_link = None
        while True:
            self._skip(self._left)
            self._left = self._data_left = 0
            block = self._read(BLOCK)
            if len(block) < BLOCK or block == bytes(BLOCK):
                return  # end of archive (or a stream ending between members, as tar readers accept)
            if sum(block) - sum(block[148:156]) + 256 != _number(block[148:156]):
                raise TarFormatError("a tar header fails its checksum")
            flag, size = block[156:157], _number(block[124:136])
            if flag in (b"x", b"g"):
                records = _pax(self._meta(size))
                (pax if flag == b"x" else self._global).update(records)
                continue
            if flag in (b"L", b"K"):
                value = _text(self._meta(size))
                long_name, long_link = (value, long_link) if flag == b"L" else (long_name, value)
                continue
            member = self._member(block, flag, size, {**self._global, **pax}, long_name, long_link)
            pax, long_name, long_link = {}, None, None
            if member.kind not in _HEADER_ONLY:
                self._data_left = member.size
                self._left = member.size + (-member.size % BLOCK)
            yield member

    def _member(self, block: bytes, flag: bytes, size: int, pax: dict[str, str], long_name: str | None,
                long_link: str | None) -> Member:
        name = _text(block[0:100])
        if block[257:263] == b"ustar\x00" and block[345:346] != b"\0":
            name = _text(block[345:500]) + "/" + name
        name = pax.get("path", long_name or name)
        kind = _KINDS.get(flag, "other")
        if kind == "file" and flag == b"\0" and name.endswith("/"):
            kind = "dir"
        try:
            size = int(pax.get("size", size))
            uid, gid = int(pax.get("uid", _number(block[108:116]))), int(pax.get("gid", _number(block[116:124])))
        except ValueError:
            raise TarFormatError("a PAX header holds a bad number") from None
        device = (_number(block[329:337]), _number(block[337:345])) if kind in ("char", "block") else (0, 0)
        return Member(name, kind, size, _number(block[100:108]), uid, gid,
                      pax.get("linkpath", long_link or _text(block[157:257])),
                      "SCHILY.xattr.security.capability" in pax, device)
