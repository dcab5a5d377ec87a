"""Push: blobs first (skipped when present, mounted when known nearby, else uploaded), then manifests, index last."""

from __future__ import annotations

__all__ = ["Pusher", "push_referrer"]

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, wait
from dataclasses import dataclass
from typing import IO

from slimgo.errors import UsageError
from slimgo.oci import mediatype
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.image import ImageIndex, StoredImage, raw_bytes
from slimgo.oci.manifest import Index
from slimgo.stores.inplace import verify_layers
from slimgo.stores.layout import Artifact
from slimgo.stores.pool import transfer_pool
from slimgo.stores.progress import Bars, NoBars
from slimgo.stores.registry.auth import AuthError
from slimgo.stores.registry.client import ManifestUnknown, RegistryClient, fallback_tag
from slimgo.stores.registry.pull import RegistryLayer
from slimgo.stores.registry.reference import Reference
from slimgo.stores.registry.session import RegistrySession


@dataclass(frozen=True)
class _Blob:
    descriptor: Descriptor
    opener: Callable[[], IO[bytes]]
    source: tuple[str, str] | None  # (API host, repository) the blob was pulled from


def _blobs(images: Sequence[StoredImage]) -> list[_Blob]:
    found: dict[Digest, _Blob] = {}
    for image in images:
        for layer in image.layers:
            desc = layer.descriptor
            source = (layer.registry, layer.repository) if isinstance(layer, RegistryLayer) else None
            found.setdefault(desc.digest, _Blob(desc, layer.open_blob, source))
        config = image.manifest.config
        found.setdefault(config.digest, _Blob(config, raw_bytes(image.raw_config), None))
    # Largest first: the long uploads start early, small ones fill the gaps.
    return sorted(found.values(), key=lambda b: -b.descriptor.size)


class Pusher:
    def __init__(self, session: RegistrySession, progress: Bars | None = None) -> None:
        self.session = session
        self.progress = progress or NoBars()
        self.uploaded_bytes = 0
        self.skipped: list[Digest] = []
        self.mounted: list[Digest] = []
        self._lock = threading.Lock()

    def push(self, ref: Reference, artifact: Artifact, extra_tags: Sequence[str] = ()) -> Digest:
        """Push ``artifact`` to ``ref`` (and every extra tag); returns its digest, as the registry confirmed."""
        digest = artifact.digest
        if ref.digest is not None and ref.digest != digest:
            raise UsageError(str(ref), f"pins digest {ref.digest}, but the image being pushed is {digest}",
                             "drop the @digest from the destination, or push the image it names")
        client = self.session.client(ref.api_host)
        images = list(artifact.images) if isinstance(artifact, ImageIndex) else [artifact]
        for image in images:  # a layer read lazily (an archive's) is checked before any byte leaves
            verify_layers(image.layers)
        self._push_blobs(client, ref.repository, _blobs(images))
        tags = list(dict.fromkeys([*([ref.tag] if ref.tag else []), *extra_tags]))
        if not tags and ref.digest is None:
            tags = ["latest"]
        if isinstance(artifact, ImageIndex):
            for image in images:  # every child before the index that references it
                client.put_manifest(ref.repository, str(image.digest), image.raw_manifest, image.media_type)
            raw, media_type = artifact.raw_index, artifact.index.media_type
        else:
            raw, media_type = artifact.raw_manifest, artifact.media_type
        for identifier in tags or [str(digest)]:
            response = client.put_manifest(ref.repository, identifier, raw, media_type)
            del response
        # What this machine pushed is what the tag now names: --pull missing must not serve an older image.
        self.session.cache.put_bytes(digest, raw)
        for image in images:
            self.session.cache.put_bytes(image.digest, image.raw_manifest)
            self.session.cache.put_bytes(image.manifest.config.digest, image.raw_config)
        for tag in tags:
            self.session.cache.set_tag(ref.with_tag(tag).with_digest(None), digest)
        return digest

    def _push_blobs(self, client: RegistryClient, repository: str, blobs: list[_Blob]) -> None:
        if not blobs:
            return
        jobs = min(self.session.options.jobs, len(blobs))
        with transfer_pool(jobs) as pool:
            futures = [pool.submit(self._push_blob, client, repository, blob) for blob in blobs]
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for future in pending:
                future.cancel()
            for future in futures:  # the first failure, in a stable order; the manifest is never sent
                if future.done() and not future.cancelled() and future.exception() is not None:
                    raise future.exception()  # type: ignore[misc]
            del done

    def _push_blob(self, client: RegistryClient, repository: str, blob: _Blob) -> None:
        desc = blob.descriptor
        registry = client.registry
        label = f"push {desc.digest.short}"
        if client.blob_exists(repository, desc.digest):
            self.skipped.append(desc.digest)
            self.progress.finish(label, "exists")
            self.session.saw(registry, repository, desc.digest)
            return
        sources = self.session.known_in(registry, desc.digest)
        if blob.source is not None and blob.source[0] == registry:
            sources.add(blob.source[1])
        sources.discard(repository)
        location: str | None = None
        for source in sorted(sources)[:3]:
            try:
                location = client.mount_blob(repository, desc.digest, source)
            except AuthError:  # no pull right on the source (a remembered one may be anyone's): upload instead
                location = None
                continue
            if location is None:
                self.mounted.append(desc.digest)
                self.progress.finish(label, f"mounted from {source}")
                self.session.saw(registry, repository, desc.digest)
                return
        advance = self.progress.bar(label, desc.size)

        def counted(n: int) -> None:
            with self._lock:
                self.uploaded_bytes += n
            advance(n)

        client.upload_blob(repository, desc, blob.opener, self.session.options.chunk_size, counted, location)
        self.session.saw(registry, repository, desc.digest)
        self.progress.finish(label, "pushed")


def push_referrer(session: RegistrySession, subject_ref: Reference, artifact: StoredImage) -> Digest:
    """Push a manifest whose `subject` is an image in ``subject_ref``'s repository (an SBOM, a signature).

    A registry with the OCI 1.1 referrers API confirms with an OCI-Subject header, or answers that API; otherwise
    the referrers tag schema is kept up to date: the index at tag `sha256-<subject hex>` gains this manifest's
    descriptor.
    """
    manifest = artifact.manifest
    if manifest.subject is None:
        raise UsageError("referrer", "the manifest has no subject", "set the subject to the image it describes")
    client = session.client(subject_ref.api_host)
    repository = subject_ref.repository
    Pusher(session)._push_blobs(client, repository, _blobs([artifact]))
    response = client.put_manifest(repository, str(artifact.digest), artifact.raw_manifest, artifact.media_type)
    # Registries with the API say so with OCI-Subject; some (go-containerregistry's) list referrers without
    # saying it: asking the API then tells whether the fallback tag is needed.
    if response.headers.get("OCI-Subject") or client.has_referrers_api(repository, manifest.subject.digest):
        return artifact.digest
    entry = Descriptor(artifact.media_type, artifact.digest, len(artifact.raw_manifest),
                       annotations=dict(manifest.annotations),
                       artifact_type=manifest.artifact_type or manifest.config.media_type)
    tag = fallback_tag(manifest.subject.digest)
    existing: list[Descriptor] = []
    try:
        fetched = client.get_manifest(repository, tag, suggest=False)
        existing = list(Index.parse(fetched.raw, f"referrers tag {tag}").manifests)
    except ManifestUnknown:
        pass
    if any(d.digest == entry.digest for d in existing):
        return artifact.digest
    index = Index(manifests=(*existing, entry), media_type=mediatype.OCI_INDEX)
    client.put_manifest(repository, tag, index.to_bytes(), mediatype.OCI_INDEX)
    return artifact.digest
