"""`slimgo inspect` on images written by `slimgo build`: the entrypoint is read out of the layers, per platform."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from slimgo.cli.main import main
from tests.elf.gofixtures import SOURCES, go_env
from tests.inspect.test_cli_binary import SCHEMA

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("images")
    layout, archive = f"oci:{out / 'layout'}:v1", f"oci-archive:{out / 'img.tar'}:v1"
    single = f"docker-archive:{out / 'docker.tar'}"
    for outputs, platforms in (((layout, archive), "linux/amd64,linux/arm64"), ((single,), "linux/amd64")):
        args = [sys.executable, "-m", "slimgo", "build", "--platform", platforms]
        for output in outputs:
            args += ["-o", output]
        proc = subprocess.run([*args, "."], cwd=SOURCES / "tiny", env=go_env({}), capture_output=True, text=True,
                              timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr
    return {"layout": layout, "archive": archive, "docker": single}


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["inspect", "--json", "--no-layer-size", *args]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    return data


def test_every_platform_of_an_index(images: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    for key in ("layout", "archive"):
        data = _json(capsys, images[key])
        assert data["kind"] == "slimgo.inspect.reports"
        by_platform = {r["platform"]: r for r in data["reports"]}
        assert set(by_platform) == {"linux/amd64", "linux/arm64"}
        for platform, report in by_platform.items():
            assert report["image"]["platform"] == platform
            assert report["image"]["path_in_image"] == report["image"]["entrypoint"][0]
            assert report["linking"]["static"] is True
            assert report["linking"]["machine"] == platform.split("/")[1]
            assert report["go"]["path"] == "example.com/tiny"
            assert report["hardening"]["stripped"] is True  # slimgo build strips by default


def test_one_platform_and_a_docker_archive(images: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, "--platform", "linux/arm64", images["layout"])
    assert data["kind"] == "slimgo.inspect.report" and data["platform"] == "linux/arm64"
    docker = _json(capsys, images["docker"])
    assert docker["platform"] == "linux/amd64"
    assert docker["go"]["settings"]["CGO_ENABLED"] == "0"


def test_image_against_the_binary_itself(
    images: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # the report of the extracted entrypoint equals the report of the same binary built the same way
    report = _json(capsys, "--platform", "linux/amd64", images["layout"])
    assert report["go"]["settings_list"][0] == ["-buildmode", "exe"]
    assert report["size"]["file_bytes"] > 100_000
    assert report["size"]["attributed_bytes"] == report["size"]["text_bytes"]
    assert main(["inspect", "--diff", "--json", "--no-layer-size", "--platform", "linux/amd64",
                 images["layout"], images["docker"]]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["file_bytes"]["delta"] == 0  # the same reproducible build in both


def test_missing_image_and_unknown_platform(images: dict[str, str], capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    assert main(["inspect", f"oci:{tmp_path / 'none'}"]) == 2
    assert main(["inspect", "--platform", "linux/s390x", images["layout"]]) == 1
    err = capsys.readouterr().err
    assert "linux/s390x" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def registry_ref(images: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The two-platform layout image pushed to a real registry on 127.0.0.1, as docker://HOST/REPO:TAG."""
    from tests.stores.registry.conftest import start_registry, stop_registry

    base = tmp_path_factory.mktemp("inspect-registry")
    registry, process = start_registry(base / "registry", "anonymous")
    try:
        ref = f"docker://{registry.host}/inspect/tiny:v1"
        assert main(["copy", images["layout"], ref]) == 0
        yield ref
    finally:
        stop_registry(process)


def test_image_in_a_registry(registry_ref: str, images: dict[str, str], capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))  # no credentials of the user's
    capsys.readouterr()
    data = _json(capsys, registry_ref)
    assert data["kind"] == "slimgo.inspect.reports"
    assert {r["platform"] for r in data["reports"]} == {"linux/amd64", "linux/arm64"}
    assert all(r["image"]["reference"] == registry_ref and r["go"]["path"] == "example.com/tiny"
               for r in data["reports"])
    arm = _json(capsys, "--platform", "linux/arm64", registry_ref)
    local = _json(capsys, "--platform", "linux/arm64", images["layout"])
    assert arm["image"]["manifest_digest"] == local["image"]["manifest_digest"]
    assert arm["size"]["packages"] == local["size"]["packages"]
    assert main(["inspect", "--diff", "--json", "--no-layer-size", "--platform", "linux/amd64",
                 registry_ref, images["layout"]]) == 0
    assert json.loads(capsys.readouterr().out)["file_bytes"]["delta"] == 0
    missing = registry_ref.rsplit(":", 1)[0] + ":nope"
    assert main(["inspect", missing]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "does not exist" in err and "Traceback" not in err


def test_the_layer_holding_the_binary(images: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    # read the layout's blobs directly: index -> the arm64 manifest -> its last layer
    layout = Path(images["layout"].removeprefix("oci:").rsplit(":", 1)[0])

    def blob(digest: str) -> Any:
        return json.loads((layout / "blobs" / "sha256" / digest.split(":")[1]).read_text())

    index = json.loads((layout / "index.json").read_text())
    tagged = [m for m in index["manifests"] if "annotations" in m]  # not the images' SBOMs, untagged
    manifests = blob(tagged[0]["digest"])["manifests"] if len(tagged) == 1 else tagged
    arm = next(m for m in manifests if m.get("platform", {}).get("architecture") == "arm64")
    layers = blob(arm["digest"])["layers"]
    report = _json(capsys, "--platform", "linux/arm64", images["layout"])["image"]
    assert report["manifest_digest"] == arm["digest"]
    assert (report["layer_index"], report["layer_count"]) == (len(layers) - 1, len(layers))
    assert report["layer_digest"] == layers[-1]["digest"] and report["layer_bytes"] == layers[-1]["size"]
    assert report["layer_media_type"] == layers[-1]["mediaType"]
    assert main(["inspect", "--no-layer-size", "--platform", "linux/arm64", images["layout"]]) == 0
    assert f"in layer {len(layers)} of {len(layers)}: {layers[-1]['size']:,} bytes as stored" in capsys.readouterr().out
