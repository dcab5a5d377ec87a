"""Peer tools the tests compare slimgo with (dive, cosign, syft, govulncheck...), built once with `go install` and kept
between runs under ~/.cache/slimgo-peers (or $SLIMGO_PEERS_DIR): a later run, and CI, reuse the binary."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

INSTALL_TIMEOUT = 1200  # seconds: the largest peers (syft, cosign) compile for several minutes on two cores


def peers_dir() -> Path:
    explicit = os.environ.get("SLIMGO_PEERS_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "slimgo-peers"


def go_peer(package: str, version: str, binary: str | None = None) -> Path:
    """The binary of ``package@version`` (e.g. github.com/wagoodman/dive, v0.12.0), installed on first use.

    Fails under CI=true when it cannot be built (the peer is required there); skips elsewhere.
    """
    name = binary or package.rstrip("/").rsplit("/", 1)[-1]
    home = peers_dir() / f"{name}-{version}"
    target = home / "bin" / name
    if target.is_file():
        return target
    go = shutil.which("go")
    if go is None:
        _unavailable(f"go is not installed, so {package}@{version} cannot be built")
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test processes building the same peer: one builds, one waits
        if target.is_file():
            return target
        env = dict(os.environ, GOBIN=str(home / "bin"), CGO_ENABLED=os.environ.get("CGO_ENABLED", "0"))
        result = subprocess.run([go, "install", f"{package}@{version}"], env=env, capture_output=True, text=True,
                                timeout=INSTALL_TIMEOUT, check=False)
        if result.returncode != 0 or not target.is_file():
            _unavailable(f"go install {package}@{version} failed:\n{result.stderr[-2000:]}")
    return target


def _unavailable(message: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")  # pytest.skip raises
