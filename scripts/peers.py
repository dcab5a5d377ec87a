"""Build the peer tools the tests compare slimgo with, once, into the cache tests/peers.py reads
(~/.cache/slimgo-peers/NAME-VERSION/bin/NAME, or $SLIMGO_PEERS_DIR): `make test` runs this before pytest, so a
first build on a fresh machine is not cut short by a test's time limit, and later runs reuse the binaries."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

PEERS = [
    ("golang.org/x/vuln/cmd/govulncheck", "v1.9.0"),
    ("github.com/wagoodman/dive", "v0.12.0"),
    ("github.com/google/ko", "v0.19.1"),
    ("github.com/sigstore/cosign/v2/cmd/cosign", "v2.6.5"),
    ("github.com/anchore/syft/cmd/syft", "v1.57.1"),
    ("github.com/caddyserver/caddy/v2/cmd/caddy", "v2.10.0"),
]
# Programs of the test tree itself (a directory with its go.mod), built the same way, keyed by a hash of their sources.
LOCAL_PEERS = [Path(__file__).resolve().parent.parent / "tests" / "supply" / "ggcr_registry"]
LOCAL_NAMES = {"ggcr_registry": "ggcr-registry"}


def peers_dir() -> Path:
    explicit = os.environ.get("SLIMGO_PEERS_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "slimgo-peers"


def peer_path(package: str, version: str, binary: str | None = None) -> Path:
    """Where the binary of ``package@version`` is kept: NAME-VERSION/bin/NAME under the peers directory."""
    name = binary or package.rstrip("/").rsplit("/", 1)[-1]
    return peers_dir() / f"{name}-{version}" / "bin" / name


def _once(target: Path, label: str, make: Callable[[], str | None]) -> str | None:
    """Run ``make`` unless ``target`` is there; None when done, else its error. Two processes building the same
    peer take turns on a lock file: one builds, the other finds the binary."""
    if target.is_file():
        return None
    home = target.parent.parent
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_file():
            return None
        start = time.monotonic()
        print(f"building {label} (once; kept in {home})", file=sys.stderr, flush=True)
        problem = make()
        if problem is None:
            print(f"  built in {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
        return problem


def build(go: str, package: str, version: str, binary: str | None = None, timeout: float = 3600) -> str | None:
    """Install ``package@version`` into its place unless it is there; None when done, else go's error."""
    target = peer_path(package, version, binary)

    def install() -> str | None:
        env = dict(os.environ, GOBIN=str(target.parent), CGO_ENABLED=os.environ.get("CGO_ENABLED", "0"))
        result = subprocess.run([go, "install", f"{package}@{version}"], env=env, capture_output=True, text=True,
                                timeout=timeout, check=False)
        if result.returncode != 0 or not target.is_file():
            return f"go install {package}@{version} failed:\n{result.stderr[-2000:]}"
        return None

    return _once(target, f"{package}@{version}", install)


def local_version(source: Path) -> str:
    """A version for a program of the test tree: the hash of its go.mod, go.sum and Go files."""
    digest = hashlib.sha256()
    for path in sorted(p for p in source.iterdir() if p.name in ("go.mod", "go.sum") or p.suffix == ".go"):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def local_path(source: Path) -> Path:
    name = LOCAL_NAMES.get(source.name, source.name)
    return peer_path(name, local_version(source))


def build_local(go: str, source: Path, timeout: float = 1200) -> str | None:
    """Build the Go program in ``source`` into its place unless it is there; None when done, else go's error."""
    target = local_path(source)

    def compile_it() -> str | None:
        env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=readonly -buildvcs=false")  # go.sum is complete
        partial = target.with_name(target.name + ".partial")
        result = subprocess.run([go, "build", "-o", str(partial), "."], cwd=source, env=env, capture_output=True,
                                text=True, timeout=timeout, check=False)
        if result.returncode != 0 or not partial.is_file():
            return f"go build in {source} failed:\n{result.stderr[-2000:]}"
        partial.rename(target)
        return None

    return _once(target, source.name, compile_it)


def main() -> int:
    go = shutil.which("go")
    if go is None:
        print("go is not on PATH: peers are built by the tests that need them, or skipped", file=sys.stderr)
        return 0
    for package, version in PEERS:
        problem = build(go, package, version)
        if problem:  # the tests that need this peer fail under CI with go's message; the rest still runs
            print(problem, file=sys.stderr)
    for source in LOCAL_PEERS:
        problem = build_local(go, source)
        if problem:
            print(problem, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
