"""SBOMs attached to images as OCI 1.1 artifacts (artifactType application/spdx+json or
application/vnd.cyclonedx+json, subject the image), written and read back through the stores."""

from __future__ import annotations

__all__ = ["Attached", "attach_provenance", "attach_sbom", "fetch_sbom", "require_provenance", "require_sbom"]

from dataclasses import dataclass

from slimgo.errors import SlimgoError, StoreError
from slimgo.oci import mediatype
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.image import BlobLayer, ImageIndex, StoredImage, raw_bytes
from slimgo.oci.manifest import Manifest
from slimgo.stores.layout import Artifact
from slimgo.stores.transport import Location, Stores
from slimgo.supply.sbom import MEDIA_TYPES, timestamp

EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"  # the OCI 1.1 empty descriptor: "{}"
EMPTY = b"{}"
CREATED = "org.opencontainers.image.created"


class MissingSbom(SlimgoError):
    """An image has no attached SBOM of the format asked for (exit code 1)."""


@dataclass(frozen=True)
class Attached:
    format: str
    digest: str  # of the referrer manifest
    size: int


IN_TOTO = "application/vnd.in-toto+json"


def sbom_artifact(subject: Artifact, fmt: str, data: bytes, created: int) -> StoredImage:
    """A manifest whose one blob is the SBOM and whose subject is ``subject`` (an image or an index)."""
    return artifact_about(subject, MEDIA_TYPES[fmt], data, created)


def artifact_about(subject: Artifact, media_type: str, data: bytes, created: int) -> StoredImage:
    """A manifest whose one blob is ``data`` (of ``media_type``, also its artifactType) about ``subject``."""
    raw = subject.raw_index if isinstance(subject, ImageIndex) else subject.raw_manifest
    subject_type = subject.index.media_type if isinstance(subject, ImageIndex) else subject.media_type
    blob = Descriptor(media_type, Digest.of(data), len(data))
    manifest = Manifest(config=Descriptor(EMPTY_CONFIG, Digest.of(EMPTY), len(EMPTY)), layers=(blob,),
                        media_type=mediatype.OCI_MANIFEST, annotations={CREATED: timestamp(created)},
                        subject=Descriptor(subject_type, subject.digest, len(raw)), artifact_type=media_type)
    return StoredImage(manifest.to_bytes(), EMPTY, (BlobLayer(blob, blob.digest, raw_bytes(data)),))


def attach_sbom(stores: Stores, image: str, subject: Artifact, fmt: str, data: bytes, created: int) -> Attached:
    artifact = sbom_artifact(subject, fmt, data, created)
    digest = stores.attach(Location.parse(image), artifact)
    return Attached(fmt, str(digest), len(artifact.raw_manifest))


def attached_sboms(stores: Stores, image: str, subject: Digest) -> list[tuple[str, Descriptor]]:
    """The SBOMs attached to ``subject`` beside ``image``: (format, referrer descriptor), oldest first."""
    formats = {media: fmt for fmt, media in MEDIA_TYPES.items()}
    return [(formats[d.artifact_type], d) for d in stores.referrers(Location.parse(image), subject)
            if d.artifact_type in formats]


def fetch_sbom(stores: Stores, image: str, subject: Digest, fmt: str) -> bytes:
    """The newest attached SBOM of ``fmt`` (the last one listed), as stored."""
    found = [desc for kind, desc in attached_sboms(stores, image, subject) if kind == fmt]
    if not found:
        raise MissingSbom(image, f"has no attached {fmt} SBOM (no referrer of {subject} has artifactType "
                          f"{MEDIA_TYPES[fmt]})", "attach one: slimgo sbom --attach IMAGE, or build with --sbom")
    manifest, data = _read(stores, image, found[-1], fmt)
    if manifest.layers[0].media_type != MEDIA_TYPES[fmt]:
        raise MissingSbom(image, f"has a referrer {found[-1].digest} whose content is "
                          f"{manifest.layers[0].media_type}, not an {fmt} SBOM", "attach the SBOM again")
    return data


def _read(stores: Stores, image: str, desc: Descriptor, fmt: str) -> tuple[Manifest, bytes]:
    try:
        return stores.read_referrer(Location.parse(image), desc)
    except StoreError as err:
        raise MissingSbom(image, f"has an attached {fmt} SBOM ({desc.digest}) that cannot be read: {err.subject}: "
                          f"{err.cause}", "attach the SBOM again (slimgo sbom --attach)") from None


def require_sbom(stores: Stores, image: str) -> tuple[str, ...]:
    """The formats of the SBOMs attached to ``image`` (to an index itself, or to every image it lists)."""
    artifact = stores.read(image, fetch_layers=False)
    listed = attached_sboms(stores, image, artifact.digest)
    if not listed and isinstance(artifact, ImageIndex):
        per_image = [attached_sboms(stores, image, child.digest) for child in artifact.images]
        listed = [pair for pairs in per_image for pair in pairs] if all(per_image) else []
    for fmt, desc in listed:  # each must be there to read, not only listed
        _read(stores, image, desc, fmt)
    found = {fmt for fmt, _ in listed}
    if not found:
        raise MissingSbom(image, f"has no attached SBOM (no referrer of {artifact.digest} is an SPDX or "
                          "CycloneDX document)", "attach one: slimgo sbom --attach IMAGE, or build with --sbom")
    return tuple(sorted(found))


def attach_provenance(stores: Stores, image: str, subject: Artifact, data: bytes, created: int) -> Attached:
    artifact = artifact_about(subject, IN_TOTO, data, created)
    digest = stores.attach(Location.parse(image), artifact)
    return Attached("slsa-provenance", str(digest), len(artifact.raw_manifest))


def require_provenance(stores: Stores, image: str) -> None:
    """Refuse ``image`` unless an in-toto statement (slimgo's provenance) is attached to it or its images."""
    artifact = stores.read(image, fetch_layers=False)
    subjects = [artifact.digest] + ([c.digest for c in artifact.images] if isinstance(artifact, ImageIndex) else [])
    location = Location.parse(image)
    if not any(stores.referrers(location, subject, IN_TOTO) for subject in subjects):
        raise MissingSbom(image, f"has no attached provenance (no referrer of {artifact.digest} has artifactType "
                          f"{IN_TOTO})", "build it with slimgo build --provenance")
