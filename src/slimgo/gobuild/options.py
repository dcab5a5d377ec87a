"""Go build options as one frozen value, and the exact `go build` flags and environment they mean."""

from __future__ import annotations

__all__ = ["GoBuildOptions", "check_goflags"]

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from slimgo.errors import UsageError
from slimgo.oci.platform import Platform

if TYPE_CHECKING:
    from slimgo.gobuild.overlay import SourceOverlay

SLIM_LDFLAGS = "-s -w"


@dataclass(frozen=True)
class GoBuildOptions:
    """How to call `go build`: slim by default (static, stripped, trimmed paths)."""

    cgo: bool = False
    strip: bool = True
    trimpath: bool = True
    ldflags: str | None = None  # added to the default "-s -w" (which --no-strip removes)
    tags: tuple[str, ...] = ()
    gcflags: str | None = None
    env: tuple[tuple[str, str], ...] = field(default=())
    extra_flags: tuple[str, ...] = ()  # further `go build` flags (a .ko.yaml's flags), passed as given
    # --strip-debug-handlers / --inject: what the overlay is planned from, and the planned overlay (-overlay)
    strip_debug_handlers: bool = False
    inject: tuple[Path, ...] = ()
    overlay: SourceOverlay | None = None

    def __post_init__(self) -> None:
        for value in (self.ldflags or "", self.gcflags or "", *self.extra_flags):
            if "-toolexec" in value:
                raise UsageError("-toolexec", "is refused: it runs an arbitrary program on every compile step",
                                 "remove -toolexec from the flags")

    def effective_ldflags(self) -> str:
        """-s -w (unless not stripping) followed by the user's ldflags, without repeating -s or -w."""
        user = (self.ldflags or "").strip()
        words = user.split()
        slim = [flag for flag in SLIM_LDFLAGS.split() if flag not in words] if self.strip else []
        return " ".join([*slim, user]).strip()

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
        out.extend(self.extra_flags)
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
