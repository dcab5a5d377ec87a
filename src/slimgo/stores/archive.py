"""Image archives: `oci-archive` (a tarred OCI layout) and `docker-archive` (what `docker load` reads)."""

from __future__ import annotations

__all__ = ["open_docker_archive", "open_oci_archive", "write_docker_archive", "write_oci_archive"]

import gzip
import json
import tarfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from slimgo.compression import open_tar
from slimgo.errors import ImageFormatError, InputError, StoreError, UsageError
from slimgo.layer import Entry, write_tar
from slimgo.oci import mediatype
from slimgo.oci.config import ImageConfig
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest, HashingWriter
from slimgo.oci.image import BlobLayer, ImageIndex, Layer, StoredImage
from slimgo.oci.manifest import Manifest, canonical_json
from slimgo.stores.fsutil import atomic_write, copy_stream, file_lock, os_error, read_capped
from slimgo.stores.layout import CONFIG_LIMIT, MANIFEST_LIMIT, Artifact, Layout, write_layout
from slimgo.stores.scratch import make_scratch, release


def _tree_entries(root: Path) -> list[Entry]:
    entries = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            entries.append(Entry(rel, kind="dir", mode=0o755))
        else:
            entries.append(Entry(rel, mode=0o644, source=path))
    return entries


def _safe_extract(archive: Path, dest: Path, what: str) -> None:
    """Extract only regular files and directories that stay inside ``dest``."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                name = PurePosixPath(member.name)
                if name.is_absolute() or ".." in name.parts:
                    raise ImageFormatError(f"{archive} entry {member.name!r}", "escapes the archive",
                                           f"this is not a valid {what}; recreate it")
                if member.isdir() or member.isfile() or member.issym() or member.islnk():
                    # The data filter refuses links (and files under links) that lead outside ``dest``.
                    tar.extract(member, dest, filter="data")
    except tarfile.FilterError as err:
        member_name = getattr(getattr(err, "tarinfo", None), "name", "?")
        raise ImageFormatError(f"{archive} entry {member_name!r}", f"leads outside the archive ({err})",
                               f"this is not a valid {what}; recreate it") from None
    except (tarfile.TarError, EOFError, gzip.BadGzipFile) as err:
        raise ImageFormatError(str(archive), f"is not a readable {what} ({err})",
                               f"give a {what} file (a tar), or recreate it") from None
    except FileNotFoundError:
        raise InputError(str(archive), "does not exist", "check the path") from None
    except IsADirectoryError:
        raise StoreError(str(archive), f"is a directory, not a {what} file",
                         "for an OCI layout directory use oci:DIR") from None
    except OSError as err:
        raise os_error(archive, err, "cannot extract") from None


# -- oci-archive -------------------------------------------------------------------------------------
def open_oci_archive(path: Path) -> Layout:
    root = make_scratch("slimgo-oci-archive-")
    _safe_extract(path, root, "oci-archive")
    return Layout(root)


def write_oci_archive(path: Path, artifact: Artifact, tag: str | None) -> Descriptor:
    """Write a tar of an OCI layout holding ``artifact`` (tagged), replacing ``path`` atomically.

    The archive's directory is locked from reading the old archive to renaming the new one, so two writers
    adding different tags to one archive at once keep both.
    """
    _check_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise os_error(path, err) from None
    staging = make_scratch("slimgo-oci-archive-")
    try:
        with file_lock(path.parent, f"oci-archive:{path}"):
            if path.is_file():
                _safe_extract(path, staging / "layout", "oci-archive")  # keep the archive's other images
            desc = write_layout(staging / "layout", artifact, tag)
            entries = _tree_entries(staging / "layout")
            atomic_write(path, lambda out: write_tar(entries, out))
        return desc
    finally:
        release(staging)


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise StoreError(str(path), "is a directory", "give a file name for the archive (e.g. dist/app.tar)")


# -- docker-archive ----------------------------------------------------------------------------------
def write_docker_archive(path: Path, artifact: Artifact, repo_tag: str) -> Descriptor:
    """Write the `docker save` format: manifest.json, the config, and each layer as an uncompressed tar."""
    if isinstance(artifact, ImageIndex):
        plats = ", ".join(str(img.config.platform) for img in artifact.images)
        raise UsageError(f"docker-archive:{path}", f"holds one platform only, but the image has several ({plats})",
                         "write an index with oci-archive:FILE or oci:DIR, or build a single --platform")
    _check_target(path)
    image = artifact
    staging = make_scratch("slimgo-docker-archive-")
    try:
        config_name = f"{image.manifest.config.digest.hex}.json"
        (staging / config_name).write_bytes(image.raw_config)
        layer_names = []
        for layer in image.layers:
            name = f"{layer.diff_id.hex}.tar"
            with open_tar(layer) as src, open(staging / name, "wb") as dst:
                hashing = HashingWriter(dst)
                copy_stream(src, hashing)  # type: ignore[arg-type]
            if hashing.digest != layer.diff_id:
                raise ImageFormatError(f"layer {layer.descriptor.digest}", "does not match its diff_id",
                                       "the source image is corrupt; rebuild it")
            layer_names.append(name)
        manifest = [{"Config": config_name, "RepoTags": [repo_tag], "Layers": layer_names}]
        (staging / "manifest.json").write_bytes(canonical_json(manifest))
        repo, _, tag = repo_tag.rpartition(":")
        (staging / "repositories").write_bytes(canonical_json({repo: {tag: layer.diff_id.hex}}) if image.layers
                                               else b"{}")
        entries = [Entry(p.name, source=p) for p in sorted(staging.iterdir())]
        atomic_write(path, lambda out: write_tar(entries, out))
    except OSError as err:
        raise os_error(path, err) from None
    finally:
        release(staging)
    return Descriptor(image.media_type, image.digest, len(image.raw_manifest))


def _layer_media_type(path: Path) -> str:
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        return mediatype.OCI_LAYER_GZIP
    if magic == b"\x28\xb5\x2f\xfd":
        return mediatype.OCI_LAYER_ZSTD
    return mediatype.OCI_LAYER


def _hash_file(path: Path) -> tuple[Digest, int]:
    """The digest and size of a stored layer."""
    hashing = HashingWriter()
    with open(path, "rb") as f:
        copy_stream(f, hashing)  # type: ignore[arg-type]
    return hashing.digest, hashing.size


def _diff_id_of(layer: BlobLayer, where: str) -> Digest:
    """The digest of a layer's uncompressed tar, read under the layer size limit (a bomb is refused, not hashed)."""
    if layer.descriptor.media_type == mediatype.OCI_LAYER:
        return layer.descriptor.digest
    from slimgo.layercheck import bounded_tar

    hashing = HashingWriter()
    try:
        with bounded_tar(layer) as stream:
            copy_stream(stream, hashing)  # type: ignore[arg-type]
    except (OSError, EOFError, zlib.error) as err:
        raise ImageFormatError(where, f"is not a readable tar ({err})",
                               "the archive is corrupt; recreate it") from None
    return hashing.digest


def _member(root: Path, archive: Path, name: object, what: str) -> Path:
    """The extracted file a manifest.json path names, refused unless it resolves inside the archive."""
    if not isinstance(name, str) or not name:
        raise ImageFormatError(f"{archive} manifest.json", f"has a {what} path that is not a file name: {name!r}",
                               "recreate the archive (docker save, or slimgo build -o docker-archive:FILE)")
    pure = PurePosixPath(name)
    real = root.resolve()
    target = (root / name).resolve()
    if pure.is_absolute() or ".." in pure.parts or not target.is_relative_to(real) or target == real:
        raise ImageFormatError(f"{archive} manifest.json {what} {name!r}", "points outside the archive",
                               "this archive is malformed or hostile; recreate it with docker save or slimgo")
    if not target.is_file():
        raise ImageFormatError(f"{archive} manifest.json {what} {name!r}", "is not a file in the archive",
                               "recreate the archive")
    return target


def _read_capped(path: Path, limit: int, subject: str) -> bytes:
    try:
        return read_capped(path, limit, subject)
    except OSError as err:
        raise os_error(path, err, "cannot read") from None


def open_docker_archive(path: Path, repo_tag: str | None = None) -> StoredImage:
    """Read an image from a `docker save` archive; layers are kept byte-for-byte as stored.

    Every path manifest.json names must resolve inside the archive, and every layer must match the diff_id its
    config gives, before anything uses it.
    """
    root = make_scratch("slimgo-docker-archive-")
    _safe_extract(path, root, "docker-archive")
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file() or manifest_path.is_symlink():
        raise ImageFormatError(str(path), "has no readable manifest.json", "give a file written by `docker save` "
                               "or `slimgo build -o docker-archive:FILE`")
    try:
        entries: Any = json.loads(_read_capped(manifest_path, MANIFEST_LIMIT, f"{path} manifest.json"))
    except ValueError:
        raise ImageFormatError(str(path), "has no readable manifest.json", "give a file written by `docker save` "
                               "or `slimgo build -o docker-archive:FILE`") from None
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise ImageFormatError(str(path), "has an empty or malformed manifest.json", "recreate the archive")
    entry = entries[0]
    if repo_tag is not None:
        matches = [e for e in entries if repo_tag in (e.get("RepoTags") or [])]
        if not matches:
            tags = [str(t) for e in entries for t in (e.get("RepoTags") or [])]
            raise StoreError(f"docker-archive:{path}:{repo_tag}", "no image in the archive has this name",
                             f"use one of: {', '.join(tags) or 'none'}")
        entry = matches[0]
    if "Config" not in entry or not isinstance(entry.get("Layers"), list):
        raise ImageFormatError(str(path), "has a manifest.json entry without a readable Config or Layers",
                               "recreate the archive")
    config_path = _member(root, path, entry["Config"], "Config")
    layer_paths = [_member(root, path, name, "Layers") for name in entry["Layers"]]
    raw_config = _read_capped(config_path, CONFIG_LIMIT, f"{path} config {entry['Config']!r}")
    diff_ids = ImageConfig.parse(raw_config, f"{path} config").diff_ids
    if len(diff_ids) != len(layer_paths):
        raise ImageFormatError(str(path), "lists a different number of layers than its config", "recreate it")
    layers: list[Layer] = []
    for name, layer_path, diff_id in zip(entry["Layers"], layer_paths, diff_ids, strict=True):
        digest, size = _hash_file(layer_path)
        layer = BlobLayer(Descriptor(_layer_media_type(layer_path), digest, size), diff_id, _file_opener(layer_path))
        uncompressed = _diff_id_of(layer, f"{path} layer {name!r}")
        if uncompressed != diff_id:
            raise ImageFormatError(f"{path} layer {name!r}", f"hashes to {uncompressed}, not the diff_id "
                                   f"{diff_id} its config names", "the archive is corrupt or was tampered with; "
                                   "recreate it")
        layers.append(layer)
    manifest = Manifest(
        config=Descriptor(mediatype.OCI_CONFIG, Digest.of(raw_config), len(raw_config)),
        layers=tuple(layer.descriptor for layer in layers),
    )
    return StoredImage(manifest.to_bytes(), raw_config, tuple(layers))


def _file_opener(path: Path) -> Any:
    def opener() -> BinaryIO:
        return open(path, "rb")

    return opener
