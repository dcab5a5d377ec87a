"""Images, layers and indexes as read-only views whose content is produced on demand."""

from __future__ import annotations

__all__ = [
    "BlobLayer",
    "ImageIndex",
    "Layer",
    "StoredImage",
    "assemble",
    "assemble_index",
    "raw_bytes",
    "select_platform",
]

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from slimgo.errors import ImageFormatError
from slimgo.oci import mediatype
from slimgo.oci.config import ImageConfig
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.manifest import Index, Manifest
from slimgo.oci.platform import Platform


class Layer(Protocol):
    """One filesystem layer: its descriptor (compressed blob), its diff_id, and its bytes."""

    @property
    def descriptor(self) -> Descriptor: ...

    @property
    def diff_id(self) -> Digest: ...

    def open_blob(self) -> BinaryIO:
        """The blob exactly as stored (compressed when its media type says so)."""
        ...


@dataclass(frozen=True)
class BlobLayer:
    """A layer whose blob comes from an opener (a file in a layout, a member of an archive, a temp file)."""

    descriptor: Descriptor
    diff_id: Digest
    opener: Callable[[], BinaryIO] = field(compare=False)
    uncompressed_size: int | None = None

    def open_blob(self) -> BinaryIO:
        return self.opener()


@dataclass(frozen=True)
class StoredImage:
    """An image whose manifest and config bytes are known exactly (read from a store, or just assembled)."""

    raw_manifest: bytes
    raw_config: bytes
    layers: tuple[Layer, ...]

    @property
    def manifest(self) -> Manifest:
        return Manifest.parse(self.raw_manifest)

    @property
    def config(self) -> ImageConfig:
        return ImageConfig.parse(self.raw_config)

    @property
    def digest(self) -> Digest:
        return Digest.of(self.raw_manifest)

    @property
    def media_type(self) -> str:
        return self.manifest.media_type


def assemble(config: ImageConfig, layers: Sequence[Layer], annotations: dict[str, str] | None = None,
             media_type: str = mediatype.OCI_MANIFEST) -> StoredImage:
    """Make an image from a config and its layers; rootfs.diff_ids is set from the layers."""
    config = config.replace(rootfs={"type": "layers", "diff_ids": [str(layer.diff_id) for layer in layers]})
    raw_config = config.to_bytes()
    config_type = mediatype.DOCKER_CONFIG if media_type == mediatype.DOCKER_MANIFEST else mediatype.OCI_CONFIG
    manifest = Manifest(
        config=Descriptor(config_type, Digest.of(raw_config), len(raw_config)),
        layers=tuple(layer.descriptor for layer in layers),
        media_type=media_type,
        annotations=dict(annotations or {}),
    )
    return StoredImage(manifest.to_bytes(), raw_config, tuple(layers))


@dataclass(frozen=True)
class ImageIndex:
    """An index of platform images (what a multi-platform build produces)."""

    raw_index: bytes
    images: tuple[StoredImage, ...]

    @property
    def index(self) -> Index:
        return Index.parse(self.raw_index)

    @property
    def digest(self) -> Digest:
        return Digest.of(self.raw_index)


def assemble_index(images: Sequence[StoredImage], annotations: dict[str, str] | None = None) -> ImageIndex:
    entries = []
    for image in images:
        entries.append(Descriptor(image.media_type, image.digest, len(image.raw_manifest),
                                  platform=image.config.platform))
    index = Index(manifests=tuple(entries), annotations=dict(annotations or {}))
    return ImageIndex(index.to_bytes(), tuple(images))


def select_platform(candidates: Sequence[tuple[Platform | None, object]], wanted: Platform,
                    where: str) -> object:
    """Pick the entry for ``wanted`` from (platform, item) pairs; a clear error lists what there is."""
    for plat, item in candidates:
        if plat is not None and wanted.matches(plat):
            return item
    have = ", ".join(str(p) for p, _ in candidates if p is not None) or "none"
    raise ImageFormatError(where, f"has no image for platform {wanted} (it has: {have})",
                           "pass --platform with one of the platforms it has")


def raw_bytes(data: bytes) -> Callable[[], BinaryIO]:
    return lambda: io.BytesIO(data)
