"""A copy of a docker-archive to a stalling registry, shared by the tests that interrupt or kill it."""

from __future__ import annotations

__all__ = ["big_archive", "scratch_dirs", "start_copy"]

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path


def big_archive(path: Path, size: int) -> None:
    """A docker-archive with one uncompressed layer holding ``size`` random bytes."""
    layer_io = io.BytesIO()
    with tarfile.open(fileobj=layer_io, mode="w") as tar:
        info = tarfile.TarInfo("app/blob")
        info.size = size
        tar.addfile(info, io.BytesIO(os.urandom(size)))
    layer = layer_io.getvalue()
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
        "type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
    with tarfile.open(path, "w") as tar:
        for name, data in (("manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["big:1"],
                                                          "Layers": ["l/layer.tar"]}]).encode()),
                           ("c.json", config), ("l/layer.tar", layer)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def scratch_dirs(cache: Path, prefix: str) -> list[Path]:
    """The scratch directories named ``prefix``* in the slimgo cache ``cache``."""
    root = cache / "tmp"
    return sorted(p for p in root.glob(f"{prefix}*") if p.is_dir()) if root.exists() else []


def start_copy(archive: Path, host: str, cache: Path, stderr: int = subprocess.PIPE) -> subprocess.Popen[bytes]:
    """`slimgo copy docker-archive:ARCHIVE docker://HOST/x:1` in a child process with its own cache."""
    return subprocess.Popen([sys.executable, "-m", "slimgo", "copy", f"docker-archive:{archive}",
                             f"docker://{host}/x:1"], env={**os.environ, "SLIMGO_CACHE_DIR": str(cache)},
                            stdout=subprocess.DEVNULL, stderr=stderr)
