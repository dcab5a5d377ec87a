"""Hostile inputs for the ELF readers: sparse giants, forged header counts, special files."""

from __future__ import annotations

import os
import struct
from pathlib import Path

GIB = 1 << 30


def sparse_copy(source: Path, out: Path, size: int = 2 * GIB) -> Path:
    """``source`` followed by a hole up to ``size`` bytes: a valid header, a file the size of a huge binary."""
    out.write_bytes(source.read_bytes())
    os.truncate(out, size)
    return out


def sparse_segment(out: Path, size: int = 2 * GIB) -> Path:
    """A 64-bit ELF header and one read-only PT_LOAD segment claiming all ``size`` bytes, the rest a hole:
    a reader that scans segments for Go's tables walks the whole file."""
    ehdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    ehdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x401000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 4, 0, 0x400000, 0x400000, size, size, 0x1000)
    out.write_bytes(ehdr + phdr)
    os.truncate(out, size)
    return out


def _section_header_table(data: bytes) -> tuple[int, int, int, int]:
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    return e_shoff, e_shentsize, e_shnum, e_shstrndx


def many_sections(source: Path, out: Path, count: int = 300_000) -> Path:
    """A copy of a 64-bit little-endian ``source`` whose section header table is rewritten with extended
    numbering (e_shnum 0, e_shstrndx SHN_XINDEX) and padded with empty headers to ``count`` entries."""
    data = bytearray(source.read_bytes())
    shoff, entsize, shnum, shstrndx = _section_header_table(bytes(data))
    headers = bytearray(data[shoff : shoff + shnum * entsize])
    headers += bytes(entsize) * (count - shnum)  # SHT_NULL headers: nothing to read, only to walk
    struct.pack_into("<Q", headers, 0x20, count)  # section 0: sh_size holds the real count
    struct.pack_into("<I", headers, 0x28, shstrndx)  # section 0: sh_link holds the name table's index
    new_off = len(data) + (-len(data) % 8)
    data += bytes(new_off - len(data))
    struct.pack_into("<Q", data, 0x28, new_off)
    struct.pack_into("<HH", data, 0x3C, 0, 0xFFFF)
    out.write_bytes(bytes(data + headers))
    return out


def fifo(out: Path) -> Path:
    os.mkfifo(out)
    return out


def symlink_loop(directory: Path) -> Path:
    first, second = directory / "loop-a", directory / "loop-b"
    first.symlink_to(second)
    second.symlink_to(first)
    return first


def many_segments(source: Path, out: Path, count: int = 1_000_000) -> Path:
    """A copy of ``source`` with PN_XNUM program headers: section 0's sh_info says ``count``, and the file is
    extended (sparsely) so that many headers fit in it."""
    data = bytearray(source.read_bytes())
    shoff, _entsize, _shnum, _shstrndx = _section_header_table(bytes(data))
    struct.pack_into("<H", data, 0x38, 0xFFFF)  # e_phnum = PN_XNUM
    struct.pack_into("<I", data, shoff + 0x2C, count)  # section 0: sh_info holds the real count
    out.write_bytes(bytes(data))
    phoff, = struct.unpack_from("<Q", data, 0x20)
    os.truncate(out, max(len(data), phoff + 56 * count))
    return out
