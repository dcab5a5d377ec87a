"""What an SBOM lists: every Go binary's build info, and what the base brought (OS packages, CA bundle, tzdata)."""

from __future__ import annotations

import hashlib
import posixpath
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from slimgo.elf.buildinfo import NOT_A_GO_BINARY, BuildInfo, read_buildinfo
from slimgo.errors import ElfError, ImageFormatError
from slimgo.oci import mediatype
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.image import BlobLayer, Layer, StoredImage

if TYPE_CHECKING:
    from slimgo.layercheck import Limits
    from slimgo.rootfs import Rootfs

ELF_MAGIC = b"\x7fELF"
MAX_BINARY_BYTES = 1 << 30  # a Go binary larger than this is not one an SBOM is made of
MAX_DATABASE_BYTES = 64 << 20  # a dpkg status or apk database; a real one is a few MiB
# Layers up to this compressed size are decompressed once to a scratch file that both passes (the merged
# filesystem, then the files it shows) read: decompressing is most of an SBOM's cost. Larger ones stream twice
# rather than fill the temporary directory.
UNPACK_ONCE_BYTES = 64 << 20
DPKG_STATUS = "/var/lib/dpkg/status"
DPKG_STATUS_DIR = "/var/lib/dpkg/status.d/"  # distroless keeps one file per package here
APK_INSTALLED = "/lib/apk/db/installed"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
ZONEINFO = "/usr/share/zoneinfo/"
# The static base records where its files came from in the image history (imagebuild/base.py).
_HISTORY_VERSION = re.compile(r"^(certifi|tzdata) (\S+)$")


@dataclass(frozen=True)
class GoBinary:
    path: str  # in the image, or as given on the command line
    sha256: str
    info: BuildInfo


@dataclass(frozen=True)
class OsPackage:
    """A package of the base's package database (dpkg or apk), or a file set the static base carries."""

    kind: str  # deb | apk | file-set
    name: str
    version: str
    arch: str = ""
    source: str = ""  # the database or file it was read from
    sha256: str = ""


@dataclass
class Contents:
    binaries: list[GoBinary] = field(default_factory=list)
    packages: list[OsPackage] = field(default_factory=list)
    distro: tuple[str, str] = ("", "")  # os-release ID and VERSION_ID: the purl namespace of OS packages


def binary_contents(path: Path) -> Contents:
    """The contents of one Go binary on disk (raises ElfError when it is not a readable Go binary)."""
    info = read_buildinfo(path)
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return Contents([GoBinary(str(path), digest.hexdigest(), info)])


def image_contents(image: StoredImage, where: str, refuse_unsafe: bool = True) -> Contents:
    """Every Go binary and package database the merged filesystem of ``image`` holds, read from its layers.

    An unsafe entry (a path escaping the root...) is refused; without ``refuse_unsafe`` (an image a build already
    judged, the user having allowed such layers) it is left out, as the merged filesystem leaves it out."""
    from slimgo.layercheck import Limits
    from slimgo.rootfs import Rootfs

    contents = Contents()
    databases: list[tuple[str, bytes]] = []
    ca_sha = ""
    with tempfile.TemporaryDirectory(prefix="slimgo-sbom-") as tmp:
        limits = Limits.from_env()
        layers = [_unpacked(layer, limits, Path(tmp) / f"layer-{i}.tar") for i, layer in enumerate(image.layers)]
        rootfs = Rootfs(layers, limits)
        if refuse_unsafe:
            rootfs.refuse_unsafe(where)
        scratch = Path(tmp) / "binary"
        for index, layer in enumerate(layers):
            for path, member, data in _current_files(layer, index, rootfs):
                if _is_database(path):
                    databases.append((path, data.read(MAX_DATABASE_BYTES + 1)[:MAX_DATABASE_BYTES]))
                elif path in OS_RELEASE:
                    contents.distro = os_release(data.read(64 << 10))
                elif path == CA_BUNDLE:
                    ca_sha = hashlib.sha256(data.read(MAX_DATABASE_BYTES)).hexdigest()
                elif member.size >= 4:
                    sha256 = _copy_if_elf(data, scratch)
                    found = _go_binary(f"{where} {path}", path, scratch, sha256) if sha256 else None
                    if found is not None:
                        contents.binaries.append(found)
    for path, raw in sorted(databases):
        contents.packages += dpkg_packages(raw, path) if "/dpkg/" in path else apk_packages(raw, path)
    contents.packages += _static_base_files(image, ca_sha)
    contents.binaries.sort(key=lambda b: b.path)
    return contents


def _unpacked(layer: Layer, limits: Limits, scratch: Path) -> Layer:
    """``layer`` as an uncompressed tar in ``scratch`` (within the layer limit), when it is small enough."""
    from slimgo.layercheck import bounded_tar

    desc = layer.descriptor
    if mediatype.layer_compression(desc.media_type) == "none" or desc.size > UNPACK_ONCE_BYTES:
        return layer
    with bounded_tar(layer, limits) as stream, open(scratch, "wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    return BlobLayer(Descriptor(mediatype.OCI_LAYER, desc.digest, desc.size), layer.diff_id,
                     lambda: open(scratch, "rb"))


def _current_files(layer: Layer, index: int, rootfs: Rootfs) -> Iterator[tuple[str, tarfile.TarInfo, IO[bytes]]]:
    """The regular files of ``layer`` that the merged filesystem still shows (not overwritten or whited out)."""
    from slimgo.layercheck import bounded_tar

    try:
        with bounded_tar(layer, rootfs.limits) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                path = normal_path(member.name)
                node = rootfs.nodes.get(path)
                if not member.isfile() or member.size > MAX_BINARY_BYTES or node is None or node.layer != index \
                        or node.kind != "file":
                    continue
                data = tar.extractfile(member)
                if data is not None:
                    yield path, member, data
    except (tarfile.TarError, EOFError, OSError, ValueError) as err:
        raise ImageFormatError(f"layer {layer.descriptor.digest}", f"is not a readable tar ({err})",
                               "the image is corrupt; rebuild or re-pull it") from None


def _is_database(path: str) -> bool:
    return path in (DPKG_STATUS, APK_INSTALLED) or (path.startswith(DPKG_STATUS_DIR) and
                                                      not path.endswith(".md5sums"))


def _copy_if_elf(source: IO[bytes], dest: Path) -> str:
    """Copy an ELF file to ``dest``, hashing it on the way; "" (and nothing copied) for anything else."""
    head = source.read(4)
    if head != ELF_MAGIC:
        return ""
    digest = hashlib.sha256(head)
    with open(dest, "wb") as out:
        out.write(head)
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _go_binary(subject: str, path: str, file: Path, sha256: str) -> GoBinary | None:
    try:
        info = read_buildinfo(file)
    except ElfError as err:
        if NOT_A_GO_BINARY in err.cause:
            return None
        raise ElfError(subject, err.cause, err.fix) from None
    return GoBinary(path, sha256, info)


def _static_base_files(image: StoredImage, ca_sha: str) -> list[OsPackage]:
    """The CA bundle and zoneinfo of slimgo's static base, named by the versions its history records."""
    found: list[OsPackage] = []
    for entry in image.config.history:
        match = _HISTORY_VERSION.match(str(entry.get("comment", "")))
        if match is None:
            continue
        if match[1] == "certifi":
            found.append(OsPackage("file-set", "ca-certificates", match[2], source=CA_BUNDLE, sha256=ca_sha))
        else:
            found.append(OsPackage("file-set", "tzdata", match[2], source=ZONEINFO.rstrip("/")))
    return found


def _paragraphs(raw: bytes) -> list[dict[str, str]]:
    text = raw.decode("utf-8", "replace")
    out: list[dict[str, str]] = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                continue  # a continuation line (Description, Conffiles): nothing an SBOM lists
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
        if fields:
            out.append(fields)
    return out


def os_release(raw: bytes) -> tuple[str, str]:
    """ID and VERSION_ID of an os-release file (quotes removed)."""
    fields = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value.strip().strip("\"'")
    return fields.get("ID", ""), fields.get("VERSION_ID", "")


def dpkg_packages(raw: bytes, source: str) -> list[OsPackage]:
    """Installed packages of a dpkg status file (or a distroless status.d entry)."""
    found = []
    for fields in _paragraphs(raw):
        status = fields.get("Status", "install ok installed")
        if "Package" not in fields or not status.endswith(" installed"):
            continue
        found.append(OsPackage("deb", fields["Package"], fields.get("Version", ""), fields.get("Architecture", ""),
                               source))
    return found


def apk_packages(raw: bytes, source: str) -> list[OsPackage]:
    """Installed packages of an apk database (`P:` name, `V:` version, `A:` arch)."""
    found = []
    for block in re.split(r"\n\s*\n", raw.decode("utf-8", "replace")):
        fields = {line[:1]: line[2:] for line in block.splitlines() if line[1:2] == ":"}
        if "P" in fields:
            found.append(OsPackage("apk", fields["P"], fields.get("V", ""), fields.get("A", ""), source))
    return found


def normal_path(name: str) -> str:
    return posixpath.normpath("/" + name.lstrip("/"))


__all__ = ["Contents", "GoBinary", "OsPackage", "apk_packages", "binary_contents", "dpkg_packages",
           "image_contents"]
