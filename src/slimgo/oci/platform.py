"""Platforms (`os/arch[/variant]`) and how they map to Go's GOOS/GOARCH/GOARM/GOAMD64."""

from __future__ import annotations

__all__ = ["Platform"]

from dataclasses import dataclass
from typing import Any

from slimgo.errors import UsageError

# GOARCH for each architecture a Go toolchain can target on Linux.
GOARCHES = frozenset(
    {"386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle",
     "ppc64", "ppc64le", "riscv64", "s390x"}
)
_VARIANTS: dict[str, frozenset[str]] = {
    "arm": frozenset({"v5", "v6", "v7"}),
    "arm64": frozenset({"v8"}),
    "amd64": frozenset({"v1", "v2", "v3", "v4"}),
}
_FIX = "write platforms as os/arch[/variant], e.g. linux/amd64,linux/arm64,linux/arm/v7"


@dataclass(frozen=True, order=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise UsageError(f"platform {text!r}", "is not of the form os/arch[/variant]", _FIX)
        os_, arch = parts[0], parts[1]
        variant = parts[2] if len(parts) == 3 else ""
        if os_ != "linux":
            raise UsageError(f"platform {text!r}", f"OS {os_!r} is not supported (container images are linux)",
                             _FIX)
        if arch not in GOARCHES:
            raise UsageError(f"platform {text!r}", f"architecture {arch!r} is not a Go architecture",
                             f"use one of {', '.join(sorted(GOARCHES))}")
        if variant and variant not in _VARIANTS.get(arch, frozenset()):
            allowed = ", ".join(sorted(_VARIANTS.get(arch, frozenset()))) or "none"
            raise UsageError(f"platform {text!r}", f"variant {variant!r} is not valid for {arch}",
                             f"valid variants for {arch}: {allowed}")
        if arch == "arm" and not variant:
            variant = "v7"  # what Go builds by default for GOARCH=arm on linux and what registries expect
        if arch == "arm64" and variant == "v8":
            variant = ""  # the OCI convention: arm64 carries no variant unless it differs from v8
        return cls(os_, arch, variant)

    @classmethod
    def parse_list(cls, text: str) -> list[Platform]:
        items = [p for p in (s.strip() for s in text.split(",")) if p]
        if not items:
            raise UsageError(f"--platform {text!r}", "names no platform", _FIX)
        result: list[Platform] = []
        for item in items:
            plat = cls.parse(item)
            if plat not in result:
                result.append(plat)
        return result

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Platform:
        return cls(str(data.get("os", "")), str(data.get("architecture", "")), str(data.get("variant", "") or ""))

    def to_json(self) -> dict[str, str]:
        out = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        return out

    def go_env(self) -> dict[str, str]:
        """The environment that makes `go build` target this platform."""
        env = {"GOOS": self.os, "GOARCH": self.architecture}
        if self.architecture == "arm":
            env["GOARM"] = (self.variant or "v7").lstrip("v")
        elif self.architecture == "amd64" and self.variant:
            env["GOAMD64"] = self.variant
        return env

    def matches(self, other: Platform) -> bool:
        """Whether an image for ``other`` serves a request for ``self`` (variant only compared when asked)."""
        if (self.os, self.architecture) != (other.os, other.architecture):
            return False
        return not self.variant or self.variant == other.variant

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)
