"""One ELF file read into memory: headers, sections and segments as plain values, bounds-checked reads."""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Literal

from elftools.elf.elffile import ELFFile

from slimgo.errors import ElfError

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

PT_LOAD = "PT_LOAD"
PF_X, PF_W, PF_R = 1, 2, 4
SHF_ALLOC, SHF_EXECINSTR = 0x2, 0x4

_NOT_ELF_HINTS = {
    b"MZ": "a Windows PE executable; build with GOOS=linux",
    b"\xcf\xfa\xed\xfe": "a Mach-O executable; build with GOOS=linux",
    b"\xca\xfe\xba\xbe": "a Mach-O universal binary; build with GOOS=linux",
    b"#!": "a script, not a compiled binary",
    b"PK\x03\x04": "a zip archive",
    b"\x1f\x8b": "a gzip file",
}


@dataclass(frozen=True)
class Section:
    """One section header: where its bytes are in the file and where they load in memory."""

    name: str
    type: str
    addr: int
    offset: int
    size: int
    flags: int

    @property
    def file_size(self) -> int:
        """Bytes the section occupies in the file (NOBITS sections such as .bss occupy none)."""
        return 0 if self.type == "SHT_NOBITS" else self.size


@dataclass(frozen=True)
class Segment:
    """One program header."""

    type: str
    offset: int
    vaddr: int
    filesz: int
    memsz: int
    flags: int


def _is_text(head: bytes) -> bool:
    """Whether ``head`` reads as UTF-8 text (a character cut at the end of the sample is fine)."""
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:
            return False
        decoded = head[: err.start].decode("utf-8")
    return all(c.isprintable() or c in "\t\n\r" for c in decoded)


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
    """An ELF file read into memory; use as a context manager (see open_elf)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.subject = str(path)
        self._data: bytes | mmap.mmap = b""
        self._handle: BinaryIO | None = None
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        path = self.path
        try:
            if path.is_dir():
                raise ElfError(self.subject, "is a directory, not a binary", "give the path of a Go binary")
            # Mapped, not read: a hostile or huge file (an image's entrypoint may claim gigabytes) costs only
            # the pages the parsers touch, and pyelftools reads the headers through the same open file.
            self._handle = open(path, "rb")  # noqa: SIM115 - closed by close()
            if os.fstat(self._handle.fileno()).st_size:
                self._data = mmap.mmap(self._handle.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError:
            raise ElfError(self.subject, "no such file", "check the path of the binary") from None
        except PermissionError:
            raise ElfError(self.subject, "permission denied", "make the file readable") from None
        except IsADirectoryError:
            raise ElfError(self.subject, "is a directory, not a binary", "give the path of a Go binary") from None
        except OSError as err:
            raise ElfError(self.subject, f"cannot be read: {err.strerror or err}", None) from None
        self.size = len(self._data)
        if self.size == 0:
            raise ElfError(self.subject, "is empty (0 bytes), not an ELF binary", "rebuild the binary")
        head = self._data[:16]
        if not head.startswith(ELF_MAGIC):
            hint = next((h for magic, h in _NOT_ELF_HINTS.items() if head.startswith(magic)), None)
            if hint is None:
                hint = "a text file" if _is_text(self._data[:512]) else f"starts with bytes {head[:4].hex(' ')}"
            cause = f"is not an ELF file ({hint})"
            raise ElfError(self.subject, cause, "give the path of a Linux binary built by `go build`")
        with self.parsing("ELF header"):
            assert self._handle is not None
            self.elf = ELFFile(self._handle)
            header = self.elf.header
            self.elf_class = int(self.elf.elfclass)
            self.little_endian = bool(self.elf.little_endian)
            self.e_type = str(header["e_type"])
            self.e_machine = str(header["e_machine"])
            self.entry = int(header["e_entry"])
            self.machine = _goarch(self.e_machine, self.elf_class, self.little_endian)
        with self.parsing("program headers"):
            self.segments = [
                Segment(
                    str(seg["p_type"]), int(seg["p_offset"]), int(seg["p_vaddr"]),
                    int(seg["p_filesz"]), int(seg["p_memsz"]), int(seg["p_flags"]),
                )
                for seg in self.elf.iter_segments()
            ]
        try:
            # a name that cannot be read (the string table is cut off) is shown by index, as readelf does
            self.sections = [
                Section(
                    sec.name or (f"[{index}]" if index else ""), str(sec["sh_type"]), int(sec["sh_addr"]),
                    int(sec["sh_offset"]), int(sec["sh_size"]), int(sec["sh_flags"]),
                )
                for index, sec in enumerate(self.elf.iter_sections())
            ]
        except Exception:  # section headers are optional for loading: a binary without them is still readable
            self.sections = []
        self.section_names_readable = any(sec.name.startswith(".") for sec in self.sections)
        self._by_name = {sec.name: sec for sec in self.sections}

    @property
    def byteorder(self) -> Literal["little", "big"]:
        return "little" if self.little_endian else "big"

    @contextmanager
    def parsing(self, what: str) -> Iterator[None]:
        """Turn any failure while parsing ``what`` into an ElfError naming this file (no traceback)."""
        try:
            yield
        except ElfError:
            raise
        except Exception as err:  # pyelftools raises many unrelated types on malformed input
            detail = str(err) or type(err).__name__
            raise ElfError(
                self.subject,
                f"malformed or truncated ELF ({what}: {detail})",
                "the file is damaged or incomplete; rebuild it or copy it again",
            ) from None

    def section(self, name: str) -> Section | None:
        return self._by_name.get(name)

    @property
    def data(self) -> bytes | mmap.mmap:
        return self._data

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

    def vaddr_to_offset(self, addr: int) -> int | None:
        """File offset of virtual address ``addr`` within a loaded segment's file bytes, if any."""
        for seg in self.segments:
            if seg.type == PT_LOAD and seg.vaddr <= addr < seg.vaddr + seg.filesz:
                return seg.offset + (addr - seg.vaddr)
        return None

    def close(self) -> None:
        data, self._data = self._data, b""
        if isinstance(data, mmap.mmap):
            # A report may still hold a view into it; then the mapping goes with the last view.
            with suppress(BufferError):
                data.close()
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> ElfImage:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_elf(path: Path) -> ElfImage:
    """Open ``path`` as an ELF binary; raises ElfError for a missing, empty, non-ELF or malformed file."""
    return ElfImage(Path(path))
