"""`slimgo sbom`: SPDX and CycloneDX documents that the formats' own libraries accept, reproducible, complete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slimgo.supply.contents import apk_packages, dpkg_packages, os_release
from slimgo.supply.sbom import go_purl, h1_sha256
from tests.supply.conftest import Slimgo


def _spdx_problems(path: Path) -> list[str]:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    return [m.validation_message for m in validate_full_spdx_document(parse_file(str(path)))]


def _cyclonedx_problem(text: str) -> object:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    return JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)


def test_spdx_of_an_image_is_valid_and_lists_modules_toolchain_and_base(slimgo: Slimgo, replaced_image: Path,
                                                                         tmp_path: Path) -> None:
    out = tmp_path / "sbom.spdx.json"
    result = slimgo("sbom", f"oci:{replaced_image}:v1", "-o", str(out))
    assert result.code == 0, result.err
    assert result.out == ""
    assert _spdx_problems(out) == []
    document = json.loads(out.read_text())
    packages = {p["name"]: p for p in document["packages"]}
    assert "example.com/app" in packages
    assert packages["stdlib"]["versionInfo"].startswith("go1.")
    assert "slimgo:go:module:replaces=example.com/lib@v0.0.0" in packages["example.com/lib"]["comment"]
    assert "slimgo:go:module:replaced-by-directory=../lib" in packages["example.com/lib"]["comment"]
    assert "versionInfo" not in packages["example.com/lib"]
    assert "slimgo:go:build:CGO_ENABLED=0" in packages["example.com/app"]["comment"]
    assert packages["ca-certificates"]["checksums"][0]["algorithm"] == "SHA256"
    assert packages["tzdata"]["versionInfo"][:2] == "20"
    digest = document["packages"][0]["versionInfo"].removeprefix("sha256:")
    assert document["documentNamespace"].endswith(digest)


def test_cyclonedx_of_an_image_is_valid_and_mirrors_spdx(slimgo: Slimgo, replaced_image: Path) -> None:
    cdx = slimgo("sbom", f"oci:{replaced_image}:v1", "--format", "cyclonedx")
    spdx = slimgo("sbom", f"oci:{replaced_image}:v1")
    assert cdx.code == 0 and spdx.code == 0
    assert _cyclonedx_problem(cdx.out) is None
    names = {c["name"] for c in json.loads(cdx.out)["components"]}
    assert names == {p["name"] for p in json.loads(spdx.out)["packages"][1:]}
    bom = json.loads(cdx.out)
    assert bom["serialNumber"].startswith("urn:uuid:")
    assert bom["metadata"]["component"]["type"] == "container"


def test_same_image_same_bytes_and_source_date_epoch(slimgo: Slimgo, replaced_image: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for fmt in ("spdx", "cyclonedx"):
        first = slimgo("sbom", f"oci:{replaced_image}:v1", "--format", fmt).out
        assert first and first == slimgo("sbom", f"oci:{replaced_image}:v1", "--format", fmt).out
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    dated = json.loads(slimgo("sbom", f"oci:{replaced_image}:v1").out)
    assert dated["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert slimgo("sbom", f"oci:{replaced_image}:v1").code == 2


def test_sbom_of_a_binary(slimgo: Slimgo, tmp_path: Path, replaced_image: Path) -> None:
    from slimgo.rootfs import Rootfs
    from slimgo.stores.layout import Layout

    image = Layout(replaced_image).read_artifact("v1")
    binary = tmp_path / "app"
    binary.write_bytes(Rootfs(image.layers).read("/app/app"))  # type: ignore[union-attr]
    result = slimgo("sbom", str(binary), "--format", "cyclonedx")
    assert result.code == 0, result.err
    bom = json.loads(result.out)
    assert bom["metadata"]["component"]["type"] == "application"
    assert {c["name"] for c in bom["components"]} == {"example.com/app", "stdlib", "example.com/lib"}


def test_bad_input(slimgo: Slimgo, tmp_path: Path) -> None:
    missing = slimgo("sbom", str(tmp_path / "nothing"))
    assert missing.code == 2 and "does not exist" in missing.err
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    assert slimgo("sbom", str(text)).code == 2
    assert slimgo("sbom", "oci:/nonexistent/layout:v1").code in (1, 2)
    assert slimgo("sbom", str(text), "--format", "swid").code == 2
    assert not list(tmp_path.glob("*.json"))


def test_purls_and_hashes() -> None:
    assert go_purl("github.com/BurntSushi/toml", "v1.3.2+incompatible") == \
        "pkg:golang/github.com/BurntSushi/toml@v1.3.2%2Bincompatible"
    assert go_purl("example.com/app", "(devel)") == "pkg:golang/example.com/app"
    assert h1_sha256("h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=") == \
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert h1_sha256("h1:short") == ""


def test_package_databases() -> None:
    status = (b"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\n"
              b"Description: GNU C Library\n continuation line\n\n"
              b"Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n")
    assert [(p.name, p.version, p.arch) for p in dpkg_packages(status, "/var/lib/dpkg/status")] == \
        [("libc6", "2.36-9", "amd64")]
    installed = b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\n"
    assert [(p.name, p.version) for p in apk_packages(installed, "/lib/apk/db/installed")] == \
        [("musl", "1.2.4-r2"), ("busybox", "1.36.1-r5")]
    assert os_release(b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n') == ("debian", "12")
