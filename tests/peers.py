"""Peer tools the tests compare slimgo with (dive, cosign, syft, govulncheck...), built once with `go install` and kept
between runs under ~/.cache/slimgo-peers (or $SLIMGO_PEERS_DIR) by scripts/peers.py: a later run, and CI, reuse the
binary (`make test` builds them all before pytest)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest
from scripts.peers import build, build_local, local_path, peer_path, peers_dir

__all__ = ["go_peer", "local_peer", "peers_dir"]

INSTALL_TIMEOUT = 1200  # seconds: the largest peers (syft, cosign) compile for several minutes on two cores


def go_peer(package: str, version: str, binary: str | None = None) -> Path:
    """The binary of ``package@version`` (e.g. github.com/wagoodman/dive, v0.12.0), installed on first use.

    Fails under CI=true when it cannot be built (the peer is required there); skips elsewhere.
    """
    target = peer_path(package, version, binary)
    if target.is_file():
        return target
    go = shutil.which("go")
    if go is None:
        _unavailable(f"go is not installed, so {package}@{version} cannot be built")
    problem = build(go, package, version, binary, timeout=INSTALL_TIMEOUT)
    if problem:
        _unavailable(problem)
    return target


def local_peer(source: Path) -> Path:
    """The binary of the Go program in the test tree's ``source`` directory, built on first use (as go_peer)."""
    target = local_path(source)
    if target.is_file():
        return target
    go = shutil.which("go")
    if go is None:
        _unavailable(f"go is not installed, so {source.name} cannot be built")
    problem = build_local(go, source, timeout=INSTALL_TIMEOUT)
    if problem:
        _unavailable(problem)
    return target


def _unavailable(message: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")  # pytest.skip raises
