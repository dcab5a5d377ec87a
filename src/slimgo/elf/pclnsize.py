"""How many bytes of Go's function table and function data each function owns, read from its `_func` record."""

from __future__ import annotations

__all__ = ["TableShares", "table_shares"]

import itertools
import mmap
from collections.abc import Sequence
from dataclasses import dataclass, field

MAGIC_118 = 0xFFFFFFF0
_NIL = -1  # a funcdata offset of ^uint32(0), read as int32: no data of that kind


@dataclass(frozen=True)
class TableShares:
    """Per function, the pclntab bytes it owns (its functab entry, `_func` record with its pcdata and funcdata
    offsets, name and pc-value tables) and the function data it owns (stack maps, inlining trees, ... in the
    `go:func.*` area). A table or datum shared by several functions counts for the first that uses it."""

    pclntab: list[int]
    funcdata: list[int]
    table_end: int  # offset of the end of the last `_func` record: the function table proper ends there
    structure: int  # bytes no function owns: the header, alignment, the last functab entry, inlined names
    inlined: dict[str, int] = field(default_factory=dict)  # names only inlined copies use -> their bytes
    table_lengths: dict[int, int] = field(default_factory=dict, repr=False)  # pc-value table offset -> bytes


def _lengths(offsets: set[int], end: int) -> dict[int, int]:
    """Each offset's length up to the next one (items are laid out back to back); the last runs to ``end``."""
    ordered = sorted(offsets)
    lengths = {a: b - a for a, b in itertools.pairwise(ordered)}
    if ordered:
        lengths[ordered[-1]] = max(0, end - ordered[-1]) if end >= 0 else 0
    return lengths


def table_shares(magic: int, pctab: int, pcln: int, data: bytes | mmap.mmap, origin: int, funcoffs: Sequence[int],
                 words: Sequence[int], names: Sequence[str], units: Sequence[int] = (),
                 filetab_bytes: int = 0, nametab: tuple[int, int] = (0, 0)) -> TableShares:
    """The shares of every function. ``pctab`` and ``pcln`` are the header's table offsets, ``data`` holds the
    table from ``origin``, ``funcoffs`` are the record offsets from ``pcln`` and ``words`` the table from ``pcln``
    on as int32 words; ``units`` is the compilation-unit table (cutab) as int32 words, ``filetab_bytes`` the
    size of the file-name table it points into, ``nametab`` the function-name table's offset and size (the
    names no function table entry uses are those of functions inlined everywhere they are called)."""
    fixed = 40 if magic == MAGIC_118 else 44  # Go 1.20 added startLine to `_func`
    nfuncdata_at = origin + pcln + fixed - 1
    extra = fixed // 4
    table_owner: dict[int, int] = {}  # table offset -> index of the first function using it
    data_owner: dict[int, int] = {}
    name_owner: dict[int, int] = {}
    unit_owner: dict[int, int] = {}  # a compilation unit (a package's object file): its first function
    owned = [0] * len(funcoffs)
    table_end = pcln
    claim_table, claim_data, claim_name = table_owner.setdefault, data_owner.setdefault, name_owner.setdefault
    claim_unit = unit_owner.setdefault
    for index, funcoff in enumerate(funcoffs):
        word = funcoff >> 2
        npcdata = words[word + 7]
        nfuncdata = data[nfuncdata_at + funcoff]
        size = fixed + 4 * (npcdata + nfuncdata)
        owned[index] = 8 + size  # its functab entry (entry and record offsets) and its record
        table_end = max(table_end, pcln + funcoff + size)
        claim_name(words[word + 1], index)
        claim_unit(words[word + 8], index)
        for off in words[word + 4 : word + 7]:  # pcsp, pcfile, pcln
            if off > 0:
                claim_table(off, index)
        for off in words[word + extra : word + extra + npcdata]:
            if off > 0:
                claim_table(off, index)
        for off in words[word + extra + npcdata : word + extra + npcdata + nfuncdata]:
            if off != _NIL:
                claim_data(off, index)
    for index in name_owner.values():
        owned[index] += len(names[index].encode()) + 1
    table_lengths = _lengths(set(table_owner), pcln - pctab)
    for off, length in table_lengths.items():
        owned[table_owner[off]] += length
    for index, nbytes in _unit_shares(unit_owner, units, filetab_bytes).items():
        owned[index] += nbytes
    funcdata = [0] * len(funcoffs)
    for off, length in _lengths(set(data_owner), -1).items():  # the area's end is not in the table
        funcdata[data_owner[off]] += length
    inlined = _inlined_names(data, origin + nametab[0], nametab[1], set(name_owner))
    structure = table_end - sum(owned) - sum(inlined.values())
    return TableShares(owned, funcdata, table_end, max(0, structure), inlined, table_lengths)


def _inlined_names(data: bytes | mmap.mmap, start: int, size: int, used: set[int]) -> dict[str, int]:
    """The names in the function-name table that no functab entry points at, with their bytes."""
    found: dict[str, int] = {}
    if size <= 0:
        return found
    raw = data[start : start + size]
    pos = 0
    while pos < len(raw):
        end = raw.find(b"\0", pos)
        if end < 0:
            end = len(raw)
        if pos not in used and end > pos:
            name = raw[pos:end].decode("utf-8", "replace")
            found[name] = found.get(name, 0) + end - pos + 1
        pos = end + 1
    return found


def _unit_shares(unit_owner: dict[int, int], units: Sequence[int], filetab_bytes: int) -> dict[int, int]:
    """Each compilation unit's entries in cutab, and the file names they are the first to use, for the first
    function of the unit (cutab holds, per unit, one filetab offset per file; names lie back to back)."""
    if not units:
        return {}
    unit_len = _lengths({off for off in unit_owner if 0 <= off < len(units)}, len(units))
    file_owner: dict[int, int] = {}
    shares: dict[int, int] = {}
    for start in sorted(unit_len):
        owner = unit_owner[start]
        shares[owner] = shares.get(owner, 0) + 4 * unit_len[start]
        for off in units[start : start + unit_len[start]]:
            if 0 <= off < filetab_bytes:
                file_owner.setdefault(off, owner)
    for off, length in _lengths(set(file_owner), filetab_bytes).items():
        shares[file_owner[off]] = shares.get(file_owner[off], 0) + length
    return shares
