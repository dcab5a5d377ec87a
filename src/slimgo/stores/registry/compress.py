"""Uncompressed layers (docker-archive, some OCI layouts) are gzip'd on their way to a registry, as skopeo does."""

from __future__ import annotations

__all__ = ["gzip_layers", "has_uncompressed_layers"]

import shutil
from dataclasses import replace
from pathlib import Path

from slimgo.compression import compressing_writer
from slimgo.oci import mediatype
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest, HashingWriter
from slimgo.oci.image import BlobLayer, ImageIndex, Layer, StoredImage
from slimgo.oci.manifest import Index, Manifest
from slimgo.stores.fsutil import os_error
from slimgo.stores.layout import Artifact

DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar"
UNCOMPRESSED = frozenset({mediatype.OCI_LAYER, DOCKER_LAYER_TAR})


def has_uncompressed_layers(artifact: Artifact) -> bool:
    images = artifact.images if isinstance(artifact, ImageIndex) else (artifact,)
    return any(layer.descriptor.media_type in UNCOMPRESSED for image in images for layer in image.layers)


def gzip_layers(artifact: Artifact, workdir: Path) -> Artifact:
    """``artifact`` with every uncompressed layer gzip'd (pinned, reproducible); a new manifest, same config.

    The diff_ids do not change (they are digests of the uncompressed tars), so neither does the config; the
    manifest and therefore the image digest do. Compressed blobs are written under ``workdir``.
    """
    if not has_uncompressed_layers(artifact):
        return artifact
    done: dict[Digest, BlobLayer] = {}
    if isinstance(artifact, StoredImage):
        return _image(artifact, workdir, done)
    images = {image.digest: _image(image, workdir, done) for image in artifact.images}
    if all(new is old for new, old in zip(images.values(), artifact.images, strict=True)):
        return artifact
    index = artifact.index
    entries = tuple(replace(d, digest=images[d.digest].digest, size=len(images[d.digest].raw_manifest))
                    if d.digest in images else d for d in index.manifests)
    raw = Index(manifests=entries, media_type=index.media_type, annotations=dict(index.annotations)).to_bytes()
    return ImageIndex(raw, tuple(images.values()))


def _image(image: StoredImage, workdir: Path, done: dict[Digest, BlobLayer]) -> StoredImage:
    manifest = image.manifest
    docker = manifest.media_type == mediatype.DOCKER_MANIFEST
    layers: list[Layer] = []
    for layer in image.layers:
        desc = layer.descriptor
        if desc.media_type not in UNCOMPRESSED or _looks_compressed(layer):
            layers.append(layer)
            continue
        if desc.digest not in done:
            done[desc.digest] = _gzip(layer, mediatype.DOCKER_LAYER_GZIP if docker else mediatype.OCI_LAYER_GZIP,
                                      workdir)
        layers.append(done[desc.digest])
    if all(new is old for new, old in zip(layers, image.layers, strict=True)):
        return image
    rebuilt = Manifest(config=manifest.config, layers=tuple(layer.descriptor for layer in layers),
                       media_type=manifest.media_type, annotations=dict(manifest.annotations),
                       subject=manifest.subject, artifact_type=manifest.artifact_type)
    return StoredImage(rebuilt.to_bytes(), image.raw_config, tuple(layers))


def _looks_compressed(layer: Layer) -> bool:
    # A blob labelled "tar" that is already gzip or zstd: compressing it again would break its diff_id.
    with layer.open_blob() as blob:
        head = blob.read(4)
    return head[:2] == b"\x1f\x8b" or head == b"\x28\xb5\x2f\xfd"


def _gzip(layer: Layer, media_type: str, workdir: Path) -> BlobLayer:
    desc = layer.descriptor
    path = workdir / f"{desc.digest.hex}.tar.gz"
    try:
        with open(path, "wb") as out:
            hashing = HashingWriter(out)
            with layer.open_blob() as tar, compressing_writer(hashing, "gzip") as gz:  # type: ignore[arg-type]
                shutil.copyfileobj(tar, gz, 1 << 20)
    except OSError as err:  # the scratch directory's disk is full, most likely
        raise os_error(path, err) from None
    compressed = Descriptor(media_type, hashing.digest, hashing.size, annotations=dict(desc.annotations))
    # The tar's digest is its diff_id: what the config already lists for this layer.
    return BlobLayer(compressed, layer.diff_id, lambda: open(path, "rb"), uncompressed_size=desc.size)
