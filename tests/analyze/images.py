"""Test images made on the spot: docker-archives (and OCI layouts) from layer specs, written with tarfile and json."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class F:
    """One tar member of a test layer."""

    path: str
    data: bytes = b""
    kind: str = "file"  # file | dir | symlink | hardlink | char | fifo
    mode: int | None = None
    uid: int = 0
    gid: int = 0
    link: str = ""
    xattrs: dict[str, str] = field(default_factory=dict)
    size: int | None = None  # a sparse file: header size without writing the data (for huge-size tests)


def blob(n: int, seed: int = 0) -> bytes:
    """``n`` incompressible-ish bytes, different per seed (so two copies are not equal by accident)."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:n])


_TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
          "char": tarfile.CHRTYPE, "fifo": tarfile.FIFOTYPE}


def layer_tar(members: Sequence[F]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            info = tarfile.TarInfo(m.path)
            info.type = _TYPES[m.kind]
            info.mode = m.mode if m.mode is not None else (0o755 if m.kind == "dir" else 0o644)
            info.uid, info.gid = m.uid, m.gid
            info.linkname = m.link
            info.mtime = 1_700_000_000
            if m.xattrs:
                info.pax_headers = {f"SCHILY.xattr.{k}": v for k, v in m.xattrs.items()}
            if m.size is not None:  # a header claiming a size whose data is not there
                info.size = m.size
                tar.addfile(info)
            elif m.kind == "file":
                info.size = len(m.data)
                tar.addfile(info, io.BytesIO(m.data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def history_step(created_by: str, empty: bool = False) -> dict[str, Any]:
    step: dict[str, Any] = {"created": "2024-01-01T00:00:00Z", "created_by": created_by}
    if empty:
        step["empty_layer"] = True
    return step


def docker_archive(path: Path, layers: Sequence[Sequence[F] | bytes], *,
                   history: Sequence[dict[str, Any]] | None = None, config: dict[str, Any] | None = None,
                   tag: str = "test/image:latest") -> Path:
    """Write a `docker save` archive (a layer is a list of members, or a tar already made); history defaults to one
    step per layer."""
    tars = [members if isinstance(members, bytes) else layer_tar(members) for members in layers]
    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    steps = list(history) if history is not None else [history_step(f"RUN layer {i}") for i in range(len(tars))]
    image_config = {"architecture": "amd64", "os": "linux", "config": dict(config or {}),
                    "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": steps}
    raw_config = json.dumps(image_config).encode()
    config_name = hashlib.sha256(raw_config).hexdigest() + ".json"
    names = [f"{d.split(':')[1]}/layer.tar" for d in diff_ids]
    manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": names}]
    with tarfile.open(path, "w") as out:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
        for name, data in zip(names, tars, strict=True):
            add(name, data)
        add(config_name, raw_config)
        add("manifest.json", json.dumps(manifest).encode())
    return path
