"""Go's version semantics (golang.org/x/mod/semver): pseudo-versions, +incompatible, and go1.N.M toolchain tags."""

from __future__ import annotations

__all__ = ["canonical_prefix", "compare", "go_tag_to_semver", "semver_to_go_tag", "sort_key"]

import re
from functools import cache, cmp_to_key

_SEMVER = re.compile(
    r"^v(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*)(?:\.(?P<patch>0|[1-9]\d*))?)?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
_GO_TAG = re.compile(r"^go(\d+\.\d+)(\.\d+|)((beta|rc|-pre)(\d+))?$")

Key = tuple[int, int, int, tuple[tuple[int, int | str], ...] | None]


@cache
def parse(version: str) -> Key | None:
    """A sort key for a canonical "vX.Y.Z[-pre][+build]" (build metadata such as +incompatible is ignored)."""
    found = _SEMVER.match(version)
    if found is None:
        return None
    # vX and vX.Y are valid shorthands only without a prerelease or build suffix, as in x/mod/semver
    short = found["minor"] is None or found["patch"] is None
    if short and (found["pre"] is not None or found["build"] is not None):
        return None
    pre: tuple[tuple[int, int | str], ...] | None = None
    if found["pre"] is not None:
        parts = found["pre"].split(".")
        if any(p.isdigit() and len(p) > 1 and p.startswith("0") for p in parts):
            return None  # numeric identifiers have no leading zeros
        pre = tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)
    return int(found["major"]), int(found["minor"] or 0), int(found["patch"] or 0), pre


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as x/mod/semver.Compare: an invalid version is below every valid one and equal to another."""
    ka, kb = parse(a), parse(b)
    if ka is None or kb is None:
        return (ka is not None) - (kb is not None)
    if ka[:3] != kb[:3]:
        return -1 if ka[:3] < kb[:3] else 1
    pa, pb = ka[3], kb[3]
    if pa == pb:
        return 0
    if pa is None:  # a release sorts after all of its prereleases
        return 1
    if pb is None:
        return -1
    return -1 if _pre_less(pa, pb) else 1


def _pre_less(a: tuple[tuple[int, int | str], ...], b: tuple[tuple[int, int | str], ...]) -> bool:
    for x, y in zip(a, b, strict=False):
        if x != y:
            if x[0] != y[0]:
                return x[0] < y[0]  # numeric identifiers sort before alphanumeric ones
            return x[1] < y[1]  # type: ignore[operator]  # same kind on both sides
    return len(a) < len(b)


sort_key = cmp_to_key(compare)


def canonical_prefix(version: str) -> str:
    """OSV writes "1.2.3" and Go "v1.2.3" or "go1.21.0": all compare as "v1.2.3" (as govulncheck's semver does)."""
    bare = version.removeprefix("v").removeprefix("go")
    return "v" + bare


def go_tag_to_semver(tag: str) -> str:
    """"go1.21.3" -> "v1.21.3", "go1.20" -> "v1.20.0", "go1.21rc2" -> "v1.21.0-rc.2"; "" when not a Go release tag.

    A toolchain with a suffix ("go1.22.1 X:boringcrypto", "go1.23.0-fips") is its release.
    """
    fields = tag.split()
    if not fields:
        return ""
    tag = fields[0].split("-", 1)[0] if "-pre" not in fields[0] else fields[0]
    if tag == "go1":
        return "v1.0.0"
    found = _GO_TAG.match(tag)
    if found is None:
        return ""
    version = "v" + found[1] + (found[2] or ".0")
    if found[3]:
        version += ("" if found[4].startswith("-") else "-") + found[4] + "." + found[5]
    return version


def semver_to_go_tag(version: str) -> str:
    """"v1.21.3" -> "go1.21.3"; "v1.20.0" -> "go1.20" (no ".0" before 1.21); "v1.21.0-rc.2" -> "go1.21rc2"."""
    key = parse(canonical_prefix(version))
    if key is None:
        return version
    major, minor, patch, pre = key
    text = f"go{major}.{minor}"
    if patch or (compare(f"v{major}.{minor}.{patch}", "v1.21.0") >= 0 and pre is None):
        text += f".{patch}"
    if pre:
        text += "".join(str(part[1]) for part in pre)
    return text
