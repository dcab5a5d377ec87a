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

from tests.conftest import FIXTURES, require_tool
from tests.fixtures.registry.token_server import TokenServer
from tests.stores.registry import remote

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


def stop_registry(process: subprocess.Popen[bytes]) -> None:
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
    stop_registry(process)


def start_basic_registry(base: Path) -> tuple[Registry, subprocess.Popen[bytes]]:
    """A registry in ``base`` behind htpasswd Basic auth, for USER with PASSWORD."""
    htpasswd = require_tool("htpasswd")
    line = subprocess.run([htpasswd, "-Bbn", USER, PASSWORD], capture_output=True, text=True, check=True).stdout
    (base / "htpasswd").write_text(line.strip() + "\n")
    return start_registry(base / "reg", "htpasswd", htpasswd=str(base / "htpasswd"))


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A registry behind htpasswd Basic auth (user ci)."""
    running, process = start_basic_registry(tmp_path_factory.mktemp("registry-basic"))
    yield running
    stop_registry(process)


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
    stop_registry(process)
    tokens.stop()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A CA-flagged self-signed certificate for 127.0.0.1 and 0.0.0.0 (a name slimgo does not treat as local)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "slimgo test registry")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.IPAddress(ipaddress.ip_address("0.0.0.0"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="session")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, Path]]:
    """A registry serving TLS with a self-signed certificate; yields it and the certificate (a CA bundle)."""
    base = tmp_path_factory.mktemp("registry-tls")
    cert, key = self_signed(base / "certs")
    binary = require_tool("docker-registry")
    host = f"127.0.0.1:{free_port()}"
    config = base / "config.yml"
    config.write_text(Template((TEMPLATES / "tls.yml").read_text()).substitute(
        root=str(base / "storage"), addr=host, cert=str(cert), key=str(key)))
    with open(base / "registry.log", "wb") as out:
        process = subprocess.Popen([binary, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if requests.get(f"https://{host}/v2/", timeout=1, verify=str(cert)).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.05)
    else:
        stop_registry(process)
        raise RuntimeError(f"the TLS registry did not answer on {host} within 15 s")
    yield Registry(host, base / "storage", "tls", base / "registry.log"), cert
    stop_registry(process)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own docker config and pull cache, and fresh registry sessions."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.setenv("SLIMGO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SLIMGO_INSECURE_REGISTRIES", raising=False)
    monkeypatch.delenv("SLIMGO_PULL", raising=False)
    monkeypatch.delenv("SLIMGO_REPO", raising=False)
    remote.reset()
    yield tmp_path
    remote.reset()


def login_file(tmp: Path, host: str, user: str = USER, password: str = PASSWORD) -> None:
    """Write a docker config.json with credentials for ``host`` (as `docker login` would)."""
    import base64
    import json

    config = Path(os.environ["DOCKER_CONFIG"])
    config.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    del tmp
