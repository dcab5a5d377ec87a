"""Where a binary's bytes go: ELF sections, Go packages (from pclntab, survives -s -w), strip savings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slimgo.elf._reader import ElfImage
from slimgo.elf.buildinfo import BuildInfo
from slimgo.elf.gopackages import GROUPS, PackageResolver, gopath_root
from slimgo.elf.pclntab import FuncTable

if TYPE_CHECKING:  # the codecs are imported only when layer sizes are computed
    from slimgo.inspect.compress import LayerSizes

# what `-s` (symbol table) and `-w` (DWARF) drop
_STRIP_PREFIXES = (".debug_", ".zdebug_")
_STRIP_NAMES = (".symtab", ".strtab")


@dataclass(frozen=True)
class PackageSize:
    name: str
    size: int
    group: str
    functions: int


@dataclass(frozen=True)
class SizeReport:
    file_bytes: int
    sections: list[tuple[str, int]]  # file bytes per section, largest first
    text_bytes: int | None = None
    function_bytes: int | None = None
    padding_bytes: int | None = None
    packages: list[PackageSize] = field(default_factory=list)  # largest first
    groups: dict[str, int] = field(default_factory=dict)
    strip_savings_bytes: int | None = None
    layer: LayerSizes | None = None
    table_source: str | None = None

    @property
    def attributed_bytes(self) -> int | None:
        if self.function_bytes is None or self.padding_bytes is None:
            return None
        return self.function_bytes + self.padding_bytes


def section_sizes(image: ElfImage) -> list[tuple[str, int]]:
    sizes = [(sec.name, sec.file_size) for sec in image.sections if sec.name and sec.file_size]
    return sorted(sizes, key=lambda item: (-item[1], item[0]))


def strip_savings(image: ElfImage) -> int | None:
    """Bytes `-ldflags="-s -w"` would remove, or None when there is nothing left to strip."""
    total = sum(
        sec.file_size for sec in image.sections
        if sec.name in _STRIP_NAMES or sec.name.startswith(_STRIP_PREFIXES)
    )
    return total or None


def package_sizes(table: FuncTable, info: BuildInfo | None) -> tuple[list[PackageSize], dict[str, int]]:
    """Function bytes summed per package (padding excluded), and per group."""
    main_path = info.main.path if info and info.main else (gopath_root(info.path) if info and info.path else None)
    deps = [dep.path for dep in info.deps] if info else []
    resolver = PackageResolver(main_path, deps)
    package = resolver.package
    sizes: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for func_name, func_size in zip(table.names, table.sizes, strict=True):
        pkg_name = package(func_name)
        sizes[pkg_name] += func_size
        counts[pkg_name] += 1
    packages = sorted(
        (PackageSize(name, size, resolver.group(name), counts[name]) for name, size in sizes.items()),
        key=lambda p: (-p.size, p.name),
    )
    groups = dict.fromkeys(GROUPS, 0)
    for pkg in packages:
        groups[pkg.group] += pkg.size
    return packages, groups
