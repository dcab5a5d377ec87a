"""Referrers in a registry with the OCI 1.1 referrers API (go-containerregistry's, tests/supply/ggcr_registry): a
build's SBOMs, provenance and signature are listed by GET /v2/<name>/referrers/<digest>, no referrers fallback tag
is written, slimgo reads them back, and cosign finds the signature referrer with --experimental-oci11."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.supply.conftest import ReferrersRegistry, Slimgo
from tests.supply.test_cosign_interop import _cosign

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INDEX = "application/vnd.oci.image.index.v1+json"
SPDX, CYCLONEDX, IN_TOTO = "application/spdx+json", "application/vnd.cyclonedx+json", "application/vnd.in-toto+json"
SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json"


def _referrers(registry: ReferrersRegistry, repository: str, digest: str) -> list[dict[str, Any]]:
    """The referrers API's list, each with the artifactType its manifest says (this registry lists the config's
    media type instead, the empty one for an SBOM)."""
    answer = requests.get(f"http://{registry.host}/v2/{repository}/referrers/{digest}", timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(INDEX)
    manifests: list[dict[str, Any]] = answer.json()["manifests"]
    for entry in manifests:
        manifest = requests.get(f"http://{registry.host}/v2/{repository}/manifests/{entry['digest']}",
                                headers={"Accept": entry["mediaType"]}, timeout=10).json()
        assert manifest["subject"]["digest"] == digest
        entry["artifactType"] = manifest.get("artifactType") or manifest["config"]["mediaType"]
    return manifests


def _tags(registry: ReferrersRegistry, repository: str) -> list[str]:
    tags: list[str] = requests.get(f"http://{registry.host}/v2/{repository}/tags/list", timeout=10).json()["tags"]
    return tags


def _build(slimgo: Slimgo, tmp_path: Path, image: str, *extra: str) -> str:
    source = tmp_path / "hello"
    shutil.copytree(EXAMPLES / "hello", source)
    built = slimgo("build", str(source), "-o", image, *extra)
    assert built.code == 0, built.err
    return built.out.strip().splitlines()[-1].rsplit("@", 1)[1]


def test_build_attaches_through_the_referrers_api(slimgo: Slimgo, referrers_registry: ReferrersRegistry,
                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "k")).code == 0
    image = f"docker://{referrers_registry.host}/api/hello:v1"
    digest = _build(slimgo, tmp_path, image, "--sbom", "spdx,cyclonedx", "--provenance", "--sign",
                    str(tmp_path / "k.key"))
    listed = _referrers(referrers_registry, "api/hello", digest)
    assert sorted(m["artifactType"] for m in listed) == sorted([SPDX, CYCLONEDX, IN_TOTO, SIGNATURE])
    tags = _tags(referrers_registry, "api/hello")
    assert digest.replace(":", "-") not in tags  # no referrers fallback tag: the registry lists them itself
    assert f"{digest.replace(':', '-')}.sig" in tags  # the signature is also where cosign looks by default
    monkeypatch.setenv("SLIMGO_CACHE_DIR", str(tmp_path / "fresh-cache"))  # every read goes to the registry
    for fmt, media_type in (("spdx", SPDX), ("cyclonedx", CYCLONEDX)):
        fetched = slimgo("sbom", "--attached", "--format", fmt, image)
        assert fetched.code == 0, fetched.err
        assert fetched.out == slimgo("sbom", "--format", fmt, f"{image}@{digest}").out  # as build named it
        assert any(m["artifactType"] == media_type for m in listed)
    gate = slimgo("verify", image, "--key", str(tmp_path / "k.pub"), "--require-sbom", "--require-provenance",
                  "--json")
    assert gate.code == 0, gate.err
    document = json.loads(gate.out)
    assert document["sboms"] == ["cyclonedx", "spdx"]
    assert (document["checked"], document["valid"]) == (1, 1)  # the tag and the referrer hold one signature


def test_a_signature_found_only_as_a_referrer(slimgo: Slimgo, referrers_registry: ReferrersRegistry,
                                              tmp_path: Path) -> None:
    """Without the `.sig` tag, slimgo verify (and cosign verify --experimental-oci11) use the referrer."""
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "k")).code == 0
    image = f"docker://{referrers_registry.host}/api/signed:v1"
    digest = _build(slimgo, tmp_path, image, "--sbom", "none", "--sign", str(tmp_path / "k.key"))
    signature = next(m for m in _referrers(referrers_registry, "api/signed", digest)
                     if m["artifactType"] == SIGNATURE)
    pinned = f"{referrers_registry.host}/api/signed@{digest}"
    oci11 = _cosign(tmp_path, "verify", "--key", str(tmp_path / "k.pub"), "--insecure-ignore-tlog=true",
                    "--allow-insecure-registry", "--experimental-oci11", pinned)
    assert oci11.returncode == 0, oci11.stderr
    assert digest in oci11.stdout
    again = slimgo("sign", image, "--key", str(tmp_path / "k.key"))  # the same key: nothing new, same referrer
    assert again.code == 0 and f"also as the referrer {signature['digest']}" in again.err
    assert [m["digest"] for m in _referrers(referrers_registry, "api/signed", digest)] == [signature["digest"]]
    tag = f"{digest.replace(':', '-')}.sig"
    deleted = requests.delete(f"http://{referrers_registry.host}/v2/api/signed/manifests/{tag}", timeout=10)
    assert deleted.status_code == 202
    assert tag not in _tags(referrers_registry, "api/signed")
    verified = slimgo("verify", image, "--key", str(tmp_path / "k.pub"), "--json")
    assert verified.code == 0, verified.err
    assert json.loads(verified.out)["signature_ref"].endswith(f"@{signature['digest']}")
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "other")).code == 0
    wrong = slimgo("verify", image, "--key", str(tmp_path / "other.pub"))
    assert wrong.code == 1 and "does not verify with this key" in wrong.err


def test_an_sbom_referrer_whose_blob_is_missing(slimgo: Slimgo, referrers_registry: ReferrersRegistry,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = f"docker://{referrers_registry.host}/api/broken:v1"
    digest = _build(slimgo, tmp_path, image, "--sbom", "spdx")
    (referrer,) = _referrers(referrers_registry, "api/broken", digest)
    manifest = requests.get(f"http://{referrers_registry.host}/v2/api/broken/manifests/{referrer['digest']}",
                            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}, timeout=10).json()
    blob = manifest["layers"][0]["digest"]
    assert requests.delete(f"http://{referrers_registry.host}/v2/api/broken/blobs/{blob}",
                           timeout=10).status_code == 202
    monkeypatch.setenv("SLIMGO_CACHE_DIR", str(tmp_path / "fresh-cache"))
    fetched = slimgo("sbom", "--attached", image)
    assert fetched.code == 1 and image in fetched.err and "cannot be read" in fetched.err
    assert "Traceback" not in fetched.err and fetched.out == ""
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "k")).code == 0
    assert slimgo("sign", image, "--key", str(tmp_path / "k.key")).code == 0
    gate = slimgo("verify", image, "--key", str(tmp_path / "k.pub"), "--require-sbom")
    assert gate.code == 1 and image in gate.err and "cannot be read" in gate.err


def test_slimgo_verifies_what_cosign_signed_as_a_referrer(slimgo: Slimgo, referrers_registry: ReferrersRegistry,
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = f"docker://{referrers_registry.host}/api/by-cosign:v1"
    digest = _build(slimgo, tmp_path, image, "--sbom", "none")
    pinned = f"{referrers_registry.host}/api/by-cosign@{digest}"
    assert _cosign(tmp_path, "generate-key-pair").returncode == 0
    monkeypatch.setenv("COSIGN_EXPERIMENTAL", "1")  # cosign's oci-1-1 mode is experimental in v2
    signed = _cosign(tmp_path, "sign", "--key", "cosign.key", "--tlog-upload=false", "--allow-insecure-registry",
                     "--registry-referrers-mode=oci-1-1", "-y", pinned)
    assert signed.returncode == 0, signed.stderr
    assert f"{digest.replace(':', '-')}.sig" not in _tags(referrers_registry, "api/by-cosign")  # a referrer only
    (referrer,) = _referrers(referrers_registry, "api/by-cosign", digest)
    assert referrer["artifactType"] == SIGNATURE
    verified = slimgo("verify", image, "--key", str(tmp_path / "cosign.pub"), "--json")
    assert verified.code == 0, verified.err
    assert json.loads(verified.out)["signature_ref"].endswith(f"@{referrer['digest']}")
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "other")).code == 0
    assert slimgo("verify", image, "--key", str(tmp_path / "other.pub")).code == 1
