"""Go build options as one frozen value, and the exact `go build` flags and environment they mean."""

from __future__ import annotations

__all__ = ["GoBuildOptions", "check_goflags"]

import shlex
from dataclasses import dataclass, field

from slimgo.errors import UsageError
from slimgo.oci.platform import Platform

SLIM_LDFLAGS = "-s -w"


@dataclass(frozen=True)
class GoBuildOptions:
    """How to call `go build`: slim by default (static, stripped, trimmed paths)."""

    cgo: bool = False
    strip: bool = True
    trimpath: bool = True
    ldflags: str | None = None  # replaces the default "-s -w" when given
    tags: tuple[str, ...] = ()
    gcflags: str | None = None
    env: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        for value in (self.ldflags or "", self.gcflags or ""):
            if "-toolexec" in value:
                raise UsageError("-toolexec", "is refused: it runs an arbitrary program on every compile step",
                                 "remove -toolexec from the flags")

    def effective_ldflags(self) -> str:
        if self.ldflags is not None:
            return self.ldflags
        return SLIM_LDFLAGS if self.strip else ""

    def flags(self) -> list[str]:
        out: list[str] = []
        if self.trimpath:
            out.append("-trimpath")
        ldflags = self.effective_ldflags()
        if ldflags:
            out.append(f"-ldflags={ldflags}")
        if self.tags:
            out.append(f"-tags={','.join(self.tags)}")
        if self.gcflags:
            out.append(f"-gcflags={self.gcflags}")
        return out

    def environment(self, platform: Platform) -> dict[str, str]:
        env = dict(self.env)
        env.update(platform.go_env())
        env["CGO_ENABLED"] = "1" if self.cgo else "0"
        return env


def check_goflags(goflags: str) -> None:
    """Refuse -toolexec arriving through GOFLAGS (the user's environment is otherwise respected)."""
    try:
        words = shlex.split(goflags)
    except ValueError:
        words = goflags.split()
    if any(w.lstrip("-").startswith("toolexec") for w in words):
        raise UsageError("GOFLAGS", "contains -toolexec, which slimgo refuses: it runs an arbitrary program "
                         "on every compile step", "unset GOFLAGS or remove -toolexec from it")
