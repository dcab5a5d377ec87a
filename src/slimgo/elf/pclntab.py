"""Go's function table (pclntab, Go 1.18+): function names, entries and sizes, also in stripped binaries."""

from __future__ import annotations

__all__ = ["FuncTable", "func_table_of", "function_names", "read_functions", "read_header"]

import array
import itertools
import mmap
import struct
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from slimgo.elf._reader import PF_W, PF_X, PT_LOAD, ElfImage, open_elf
from slimgo.elf.pclnsize import TableShares, table_shares
from slimgo.errors import ElfError

MAGIC_118 = 0xFFFFFFF0  # Go 1.18, 1.19
MAGIC_120 = 0xFFFFFFF1  # Go 1.20 and later (1.26 leaves textStart 0 and moves moduledata to .go.module)
OLD_MAGICS = {0xFFFFFFFB: "go1.2-go1.15", 0xFFFFFFFA: "go1.16-go1.17"}
SECTION_NAMES = (".gopclntab", ".data.rel.ro.gopclntab")
_FIX = "rebuild the binary with Go 1.18 or newer"

# Alignment fill the linker puts between functions: INT3 on x86, zero words on fixed-width ISAs.
# (cmd/link's CodePad: INT3 on x86, BREAK 0 on loong64, zero elsewhere; only a fallback to the pc-value tables.)
_PAD_UNIT = {"amd64": b"\xcc", "386": b"\xcc", "s390x": b"\x00\x00", "loong64": b"\x00\x00\x2a\x00",
             "riscv64": b"\x00\x00"}
_DEFAULT_PAD_UNIT = b"\x00\x00\x00\x00"
_MAX_CANDIDATES = 4096  # magic-number look-alikes tried per segment before giving up
_PAD_WINDOW = 256  # alignment fill is shorter than the largest function alignment Go uses (64)


class Func(NamedTuple):
    """One Go function: ``size`` excludes the alignment fill after it, which is ``padding``."""

    name: str
    entry: int
    size: int
    padding: int


@dataclass(frozen=True)
class PcHeader:
    """The pclntab header and where it was found."""

    magic: int
    ptr_size: int
    min_lc: int
    nfunc: int
    nfiles: int
    text_start: int
    funcname_offset: int
    cu_offset: int
    filetab_offset: int
    pctab_offset: int
    pcln_offset: int
    source: str  # the section name, or how the table was located without one


@dataclass(frozen=True)
class FuncTable:
    """The function table in columns (fast to total); ``functions`` gives them as Func tuples."""

    header: PcHeader
    text_start: int
    text_end: int  # end of the last function: runtime.etext
    tail_padding: int  # fill between runtime.etext and the end of the .text section
    names: list[str]
    entries: list[int]
    sizes: list[int]
    paddings: list[int]
    shares: TableShares | None = None  # the table and function-data bytes each function owns

    @property
    def functions(self) -> list[Func]:
        return [Func(*row) for row in zip(self.names, self.entries, self.sizes, self.paddings, strict=True)]

    @property
    def function_bytes(self) -> int:
        return sum(self.sizes)

    @property
    def padding_bytes(self) -> int:
        return sum(self.paddings) + self.tail_padding


def _corrupt(image: ElfImage, what: str) -> ElfError:
    return ElfError(image.subject, f"corrupt Go function table (pclntab): {what}", _FIX)


def _parse_header(image: ElfImage, table: bytes | memoryview, source: str) -> PcHeader:
    if len(table) < 8:
        raise _corrupt(image, "shorter than its header")
    order = "<" if image.little_endian else ">"
    magic = struct.unpack_from(order + "I", table, 0)[0]
    if magic in OLD_MAGICS:
        raise ElfError(image.subject, f"function table of {OLD_MAGICS[magic]} is unsupported", _FIX)
    if magic not in (MAGIC_118, MAGIC_120):
        raise _corrupt(image, f"unknown magic {magic:#x}")
    if table[4:6] != b"\0\0" or table[6] not in (1, 2, 4) or table[7] not in (4, 8):
        raise _corrupt(image, "bad header (pad, instruction size or pointer size)")
    ptr = table[7]
    fields_size = 8 * ptr
    if len(table) < 8 + fields_size:
        raise _corrupt(image, "shorter than its header")
    fields = struct.unpack_from(order + ("Q" if ptr == 8 else "I") * 8, table, 8)
    nfunc, nfiles, text_start, funcname, cu, filetab, pctab, pcln = fields
    for value in (funcname, cu, filetab, pctab, pcln):
        if not 8 + fields_size <= value <= len(table):
            raise _corrupt(image, f"table offset {value:#x} outside the {len(table)}-byte table")
    if nfunc > (len(table) - pcln) // 8:
        raise _corrupt(image, f"{nfunc} functions cannot fit in the table")
    return PcHeader(magic, ptr, table[6], nfunc, nfiles, text_start, funcname, cu, filetab, pctab, pcln, source)


def _magic_bytes(image: ElfImage) -> tuple[bytes, bytes]:
    order = image.byteorder
    return MAGIC_120.to_bytes(4, order), MAGIC_118.to_bytes(4, order)


def locate(image: ElfImage) -> tuple[bytes | memoryview, str, int]:
    """The pclntab bytes, where they were found, and the file offset they start at.

    Its own section (`.gopclntab`, or `.data.rel.ro.gopclntab` in externally linked PIE), else the
    moduledata's pcHeader pointer (`.go.module`, Go 1.26), else a scan of read-only segments for the magic.
    """
    for name in SECTION_NAMES:
        sec = image.section(name)
        if sec is not None and sec.type != "SHT_NOBITS":
            return image.section_view(sec), name, sec.offset
    module = image.section(".go.module")
    if module is not None and module.type != "SHT_NOBITS" and module.size >= 8:
        ptr_size = 8 if image.elf_class == 64 else 4
        raw = image.read(module.offset, ptr_size, ".go.module")
        off = image.vaddr_to_offset(int.from_bytes(raw, image.byteorder))
        if off is not None:
            return memoryview(image.data)[off : _segment_end(image, off)], "moduledata (.go.module)", off
    magics = _magic_bytes(image)
    for seg in image.segments:
        if seg.type != PT_LOAD or seg.flags & (PF_X | PF_W):
            continue
        end = min(seg.offset + seg.filesz, image.size)
        for magic in magics:
            pos = image.find(magic, seg.offset, end)
            for _ in range(_MAX_CANDIDATES):
                if not 0 <= pos < end:
                    break
                candidate = memoryview(image.data)[pos:end]
                try:
                    header = _parse_header(image, candidate, "scan")
                except ElfError:
                    header = None
                if header is not None and header.nfunc > 0:
                    return candidate, "segment scan (no pclntab section)", pos
                pos = image.find(magic, pos + 4, end)
    if any(seg.type == PT_LOAD and seg.offset + seg.filesz > image.size for seg in image.segments):
        raise ElfError(image.subject, "truncated: no Go function table (pclntab) in what is left of the file",
                       "the file is incomplete; rebuild it or copy it again")
    raise ElfError(
        image.subject,
        "no Go function table (pclntab) was found",
        "inspect a binary built by the Go toolchain (Go 1.18 or newer)",
    )


def _segment_end(image: ElfImage, offset: int) -> int:
    """The end of the file bytes of the loaded segment holding ``offset`` (the table cannot reach past it)."""
    for seg in image.segments:
        if seg.type == PT_LOAD and seg.offset <= offset < seg.offset + seg.filesz:
            return min(seg.offset + seg.filesz, image.size)
    return image.size


def read_header(image: ElfImage) -> tuple[PcHeader, bytes | memoryview, int]:
    """The parsed header, the table bytes, and the file offset of the table."""
    table, source, offset = locate(image)
    return _parse_header(image, table, source), table, offset


_MODULEDATA_TEXT_WORD = 22  # moduledata: pcHeader, 6 slices (3 words each), findfunctab, minpc, maxpc, text


def _is_executable(image: ElfImage, addr: int) -> bool:
    return any(
        seg.type == PT_LOAD and seg.flags & PF_X and seg.vaddr <= addr < seg.vaddr + seg.memsz
        for seg in image.segments
    )


def _offset_to_vaddr(image: ElfImage, offset: int) -> int | None:
    for seg in image.segments:
        if seg.type == PT_LOAD and seg.offset <= offset < seg.offset + seg.filesz:
            return seg.vaddr + offset - seg.offset
    return None


def _moduledata_text(image: ElfImage, table_offset: int) -> int | None:
    """runtime.text from the moduledata that points at the table, found by scanning the data segments."""
    addr = _offset_to_vaddr(image, table_offset)
    if addr is None:
        return None
    ptr = 8 if image.elf_class == 64 else 4
    needle = addr.to_bytes(ptr, image.byteorder)
    for seg in image.segments:
        if seg.type != PT_LOAD or not seg.flags & PF_W:
            continue
        end = min(seg.offset + seg.filesz, image.size)
        pos = image.find(needle, seg.offset, end)
        for _ in range(64):
            if pos < 0:
                break
            word = pos + ptr * _MODULEDATA_TEXT_WORD
            if (pos - seg.offset) % ptr == 0 and word + ptr <= end:
                text = int.from_bytes(image.data[word : word + ptr], image.byteorder)
                if _is_executable(image, text):
                    return text
            pos = image.find(needle, pos + 1, end)
    return None


def _text_start(image: ElfImage, header: PcHeader, table_offset: int) -> int:
    """Address of runtime.text, which function entries are relative to.

    Go 1.26 leaves the header's textStart 0 but keeps moduledata in `.go.module`; external linking puts
    C start-up code before runtime.text, so the `.text` section start is only the last resort.
    """
    module = image.section(".go.module")
    ptr = 8 if image.elf_class == 64 else 4
    if module is not None and module.type != "SHT_NOBITS" and module.size >= ptr * (_MODULEDATA_TEXT_WORD + 1):
        raw = image.read(module.offset + ptr * _MODULEDATA_TEXT_WORD, ptr, ".go.module")
        addr = int.from_bytes(raw, image.byteorder)
        if _is_executable(image, addr):
            return addr
    if header.text_start and _is_executable(image, header.text_start):
        return header.text_start
    text = image.section(".text")
    if text is not None:
        return text.addr
    found = _moduledata_text(image, table_offset)
    if found is not None:
        return found
    for seg in image.segments:  # last resort: assume the text starts the executable segment
        if seg.type == PT_LOAD and seg.flags & PF_X:
            return seg.vaddr
    return 0


def _functab(image: ElfImage, header: PcHeader, table: bytes | memoryview) -> tuple[int, ...]:
    """Flat (entryoff, funcoff) pairs, nfunc + 1 of them: the last entry is the end of the text."""
    count = 2 * (header.nfunc + 1)
    start = header.pcln_offset
    if start + 4 * count > len(table):
        raise _corrupt(image, "function table runs past the end of pclntab")
    order = "<" if image.little_endian else ">"
    return struct.unpack_from(f"{order}{count}I", table, start)


class _Records:
    """The table in the mapped file (``mem`` from ``origin`` to ``limit``, not copied) and its `_func` records
    read as int32 words (records are 4-byte aligned)."""

    def __init__(self, image: ElfImage, header: PcHeader, table: bytes | memoryview, functab: tuple[int, ...],
                 origin: int) -> None:
        self.mem = image.data
        self.origin = origin
        self.limit = origin + len(table)
        self.funcoffs = functab[1:-2:2]
        self.base = header.pcln_offset
        last = max(self.funcoffs, default=0)
        if self.funcoffs and (min(self.funcoffs) < 0 or self.base + last + _FUNC_WORDS * 4 > len(table)):
            raise _corrupt(image, "a function record lies outside the table")
        if any(funcoff & 3 for funcoff in self.funcoffs):
            raise _corrupt(image, "misaligned function record offset")
        raw = table[self.base :]  # the records and their pcdata and funcdata offsets
        usable = len(raw) - len(raw) % 4
        self.words: array.array[int] | memoryview
        if image.little_endian == (sys.byteorder == "little"):
            self.words = memoryview(raw)[:usable].cast("i")  # read in place: megabytes not copied
        else:
            self.words = array.array("i")
            self.words.frombytes(raw[:usable])
            self.words.byteswap()

    def word(self, funcoff: int, index: int) -> int:
        return self.words[(funcoff >> 2) + index]


_NONE = 1 << 40  # the length of a missing table: never the shortest
_LINKER_MARKERS = frozenset({"go:textfipsstart", "go:textfipsend"})
_FUNC_WORDS = 5  # entryOff, nameOff, args, deferreturn, pcsp: the part of each `_func` record read here


def _names(image: ElfImage, header: PcHeader, records: _Records) -> list[str]:
    nametab = records.origin + header.funcname_offset
    mem, limit = records.mem, records.limit
    words = records.words
    find = mem.find
    names: list[str] = []
    append = names.append
    for funcoff in records.funcoffs:
        start = nametab + words[(funcoff >> 2) + 1]  # nameOff
        end = find(b"\0", start, limit)
        if start < nametab or end < 0:
            raise _corrupt(image, "function name outside the name table")
        append(mem[start:end].decode("utf-8", "replace"))
    return names


def _symbol_size(data: bytes | mmap.mmap, pos: int, min_lc: int) -> int | None:
    """The function's size as the assembler defined it, from its pc-value table (pcsp): the table's
    pc deltas run from the entry to the end of the function symbol, alignment fill excluded."""
    total = 0
    first = True
    end = len(data)
    for _ in range(1 << 16):
        value = shift = 0
        while pos < end:  # the value delta (zig-zag varint)
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
        else:
            return None
        if value == 0 and not first:
            return total * min_lc
        first = False
        delta = shift = 0
        while pos < end:  # the pc delta, in units of the minimum instruction size
            byte = data[pos]
            pos += 1
            delta |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
        else:
            return None
        total += delta
    return None


def _fill(tail: bytes, unit: bytes) -> int:
    """Bytes of alignment fill at the end of ``tail``: whole repetitions of the architecture's fill unit."""
    if len(set(unit)) == 1:
        fill = len(tail) - len(tail.rstrip(unit[:1]))
        return fill - fill % len(unit)  # only whole units; a partial one belongs to the last instruction
    count = 0
    while count + len(unit) <= len(tail) and tail[len(tail) - count - len(unit) : len(tail) - count] == unit:
        count += len(unit)
    return count


def _sizes(image: ElfImage, header: PcHeader, records: _Records, offsets: tuple[int, ...], text_off: int,
           names: list[str], lengths: dict[int, int]) -> tuple[list[int], list[int]]:
    """Each function's size and the alignment fill after it: from its pc-value table where it has one
    (exact on every architecture), else by the fill pattern the linker writes (INT3, BREAK, zero words)."""
    text = image.data
    unit = _PAD_UNIT.get(image.machine, _DEFAULT_PAD_UNIT)
    data, words, pctab, min_lc = records.mem, records.words, records.origin + header.pctab_offset, header.min_lc
    sizes: list[int] = []
    paddings: list[int] = []
    # cmd/link's one-byte markers around the FIPS module's code: what follows them up to the next function is fill
    markers = {funcoff for funcoff, name in zip(records.funcoffs, names, strict=True) if name in _LINKER_MARKERS}
    get = lengths.get
    for (start, end), funcoff in zip(itertools.pairwise(offsets), records.funcoffs, strict=True):
        span = end - start
        # pcsp, pcfile and pcln all run to the end of the function: the shortest is the quickest to walk
        word = funcoff >> 2
        pcsp, pcfile, pcln = words[word + 4], words[word + 5], words[word + 6]
        a, b, c = get(pcsp, _NONE), get(pcfile, _NONE), get(pcln, _NONE)
        table = pcsp if a <= b and a <= c else (pcfile if b <= c else pcln)
        size = _symbol_size(data, pctab + table, min_lc) if table > 0 else None
        if size is None and funcoff in markers:
            size = min(span, 1)
        if size is None or not 0 < size <= span:
            hi = text_off + end
            fill = _fill(text[hi - min(span, 64) : hi], unit)  # fill is shorter than the largest alignment
            if fill == min(span, 64) and span > 64:
                fill = _fill(text[hi - min(span, _PAD_WINDOW) : hi], unit)
            size = span - fill
        sizes.append(size)
        paddings.append(span - size)
    return sizes, paddings


def func_table_of(image: ElfImage, *, shares: bool = True) -> FuncTable:
    """Read every function of an already opened ELF image, with sizes split from their padding; with ``shares``,
    also the table and function-data bytes each one owns (most of the time on a large binary)."""
    header, table, table_offset = read_header(image)
    functab = _functab(image, header, table)
    records = _Records(image, header, table, functab, table_offset)
    names = _names(image, header, records)
    text_start = _text_start(image, header, table_offset)
    offsets = functab[0::2]
    if any(b < a for a, b in itertools.pairwise(offsets)):
        raise _corrupt(image, "function entries are not in address order")
    text_off = image.vaddr_to_offset(text_start)
    end_off = offsets[-1] if offsets else 0
    if text_off is None or text_off + end_off > image.size:
        raise _corrupt(image, "the function entries lie outside the file's text")
    units = array.array("i")
    units.frombytes(table[header.cu_offset : header.cu_offset + (header.filetab_offset - header.cu_offset) // 4 * 4])
    if image.little_endian != (sys.byteorder == "little"):
        units.byteswap()
    owned = None if not shares else table_shares(
        header.magic, header.pctab_offset, header.pcln_offset, records.mem, records.origin, records.funcoffs,
        records.words, names, units, max(0, header.pctab_offset - header.filetab_offset),
        (header.funcname_offset, max(0, header.cu_offset - header.funcname_offset)))
    # Without the shares, every size is walked from pcsp: as exact, only not always the shortest table to walk.
    sizes, paddings = _sizes(image, header, records, offsets, text_off, names, owned.table_lengths if owned else {})
    owned = replace(owned, table_lengths={}) if owned else None  # only the sizes need it: freed before the rest
    return FuncTable(
        header=header,
        text_start=text_start,
        text_end=text_start + end_off,
        tail_padding=_tail_fill(image, text_start + end_off, _PAD_UNIT.get(image.machine, _DEFAULT_PAD_UNIT)),
        names=names,
        entries=[text_start + off for off in offsets[:-1]],
        sizes=sizes,
        paddings=paddings,
        shares=owned,
    )


def _tail_fill(image: ElfImage, etext: int, unit: bytes) -> int:
    text = image.section(".text")
    if text is None or not text.addr <= etext <= text.addr + text.size or text.addr + text.size - etext >= _PAD_WINDOW:
        return 0
    tail = image.data[text.offset + etext - text.addr : text.offset + text.size]
    # the end-of-text marker is not a function: everything after it is fill, in whatever length the section ends
    return len(tail) if len(tail) < _PAD_WINDOW and set(tail) <= set(unit) else 0


def read_functions(path: Path) -> list[Func]:
    """Every function in the binary at ``path``, in address order; raises ElfError on failure."""
    with open_elf(path) as image:
        return func_table_of(image).functions


def function_names(path: Path) -> set[str]:
    """The names of every function in the binary at ``path`` (works on `-s -w` binaries)."""
    with open_elf(path) as image:
        header, table, offset = read_header(image)
        return set(_names(image, header, _Records(image, header, table, _functab(image, header, table), offset)))
