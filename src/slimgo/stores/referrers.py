"""OCI 1.1 referrers (SBOMs and other artifacts whose `subject` is an image) in layouts and registries: attach one,
list those of a subject, read one back. Registries without the referrers API get the tag schema fallback."""

from __future__ import annotations

__all__ = [
    "attach_in_registry",
    "attach_to_layout",
    "layout_referrers",
    "read_layout_referrer",
    "read_registry_referrer",
    "registry_referrers",
]

from pathlib import Path
from typing import TYPE_CHECKING, overload

from slimgo.errors import ImageFormatError, StoreError
from slimgo.oci import mediatype
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.image import StoredImage
from slimgo.oci.manifest import Manifest
from slimgo.stores.layout import REF_NAME, Layout, is_layout

if TYPE_CHECKING:
    from slimgo.stores.registry.session import RegistrySession

MAX_REFERRERS = 1000  # a subject with more attached artifacts than this is not one slimgo lists
ARTIFACT_LIMIT = 64 << 20  # an SBOM of a large image is a few MiB


def attach_to_layout(root: Path, artifact: StoredImage) -> Digest:
    """Add ``artifact`` to the layout untagged (as the image-layout spec keeps referrers): found by its subject."""
    if not is_layout(root):
        raise StoreError(f"oci:{root}", "is not an OCI image layout", "attach to the layout the image is in")
    layout = Layout(root)
    desc = layout.write_artifact(artifact)
    manifest = artifact.manifest
    layout.set_tag(Descriptor(desc.media_type, desc.digest, desc.size,
                              artifact_type=manifest.artifact_type or manifest.config.media_type), None)
    return artifact.digest


def layout_referrers(root: Path, subject: Digest, artifact_type: str = "") -> list[Descriptor]:
    """The untagged manifests of the layout whose subject is ``subject``."""
    layout = Layout(root)
    found: list[Descriptor] = []
    candidates = [d for d in layout.index().manifests
                  if REF_NAME not in d.annotations and mediatype.is_manifest(d.media_type)]
    for desc in candidates[:MAX_REFERRERS]:
        manifest = Manifest.parse(layout.read_blob(desc.digest, "manifest"), f"oci:{root} manifest {desc.digest}")
        kind = manifest.artifact_type or manifest.config.media_type
        if manifest.subject is not None and manifest.subject.digest == subject and \
                (not artifact_type or kind == artifact_type):
            found.append(Descriptor(desc.media_type, desc.digest, desc.size, dict(manifest.annotations),
                                    artifact_type=kind))
    return found


def read_layout_referrer(root: Path, desc: Descriptor) -> tuple[Manifest, bytes]:
    """A referrer's manifest and its first blob (the SBOM, the signature), bounded and checked by digest."""
    layout = Layout(root)
    manifest = Manifest.parse(layout.read_blob(desc.digest, "manifest"), f"oci:{root} manifest {desc.digest}")
    blob = _first_blob(manifest, f"oci:{root}@{desc.digest}")
    return manifest, layout.read_blob(blob.digest, "referrer content", ARTIFACT_LIMIT)


def _first_blob(manifest: Manifest, where: str) -> Descriptor:
    if not manifest.layers:
        raise ImageFormatError(where, "is an artifact with no content blob", "attach it again")
    blob = manifest.layers[0]
    if blob.size > ARTIFACT_LIMIT:
        raise ImageFormatError(where, f"has a {blob.size}-byte blob, more than the {ARTIFACT_LIMIT} slimgo reads",
                               "this is not an SBOM slimgo can read")
    return blob


def registry_referrers(session: RegistrySession, reference: str, subject: Digest,
                       artifact_type: str = "") -> list[Descriptor]:
    from slimgo.stores.registry.reference import Reference

    ref = Reference.parse(reference)
    found = session.client(ref.api_host).referrers(ref.repository, subject, artifact_type)
    return found[:MAX_REFERRERS]


@overload
def attach_in_registry(session: RegistrySession, reference: str, artifact: StoredImage) -> Digest: ...
@overload
def attach_in_registry(session: RegistrySession, reference: str, artifact: StoredImage,
                       fallback: bool) -> Digest | None: ...
def attach_in_registry(session: RegistrySession, reference: str, artifact: StoredImage,
                       fallback: bool = True) -> Digest | None:
    """Push ``artifact``; without ``fallback``, only to a registry with the referrers API (else None)."""
    from slimgo.stores.registry.push import push_referrer
    from slimgo.stores.registry.reference import Reference

    ref = Reference.parse(reference)
    subject = artifact.manifest.subject
    if not fallback and (subject is None or
                         not session.client(ref.api_host).has_referrers_api(ref.repository, subject.digest)):
        return None
    return push_referrer(session, ref, artifact)


def read_registry_referrer(session: RegistrySession, reference: str, desc: Descriptor) -> tuple[Manifest, bytes]:
    from slimgo.stores.registry.reference import Reference

    ref = Reference.parse(reference)
    client = session.client(ref.api_host)
    where = f"{ref.name}@{desc.digest}"
    manifest = Manifest.parse(client.get_manifest(ref.repository, str(desc.digest)).raw, where)
    blob = _first_blob(manifest, where)
    client.fetch_blob(ref.repository, blob, session.cache)
    data = session.cache.read(blob.digest)
    if data is None:
        raise StoreError(where, "vanished from the cache right after it was stored",
                         "check the cache directory (SLIMGO_CACHE_DIR) is writable")
    return manifest, data
