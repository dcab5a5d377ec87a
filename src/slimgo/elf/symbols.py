"""The symbol table (.symtab) of an unstripped binary: each data symbol's section, size and name."""

from __future__ import annotations

__all__ = ["SymbolTable", "symbol_table"]

import itertools
import struct
from dataclasses import dataclass, field

from slimgo.elf._reader import ElfImage

MAX_SYMBOLS = 4_000_000  # a symbol table larger than this is damaged or forged: the rest is not read
_NAME_LIMIT = 4096


@dataclass(frozen=True)
class SymbolTable:
    """The named symbols of .symtab in columns (one row per symbol, in table order)."""

    entry_bytes: int = 0  # each symbol's entry in .symtab
    names: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # the section each symbol lies in
    addresses: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    name_bytes: list[int] = field(default_factory=list)  # its name in .strtab, with the NUL


def _string_table(raw: bytes) -> dict[int, tuple[str, int]]:
    """Offset of each NUL-terminated name in ``raw`` -> the name and its bytes (NUL included), split in C."""
    chunks = raw.split(b"\0")
    texts = raw.decode("utf-8", "replace").split("\0")
    if len(texts) != len(chunks):  # decoding merged or split a name: each on its own
        texts = [chunk.decode("utf-8", "replace") for chunk in chunks]
    sizes = [len(chunk) + 1 for chunk in chunks]
    starts = itertools.accumulate(sizes, initial=0)
    # the last piece has no NUL after it; a name as long as the limit is never read whole: both are left to
    # the slow path (which drops them)
    return {start: (text, size) for start, text, size in zip(starts, texts[:-1], sizes[:-1], strict=False)
            if size <= _NAME_LIMIT}


def symbol_table(image: ElfImage) -> SymbolTable:
    """Every named symbol of .symtab with the section it lies in (none at all in a stripped binary)."""
    table = next((sec for sec in image.sections if sec.type == "SHT_SYMTAB"), None)
    if table is None or not 0 < table.link < len(image.sections):
        return SymbolTable()
    strtab = image.sections[table.link]
    if table.offset + table.size > image.size or strtab.offset + strtab.size > image.size:
        return SymbolTable()
    if image.elf_class == 64:
        layout, order = "IBBHQQ", (0, 3, 4, 5)  # name, info, other, shndx, value, size
    else:
        layout, order = "IIIBBH", (0, 5, 1, 2)  # name, value, size, info, other, shndx
    fmt = struct.Struct(("<" if image.little_endian else ">") + layout)
    if table.entsize and table.entsize != fmt.size:
        return SymbolTable()
    names = image.data[strtab.offset : strtab.offset + strtab.size]
    raw = image.data[table.offset : table.offset + min(table.size, MAX_SYMBOLS * fmt.size)]
    rows = list(fmt.iter_unpack(raw[: len(raw) - len(raw) % fmt.size]))
    if not rows:
        return SymbolTable(fmt.size)
    columns = list(zip(*rows, strict=True))
    name_col, shndx_col, value_col, size_col = (columns[i] for i in order)
    strings = _string_table(names)
    section_names = [sec.name for sec in image.sections]
    nsections = len(section_names)
    result = SymbolTable(fmt.size)
    for start, shndx, value, size in zip(name_col, shndx_col, value_col, size_col, strict=True):
        if not 0 < shndx < nsections:
            continue
        found = strings.get(start)
        if found is None:  # not the start of a name (or a name too long): found the slow way
            end = names.find(b"\0", start, start + _NAME_LIMIT)
            if start >= len(names) or end < 0:
                continue
            found = names[start:end].decode("utf-8", "replace"), end - start + 1
        result.names.append(found[0])
        result.sections.append(section_names[shndx])
        result.addresses.append(value)
        result.sizes.append(size)
        result.name_bytes.append(found[1])
    return result
