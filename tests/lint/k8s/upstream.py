"""Upstream's k8s.io/pod-security-admission module for the tests: its fixtures (fetched with the Go toolchain,
kept between runs next to the peer tools) and the Go program in tests/fixtures/podsecurity that runs its checks."""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.conftest import FIXTURES, require_tool
from tests.peers import peers_dir

MODULE = "k8s.io/pod-security-admission"
GO_PROGRAM = FIXTURES / "podsecurity"
TIMEOUT = 600


def pinned_version() -> str:
    """The module version the Go program is built against (its go.mod), so fixtures and library agree."""
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(MODULE)} (v\S+)", (GO_PROGRAM / "go.mod").read_text(), re.M)
    assert match, "tests/fixtures/podsecurity/go.mod must require the module"
    return match.group(1)


def _unavailable(message: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


def _go_env() -> dict[str, str]:
    return {**os.environ, "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}


def module_dir(version: str) -> Path:
    """The extracted module at ``version``: `go mod download -json` once, its answer kept under the peers dir."""
    go = require_tool("go")
    home = peers_dir()
    home.mkdir(parents=True, exist_ok=True)
    record = home / f"pod-security-admission-{version}.json"
    with open(home / ".pod-security-admission.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test processes: one downloads, the other waits and reuses
        if record.is_file():
            cached = Path(json.loads(record.read_text())["Dir"])
            if (cached / "test" / "testdata").is_dir():
                return cached
        result = subprocess.run([go, "mod", "download", "-json", f"{MODULE}@{version}"], capture_output=True,
                                text=True, timeout=TIMEOUT, env=_go_env(), check=False)
        if result.returncode != 0:
            _unavailable(f"go mod download {MODULE}@{version} failed:\n{result.stdout[-1000:]}{result.stderr[-1000:]}")
        info = json.loads(result.stdout)
        record.write_text(json.dumps(info))
        return Path(info["Dir"])


def newest_release() -> str:
    """The newest release of the module the module proxy serves (`go list -m MODULE@latest`)."""
    go = require_tool("go")
    result = subprocess.run([go, "list", "-m", "-json", f"{MODULE}@latest"], capture_output=True, text=True,
                            timeout=120, env=_go_env(), cwd=GO_PROGRAM, check=False)
    if result.returncode != 0:
        _unavailable(f"go list -m {MODULE}@latest failed:\n{result.stderr[-1000:]}")
    version: str = json.loads(result.stdout)["Version"]
    return version


def build_program(out: Path) -> Path:
    go = require_tool("go")
    binary = out / "podsecurity"
    result = subprocess.run([go, "build", "-o", str(binary), "."], cwd=GO_PROGRAM, capture_output=True, text=True,
                            timeout=TIMEOUT, env=_go_env(), check=False)
    if result.returncode != 0:
        _unavailable(f"cannot build tests/fixtures/podsecurity:\n{result.stderr[-2000:]}")
    return binary


def run_program(binary: Path, cases: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Upstream's verdict and failing check IDs for each case ({path, level, version})."""
    proc = subprocess.run([str(binary)], input=json.dumps({"cases": cases}), capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)
    assert proc.returncode == 0, proc.stderr
    results: list[dict[str, Any]] = json.loads(proc.stdout)["results"]
    return results


def fixture_sets(module: Path) -> list[tuple[str, int, Path]]:
    """(level, minor version, directory) for every level and version upstream ships fixtures for."""
    out = []
    for level_dir in sorted((module / "test" / "testdata").iterdir()):
        if not level_dir.is_dir():
            continue
        for version_dir in level_dir.iterdir():
            match = re.fullmatch(r"v1\.(\d+)", version_dir.name)
            if match and version_dir.is_dir():
                out.append((level_dir.name, int(match.group(1)), version_dir))
    return sorted(out)
