"""The symbol table (.symtab) of an unstripped binary: each data symbol's section, size and name."""

from __future__ import annotations

__all__ = ["symbols"]

import struct
from collections.abc import Iterator
from typing import NamedTuple

from slimgo.elf._reader import ElfImage

MAX_SYMBOLS = 4_000_000  # a symbol table larger than this is damaged or forged: the rest is not read
_NAME_LIMIT = 4096


class Symbol(NamedTuple):
    name: str
    section: str
    address: int
    size: int
    entry_bytes: int  # its entry in .symtab
    name_bytes: int  # its name in .strtab


def symbols(image: ElfImage) -> Iterator[Symbol]:
    """Every named symbol of .symtab with the section it lies in (none at all in a stripped binary)."""
    table = next((sec for sec in image.sections if sec.type == "SHT_SYMTAB"), None)
    if table is None or not 0 < table.link < len(image.sections):
        return
    strtab = image.sections[table.link]
    if table.offset + table.size > image.size or strtab.offset + strtab.size > image.size:
        return
    if image.elf_class == 64:
        layout, order = "IBBHQQ", (0, 3, 4, 5)  # name, info, other, shndx, value, size
    else:
        layout, order = "IIIBBH", (0, 5, 1, 2)  # name, value, size, info, other, shndx
    fmt = struct.Struct(("<" if image.little_endian else ">") + layout)
    if table.entsize and table.entsize != fmt.size:
        return
    names = image.data[strtab.offset : strtab.offset + strtab.size]
    raw = image.data[table.offset : table.offset + min(table.size, MAX_SYMBOLS * fmt.size)]
    sections = image.sections
    name_at, shndx_at, value_at, size_at = order
    for entry in fmt.iter_unpack(raw[: len(raw) - len(raw) % fmt.size]):
        shndx = entry[shndx_at]
        if not 0 < shndx < len(sections):
            continue
        start = entry[name_at]
        end = names.find(b"\0", start, start + _NAME_LIMIT)
        if start >= len(names) or end < 0:
            continue
        name = names[start:end].decode("utf-8", "replace")
        yield Symbol(name, sections[shndx].name, entry[value_at], entry[size_at], fmt.size, end - start + 1)
