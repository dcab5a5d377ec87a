"""Every Go module syft finds, slimgo lists too (name and version): on caddy's binary and on a built image."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.peers import go_peer
from tests.supply.conftest import Slimgo

pytestmark = pytest.mark.integration
SYFT = ("github.com/anchore/syft/cmd/syft", "v1.57.1")
CADDY = ("github.com/caddyserver/caddy/v2/cmd/caddy", "v2.10.0")


def _syft_modules(source: str, tmp_path: Path) -> set[tuple[str, str]]:
    env = dict(os.environ, SYFT_CHECK_FOR_APP_UPDATE="false", HOME=str(tmp_path / "home"),
               XDG_CACHE_HOME=str(tmp_path / "xdg"))
    result = subprocess.run([str(go_peer(*SYFT)), "scan", source, "-o", "json", "-q"], capture_output=True,
                            text=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return {(a["name"], a["version"]) for a in json.loads(result.stdout)["artifacts"] if a["type"] == "go-module"}


def _slimgo_modules(slimgo: Slimgo, target: str) -> set[tuple[str, str]]:
    """(name, version) of every component; syft's UNKNOWN is slimgo's "(devel)" main module or a version left
    out (a dependency replaced by a local directory), so those are listed under UNKNOWN too."""
    result = slimgo("sbom", target, "--format", "cyclonedx")
    assert result.code == 0, result.err
    found = set()
    for component in json.loads(result.out)["components"]:
        version = component.get("version", "")
        found.add((component["name"], "UNKNOWN" if version in ("", "(devel)") else version))
    return found


def test_every_module_syft_finds_in_caddy(slimgo: Slimgo, tmp_path: Path) -> None:
    caddy = go_peer(*CADDY)
    syft = _syft_modules(f"file:{caddy}", tmp_path)
    assert len(syft) > 100  # caddy links well over a hundred modules
    assert syft <= _slimgo_modules(slimgo, str(caddy))


def test_every_module_syft_finds_in_an_image(slimgo: Slimgo, replaced_image: Path, tmp_path: Path) -> None:
    syft = _syft_modules(f"oci-dir:{replaced_image}", tmp_path)
    assert ("stdlib", next(v for n, v in syft if n == "stdlib")) in syft
    assert syft <= _slimgo_modules(slimgo, f"oci:{replaced_image}:v1")


def test_debian_packages_of_a_pulled_base(slimgo: Slimgo, tmp_path: Path) -> None:
    """An image made of real Debian packages with their dpkg status: every package syft finds, slimgo lists."""
    from tests.analyze.debian import debian_image

    archive = debian_image(tmp_path / "debian.tar")
    env = dict(os.environ, SYFT_CHECK_FOR_APP_UPDATE="false", HOME=str(tmp_path / "home"),
               XDG_CACHE_HOME=str(tmp_path / "xdg"))
    result = subprocess.run([str(go_peer(*SYFT)), "scan", f"docker-archive:{archive}", "-o", "json", "-q"],
                            capture_output=True, text=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    syft = {(a["name"], a["version"]) for a in json.loads(result.stdout)["artifacts"] if a["type"] == "deb"}
    assert {"libc6", "dash", "busybox-static"} <= {name for name, _ in syft}
    ours = slimgo("sbom", f"docker-archive:{archive}", "--format", "cyclonedx")
    assert ours.code == 0, ours.err
    components = json.loads(ours.out)["components"]
    assert syft <= {(c["name"], c.get("version", "")) for c in components}
    assert all(c["purl"].startswith("pkg:deb/") for c in components if c["name"] in ("libc6", "dash"))
