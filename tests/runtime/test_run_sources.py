"""`slimgo run` reads images from every source: an index picks the host's platform, docker:// pulls from a registry."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from slimgo.host import host_platform
from slimgo.oci.config import ImageConfig
from slimgo.oci.image import StoredImage, assemble, assemble_index
from slimgo.oci.platform import Platform
from tests.runtime.conftest import Images
from tests.runtime.procs import slimgo_run
from tests.stores.access import Location, open_image, write_artifact
from tests.stores.registry import remote
from tests.stores.registry.conftest import Registry, start_registry, stop_registry

pytestmark = pytest.mark.integration


def other_platform() -> Platform:
    host = host_platform()
    return Platform.parse("linux/riscv64" if host.architecture != "riscv64" else "linux/s390x")


def decoy(image: StoredImage) -> StoredImage:
    """The same layers under a config for a platform this machine cannot run."""
    config = ImageConfig(dict(image.config.data)).replace(**other_platform().to_json())
    return assemble(config.replace_runtime(Entrypoint=["/does/not/exist"]), list(image.layers))


def run_cli(ref: str, tmp_path: Path, code: str) -> tuple[bytes, int]:
    proc = slimgo_run(ref, "--", code, tmpdir=tmp_path / "tmp", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE)
    out, err = proc.communicate(b"from an index\n", timeout=120)
    assert not err or b"Traceback" not in err
    return out, proc.returncode


def test_index_runs_the_hosts_platform(images: Images, tmp_path: Path) -> None:
    cli = open_image(images.ref("stdincli"))
    index = assemble_index([decoy(cli), cli])  # the host's image second: found by platform, not by position
    write_artifact(Location.parse(f"oci:{tmp_path}/multi:both"), index)
    assert run_cli(f"oci:{tmp_path}/multi:both", tmp_path, "4") == (b"FROM AN INDEX\n", 4)


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.setenv("SLIMGO_CACHE_DIR", str(tmp_path / "cache"))
    remote.reset()
    running, process = start_registry(tmp_path / "registry", "anonymous")
    try:
        yield running
    finally:
        stop_registry(process)
        remote.reset()


def test_docker_transport_pulls_and_runs(images: Images, registry: Registry, tmp_path: Path) -> None:
    cli = open_image(images.ref("stdincli"))
    write_artifact(Location.parse(f"docker://{registry.host}/smoke/cli:v1"), assemble_index([cli, decoy(cli)]))
    assert run_cli(f"docker://{registry.host}/smoke/cli:v1", tmp_path, "6") == (b"FROM AN INDEX\n", 6)
