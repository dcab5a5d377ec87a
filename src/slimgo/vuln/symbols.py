"""The Go symbols a binary links, by package: its function table plus the functions inlined into them (the inline
trees), with method receivers and generic instantiations normalised to the names the vulnerability database uses."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from slimgo.elf._reader import PF_W, PF_X, PT_LOAD, ElfImage, open_elf
from slimgo.elf.pclntab import MAGIC_118, PcHeader, read_header

_PCDATA_INLTREE_INDEX = 2
_FUNCDATA_INLTREE = 3
_NO_FUNCDATA = 0xFFFFFFFF
_MAX_INLINE_ENTRIES = 1 << 16  # per function: far above what the compiler emits
_MAX_PCVALUE_STEPS = 1 << 20
_GOFUNC_SYMBOLS = ("go:func.*", "go.func.*")  # Go 1.20+, Go 1.18-1.19
# moduledata word holding gofunc: after pcHeader, six slices, findfunctab, minpc, maxpc, text..enoptrbss,
# (covctrs, ecovctrs since 1.20), end, gcdata, gcbss, types, etypes, rodata
_MODULEDATA_GOFUNC_WORD = {True: 38, False: 40}  # keyed by "is Go 1.18-1.19"


@dataclass(frozen=True)
class Symbols:
    """``by_package`` maps an import path to the symbols of it that are linked ("Parse", "Reader.Read")."""

    by_package: dict[str, set[str]]
    inlined_seen: bool  # False when the inline trees could not be read (a stripped binary without moduledata)

    def has(self, package: str, symbol: str) -> bool:
        return symbol in self.by_package.get(package, ())


def strip_instantiation(name: str) -> str:
    """Drop every bracketed type-argument list: "p.(*T[go.shape.int]).M" -> "p.(*T).M", "p.F[...]" -> "p.F"."""
    if "[" not in name:
        return name
    out, depth = [], 0
    for ch in name:
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


_RECEIVER_MARKS = re.compile(r"^\(\*?|\)$")


def split_name(name: str, main_path: str = "") -> tuple[str, str] | None:
    """(package, symbol) as the vulnerability database names them, or None for compiler-generated names."""
    plain = strip_instantiation(name)
    if plain.startswith(("go:", "type:", "type.")) or (plain.startswith("go.") and not _is_domain_path(plain)):
        return None
    pathend = max(plain.rfind("/"), 0)
    first = plain.find(".", pathend)
    if first < 0:
        return None
    package, rest = plain[:first], plain[first + 1 :]
    receiver, dot, base = rest.rpartition(".")
    symbol = f"{_RECEIVER_MARKS.sub('', receiver)}.{base}" if dot else base
    if "%" in package:
        package = unquote(package)
    if package == "main" and main_path:
        package = main_path
    return package, symbol


_DOMAIN = re.compile(r"^go\.[a-z0-9-]+(?:\.[a-z0-9-]+)+/")


def _is_domain_path(name: str) -> bool:
    """"go.uber.org/zap.New" is a package; Go 1.18-1.19 also spelled generated names "go.shape.int", "go.buildid"."""
    return _DOMAIN.match(name) is not None


def _varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80 or shift > 28:
            return value, pos
        shift += 7


def _max_pcvalue(pctab: bytes | memoryview, off: int, quantum: int) -> int:
    """The largest value of a pc-value table (the inline tree index): the tree's length minus one."""
    val = best = -1
    pc = 0
    pos = off
    for _ in range(_MAX_PCVALUE_STEPS):
        if pos >= len(pctab):
            break
        delta, pos = _varint(pctab, pos)
        if delta == 0 and pc != 0:
            break
        delta = ~(delta >> 1) if delta & 1 else delta >> 1
        step, pos = _varint(pctab, pos)
        pc += step * quantum
        val += delta
        best = max(best, val)
    return best


def _symbol_value(image: ElfImage, names: tuple[str, ...]) -> int | None:
    """The value of the first of ``names`` in .symtab, read directly (pyelftools is slow on 100k symbols)."""
    symtab, strtab = image.section(".symtab"), image.section(".strtab")
    if symtab is None or strtab is None or symtab.type == "SHT_NOBITS":
        return None
    strings = image.section_view(strtab).tobytes()
    wanted = {}
    for name in names:
        at = strings.find(b"\0" + name.encode() + b"\0")
        if at >= 0:
            wanted[at + 1] = name
    if not wanted:
        return None
    order = "<" if image.little_endian else ">"
    raw = image.section_view(symtab)
    # Elf64_Sym: name, info, other, shndx, value, size; Elf32_Sym: name, value, size, info, other, shndx
    fmt, width, value_at = ("IBBHQQ", 24, 4) if image.elf_class == 64 else ("IIIBBH", 16, 1)
    for row in struct.iter_unpack(order + fmt, raw[: len(raw) // width * width]):
        if row[0] in wanted:
            return int(row[value_at])
    return None


def _moduledata_gofunc(image: ElfImage, header: PcHeader, table_offset: int) -> int | None:
    """gofunc from the moduledata that points at this pclntab (its own section since Go 1.26, else found by scan)."""
    ptr = 8 if image.elf_class == 64 else 4
    word = _MODULEDATA_GOFUNC_WORD[header.magic == MAGIC_118]
    starts: list[int] = []
    module = image.section(".go.module")
    if module is not None and module.type != "SHT_NOBITS":
        starts.append(module.offset)
    else:
        addr = next((seg.vaddr + table_offset - seg.offset for seg in image.segments
                     if seg.type == PT_LOAD and seg.offset <= table_offset < seg.offset + seg.filesz), None)
        if addr is None:
            return None
        needle = addr.to_bytes(ptr, image.byteorder)
        for seg in image.segments:
            if seg.type == PT_LOAD and seg.flags & PF_W:
                pos = image.data.find(needle, seg.offset, seg.offset + seg.filesz)
                if pos >= 0 and (pos - seg.offset) % ptr == 0:
                    starts.append(pos)
                    break
    for start in starts:
        raw = image.data[start + ptr * word : start + ptr * (word + 1)]
        if len(raw) == ptr:
            value = int.from_bytes(raw, image.byteorder)
            off = image.vaddr_to_offset(value)
            if off is not None and not any(seg.flags & PF_X for seg in image.segments
                                           if seg.type == PT_LOAD and seg.offset <= off < seg.offset + seg.filesz):
                return value
    return None


@dataclass(frozen=True)
class _Layout:
    fields: int  # 32-bit words in the fixed part of _func: 11 since Go 1.20, 10 in 1.18-1.19
    inline_size: int  # bytes per inline tree entry
    inline_name: int  # offset of the name offset inside an entry


def _layout(header: PcHeader) -> _Layout:
    return _Layout(10, 20, 12) if header.magic == MAGIC_118 else _Layout(11, 16, 4)


def _inlined_names(image: ElfImage, header: PcHeader, table: bytes | memoryview, funcoff: int, gofunc_off: int,
                   layout: _Layout) -> list[int]:
    """Name offsets of the functions inlined into the function whose record is at ``funcoff``."""
    order = "<" if image.little_endian else ">"
    base = header.pcln_offset + funcoff
    npcdata = struct.unpack_from(order + "I", table, base + 28)[0]
    nfuncdata = table[base + 4 * (layout.fields - 1) + 3]
    if npcdata <= _PCDATA_INLTREE_INDEX or nfuncdata <= _FUNCDATA_INLTREE:
        return []
    pc_off = struct.unpack_from(order + "I", table, base + 4 * layout.fields + 4 * _PCDATA_INLTREE_INDEX)[0]
    tree_off = struct.unpack_from(order + "I", table,
                                  base + 4 * layout.fields + 4 * npcdata + 4 * _FUNCDATA_INLTREE)[0]
    if tree_off == _NO_FUNCDATA:
        return []
    count = 1 + _max_pcvalue(table, header.pctab_offset + pc_off, header.min_lc)
    count = min(count, _MAX_INLINE_ENTRIES)
    start = gofunc_off + tree_off
    if count <= 0 or start + count * layout.inline_size > image.size:
        return []
    fmt = order + "i"
    return [struct.unpack_from(fmt, image.data, start + i * layout.inline_size + layout.inline_name)[0]
            for i in range(count)]


def symbols_of(image: ElfImage, main_path: str = "") -> Symbols:
    """Every (package, symbol) the binary links, inlined functions included when the inline trees can be found."""
    header, table, table_offset = read_header(image)
    order = "<" if image.little_endian else ">"
    functab = struct.unpack_from(f"{order}{2 * (header.nfunc + 1)}I", table, header.pcln_offset)
    data = bytes(table) if isinstance(table, memoryview) else table
    nametab = header.funcname_offset
    gofunc = _symbol_value(image, _GOFUNC_SYMBOLS) or _moduledata_gofunc(image, header, table_offset)
    gofunc_off = image.vaddr_to_offset(gofunc) if gofunc else None
    layout = _layout(header)
    name_offsets: set[int] = set()
    for funcoff in functab[1:-2:2]:
        name_offsets.add(struct.unpack_from(order + "i", data, header.pcln_offset + funcoff + 4)[0])
        if gofunc_off is not None:
            name_offsets.update(_inlined_names(image, header, data, funcoff, gofunc_off, layout))
    by_package: dict[str, set[str]] = {}
    for off in name_offsets:
        start = nametab + off
        end = data.find(b"\0", start)
        if off < 0 or end < 0:
            continue
        split = split_name(data[start:end].decode("utf-8", "replace"), main_path)
        if split is not None:
            by_package.setdefault(split[0], set()).add(split[1])
    return Symbols(by_package, gofunc_off is not None)


def read_symbols(path: Path, main_path: str = "") -> Symbols:
    with open_elf(path) as image, image.parsing("Go function table"):
        return symbols_of(image, main_path)
