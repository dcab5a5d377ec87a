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
    # the table read in columns, then each offset's first user found by building dicts from the end (the
    # first function using an offset is the last one written): the same as a setdefault per use, in C
    at = [funcoff >> 2 for funcoff in funcoffs]
    npcdata = [words[word + 7] for word in at]
    nfuncdata = [data[nfuncdata_at + funcoff] for funcoff in funcoffs]
    sizes = [fixed + 4 * (npc + nfd) for npc, nfd in zip(npcdata, nfuncdata, strict=True)]
    owned = [8 + size for size in sizes]  # its functab entry (entry and record offsets) and its record
    table_end = max([pcln, *(pcln + funcoff + size for funcoff, size in zip(funcoffs, sizes, strict=True))])
    name_owner = _first_user([words[word + 1] for word in at])
    unit_owner = _first_user([words[word + 8] for word in at])
    table_owner = _first_users([[*words[word + 4 : word + 7], *words[word + extra : word + extra + npc]]
                                for word, npc in zip(at, npcdata, strict=True)])
    for off in [off for off in table_owner if off <= 0]:  # no table
        del table_owner[off]
    data_owner = _first_users([words[word + extra + npc : word + extra + npc + nfd]
                               for word, npc, nfd in zip(at, npcdata, nfuncdata, strict=True)])
    data_owner.pop(_NIL, None)  # no data of that kind
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


def _first_users(uses: list[Sequence[int]]) -> dict[int, int]:
    """Each value in ``uses`` (one sequence per function) -> the index of the first function using it."""
    values = list(itertools.chain.from_iterable(uses))
    users = list(itertools.chain.from_iterable(map(itertools.repeat, range(len(uses)), map(len, uses))))
    return dict(zip(reversed(values), reversed(users), strict=True))


def _first_user(values: list[int]) -> dict[int, int]:
    """Each of ``values`` (one per function) -> the index of the first function with it."""
    return dict(zip(reversed(values), range(len(values) - 1, -1, -1), strict=True))


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
