"""Windows PE and macOS Mach-O binaries laid out as the ELF reader's sections and segments, for Go's tables."""

from __future__ import annotations

__all__ = ["PARSERS", "LayoutError", "foreign_format"]

import mmap
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias

Data: TypeAlias = bytes | mmap.mmap

PF_X, PF_W, PF_R = 1, 2, 4
MACHO_MAGICS = {b"\xcf\xfa\xed\xfe": ("<", 64), b"\xce\xfa\xed\xfe": ("<", 32),
                b"\xfe\xed\xfa\xcf": (">", 64), b"\xfe\xed\xfa\xce": (">", 32)}
_PE_MACHINES = {0x8664: "amd64", 0x14C: "386", 0xAA64: "arm64", 0x1C4: "arm", 0x1C0: "arm"}
_MACHO_CPUS = {0x01000007: "amd64", 7: "386", 0x0100000C: "arm64", 12: "arm", 0x01000012: "ppc64"}
_MACHO_TYPES = {1: "MH_OBJECT", 2: "MH_EXECUTE", 6: "MH_DYLIB", 8: "MH_BUNDLE"}
_MAX_COMMANDS = 4096
_MAX_SECTIONS = 4096
_SCN_UNINITIALIZED, _SCN_DISCARDABLE = 0x80, 0x02000000
_SCN_EXECUTE, _SCN_READ, _SCN_WRITE = 0x20000000, 0x40000000, 0x80000000


class LayoutError(ValueError):
    """The headers do not describe a file slimgo can read (the caller names the file)."""


@dataclass
class Layout:
    """What the ELF reader needs from a foreign format: its sections, loaded regions and machine."""

    format: str  # "PE" or "Mach-O"
    kind: str  # e.g. "PE32+ executable", "MH_EXECUTE"
    little_endian: bool
    bits: int
    machine: str
    entry: int
    # (name, type, addr, offset, size, flags) as in ELF: SHT_NOBITS for sections without file bytes
    sections: list[tuple[str, str, int, int, int, int]] = field(default_factory=list)
    # (offset, vaddr, filesz, memsz, PF_* flags)
    segments: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # ELF name Go's readers look for -> this file's name


def _unpack(data: Data, fmt: str, offset: int) -> tuple[int, ...]:
    if offset < 0 or offset + struct.calcsize(fmt) > len(data):
        raise LayoutError("its headers run past the end of the file")
    return struct.unpack_from(fmt, data, offset)


def parse_pe(data: Data) -> Layout:
    """The sections of a PE image: each one loaded at ImageBase + VirtualAddress."""
    (pe_at,) = _unpack(data, "<I", 0x3C)
    if data[pe_at : pe_at + 4] != b"PE\0\0":
        raise LayoutError("an MZ header without a PE signature (a DOS program?)")
    machine, count, _stamp, symtab, nsyms, optsize, _chars = _unpack(data, "<HHIIIHH", pe_at + 4)
    opt = pe_at + 24
    (magic,) = _unpack(data, "<H", opt)
    if magic not in (0x10B, 0x20B):
        raise LayoutError(f"unknown PE optional header magic {magic:#x}")
    (entry,) = _unpack(data, "<I", opt + 16)
    (base,) = _unpack(data, "<Q", opt + 24) if magic == 0x20B else _unpack(data, "<I", opt + 28)
    strings = symtab + 18 * nsyms  # the COFF string table: names longer than 8 bytes are "/offset"
    layout = Layout("PE", "PE32+ executable" if magic == 0x20B else "PE32 executable", True,
                    64 if magic == 0x20B else 32, _PE_MACHINES.get(machine, f"pe-{machine:#x}"), base + entry)
    for index in range(min(count, _MAX_SECTIONS)):
        at = opt + optsize + 40 * index
        raw_name = data[at : at + 8].rstrip(b"\0")
        vsize, vaddr, rawsize, rawptr = _unpack(data, "<IIII", at + 8)
        (chars,) = _unpack(data, "<I", at + 36)
        name = raw_name.decode("utf-8", "replace")
        if name.startswith("/") and name[1:].isdigit() and symtab:
            start = strings + int(name[1:])
            end = data.find(b"\0", start, start + 256)
            name = data[start:end].decode("utf-8", "replace") if end > start else name
        nobits = bool(chars & _SCN_UNINITIALIZED) or rawptr == 0
        flags = (PF_R if chars & _SCN_READ else 0) | (PF_W if chars & _SCN_WRITE else 0) | \
            (PF_X if chars & _SCN_EXECUTE else 0)
        size = rawsize if not nobits else vsize
        layout.sections.append((name, "SHT_NOBITS" if nobits else "SHT_PROGBITS", base + vaddr, rawptr, size,
                                flags))
        if not chars & _SCN_DISCARDABLE and not name.startswith((".debug", ".zdebug")):
            filesz = 0 if nobits else min(rawsize, vsize or rawsize)
            layout.segments.append((rawptr, base + vaddr, filesz, vsize or rawsize, flags))
    layout.segments.sort(key=lambda seg: seg[1])
    return layout


def parse_macho(data: Data) -> Layout:
    """The segments and sections of a thin Mach-O file (a universal binary holds several: not read here)."""
    order, bits = MACHO_MAGICS[data[:4]]
    cpu, _sub, filetype, ncmds, _size, _flags = _unpack(data, order + "iiIIII", 4)
    layout = Layout("Mach-O", _MACHO_TYPES.get(filetype, f"MH_{filetype:#x}"), order == "<", bits,
                    _MACHO_CPUS.get(cpu, f"macho-{cpu:#x}"), 0)
    at = 32 if bits == 64 else 28
    for _ in range(min(ncmds, _MAX_COMMANDS)):
        cmd, cmdsize = _unpack(data, order + "II", at)
        if cmdsize < 8:
            raise LayoutError("a load command of fewer than 8 bytes")
        if cmd in (0x19, 0x1):  # LC_SEGMENT_64, LC_SEGMENT
            _segment(data, order, bits, at, layout)
        elif cmd == 0x80000028:  # LC_MAIN: the entry point's file offset
            (entryoff,) = _unpack(data, order + "Q", at + 8)
            layout.entry = entryoff
        at += cmdsize
    return layout


def _segment(data: Data, order: str, bits: int, at: int, layout: Layout) -> None:
    word = "Q" if bits == 64 else "I"
    fields = _unpack(data, order + f"16s{word * 4}iiII", at + 8)
    _name, vmaddr, vmsize, fileoff, filesize, _maxprot, initprot, nsects, _flags = fields
    flags = (PF_R if initprot & 1 else 0) | (PF_W if initprot & 2 else 0) | (PF_X if initprot & 4 else 0)
    if filesize or vmsize:
        layout.segments.append((fileoff, vmaddr, filesize, vmsize, flags))
    header = struct.calcsize(order + f"II16s{word * 4}iiII")
    entry = 80 if bits == 64 else 68
    for index in range(min(nsects, _MAX_SECTIONS)):
        sec = at + header + entry * index
        sectname, segname, addr, size = _unpack(data, order + f"16s16s{word}{word}", sec)
        offset, _align, _reloff, _nreloc, sflags = _unpack(data, order + "IIIII", sec + 32 + 2 * (8 if bits == 64
                                                                                                  else 4))
        name, segment = (bytes(raw).rstrip(b"\0").decode("utf-8", "replace") if isinstance(raw, bytes) else ""
                         for raw in (sectname, segname))
        zerofill = sflags & 0xFF in (1, 0xC, 0x12)  # S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL
        shown = f"{segment},{name}"  # as otool names them: __rodata is in both __TEXT and __DATA_CONST
        layout.sections.append((shown, "SHT_NOBITS" if zerofill else "SHT_PROGBITS", addr, offset, size, flags))
        if name.startswith("__"):  # __gopclntab -> .gopclntab, __go_buildinfo -> .go.buildinfo, __text -> .text
            layout.aliases.setdefault("." + name[2:].replace("_", "."), shown)


PARSERS: dict[str, Callable[[Data], Layout]] = {"PE": parse_pe, "Mach-O": parse_macho}


def foreign_format(head: bytes) -> str | None:
    """"PE" or "Mach-O" when ``head`` starts like one, else None."""
    if head.startswith(b"MZ"):
        return "PE"
    if head[:4] in MACHO_MAGICS:
        return "Mach-O"
    return None
