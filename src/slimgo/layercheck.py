"""One judgement of layer tar entries and sizes, shared by run, copy, build --base, inspect and lint --image."""

from __future__ import annotations

__all__ = [
    "UNSAFE_FIX",
    "EntryJudge",
    "Escape",
    "LayerTooLarge",
    "Limits",
    "Problem",
    "UnsafeEntry",
    "bounded_tar",
    "check_artifact_layers",
    "clean",
    "copy_entry",
    "parse_size",
    "scan_layer",
]

import os
import posixpath
import re
import tarfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, BinaryIO

from slimgo import linkwalk
from slimgo.compression import open_tar
from slimgo.errors import CORRUPT, ImageFormatError, UsageError
from slimgo.linkwalk import Escape
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.image import ImageIndex, Layer, StoredImage
from slimgo.units import human_bytes

MAX_LAYER_ENV = "SLIMGO_MAX_LAYER_SIZE"
MAX_ENTRY_ENV = "SLIMGO_MAX_ENTRY_SIZE"
DEFAULT_MAX_LAYER = 8 << 30
DEFAULT_MAX_ENTRY = 4 << 30
# A layer is reported as a likely decompression bomb past this size and ratio (real layers compress 2-10x).
BOMB_MIN_SIZE = 64 << 20
BOMB_RATIO = 100
_SPECIAL = frozenset({"", ".", ".."})  # components a walk must interpret
OPAQUE = ".wh..wh..opq"
WHITEOUT = ".wh."
CHUNK = 1 << 20

UNSAFE_FIX = ("rebuild the image from sources you trust: a layer may only write inside the image's own root "
              "filesystem")
ALLOW_FIX = "; if you trust it anyway, pass --allow-unsafe-layers"

# Images (by manifest digest) already judged clean in this process: one base shared by several packages and
# platforms of a build is read once. Content-addressed, so a hit can never be stale.
_CLEAN: set[tuple[str, Limits]] = set()
_CLEAN_LOCK = threading.Lock()
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)\s*$", re.IGNORECASE)
_UNITS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


class UnsafeEntry(ImageFormatError):
    """A layer entry that would write outside the root filesystem, or that no runtime should be handed."""


class LayerTooLarge(ImageFormatError):
    """A layer, or one of its entries, is larger than the configured limit (a decompression bomb, or a huge image)."""


def parse_size(text: str, where: str) -> int:
    """`16GiB`, `512MiB`, `8G` (binary), `2GB` (decimal) or a plain byte count."""
    match = _SIZE.match(text)
    if not match:
        raise UsageError(f"{where}={text!r}", "is not a size", f"write a size such as {where}=16GiB")
    number, unit, binary, suffix = match.groups()
    if binary and not unit:
        raise UsageError(f"{where}={text!r}", "is not a size", f"write a size such as {where}=16GiB")
    exponent = _UNITS[unit.lower()]
    base = 1000 if unit and suffix and not binary else 1024  # GB is decimal; G and GiB are binary
    value = int(float(number) * base**exponent)
    if value <= 0:
        raise UsageError(f"{where}={text!r}", "must be larger than zero", f"e.g. {where}=16GiB")
    return value


@dataclass(frozen=True)
class Limits:
    """How much one layer may unpack to, and how large one entry may be."""

    layer: int = DEFAULT_MAX_LAYER
    entry: int = DEFAULT_MAX_ENTRY

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if environ is None else environ
        layer = env.get(MAX_LAYER_ENV, "").strip()
        entry = env.get(MAX_ENTRY_ENV, "").strip()
        return cls(parse_size(layer, MAX_LAYER_ENV) if layer else DEFAULT_MAX_LAYER,
                   parse_size(entry, MAX_ENTRY_ENV) if entry else DEFAULT_MAX_ENTRY)


def _layer_name(layer: Layer) -> str:
    return f"layer {layer.descriptor.digest}"


class _CountingBlob:
    """The compressed blob, counting what the decompressor has taken from it (for the ratio in a limit error)."""

    def __init__(self, blob: BinaryIO) -> None:
        self._blob = blob
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._blob.read(size)
        self.count += len(data)
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._blob.close()

    @property
    def closed(self) -> bool:
        return bool(self._blob.closed)


@dataclass(frozen=True)
class _CountedLayer:
    layer: Layer
    blob: list[_CountingBlob] = field(default_factory=list)

    @property
    def descriptor(self) -> Descriptor:
        return self.layer.descriptor

    @property
    def diff_id(self) -> Digest:
        return self.layer.diff_id

    def open_blob(self) -> BinaryIO:
        counting = _CountingBlob(self.layer.open_blob())
        self.blob.append(counting)
        return counting  # type: ignore[return-value]


class BoundedTar:
    """The uncompressed tar stream of a layer that refuses to yield more than the layer limit."""

    def __init__(self, layer: Layer, limits: Limits) -> None:
        self._layer = layer
        self._limit = limits.layer
        self._counted = _CountedLayer(layer)
        self._stream = open_tar(self._counted)
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = CHUNK
        data = self._stream.read(min(size, self._limit + 1 - self.count))
        self.count += len(data)
        if self.count > self._limit:
            consumed = self._counted.blob[0].count if self._counted.blob else 0
            raise too_large(self._layer, self.count, self._limit, consumed)
        return data

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> BoundedTar:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def bounded_tar(layer: Layer, limits: Limits | None = None) -> BinaryIO:
    """``open_tar`` with the layer limit applied (``limits`` default to the environment's)."""
    return BoundedTar(layer, limits or Limits.from_env())  # type: ignore[return-value]


def too_large(layer: Layer, seen: int, limit: int, consumed: int = 0) -> LayerTooLarge:
    """The error for a layer past ``limit``; ``consumed`` compressed bytes had unpacked to ``seen``."""
    compressed = consumed or layer.descriptor.size
    ratio = ""
    if seen > BOMB_MIN_SIZE and compressed > 0 and seen / compressed > BOMB_RATIO:
        ratio = (f"; its first {human_bytes(compressed)} compressed unpacked to over {human_bytes(limit)}, "
                 f"{seen // compressed}x, far beyond what real files compress to (a decompression bomb?)")
    return LayerTooLarge(_layer_name(layer), f"unpacks to more than the limit of {human_bytes(limit)} per layer "
                         f"({human_bytes(layer.descriptor.size)} compressed){ratio}",
                         f"if you trust this image, raise the limit, e.g. {MAX_LAYER_ENV}={_compact(2 * limit)}")


def _compact(n: int) -> str:
    """``n`` as a value for SLIMGO_MAX_*_SIZE (what a fix line tells the user to set)."""
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n % (1 << shift) == 0:
            return f"{n >> shift}{unit}"
    return str(n)


_ZEROS = bytes(CHUNK)


def copy_entry(source: IO[bytes], out: IO[bytes], limit: int, where: str, copied: int = 0) -> int:
    """Copy an entry's contents into the file ``out``, at most ``limit`` bytes; runs of zeros become holes.

    A hole costs no disk and no write, so a layer of zeros (a decompression bomb, or a sparse image file) only
    costs the time to inflate it. ``copied`` bytes were written already; returns the total.
    """
    while chunk := source.read(min(CHUNK, limit + 1 - copied)):
        copied += len(chunk)
        if copied > limit:
            raise LayerTooLarge(where, f"is larger than the limit of {human_bytes(limit)} per entry",
                                f"if you trust this image, raise the limit, e.g. {MAX_ENTRY_ENV}={_compact(2 * limit)}")
        if chunk == _ZEROS[: len(chunk)]:
            out.seek(len(chunk), os.SEEK_CUR)
        else:
            out.write(chunk)
    out.truncate()  # the file's length, when it ends in a hole
    return copied


@dataclass(frozen=True)
class Problem:
    """One refused entry of one layer: which, and why."""

    layer: str  # "layer sha256:..."
    entry: str  # the name as written in the tar
    cause: str

    @property
    def subject(self) -> str:
        return f"{self.layer} entry {self.entry!r}"

    def error(self, allow_flag: bool = False) -> UnsafeEntry:
        return UnsafeEntry(self.subject, self.cause, UNSAFE_FIX + (ALLOW_FIX if allow_flag else ""))


def clean(name: str) -> list[str]:
    """The components of a tar name relative to the rootfs, cleaned as Go's filepath.Clean (containerd, docker).

    A leading slash is the rootfs's root (ko writes `/ko-app/NAME`), where `..` stays at the root as in any
    absolute path (`/../x` is `/x`); `a/../b` is `b`; a relative name whose `..` climbs above the root
    (`../x`, `a/../../x`) raises :class:`Escape`.
    """
    rooted = name.startswith("/")
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            elif not rooted:
                raise Escape(f"climbs above the root filesystem ({name})")
            continue
        parts.append(part)
    return parts


@dataclass(frozen=True)
class Verdict:
    """What the judge made of one entry: its cleaned path (components) and its problem, if any."""

    parts: tuple[str, ...]
    problem: Problem | None = None

    @property
    def path(self) -> str:
        return "/" + "/".join(self.parts)


@dataclass
class EntryJudge:
    """Judges the entries of one image's layers in order.

    It keeps the symlinks of the merged filesystem so far (path -> target, with the layer that made them), so a write
    through a symlinked parent, or a hard link to a path behind one, is judged where it would really land.
    """

    limits: Limits = field(default_factory=Limits.from_env)
    links: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Every directory that has (or had) a symlink somewhere below it: only removing one of these can remove links,
    # so a file replacing a path costs a sweep of ``links`` only then (images hold thousands of both).
    above_links: set[str] = field(default_factory=set)
    layer_index: int = -1
    layer_name: str = ""
    _layer: Layer | None = None

    def start_layer(self, layer: Layer) -> None:
        self.layer_index += 1
        self.layer_name = _layer_name(layer)
        self._layer = layer

    def _problem(self, member: tarfile.TarInfo, cause: str) -> Problem:
        return Problem(self.layer_name, member.name, cause)

    def judge(self, member: tarfile.TarInfo) -> Verdict:
        """The verdict on ``member``; raises :class:`LayerTooLarge` for an entry over the size limit."""
        self.check_size(member)
        return self.judge_path(member)

    def check_size(self, member: tarfile.TarInfo) -> None:
        """Raise :class:`LayerTooLarge` when ``member`` declares more than the limit per entry."""
        if member.size > self.limits.entry and (member.isreg() or member.type not in tarfile.SUPPORTED_TYPES):
            limit = self.limits.entry
            raise LayerTooLarge(f"{self.layer_name} entry {member.name!r}", f"declares {human_bytes(member.size)}, "
                                f"over the limit of {human_bytes(limit)} per entry",
                                f"if you trust this image, raise the limit, e.g. {MAX_ENTRY_ENV}={_compact(2 * limit)}")

    def judge_path(self, member: tarfile.TarInfo) -> Verdict:
        """The verdict on where ``member`` lands and what it is, its size aside (``analyze`` reports that)."""
        try:
            parts = clean(member.name)
        except Escape as err:
            return Verdict((), self._problem(member, f"has a path that {err}"))
        if not parts:
            return Verdict(())
        *parent, base = parts
        if any(part.startswith(WHITEOUT) for part in parent):  # e.g. /.wh..wh.plnk/123: aufs hard link storage
            return Verdict(tuple(parts), self._problem(
                member, "lies under a whiteout name (.wh.*), which is never a directory of an image"))
        if base.startswith(WHITEOUT):
            return self._whiteout(member, parts, parent, base)
        if member.ischr() or member.isblk():
            kind = "character" if member.ischr() else "block"
            return Verdict(tuple(parts), self._problem(
                member, f"is a {kind} device node ({member.devmajor}:{member.devminor}); images carry no devices, "
                        "the runtime provides /dev"))
        try:
            where = self.walk(parent, follow_last=True)
        except Escape as err:
            return Verdict(tuple(parts), self._problem(member, f"would be written through a symlink: its path {err}"))
        path = "/" + "/".join([*where, base])
        if member.islnk():
            problem, target = self._hardlink(member)
            if problem is not None:
                return Verdict(tuple(parts), problem)
            link = self.links.get(target)
            if link is not None:  # a hard link to a symlink is that symlink again
                self._add_link(path, link[0])
                return Verdict(tuple(parts))
        self._record(member, path)
        return Verdict(tuple(parts))

    def _whiteout(self, member: tarfile.TarInfo, parts: list[str], parent: list[str], base: str) -> Verdict:
        try:  # a whiteout removes what is at its path: through an escaping parent, that is outside the rootfs
            parent = self.walk(parent, follow_last=True)
        except Escape as err:
            return Verdict(tuple(parts), self._problem(member, f"would be written through a symlink: its path {err}"))
        if base == OPAQUE:
            prefix = "/" + "/".join(parent)
            prefix = prefix.rstrip("/") + "/"
            if prefix == "/" or prefix[:-1] in self.above_links:
                for key in [k for k, (_, n) in self.links.items() if k.startswith(prefix) and n < self.layer_index]:
                    del self.links[key]
            return Verdict(tuple(parts))
        target = base[len(WHITEOUT):]
        if target.startswith(WHITEOUT):  # .wh..wh.plnk and the like: aufs internals no runtime applies
            return Verdict(tuple(parts), self._problem(
                member, "is an aufs metadata entry (.wh..wh.*) other than the opaque marker .wh..wh..opq"))
        if target in ("", ".", ".."):
            return Verdict(tuple(parts), self._problem(member, "is a whiteout that names no file of its directory"))
        gone = "/" + "/".join([*parent, target])
        self.links.pop(gone, None)
        self._drop_below(gone)
        return Verdict(tuple(parts))

    def _hardlink(self, member: tarfile.TarInfo) -> tuple[Problem | None, str]:
        try:
            target = clean(member.linkname)
            if not target:
                return self._problem(member, "is a hard link to the root directory"), "/"
            return None, "/" + "/".join(self.walk(target, follow_last=False))
        except Escape as err:
            return self._problem(member, f"is a hard link whose target {member.linkname!r} {err}"), ""

    def _record(self, member: tarfile.TarInfo, path: str) -> None:
        if member.issym():
            self._add_link(path, member.linkname)
            return
        self.links.pop(path, None)
        if not member.isdir():  # a file replaces a directory, and every link under it
            self._drop_below(path)

    def _add_link(self, path: str, target: str) -> None:
        self.links[path] = (target, self.layer_index)
        parent = posixpath.dirname(path)
        while parent not in self.above_links and parent != "/":
            self.above_links.add(parent)
            parent = posixpath.dirname(parent)

    def _drop_below(self, path: str) -> None:
        if path in self.above_links:
            prefix = path + "/"
            for key in [k for k in self.links if k.startswith(prefix)]:
                del self.links[key]

    def walk(self, parts: list[str] | tuple[str, ...], follow_last: bool) -> list[str]:
        """The components ``parts`` lead to after following the image's symlinks inside the rootfs.

        An absolute target starts again at the root (it names a path of the image, not of the host); a ``..``
        above the root raises :class:`Escape`, as runtime/rootpath.py does on disk (both walk with slimgo.linkwalk).
        """
        if not _SPECIAL.intersection(parts):  # the common case, without a call per component
            path = ""
            for part in parts[:-1] if not follow_last else parts:
                path += "/" + part
                if path in self.links:
                    return linkwalk.walk(parts, self._target, follow_last)
                if path not in self.above_links:
                    break  # no symlink is (or was) below this directory
            return list(parts)
        return linkwalk.walk(parts, self._target, follow_last)

    def _target(self, resolved: list[str], part: str) -> str | None:
        link = self.links.get("/" + "/".join([*resolved, part]))
        return None if link is None else link[0]


def scan_layer(layer: Layer, judge: EntryJudge) -> Iterator[tuple[tarfile.TarInfo, Verdict]]:
    """Every entry of ``layer`` with its verdict, reading only headers (contents are skipped in the stream)."""
    judge.start_layer(layer)
    try:
        with bounded_tar(layer, judge.limits) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                yield member, judge.judge(member)
    except (tarfile.TarError, EOFError, OSError, ValueError) as err:
        raise ImageFormatError(_layer_name(layer), f"is not a readable tar ({err})", CORRUPT) from None


def image_problems(image: StoredImage, limits: Limits | None = None, first_only: bool = False) -> list[Problem]:
    """Every refused entry of ``image``'s layers (only the first layer that has any, with ``first_only``)."""
    judge = EntryJudge(limits or Limits.from_env())
    problems: list[Problem] = []
    for layer in image.layers:
        problems.extend(v.problem for _, v in scan_layer(layer, judge) if v.problem is not None)
        if problems and first_only:
            break
    return problems


def check_artifact_layers(artifact: StoredImage | ImageIndex, allow_unsafe: bool, where: str = "") -> None:
    """Refuse an image (or any image of an index) with an unsafe layer entry, unless ``allow_unsafe``.

    Size limits apply either way when the layers are read; with ``allow_unsafe`` they are not read here at all.
    """
    if allow_unsafe:
        return
    images = artifact.images if isinstance(artifact, ImageIndex) else (artifact,)
    limits = Limits.from_env()
    for image in images:
        key = (str(image.digest), limits)
        with _CLEAN_LOCK:
            if key in _CLEAN:
                continue
        problems = image_problems(image, limits, first_only=True)
        if not problems:
            with _CLEAN_LOCK:
                _CLEAN.add(key)
            continue
        first = problems[0]
        more = f" ({len(problems) - 1} more entries of this layer are refused too)" if len(problems) > 1 else ""
        subject = f"{where}: {first.subject}" if where else first.subject
        raise UnsafeEntry(subject, first.cause + more, UNSAFE_FIX + ALLOW_FIX)
