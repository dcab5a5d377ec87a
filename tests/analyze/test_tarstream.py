"""The lean tar walker reads the same metadata as Python's tarfile, in every header format layers use."""

from __future__ import annotations

import io
import tarfile

import pytest

from slimgo.analyze.tarstream import TarFormatError, TarWalker

LONG = "deep/" * 30 + "file.txt"


def _tar(fmt: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, kind, data, link in [("dir", tarfile.DIRTYPE, b"", ""), (LONG, tarfile.REGTYPE, b"x" * 700, ""),
                                       ("a/" + "p" * 90 + "/" + "q" * 60, tarfile.REGTYPE, b"yz", ""),
                                       ("lnk", tarfile.SYMTYPE, b"", "t/" * 80), ("hard", tarfile.LNKTYPE, b"", LONG)]:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.size, info.uid, info.mode = kind, link, len(data), 70000, 0o4755
            if fmt == tarfile.PAX_FORMAT and name == "dir":
                info.pax_headers = {"SCHILY.xattr.security.capability": "\x01"}
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT], ids=["pax", "gnu"])
@pytest.mark.parametrize("seekable", [True, False])
def test_same_metadata_as_tarfile(fmt: int, seekable: bool) -> None:
    data = _tar(fmt)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        expected = [(m.name, m.size, m.mode, m.uid, m.linkname) for m in tar]
    walker = TarWalker(io.BytesIO(data), seekable)
    got = []
    for member in walker:
        got.append((member.name.rstrip("/"), member.size, member.mode, member.uid, member.linkname))
        if member.name == LONG:
            assert walker.read_data(5) == b"xxxxx"
    assert got == expected
    kinds = [m.kind for m in TarWalker(io.BytesIO(data), seekable)]
    assert kinds == ["dir", "file", "file", "symlink", "hardlink"]
    assert next(iter(TarWalker(io.BytesIO(data), seekable))).capability is (fmt == tarfile.PAX_FORMAT)


def test_a_corrupt_header_is_an_error() -> None:
    data = bytearray(_tar(tarfile.PAX_FORMAT))
    data[0] ^= 0xFF
    with pytest.raises(TarFormatError):
        list(TarWalker(io.BytesIO(bytes(data)), True))
