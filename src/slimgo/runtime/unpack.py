"""Apply an image's layers into a rootfs directory: whiteouts honoured, nothing ever written outside the rootfs."""

from __future__ import annotations

__all__ = ["Note", "UnsafeLayer", "unpack_layers"]

import hashlib
import os
import shutil
import stat
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from slimgo.errors import CORRUPT, ImageFormatError, RunError, SlimgoError
from slimgo.layercheck import UNSAFE_FIX, EntryJudge, Limits, UnsafeEntry, bounded_tar, clean, copy_entry
from slimgo.layercheck import Escape as NameEscape
from slimgo.oci.digest import Digest
from slimgo.oci.image import Layer
from slimgo.runtime.rootpath import Escape, NotDirectory, resolve

CHUNK = 1 << 20
OPAQUE = ".wh..wh..opq"
WHITEOUT = ".wh."
Note = Callable[[str], None]
UnsafeLayer = UnsafeEntry  # a layer entry refused by slimgo.layercheck, or found escaping on disk


class _StreamFailed(Exception):
    """Reading (decompressing) the layer failed, as opposed to writing the rootfs."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _HashingReader:
    """Hands the layer's tar stream to tarfile and hashes it on the way, to check the diff_id at the end."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._stream.read(size)
        except SlimgoError:  # a size limit: its own message names the layer and the limit
            raise
        except Exception as err:  # gzip, zlib, zstd and EOF errors all mean the same thing here
            raise _StreamFailed(err) from None
        self._hash.update(data)
        return data

    def drain(self) -> None:
        # tarfile stops at the end-of-archive marker; the diff_id covers the padding after it too.
        while self.read(CHUNK):
            pass

    @property
    def digest(self) -> Digest:
        return Digest("sha256", self._hash.hexdigest())


def unpack_layers(layers: Sequence[Layer], rootfs: Path, note: Note) -> None:
    """Apply ``layers`` in order into ``rootfs`` (created if missing)."""
    rootfs.mkdir(mode=0o755, parents=True, exist_ok=True)
    judge = EntryJudge(Limits.from_env())
    for layer in layers:
        unpack_layer(layer, rootfs, note, judge)


def unpack_layer(layer: Layer, rootfs: Path, note: Note, judge: EntryJudge | None = None) -> None:
    """Stream one layer into ``rootfs``; its uncompressed bytes must match the layer's diff_id.

    Each entry is judged first (slimgo.layercheck: the verdict copy, build, inspect and lint give too); the rootfs
    is then resolved on disk as a second line of defence.
    """
    where = f"layer {layer.descriptor.digest}"
    judge = judge or EntryJudge(Limits.from_env())
    judge.start_layer(layer)
    applier = _Applier(rootfs, where, note, judge)
    try:
        with bounded_tar(layer, judge.limits) as stream:
            reader = _HashingReader(stream)
            with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[call-overload]
                for member in tar:
                    applier.apply(member, tar)
            reader.drain()
    except _StreamFailed as err:
        raise ImageFormatError(where, f"cannot be decompressed ({err.cause})", CORRUPT) from None
    except (tarfile.TarError, EOFError) as err:
        raise ImageFormatError(where, f"is not a readable tar ({err})", CORRUPT) from None
    except OSError as err:
        raise RunError(str(rootfs), f"cannot unpack {where} into it: {err.strerror or err}",
                       "free space in the temporary directory, or point TMPDIR at a larger file system") from None
    if reader.digest != layer.diff_id:
        raise ImageFormatError(where, f"unpacks to {reader.digest}, not to its diff_id {layer.diff_id}", CORRUPT)


class _Applier:
    """Applies the members of one layer; remembers what this layer wrote so an opaque whiteout spares it."""

    def __init__(self, root: Path, where: str, note: Note, judge: EntryJudge) -> None:
        self.root = root
        self.judge = judge
        self.where = where
        self.note = note
        self.written: set[tuple[str, ...]] = set()
        self.dirs: set[str] = set()  # host paths known to be real directories, to spare an lstat per component

    def unsafe(self, name: str, cause: str) -> UnsafeLayer:
        return UnsafeLayer(f"{self.where} entry {name!r}", cause, UNSAFE_FIX)

    def resolve(self, name: str, parts: Sequence[str], follow_last: bool = True) -> list[str]:
        try:
            return resolve(self.root, parts, follow_last, self.dirs)
        except NotDirectory as err:
            raise ImageFormatError(f"{self.where} entry {name!r}", f"needs a directory where there is none: {err}",
                                   CORRUPT) from None
        except Escape as err:
            raise self.unsafe(name, f"would be written through a symlink: its path {err}") from None

    def apply(self, member: tarfile.TarInfo, tar: tarfile.TarFile) -> None:
        name = member.name
        verdict = self.judge.judge(member)
        if verdict.problem is not None:
            if member.ischr() or member.isblk():
                self.note(f"{self.where}: skipped device node {verdict.path} (runc provides /dev)")
                return
            raise verdict.problem.error()
        parts = list(verdict.parts)
        if not parts:
            if member.isdir():  # "./": the layer sets the root directory's owner and mode
                self.set_meta(self.root, member)
            return
        *parent_parts, base = parts
        if base == OPAQUE:
            self.opaque(name, parent_parts)
            return
        if base.startswith(WHITEOUT):
            self.whiteout(name, parent_parts, base[len(WHITEOUT):])
            return
        if not (member.isdir() or member.isreg() or member.issym() or member.islnk() or member.isfifo()):
            self.note(f"{self.where}: skipped /{'/'.join(parts)} of unsupported tar type {member.type!r}")
            return
        parent = self.make_parent(name, parent_parts)
        dest = self.root.joinpath(*parent, base)
        key = (*parent, base)
        if member.islnk():
            self.hardlink(member, dest)
        else:
            kept_dir = self.clear(dest, member.isdir())
            if member.isdir():
                if not kept_dir:
                    os.mkdir(dest, 0o700)
                self.set_meta(dest, member)
            elif member.isreg():
                self.write_file(member, tar, dest)
            elif member.issym():
                os.symlink(member.linkname, dest)
                self.set_meta(dest, member, symlink=True)
            else:
                os.mkfifo(dest, 0o600)
                self.set_meta(dest, member)
        self.written.add(key)

    def make_parent(self, name: str, parent_parts: Sequence[str]) -> list[str]:
        """Resolve the parent inside the rootfs and create what is missing (layers may omit parent entries)."""
        parent = self.resolve(name, parent_parts)
        path = os.fspath(self.root)
        for depth, part in enumerate(parent, 1):
            path = f"{path}/{part}"
            if path in self.dirs:
                continue
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                os.mkdir(path, 0o755)
                self.written.add(tuple(parent[:depth]))
                info = os.lstat(path)
            if not stat.S_ISDIR(info.st_mode):
                raise ImageFormatError(f"{self.where} entry {name!r}",
                                       f"needs /{'/'.join(parent[:depth])} to be a directory, but it is not", CORRUPT)
            self.dirs.add(path)
        return parent

    def forget(self, path: Path | str) -> None:
        """``path`` is about to be removed or replaced: it and what is under it are no longer known directories."""
        text = os.fspath(path)
        prefix = text + "/"
        self.dirs = {d for d in self.dirs if d != text and not d.startswith(prefix)}

    def clear(self, dest: Path, want_dir: bool) -> bool:
        """Remove what is at ``dest`` (never following a symlink); keep an existing directory if one is wanted."""
        try:
            info = os.lstat(dest)
        except FileNotFoundError:
            return False
        if stat.S_ISDIR(info.st_mode):
            if want_dir:
                return True
            self.forget(dest)
            shutil.rmtree(dest)
        else:
            os.unlink(dest)
        return False

    def write_file(self, member: tarfile.TarInfo, tar: tarfile.TarFile, dest: Path) -> None:
        source = tar.extractfile(member)
        assert source is not None
        # O_EXCL|O_NOFOLLOW: clear() removed what was there; nothing may have put a link in its place.
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as out:
            copy_entry(source, out, self.judge.limits.entry, f"{self.where} entry {member.name!r}")
            out.flush()  # a write after utime() would move the mtime again
            os.fchown(out.fileno(), member.uid, member.gid)
            os.fchmod(out.fileno(), member.mode & 0o7777)  # after chown, which clears setuid bits
            os.utime(out.fileno(), (member.mtime, member.mtime))

    def hardlink(self, member: tarfile.TarInfo, dest: Path) -> None:
        name = member.name
        try:
            target = resolve(self.root, clean(member.linkname), follow_last=False)
        except NotDirectory as err:
            raise ImageFormatError(f"{self.where} entry {name!r}", f"is a hard link through a non-directory: {err}",
                                   CORRUPT) from None
        except (Escape, NameEscape) as err:
            raise self.unsafe(name, f"is a hard link whose target path {err}") from None
        source = self.root.joinpath(*target)
        if source == dest:
            return
        try:
            info = os.lstat(source)
        except FileNotFoundError:
            raise ImageFormatError(f"{self.where} entry {name!r}",
                                   f"is a hard link to {member.linkname!r}, which no earlier entry created",
                                   CORRUPT) from None
        if stat.S_ISDIR(info.st_mode):
            raise ImageFormatError(f"{self.where} entry {name!r}",
                                   f"is a hard link to the directory {member.linkname!r}", CORRUPT)
        self.clear(dest, want_dir=False)
        os.link(source, dest, follow_symlinks=False)

    def set_meta(self, path: Path, member: tarfile.TarInfo, symlink: bool = False) -> None:
        os.chown(path, member.uid, member.gid, follow_symlinks=False)
        if not symlink:
            os.chmod(path, member.mode & 0o7777)
        os.utime(path, (member.mtime, member.mtime), follow_symlinks=False)

    def whiteout(self, name: str, parent_parts: Sequence[str], target: str) -> None:
        if target in ("", ".", ".."):
            raise self.unsafe(name, "is a whiteout that names no file of its directory")
        parent = self.resolve(name, parent_parts)
        path = self.root.joinpath(*parent, target)
        try:
            info = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return
        if stat.S_ISDIR(info.st_mode):
            self.forget(path)
            shutil.rmtree(path)
        else:
            os.unlink(path)

    def opaque(self, name: str, parent_parts: Sequence[str]) -> None:
        parent = self.resolve(name, parent_parts)
        path = self.root.joinpath(*parent)
        if os.path.isdir(path) and not os.path.islink(path):
            self.prune(path, tuple(parent))

    def prune(self, path: Path, key: tuple[str, ...]) -> None:
        """Remove everything under ``path`` that lower layers put there, keeping what this layer wrote."""
        with os.scandir(path) as children:
            found = list(children)
        for child in found:
            child_key = (*key, child.name)
            is_dir = child.is_dir(follow_symlinks=False)
            if child_key in self.written:
                if is_dir:
                    self.prune(Path(child.path), child_key)
            elif is_dir:
                self.forget(child.path)
                shutil.rmtree(child.path)
            else:
                os.unlink(child.path)
