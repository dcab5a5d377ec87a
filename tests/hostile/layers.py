"""Hostile layers crafted with tarfile and gzip for the tests: decompression bombs, ko-style and escaping entries."""

from __future__ import annotations

import gzip
import hashlib
import tarfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from slimgo.host import host_platform
from slimgo.oci import mediatype
from slimgo.oci.config import ImageConfig
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.image import BlobLayer, Layer, assemble
from tests.runtime.layers import Member, raw_layer, tar_bytes
from tests.stores.access import Location, write_artifact

__all__ = ["Member", "bomb_layer", "raw_layer", "tar_bytes", "write_cases", "write_image"]

MiB = 1 << 20
_ZERO_CHUNK = bytes(MiB)


def _gzip_member(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def bomb_layer(directory: Path, name: str, size: int, head: bytes = b"") -> BlobLayer:
    """A gzip layer holding one file ``name`` of ``size`` bytes (``head`` then zeros): about 1 KiB per MiB.

    The blob is a chain of gzip members (RFC 1952 allows several, and every reader concatenates them), so crafting a
    2 GiB bomb costs one compression of 1 MiB of zeros, not of 2 GiB.
    """
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o755, 1_700_000_000
    header = info.tobuf(format=tarfile.PAX_FORMAT)
    assert size >= len(head) and (size - len(head)) % MiB == 0, "zeros come in whole MiB"
    padding = (-size) % tarfile.BLOCKSIZE
    trailer = bytes(padding + 2 * tarfile.BLOCKSIZE)
    zero_member = _gzip_member(_ZERO_CHUNK)
    diff = hashlib.sha256()
    path = directory / f"bomb-{size}.tar.gz"
    blob_hash = hashlib.sha256()
    with open(path, "wb") as out:
        def put(gz: bytes, raw: bytes | None, times: int = 1) -> None:
            for _ in range(times):
                out.write(gz)
                blob_hash.update(gz)
                if raw is not None:
                    diff.update(raw)
        put(_gzip_member(header + head), header + head)
        zeros = (size - len(head)) // MiB
        for _ in range(zeros):
            put(zero_member, _ZERO_CHUNK)
        put(_gzip_member(trailer), trailer)
        length = out.tell()
    digest = Digest("sha256", blob_hash.hexdigest())
    return BlobLayer(Descriptor(mediatype.OCI_LAYER_GZIP, digest, length), Digest("sha256", diff.hexdigest()),
                     lambda: open(path, "rb"), len(header) + size + len(trailer))


def write_image(target: str, layers: Sequence[Layer], entrypoint: Sequence[str] = ("/app/bomb",),
                user: str = "65532:65532") -> None:
    """Write an image of ``layers`` for this host's platform to ``target`` (oci:DIR:TAG and the like)."""
    config = ImageConfig.empty(host_platform()).replace_runtime(User=user, Entrypoint=list(entrypoint))
    write_artifact(Location.parse(target), assemble(config, list(layers)))


def write_cases(root: Path, cases: Mapping[str, Sequence[Sequence[Member]]],
                entrypoint: Sequence[str] = ("/app/x",)) -> dict[str, tuple[str, str]]:
    """One image per case (its layers, lowest first) in the layout ``root/layout``, tagged with the case's name:
    for each case, its reference and the digest of its top layer."""
    out: dict[str, tuple[str, str]] = {}
    for case, layers in cases.items():
        blobs = [raw_layer(root, members) for members in layers]
        write_image(f"oci:{root}/layout:{case}", blobs, entrypoint=entrypoint)
        out[case] = (f"oci:{root}/layout:{case}", str(blobs[-1].descriptor.digest))
    return out


def zeros_ratio() -> float:
    """How far gzip shrinks zeros (about 1000x): the ratio a bomb shows."""
    return MiB / len(zlib.compress(_ZERO_CHUNK, 9))
