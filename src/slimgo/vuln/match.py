"""Match one Go binary against the database: each module (replacements applied) and the standard library at the
toolchain's version against OSV ranges, then each affected advisory against the symbols the binary links."""

from __future__ import annotations

__all__ = ["PRESENT", "STDLIB", "Finding", "match_binary"]

from dataclasses import dataclass, field
from datetime import datetime

from slimgo.elf.buildinfo import BuildInfo
from slimgo.vuln import semver
from slimgo.vuln.database import Database
from slimgo.vuln.osv import Advisory, Affected, Package
from slimgo.vuln.symbols import Symbols

STDLIB = "stdlib"
PRESENT = "present"  # the vulnerable code is linked in
AFFECTED = "affected"  # the module version is affected, but none of the vulnerable symbols is linked


@dataclass(frozen=True)
class ModuleVersion:
    """A module as it was built: ``path``/``version`` after replacement; ``required`` is the go.mod line if replaced."""

    path: str
    version: str
    required: str = ""  # "path@version" of the module that was replaced, or ""


@dataclass
class Finding:
    id: str
    summary: str
    aliases: tuple[str, ...]
    module: str
    version: str  # as built ("v1.2.3"; "go1.22.1" for the standard library)
    fixed: str | None  # the first version that fixes it, in the same notation; None: no fix yet
    status: str  # PRESENT or AFFECTED
    symbols: list[str] = field(default_factory=list)  # "pkg.Symbol" found linked
    packages: list[str] = field(default_factory=list)  # vulnerable packages linked (no symbol list, or none found)
    ignored: str | None = None  # the reason, when an --ignore covers it
    replaces: str | None = None  # "path@version" the go.mod required, when a replace directive swapped it

    @property
    def url(self) -> str:
        return f"https://pkg.go.dev/vuln/{self.id}"


def is_std_package(path: str) -> bool:
    """A standard-library import path has no dot in its first element ("net/http", not "example.com/x")."""
    return bool(path) and "." not in path.split("/", 1)[0]


def modules_of(info: BuildInfo) -> list[ModuleVersion]:
    """Every module the binary was built from, replacements applied, and the standard library last."""
    found: list[ModuleVersion] = []
    for mod in ([info.main] if info.main is not None else []) + list(info.deps):
        if mod.replace is not None:
            found.append(ModuleVersion(mod.replace.path, mod.replace.version, f"{mod.path}@{mod.version}"))
        else:
            found.append(ModuleVersion(mod.path, mod.version))
    found.append(ModuleVersion(STDLIB, semver.go_tag_to_semver(info.go_version)))
    return found


def display_version(module: str, version: str) -> str:
    return semver.semver_to_go_tag(version) if module == STDLIB and version else version


class _PackageOwners:
    """Which module a linked package belongs to: std, else the longest module path that prefixes it. A package of a
    replaced module is named by its required path in the binary but by the replacement's path in the database."""

    def __init__(self, info: BuildInfo) -> None:
        self.renames: dict[str, str] = {}
        paths: list[str] = []
        for mod in ([info.main] if info.main is not None else []) + list(info.deps):
            paths.append(mod.path)
            if mod.replace is not None and mod.replace.path != mod.path and not mod.replace.path.startswith((".", "/")):
                self.renames[mod.path] = mod.replace.path
        self.paths = sorted(set(paths), key=len, reverse=True)

    def packages_by_module(self, symbols: Symbols) -> dict[str, dict[str, set[str]]]:
        owned: dict[str, dict[str, set[str]]] = {}
        for package, names in symbols.by_package.items():
            if is_std_package(package):
                owned.setdefault(STDLIB, {})[package] = names
                continue
            owner = next((p for p in self.paths if package == p or package.startswith(p + "/")), None)
            if owner is None:
                continue
            renamed = self.renames.get(owner)
            if renamed is not None:
                owner, package = renamed, renamed + package[len(owner):]
            owned.setdefault(owner, {})[package] = names
        return owned


def _platform_filter(affected: Affected, goos: str, goarch: str) -> tuple[Package, ...] | None:
    """The packages that apply on this platform; None when the advisory lists packages and none applies."""
    kept = tuple(p for p in affected.packages if p.matches_platform(goos, goarch))
    if affected.packages and not kept:
        return None
    return kept


def _linked(packages: tuple[Package, ...], linked: dict[str, set[str]]) -> tuple[list[str], list[str]]:
    """("pkg.Symbol" linked, packages linked whole) for one affected module of an advisory."""
    symbols: list[str] = []
    whole: list[str] = []
    if not packages:  # no package list: every package of the module is vulnerable
        return [], sorted(p for p, names in linked.items() if names)
    for package in packages:
        names = linked.get(package.path)
        if not names:
            continue
        if not package.symbols:
            whole.append(package.path)
        else:
            symbols.extend(f"{package.path}.{s}" for s in package.symbols if s in names)
    return symbols, whole


def _withdrawn(advisory: Advisory, now: datetime) -> bool:
    if not advisory.withdrawn:
        return False
    try:
        when = datetime.fromisoformat(advisory.withdrawn.replace("Z", "+00:00"))
    except ValueError:
        return True
    return when <= now


def match_binary(info: BuildInfo, symbols: Symbols | None, db: Database, now: datetime) -> list[Finding]:
    """Every advisory that affects a module of the binary; PRESENT when its vulnerable symbols are linked.

    Without symbols (an unreadable function table) an affected advisory counts as present: it cannot be ruled out.
    """
    goos, goarch = info.setting("GOOS") or "", info.setting("GOARCH") or ""
    owned = _PackageOwners(info).packages_by_module(symbols) if symbols is not None else {}
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for module in modules_of(info):
        for advisory in db.for_module(module.path):
            if (advisory.id, module.path) in seen or _withdrawn(advisory, now):
                continue
            finding = _match_advisory(advisory, module, goos, goarch, owned.get(module.path, {}), symbols is None)
            if finding is not None:
                seen.add((advisory.id, module.path))
                findings.append(finding)
    findings.sort(key=lambda f: (f.status != PRESENT, f.module, f.id))
    return findings


def _match_advisory(advisory: Advisory, module: ModuleVersion, goos: str, goarch: str,
                    linked: dict[str, set[str]], blind: bool) -> Finding | None:
    symbols: list[str] = []
    packages: list[str] = []
    fixed: str | None = None
    hit = False
    for affected in advisory.affected:
        if affected.module != module.path or not affected.affects(module.version):
            continue
        kept = _platform_filter(affected, goos, goarch)
        if kept is None:
            continue
        hit = True
        fixed = fixed or affected.fixed_after(module.version)
        found_symbols, found_packages = _linked(kept, linked)
        symbols.extend(found_symbols)
        packages.extend(found_packages)
    if not hit:
        return None
    status = PRESENT if blind or symbols or packages else AFFECTED
    return Finding(advisory.id, advisory.summary, advisory.aliases, module.path,
                   display_version(module.path, module.version),
                   display_version(module.path, fixed) if fixed else None, status,
                   sorted(set(symbols)), sorted(set(packages)), replaces=module.required or None)
