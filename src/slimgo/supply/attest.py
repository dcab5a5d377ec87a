"""Attestations as `cosign attest` writes them: an in-toto statement about the image digest in a DSSE envelope
signed with ECDSA P-256, as a layer of the image tagged `sha256-<hex>.att` beside the attested one."""

from __future__ import annotations

__all__ = ["attest_image", "predicate_type", "verify_attestations"]

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from slimgo.errors import UsageError
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.image import BlobLayer, Layer, raw_bytes
from slimgo.stores.transport import Location, Stores
from slimgo.supply import keys
from slimgo.supply.cosign import (
    MAX_SIGNATURES,
    SIGNATURE_ANNOTATION,
    VerificationFailed,
    existing_signatures,
    signature_image,
)

DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json"
IN_TOTO = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v0.1"  # what cosign v2 writes
PREDICATE_ANNOTATION = "predicateType"
MAX_ENVELOPE = 64 << 20
# cosign attest --type names and the predicate types they stand for.
PREDICATE_TYPES = {
    "custom": "https://cosign.sigstore.dev/attestation/v1",
    "spdxjson": "https://spdx.dev/Document",
    "spdx": "https://spdx.dev/Document",
    "cyclonedx": "https://cyclonedx.org/bom",
    "slsaprovenance": "https://slsa.dev/provenance/v0.2",
    "slsaprovenance1": "https://slsa.dev/provenance/v1",
    "vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
    "openvex": "https://openvex.dev/ns",
}


@dataclass(frozen=True)
class Attested:
    image: str
    digest: str
    predicate_type: str
    attestation_ref: str


def predicate_type(name: str) -> str:
    if name in PREDICATE_TYPES:
        return PREDICATE_TYPES[name]
    if "://" in name:
        return name
    raise UsageError(f"--type {name}", "is neither a cosign predicate type nor a URI",
                     f"use one of {', '.join(PREDICATE_TYPES)} or a predicate type URI")


def attestation_tag(digest: Digest) -> str:
    return f"{digest.algorithm}-{digest.hex}.att"


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def statement(repository: str, digest: Digest, kind: str, predicate: Any) -> bytes:
    document = {"_type": STATEMENT_TYPE, "predicateType": kind,
                "subject": [{"name": repository, "digest": {digest.algorithm: digest.hex}}],
                "predicate": predicate}
    return json.dumps(document, separators=(",", ":")).encode()


def envelope(body: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    signature = keys.sign(key, pae(IN_TOTO, body))
    document = {"payloadType": IN_TOTO, "payload": base64.b64encode(body).decode(),
                "signatures": [{"keyid": "", "sig": base64.b64encode(signature).decode()}]}
    return json.dumps(document, separators=(",", ":")).encode()


def attest_image(stores: Stores, image: str, key: ec.EllipticCurvePrivateKey, kind: str,
                 predicate: Any) -> Attested:
    """Attest ``predicate`` (of predicate type ``kind``) about the image and store it beside the image."""
    location = Location.parse(image)
    digest = stores.read(location, fetch_layers=False).digest
    data = envelope(statement(location.repository, digest, kind, predicate), key)
    where = location.sibling(attestation_tag(digest))
    previous = existing_signatures(stores, where)
    layers: list[Layer] = list(previous.layers) if previous is not None else []
    blob = Digest.of(data)
    annotations = {SIGNATURE_ANNOTATION: "", PREDICATE_ANNOTATION: kind}
    layers.append(BlobLayer(Descriptor(DSSE_ENVELOPE, blob, len(data), annotations), blob, raw_bytes(data)))
    written = stores.write(where, signature_image(layers[-MAX_SIGNATURES:]))
    return Attested(image, str(digest), kind, written)


def _open_envelope(layer: Layer, key: ec.EllipticCurvePublicKey) -> tuple[dict[str, Any] | None, str]:
    """The statement of a DSSE layer when one of its signatures verifies with ``key``, else a reason."""
    if layer.descriptor.media_type != DSSE_ENVELOPE or layer.descriptor.size > MAX_ENVELOPE:
        return None, f"layer {layer.descriptor.digest.short} is not a DSSE envelope"
    with layer.open_blob() as blob:
        data = blob.read(MAX_ENVELOPE + 1)
    try:
        document = json.loads(data)
        body = base64.b64decode(document["payload"], validate=True)
        signatures = [base64.b64decode(s["sig"], validate=True) for s in document["signatures"]]
        kind = str(document["payloadType"])
    except (ValueError, KeyError, TypeError):
        return None, f"envelope {layer.descriptor.digest.short} is not readable"
    if Digest.of(data) != layer.descriptor.digest:
        return None, f"envelope {layer.descriptor.digest.short} does not match its digest"
    if not any(keys.verifies(key, pae(kind, body), sig) for sig in signatures):
        return None, f"envelope {layer.descriptor.digest.short} does not verify with this key"
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return None, f"envelope {layer.descriptor.digest.short} holds no JSON statement"
    return (parsed, "") if isinstance(parsed, dict) else (None, "the statement is not a JSON object")


def _names(parsed: dict[str, Any], digest: Digest) -> bool:
    subjects = parsed.get("subject")
    return isinstance(subjects, list) and any(
        isinstance(s, dict) and isinstance(s.get("digest"), dict) and s["digest"].get(digest.algorithm) == digest.hex
        for s in subjects)


def verify_attestations(stores: Stores, image: str, key: ec.EllipticCurvePublicKey,
                        kind: str | None) -> list[dict[str, Any]]:
    """The statements about ``image`` (of predicate type ``kind`` when given) signed by ``key``."""
    location = Location.parse(image)
    digest = stores.read(location, fetch_layers=False).digest
    attestations = existing_signatures(stores, location.sibling(attestation_tag(digest)))
    if attestations is None:
        raise VerificationFailed(image, f"has no attestation: nothing is tagged {attestation_tag(digest)} beside "
                                 f"{digest}", "attest it (slimgo attest or cosign attest), or check the image has "
                                 "not changed since")
    found, reasons = [], []
    for layer in attestations.layers[:MAX_SIGNATURES]:
        parsed, reason = _open_envelope(layer, key)
        if parsed is None:
            reasons.append(reason)
        elif not _names(parsed, digest):
            reasons.append(f"envelope {layer.descriptor.digest.short} is about another digest, not {digest}")
        elif kind is None or parsed.get("predicateType") == kind:
            found.append(parsed)
    if not found:
        wanted = f" of type {kind}" if kind else ""
        raise VerificationFailed(image, f"has no valid attestation{wanted} for {digest} "
                                 f"({'; '.join(reasons) or 'none of that type'})",
                                 "check the public key is the signing key's and the --type, and that the image was "
                                 "not changed after it was attested")
    return found
