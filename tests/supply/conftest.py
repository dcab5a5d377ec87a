"""Images built once per session for the supply-chain tests, a registry on 127.0.0.1, and the CLI in-process."""

from __future__ import annotations

import select
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from slimgo.cli.main import main
from tests.conftest import FIXTURES, require_tool
from tests.peers import local_peer
from tests.stores.registry.conftest import Registry, start_registry, stop_registry

PASSWORD = "correct horse battery staple"


@dataclass
class Result:
    code: int
    out: str
    err: str


Slimgo = Callable[..., Result]


@pytest.fixture
def slimgo(capsys: pytest.CaptureFixture[str]) -> Slimgo:
    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.setenv("SLIMGO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COSIGN_PASSWORD", PASSWORD)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.delenv("SLIMGO_PULL", raising=False)


@pytest.fixture(scope="session")
def replaced_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An OCI layout (tag v1) of the `replaced` fixture, the image alone: a main module whose dependency is replaced
    by a path."""
    require_tool("go")
    base = tmp_path_factory.mktemp("supply-image")
    shutil.copytree(FIXTURES / "replaced", base / "src")
    layout = base / "layout"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLIMGO_CACHE_DIR", str(base / "cache"))
        patch.setenv("GOFLAGS", "-mod=mod")
        code = main(["-q", "build", str(base / "src" / "app"), "-o", f"oci:{layout}:v1", "--tzdata", "always",
                     "--sbom", "none"])  # the tests attach their own; syft's oci-dir: reads a one-image layout
    assert code == 0
    return layout


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    running, process = start_registry(tmp_path_factory.mktemp("supply-registry"), "anonymous")
    yield running
    stop_registry(process)


GGCR_REGISTRY = Path(__file__).resolve().parent / "ggcr_registry"


@dataclass
class ReferrersRegistry:
    host: str  # 127.0.0.1:PORT
    log: Path  # one line per request


@pytest.fixture(scope="session")
def referrers_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReferrersRegistry]:
    """go-containerregistry's registry with the OCI 1.1 referrers API on (tests/supply/ggcr_registry)."""
    binary = local_peer(GGCR_REGISTRY)
    log = tmp_path_factory.mktemp("ggcr-registry") / "requests.log"
    with open(log, "wb") as err:
        process = subprocess.Popen([str(binary), "-addr", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=err)
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 30)
    host = process.stdout.readline().decode().strip() if ready else ""
    if not host:
        process.kill()
        process.wait(timeout=10)
        raise RuntimeError(f"the ggcr registry printed no address within 30 s: {log.read_text()[-2000:]}")
    yield ReferrersRegistry(host, log)
    stop_registry(process)
    process.stdout.close()
