"""How many bytes of Go's function table and function data each function owns, read from its `_func` record."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

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
    structure: int  # bytes no function owns: the header, compilation-unit and file tables, the last functab entry


def _lengths(offsets: set[int], end: int) -> dict[int, int]:
    """Each offset's length up to the next one (items are laid out back to back); the last runs to ``end``."""
    ordered = sorted(offsets)
    lengths = {a: b - a for a, b in itertools.pairwise(ordered)}
    if ordered:
        lengths[ordered[-1]] = max(0, end - ordered[-1]) if end >= 0 else 0
    return lengths


def table_shares(magic: int, pctab: int, pcln: int, data: bytes, funcoffs: Sequence[int], words: Sequence[int],
                 names: Sequence[str]) -> TableShares:
    """The shares of every function. ``pctab`` and ``pcln`` are the header's table offsets, ``data`` the table,
    ``funcoffs`` the record offsets from ``pcln`` and ``words`` the table from ``pcln`` on as int32 words."""
    fixed = 40 if magic == MAGIC_118 else 44  # Go 1.20 added startLine to `_func`
    nfuncdata_at = fixed - 1
    base = pcln
    tables: list[list[int]] = []
    funcdata: list[list[int]] = []
    record_bytes: list[int] = []
    table_end = base
    for funcoff in funcoffs:
        word = funcoff >> 2
        npcdata = words[word + 7]
        nfuncdata = data[base + funcoff + nfuncdata_at]
        extra = fixed // 4
        own = [words[word + 4], words[word + 5], words[word + 6]]  # pcsp, pcfile, pcln
        own += words[word + extra : word + extra + npcdata]
        tables.append([off for off in own if off > 0])
        funcdata.append([off for off in words[word + extra + npcdata : word + extra + npcdata + nfuncdata]
                         if off != _NIL])
        size = fixed + 4 * (npcdata + nfuncdata)
        record_bytes.append(size)
        table_end = max(table_end, base + funcoff + size)
    table_len = _lengths({off for offs in tables for off in offs}, pcln - pctab)
    data_len = _lengths({off for offs in funcdata for off in offs}, -1)  # the area's end is not in the table
    name_offs = [words[(funcoff >> 2) + 1] for funcoff in funcoffs]
    seen_tables: set[int] = set()
    seen_data: set[int] = set()
    seen_names: set[int] = set()
    pcl: list[int] = []
    fdat: list[int] = []
    for index, name in enumerate(names):
        owned = 8 + record_bytes[index]  # its functab entry (entry and record offsets) and its record
        if name_offs[index] not in seen_names:
            seen_names.add(name_offs[index])
            owned += len(name.encode()) + 1
        for off in tables[index]:
            if off not in seen_tables:
                seen_tables.add(off)
                owned += table_len.get(off, 0)
        pcl.append(owned)
        total = 0
        for off in funcdata[index]:
            if off not in seen_data:
                seen_data.add(off)
                total += data_len.get(off, 0)
        fdat.append(total)
    structure = table_end - sum(pcl)
    return TableShares(pcl, fdat, table_end, max(0, structure))
