"""`slimgo keygen`, `sign` and `verify` on OCI layouts and a registry: round trips and every way they must fail."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests

from slimgo.supply import keys
from tests.schemas import validate
from tests.stores.registry.conftest import Registry
from tests.supply.conftest import PASSWORD, Slimgo


def _keygen(slimgo: Slimgo, directory: Path, name: str = "cosign") -> Path:
    result = slimgo("keygen", "--output-key-prefix", str(directory / name))
    assert result.code == 0, result.err
    return directory / name


def _layout(replaced_image: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "layout"
    shutil.copytree(replaced_image, copy)
    return copy


def test_keygen_writes_a_cosign_key_pair(slimgo: Slimgo, tmp_path: Path) -> None:
    prefix = _keygen(slimgo, tmp_path)
    private = Path(f"{prefix}.key").read_bytes()
    assert private.startswith(b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
    assert Path(f"{prefix}.key").stat().st_mode & 0o077 == 0
    key = keys.load_private(private, "cosign.key", PASSWORD.encode())
    public = keys.load_public(Path(f"{prefix}.pub").read_bytes(), "cosign.pub")
    assert key.public_key().public_numbers() == public.public_numbers()
    with pytest.raises(keys.KeyProblem, match="password is wrong"):
        keys.load_private(private, "cosign.key", b"not it")
    again = slimgo("keygen", "--output-key-prefix", str(prefix))
    assert again.code == 2 and "exists already" in again.err


def test_sign_and_verify_a_layout(slimgo: Slimgo, replaced_image: Path, tmp_path: Path) -> None:
    layout = _layout(replaced_image, tmp_path)
    prefix = _keygen(slimgo, tmp_path)
    unsigned = slimgo("verify", f"oci:{layout}:v1", "--key", f"{prefix}.pub")
    assert unsigned.code == 1 and "has no signature" in unsigned.err
    signed = slimgo("sign", f"oci:{layout}:v1", "--key", f"{prefix}.key")
    assert signed.code == 0, signed.err
    assert ".sig@sha256:" in signed.out
    again = slimgo("sign", f"oci:{layout}:v1", "--key", f"{prefix}.key")  # the same key again: nothing added
    assert again.code == 0 and again.out == signed.out and "1 signature(s)" in again.err
    verified = slimgo("verify", f"oci:{layout}:v1", "--key", f"{prefix}.pub", "--json")
    assert verified.code == 0, verified.err
    document = json.loads(verified.out)
    validate(document, "verify")
    assert document["kind"] == "slimgo.verify" and document["valid"] == 1
    other = _keygen(slimgo, tmp_path, "other")
    wrong = slimgo("verify", f"oci:{layout}:v1", "--key", f"{other}.pub")
    assert wrong.code == 1 and "does not verify with this key" in wrong.err and f"oci:{layout}:v1" in wrong.err


def test_wrong_password_and_key_references(slimgo: Slimgo, replaced_image: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    layout = _layout(replaced_image, tmp_path)
    prefix = _keygen(slimgo, tmp_path)
    monkeypatch.setenv("COSIGN_PASSWORD", "wrong")
    bad = slimgo("sign", f"oci:{layout}:v1", "--key", f"{prefix}.key")
    assert bad.code == 1 and "password is wrong" in bad.err
    assert "sha256-" not in (layout / "index.json").read_text()
    monkeypatch.setenv("COSIGN_PASSWORD", PASSWORD)
    monkeypatch.setenv("SIGNING_KEY", Path(f"{prefix}.key").read_text())
    assert slimgo("sign", f"oci:{layout}:v1", "--key", "env://SIGNING_KEY").code == 0
    assert slimgo("verify", f"oci:{layout}:v1", "--key", f"{prefix}.pub").code == 0
    assert slimgo("sign", f"oci:{layout}:v1", "--key", "env://UNSET_KEY_VARIABLE").code == 2
    assert slimgo("verify", f"oci:{layout}:v1", "--key", str(tmp_path / "missing.pub")).code == 2
    assert slimgo("sign", f"oci:{layout}:v1", "--key", "awskms:///alias/x").code == 2


def test_plain_pem_keys(slimgo: Slimgo, replaced_image: Path, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    layout = _layout(replaced_image, tmp_path)
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (tmp_path / "k.pub").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    assert slimgo("sign", f"oci:{layout}:v1", "--key", str(tmp_path / "k.pem")).code == 0
    assert slimgo("verify", f"oci:{layout}:v1", "--key", str(tmp_path / "k.pub")).code == 0
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "rsa.pem").write_bytes(other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    refused = slimgo("sign", f"oci:{layout}:v1", "--key", str(tmp_path / "rsa.pem"))
    assert refused.code == 1 and "not an ECDSA P-256 key" in refused.err


def test_registry_round_trip_and_tampering(slimgo: Slimgo, replaced_image: Path, tmp_path: Path,
                                           registry: Registry) -> None:
    image = f"docker://{registry.host}/supply/app:v1"
    assert slimgo("copy", f"oci:{replaced_image}:v1", image).code == 0
    prefix = _keygen(slimgo, tmp_path)
    assert slimgo("sign", image, "--key", f"{prefix}.key").code == 0
    assert slimgo("verify", image, "--key", f"{prefix}.pub").code == 0
    # Another image under the same tag: the signature beside it is for the old digest only.
    digest = _tamper_tag(registry, "supply/app", "v1")
    failed = slimgo("verify", image, "--key", f"{prefix}.pub")
    assert failed.code == 1 and "has no signature" in failed.err and digest in failed.err
    # A signature image whose payload was swapped for another digest's: it no longer verifies.
    assert slimgo("sign", image, "--key", f"{prefix}.key").code == 0
    _swap_payload(registry, "supply/app", digest)
    forged = slimgo("verify", image, "--key", f"{prefix}.pub")
    assert forged.code == 1 and "no valid signature" in forged.err


def _tamper_tag(registry: Registry, repository: str, tag: str) -> str:
    """Point ``tag`` at a changed manifest (an added annotation); return the new digest."""
    import hashlib

    accept = "application/vnd.oci.image.manifest.v1+json"
    base = f"http://{registry.host}/v2/{repository}/manifests"
    manifest = requests.get(f"{base}/{tag}", headers={"Accept": accept}, timeout=10).json()
    manifest.setdefault("annotations", {})["tampered"] = "yes"
    raw = json.dumps(manifest).encode()
    assert requests.put(f"{base}/{tag}", data=raw, headers={"Content-Type": accept}, timeout=10).status_code == 201
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _swap_payload(registry: Registry, repository: str, digest: str) -> None:
    """Rewrite the signature image of ``digest`` so its layer holds a payload naming another digest."""
    accept = "application/vnd.oci.image.manifest.v1+json"
    base = f"http://{registry.host}/v2/{repository}"
    tag = digest.replace(":", "-") + ".sig"
    manifest = requests.get(f"{base}/manifests/{tag}", headers={"Accept": accept}, timeout=10).json()
    layer = manifest["layers"][0]
    payload = requests.get(f"{base}/blobs/{layer['digest']}", timeout=10).content
    forged = payload.replace(digest.encode(), b"sha256:" + b"0" * 64)
    import hashlib

    forged_digest = "sha256:" + hashlib.sha256(forged).hexdigest()
    start = requests.post(f"{base}/blobs/uploads/", timeout=10)
    location = start.headers["Location"]
    sep = "&" if "?" in location else "?"
    url = location if location.startswith("http") else f"http://{registry.host}{location}"
    assert requests.put(f"{url}{sep}digest={forged_digest}", data=forged, timeout=10).status_code == 201
    layer.update(digest=forged_digest, size=len(forged))
    raw = json.dumps(manifest).encode()
    assert requests.put(f"{base}/manifests/{tag}", data=raw, headers={"Content-Type": accept},
                        timeout=10).status_code == 201
