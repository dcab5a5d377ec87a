"""Pull: a reference becomes an image or index whose manifests, configs and layers are verified and cached."""

from __future__ import annotations

__all__ = ["Puller", "RegistryLayer"]

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from slimgo.errors import ImageFormatError, RegistryError
from slimgo.oci import mediatype
from slimgo.oci.config import ImageConfig
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.image import ImageIndex, Layer, StoredImage
from slimgo.oci.manifest import Index, Manifest, media_type_of
from slimgo.stores.layout import CONFIG_LIMIT, HELD_LIMIT, Artifact
from slimgo.stores.pool import transfer_pool
from slimgo.stores.progress import Bars, NoBars
from slimgo.stores.registry.client import MANIFEST_LIMIT, Fetched
from slimgo.stores.registry.reference import Reference
from slimgo.stores.registry.session import RegistrySession


@dataclass(frozen=True)
class RegistryLayer:
    """A layer whose blob lives in a registry repository; opening it downloads (verified) into the cache."""

    descriptor: Descriptor
    diff_id: Digest
    registry: str  # API host
    repository: str
    fetch: Callable[[], Path] = field(compare=False, repr=False)

    def open_blob(self) -> BinaryIO:
        return open(self.fetch(), "rb")

    def verified_file(self) -> Path:
        """The blob in the local cache, already checked against its digest (downloaded first when missing).

        Writers that can link or copy a file (the OCI layout) use it instead of reading and hashing it again.
        """
        return self.fetch()


def _offline_error(ref: Reference, what: str) -> RegistryError:
    return RegistryError(str(ref), f"{what} is not in the local cache and --pull never forbids the network",
                         "run once with --pull missing (or always) while the registry is reachable")


class Puller:
    def __init__(self, session: RegistrySession, progress: Bars | None = None) -> None:
        self.session = session
        self.cache = session.cache
        self.policy = session.options.pull
        self.progress = progress or NoBars()
        self._held = 0  # bytes of manifests and configs this pull keeps in memory
        self._held_lock = threading.Lock()

    def _hold(self, size: int, where: str) -> None:
        """Count ``size`` more bytes held in memory; an index listing more than anyone needs is refused."""
        with self._held_lock:
            self._held += size
            held = self._held
        if held > HELD_LIMIT:
            raise ImageFormatError(where, f"needs more than {HELD_LIMIT} bytes of manifests and configs in all",
                                   "this is not an image slimgo can read (an index listing far too many images); "
                                   "pull one platform's image by digest instead")

    def pull(self, ref: Reference, prefetch: bool = True) -> Artifact:
        top = self._resolve(ref)
        if mediatype.is_index(top.media_type):
            index = Index.parse(top.raw, f"index {ref}")
            children = [d for d in index.manifests if mediatype.is_manifest(d.media_type)]
            for child in children:  # sizes are known up front: refuse before fetching anything
                if child.size > MANIFEST_LIMIT:
                    raise ImageFormatError(f"{ref.name}@{child.digest}", f"is {child.size} bytes by its index, "
                                           f"more than the {MANIFEST_LIMIT} a manifest can be",
                                           "this is not an image slimgo can read")
            self._hold(sum(child.size for child in children), f"index {ref}")
            with transfer_pool(self.session.options.jobs) as pool:
                images = list(pool.map(lambda d: self._image(ref, self._by_digest(ref, d.digest, d.size)), children))
            return ImageIndex(top.raw, tuple(images))
        if not mediatype.is_manifest(top.media_type):
            raise ImageFormatError(str(ref), f"is not an image (media type {top.media_type!r})",
                                   "point slimgo at an image or image index")
        image = self._image(ref, top)
        if prefetch:
            self.prefetch(image.layers)
        return image

    def prefetch(self, layers: Sequence[Layer]) -> None:
        """Download every missing layer in parallel (so the image is usable offline afterwards)."""
        unique = {layer.descriptor.digest: layer for layer in layers if isinstance(layer, RegistryLayer)}
        wanted = [layer for digest, layer in unique.items() if not self.cache.has(digest)]
        if not wanted:
            return
        with transfer_pool(self.session.options.jobs) as pool:
            for done in pool.map(self._fetch_layer, wanted):
                del done

    # -- manifests -------------------------------------------------------------------------------------
    def _resolve(self, ref: Reference) -> Fetched:
        if ref.digest is not None:
            return self._by_digest(ref, ref.digest, None)
        if self.policy in ("missing", "never"):
            cached = self.cache.tagged(ref)
            raw = self.cache.read(cached) if cached is not None else None
            if cached is not None and raw is not None:
                return Fetched(raw, media_type_of(raw, str(ref)), cached)
            if self.policy == "never":
                raise _offline_error(ref, "this tag")
        fetched = self.session.client(ref.api_host).get_manifest(ref.repository, ref.identifier)
        self.cache.put_bytes(fetched.digest, fetched.raw)
        self.cache.set_tag(ref, fetched.digest)
        return fetched

    def _by_digest(self, ref: Reference, digest: Digest, size: int | None) -> Fetched:
        raw = self.cache.read(digest)  # content-addressed: a cached manifest is valid under any policy
        if raw is None:
            if self.policy == "never":
                raise _offline_error(ref, f"manifest {digest}")
            fetched = self.session.client(ref.api_host).get_manifest(ref.repository, str(digest))
            raw = fetched.raw
            self.cache.put_bytes(digest, raw)
        if size is not None and len(raw) != size:
            raise ImageFormatError(f"{ref.name}@{digest}", f"is {len(raw)} bytes, not the {size} its index says",
                                   "the registry is broken or the index is corrupt")
        return Fetched(raw, media_type_of(raw, f"{ref.name}@{digest}"), digest)

    # -- images ----------------------------------------------------------------------------------------
    def _image(self, ref: Reference, fetched: Fetched) -> StoredImage:
        where = f"{ref.name}@{fetched.digest}"
        manifest = Manifest.parse(fetched.raw, f"manifest {where}")
        raw_config = self._small_blob(ref, manifest.config, f"config of {where}")
        diff_ids = ImageConfig.parse(raw_config, f"config of {where}").diff_ids
        if len(diff_ids) != len(manifest.layers):
            raise ImageFormatError(where, "has a different number of layers and diff_ids",
                                   "the image is corrupt; rebuild or re-push it")
        layers = tuple(self._layer(ref, desc, diff_id) for desc, diff_id in zip(manifest.layers, diff_ids,
                                                                               strict=True))
        for desc in (*manifest.layers, manifest.config):
            self.session.saw(ref.api_host, ref.repository, desc.digest)
        return StoredImage(fetched.raw, raw_config, layers)

    def _small_blob(self, ref: Reference, desc: Descriptor, where: str) -> bytes:
        if desc.size > CONFIG_LIMIT:  # read whole into memory below: refuse before downloading
            raise ImageFormatError(where, f"is {desc.size} bytes by its descriptor, more than the {CONFIG_LIMIT} "
                                   "an image config can be", "this is not an image slimgo can read; rebuild it")
        self._hold(desc.size, where)
        raw = self.cache.read(desc.digest)
        if raw is None:
            if self.policy == "never":
                raise _offline_error(ref, where)
            self.session.client(ref.api_host).fetch_blob(ref.repository, desc, self.cache)
            raw = self.cache.read(desc.digest)
            if raw is None:
                raise RegistryError(where, "vanished from the cache right after it was stored",
                                    "check the cache directory (SLIMGO_CACHE_DIR) is writable")
        if len(raw) != desc.size:
            raise ImageFormatError(where, f"is {len(raw)} bytes, not the {desc.size} its manifest says",
                                   "the image is corrupt; rebuild or re-push it")
        return raw

    def _layer(self, ref: Reference, desc: Descriptor, diff_id: Digest) -> RegistryLayer:
        def fetch() -> Path:
            if not self.cache.has(desc.digest):
                if self.policy == "never":
                    raise _offline_error(ref, f"layer {desc.digest}")
                with self.session.bars() as lazy:
                    advance = lazy.bar(f"pull {desc.digest.short}", desc.size)
                    self.session.client(ref.api_host).fetch_blob(ref.repository, desc, self.cache, advance)
            return self.cache.blob_path(desc.digest)

        return RegistryLayer(desc, diff_id, ref.api_host, ref.repository, fetch)

    def _fetch_layer(self, layer: RegistryLayer) -> None:
        desc = layer.descriptor
        if self.policy == "never":
            raise RegistryError(f"layer {desc.digest}", "is not in the local cache and --pull never forbids "
                                "the network", "run once with --pull missing while the registry is reachable")
        label = f"pull {desc.digest.short}"
        advance = self.progress.bar(label, desc.size)
        client = self.session.client(layer.registry)
        client.fetch_blob(layer.repository, desc, self.cache, advance)
        self.progress.finish(label, "done")
