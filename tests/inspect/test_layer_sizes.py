"""Layer sizes: the same bytes `slimgo build`'s compressors write, kept by content digest between runs."""

from __future__ import annotations

import io
import os
from pathlib import Path

from slimgo.compression import compressing_writer
from slimgo.inspect.compress import _tar_stream, layer_sizes


def _payload(tmp_path: Path) -> Path:
    path = tmp_path / "app"
    # half random, half repetitive: both codecs have work to do and the sizes differ
    path.write_bytes(os.urandom(300_000) + b"slimgo inspect " * 40_000)
    return path


def test_sizes_equal_what_the_build_compressors_write(tmp_path: Path) -> None:
    path = _payload(tmp_path)
    sizes = layer_sizes(path)
    tar = b"".join(_tar_stream(path, "app"))
    assert sizes.tar_bytes == len(tar) and len(tar) % 512 == 0
    for codec, expected in (("gzip", sizes.gzip_bytes), ("zstd", sizes.zstd_bytes)):
        sink = io.BytesIO()
        writer = compressing_writer(sink, codec)
        writer.write(tar)
        writer.close()
        assert len(sink.getvalue()) == expected, codec


def test_cached_by_content_digest(tmp_path: Path) -> None:
    path = _payload(tmp_path)
    cache = tmp_path / "cache"
    first = layer_sizes(path, cache=cache)
    entries = list(cache.iterdir())
    assert len(entries) == 1 and first == layer_sizes(path)
    copy = tmp_path / "elsewhere"
    copy.write_bytes(path.read_bytes())
    assert layer_sizes(copy, cache=cache) == first  # same content at another path: the same entry
    assert list(cache.iterdir()) == entries
    entries[0].write_text("{not json")  # a damaged entry is computed again and replaced
    assert layer_sizes(path, cache=cache) == first
    path.write_bytes(path.read_bytes() + b"more")  # new content: a new entry
    assert layer_sizes(path, cache=cache).tar_bytes >= first.tar_bytes
    assert len(list(cache.iterdir())) == 2
