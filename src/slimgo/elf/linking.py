"""How a binary links: ELF class and machine, interpreter, needed libraries, run paths, versioned symbols."""

from __future__ import annotations

__all__ = ["DF_1_PIE", "Linking", "highest_glibc", "linking_of", "read_linking"]

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from slimgo.elf._reader import ElfImage, open_elf
from slimgo.errors import ElfError

if TYPE_CHECKING:  # pyelftools is loaded only for a binary that has dynamic tables to read
    from elftools.elf.sections import Section

_GLIBC = re.compile(r"^GLIBC_(\d+(?:\.\d+)*)$")

DF_BIND_NOW = 0x8
DF_1_NOW = 0x1
DF_1_PIE = 0x08000000


@dataclass(frozen=True)
class Linking:
    """The static verdict and its evidence. ``static`` means no PT_INTERP and no DT_NEEDED."""

    path: str
    elf_class: int
    machine: str
    byteorder: str
    elf_type: str
    static: bool
    interpreter: str | None
    needed: list[str] = field(default_factory=list)
    rpath: list[str] = field(default_factory=list)
    runpath: list[str] = field(default_factory=list)
    # "libc.so.6/GLIBC_2.34" -> symbols bound to that version, from .gnu.version_r and .gnu.version
    versioned_symbols: dict[str, list[str]] = field(default_factory=dict)
    glibc_required: str | None = None
    has_dynamic: bool = False
    bind_now: bool = False
    flags_1: int = 0

    @property
    def shared_object(self) -> bool:
        """A shared library (-buildmode=c-shared): position independent, no interpreter, not flagged PIE."""
        return self.elf_type == "ET_DYN" and self.interpreter is None and not self.flags_1 & DF_1_PIE

    @property
    def required_versions(self) -> list[str]:
        """Every version name required (GLIBC_2.34, GLIBCXX_3.4.29, ...), by name then version number."""
        return sorted({key.split("/", 1)[1] for key in self.versioned_symbols}, key=_version_name_key)


def _version_name_key(name: str) -> tuple[str, int, tuple[int, ...], str]:
    """GLIBC_2.2.5 before GLIBC_2.14 (numbers compare as numbers), then GLIBC_PRIVATE, then GLIBCXX_..."""
    prefix, _, rest = name.partition("_")
    if re.fullmatch(r"\d+(?:\.\d+)*", rest):
        return prefix, 0, tuple(int(part) for part in rest.split(".")), ""
    return prefix, 1, (), rest


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def highest_glibc(version_names: list[str]) -> str | None:
    """The highest GLIBC_x.y among ``version_names`` as "x.y", or None (GLIBC_PRIVATE and others ignored)."""
    found = [m.group(1) for name in version_names if (m := _GLIBC.match(name))]
    return max(found, key=_version_key) if found else None


def _interpreter(image: ElfImage) -> str | None:
    for seg in image.segments:
        if seg.type == "PT_INTERP":
            raw = image.read(seg.offset, seg.filesz, "PT_INTERP")
            return raw.split(b"\0", 1)[0].decode("utf-8", "replace")
    return None


def _split_paths(value: str) -> list[str]:
    return [part for part in value.split(":") if part]


def linking_of(image: ElfImage) -> Linking:
    """Read the linking facts of an already opened ELF image."""
    with image.parsing("PT_INTERP"):
        interpreter = _interpreter(image)
    needed: list[str] = []
    rpath: list[str] = []
    runpath: list[str] = []
    versioned: dict[str, list[str]] = {}
    has_dynamic = False
    bind_now = False
    flags_1 = 0
    with image.parsing("dynamic section"):
        for index in _indexes(image, "SHT_DYNAMIC")[:1]:
            sec = image.elf.get_section(index)
            from elftools.elf.dynamic import DynamicSection

            if isinstance(sec, DynamicSection):
                has_dynamic = True
                for tag in sec.iter_tags():
                    kind = tag.entry.d_tag
                    if kind == "DT_NEEDED":
                        needed.append(str(getattr(tag, "needed", "")))
                    elif kind == "DT_RPATH":
                        rpath += _split_paths(str(getattr(tag, "rpath", "")))
                    elif kind == "DT_RUNPATH":
                        runpath += _split_paths(str(getattr(tag, "runpath", "")))
                    elif kind == "DT_BIND_NOW":
                        bind_now = True
                    elif kind == "DT_FLAGS":
                        bind_now = bind_now or bool(int(tag.entry.d_val) & DF_BIND_NOW)
                    elif kind == "DT_FLAGS_1":
                        flags_1 = int(tag.entry.d_val)
                        bind_now = bind_now or bool(flags_1 & DF_1_NOW)
    with image.parsing("symbol versions (.gnu.version_r)"):
        versioned = _versioned_symbols(image)
    names = sorted({key.split("/", 1)[1] for key in versioned})
    return Linking(
        path=image.subject,
        elf_class=image.elf_class,
        machine=image.machine,
        byteorder=image.byteorder,
        elf_type=image.e_type,
        static=interpreter is None and not needed,
        interpreter=interpreter,
        needed=needed,
        rpath=rpath,
        runpath=runpath,
        versioned_symbols=versioned,
        glibc_required=highest_glibc(names),
        has_dynamic=has_dynamic,
        bind_now=bind_now,
        flags_1=flags_1,
    )


def _indexes(image: ElfImage, sh_type: str) -> list[int]:
    """Indexes of the sections of ``sh_type``, from slimgo's own header table (pyelftools walks every header)."""
    return [sec.number for sec in image.sections if sec.type == sh_type]


def _section(image: ElfImage, sh_type: str) -> Section | None:
    found = _indexes(image, sh_type)
    return image.elf.get_section(found[0]) if found else None


def _table_fits(image: ElfImage, sec: Section, entry_size: int) -> bool:
    """Whether a section's table lies inside the file with the entry size its type demands."""
    offset, size, entsize = int(sec["sh_offset"]), int(sec["sh_size"]), int(sec["sh_entsize"])
    return offset + size <= image.size and (entry_size == 0 or entsize == entry_size)


def _corrupt(image: ElfImage, what: str) -> ElfError:
    return ElfError(image.subject, f"malformed ELF ({what})",
                    "the file is damaged or incomplete; rebuild it or copy it again")


def _versioned_symbols(image: ElfImage) -> dict[str, list[str]]:
    if not _indexes(image, "SHT_GNU_verneed"):  # a static binary: nothing to read, pyelftools stays unloaded
        return {}
    from elftools.elf.gnuversions import GNUVerNeedSection, GNUVerSymSection
    from elftools.elf.sections import SymbolTableSection

    verneed = _section(image, "SHT_GNU_verneed")
    if not isinstance(verneed, GNUVerNeedSection):
        return {}
    # Verneed and Vernaux records are 16 bytes in both ELF classes: a damaged count or next-offset must not
    # make the walk longer than the section can hold (pyelftools follows them without a bound).
    limit = int(verneed["sh_size"]) // 16
    if not _table_fits(image, verneed, 0):
        raise _corrupt(image, ".gnu.version_r lies beyond the end of the file")
    by_index: dict[int, str] = {}
    result: dict[str, list[str]] = {}
    records = 0
    for need, auxes in itertools.islice(verneed.iter_versions(), limit):
        library = str(need.name)
        records += 1
        for aux in itertools.islice(auxes, limit):
            records += 1
            if records > limit:
                raise _corrupt(image, ".gnu.version_r holds more records than fit in it")
            key = f"{library}/{aux.name}"
            by_index[int(aux["vna_other"])] = key
            result.setdefault(key, [])
    versym = _section(image, "SHT_GNU_versym")
    dynsym = _section(image, "SHT_DYNSYM")
    if isinstance(versym, GNUVerSymSection) and isinstance(dynsym, SymbolTableSection):
        if not (_table_fits(image, dynsym, image.elf.structs.Elf_Sym.sizeof()) and _table_fits(image, versym, 2)):
            raise _corrupt(image, ".dynsym or .gnu.version has a bad size")
        for index, symbol in enumerate(dynsym.iter_symbols()):
            if index == 0:
                continue
            # bit 15 marks a hidden version; the low bits are the index into the verneed/verdef entries
            ndx = versym.get_symbol(index)["ndx"]
            if isinstance(ndx, int) and (ndx & 0x7FFF) in by_index:
                result[by_index[ndx & 0x7FFF]].append(str(symbol.name))
    return {key: sorted(set(symbols)) for key, symbols in sorted(result.items())}


def read_linking(path: Path) -> Linking:
    """The linking facts of the ELF binary at ``path``; raises ElfError when it cannot be read."""
    with open_elf(path) as image:
        return linking_of(image)
