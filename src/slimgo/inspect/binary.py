"""Inspect one ELF binary: each part is read on its own, so a damaged part is marked and the rest reported."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from slimgo.elf._reader import ElfImage, open_elf
from slimgo.elf.buildinfo import BuildInfo, buildinfo_of
from slimgo.elf.hardening import Hardening, hardening_of
from slimgo.elf.linking import Linking, linking_of
from slimgo.elf.pclntab import func_table_of
from slimgo.errors import ElfError
from slimgo.inspect.size import SizeReport, package_sizes, section_sizes, strip_savings
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
    layer_cache: Path | None = None,
) -> BinaryReport:
    """Report on the binary at ``path``; raises ElfError only when it is not a readable ELF file at all.

    With ``compress``, the gzip/zstd layer sizes are computed on other threads while the ELF is parsed
    (and kept in ``layer_cache``, by content digest, when given).
    """
    problems: list[Problem] = []
    with open_elf(path) as elf:
        pending = None
        if compress and elf.size > LAYER_SIZE_MAX:
            problems.append(Problem("size.compressed", f"not computed: the file is {human_bytes(elf.size)}, over "
                                    f"{human_bytes(LAYER_SIZE_MAX)}, and compressing it would take minutes"))
        elif compress:
            from slimgo.inspect.compress import start_layer_sizes  # the codecs load only when used

            pending = start_layer_sizes(path, layer_cache)
        cut = [sec.name for sec in elf.sections if sec.file_size and sec.offset + sec.size > elf.size]
        if cut:
            problems.append(Problem("elf", f"truncated: {len(cut)} section(s) end beyond the end of the file"
                                           f" ({', '.join(cut[:5])}{', ...' if len(cut) > 5 else ''})"))
        info = _part(problems, "go", lambda: buildinfo_of(elf))
        if info is not None and not info.supported and info.note:
            problems.append(Problem("go", info.note))
        linking = _part(problems, "linking", lambda: linking_of(elf))
        hardening = None
        if linking is not None:
            cgo_setting = info.setting("CGO_ENABLED") if info else None
            cgo = None if cgo_setting is None else cgo_setting == "1"
            hardening = _part(problems, "hardening", lambda: hardening_of(elf, linking, cgo))
        table = _part(problems, "size.packages", lambda: func_table_of(elf))
        sections = section_sizes(elf)
        text = elf.section(".text")
        savings = strip_savings(elf)
        platform = _platform(elf, info)
        file_bytes = elf.size
    size = SizeReport(file_bytes=file_bytes, sections=sections, strip_savings_bytes=savings,
                      text_bytes=text.size if text else None)
    if table is not None:
        packages, groups = package_sizes(table, info if info and info.supported else None)
        size = SizeReport(
            file_bytes=file_bytes,
            sections=sections,
            text_bytes=text.size if text else None,
            function_bytes=table.function_bytes,
            padding_bytes=table.padding_bytes,
            packages=packages,
            groups=groups,
            strip_savings_bytes=savings,
            table_source=table.header.source,
        )
    if pending is not None:
        try:
            layer = pending.result()
        except OSError as err:
            problems.append(Problem("size.compressed", str(err)))
        else:
            size = replace(size, layer=layer)
    return BinaryReport(
        target=target or str(path),
        platform=platform,
        file_bytes=file_bytes,
        go=info,
        linking=linking,
        hardening=hardening,
        size=size,
        problems=problems,
        image=image,
    )
