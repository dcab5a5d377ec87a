"""One streaming pass over each layer tar, keeping per-path metadata only (never a file's contents, except the
few small files the audit reads: package databases and candidate private keys)."""

from __future__ import annotations

__all__ = ["Entry", "LayerScan", "absolute", "go_clean", "scan_layer"]

import posixpath
import re
import zlib
from dataclasses import dataclass, field

from slimgo.analyze.tarstream import Member, TarFormatError, TarWalker
from slimgo.compression import open_tar
from slimgo.errors import ImageFormatError
from slimgo.oci import mediatype
from slimgo.oci.image import Layer

# Small files the audit reads, by absolute path; and name patterns of files whose head is checked for a key.
CAPTURED_PATHS = frozenset({"/var/lib/dpkg/status", "/lib/apk/db/installed", "/etc/os-release",
                            "/usr/lib/os-release"})
KEY_NAME = re.compile(r"(^id_(rsa|dsa|ecdsa|ed25519)$)|(\.(pem|key|p12|pfx)$)")
CAPTURE_LIMIT = 16 << 20  # a dpkg status file of a full distribution is a few MB
KEY_HEAD = 8192
HUGE_ENTRY = 64 << 30  # an entry claiming more than this is a sparse or hostile size


@dataclass(slots=True)
class Entry:
    """One tar member, as metadata."""

    name: str  # the member name cleaned the way Go's path.Clean does (dive keys its trees by this)
    path: str  # absolute and normalised: "/etc/passwd"
    kind: str  # file | dir | symlink | hardlink | char | block | fifo | other
    size: int
    mode: int
    uid: int
    gid: int
    linkname: str = ""
    capability: bool = False  # carries a security.capability xattr

    @property
    def base(self) -> str:
        return posixpath.basename(self.path)

    @property
    def whiteout(self) -> bool:
        return self.base.startswith(".wh.") and not self.opaque

    @property
    def opaque(self) -> bool:
        return self.base == ".wh..wh..opq"


@dataclass
class LayerScan:
    """What one layer holds: its descriptor facts, its entries in tar order, and the few captured files."""

    index: int
    digest: str
    diff_id: str
    media_type: str
    size: int  # compressed (the blob as stored)
    uncompressed_size: int = 0
    entries: list[Entry] = field(default_factory=list)
    captured: dict[str, bytes] = field(default_factory=dict)
    unsafe: list[tuple[str, str]] = field(default_factory=list)  # (member name, why)


def go_clean(name: str) -> str:
    """Go's path.Clean: like posixpath.normpath, but a leading '//' collapses to '/' and '' becomes '.'."""
    cleaned = posixpath.normpath(name) if name else "."
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def absolute(cleaned: str) -> str:
    return posixpath.normpath("/" + cleaned.lstrip("/"))


def unsafe_reason(member: Member, cleaned: str) -> str | None:
    """Why extracting ``member`` naively would be dangerous, or None (kept in one place so a shared check can
    replace it)."""
    if cleaned == ".." or cleaned.startswith("../") or "/../" in cleaned or cleaned.startswith("/.."):
        return "path escapes the root (..)"
    if member.kind == "hardlink":
        target = go_clean(member.linkname)
        if target == ".." or target.startswith("../") or target.startswith("/.."):
            return f"hardlink points outside the root ({member.linkname})"
    if member.kind == "symlink" and not member.linkname.startswith("/"):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(cleaned.lstrip("/")), member.linkname))
        if target == ".." or target.startswith("../"):
            return f"symlink climbs above the root ({member.linkname})"
    if member.kind in ("char", "block"):
        return "device node"
    if member.size > HUGE_ENTRY:
        return f"claims {member.size} bytes"
    return None


def scan_layer(index: int, layer: Layer) -> LayerScan:
    desc = layer.descriptor
    scan = LayerScan(index, str(desc.digest), str(layer.diff_id), desc.media_type, desc.size)
    # An uncompressed blob is a plain file: the walker seeks over file data instead of reading it.
    seekable = mediatype.layer_compression(desc.media_type) == "none"
    try:
        with open_tar(layer) as stream:
            walker = TarWalker(stream, seekable)
            for member in walker:
                _record(scan, walker, member)
            scan.uncompressed_size = desc.size if seekable else _drain(walker)
    except (TarFormatError, EOFError, OSError, ValueError, zlib.error) as err:
        raise ImageFormatError(f"layer {desc.digest}", f"is not a readable tar ({err})",
                               "the image is corrupt; rebuild or re-pull it") from None
    return scan


def _drain(walker: TarWalker) -> int:
    """The full length of the tar stream: the walk stops at the end-of-archive block, padding may follow."""
    walker.drain()
    return walker.consumed


def _record(scan: LayerScan, walker: TarWalker, member: Member) -> None:
    cleaned = go_clean(member.name)
    if cleaned == ".":
        return
    why = unsafe_reason(member, cleaned)
    if why is not None:
        scan.unsafe.append((member.name, why))
    path = absolute(cleaned)
    scan.entries.append(Entry(cleaned, path, member.kind, member.size, member.mode, member.uid, member.gid,
                              member.linkname, member.capability))
    if member.kind != "file" or why is not None:
        return
    base = path.rpartition("/")[2]
    if path in CAPTURED_PATHS and member.size <= CAPTURE_LIMIT:
        scan.captured[path] = walker.read_data(member.size)
    elif base == "credentials" or KEY_NAME.search(base):
        scan.captured[path] = walker.read_data(KEY_HEAD)
