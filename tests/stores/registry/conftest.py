"""Real CNCF distribution registries on 127.0.0.1 (anonymous, htpasswd, token) and an isolated docker config."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Template

import pytest
import requests

from slimgo.stores.registry.session import reset_sessions
from tests.conftest import FIXTURES, require_tool
from tests.fixtures.registry.token_server import TokenServer

USER, PASSWORD = "ci", "s3cret-Passw0rd"
TEMPLATES = FIXTURES / "registry"


@dataclass
class Registry:
    host: str  # 127.0.0.1:PORT
    root: Path  # its storage directory
    kind: str
    log: Path
    tokens: TokenServer | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_registry(base: Path, kind: str, **values: str) -> tuple[Registry, subprocess.Popen[bytes]]:
    binary = require_tool("docker-registry")
    base.mkdir(parents=True, exist_ok=True)
    host = f"127.0.0.1:{free_port()}"
    config = base / "config.yml"
    config.write_text(Template((TEMPLATES / f"{kind}.yml").read_text()).substitute(
        root=str(base / "storage"), addr=host, **values))
    log = base / "registry.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([binary, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"http://{host}/v2/", timeout=1).status_code in (200, 401):
                return Registry(host, base / "storage", kind, log), process
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"docker-registry did not answer on {host} within 15 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """An anonymous registry."""
    running, process = start_registry(tmp_path_factory.mktemp("registry-anon"), "anonymous")
    yield running
    _stop(process)


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A registry behind htpasswd Basic auth (user ci)."""
    htpasswd = require_tool("htpasswd")
    base = tmp_path_factory.mktemp("registry-basic")
    line = subprocess.run([htpasswd, "-Bbn", USER, PASSWORD], capture_output=True, text=True, check=True).stdout
    (base / "htpasswd").write_text(line.strip() + "\n")
    running, process = start_registry(base / "reg", "htpasswd", htpasswd=str(base / "htpasswd"))
    yield running
    _stop(process)


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A registry behind token auth, with its token server (user ci gets every action, anonymous only pull)."""
    base = tmp_path_factory.mktemp("registry-token")
    tokens = TokenServer({USER: PASSWORD})
    realm = tokens.start()
    certs = tokens.write_certs(base / "signer.pem")
    running, process = start_registry(base / "reg", "token", realm=realm, certs=str(certs))
    running.tokens = tokens
    yield running
    _stop(process)
    tokens.stop()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own docker config and pull cache, and fresh registry sessions."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.setenv("SLIMGO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SLIMGO_INSECURE_REGISTRIES", raising=False)
    monkeypatch.delenv("SLIMGO_PULL", raising=False)
    monkeypatch.delenv("SLIMGO_REPO", raising=False)
    reset_sessions()
    yield tmp_path
    reset_sessions()


def login_file(tmp: Path, host: str, user: str = USER, password: str = PASSWORD) -> None:
    """Write a docker config.json with credentials for ``host`` (as `docker login` would)."""
    import base64
    import json

    config = Path(os.environ["DOCKER_CONFIG"])
    config.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    del tmp
