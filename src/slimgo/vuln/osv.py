"""OSV advisories of the Go vulnerability database, reduced to what matching needs, and Go's range semantics."""

from __future__ import annotations

__all__ = ["Advisory", "AdvisoryError", "Affected", "Package", "from_record", "parse_entry", "to_record"]

from dataclasses import dataclass
from typing import Any

from slimgo.vuln import semver


class AdvisoryError(ValueError):
    """An advisory file that is not a usable OSV entry (it is skipped and counted)."""


@dataclass(frozen=True)
class Package:
    """One vulnerable package of a module; no symbols means every symbol of the package."""

    path: str
    symbols: tuple[str, ...] = ()
    goos: tuple[str, ...] = ()
    goarch: tuple[str, ...] = ()

    def matches_platform(self, goos: str, goarch: str) -> bool:
        return (not goos or not self.goos or goos in self.goos) and (
            not goarch or not self.goarch or goarch in self.goarch)


@dataclass(frozen=True)
class Affected:
    """A module an advisory affects: its SEMVER ranges (events in OSV order) and its packages."""

    module: str
    ranges: tuple[tuple[tuple[str, str], ...], ...]  # per range: (("introduced", "0"), ("fixed", "1.2.3"), ...)
    all_versions: bool  # no SEMVER range at all: every version is affected (as govulncheck reads it)
    packages: tuple[Package, ...] = ()

    def affects(self, version: str) -> bool:
        """Whether ``version`` ("v1.2.3", a pseudo-version, "v1.21.0" for the stdlib) lies in a range."""
        if not version or version == "(devel)":
            return False  # an unknown version is never reported: it would only be a guess
        return self.all_versions or any(_in_range(events, version) for events in self.ranges)

    def fixed_after(self, version: str) -> str | None:
        """The first version that fixes the range ``version`` lies in ("v1.2.4"), or None when there is no fix."""
        for events in self.ranges:
            if _in_range(events, version):
                for kind, value in _sorted_events(events):
                    if kind == "fixed" and semver.compare(semver.canonical_prefix(value), version) > 0:
                        return semver.canonical_prefix(value)
                return None
        return None

    def fixed_versions(self) -> list[str]:
        return sorted({semver.canonical_prefix(v) for events in self.ranges for k, v in events if k == "fixed"},
                      key=semver.sort_key)


@dataclass(frozen=True)
class Advisory:
    id: str
    summary: str
    aliases: tuple[str, ...]
    published: str
    modified: str
    withdrawn: str
    affected: tuple[Affected, ...]

    @property
    def url(self) -> str:
        return f"https://pkg.go.dev/vuln/{self.id}"


def _sorted_events(events: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """Events in version order, the beginning of time ("introduced": "0") first (govulncheck's order)."""
    def key(event: tuple[str, str]) -> tuple[int, object]:
        kind, value = event
        if kind == "introduced" and value == "0":
            return (0, 0)
        return (1, semver.sort_key(semver.canonical_prefix(value)))
    return sorted(events, key=key)


def _in_range(events: tuple[tuple[str, str], ...], version: str) -> bool:
    if not events:
        return True
    version = semver.canonical_prefix(version)
    affected = False
    for kind, value in _sorted_events(events):
        if not affected and kind == "introduced":
            affected = value == "0" or semver.compare(version, semver.canonical_prefix(value)) >= 0
        elif affected and kind == "fixed":
            affected = semver.compare(version, semver.canonical_prefix(value)) < 0
    return affected


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise AdvisoryError(f"{what} is not a list of strings")
    return tuple(value)


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AdvisoryError(f"{what} is not a string")
    return value


def _ranges(raw: Any) -> tuple[tuple[tuple[tuple[str, str], ...], ...], bool]:
    if raw is None:
        return (), True
    if not isinstance(raw, list):
        raise AdvisoryError("ranges is not a list")
    ranges = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("events", []), list):
            raise AdvisoryError("a range is not an object with a list of events")
        if item.get("type") != "SEMVER":
            continue
        events = []
        for event in item.get("events") or []:
            if not isinstance(event, dict):
                raise AdvisoryError("a range event is not an object")
            for kind in ("introduced", "fixed"):
                if isinstance(event.get(kind), str) and event[kind]:
                    events.append((kind, event[kind]))
        ranges.append(tuple(events))
    return tuple(ranges), not ranges


def _packages(raw: Any) -> tuple[Package, ...]:
    specific = raw or {}
    if not isinstance(specific, dict):
        raise AdvisoryError("ecosystem_specific is not an object")
    imports = specific.get("imports") or []
    if not isinstance(imports, list):
        raise AdvisoryError("ecosystem_specific.imports is not a list")
    packages = []
    for item in imports:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise AdvisoryError("an import is not an object with a path")
        packages.append(Package(item["path"], _strings(item.get("symbols"), "symbols"),
                                _strings(item.get("goos"), "goos"), _strings(item.get("goarch"), "goarch")))
    return tuple(packages)


def parse_entry(data: Any) -> Advisory:
    """An Advisory from a decoded OSV document; AdvisoryError when it is not one."""
    if not isinstance(data, dict):
        raise AdvisoryError("is not a JSON object")
    ident = data.get("id")
    if not isinstance(ident, str) or not ident:
        raise AdvisoryError("has no id")
    raw_affected = data.get("affected") or []
    if not isinstance(raw_affected, list):
        raise AdvisoryError("affected is not a list")
    affected = []
    for item in raw_affected:
        if not isinstance(item, dict) or not isinstance(item.get("package"), dict):
            raise AdvisoryError("an affected entry has no package")
        package = item["package"]
        if package.get("ecosystem", "Go") != "Go" or not isinstance(package.get("name"), str):
            continue
        ranges, all_versions = _ranges(item.get("ranges"))
        affected.append(Affected(package["name"], ranges, all_versions, _packages(item.get("ecosystem_specific"))))
    return Advisory(ident, _text(data.get("summary"), "summary"), _strings(data.get("aliases"), "aliases"),
                    _text(data.get("published"), "published"), _text(data.get("modified"), "modified"),
                    _text(data.get("withdrawn"), "withdrawn"), tuple(affected))


def to_record(adv: Advisory) -> dict[str, Any]:
    """The compact form kept in the index (short keys, empty fields left out)."""
    record: dict[str, Any] = {"id": adv.id, "s": adv.summary, "a": list(adv.aliases), "p": adv.published,
                              "m": adv.modified}
    if adv.withdrawn:
        record["w"] = adv.withdrawn
    record["af"] = [
        {"m": a.module, "r": [[list(e) for e in events] for events in a.ranges], "all": a.all_versions,
         "pk": [{"p": p.path, "s": list(p.symbols), "os": list(p.goos), "ar": list(p.goarch)} for p in a.packages]}
        for a in adv.affected
    ]
    return record


def from_record(record: dict[str, Any]) -> Advisory:
    affected = tuple(
        Affected(a["m"], tuple(tuple((k, v) for k, v in events) for events in a["r"]), bool(a["all"]),
                 tuple(Package(p["p"], tuple(p["s"]), tuple(p["os"]), tuple(p["ar"])) for p in a["pk"]))
        for a in record["af"]
    )
    return Advisory(record["id"], record["s"], tuple(record["a"]), record["p"], record["m"], record.get("w", ""),
                    affected)
