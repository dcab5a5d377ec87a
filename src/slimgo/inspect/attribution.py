"""The whole file attributed to packages and modules: function bytes, their function-table share and their data."""

from __future__ import annotations

__all__ = ["DataShares", "attribute", "data_shares"]

from collections import Counter, defaultdict
from dataclasses import dataclass, replace

from slimgo.elf._reader import ElfImage
from slimgo.elf.buildinfo import BuildInfo
from slimgo.elf.gopackages import DEPENDENCIES, MAIN, NO_PACKAGE, RUNTIME, STD, PackageResolver, gopath_root
from slimgo.elf.pclntab import FuncTable
from slimgo.elf.symbols import SymbolTable, symbol_table
from slimgo.inspect.size import OUTSIDE_SECTIONS, STD_MODULE, ModuleSize, PackageSize, resolver_for

_FUNCDATA_SYMBOLS = ("go:func.*", "go.func.*")  # the function data: counted per function from the table


@dataclass(frozen=True)
class DataShares:
    """Read while the file is open: where the function data lies, and each package's bytes per section."""

    table_section: str | None  # the section holding pclntab
    funcdata_section: str | None  # the section holding the function data (`go:func.*`)
    by_package: dict[str, dict[str, int]]  # package -> section -> bytes (data symbols, .symtab and .strtab)


def data_shares(image: ElfImage, table: FuncTable, resolver: PackageResolver,
                symbols: SymbolTable | None = None) -> DataShares:
    """Each package's data symbols (unstripped binaries only) and where the function data lies."""
    source = image.section(table.header.source)
    table_section = source.name if source is not None else None
    table_end = table.shares.table_end if table.shares else 0
    funcdata_section = None
    if source is not None and source.size > table_end + 16:  # Go 1.2x put it after the table, in its section
        funcdata_section = source.name
    elif image.section(".rodata") is not None:  # before that, in .rodata
        funcdata_section = ".rodata"
    by_package: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    covered: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    nobits = {sec.name for sec in image.sections if sec.type == "SHT_NOBITS"}
    table_syms = symbols if symbols is not None else symbol_table(image)
    owners = resolver.packages(table_syms.names)
    for package, count in Counter(owners).items():
        by_package[package][".symtab"] += count * table_syms.entry_bytes
    for package, nbytes in zip(owners, table_syms.name_bytes, strict=True):
        by_package[package][".strtab"] += nbytes
    skip = {".text", *nobits}
    table_name = source.name if source is not None else None
    table_addr = source.addr if source is not None else 0
    for package, name, section, address, size in zip(owners, table_syms.names, table_syms.sections,
                                                    table_syms.addresses, table_syms.sizes, strict=True):
        if name in _FUNCDATA_SYMBOLS:
            funcdata_section = section
            continue
        if not size or section in skip:
            continue
        if section == table_name and address - table_addr < table_end:
            continue  # inside the function table itself: counted per function
        covered[section].append((address, address + size, package))
    for section, spans in covered.items():
        end = 0
        for start, stop, package in sorted(spans):
            start = max(start, end)  # an enclosing symbol's bytes are counted once
            if stop > start:
                by_package[package][section] += stop - start
                end = stop
    return DataShares(table_section, funcdata_section, {k: dict(v) for k, v in by_package.items()})


def module_of(package: str, group: str, info: BuildInfo | None, resolver: PackageResolver) -> str | None:
    """The module a package comes from: the main module, a dependency, or "std"."""
    if package == NO_PACKAGE:
        return None
    if group in (STD, RUNTIME):
        return STD_MODULE
    if group == MAIN:
        return resolver.main_path or "main"
    if "/vendor/" in package:  # a GOPATH-mode repository's vendored copy
        return gopath_root(package.split("/vendor/", 1)[1])
    found = next((dep for dep in resolver.dep_paths if package == dep or package.startswith(dep + "/")), None)
    return found or (gopath_root(package) if group == DEPENDENCIES else None)


@dataclass(frozen=True)
class Attribution:
    packages: list[PackageSize]
    modules: list[ModuleSize]
    attributed_by_section: dict[str, int]
    unattributed_by_section: dict[str, int]


def attribute(table: FuncTable, packages: list[PackageSize], data: DataShares, info: BuildInfo | None,
              sections: list[tuple[str, int]], file_bytes: int,
              resolver: PackageResolver | None = None) -> Attribution:
    """Every package's total (functions, function-table share, data), per module, and per section."""
    resolver = resolver or resolver_for(info)
    pcln: dict[str, int] = defaultdict(int)
    funcdata: dict[str, int] = defaultdict(int)
    if table.shares is not None:
        owners = resolver.packages(table.names)  # already known: package_sizes asked first
        for owner, owned, fdata in zip(owners, table.shares.pclntab, table.shares.funcdata, strict=True):
            pcln[owner] += owned
            funcdata[owner] += fdata
        inlined = table.shares.inlined  # the names inlined copies are known by
        for owner, nbytes in zip(resolver.packages(list(inlined)), inlined.values(), strict=True):
            pcln[owner] += nbytes
    by_section: dict[str, int] = defaultdict(int)
    by_section[".text"] = sum(p.size for p in packages)
    if data.table_section:
        by_section[data.table_section] += sum(pcln.values())
    if data.funcdata_section:
        by_section[data.funcdata_section] += sum(funcdata.values())
    result: list[PackageSize] = []
    known = {pkg.name for pkg in packages}
    others = {*data.by_package, *(name for name in pcln if pcln[name])} - known  # only data, or only inlined
    data_only = [PackageSize(name, 0, resolver.group(name), 0) for name in sorted(others)]
    for pkg in [*packages, *data_only]:
        own_data = data.by_package.get(pkg.name, {})
        for section, nbytes in own_data.items():
            by_section[section] += nbytes
        result.append(replace(pkg, pclntab_bytes=pcln[pkg.name] + funcdata[pkg.name],
                              data_bytes=sum(own_data.values()),
                              module=module_of(pkg.name, pkg.group, info, resolver)))
    left = {name: size - by_section.get(name, 0) for name, size in sections}
    left[OUTSIDE_SECTIONS] = file_bytes - sum(size for _, size in sections)
    unattributed = dict(sorted(((k, v) for k, v in left.items() if v > 0), key=lambda kv: -kv[1]))
    result.sort(key=lambda p: (-p.total_bytes, p.name))
    return Attribution(result, _modules(result, info, file_bytes), dict(by_section), unattributed)


def _modules(packages: list[PackageSize], info: BuildInfo | None, file_bytes: int) -> list[ModuleSize]:
    totals: dict[str, int] = defaultdict(int)
    for pkg in packages:
        if pkg.module is not None:
            totals[pkg.module] += pkg.total_bytes
    versions = {STD_MODULE: info.go_version if info else ""}
    if info is not None:
        versions.update({dep.path: dep.version for dep in info.deps})
        if info.main is not None:
            versions[info.main.path] = info.main.version
    rows = [ModuleSize(path, versions.get(path, ""), total, total / max(file_bytes, 1))
            for path, total in totals.items()]
    return sorted(rows, key=lambda m: (-m.total_bytes, m.path))
