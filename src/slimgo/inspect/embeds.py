"""Data embedded in a Go binary: go:embed file systems (found by their file table, stripped or not), and, where the
symbol table is kept, large []byte and string data (go:embed or literals)."""

from __future__ import annotations

__all__ = ["FLOOR_BYTES", "EmbeddedData", "embedded_data"]

import struct
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from slimgo.elf._reader import ElfImage, Section
from slimgo.elf.symbols import SymbolTable, symbol_table

FLOOR_BYTES = 1024  # smaller data is not worth a line in any report
_MAX_ITEMS = 10_000
_MAX_FILES = 1_000_000  # an embed.FS file table longer than this is not one
_MAX_NAME = 4096
_SCANNED = (".rodata", ".data.rel.ro")  # where an embed.FS file table lies (read-only; relocated in PIE)


@dataclass(frozen=True)
class EmbeddedData:
    kind: str  # "embed.FS" (one per file), "[]byte" or "string"
    name: str  # the file's name in the FS, or the symbol
    size: int
    symbol: str | None = None  # the embed.FS variable, when the symbol table names it


class _Memory:
    """Reads words and bytes at virtual addresses of the loaded file."""

    def __init__(self, image: ElfImage) -> None:
        self.image = image
        self.ptr = 8 if image.elf_class == 64 else 4
        self.word = struct.Struct(("<" if image.little_endian else ">") + ("Q" if self.ptr == 8 else "I"))

    def words(self, addr: int, count: int) -> tuple[int, ...] | None:
        offset = self.image.vaddr_to_offset(addr)
        size = count * self.ptr
        if offset is None or offset + size > self.image.size:
            return None
        return struct.unpack_from(self.word.format[0] + self.word.format[1] * count, self.image.data, offset)

    def valid(self, addr: int, size: int) -> bool:
        offset = self.image.vaddr_to_offset(addr)
        return offset is not None and size <= self.image.size - offset

    def text(self, addr: int, size: int) -> str | None:
        offset = self.image.vaddr_to_offset(addr)
        if offset is None or not 0 < size <= _MAX_NAME or offset + size > self.image.size:
            return None
        try:
            return bytes(self.image.data[offset:offset + size]).decode("utf-8")
        except UnicodeDecodeError:
            return None


def _file_table(memory: _Memory, addr: int, end: int) -> list[tuple[str, int]] | None:
    """The (name, size) of each file of the embed.FS table at ``addr``: a slice header pointing just past itself,
    then entries of {name string; data string; hash [16]byte}, all before ``end`` (the end of its section);
    None when the bytes there are not one."""
    header = memory.words(addr, 3)
    entry = 4 * memory.ptr + 16
    if header is None or header[0] != addr + 3 * memory.ptr or header[1] != header[2] or not 0 < header[1] <= \
            _MAX_FILES or header[0] + header[1] * entry > end:
        return None
    files = []
    for index in range(header[1]):
        fields = memory.words(header[0] + index * entry, 4)
        if fields is None:
            return None
        name_addr, name_len, data_addr, data_len = fields
        name = memory.text(name_addr, name_len)
        if name is None or (data_len and not memory.valid(data_addr, data_len)):
            return None
        files.append((name, data_len))
    return files


def _self_pointers(image: ElfImage, section: Section, memory: _Memory) -> list[int]:
    """Addresses in ``section`` whose word points three words further: where a slice header precedes its array."""
    view = image.section_view(section)
    usable = len(view) - len(view) % memory.ptr
    step = memory.ptr
    if image.little_endian == (sys.byteorder == "little"):
        words: Iterable[int] = view[:usable].cast("Q" if step == 8 else "I")  # in place: no tuple per word
    else:
        words = (word for (word,) in memory.word.iter_unpack(view[:usable]))
    expected = section.addr + 3 * step
    found = []
    for index, word in enumerate(words):
        if word - index * step == expected:
            found.append(section.addr + index * step)
    return found


def _file_systems(image: ElfImage, memory: _Memory, names: dict[int, str]) -> list[EmbeddedData]:
    out = []
    for section in image.sections:
        if section.name not in _SCANNED or section.type == "SHT_NOBITS" or section.addr % memory.ptr:
            continue
        for addr in _self_pointers(image, section, memory):
            files = _file_table(memory, addr, section.addr + section.size)
            if files is None:
                continue
            symbol = names.get(addr, "").removesuffix(".files") or None
            out += [EmbeddedData("embed.FS", name, size, symbol) for name, size in files
                    if size >= FLOOR_BYTES and not name.endswith("/")]
    return out


def _symbol_data(table: SymbolTable, memory: _Memory, rodata: Section | None) -> list[EmbeddedData]:
    rows = list(zip(table.names, table.sections, table.addresses, table.sizes, strict=True))
    # a []byte variable is a slice header pointing at its data, `<package>..gobytes.N`: name the data after it
    data = {addr: (name, size) for name, _, addr, size in rows if "..gobytes." in name and size >= FLOOR_BYTES}
    out = []
    for name, section, addr, size in rows:
        if size == 3 * memory.ptr and data and section in (".data", ".noptrdata"):
            header = memory.words(addr, 1)
            if header and header[0] in data:
                out.append(EmbeddedData("[]byte", name, data.pop(header[0])[1]))
        elif size == 2 * memory.ptr and section in (".data", ".noptrdata") and rodata is not None:
            header = memory.words(addr, 2)  # a string variable: {pointer, length} into read-only data
            if header and header[1] >= FLOOR_BYTES and rodata.addr <= header[0] and \
                    header[0] + header[1] <= rodata.addr + rodata.size:
                out.append(EmbeddedData("string", name, header[1]))
    return out + [EmbeddedData("[]byte", name, size) for name, size in data.values()]


def embedded_data(image: ElfImage, symbols: SymbolTable | None = None) -> list[EmbeddedData]:
    """Every embedded file and large []byte or string datum found, largest first (at most 10,000); ``symbols`` is
    the symbol table when it has been read already."""
    memory = _Memory(image)
    table = symbols if symbols is not None else symbol_table(image)
    names = {addr: name for name, addr in zip(table.names, table.addresses, strict=True) if name.endswith(".files")}
    found = _file_systems(image, memory, names) + _symbol_data(table, memory, image.section(".rodata"))
    return sorted(found, key=lambda item: (-item.size, item.kind, item.name))[:_MAX_ITEMS]
