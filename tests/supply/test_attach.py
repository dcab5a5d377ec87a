"""SBOMs attached as OCI 1.1 referrers: in a layout, and in docker-registry through the referrers tag schema."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import requests

from tests.schemas import validate
from tests.stores.registry.conftest import Registry
from tests.supply.conftest import Slimgo


def _attach_and_read_back(slimgo: Slimgo, image: str) -> dict[str, str]:
    attached = slimgo("sbom", "--attach", "--format", "spdx", "--format", "cyclonedx", image)
    assert attached.code == 0, attached.err
    digests = dict(line.split() for line in attached.out.splitlines())
    assert set(digests) == {"spdx", "cyclonedx"}
    for fmt in ("spdx", "cyclonedx"):
        fetched = slimgo("sbom", "--attached", "--format", fmt, image)
        assert fetched.code == 0, fetched.err
        assert fetched.out == slimgo("sbom", "--format", fmt, image).out  # what was attached is what it generates
    return digests


def test_attach_in_a_layout(slimgo: Slimgo, replaced_image: Path, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    shutil.copytree(replaced_image, layout)
    image = f"oci:{layout}:v1"
    missing = slimgo("sbom", "--attached", image)
    assert missing.code == 1 and "has no attached spdx SBOM" in missing.err
    digests = _attach_and_read_back(slimgo, image)
    index = json.loads((layout / "index.json").read_text())
    untagged = {m["digest"] for m in index["manifests"] if "annotations" not in m}
    assert untagged == set(digests.values())
    manifest = json.loads((layout / "blobs" / "sha256" / digests["spdx"].split(":")[1]).read_text())
    assert manifest["artifactType"] == "application/spdx+json"
    assert manifest["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    assert manifest["subject"]["digest"] == next(m["digest"] for m in index["manifests"] if "annotations" in m)
    assert slimgo("sbom", "--attach", image).code == 0  # again: the same bytes, the same referrer, no duplicate
    assert len(json.loads((layout / "index.json").read_text())["manifests"]) == 3


def test_attach_in_a_registry_without_the_referrers_api(slimgo: Slimgo, replaced_image: Path,
                                                         registry: Registry, tmp_path: Path) -> None:
    image = f"docker://{registry.host}/attach/app:v1"
    copied = slimgo("copy", f"oci:{replaced_image}:v1", image)
    assert copied.code == 0
    subject = copied.out.strip().rsplit("@", 1)[1]
    digests = _attach_and_read_back(slimgo, image)
    fallback = requests.get(f"http://{registry.host}/v2/attach/app/manifests/{subject.replace(':', '-')}",
                            headers={"Accept": "application/vnd.oci.image.index.v1+json"}, timeout=10).json()
    assert {m["digest"]: m["artifactType"] for m in fallback["manifests"]} == {
        digests["spdx"]: "application/spdx+json", digests["cyclonedx"]: "application/vnd.cyclonedx+json"}
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "k")).code == 0
    assert slimgo("sign", image, "--key", str(tmp_path / "k.key")).code == 0
    gate = slimgo("verify", image, "--key", str(tmp_path / "k.pub"), "--require-sbom", "--json")
    assert gate.code == 0, gate.err
    document = json.loads(gate.out)
    validate(document, "verify")
    assert document["sboms"] == ["cyclonedx", "spdx"]


def test_require_sbom_fails_without_one(slimgo: Slimgo, replaced_image: Path, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    shutil.copytree(replaced_image, layout)
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "k")).code == 0
    assert slimgo("sign", f"oci:{layout}:v1", "--key", str(tmp_path / "k.key")).code == 0
    assert slimgo("verify", f"oci:{layout}:v1", "--key", str(tmp_path / "k.pub")).code == 0
    gate = slimgo("verify", f"oci:{layout}:v1", "--key", str(tmp_path / "k.pub"), "--require-sbom")
    assert gate.code == 1 and "has no attached SBOM" in gate.err and f"oci:{layout}:v1" in gate.err
    archive = slimgo("sbom", "--attach", f"oci-archive:{tmp_path / 'a.tar'}")
    assert archive.code == 2


def test_a_referrer_whose_blob_is_missing(slimgo: Slimgo, replaced_image: Path, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    shutil.copytree(replaced_image, layout)
    image = f"oci:{layout}:v1"
    digest = slimgo("sbom", "--attach", image).out.split()[1]
    manifest = json.loads((layout / "blobs" / "sha256" / digest[7:]).read_text())
    (layout / "blobs" / "sha256" / manifest["layers"][0]["digest"][7:]).unlink()
    fetched = slimgo("sbom", "--attached", image)
    assert fetched.code == 1 and fetched.out == ""
    assert f"{image}: has an attached spdx SBOM ({digest}) that cannot be read" in fetched.err
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "k")).code == 0
    assert slimgo("sign", image, "--key", str(tmp_path / "k.key")).code == 0
    gate = slimgo("verify", image, "--key", str(tmp_path / "k.pub"), "--require-sbom")
    assert gate.code == 1 and "cannot be read" in gate.err
