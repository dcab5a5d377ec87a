"""Hardening verdicts that know Go: PIE, NX, RELRO, W+X segments, stripping, build ids; canary/FORTIFY n/a."""

from __future__ import annotations

__all__ = ["Hardening", "hardening_of"]

import struct
from dataclasses import dataclass, field
from typing import Literal

from slimgo.elf._reader import PF_W, PF_X, PT_LOAD, ElfImage
from slimgo.elf.linking import DF_1_PIE, Linking

Status = Literal["ok", "weak", "not applicable", "info"]
_NOTES_LIMIT = 1 << 16
NOT_APPLICABLE: Literal["not applicable"] = "not applicable"


@dataclass(frozen=True)
class Check:
    """One hardening property: its status, what was seen, and the build flag that fixes a weak one."""

    name: str
    status: Status
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class Hardening:
    pie: bool
    nx: bool
    relro: str  # "none", "partial", "full", or "not applicable" (a static binary has no loader to protect)
    rwx_segments: list[str]
    symtab: bool
    dwarf: bool
    go_build_id: str | None
    gnu_build_id: str | None
    stack_canary: str
    fortify: str
    checks: list[Check] = field(default_factory=list)

    @property
    def stripped(self) -> bool:
        return not self.symtab and not self.dwarf


def _notes(image: ElfImage, offset: int, size: int) -> list[tuple[str, int, bytes]]:
    if offset + size > image.size:
        return []
    data = image.data[offset : offset + min(size, _NOTES_LIMIT)]  # build ids sit in the first few notes
    order = "<" if image.little_endian else ">"
    notes: list[tuple[str, int, bytes]] = []
    pos = 0
    while pos + 12 <= len(data) and len(notes) < 16:
        namesz, descsz, kind = struct.unpack_from(order + "3I", data, pos)
        pos += 12
        name = data[pos : pos + namesz].rstrip(b"\0").decode("ascii", "replace")
        pos += (namesz + 3) & ~3
        notes.append((name, kind, data[pos : pos + descsz]))
        pos += (descsz + 3) & ~3
    return notes


def _all_notes(image: ElfImage) -> list[tuple[str, int, bytes]]:
    """Notes from the note sections, and from PT_NOTE segments (which remain when section names do not)."""
    regions = [(sec.offset, sec.size) for sec in image.sections if sec.type == "SHT_NOTE"]
    regions += [(seg.offset, seg.filesz) for seg in image.segments if seg.type == "PT_NOTE"]
    return [note for offset, size in dict.fromkeys(regions) for note in _notes(image, offset, size)]


def _build_ids(image: ElfImage) -> tuple[str | None, str | None]:
    notes = _all_notes(image)
    go_id = next((desc.decode("utf-8", "replace") for name, kind, desc in notes if name == "Go" and kind == 4), None)
    gnu_id = next((desc.hex() for name, kind, desc in notes if name == "GNU" and kind == 3), None)
    return go_id, gnu_id


def _short(build_id: str | None) -> str:
    if build_id is None:
        return "(none)"
    return build_id if len(build_id) <= 20 else build_id[:20] + "…"


def hardening_of(image: ElfImage, linking: Linking, cgo: bool | None, *, go: bool = True) -> Hardening:
    """The hardening of an opened image; ``cgo`` is CGO_ENABLED from buildinfo when known, ``go`` whether
    the file is a Go binary at all (a C program's canaries are its own, not those of cgo code)."""
    checks: list[Check] = []
    pie = _pie(linking, checks)
    stack = next((seg for seg in image.segments if seg.type == "PT_GNU_STACK"), None)
    nx = stack is not None and not stack.flags & PF_X
    checks.append(
        Check("NX", "ok", "stack is not executable (PT_GNU_STACK without X)")
        if nx
        else Check("NX", "weak", "executable stack (PT_GNU_STACK missing or has X)",
                   "-ldflags=-extldflags=-Wl,-z,noexecstack (C objects asked for an executable stack)")
    )
    relro = _relro(image, linking, checks)
    rwx = [
        f"LOAD at {seg.vaddr:#x} ({seg.memsz} bytes)"
        for seg in image.segments
        if seg.type == PT_LOAD and seg.flags & PF_W and seg.flags & PF_X
    ]
    checks.append(
        Check("W^X", "weak", f"writable and executable segments: {', '.join(rwx)}",
              "relink without -ldflags that merge text and data (e.g. drop -extldflags=-N)")
        if rwx
        else Check("W^X", "ok", "no segment is both writable and executable")
    )
    symtab, dwarf = _stripped(image, checks)
    go_id, gnu_id = _build_ids(image)
    checks.append(Check("build id", "info", f"Go {_short(go_id)}; GNU {_short(gnu_id)}"))
    canary, fortify = _c_protections(linking, cgo, go, checks)
    return Hardening(pie, nx, relro, rwx, symtab, dwarf, go_id, gnu_id, canary, fortify, checks)


def _pie(linking: Linking, checks: list[Check]) -> bool:
    dynamic_loader = linking.interpreter is not None or bool(linking.needed)
    if linking.shared_object:
        checks.append(Check("PIE", "ok", "shared object (-buildmode=c-shared or shared): position independent,"
                            " loaded at an address the loader randomises"))
        return True
    pie = linking.elf_type == "ET_DYN" and (bool(linking.flags_1 & DF_1_PIE) or linking.interpreter is not None)
    if pie:
        checks.append(Check("PIE", "ok", "position-independent executable: the loader randomises its address"))
    elif not dynamic_loader:
        checks.append(Check(
            "PIE", "weak", "static executable at a fixed address (no ASLR for the binary itself)",
            "-buildmode=pie (then the image needs the dynamic loader; keep static for FROM scratch)",
        ))
    else:
        checks.append(Check("PIE", "weak", "fixed-address executable", "-buildmode=pie"))
    return pie


def _relro(image: ElfImage, linking: Linking, checks: list[Check]) -> str:
    has_relro = any(seg.type == "PT_GNU_RELRO" for seg in image.segments)
    if has_relro and linking.bind_now:
        checks.append(Check("RELRO", "ok", "full RELRO: GNU_RELRO segment and BIND_NOW"))
        return "full"
    if has_relro:
        checks.append(Check("RELRO", "weak", "partial RELRO: GNU_RELRO without BIND_NOW, the GOT stays writable",
                            "-ldflags=-bindnow (or -extldflags=-Wl,-z,now when linking externally)"))
        return "partial"
    if linking.interpreter is None and not linking.needed:
        checks.append(Check("RELRO", NOT_APPLICABLE, "static binary: no dynamic relocations to protect"))
        return NOT_APPLICABLE
    checks.append(Check("RELRO", "weak", "no GNU_RELRO segment", "-buildmode=pie -ldflags=-bindnow"))
    return "none"


def _stripped(image: ElfImage, checks: list[Check]) -> tuple[bool, bool]:
    symtab = any(sec.type == "SHT_SYMTAB" for sec in image.sections)
    dwarf = any(sec.name.startswith((".debug_", ".zdebug_")) for sec in image.sections)
    if image.sections and not image.section_names_readable:
        checks.append(Check("stripped", "info", "section names are unreadable (damaged or truncated file): "
                            + ("carries a symbol table; DWARF unknown" if symtab else "cannot tell")))
    elif symtab or dwarf:
        what = " and ".join(part for part, present in (("symbol table", symtab), ("DWARF", dwarf)) if present)
        checks.append(Check("stripped", "weak", f"carries {what}", '-ldflags="-s -w"'))
    else:
        checks.append(Check("stripped", "ok", "no symbol table and no DWARF (function names stay in pclntab)"))
    return symtab, dwarf


def _c_protections(linking: Linking, cgo: bool | None, go: bool, checks: list[Check]) -> tuple[str, str]:
    """Stack canaries and FORTIFY: not applicable to Go code, a property of the C code otherwise."""
    if go and (cgo is False or not linking.needed):
        checks.append(Check("stack canary", NOT_APPLICABLE,
                            "Go code never uses stack canaries; its stacks are bounds-checked by the runtime"))
        checks.append(Check("FORTIFY", NOT_APPLICABLE, "no C library calls to fortify"))
        return NOT_APPLICABLE, NOT_APPLICABLE
    if not linking.needed:  # not Go and static: the C library is linked in, its symbols are not imported
        detail = "not a Go binary, statically linked: cannot tell from imported symbols"
        checks.append(Check("stack canary", "info", detail))
        checks.append(Check("FORTIFY", "info", detail))
        return "unknown", "unknown"
    dynamic_symbols = {sym for syms in linking.versioned_symbols.values() for sym in syms}
    absent = "absent in C code" if go else "absent"
    canary = "present" if "__stack_chk_fail" in dynamic_symbols else absent
    fortify = "present" if any(s.endswith("_chk") and s != "__stack_chk_fail" for s in dynamic_symbols) else absent
    # a binary without Go build information is described as what it is, not as the C part of a Go program
    whose = "C code (cgo)" if go else "not a Go binary, its own code"
    tail = "; Go code does not use canaries" if go else ""
    checks.append(Check("stack canary", "ok" if canary == "present" else "info", f"{whose}: {canary}{tail}",
                        None if canary == "present" else
                        ("CGO_CFLAGS=-fstack-protector-strong" if go else "build with -fstack-protector-strong")))
    checks.append(Check("FORTIFY", "ok" if fortify == "present" else "info", f"{whose}: {fortify}",
                        None if fortify == "present" else
                        ("CGO_CFLAGS='-O2 -D_FORTIFY_SOURCE=2'" if go else "build with -O2 -D_FORTIFY_SOURCE=2")))
    return canary, fortify
