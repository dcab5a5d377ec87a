"""Signatures interoperate with the real cosign both ways, on Debian's docker-registry: each verifies what the
other signed, and both refuse a wrong key and an image changed after signing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.peers import go_peer
from tests.stores.registry.conftest import Registry
from tests.supply.conftest import PASSWORD, Slimgo
from tests.supply.test_sign import _tamper_tag

pytestmark = pytest.mark.integration
COSIGN = ("github.com/sigstore/cosign/v2/cmd/cosign", "v2.6.5")


def _cosign(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COSIGN_PASSWORD=PASSWORD, HOME=str(tmp_path / "home"),
               TUF_ROOT=str(tmp_path / "tuf"), SIGSTORE_NO_CACHE="1")
    return subprocess.run([str(go_peer(*COSIGN)), *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120, check=False)


def _verify(tmp_path: Path, key: Path, ref: str) -> subprocess.CompletedProcess[str]:
    return _cosign(tmp_path, "verify", "--key", str(key), "--insecure-ignore-tlog=true",
                   "--allow-insecure-registry", ref)


def _push(slimgo: Slimgo, image: Path, registry: Registry, repository: str) -> tuple[str, str]:
    result = slimgo("copy", f"oci:{image}:v1", f"docker://{registry.host}/{repository}:v1")
    assert result.code == 0, result.err
    digest = result.out.strip().rsplit("@", 1)[1]
    return f"docker://{registry.host}/{repository}:v1", f"{registry.host}/{repository}@{digest}"


def test_cosign_verifies_what_slimgo_signed(slimgo: Slimgo, replaced_image: Path, registry: Registry,
                                            tmp_path: Path) -> None:
    image, pinned = _push(slimgo, replaced_image, registry, "interop/by-slimgo")
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "slimgo")).code == 0
    assert slimgo("sign", image, "--key", str(tmp_path / "slimgo.key")).code == 0
    verified = _verify(tmp_path, tmp_path / "slimgo.pub", pinned)
    assert verified.returncode == 0, verified.stderr
    assert pinned.rsplit("@", 1)[1] in verified.stdout
    assert _cosign(tmp_path, "generate-key-pair").returncode == 0
    assert _verify(tmp_path, tmp_path / "cosign.pub", pinned).returncode != 0  # another key
    # cosign opens a key slimgo wrote (scrypt + secretbox), and takes slimgo's signature for the one it would add
    signed = _cosign(tmp_path, "sign", "--key", str(tmp_path / "slimgo.key"), "--tlog-upload=false",
                     "--allow-insecure-registry", "-y", pinned)
    assert signed.returncode == 0, signed.stderr
    same = slimgo("verify", image, "--key", str(tmp_path / "slimgo.pub"))
    assert same.code == 0 and "1 of 1 signature(s) valid" in same.out
    changed = _tamper_tag(registry, "interop/by-slimgo", "v1")
    assert _verify(tmp_path, tmp_path / "slimgo.pub", f"{registry.host}/interop/by-slimgo@{changed}").returncode != 0
    assert slimgo("verify", image, "--key", str(tmp_path / "slimgo.pub")).code == 1


def test_slimgo_verifies_what_cosign_signed(slimgo: Slimgo, replaced_image: Path, registry: Registry,
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image, pinned = _push(slimgo, replaced_image, registry, "interop/by-cosign")
    assert _cosign(tmp_path, "generate-key-pair").returncode == 0
    signed = _cosign(tmp_path, "sign", "--key", "cosign.key", "--tlog-upload=false", "--allow-insecure-registry",
                     "-y", pinned)
    assert signed.returncode == 0, signed.stderr
    assert slimgo("verify", image, "--key", str(tmp_path / "cosign.pub")).code == 0
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "slimgo")).code == 0
    wrong = slimgo("verify", image, "--key", str(tmp_path / "slimgo.pub"))
    assert wrong.code == 1 and "does not verify with this key" in wrong.err
    # cosign's own encrypted key opens in slimgo, which sees cosign's signature as the one it would add (as cosign
    # does); a signature with slimgo's key goes beside it, and cosign verifies either key's
    again = slimgo("sign", image, "--key", str(tmp_path / "cosign.key"))
    assert again.code == 0 and "1 signature(s) stored" in again.err
    assert slimgo("sign", image, "--key", str(tmp_path / "slimgo.key")).code == 0
    assert _verify(tmp_path, tmp_path / "cosign.pub", pinned).returncode == 0
    mine = _verify(tmp_path, tmp_path / "slimgo.pub", pinned)
    assert mine.returncode == 0 and mine.stdout.count("docker-manifest-digest") == 1
    monkeypatch.setenv("COSIGN_PASSWORD", "not the password")
    refused = slimgo("sign", image, "--key", str(tmp_path / "cosign.key"))
    assert refused.code == 1 and "password is wrong" in refused.err
    changed = _tamper_tag(registry, "interop/by-cosign", "v1")
    tampered = slimgo("verify", image, "--key", str(tmp_path / "cosign.pub"))
    assert tampered.code == 1 and changed in tampered.err


def test_attestations_both_ways(slimgo: Slimgo, replaced_image: Path, registry: Registry, tmp_path: Path) -> None:
    image, pinned = _push(slimgo, replaced_image, registry, "interop/attest")
    assert _cosign(tmp_path, "generate-key-pair").returncode == 0
    predicate = tmp_path / "sbom.spdx.json"
    assert slimgo("sbom", image, "-o", str(predicate)).code == 0
    # slimgo attests with cosign's key; cosign verifies it
    attested = slimgo("attest", image, "--key", str(tmp_path / "cosign.key"), "--predicate", str(predicate),
                      "--type", "spdxjson")
    assert attested.code == 0, attested.err
    checked = _cosign(tmp_path, "verify-attestation", "--key", "cosign.pub", "--type", "spdxjson",
                      "--insecure-ignore-tlog=true", "--allow-insecure-registry", pinned)
    assert checked.returncode == 0, checked.stderr
    # cosign attests a provenance-typed predicate; slimgo verifies both, and by type
    (tmp_path / "prov.json").write_text('{"builder": {"id": "https://example.com/builder"}, '
                                        '"buildType": "https://example.com/build/v1"}')
    done = _cosign(tmp_path, "attest", "--key", "cosign.key", "--tlog-upload=false", "--allow-insecure-registry",
                   "-y", "--type", "slsaprovenance", "--predicate", "prov.json", pinned)
    assert done.returncode == 0, done.stderr
    both = slimgo("verify-attestation", image, "--key", str(tmp_path / "cosign.pub"))
    assert both.code == 0 and len(both.out.splitlines()) == 2
    typed = slimgo("verify-attestation", image, "--key", str(tmp_path / "cosign.pub"), "--type", "slsaprovenance")
    assert typed.out.splitlines() == [f"{image}: verified attestation https://slsa.dev/provenance/v0.2"]
    # another key fails on both sides
    assert slimgo("keygen", "--output-key-prefix", str(tmp_path / "other")).code == 0
    assert slimgo("verify-attestation", image, "--key", str(tmp_path / "other.pub")).code == 1
    assert _cosign(tmp_path, "verify-attestation", "--key", str(tmp_path / "other.pub"), "--type", "spdxjson",
                   "--insecure-ignore-tlog=true", "--allow-insecure-registry", pinned).returncode != 0
    missing = slimgo("verify-attestation", image, "--key", str(tmp_path / "cosign.pub"), "--type", "cyclonedx")
    assert missing.code == 1 and "no valid attestation of type https://cyclonedx.org/bom" in missing.err
