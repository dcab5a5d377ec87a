"""Registry settings as one value passed from the CLI down to the docker:// transport: pull policy, TLS, parallelism."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from slimgo.errors import UsageError

PULL_POLICIES = ("always", "missing", "never")
DEFAULT_PULL = "missing"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter; Retry-After is honoured up to ``retry_after_cap``."""

    attempts: int = 6
    base: float = 0.25
    cap: float = 8.0
    retry_after_cap: float = 30.0
    connect_timeout: float = 5.0
    read_timeout: float = 60.0


@dataclass(frozen=True)
class RegistryOptions:
    pull: str = DEFAULT_PULL
    insecure: frozenset[str] = frozenset()
    jobs: int = 4
    cache_dir: Path | None = None
    # Blobs up to this size go up in one PUT; larger ones as PATCH chunks of this size, streamed from disk.
    chunk_size: int = 16 << 20
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if self.pull not in PULL_POLICIES:
            raise UsageError(f"--pull {self.pull!r}", "is not a pull policy", f"use one of {', '.join(PULL_POLICIES)}")
        if self.jobs < 1:
            raise UsageError(f"--jobs {self.jobs}", "must be at least 1", "pass --jobs 1 or more")
        if self.chunk_size < 1:
            raise UsageError(f"chunk size {self.chunk_size}", "must be positive", "use a positive size")

    def with_changes(self, **changes: Any) -> RegistryOptions:
        return replace(self, **changes)


def from_environment() -> RegistryOptions:
    """Defaults, adjusted by SLIMGO_INSECURE_REGISTRIES (comma-separated hosts) and SLIMGO_PULL."""
    insecure = frozenset(h.strip() for h in os.environ.get("SLIMGO_INSECURE_REGISTRIES", "").split(",") if h.strip())
    pull = os.environ.get("SLIMGO_PULL", DEFAULT_PULL).strip() or DEFAULT_PULL
    return RegistryOptions(pull=pull, insecure=insecure)


def from_flags(pull: str | None, insecure: tuple[str, ...], jobs: int | None = None) -> RegistryOptions:
    """The options a command's --pull, --insecure-registry and --jobs flags describe (on top of the environment)."""
    base = from_environment()
    return base.with_changes(pull=pull or base.pull, insecure=base.insecure | frozenset(insecure),
                             jobs=jobs or base.jobs)


__all__ = ["PULL_POLICIES", "RegistryOptions", "RetryPolicy", "from_environment", "from_flags"]
