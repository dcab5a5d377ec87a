"""Images built once per session for the supply-chain tests, a registry on 127.0.0.1, and the CLI in-process."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from slimgo.cli.main import main
from tests.conftest import FIXTURES, require_tool
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
    """An OCI layout (tag v1) of the `replaced` fixture: a main module whose dependency is replaced by a path."""
    require_tool("go")
    base = tmp_path_factory.mktemp("supply-image")
    shutil.copytree(FIXTURES / "replaced", base / "src")
    layout = base / "layout"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLIMGO_CACHE_DIR", str(base / "cache"))
        patch.setenv("GOFLAGS", "-mod=mod")
        code = main(["-q", "build", str(base / "src" / "app"), "-o", f"oci:{layout}:v1", "--tzdata", "always"])
    assert code == 0
    return layout


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    running, process = start_registry(tmp_path_factory.mktemp("supply-registry"), "anonymous")
    yield running
    stop_registry(process)
