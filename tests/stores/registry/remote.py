"""The registry store as the tests drive it: one session per option set, like one command's, until reset()."""

from __future__ import annotations

import os
from collections.abc import Sequence

from slimgo.oci.digest import Digest
from slimgo.stores import registry as _registry
from slimgo.stores.layout import Artifact
from slimgo.stores.progress import BarsFactory
from slimgo.stores.registry import Reference, pushed_reference
from slimgo.stores.registry.options import RegistryOptions, from_environment
from slimgo.stores.registry.session import RegistrySession

__all__ = ["Reference", "prefetch", "pushed_reference", "read", "reset", "session", "write"]

_SESSIONS: dict[tuple[RegistryOptions, str], RegistrySession] = {}


def session(opts: RegistryOptions | None = None, bars: BarsFactory | None = None) -> RegistrySession:
    opts = opts or from_environment()
    if bars is not None:
        return _registry.open_session(opts, bars)
    key = (opts, os.environ.get("DOCKER_CONFIG", ""))
    if key not in _SESSIONS:
        _SESSIONS[key] = _registry.open_session(opts)
    return _SESSIONS[key]


def reset() -> None:
    """Forget every session: the next call is a new command (new connections, tokens, credentials)."""
    _SESSIONS.clear()


def write(ref: str | Reference, artifact: Artifact, opts: RegistryOptions | None = None,
          extra_tags: Sequence[str] = (), bars: BarsFactory | None = None) -> Digest:
    return _registry.write(session(opts, bars), ref, artifact, extra_tags)


def read(ref: str | Reference, opts: RegistryOptions | None = None, prefetch: bool = True) -> Artifact:
    return _registry.read(session(opts), ref, prefetch)


def prefetch(artifact: Artifact, opts: RegistryOptions | None = None) -> None:
    _registry.prefetch(session(opts), artifact)
