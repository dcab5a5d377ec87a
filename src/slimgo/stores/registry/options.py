"""Registry settings that travel from the CLI to the docker:// transport: pull policy, TLS exceptions, parallelism."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from slimgo.errors import UsageError

PULL_POLICIES = ("always", "missing", "never")


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
    pull: str = "always"
    insecure: frozenset[str] = frozenset()
    jobs: int = 4
    cache_dir: Path | None = None
    # Blobs up to this size go up in one PUT; larger ones as PATCH chunks of this size, streamed from disk.
    chunk_size: int = 16 << 20
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    progress: bool | None = None  # None: bars only when stderr is a terminal

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
    pull = os.environ.get("SLIMGO_PULL", "always").strip() or "always"
    return RegistryOptions(pull=pull, insecure=insecure)


_CURRENT: ContextVar[RegistryOptions | None] = ContextVar("slimgo_registry_options", default=None)
# Worker threads (a build's thread pool) do not inherit context variables: they fall back to this.
_PROCESS: list[RegistryOptions] = []


def current() -> RegistryOptions:
    opts = _CURRENT.get()
    if opts is None and _PROCESS:
        opts = _PROCESS[-1]
    return opts if opts is not None else from_environment()


@contextmanager
def using(opts: RegistryOptions) -> Iterator[RegistryOptions]:
    """The options the docker:// transport uses inside this block, in this thread and in threads it starts."""
    token = _CURRENT.set(opts)
    _PROCESS.append(opts)
    try:
        yield opts
    finally:
        _PROCESS.remove(opts)
        _CURRENT.reset(token)


def from_flags(pull: str, insecure: tuple[str, ...], jobs: int | None = None) -> RegistryOptions:
    """The options a command's --pull, --insecure-registry and --jobs flags describe (on top of the environment)."""
    base = from_environment()
    return base.with_changes(pull=pull, insecure=base.insecure | frozenset(insecure), jobs=jobs or base.jobs)
