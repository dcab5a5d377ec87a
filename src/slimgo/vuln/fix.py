"""The smallest set of module upgrades that clears the advisories present: per module, the lowest fixed version
that none of them affects (the Go toolchain for the standard library)."""

from __future__ import annotations

__all__ = ["Upgrade", "upgrade_set"]

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from slimgo.vuln import semver
from slimgo.vuln.match import PRESENT, STDLIB, Finding
from slimgo.vuln.osv import Advisory

_MAX_CANDIDATES = 1000


@dataclass(frozen=True)
class Upgrade:
    module: str
    current: str
    target: str | None  # None: some advisory has no fixed version yet
    clears: tuple[str, ...]
    unfixed: tuple[str, ...] = field(default=())  # advisories no version fixes


def _to_semver(module: str, version: str) -> str:
    return semver.go_tag_to_semver(version) if module == STDLIB else version


def _from_semver(module: str, version: str) -> str:
    return semver.semver_to_go_tag(version) if module == STDLIB else version


def upgrade_set(findings: Iterable[Finding], advisory: Callable[[str], Advisory | None]) -> list[Upgrade]:
    """Upgrades that clear every PRESENT finding not ignored, one per module, lowest versions first."""
    by_module: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        if finding.status == PRESENT and finding.ignored is None:
            by_module.setdefault((finding.module, finding.version), []).append(finding)
    upgrades = []
    for (module, version), group in sorted(by_module.items()):
        advisories = [a for a in (advisory(f.id) for f in group) if a is not None]
        unfixed = tuple(sorted({f.id for f in group if f.fixed is None}))
        target = None if unfixed else _lowest_clear(module, _to_semver(module, version), advisories)
        upgrades.append(Upgrade(module, version, _from_semver(module, target) if target else None,
                                tuple(sorted({f.id for f in group})), unfixed))
    return upgrades


def _lowest_clear(module: str, current: str, advisories: list[Advisory]) -> str | None:
    """The lowest fixed version above ``current`` that none of ``advisories`` affects."""
    entries = [a for adv in advisories for a in adv.affected if a.module == module]
    candidates = sorted({v for a in entries for v in a.fixed_versions() if semver.compare(v, current) > 0},
                        key=semver.sort_key)
    for candidate in candidates[:_MAX_CANDIDATES]:
        if not any(a.affects(candidate) for a in entries):
            return candidate
    return None
