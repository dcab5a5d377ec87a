"""The symbol table (.symtab) of an unstripped binary: each data symbol's section, size and name."""

from __future__ import annotations

__all__ = ["SymbolTable", "symbol_table"]

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
    section_names = [sec.name for sec in image.sections]
    nsections = len(section_names)
    result = SymbolTable(fmt.size)
    add_name, add_section, add_address = result.names.append, result.sections.append, result.addresses.append
    add_size, add_name_bytes = result.sizes.append, result.name_bytes.append
    name_at, shndx_at, value_at, size_at = order
    find, nbytes = names.find, len(names)
    for entry in fmt.iter_unpack(raw[: len(raw) - len(raw) % fmt.size]):
        shndx = entry[shndx_at]
        if not 0 < shndx < nsections:
            continue
        start = entry[name_at]
        end = find(b"\0", start, start + _NAME_LIMIT)
        if start >= nbytes or end < 0:
            continue
        add_name(names[start:end].decode("utf-8", "replace"))
        add_section(section_names[shndx])
        add_address(entry[value_at])
        add_size(entry[size_at])
        add_name_bytes(end - start + 1)
    return result
