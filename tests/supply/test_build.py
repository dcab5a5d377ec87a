"""`slimgo build --sbom/--sign/--provenance`: what a build attaches and signs, checked with `slimgo verify` gates and
with cosign; the default attaches an SPDX SBOM to every image written to a layout or registry."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.peers import go_peer
from tests.stores.registry.conftest import Registry
from tests.supply.conftest import PASSWORD, Slimgo
from tests.supply.test_cosign_interop import COSIGN

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """examples/hello in a git checkout with an origin, built with VCS stamping, and uncommitted change."""
    git = require_tool("git")
    source = tmp_path / "hello"
    shutil.copytree(EXAMPLES / "hello", source)
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "hello"],
                 ["remote", "add", "origin", "git@example.com:acme/hello.git"]):
        subprocess.run([git, *args], cwd=source, env=env, check=True, capture_output=True, timeout=60)
    (source / "main.go").write_text((source / "main.go").read_text() + "\n// changed\n")
    monkeypatch.setenv("GOFLAGS", "-buildvcs=true")
    monkeypatch.chdir(source)
    return source


def _referrer_types(layout: Path) -> list[str]:
    index = json.loads((layout / "index.json").read_text())
    return sorted(m["artifactType"] for m in index["manifests"] if m.get("artifactType"))


def test_build_attaches_signs_and_proves(slimgo: Slimgo, repo: Path, registry: Registry, tmp_path: Path) -> None:
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "k")).code == 0
    layout = tmp_path / "out"
    pushed = f"docker://{registry.host}/built/hello:v1"
    built = slimgo("build", ".", "-o", f"oci:{layout}:v1", "-o", pushed, "--sbom", "spdx,cyclonedx",
                   "--sign", str(tmp_path / "k.key"), "--provenance")
    assert built.code == 0, built.err
    assert _referrer_types(layout) == ["application/spdx+json", "application/vnd.cyclonedx+json",
                                       "application/vnd.in-toto+json"]
    for image in (f"oci:{layout}:v1", pushed):
        gate = slimgo("verify", image, "--key", str(tmp_path / "k.pub"), "--require-sbom", "--require-provenance")
        assert gate.code == 0, gate.err
        proven = slimgo("verify-attestation", image, "--key", str(tmp_path / "k.pub"), "--type", "slsaprovenance1")
        assert proven.code == 0, proven.err
    statement = _provenance(layout)
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    source = statement["predicate"]["buildDefinition"]["resolvedDependencies"][0]
    assert source["uri"].startswith("git+https://example.com/acme/hello@")
    assert source["annotations"] == {"dirty": True} and len(source["digest"]["gitCommit"]) == 40
    assert statement["predicate"]["runDetails"]["builder"]["id"].startswith("https://slimgo.dev/slimgo@v")
    digest = built.out.splitlines()[0].rsplit("@", 1)[1]
    env = dict(os.environ, COSIGN_PASSWORD=PASSWORD, HOME=str(tmp_path / "home"), TUF_ROOT=str(tmp_path / "tuf"))
    cosign = subprocess.run([str(go_peer(*COSIGN)), "verify-attestation", "--key", str(tmp_path / "k.pub"), "--type",
                             "slsaprovenance1", "--insecure-ignore-tlog=true", "--allow-insecure-registry",
                             f"{registry.host}/built/hello@{digest}"], capture_output=True, text=True, env=env,
                            timeout=120, check=False)
    assert cosign.returncode == 0, cosign.stderr


def _provenance(layout: Path) -> dict[str, object]:
    index = json.loads((layout / "index.json").read_text())
    (entry,) = [m for m in index["manifests"] if m.get("artifactType") == "application/vnd.in-toto+json"]
    manifest = json.loads((layout / "blobs" / "sha256" / entry["digest"][7:]).read_text())
    statement: dict[str, object] = json.loads(
        (layout / "blobs" / "sha256" / manifest["layers"][0]["digest"][7:]).read_text())
    return statement


def test_an_spdx_sbom_by_default(slimgo: Slimgo, repo: Path, registry: Registry, tmp_path: Path) -> None:
    layout = tmp_path / "default"
    pushed = f"docker://{registry.host}/built/default:v1"
    built = slimgo("build", ".", "-o", f"oci:{layout}:v1", "-o", pushed)
    assert built.code == 0, built.err
    assert _referrer_types(layout) == ["application/spdx+json"]
    for image in (f"oci:{layout}:v1", pushed):
        attached = slimgo("sbom", "--attached", image)
        assert attached.code == 0, attached.err
        assert json.loads(attached.out)["spdxVersion"] == "SPDX-2.3"
    bare = tmp_path / "bare"
    assert slimgo("build", ".", "-o", f"oci:{bare}:v1", "--sbom", "none").code == 0
    (entry,) = json.loads((bare / "index.json").read_text())["manifests"]  # the image, nothing else
    tagged = [m for m in json.loads((layout / "index.json").read_text())["manifests"] if "annotations" in m]
    assert [m["digest"] for m in tagged] == [entry["digest"]]  # the same image either way
    assert slimgo("sbom", "--attached", f"oci:{bare}:v1").code == 1
    assert slimgo("build", ".", "-o", f"oci-archive:{tmp_path / 'a.tar'}:v1").code == 0  # archives carry none


def test_a_bad_key_writes_nothing(slimgo: Slimgo, repo: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "k")).code == 0
    monkeypatch.setenv("COSIGN_PASSWORD", "wrong")
    failed = slimgo("build", ".", "-o", f"oci:{tmp_path / 'never'}:v1", "--sign", str(tmp_path / "k.key"))
    assert failed.code == 1 and "password is wrong" in failed.err
    assert not (tmp_path / "never").exists()
    bad = slimgo("build", ".", "-o", f"oci:{tmp_path / 'never'}:v1", "--sbom", "swid")
    assert bad.code == 2 and not (tmp_path / "never").exists()


def test_archives_are_skipped_silently_unless_asked(replaced_image: Path, tmp_path: Path) -> None:
    from slimgo.cli.options import stores_from
    from slimgo.stores.transport import Location
    from slimgo.supply.publish import AUTO, publish

    stores = stores_from("never", ())
    written = stores.write(Location.parse(f"oci-archive:{tmp_path / 'a.tar'}:v1"),
                           stores.read(f"oci:{replaced_image}:v1"))
    assert publish(stores, [written], [AUTO], None) == []  # the default: nothing asked for, nothing to say
    (line,) = publish(stores, [written], ["spdx"], None)
    assert "an archive carries no SBOM" in line
