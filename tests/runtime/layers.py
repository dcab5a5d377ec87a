"""Hand-made layer tars for the runtime tests, including entries a well-behaved builder would never write."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from slimgo.oci import mediatype
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.image import BlobLayer


@dataclass(frozen=True)
class Member:
    name: str
    kind: str = "file"  # file | dir | symlink | hardlink | fifo | chardev
    data: bytes = b""
    linkname: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    mtime: int = 1_700_000_000


_TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
          "fifo": tarfile.FIFOTYPE, "chardev": tarfile.CHRTYPE}


def tar_bytes(members: Sequence[Member]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            info = tarfile.TarInfo(m.name)
            info.type = _TYPES[m.kind]
            info.mode, info.uid, info.gid, info.mtime = m.mode, m.uid, m.gid, m.mtime
            info.linkname = m.linkname
            if m.kind == "chardev":
                info.devmajor, info.devminor = 1, 3
            info.size = len(m.data) if m.kind == "file" else 0
            tar.addfile(info, io.BytesIO(m.data) if m.kind == "file" else None)
    return out.getvalue()


def raw_layer(tmp: Path, members: Sequence[Member], diff_id: Digest | None = None) -> BlobLayer:
    """A gzip layer holding exactly ``members`` (no parents added, names kept as given)."""
    tar = tar_bytes(members)
    blob = gzip.compress(tar, mtime=0)
    digest = Digest.of(blob)
    path = tmp / f"{digest.hex}.tar.gz"
    path.write_bytes(blob)
    return BlobLayer(Descriptor(mediatype.OCI_LAYER_GZIP, digest, len(blob)), diff_id or Digest.of(tar),
                     lambda: open(path, "rb"), len(tar))
