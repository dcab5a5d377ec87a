"""Image archives: `oci-archive` (a tarred OCI layout) and `docker-archive` (what `docker load` reads)."""

from __future__ import annotations

__all__ = ["open_docker_archive", "open_oci_archive", "write_docker_archive", "write_oci_archive"]

import bz2
import gzip
import json
import lzma
import posixpath
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, cast

from slimgo.compression import open_tar
from slimgo.errors import ImageFormatError, InputError, NotFound, StoreError, UsageError
from slimgo.layer import Entry, write_tar
from slimgo.oci import mediatype
from slimgo.oci.config import ImageConfig
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest, HashingWriter
from slimgo.oci.image import ImageIndex, Layer, StoredImage
from slimgo.oci.manifest import Manifest, canonical_json
from slimgo.stores.fsutil import atomic_write, copy_stream, file_lock, os_error
from slimgo.stores.inplace import ArchivedLayer, ArchiveFile, verify_layers
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
    verify_layers(image.layers)
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


def _layer_media_type(archive: ArchiveFile, member: _Member) -> str:
    magic = archive.pread(min(4, member.size), member.offset)
    if magic[:2] == b"\x1f\x8b":
        return mediatype.OCI_LAYER_GZIP
    if magic == b"\x28\xb5\x2f\xfd":
        return mediatype.OCI_LAYER_ZSTD
    return mediatype.OCI_LAYER


def _diff_id_of(layer: ArchivedLayer, where: str) -> Digest:
    """The digest of a compressed layer's tar, read under the layer size limit (a bomb is refused, not hashed)."""
    from slimgo.layercheck import bounded_tar

    hashing = HashingWriter()
    try:
        with bounded_tar(layer) as stream:
            copy_stream(stream, hashing)  # type: ignore[arg-type]
    except (OSError, EOFError, zlib.error) as err:
        raise ImageFormatError(where, f"is not a readable tar ({err})",
                               "the archive is corrupt; recreate it") from None
    return hashing.digest


def open_docker_archive(path: Path, repo_tag: str | None = None) -> StoredImage:
    """Read an image from a `docker save` archive in place; layers are kept byte-for-byte as stored.

    Every path manifest.json names must resolve inside the archive. An uncompressed layer (what docker and
    slimgo write) is checked against its diff_id while it is first read, by whoever reads it, and before any
    store writes it; a compressed one is checked here.
    """
    archive, index = _index_archive(path)
    entry = _manifest_entry(path, archive, index, repo_tag)
    config = index.resolve(entry["Config"], "Config")
    layer_members = [index.resolve(name, "Layers") for name in entry["Layers"]]
    if config.size > CONFIG_LIMIT:
        raise ImageFormatError(f"{path} config {entry['Config']!r}", f"is larger than {CONFIG_LIMIT} bytes, more "
                               "than a valid one can be", "this is not an image file slimgo reads; recreate it")
    raw_config = archive.pread(config.size, config.offset)
    diff_ids = ImageConfig.parse(raw_config, f"{path} config").diff_ids
    if len(diff_ids) != len(layer_members):
        raise ImageFormatError(str(path), "lists a different number of layers than its config", "recreate it")
    layers: list[Layer] = []
    for name, member, diff_id in zip(entry["Layers"], layer_members, diff_ids, strict=True):
        layers.append(_layer(archive, member, diff_id, f"{path} layer {name!r}"))
    manifest = Manifest(
        config=Descriptor(mediatype.OCI_CONFIG, Digest.of(raw_config), len(raw_config)),
        layers=tuple(layer.descriptor for layer in layers),
    )
    return StoredImage(manifest.to_bytes(), raw_config, tuple(layers))


def _layer(archive: ArchiveFile, member: _Member, diff_id: Digest, where: str) -> ArchivedLayer:
    media_type = _layer_media_type(archive, member)
    if media_type == mediatype.OCI_LAYER:  # its digest is its diff_id: checked as it is first read
        return ArchivedLayer(archive, member.offset, Descriptor(media_type, diff_id, member.size), diff_id, where)
    # A compressed layer's digest is named nowhere in the archive: it is computed, and its tar checked, now.
    digest = archive.hash_range(member.offset, member.size)
    assert digest is not None
    layer = ArchivedLayer(archive, member.offset, Descriptor(media_type, digest, member.size), diff_id, where,
                          verified=True)
    uncompressed = _diff_id_of(layer, where)
    if uncompressed != diff_id:
        raise ImageFormatError(where, f"hashes to {uncompressed}, not the diff_id {diff_id} its config names",
                               "the archive is corrupt or was tampered with; recreate it")
    archive.check()
    return layer


def _manifest_entry(path: Path, archive: ArchiveFile, index: _TarIndex, repo_tag: str | None) -> dict[str, Any]:
    unreadable = ImageFormatError(str(path), "has no readable manifest.json", "give a file written by `docker "
                                  "save` or `slimgo build -o docker-archive:FILE`")
    member = index.members.get("manifest.json")
    if member is None or not member.is_file:
        raise unreadable
    if member.size > MANIFEST_LIMIT:
        raise ImageFormatError(f"{path} manifest.json", f"is larger than {MANIFEST_LIMIT} bytes, more than a valid "
                               "one can be", "this is not an image file slimgo reads; recreate it")
    try:
        entries: Any = json.loads(archive.pread(member.size, member.offset))
    except ValueError:
        raise unreadable from None
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise ImageFormatError(str(path), "has an empty or malformed manifest.json", "recreate the archive")
    entry: dict[str, Any] = entries[0]
    if repo_tag is not None:
        matches = [e for e in entries if repo_tag in (e.get("RepoTags") or [])]
        if not matches:
            tags = [str(t) for e in entries for t in (e.get("RepoTags") or [])]
            raise NotFound(f"docker-archive:{path}:{repo_tag}", "no image in the archive has this name",
                             f"use one of: {', '.join(tags) or 'none'}")
        entry = matches[0]
    if "Config" not in entry or not isinstance(entry.get("Layers"), list):
        raise ImageFormatError(str(path), "has a manifest.json entry without a readable Config or Layers",
                               "recreate the archive")
    return entry


# -- the index of an archive read in place -----------------------------------------------------------------
MAX_LINKS = 40  # what the Linux kernel follows when resolving one path
HOSTILE_FIX = "this archive is malformed or hostile; recreate it with docker save or slimgo"


@dataclass(frozen=True)
class _Member:
    """One entry of the archive: where its bytes are, or what it links to."""

    name: str
    kind: str  # "file", "dir", "symlink", "hardlink", "other"
    offset: int = 0
    size: int = 0
    target: str = ""  # for links: the member name it leads to, resolved inside the archive

    @property
    def is_file(self) -> bool:
        return self.kind == "file"


def _inside(name: str) -> str | None:
    """``name`` (relative to the archive's root) cleaned, or None when it is absolute or climbs out."""
    if name.startswith("/"):
        return None
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


@dataclass
class _TarIndex:
    """Every member of an uncompressed tar by its cleaned name; links were checked to stay inside."""

    path: Path
    members: dict[str, _Member]

    def resolve(self, name: object, what: str) -> _Member:
        """The regular file a manifest.json path names, following links inside the archive only."""
        if not isinstance(name, str) or not name:
            raise ImageFormatError(f"{self.path} manifest.json", f"has a {what} path that is not a file name: "
                                   f"{name!r}", "recreate the archive (docker save, or slimgo build -o "
                                   "docker-archive:FILE)")
        subject = f"{self.path} manifest.json {what} {name!r}"
        pure = PurePosixPath(name)
        cleaned = _inside(name)
        if pure.is_absolute() or ".." in pure.parts or not cleaned:
            raise ImageFormatError(subject, "points outside the archive", HOSTILE_FIX)
        member = self._walk(cleaned, subject)
        if member is None or not member.is_file:
            raise ImageFormatError(subject, "is not a file in the archive", "recreate the archive")
        return member

    def _walk(self, name: str, subject: str) -> _Member | None:
        pending = name.split("/")
        resolved: list[str] = []
        for _ in range(MAX_LINKS + 1):
            while pending:
                resolved.append(pending.pop(0))
                member = self.members.get("/".join(resolved))
                if member is not None and member.kind in ("symlink", "hardlink"):
                    pending = member.target.split("/") + pending if member.target else pending
                    resolved = []
                    break
            else:
                return self.members.get("/".join(resolved))
        raise ImageFormatError(subject, f"passes through more than {MAX_LINKS} links", HOSTILE_FIX)


def _member_of(path: Path, info: tarfile.TarInfo) -> _Member:
    name = _inside(info.name)
    if name is None or ".." in PurePosixPath(info.name).parts:
        raise ImageFormatError(f"{path} entry {info.name!r}", "escapes the archive",
                               "this is not a valid docker-archive; recreate it")
    if info.issym() or info.islnk():
        # A symlink's target is relative to its directory; a hard link's names another member.
        base = "" if info.islnk() or info.linkname.startswith("/") else posixpath.dirname(name)
        target = None if info.linkname.startswith("/") else _inside(posixpath.join(base, info.linkname))
        if target is None:
            raise ImageFormatError(f"{path} entry {info.name!r}", f"leads outside the archive ({info.linkname!r})",
                                   "this is not a valid docker-archive; recreate it")
        return _Member(name, "symlink" if info.issym() else "hardlink", target=target)
    if info.isreg() and not info.issparse():
        return _Member(name, "file", info.offset_data, info.size)
    return _Member(name, "dir" if info.isdir() else "other")


def _index_archive(path: Path) -> tuple[ArchiveFile, _TarIndex]:
    """Open ``path`` and list its members once (a compressed archive is first unpacked to one scratch tar)."""
    try:
        archive = ArchiveFile(_plain_tar(path))
        members: dict[str, _Member] = {}
        with open(archive.fd, "rb", closefd=False) as raw, tarfile.open(fileobj=raw, mode="r:") as tar:
            for info in tar:
                member = _member_of(path, info)
                if member.name:
                    members[member.name] = member
    except (tarfile.TarError, EOFError) as err:
        raise ImageFormatError(str(path), f"is not a readable docker-archive ({err})",
                               "give a docker-archive file (a tar), or recreate it") from None
    except FileNotFoundError:
        raise InputError(str(path), "does not exist", "check the path") from None
    except IsADirectoryError:
        raise StoreError(str(path), "is a directory, not a docker-archive file",
                         "for an OCI layout directory use oci:DIR") from None
    except OSError as err:
        raise os_error(path, err, "cannot read") from None
    return archive, _TarIndex(path, members)


_COMPRESSED: dict[bytes, Callable[[Path], BinaryIO]] = {
    b"\x1f\x8b": lambda p: cast(BinaryIO, gzip.open(p, "rb")),  # noqa: SIM115 - opened under `with` by the caller
    b"BZh": lambda p: cast(BinaryIO, bz2.open(p, "rb")),  # noqa: SIM115
    b"\xfd7zXZ": lambda p: cast(BinaryIO, lzma.open(p, "rb")),  # noqa: SIM115
}


def _plain_tar(path: Path) -> Path:
    """``path`` itself, or for a compressed archive (`docker save | gzip`) the tar inside it, in scratch."""
    with open(path, "rb") as f:
        head = f.read(6)
    opener = next((o for magic, o in _COMPRESSED.items() if head.startswith(magic)), None)
    if opener is None:
        return path
    root = make_scratch("slimgo-docker-archive-")
    plain = root / "archive.tar"
    try:
        with opener(path) as stream, open(plain, "wb") as out:
            copy_stream(stream, out)
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as err:
        release(root)
        raise ImageFormatError(str(path), f"is not a readable docker-archive ({err})",
                               "give a docker-archive file (a tar), or recreate it") from None
    return plain
