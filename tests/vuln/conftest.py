"""Fixtures for the vuln tests: the Go vulnerability database (fetched once through the Go module proxy and kept
between runs like the peer tools), fixture binaries with deliberately old dependencies, and govulncheck."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from slimgo.cachedir import cache_root
from tests.conftest import require_tool
from tests.peers import _unavailable, go_peer, peers_dir

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOVULNCHECK = ("golang.org/x/vuln/cmd/govulncheck", "v1.9.0")
OLD_TOOLCHAIN = "go1.22.0"


@dataclass(frozen=True)
class VulnDb:
    version: str  # the golang.org/x/vulndb version the tests use
    osv_dir: Path  # its data/osv, the same snapshot govulncheck reads


def _kept_index() -> Path:
    """The indexed database kept between runs: fetched on the first run, then reused (CI caches this directory)."""
    from slimgo.gobuild.moddownload import download
    from slimgo.vuln.database import open_module

    keep = peers_dir() / "vulndb" / "vuln"
    keep.mkdir(parents=True, exist_ok=True)
    with open(keep.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (keep / "current.json").is_file():
            try:
                open_module(keep, download, refresh=True)
            except Exception as err:  # no module proxy reachable: the database cannot be had
                _unavailable(f"the Go vulnerability database could not be fetched: {err}")
    return keep


@pytest.fixture(scope="session")
def vulndb() -> VulnDb:
    """The session's slimgo cache gets a copy of the kept index, so the verb runs offline on a known snapshot."""
    from slimgo.gobuild.moddownload import download
    from slimgo.vuln.database import VULNDB_MODULE

    require_tool("go")
    keep = _kept_index()
    target = cache_root() / "vuln"
    if not (target / "current.json").is_file():
        shutil.copytree(keep, target, dirs_exist_ok=True)
    version = json.loads((keep / "current.json").read_text())["version"]
    try:
        fetched = download(VULNDB_MODULE, version, "check GOPROXY")  # a module-cache hit after the first run
    except Exception as err:
        _unavailable(f"golang.org/x/vulndb@{version} could not be fetched: {err}")
    return VulnDb(version, fetched.dir / "data" / "osv")


def build_fixture(name: str, out: Path, *, flags: tuple[str, ...] = (), env: Mapping[str, str] | None = None) -> Path:
    """Build tests/vuln/fixtures/NAME (a copy: `go build` may add go.sum lines) into ``out``."""
    go = require_tool("go")
    src = out / f"src-{name}"
    if not src.exists():
        shutil.copytree(FIXTURES / name, src)
    binary = out / (name + "".join(f.split("=")[0].replace("-", "_") for f in flags))
    full_env = {**os.environ, "GOFLAGS": "-mod=mod -buildvcs=false", "CGO_ENABLED": "0", "GOTOOLCHAIN": "local",
                "GOOS": "linux", "GOARCH": "amd64", **(env or {})}
    proc = subprocess.run([go, "build", "-o", str(binary), *flags, "."], cwd=src, env=full_env, capture_output=True,
                          text=True, timeout=900, check=False)
    if proc.returncode != 0:
        if env and "GOTOOLCHAIN" in env and not os.environ.get("CI"):
            pytest.skip(f"the {env['GOTOOLCHAIN']} toolchain could not be fetched: {proc.stderr[-500:]}")
        raise RuntimeError(f"go build of fixture {name} failed:\n{proc.stderr}")
    return binary


@pytest.fixture(scope="session")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("vuln-bin")
    return {
        "textcall": build_fixture("textcall", out),
        "textcall_stripped": build_fixture("textcall", out, flags=("-ldflags=-s -w",)),
        "textparse": build_fixture("textparse", out),
        "textreplaced": build_fixture("textreplaced", out),
    }


@pytest.fixture(scope="session")
def old_toolchain_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A binary whose standard library is go1.22.0: the toolchain is fetched through the module proxy."""
    return build_fixture("stdold", tmp_path_factory.mktemp("vuln-old"), env={"GOTOOLCHAIN": OLD_TOOLCHAIN})


@pytest.fixture(scope="session")
def govulncheck() -> Path:
    return go_peer(*GOVULNCHECK)
