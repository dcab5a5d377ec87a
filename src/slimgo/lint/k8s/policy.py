"""Pod Security policy versions and levels as upstream names them, and the policy a Namespace's labels select."""

from __future__ import annotations

__all__ = [
    "ENFORCE_LABEL",
    "ENFORCE_VERSION_LABEL",
    "LATEST_MINOR",
    "LEVELS",
    "Policy",
    "parse_level",
    "parse_version",
]

import re
from dataclasses import dataclass

# The newest Kubernetes minor release whose policy this module encodes: k8s.io/pod-security-admission v0.37.x.
# A test compares it with the newest release of that module, so a new upstream policy version is noticed.
LATEST_MINOR = 37
LEVELS = ("privileged", "baseline", "restricted")
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
ENFORCE_VERSION_LABEL = "pod-security.kubernetes.io/enforce-version"
_VERSION = re.compile(r"^v1\.([0-9]|[1-9][0-9]*)$")  # api.ParseVersion's pattern


@dataclass(frozen=True)
class Policy:
    """A level and a policy version (``None`` is "latest"); versions past the newest known act as the newest."""

    level: str = "restricted"
    minor: int | None = None

    @property
    def effective_minor(self) -> int:
        return LATEST_MINOR if self.minor is None else min(self.minor, LATEST_MINOR)


def parse_version(text: str) -> int | None:
    """The minor version of ``v1.NN`` (``None`` for ``latest``); ValueError for anything else, as upstream."""
    if text == "latest":
        return None
    match = _VERSION.match(text)
    if match is None:
        raise ValueError('must be "latest" or "v1.x"')
    return int(match.group(1))


def parse_level(text: str) -> str:
    if text not in LEVELS:
        raise ValueError(f"must be one of {', '.join(LEVELS)}")
    return text
