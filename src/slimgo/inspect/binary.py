"""Inspect one binary (ELF; PE or Mach-O for the Go parts): each part read on its own, a damaged one marked."""

from __future__ import annotations

__all__ = ["BinaryReport", "ImageSource", "Problem", "exit_code", "inspect_binary"]

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from slimgo.elf._reader import ElfImage, open_elf
from slimgo.elf.buildinfo import BuildInfo, buildinfo_of
from slimgo.elf.gopackages import PackageResolver
from slimgo.elf.hardening import Hardening, hardening_of
from slimgo.elf.linking import Linking, linking_of
from slimgo.elf.pclntab import FuncTable, func_table_of
from slimgo.elf.symbols import symbol_table
from slimgo.errors import ElfError
from slimgo.inspect.attribution import DataShares, attribute, data_shares
from slimgo.inspect.embeds import EmbeddedData, embedded_data
from slimgo.inspect.size import SizeReport, package_sizes, resolver_for, section_sizes, strip_savings
from slimgo.units import human_bytes

T = TypeVar("T")
# Layer sizes are estimated by compressing the whole file (~7 ms/MiB for gzip); past this, the estimate is skipped.
LAYER_SIZE_MAX = 512 << 20


@dataclass(frozen=True)
class Problem:
    """A part of the report that could not be read, and why."""

    part: str
    message: str


@dataclass(frozen=True)
class ImageSource:
    """Where the binary came from when the target is an image."""

    reference: str
    platform: str
    entrypoint: list[str]
    path_in_image: str
    manifest_digest: str | None = None
    # the layer that holds the binary, as stored: its blob may hold other files too
    layer_index: int | None = None
    layer_count: int | None = None
    layer_digest: str | None = None
    layer_media_type: str | None = None
    layer_bytes: int | None = None


@dataclass(frozen=True)
class Packing:
    """A packed binary (UPX): the report describes the program it unpacks to; these are the packed file's facts."""

    packer: str
    packed_bytes: int


@dataclass(frozen=True)
class BinaryReport:
    target: str
    platform: str
    file_bytes: int
    go: BuildInfo | None
    linking: Linking | None
    hardening: Hardening | None
    size: SizeReport
    problems: list[Problem] = field(default_factory=list)
    image: ImageSource | None = None
    packed: Packing | None = None
    embedded: list[EmbeddedData] | None = None  # go:embed files and large data (ELF only), largest first

    @property
    def go_specific(self) -> bool:
        """Whether anything Go-specific was read: the build info or the function table."""
        return self.go is not None or self.size.function_bytes is not None


def _part(problems: list[Problem], part: str, read: Callable[[], T]) -> T | None:
    try:
        return read()
    except ElfError as err:
        problems.append(Problem(part, err.cause))
        return None


def _platform(image: ElfImage, info: BuildInfo | None) -> str:
    goos = (info.setting("GOOS") if info else None) or "linux"
    goarch = (info.setting("GOARCH") if info else None) or image.machine
    variant = None
    if info is not None:
        variant = info.setting("GOARM") if goarch == "arm" else None
    return f"{goos}/{goarch}" + (f"/v{variant.split(',')[0]}" if variant else "")


def inspect_binary(
    path: Path, target: str | None = None, *, compress: bool = True, image: ImageSource | None = None,
    layer_cache: Path | None = None, attribution: bool = True,
) -> BinaryReport:
    """Report on the binary at ``path``; raises ElfError only when it is not a readable ELF file at all.

    With ``compress``, the gzip/zstd layer sizes are computed on other threads while the ELF is parsed
    (and kept in ``layer_cache``, by content digest, when given). A UPX-packed binary is unpacked to a
    temporary file first, and the report says so. Without ``attribution``, packages carry their function bytes
    only (no pclntab, function-data or data-section shares): what a treemap of code needs, in half the time.
    """
    from slimgo.gobuild import upx

    if path.is_file() and upx.is_packed(path):
        return _inspect_packed(path, target, compress=compress, image=image, layer_cache=layer_cache,
                               attribution=attribution)
    with open_elf(path) as elf:
        pending = None
        too_big = compress and elf.size > LAYER_SIZE_MAX
        if compress and not too_big:
            from slimgo.inspect.compress import start_layer_sizes  # the codecs load only when used

            pending = start_layer_sizes(path, layer_cache)
        parts = _read_parts(elf, attribution)
    size = _size_report(parts)
    problems = parts.problems
    if too_big:
        problems.append(Problem("size.compressed", f"not computed: the file is {human_bytes(parts.file_bytes)}, over "
                                f"{human_bytes(LAYER_SIZE_MAX)}, and compressing it would take minutes"))
    if pending is not None:
        try:
            layer = pending.result()
        except OSError as err:
            problems.append(Problem("size.compressed", str(err)))
        else:
            size = replace(size, layer=layer)
    return BinaryReport(
        target=target or str(path),
        platform=parts.platform,
        file_bytes=parts.file_bytes,
        go=parts.info,
        linking=parts.linking,
        hardening=parts.hardening,
        size=size,
        problems=problems,
        image=image,
        embedded=parts.embedded,
    )


def _inspect_packed(path: Path, target: str | None, *, compress: bool, image: ImageSource | None,
                    layer_cache: Path | None, attribution: bool) -> BinaryReport:
    import tempfile

    from slimgo.gobuild import upx

    with tempfile.TemporaryDirectory(prefix="slimgo-unpack-") as tmp:
        unpacked = Path(tmp) / path.name
        upx.unpack(path, unpacked)
        report = inspect_binary(unpacked, target or str(path), compress=compress, image=image,
                                layer_cache=layer_cache, attribution=attribution)
    return replace(report, packed=Packing("upx", path.stat().st_size))


@dataclass
class _Parts:
    """Everything read from the open ELF image, before it is unmapped."""

    problems: list[Problem]
    file_bytes: int
    platform: str
    info: BuildInfo | None
    linking: Linking | None
    hardening: Hardening | None
    table: FuncTable | None
    resolver: PackageResolver
    data: DataShares | None
    sections: list[tuple[str, int]]
    text_bytes: int | None
    savings: int | None
    embedded: list[EmbeddedData] | None = None


def _read_parts(elf: ElfImage, attribution: bool = True) -> _Parts:
    problems = [Problem("elf", note) for note in elf.notes]
    cut = [sec.name for sec in elf.sections if sec.file_size and sec.offset + sec.size > elf.size]
    if cut:
        problems.append(Problem("elf", f"truncated: {len(cut)} section(s) end beyond the end of the file"
                                       f" ({', '.join(cut[:5])}{', ...' if len(cut) > 5 else ''})"))
    info = _part(problems, "go", lambda: buildinfo_of(elf))
    if info is not None and not info.supported and info.note:
        problems.append(Problem("go", info.note))
    linking = hardening = None
    if elf.format != "ELF":
        problems.append(Problem("linking", f"linking and hardening are read from ELF binaries only; this is a"
                                           f" {elf.format} binary ({elf.e_type}, {elf.machine})"))
    else:
        linking = _part(problems, "linking", lambda: linking_of(elf))
    if linking is not None:
        cgo_setting = info.setting("CGO_ENABLED") if info else None
        cgo = None if cgo_setting is None else cgo_setting == "1"
        hardening = _part(problems, "hardening", lambda: hardening_of(elf, linking, cgo, go=info is not None))
    table = _part(problems, "size.packages", lambda: func_table_of(elf, shares=attribution))
    data = None
    resolver = resolver_for(info if info and info.supported else None)  # one cache of names for every part
    elf_file = elf.format == "ELF" and attribution  # the report's page draws neither data shares nor bloat
    symbols = _part(problems, "size.data", lambda: symbol_table(elf)) if elf_file else None  # read once, used twice
    if table is not None and attribution:
        data = _part(problems, "size.data", lambda: data_shares(elf, table, resolver, symbols))
    text = elf.section(".text")
    embedded = _part(problems, "bloat.embedded", lambda: embedded_data(elf, symbols)) if elf_file else None
    return _Parts(problems, elf.size, _platform(elf, info), info, linking, hardening, table, resolver, data,
                  section_sizes(elf), text.size if text else None, strip_savings(elf), embedded)


def _size_report(parts: _Parts) -> SizeReport:
    size = SizeReport(file_bytes=parts.file_bytes, sections=parts.sections, strip_savings_bytes=parts.savings,
                      text_bytes=parts.text_bytes)
    table, info = parts.table, parts.info
    if table is None:
        return size
    known = info if info and info.supported else None
    packages, groups = package_sizes(table, known, parts.resolver)
    size = replace(size, function_bytes=table.function_bytes, padding_bytes=table.padding_bytes, packages=packages,
                   groups=groups, table_source=table.header.source)
    if parts.data is None:
        return size
    whole = attribute(table, packages, parts.data, known, parts.sections, parts.file_bytes, parts.resolver)
    return replace(size, packages=whole.packages, modules=whole.modules,
                   attributed_by_section=whole.attributed_by_section,
                   unattributed_by_section=whole.unattributed_by_section)


def exit_code(reports: list[BinaryReport], *, strict: bool = False) -> int:
    """1 when a report holds nothing Go-specific (or, with ``strict``, any part could not be read), else 0.

    The report is printed either way; the code lets a script tell a Go binary's report from one that
    only describes an ELF file.
    """
    for report in reports:
        if not report.go_specific or (strict and report.problems):
            return 1
    return 0
