"""Where a binary's bytes go: ELF sections, Go packages and modules (from pclntab, survives -s -w), strip savings."""

from __future__ import annotations

__all__ = [
    "OUTSIDE_SECTIONS",
    "STD_MODULE",
    "ModuleSize",
    "PackageSize",
    "SizeReport",
    "package_sizes",
    "resolver_for",
    "section_sizes",
    "strip_savings",
]

from collections import Counter, defaultdict
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
STD_MODULE = "std"  # the module `go list -m` names the standard library (and the runtime) by
OUTSIDE_SECTIONS = "(ELF headers and gaps)"


@dataclass(frozen=True)
class PackageSize:
    name: str
    size: int  # function bytes
    group: str
    functions: int
    pclntab_bytes: int = 0  # its share of the function table and of the function data
    data_bytes: int = 0  # its symbols in the data sections, and their .symtab/.strtab entries
    module: str | None = None

    @property
    def total_bytes(self) -> int:
        return self.size + self.pclntab_bytes + self.data_bytes


@dataclass(frozen=True)
class ModuleSize:
    path: str
    version: str
    total_bytes: int
    share: float  # of the file
    chain: list[str] | None = None  # import path from the main package to the module (needs the source)


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
    modules: list[ModuleSize] = field(default_factory=list)  # largest first
    attributed_by_section: dict[str, int] = field(default_factory=dict)
    unattributed_by_section: dict[str, int] = field(default_factory=dict)

    @property
    def attributed_bytes(self) -> int | None:
        if self.function_bytes is None or self.padding_bytes is None:
            return None
        return self.function_bytes + self.padding_bytes

    @property
    def unattributed_bytes(self) -> int | None:
        if not self.attributed_by_section:
            return None
        return self.file_bytes - sum(self.attributed_by_section.values())


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


def resolver_for(info: BuildInfo | None) -> PackageResolver:
    """Packages resolved against the binary's modules; a GOPATH-mode build's repository stands for its module."""
    main_path = info.main.path if info and info.main else (gopath_root(info.path) if info and info.path else None)
    return PackageResolver(main_path, [dep.path for dep in info.deps] if info else [])


def package_sizes(table: FuncTable, info: BuildInfo | None,
                  resolver: PackageResolver | None = None) -> tuple[list[PackageSize], dict[str, int]]:
    """Function bytes summed per package (padding excluded), and per group."""
    resolver = resolver or resolver_for(info)
    owners = resolver.packages(table.names)
    sizes: dict[str, int] = defaultdict(int)
    for pkg_name, func_size in zip(owners, table.sizes, strict=True):
        sizes[pkg_name] += func_size
    counts = Counter(owners)
    packages = sorted(
        (PackageSize(name, size, resolver.group(name), counts[name]) for name, size in sizes.items()),
        key=lambda p: (-p.size, p.name),
    )
    groups = dict.fromkeys(GROUPS, 0)
    for pkg in packages:
        groups[pkg.group] += pkg.size
    return packages, groups
