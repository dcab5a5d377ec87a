"""One streaming pass over each layer tar, keeping per-path metadata only (never a file's contents, except the
few small files the audit reads: package databases and candidate private keys)."""

from __future__ import annotations

__all__ = ["Entry", "LayerScan", "absolute", "go_clean", "header", "scan_layer", "unsafe_reason"]

import posixpath
import re
import tarfile
import zlib
from dataclasses import dataclass, field

from slimgo.analyze.tarstream import Member, TarFormatError, TarWalker
from slimgo.compression import open_tar
from slimgo.errors import ImageFormatError
from slimgo.layercheck import EntryJudge, LayerTooLarge, Limits
from slimgo.oci import mediatype
from slimgo.oci.image import Layer

# Small files the audit reads, by absolute path; and name patterns of files whose head is checked for a key.
CAPTURED_PATHS = frozenset({"/var/lib/dpkg/status", "/lib/apk/db/installed", "/etc/os-release",
                            "/usr/lib/os-release"})
KEY_NAME = re.compile(r"(^id_(rsa|dsa|ecdsa|ed25519)$)|(\.(pem|key|p12|pfx)$)")
CAPTURE_LIMIT = 16 << 20  # a dpkg status file of a full distribution is a few MB
KEY_HEAD = 8192


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
    unsafe: list[tuple[str, str]] = field(default_factory=list)  # (member name, why slimgo.layercheck refuses it)


def go_clean(name: str) -> str:
    """Go's path.Clean: like posixpath.normpath, but a leading '//' collapses to '/' and '' becomes '.'."""
    cleaned = posixpath.normpath(name) if name else "."
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def absolute(cleaned: str) -> str:
    return posixpath.normpath("/" + cleaned.lstrip("/"))


_TAR_TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
              "hardlink": tarfile.LNKTYPE, "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE,
              "fifo": tarfile.FIFOTYPE}


def header(member: Member) -> tarfile.TarInfo:
    """``member`` as the tar header slimgo.layercheck judges (what tarfile would have read from the same block).

    An unknown type counts as a regular file: the judge checks its size and lets it replace what was at its path.
    """
    info = tarfile.TarInfo(member.name.rstrip("/") if member.kind == "dir" else member.name)
    info.type = _TAR_TYPES.get(member.kind, tarfile.REGTYPE)
    info.size, info.linkname = member.size, member.linkname
    info.devmajor, info.devminor = member.device
    return info


def unsafe_reason(judge: EntryJudge, member: Member) -> str | None:
    """Why slimgo.layercheck refuses ``member`` (the verdict run, copy, build --base, inspect and lint --image
    give), or None. An entry over the size limit is refused there by an error; here it is one more finding."""
    info = header(member)
    try:
        judge.check_size(info)
    except LayerTooLarge as err:
        judge.judge_path(info)  # still applied: a later entry may be written through it
        return err.cause
    problem = judge.judge_path(info).problem
    return None if problem is None else problem.cause


def scan_layer(index: int, layer: Layer, judge: EntryJudge | None = None) -> LayerScan:
    """The entries of ``layer``, judged by ``judge`` (pass one judge for all layers of an image, lowest first: an
    entry may be written through a symlink that a lower layer made)."""
    desc = layer.descriptor
    scan = LayerScan(index, str(desc.digest), str(layer.diff_id), desc.media_type, desc.size)
    judge = judge or EntryJudge(Limits.from_env())
    judge.start_layer(layer)
    # An uncompressed blob is a plain file: the walker seeks over file data instead of reading it.
    seekable = mediatype.layer_compression(desc.media_type) == "none"
    try:
        with open_tar(layer) as stream:
            walker = TarWalker(stream, seekable)
            for member in walker:
                _record(scan, walker, member, judge)
            scan.uncompressed_size = desc.size if seekable else _drain(walker)
    except (TarFormatError, EOFError, OSError, ValueError, zlib.error) as err:
        raise ImageFormatError(f"layer {desc.digest}", f"is not a readable tar ({err})",
                               "the image is corrupt; rebuild or re-pull it") from None
    return scan


def _drain(walker: TarWalker) -> int:
    """The full length of the tar stream: the walk stops at the end-of-archive block, padding may follow."""
    walker.drain()
    return walker.consumed


def _record(scan: LayerScan, walker: TarWalker, member: Member, judge: EntryJudge) -> None:
    cleaned = go_clean(member.name)
    why = unsafe_reason(judge, member)
    if cleaned == ".":
        return
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
