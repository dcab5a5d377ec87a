"""One ELF file mapped on demand: headers, sections and segments as plain values, bounds-checked reads."""

from __future__ import annotations

__all__ = ["MAX_SECTIONS", "MAX_SEGMENTS", "PT_LOAD", "ElfImage", "open_elf"]

import errno
import mmap
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Literal, NamedTuple, cast

from slimgo.elf._foreign import PARSERS, LayoutError, foreign_format
from slimgo.elf._open import not_elf, open_regular, os_error
from slimgo.errors import ElfError

if TYPE_CHECKING:  # pyelftools is loaded only by the readers that still need it (dynamic tags, versions)
    from elftools.elf.elffile import ELFFile

ELF_MAGIC = b"\x7fELF"

# ELF e_machine -> GOARCH; some depend on class and byte order, resolved in _goarch().
_MACHINES = {
    "EM_X86_64": "amd64",
    "EM_386": "386",
    "EM_AARCH64": "arm64",
    "EM_ARM": "arm",
    "EM_S390": "s390x",
    "EM_LOONGARCH": "loong64",
}
_MACHINE_NAMES = {3: "EM_386", 8: "EM_MIPS", 20: "EM_PPC", 21: "EM_PPC64", 22: "EM_S390", 40: "EM_ARM",
                  62: "EM_X86_64", 183: "EM_AARCH64", 243: "EM_RISCV", 258: "EM_LOONGARCH"}
_TYPE_NAMES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
_PT_NAMES = {0: "PT_NULL", 1: "PT_LOAD", 2: "PT_DYNAMIC", 3: "PT_INTERP", 4: "PT_NOTE", 5: "PT_SHLIB", 6: "PT_PHDR",
             7: "PT_TLS", 0x6474E550: "PT_GNU_EH_FRAME", 0x6474E551: "PT_GNU_STACK", 0x6474E552: "PT_GNU_RELRO",
             0x6474E553: "PT_GNU_PROPERTY"}
_SHT_NAMES = {0: "SHT_NULL", 1: "SHT_PROGBITS", 2: "SHT_SYMTAB", 3: "SHT_STRTAB", 4: "SHT_RELA", 5: "SHT_HASH",
              6: "SHT_DYNAMIC", 7: "SHT_NOTE", 8: "SHT_NOBITS", 9: "SHT_REL", 11: "SHT_DYNSYM",
              14: "SHT_INIT_ARRAY", 15: "SHT_FINI_ARRAY", 16: "SHT_PREINIT_ARRAY", 17: "SHT_GROUP",
              18: "SHT_SYMTAB_SHNDX", 19: "SHT_RELR", 0x6FFFFFF5: "SHT_GNU_ATTRIBUTES", 0x6FFFFFF6: "SHT_GNU_HASH",
              0x6FFFFFFD: "SHT_GNU_verdef", 0x6FFFFFFE: "SHT_GNU_verneed", 0x6FFFFFFF: "SHT_GNU_versym"}

PT_LOAD = "PT_LOAD"
PF_X, PF_W, PF_R = 1, 2, 4
# A linker writes a few dozen section headers for a program; past this many the rest are not read,
# so a forged count (extended numbering allows 2**32) costs bounded work.
MAX_SECTIONS = 65_536
MAX_SEGMENTS = 4096  # likewise for program headers (PN_XNUM allows 2**32 of them)
_NAME_LIMIT = 512  # longest section name read; a string table without NULs must not make each lookup O(file)
_SCAN_WINDOW = 32 << 20  # scans release each window's pages, so RSS stays bounded on a huge file
_DAMAGED_FIX = "the file is damaged or incomplete; rebuild it or copy it again"

class Section(NamedTuple):
    """One section header: where its bytes are in the file and where they load in memory."""

    name: str
    type: str
    addr: int
    offset: int
    size: int
    flags: int
    link: int = 0
    entsize: int = 0
    number: int = 0  # the section's index in the header table

    @property
    def file_size(self) -> int:
        """Bytes the section occupies in the file (NOBITS sections such as .bss occupy none)."""
        return 0 if self.type == "SHT_NOBITS" else self.size


class Segment(NamedTuple):
    """One program header."""

    type: str
    offset: int
    vaddr: int
    filesz: int
    memsz: int
    flags: int


def _goarch(machine: str, elf_class: int, little: bool) -> str:
    if machine in _MACHINES:
        return _MACHINES[machine]
    if machine == "EM_PPC64":
        return "ppc64le" if little else "ppc64"
    if machine == "EM_PPC":
        return "ppc"
    if machine == "EM_RISCV":
        return "riscv64" if elf_class == 64 else "riscv"
    if machine == "EM_MIPS":
        base = "mips64" if elf_class == 64 else "mips"
        return base + ("le" if little else "")
    return machine.removeprefix("EM_").lower()


class ElfImage:
    """An ELF file mapped into memory (pages are read as they are touched); use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.subject = str(path)
        self._map: mmap.mmap | None = None
        self._elf: ELFFile | None = None
        self.notes: list[str] = []  # things about the file a report should mention (a forged header count)
        # kept open while the image is: the holes of a sparse file are asked of this file, not of its path
        self._fd = open_regular(path, self.subject)
        try:
            self._map_file(self._fd)
        except BaseException:
            os.close(self._fd)
            self._fd = -1
            raise
        try:
            self._parse_headers()
        except BaseException:
            self.close()
            raise

    def _map_file(self, fd: int) -> None:
        try:
            self.size = os.fstat(fd).st_size
            if self.size == 0:
                raise ElfError(self.subject, "is empty (0 bytes), not an ELF binary", "rebuild the binary")
            head = os.pread(fd, 512, 0)  # the header first: a non-ELF file is refused before anything is mapped
            self.format = "ELF" if head.startswith(ELF_MAGIC) else foreign_format(head)
            if self.format is None:
                raise not_elf(self.subject, head)
            self._map = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        except OSError as err:
            raise os_error(self.subject, err) from None
        except (ValueError, OverflowError):  # a size mmap cannot map on this platform
            raise ElfError(self.subject, f"cannot be mapped into memory ({self.size:,} bytes)",
                           "inspect the binary on a 64-bit host") from None

    def _damaged(self, what: str) -> ElfError:
        return ElfError(self.subject, f"malformed or truncated ELF ({what})", _DAMAGED_FIX)

    def _parse_headers(self) -> None:
        if self.format != "ELF":
            self._parse_foreign()
            return
        ident = self.read(0, 16, "ELF identification")
        if ident[4] not in (1, 2) or ident[5] not in (1, 2):
            raise self._damaged(f"unknown ELF class {ident[4]} or byte order {ident[5]}")
        self.elf_class = 32 if ident[4] == 1 else 64
        self.little_endian = ident[5] == 1
        self._order = "<" if self.little_endian else ">"
        layout = "HHIQQQIHHHHHH" if self.elf_class == 64 else "HHIIIIIHHHHHH"
        header_size = 16 + struct.calcsize("=" + layout)
        if self.size < header_size:
            raise ElfError(self.subject, f"truncated: the ELF header needs {header_size} bytes but the file has"
                           f" {self.size}", _DAMAGED_FIX)
        (e_type, e_machine, _version, self.entry, phoff, shoff, _flags, _ehsize, phentsize, phnum, shentsize,
         shnum, shstrndx) = struct.unpack_from(self._order + layout, self.data, 16)
        self.e_type = _TYPE_NAMES.get(e_type, f"{e_type:#x}")
        self.e_machine = _MACHINE_NAMES.get(e_machine, f"EM_{e_machine}")
        self.machine = _goarch(self.e_machine, self.elf_class, self.little_endian)
        first = self._first_section(shoff, shentsize)
        if phnum == 0xFFFF and first is not None:  # PN_XNUM: the real count is in section 0's sh_info
            phnum = first[7]
        self.segments = self._program_headers(phoff, phentsize, phnum)
        if shoff and shnum == 0 and first is not None:  # extended numbering: the count is section 0's sh_size
            shnum = first[5]
        if shstrndx == 0xFFFF and first is not None:  # SHN_XINDEX: the index is section 0's sh_link
            shstrndx = first[6]
        self.sections = self._section_headers(shoff, shentsize, shnum, shstrndx)
        self.section_names_readable = any(sec.name.startswith(".") for sec in self.sections)
        self._by_name: dict[str, Section] = {}
        for sec in self.sections:
            self._by_name.setdefault(sec.name, sec)

    def _parse_foreign(self) -> None:
        """A PE or Mach-O file: its sections and loaded regions, so Go's build info and tables can be read."""
        try:
            layout = PARSERS[str(self.format)](self.data)
        except (LayoutError, struct.error, IndexError, KeyError) as err:
            detail = str(err) if isinstance(err, LayoutError) else "its headers cannot be parsed"
            cause = f"malformed or truncated {self.format} file ({detail})"
            raise ElfError(self.subject, cause, _DAMAGED_FIX) from None
        self.elf_class = layout.bits
        self.little_endian = layout.little_endian
        self._order = "<" if self.little_endian else ">"
        self.e_type, self.e_machine, self.machine, self.entry = layout.kind, layout.format, layout.machine, layout.entry
        self.segments = [Segment(PT_LOAD, offset, vaddr, filesz, memsz, flags)
                         for offset, vaddr, filesz, memsz, flags in layout.segments]
        self.sections = [Section(name, kind, addr, offset, size, flags, number=index)
                         for index, (name, kind, addr, offset, size, flags) in enumerate(layout.sections)]
        self.section_names_readable = True
        self._by_name = {}
        for sec in self.sections:
            self._by_name.setdefault(sec.name, sec)
        for alias, name in layout.aliases.items():
            if alias not in self._by_name and name in self._by_name:
                self._by_name[alias] = self._by_name[name]

    def _section_layout(self) -> str:
        return "IIQQQQIIQQ" if self.elf_class == 64 else "IIIIIIIIII"

    def _first_section(self, shoff: int, shentsize: int) -> tuple[int, ...] | None:
        layout = self._section_layout()
        if not shoff or shentsize < struct.calcsize("=" + layout) or shoff + shentsize > self.size:
            return None
        return struct.unpack_from(self._order + layout, self.data, shoff)

    def _program_headers(self, phoff: int, phentsize: int, phnum: int) -> list[Segment]:
        if phnum == 0:
            return []
        layout = "IIQQQQQQ" if self.elf_class == 64 else "IIIIIIII"
        if phentsize < struct.calcsize("=" + layout):
            raise self._damaged(f"program header entries of {phentsize} bytes are too small")
        if phoff + phnum * phentsize > self.size:
            raise ElfError(self.subject, f"truncated: {phnum} program headers at byte {phoff} lie beyond the end"
                           f" of the {self.size}-byte file", _DAMAGED_FIX)
        if phnum > MAX_SEGMENTS:
            self.notes.append(f"the file declares {phnum:,} program headers (a Go program has about ten);"
                              f" only the first {MAX_SEGMENTS:,} were read")
        segments = []
        for index in range(min(phnum, MAX_SEGMENTS)):
            raw = struct.unpack_from(self._order + layout, self.data, phoff + index * phentsize)
            if self.elf_class == 64:
                p_type, flags, offset, vaddr, _paddr, filesz, memsz, _align = raw
            else:
                p_type, offset, vaddr, _paddr, filesz, memsz, flags, _align = raw
            segments.append(Segment(_PT_NAMES.get(p_type, f"{p_type:#x}"), offset, vaddr, filesz, memsz, flags))
        return segments

    def _section_headers(self, shoff: int, shentsize: int, shnum: int, shstrndx: int) -> list[Section]:
        layout = self._section_layout()
        if not shoff or not shnum or shentsize < struct.calcsize("=" + layout):
            return []
        if shnum > MAX_SECTIONS:
            self.notes.append(f"the file declares {shnum:,} section headers (a Go program has a few dozen);"
                              f" only the first {MAX_SECTIONS:,} were read")
        count = min(shnum, MAX_SECTIONS, max(0, (self.size - shoff) // shentsize))
        if count < min(shnum, MAX_SECTIONS):
            return []  # the table is cut off: section headers are optional for loading, the rest still reads
        fmt = self._order + layout
        rows = [struct.unpack_from(fmt, self.data, shoff + i * shentsize) for i in range(count)]
        names = self._names_reader(rows[shstrndx] if 0 < shstrndx < count else None)
        sections = []
        for index, (name, sh_type, flags, addr, offset, size, link, _info, _align, entsize) in enumerate(rows):
            text = names(name) or (f"[{index}]" if index else "")
            kind = _SHT_NAMES.get(sh_type, f"{sh_type:#x}")
            sections.append(Section(text, kind, addr, offset, size, flags, link, entsize, index))
        return sections

    def _names_reader(self, strtab: tuple[int, ...] | None) -> _NameReader:
        if strtab is None or strtab[1] == 8:  # no string table, or a NOBITS one
            return _NameReader(b"")
        offset, size = strtab[4], strtab[5]
        end = min(offset + size, self.size)
        if offset + size > self.size:  # a string table cut off by truncation: names are not guessed
            return _NameReader(b"")
        return _NameReader(self.data[offset:end])

    @property
    def byteorder(self) -> Literal["little", "big"]:
        return "little" if self.little_endian else "big"

    @property
    def elf(self) -> ELFFile:
        """pyelftools' view of the same mapping, for the tables slimgo does not parse itself."""
        if self._elf is None:
            from elftools.elf.elffile import ELFFile

            with self.parsing("ELF header"):
                self._elf = ELFFile(cast(IO[bytes], self.data))  # mmap reads and seeks as a file does
        return self._elf

    @contextmanager
    def parsing(self, what: str) -> Iterator[None]:
        """Turn any failure while parsing ``what`` into an ElfError naming this file, in slimgo's words."""
        try:
            yield
        except ElfError:
            raise
        except Exception:  # pyelftools raises many unrelated types on malformed input; their text means nothing here
            raise self._damaged(f"{what} could not be parsed") from None

    def section(self, name: str) -> Section | None:
        return self._by_name.get(name)

    @property
    def data(self) -> mmap.mmap:
        if self._map is None:
            raise ValueError("the ELF image is closed")
        return self._map

    def read(self, offset: int, size: int, what: str) -> bytes:
        """``size`` bytes at file ``offset``; an ElfError if they lie beyond the end of the file."""
        if offset < 0 or size < 0 or offset + size > self.size:
            raise ElfError(
                self.subject,
                f"truncated: {what} needs bytes {offset}..{offset + size} but the file has {self.size}",
                "the file is incomplete; rebuild it or copy it again",
            )
        return self.data[offset : offset + size]

    def section_view(self, sec: Section) -> memoryview:
        """The section's bytes in the file, without copying; an ElfError if truncated."""
        if sec.type == "SHT_NOBITS":
            return memoryview(b"")
        if sec.offset + sec.size > self.size:
            raise ElfError(
                self.subject,
                f"truncated: section {sec.name} ends at byte {sec.offset + sec.size} but the file has {self.size}",
                "the file is incomplete; rebuild it or copy it again",
            )
        return memoryview(self.data)[sec.offset : sec.offset + sec.size]

    def find(self, needle: bytes, start: int, end: int) -> int:
        """The first offset of ``needle`` in [start, end), or -1; holes of a sparse file are skipped and each
        scanned window's pages are released, so a scan of a huge file neither takes long nor stays in memory."""
        end = min(end, self.size)
        pos = max(start, 0)
        while pos < end:
            data_start, data_end = self._data_extent(pos, end)
            if data_start >= end:
                return -1
            window_end = min(data_end, data_start + _SCAN_WINDOW, end)
            found = self.data.find(needle, data_start, min(window_end + len(needle) - 1, end))
            self._release(data_start, window_end)
            if found >= 0:
                return found
            pos = window_end
        return -1

    def _data_extent(self, pos: int, end: int) -> tuple[int, int]:
        """The next stretch of [pos, end) that holds data (SEEK_DATA/SEEK_HOLE where the system has them)."""
        if end - pos <= _SCAN_WINDOW or not hasattr(os, "SEEK_DATA"):
            return pos, end
        try:
            start = os.lseek(self._fd, pos, os.SEEK_DATA)
            return start, os.lseek(self._fd, start, os.SEEK_HOLE)
        except OSError as err:  # ENXIO: only a hole is left
            return (end, end) if err.errno == errno.ENXIO else (pos, end)

    def _release(self, start: int, end: int) -> None:
        page = mmap.PAGESIZE
        first = start - start % page
        if end - first >= _SCAN_WINDOW // 2 and hasattr(mmap, "MADV_DONTNEED"):
            with suppress(OSError, ValueError):
                self.data.madvise(mmap.MADV_DONTNEED, first, end - first)

    def vaddr_to_offset(self, addr: int) -> int | None:
        """File offset of virtual address ``addr`` within a loaded segment's file bytes, if any."""
        for seg in self.segments:
            if seg.type == PT_LOAD and seg.vaddr <= addr < seg.vaddr + seg.filesz:
                return seg.offset + (addr - seg.vaddr)
        return None

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        mapped, self._map, self._elf = self._map, None, None
        if mapped is not None:
            # a view of it may still be referenced (an error on its way up): then it is unmapped when freed
            with suppress(BufferError):
                mapped.close()

    def __enter__(self) -> ElfImage:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _NameReader:
    """Section names from the section-name string table, each read at most _NAME_LIMIT bytes far."""

    def __init__(self, table: bytes) -> None:
        self.table = table

    def __call__(self, offset: int) -> str:
        if offset >= len(self.table):
            return ""
        end = self.table.find(b"\0", offset, offset + _NAME_LIMIT)
        raw = self.table[offset : end if end >= 0 else offset + _NAME_LIMIT]
        return raw.decode("utf-8", "replace")


def open_elf(path: Path) -> ElfImage:
    """Open ``path`` as an ELF binary; raises ElfError for a missing, empty, non-ELF or malformed file."""
    return ElfImage(Path(path))
