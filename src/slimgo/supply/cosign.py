"""Signatures as cosign stores them: a simple-signing payload naming the image digest, signed with ECDSA P-256, as
a layer of the image tagged `sha256-<hex>.sig` beside the signed one, the signature in the layer's annotation; in a
registry with the OCI 1.1 referrers API, also as a referrer of the image (cosign's `--registry-referrers-mode
oci-1-1` layout, which `cosign verify --experimental-oci11` reads)."""

from __future__ import annotations

__all__ = [
    "MAX_SIGNATURES",
    "SIGNATURE_ANNOTATION",
    "SIGNATURE_ARTIFACT",
    "VerificationFailed",
    "existing_signatures",
    "sign_image",
    "signature_image",
    "verify_image",
]

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from slimgo.errors import NotFound, SlimgoError
from slimgo.oci.config import ImageConfig
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.image import BlobLayer, ImageIndex, Layer, StoredImage, assemble, raw_bytes
from slimgo.oci.manifest import Manifest
from slimgo.stores.layout import Artifact
from slimgo.stores.transport import Location, Stores
from slimgo.supply import keys

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
PAYLOAD_TYPE = "cosign container image signature"
MAX_PAYLOAD = 1 << 20  # a simple-signing payload is a few hundred bytes
MAX_SIGNATURES = 1000
# cosign's ArtifactType("sig"): the config media type and artifactType of a signature stored as a referrer
SIGNATURE_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"


class VerificationFailed(SlimgoError):
    """An image whose signature is missing, does not verify, or signs another digest (exit code 1)."""


@dataclass(frozen=True)
class Signed:
    image: str
    digest: str
    signature_ref: str  # where the signature image was written
    count: int  # signatures the signature image now holds
    referrer: str = ""  # the digest of the signature stored as a referrer too (registries with the API)


@dataclass(frozen=True)
class Verified:
    image: str
    digest: str
    signature_ref: str
    docker_reference: str
    checked: int  # signatures looked at
    valid: int  # signatures that verified with the key and name this digest
    sboms: tuple[str, ...] = ()  # formats of the SBOMs attached to the image (when asked to check them)


def signature_tag(digest: Digest) -> str:
    return f"{digest.algorithm}-{digest.hex}.sig"


def payload(repository: str, digest: Digest) -> bytes:
    """Go's json.Marshal of sigstore's payload.SimpleContainerImage: compact, fields in declaration order."""
    document = {"critical": {"identity": {"docker-reference": repository},
                             "image": {"docker-manifest-digest": str(digest)},
                             "type": PAYLOAD_TYPE},
                "optional": None}
    return json.dumps(document, separators=(",", ":")).encode()


def signature_layer(data: bytes, signature: bytes) -> BlobLayer:
    digest = Digest.of(data)
    annotations = {SIGNATURE_ANNOTATION: base64.b64encode(signature).decode()}
    return BlobLayer(Descriptor(SIMPLE_SIGNING, digest, len(data), annotations), digest, raw_bytes(data))


def signature_image(layers: list[Layer]) -> StoredImage:
    # What go-containerregistry's empty image gains per appended layer, as cosign writes it.
    config = ImageConfig({"architecture": "", "created": "0001-01-01T00:00:00Z",
                          "history": [{"created": "0001-01-01T00:00:00Z"} for _ in layers], "os": "",
                          "rootfs": {"type": "layers", "diff_ids": []}, "config": {}})
    return assemble(config, layers)


def existing_signatures(stores: Stores, where: Location) -> StoredImage | None:
    """The signature image at ``where``, or None when there is none yet."""
    try:
        artifact = stores.read(where, fetch_layers=False)
    except NotFound:  # a registry's unknown tag, or a layout without it: no signature yet
        return None
    if not isinstance(artifact, StoredImage):
        raise VerificationFailed(str(where), "is an index, not a cosign signature image",
                                 "remove the tag, or sign with cosign to see what it expects")
    return artifact


def sign_image(stores: Stores, image: str, key: ec.EllipticCurvePrivateKey) -> Signed:
    """Sign the image ``image`` names (an index as a whole) and store the signature beside it."""
    location = Location.parse(image)
    subject = stores.read(location, fetch_layers=False)
    digest = subject.digest
    data = payload(location.repository, digest)
    where = location.sibling(signature_tag(digest))
    previous = existing_signatures(stores, where)
    layers: list[Layer] = list(previous.layers) if previous is not None else []
    if previous is not None and _already_signed(layers, data, key.public_key()):
        # As cosign: the same payload signed with the same key is there already; signing again adds nothing.
        written = f"{where}@{previous.digest}"
    else:
        layers.append(signature_layer(data, keys.sign(key, data)))
        written = stores.write(where, signature_image(layers[-MAX_SIGNATURES:]))
    referrer = _attach_referrer(stores, location, subject, layers[-MAX_SIGNATURES:])
    return Signed(image, str(digest), written, len(layers), referrer)


def signature_referrer(subject: Artifact, layers: list[Layer]) -> StoredImage:
    """The signature image as cosign's OCI 1.1 mode writes it: its config typed as the signature artifact, with
    the signed image as subject (the same layers, so the same signatures, as the `.sig` tag's image)."""
    image = signature_image(layers)
    plain = image.manifest
    raw = subject.raw_index if isinstance(subject, ImageIndex) else subject.raw_manifest
    subject_type = subject.index.media_type if isinstance(subject, ImageIndex) else subject.media_type
    config = Descriptor(SIGNATURE_ARTIFACT, plain.config.digest, plain.config.size)
    manifest = Manifest(config=config, layers=plain.layers, media_type=plain.media_type,
                        subject=Descriptor(subject_type, subject.digest, len(raw)), artifact_type=SIGNATURE_ARTIFACT)
    return StoredImage(manifest.to_bytes(), image.raw_config, image.layers)


def _attach_referrer(stores: Stores, location: Location, subject: Artifact, layers: list[Layer]) -> str:
    # Only where the registry lists referrers itself: elsewhere the `.sig` tag is how signatures are found, and a
    # referrers fallback tag would only repeat it.
    if location.transport != "docker":
        return ""
    attached = stores.attach_if_listed(location, signature_referrer(subject, layers))
    return str(attached) if attached is not None else ""


def _already_signed(layers: list[Layer], data: bytes, key: ec.EllipticCurvePublicKey) -> bool:
    for layer in layers[:MAX_SIGNATURES]:
        encoded = layer.descriptor.annotations.get(SIGNATURE_ANNOTATION, "")
        if layer.descriptor.digest != Digest.of(data) or not encoded:
            continue
        try:
            if keys.verifies(key, data, base64.b64decode(encoded, validate=True)):
                return True
        except ValueError:
            continue
    return False


def _payload_fields(data: bytes) -> tuple[str, str, str]:
    try:
        document: Any = json.loads(data)
        critical = document["critical"]
        return (str(critical["image"]["docker-manifest-digest"]), str(critical["identity"]["docker-reference"]),
                str(critical["type"]))
    except (ValueError, KeyError, TypeError):
        return "", "", ""


def _read_payload(layer: Layer) -> bytes:
    if layer.descriptor.size > MAX_PAYLOAD:
        return b""
    with layer.open_blob() as blob:
        data = blob.read(MAX_PAYLOAD + 1)
    return data if Digest.of(data) == layer.descriptor.digest else b""


def signature_sources(stores: Stores, location: Location, digest: Digest) -> list[tuple[str, StoredImage]]:
    """The signature images of ``digest``: the `.sig` tag's, then each referrer of cosign's signature type."""
    where = location.sibling(signature_tag(digest))
    tagged = existing_signatures(stores, where)
    found = [(str(where), tagged)] if tagged is not None else []
    if location.transport != "docker":
        return found
    for desc in stores.referrers(location, digest, SIGNATURE_ARTIFACT)[:MAX_SIGNATURES]:
        pinned = Location("docker", f"{location.repository}@{desc.digest}")
        referrer = stores.read(pinned, fetch_layers=False)
        if isinstance(referrer, StoredImage):
            found.append((str(pinned), referrer))
    return found


def verify_image(stores: Stores, image: str, key: ec.EllipticCurvePublicKey) -> Verified:
    """Check that a signature beside ``image`` (tag or referrer) verifies with ``key`` and names its digest."""
    location = Location.parse(image)
    digest = stores.read(location, fetch_layers=False).digest
    sources = signature_sources(stores, location, digest)
    if not sources:
        raise VerificationFailed(image, f"has no signature: nothing is tagged {signature_tag(digest)} beside "
                                 f"{digest}, and no referrer of it is a cosign signature",
                                 "sign it (slimgo sign or cosign sign), or check the image has not changed since "
                                 "it was signed")
    reasons: list[str] = []
    valid, checked, reference, used = 0, 0, "", sources[0][0]
    seen: set[tuple[Digest, str]] = set()
    for where, signatures in sources:
        for layer in signatures.layers[:MAX_SIGNATURES]:
            same = (layer.descriptor.digest, layer.descriptor.annotations.get(SIGNATURE_ANNOTATION, ""))
            if same in seen:  # the referrer repeats the tag's signatures: each counts once
                continue
            seen.add(same)
            checked += 1
            problem, named = _check_layer(layer, key, digest)
            if problem:
                reasons.append(problem)
            else:
                valid, reference = valid + 1, named
                used = used if valid > 1 else where
    if not valid:
        raise VerificationFailed(image, f"has no valid signature for {digest} ({'; '.join(reasons) or 'none'})",
                                 "check the public key is the signing key's, and that the image was not changed "
                                 "after it was signed")
    return Verified(image, str(digest), used, reference, checked, valid)


def _check_layer(layer: Layer, key: ec.EllipticCurvePublicKey, digest: Digest) -> tuple[str, str]:
    """(why ``layer`` is not a valid signature of ``digest``, or "", the docker-reference it names)."""
    encoded = layer.descriptor.annotations.get(SIGNATURE_ANNOTATION, "")
    data = _read_payload(layer) if layer.descriptor.media_type == SIMPLE_SIGNING else b""
    try:
        signature = base64.b64decode(encoded, validate=True)
    except ValueError:
        signature = b""
    if not data or not signature:
        return f"layer {layer.descriptor.digest.short} is not a readable signature", ""
    if not keys.verifies(key, data, signature):
        return f"signature {layer.descriptor.digest.short} does not verify with this key", ""
    signed_digest, reference, kind = _payload_fields(data)
    if signed_digest != str(digest) or kind != PAYLOAD_TYPE:
        return f"signature {layer.descriptor.digest.short} signs {signed_digest or 'nothing'}, not {digest}", ""
    return "", reference
