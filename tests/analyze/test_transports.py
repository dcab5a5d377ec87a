"""`slimgo analyze` reads every transport without a daemon, and picks one platform of a multi-platform index:
an OCI layout, an oci-archive, and a registry (docker://, a local docker-registry on 127.0.0.1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from slimgo.cli.main import main
from slimgo.layer import Entry, build_layer
from slimgo.oci.config import ImageConfig
from slimgo.oci.image import ImageIndex, assemble, assemble_index
from slimgo.oci.platform import Platform
from tests.schemas import validate
from tests.stores.access import Location, write_artifact
from tests.stores.registry.conftest import start_registry, stop_registry


def _index(work: Path) -> ImageIndex:
    images = []
    for arch, shell in (("amd64", False), ("arm64", True)):
        entries = [Entry("app/server", mode=0o755, data=arch.encode() * 1000)]
        if shell:
            entries.append(Entry("bin/sh", mode=0o755, data=b"\x7fELF" + bytes(5000)))
        layer = build_layer(entries, work)
        config = ImageConfig.empty(Platform.parse(f"linux/{arch}")).replace_runtime(User="65532",
                                                                                    Entrypoint=["/app/server"])
        images.append(assemble(config, [layer]))
    return assemble_index(images)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    running, process = start_registry(tmp_path_factory.mktemp("registry"), "anonymous")
    yield running.host
    stop_registry(process)


@pytest.mark.parametrize("transport", ["oci", "oci-archive", "docker"])
def test_one_platform_of_an_index_in_every_transport(transport: str, tmp_path: Path, registry: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    index = _index(tmp_path)
    spec = {"oci": f"oci:{tmp_path}/layout:multi", "oci-archive": f"oci-archive:{tmp_path}/multi.tar:multi",
            "docker": f"docker://{registry}/analyze/multi:1"}[transport]
    write_artifact(Location.parse(spec), index)
    for arch, shells in (("arm64", 1), ("amd64", 0)):
        assert main(["analyze", "--json", "--platform", f"linux/{arch}", spec]) == 0
        doc = json.loads(capsys.readouterr().out)
        validate(doc, "analyze")
        assert doc["image"]["platform"] == f"linux/{arch}"
        assert doc["image"]["reference"] == spec
        assert len([f for f in doc["findings"] if f["rule"] == "SG301"]) == shells
        assert doc["layers"][0]["media_type"].endswith("tar+gzip")
        assert doc["layers"][0]["uncompressed_size"] > doc["layers"][0]["size"]
    assert main(["analyze", "--platform", "linux/s390x", spec]) == 1
    assert "linux/amd64, linux/arm64" in capsys.readouterr().err
