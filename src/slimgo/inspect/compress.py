"""How big a binary is as an image layer would carry it: one-file tar, gzip level 6 and zstd level 3."""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # Python 3.14+
    from compression import zstd as _zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - depends on the Python version
    from backports import zstd as _zstd

GZIP_LEVEL = 6  # what `slimgo build` writes: zlib level 6, gzip header with mtime 0 and no name
ZSTD_LEVEL = 3
_CHUNK = 1 << 20


@dataclass(frozen=True)
class LayerSizes:
    tar_bytes: int
    gzip_bytes: int
    zstd_bytes: int


def _tar_stream(path: Path, name: str) -> Iterator[bytes]:
    """The bytes of a reproducible tar holding one file, streamed in chunks."""
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mode = 0o755
    info.mtime = 0
    yield info.tobuf(format=tarfile.PAX_FORMAT)
    with open(path, "rb") as src:
        while chunk := src.read(_CHUNK):
            yield chunk
    used = -info.size % tarfile.BLOCKSIZE
    yield b"\0" * (used + 2 * tarfile.BLOCKSIZE)  # pad the member, then the two end-of-archive blocks


def _compressed_size(path: Path, name: str, make: Callable[[], Any]) -> tuple[int, int]:
    compressor = make()
    raw = out = 0
    for chunk in _tar_stream(path, name):
        raw += len(chunk)
        out += len(compressor.compress(chunk))
    return raw, out + len(compressor.flush())


def _gzip() -> Any:
    return zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # wbits 31: gzip framing, mtime 0, no name


def _zstd_compressor() -> Any:
    return _zstd.ZstdCompressor(level=ZSTD_LEVEL)


def layer_sizes(path: Path, name: str = "app") -> LayerSizes:
    """Compressed sizes of a tar holding only the file at ``path``; both codecs run at once (no GIL held)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        gzip = pool.submit(_compressed_size, path, name, _gzip)
        zstd = pool.submit(_compressed_size, path, name, _zstd_compressor)
        raw, gzip_bytes = gzip.result()
        _raw, zstd_bytes = zstd.result()
    return LayerSizes(raw, gzip_bytes, zstd_bytes)
