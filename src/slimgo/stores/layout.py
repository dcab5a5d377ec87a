"""The OCI image layout on disk (`oci:DIR[:TAG]`): read images by tag, write images and indexes atomically."""

from __future__ import annotations

__all__ = ["CONFIG_LIMIT", "HELD_LIMIT", "MANIFEST_LIMIT", "Artifact", "Layout", "write_layout"]

import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from slimgo.errors import ImageFormatError, InputError, NotFound, StoreError
from slimgo.oci import mediatype
from slimgo.oci.config import ImageConfig
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest, HashingWriter
from slimgo.oci.image import BlobLayer, ImageIndex, Layer, StoredImage, select_platform
from slimgo.oci.manifest import Index, Manifest, canonical_json
from slimgo.oci.platform import Platform
from slimgo.stores.fsutil import (
    atomic_write,
    atomic_write_bytes,
    copy_stream,
    file_lock,
    link_or_copy,
    os_error,
    read_capped,
)
from slimgo.stores.inplace import verify_layers

REF_NAME = "org.opencontainers.image.ref.name"
LAYOUT_FILE = {"imageLayoutVersion": "1.0.0"}
MANIFEST_LIMIT = 4 << 20  # what registries accept for a manifest or index; anything larger is not one
CONFIG_LIMIT = 16 << 20  # an image config is a few KiB; this leaves room for a very long history
# What one read of an index may hold of manifests and configs: hundreds of platforms' worth, not an exhausted host.
HELD_LIMIT = 256 << 20
# Held around every read-modify-write of index.json, so two writers sharing a layout keep both their tags.
LOCK_FILE = ".slimgo-index.lock"
Artifact = StoredImage | ImageIndex


def is_layout(path: Path) -> bool:
    return (path / "oci-layout").is_file() and (path / "index.json").is_file()


class Layout:
    """A directory holding an OCI image layout."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- reading -------------------------------------------------------------------------------------
    def blob_path(self, digest: Digest) -> Path:
        return self.root / "blobs" / digest.algorithm / digest.hex

    def read_blob(self, digest: Digest, where: str, limit: int = MANIFEST_LIMIT) -> bytes:
        """A small blob (manifest, index, config) read whole: refused past ``limit`` bytes, checked by digest."""
        try:
            data = read_capped(self.blob_path(digest), limit, f"{self.blob_path(digest)} ({where})")
        except FileNotFoundError:
            raise ImageFormatError(f"{self.root}", f"is missing blob {digest} ({where})",
                                   "the layout is incomplete; rebuild or copy the image again") from None
        except OSError as err:
            raise os_error(self.blob_path(digest), err, "cannot read") from None
        if Digest.of(data) != digest:
            raise ImageFormatError(f"{self.blob_path(digest)}", f"does not match its digest ({where})",
                                   "the layout is corrupt; rebuild or copy the image again")
        return data

    def index(self) -> Index:
        if not self.root.exists():
            raise InputError(f"oci:{self.root}", "does not exist",
                             "check the path, or build an image into it first: slimgo build -o oci:DIR")
        if not is_layout(self.root):
            raise StoreError(str(self.root), "is not an OCI image layout (no oci-layout and index.json)",
                             "give a directory written by `slimgo build -o oci:DIR` or `skopeo copy ... oci:DIR`")
        try:
            raw = read_capped(self.root / "index.json", MANIFEST_LIMIT, f"{self.root}/index.json")
            return Index.parse(raw, f"{self.root}/index.json")
        except OSError as err:
            raise os_error(self.root / "index.json", err, "cannot read") from None

    def tags(self) -> list[str]:
        return [d.annotations[REF_NAME] for d in self.index().manifests if REF_NAME in d.annotations]

    def resolve(self, tag: str | None) -> Descriptor:
        entries = self.index().manifests
        if tag is None:
            # Untagged artifacts (SBOMs attached as OCI 1.1 referrers) describe an image; they are not one.
            entries = tuple(d for d in entries if not d.artifact_type)
            if len(entries) == 1:
                return entries[0]
            raise StoreError(f"oci:{self.root}", f"holds {len(entries)} images and no tag was given",
                             f"name one: oci:{self.root}:TAG (tags: {', '.join(self.tags()) or 'none'})")
        for desc in entries:
            if desc.annotations.get(REF_NAME) == tag:
                return desc
        raise NotFound(f"oci:{self.root}:{tag}", "no image has this tag in the layout",
                         f"use one of its tags: {', '.join(self.tags()) or 'none'}")

    def read_image(self, desc: Descriptor) -> StoredImage:
        raw = self.read_blob(desc.digest, "manifest")
        manifest = Manifest.parse(raw, f"manifest {desc.digest}")
        raw_config = self.read_blob(manifest.config.digest, "config", CONFIG_LIMIT)
        diff_ids = ImageConfig.parse(raw_config).diff_ids
        if len(diff_ids) != len(manifest.layers):
            raise ImageFormatError(f"image {desc.digest}", "has a different number of layers and diff_ids",
                                   "the image is corrupt; rebuild it")
        layers: list[Layer] = []
        for layer_desc, diff_id in zip(manifest.layers, diff_ids, strict=True):
            path = self.blob_path(layer_desc.digest)
            if not path.is_file():
                raise ImageFormatError(str(self.root), f"is missing layer blob {layer_desc.digest}",
                                       "the layout is incomplete; rebuild or copy the image again")
            layers.append(BlobLayer(layer_desc, diff_id, _opener(path)))
        return StoredImage(raw, raw_config, tuple(layers))

    def read_artifact(self, tag: str | None) -> Artifact:
        desc = self.resolve(tag)
        if mediatype.is_index(desc.media_type):
            raw = self.read_blob(desc.digest, "index")
            index = Index.parse(raw, f"index {desc.digest}")
            if sum(d.size for d in index.manifests) > HELD_LIMIT // 2:  # manifests, and as much again of configs
                raise ImageFormatError(f"{self.root} index {desc.digest}", f"lists {len(index.manifests)} "
                                       f"manifests of more than {HELD_LIMIT // 2} bytes in all",
                                       "this is not an image slimgo can read; copy one platform's image instead")
            images = tuple(self.read_image(d) for d in index.manifests if mediatype.is_manifest(d.media_type))
            return ImageIndex(raw, images)
        return self.read_image(desc)

    def open_image(self, tag: str | None, platform: Platform) -> StoredImage:
        artifact = self.read_artifact(tag)
        if isinstance(artifact, StoredImage):
            return artifact
        wanted = platform
        pairs = [(d.platform, img) for d, img in zip(artifact.index.manifests, artifact.images, strict=False)]
        chosen = select_platform(pairs, wanted, f"oci:{self.root}:{tag or ''}".rstrip(":"))
        assert isinstance(chosen, StoredImage)
        return chosen

    # -- writing -------------------------------------------------------------------------------------
    def write_blob(self, digest: Digest, source: bytes | BinaryIO) -> None:
        path = self.blob_path(digest)
        if path.is_file():
            return  # content-addressed: an existing blob is the same bytes

        def write(out: BinaryIO) -> None:
            if isinstance(source, bytes):
                out.write(source)
                return
            hashing = HashingWriter(out)
            copy_stream(source, hashing)  # type: ignore[arg-type]
            if hashing.digest != digest:
                raise ImageFormatError(str(path), f"content hashes to {hashing.digest}, not {digest}",
                                       "the source image is corrupt; rebuild or re-pull it")

        atomic_write(path, write)

    def write_image_blobs(self, image: StoredImage) -> None:
        verify_layers(image.layers)  # a layer read lazily (an archive's) is checked before any blob is written
        for layer in image.layers:
            verified = getattr(layer, "verified_file", None)
            if verified is not None:  # already on disk and checked (a registry pull's cache): link, do not re-hash
                path = self.blob_path(layer.descriptor.digest)
                if not path.is_file():
                    link_or_copy(verified(), path)
                continue
            with layer.open_blob() as blob:
                self.write_blob(layer.descriptor.digest, blob)
        self.write_blob(image.manifest.config.digest, image.raw_config)
        self.write_blob(image.digest, image.raw_manifest)

    def write_artifact(self, artifact: Artifact) -> Descriptor:
        if isinstance(artifact, ImageIndex):
            for image in artifact.images:
                self.write_image_blobs(image)
            self.write_blob(artifact.digest, artifact.raw_index)
            return Descriptor(artifact.index.media_type, artifact.digest, len(artifact.raw_index))
        self.write_image_blobs(artifact)
        return Descriptor(artifact.media_type, artifact.digest, len(artifact.raw_manifest))

    def set_tag(self, desc: Descriptor, tag: str | None) -> None:
        """Point ``tag`` at ``desc`` in index.json (moving it if it pointed elsewhere), atomically.

        Under the layout's lock: another process adding its own tag at the same moment keeps it.
        """
        with file_lock(self.root / LOCK_FILE, f"oci:{self.root}"):
            self._set_tag(desc, tag)

    def _set_tag(self, desc: Descriptor, tag: str | None) -> None:
        current = list(self.index().manifests) if is_layout(self.root) else []
        keep = [d for d in current if tag is None or d.annotations.get(REF_NAME) != tag]
        if tag is None:
            keep = [d for d in keep if d.digest != desc.digest or REF_NAME in d.annotations]
        annotations = {REF_NAME: tag} if tag else {}
        entry = Descriptor(desc.media_type, desc.digest, desc.size, annotations, artifact_type=desc.artifact_type)
        index = Index(manifests=(*keep, entry))
        atomic_write_bytes(self.root / "oci-layout", canonical_json(LAYOUT_FILE))
        atomic_write_bytes(self.root / "index.json", index.to_bytes())


def _opener(path: Path) -> Callable[[], BinaryIO]:
    return lambda: open(path, "rb")




def write_layout(root: Path, artifact: Artifact, tag: str | None) -> Descriptor:
    """Add ``artifact`` to the layout at ``root`` (created if absent) under ``tag``.

    A new layout is assembled in a temporary sibling directory and renamed into place, so a failure leaves
    nothing; an existing layout only gains blobs (content-addressed, invisible until referenced) and then its
    index.json is replaced in one rename, so its other images are kept and never half-updated.
    """
    if root.exists() and not root.is_dir():
        raise StoreError(str(root), "exists and is not a directory", "choose another path for the OCI layout")
    if root.is_dir() and any(root.iterdir()) and not is_layout(root):
        raise StoreError(str(root), "is a non-empty directory that is not an OCI layout",
                         "choose an empty or new directory, or an existing OCI layout")
    if is_layout(root):
        layout = Layout(root)
        desc = layout.write_artifact(artifact)
        layout.set_tag(desc, tag)
        return desc
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}.", suffix=".tmp"))
    except OSError as err:
        raise os_error(root, err) from None
    try:
        layout = Layout(staging)
        desc = layout.write_artifact(artifact)
        layout._set_tag(desc, tag)  # nobody else sees the staging directory: no lock needed
        os.chmod(staging, 0o755)
        try:
            os.rename(staging, root)  # replaces an empty directory given as the target, never a filled one
        except OSError as err:
            if err.errno not in (errno.ENOTEMPTY, errno.EEXIST) or not is_layout(root):
                raise
            # Another process created the layout first: add to it like to any existing one.
            shutil.rmtree(staging, ignore_errors=True)
            layout = Layout(root)
            desc = layout.write_artifact(artifact)
            layout.set_tag(desc, tag)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise os_error(root, err) from None
    except StoreError as err:
        shutil.rmtree(staging, ignore_errors=True)
        if err.subject.startswith(str(staging)):  # name the layout the user gave, not a hidden staging path
            raise type(err)(str(root), err.cause, err.fix) from None
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return desc
