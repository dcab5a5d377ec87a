"""Unpacking layers into a rootfs: every kind of entry, whiteouts, and refusal of anything that leaves the rootfs."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slimgo.errors import ImageFormatError, SlimgoError
from slimgo.layer import Entry, build_layer
from slimgo.oci.digest import Digest
from slimgo.runtime.unpack import UnsafeLayer, unpack_layers
from tests.runtime.layers import Member, raw_layer

ROOT = os.geteuid() == 0


def tree(root: Path) -> list[str]:
    """Every path under ``root``, relative, sorted; directories end with '/'."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        found += [f"{rel / d}/".removeprefix("./") for d in dirnames]
        found += [str(rel / f).removeprefix("./") for f in filenames]
    return sorted(found)


def test_kinds_modes_owners_and_links(tmp_path: Path) -> None:
    notes: list[str] = []
    layer = raw_layer(tmp_path, [
        Member("./", "dir", mode=0o755),
        Member("etc/", "dir", mode=0o750, uid=7, gid=8),
        Member("etc/app.conf", data=b"k=v\n", mode=0o640, uid=1000, gid=2000, mtime=1_600_000_000),
        Member("bin/su", data=b"#!", mode=0o4755),  # parent "bin" has no entry of its own
        Member("bin/sh", "symlink", linkname="su"),
        Member("bin/su2", "hardlink", linkname="bin/su"),
        Member("run/fifo", "fifo", mode=0o600),
        Member("dev/null", "chardev", mode=0o666),
    ])
    rootfs = tmp_path / "rootfs"
    unpack_layers([layer], rootfs, notes.append)

    conf = os.lstat(rootfs / "etc/app.conf")
    assert (rootfs / "etc/app.conf").read_bytes() == b"k=v\n"
    assert stat.S_IMODE(conf.st_mode) == 0o640 and conf.st_mtime == 1_600_000_000
    assert stat.S_IMODE(os.lstat(rootfs / "etc").st_mode) == 0o750
    assert stat.S_IMODE(os.lstat(rootfs / "bin/su").st_mode) == 0o4755  # setuid survives the chown
    assert stat.S_IMODE(os.lstat(rootfs / "bin").st_mode) == 0o755
    assert os.readlink(rootfs / "bin/sh") == "su"
    assert os.lstat(rootfs / "bin/su2").st_ino == os.lstat(rootfs / "bin/su").st_ino
    assert stat.S_ISFIFO(os.lstat(rootfs / "run/fifo").st_mode)
    assert not (rootfs / "dev/null").exists()
    assert any("skipped device node /dev/null" in n for n in notes)
    if ROOT:
        assert (conf.st_uid, conf.st_gid) == (1000, 2000)
        assert (os.lstat(rootfs / "etc").st_uid, os.lstat(rootfs / "etc").st_gid) == (7, 8)


def test_whiteouts_and_opaque_directories(tmp_path: Path) -> None:
    lower = raw_layer(tmp_path, [
        Member("a/", "dir", mode=0o755), Member("a/keep", data=b"1"), Member("a/gone", data=b"2"),
        Member("a/dir/", "dir", mode=0o755), Member("a/dir/x", data=b"3"), Member("a/link", "symlink", linkname="dir"),
        Member("b/", "dir", mode=0o755), Member("b/old", data=b"4"), Member("b/sub/", "dir", mode=0o755),
        Member("b/sub/y", data=b"5"),
    ])
    upper = raw_layer(tmp_path, [
        Member("a/.wh.gone"), Member("a/.wh.dir"), Member("a/.wh.link"),
        Member("b/", "dir", mode=0o700), Member("b/new", data=b"6"), Member("b/sub/", "dir", mode=0o755),
        Member("b/.wh..wh..opq"),  # after b/new and b/sub: what this layer wrote stays, lower content goes
    ])
    rootfs = tmp_path / "rootfs"
    unpack_layers([lower, upper], rootfs, lambda _: None)
    assert tree(rootfs) == ["a/", "a/keep", "b/", "b/new", "b/sub/"]
    assert stat.S_IMODE(os.lstat(rootfs / "b").st_mode) == 0o700


def test_later_layer_replaces_without_following_links(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("host file")
    lower = raw_layer(tmp_path, [Member("x", "symlink", linkname=str(victim)), Member("d/", "dir"),
                                 Member("d/f", data=b"old")])
    upper = raw_layer(tmp_path, [Member("x", data=b"image file"), Member("d", data=b"now a file")])
    rootfs = tmp_path / "rootfs"
    unpack_layers([lower, upper], rootfs, lambda _: None)
    assert victim.read_text() == "host file"
    assert not (rootfs / "x").is_symlink() and (rootfs / "x").read_bytes() == b"image file"
    assert (rootfs / "d").read_bytes() == b"now a file"


def test_absolute_symlinks_resolve_inside_the_rootfs(tmp_path: Path) -> None:
    hostdir = tmp_path / "hostdir"
    hostdir.mkdir()
    layer = raw_layer(tmp_path, [Member("lnk", "symlink", linkname=str(hostdir)), Member("lnk/f", data=b"in image"),
                                 Member("usr/lib/", "dir"), Member("lib", "symlink", linkname="/usr/lib"),
                                 Member("lib/libx.so", data=b"elf")])
    rootfs = tmp_path / "rootfs"
    unpack_layers([layer], rootfs, lambda _: None)
    assert list(hostdir.iterdir()) == []  # the host directory of the same name is never touched
    assert rootfs.joinpath(*hostdir.parts[1:], "f").read_bytes() == b"in image"
    assert (rootfs / "usr/lib/libx.so").read_bytes() == b"elf"


def test_leading_slashes_are_relative_to_the_rootfs(tmp_path: Path) -> None:
    """ko writes /ko-app/NAME and /var/run/ko; containerd and umoci take such names relative to the rootfs."""
    layer = raw_layer(tmp_path, [Member("/ko-app/", "dir", mode=0o755), Member("/ko-app/hello", data=b"go", mode=0o755),
                                 Member("/var/run/ko/", "dir"), Member("/var/run/ko/HEAD", data=b"ref"),
                                 Member("/var/run/ko/../ko-link", "hardlink", linkname="/ko-app/hello"),
                                 Member("/../../ko-app/rooted", data=b"at the root")])
    rootfs = tmp_path / "rootfs"
    unpack_layers([layer], rootfs, lambda _: None)
    assert (rootfs / "ko-app/hello").read_bytes() == b"go"
    assert (rootfs / "var/run/ko/HEAD").read_bytes() == b"ref"
    assert (rootfs / "var/run/ko-link").stat().st_ino == (rootfs / "ko-app/hello").stat().st_ino
    assert (rootfs / "ko-app/rooted").read_bytes() == b"at the root"  # `..` at the root stays there, as in Go
    assert not Path("/ko-app").exists()


ESCAPES = {
    "dotdot": ([Member("../escaped", data=b"x")], "has a path that climbs above the root filesystem"),
    "dotdot-inside": ([Member("a/../../escaped", data=b"x")], "has a path that climbs above the root filesystem"),
    "symlink": ([Member("esc", "symlink", linkname="../../../../../../../../.."),
                 Member("esc/escaped", data=b"x")], "would be written through a symlink"),
    "nested-symlink": ([Member("a/", "dir"), Member("a/up", "symlink", linkname="../.."),
                        Member("a/up/escaped", data=b"x")], "would be written through a symlink"),
    "hardlink": ([Member("hl", "hardlink", linkname="../../../etc/passwd")], "hard link whose target"),
    "hardlink-dotdot-inside": ([Member("hl", "hardlink", linkname="etc/../../passwd")], "climbs above the root"),
    "hardlink-via-symlink": ([Member("esc", "symlink", linkname="../../../../../../.."),
                              Member("hl", "hardlink", linkname="esc/etc/passwd")], "hard link whose target"),
    "whiteout-dotdot": ([Member("a/.wh..."), Member("x", data=b"x")], "whiteout"),
}


@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_escaping_entries_are_refused(tmp_path: Path, case: str) -> None:
    members, cause = ESCAPES[case]
    layer = raw_layer(tmp_path, members)
    sandbox = tmp_path / "sandbox"
    rootfs = sandbox / "rootfs"
    sandbox.mkdir()
    with pytest.raises(UnsafeLayer) as err:
        unpack_layers([layer], rootfs, lambda _: None)
    text = err.value.diagnostics()
    bad = next(m for m in members if m.name.endswith(("escaped", "hl", ".wh...")))
    assert f"layer {layer.descriptor.digest} entry {bad.name!r}" in text
    assert cause in text and "fix:" in text
    assert [p.name for p in sandbox.iterdir()] == ["rootfs"]
    assert not list(Path("/").glob("escaped")) and not Path("/abs").exists()


def test_layer_must_match_its_diff_id(tmp_path: Path) -> None:
    layer = raw_layer(tmp_path, [Member("f", data=b"x")], diff_id=Digest.of(b"something else"))
    with pytest.raises(ImageFormatError, match="not to its diff_id"):
        unpack_layers([layer], tmp_path / "rootfs", lambda _: None)


def test_corrupt_blob_is_an_image_error(tmp_path: Path) -> None:
    layer = raw_layer(tmp_path, [Member("f", data=b"x" * 5000)])
    with layer.open_blob() as blob:
        data = bytearray(blob.read())
    truncated = bytes(data[: len(data) // 2])
    broken = type(layer)(layer.descriptor, layer.diff_id, lambda: io.BytesIO(truncated))
    with pytest.raises(ImageFormatError, match="cannot be decompressed"):
        unpack_layers([broken], tmp_path / "rootfs", lambda _: None)


def test_zstd_layers_from_build_layer(tmp_path: Path) -> None:
    layer = build_layer([Entry("app/bin", data=b"\x7fELF", mode=0o755), Entry("tmp", kind="dir", mode=0o1777)],
                        tmp_path, compression="zstd")
    rootfs = tmp_path / "rootfs"
    unpack_layers([layer], rootfs, lambda _: None)
    assert (rootfs / "app/bin").read_bytes() == b"\x7fELF"
    assert stat.S_IMODE(os.lstat(rootfs / "tmp").st_mode) == 0o1777


_NAMES = st.sampled_from(["a", "b", "a/b", "a/b/c", "b/x", "c", "a/c/d"])
_TARGETS = st.sampled_from(["a", "..", "../..", "../outside", "/", "/outside", "a/..", "../../../outside", "b/x"])
_MEMBER = st.one_of(
    st.builds(lambda n: Member(n, data=b"payload"), _NAMES),
    st.builds(lambda n: Member(n, "dir", mode=0o755), _NAMES),
    st.builds(lambda n, t: Member(n, "symlink", linkname=t), _NAMES, _TARGETS),
    st.builds(lambda n, t: Member(n, "hardlink", linkname=t), _NAMES, st.sampled_from(["a", "b/x", "c"])),
    st.builds(lambda n: Member(f"{n}/.wh..wh..opq"), _NAMES),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_MEMBER, max_size=8), min_size=1, max_size=3))
def test_nothing_is_ever_written_outside_the_rootfs(layers: list[list[Member]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Path(tmp)
        outside = sandbox / "outside"
        outside.mkdir()
        (outside / "keep").write_text("host")
        blobs = sandbox / "blobs"
        blobs.mkdir()
        built = [raw_layer(blobs, members) for members in layers]
        with contextlib.suppress(SlimgoError):  # refusing is fine; writing outside is not
            unpack_layers(built, sandbox / "rootfs", lambda _: None)
        assert tree(outside) == ["keep"] and (outside / "keep").read_text() == "host"
        assert sorted(p.name for p in sandbox.iterdir()) == ["blobs", "outside", "rootfs"]
