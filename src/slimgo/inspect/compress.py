"""How big a binary is as an image layer would carry it: one-file tar, gzip level 6 and zstd level 3."""

from __future__ import annotations

__all__ = ["LayerSizes", "layer_sizes", "start_layer_sizes"]

import hashlib
import json
import os
import tarfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from slimgo.compression import GZIP_RECIPE, Compressor

try:  # Python 3.14+
    from compression import zstd as _zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - depends on the Python version
    from backports import zstd as _zstd

ZSTD_LEVEL = 3
_CHUNK = 1 << 20
# Every input of the computation: the same bytes through the same codecs give the same sizes, so results are
# kept by content digest (an image's binary is extracted to a new temporary path on every run).
_RECIPE = (f"tar-pax-one-file/{GZIP_RECIPE}-zlib-{zlib.ZLIB_RUNTIME_VERSION}"
           f"/zstd-{ZSTD_LEVEL}-{'.'.join(map(str, _zstd.zstd_version_info))}")


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
    return Compressor("gzip")  # what `slimgo build` writes


def _zstd_compressor() -> Any:
    return _zstd.ZstdCompressor(level=ZSTD_LEVEL)


def _compute(path: Path, name: str) -> LayerSizes:
    """Both codecs at once: zlib and zstd release the GIL, so they run on two cores."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        gzip = pool.submit(_compressed_size, path, name, _gzip)
        zstd = pool.submit(_compressed_size, path, name, _zstd_compressor)
        raw, gzip_bytes = gzip.result()
        _raw, zstd_bytes = zstd.result()
    return LayerSizes(raw, gzip_bytes, zstd_bytes)


def _cache_file(path: Path, name: str, cache: Path) -> Path:
    digest = hashlib.sha256(f"{_RECIPE}/{name}\0".encode())
    with open(path, "rb") as src:
        while chunk := src.read(4 * _CHUNK):
            digest.update(chunk)
    return cache / f"{digest.hexdigest()}.json"


def _load(entry: Path) -> LayerSizes | None:
    try:
        data = json.loads(entry.read_text())
        sizes = LayerSizes(int(data["tar_bytes"]), int(data["gzip_bytes"]), int(data["zstd_bytes"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent or damaged: compute again
    return sizes


def _store(entry: Path, sizes: LayerSizes) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial = entry.with_name(f".{entry.name}.{os.getpid()}")
        partial.write_text(json.dumps(asdict(sizes)))
        os.replace(partial, entry)
    except OSError:
        pass  # a read-only cache only costs the next run the computation


def layer_sizes(path: Path, name: str = "app", cache: Path | None = None) -> LayerSizes:
    """Compressed sizes of a tar holding only the file at ``path``; kept in ``cache`` by content digest."""
    if cache is None:
        return _compute(path, name)
    entry = _cache_file(path, name, cache)
    found = _load(entry)
    if found is None:
        found = _compute(path, name)
        _store(entry, found)
    return found


def start_layer_sizes(path: Path, cache: Path | None = None) -> Future[LayerSizes]:
    """Start ``layer_sizes`` in the background, so the codecs run while the ELF parts are parsed."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slimgo-layer-size")
    future = pool.submit(layer_sizes, path, "app", cache)
    pool.shutdown(wait=False)
    return future
