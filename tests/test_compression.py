"""The gzip layer codec: the same bytes on every run and machine (pinned libdeflate, or zlib past the in-memory
size), readable by any gzip reader; and the layer cache that keeps its output."""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import time
from pathlib import Path

import pytest

from slimgo import layer
from slimgo.compression import GZIP_RECIPE, Compressor, compressing_writer
from slimgo.layer import Entry, build_layer


def _payload() -> bytes:
    """Half pseudo-random (seeded: the same on every machine), half repetitive."""
    rng = random.Random(20261202)
    return rng.randbytes(200_000) + b"slimgo layer " * 30_000


def _gzip(data: bytes, limit: int | None = None) -> bytes:
    sink = io.BytesIO()
    writer = compressing_writer(sink, "gzip") if limit is None else compressing_writer(sink, "gzip", limit)
    for start in range(0, len(data), 65_536):
        writer.write(data[start:start + 65_536])
    writer.close()
    return sink.getvalue()


def test_gzip_output_is_pinned() -> None:
    """These bytes are in every layer digest: a change of codec or version shows here first (and must change
    GZIP_RECIPE, which names the cache of compressed blobs)."""
    out = _gzip(_payload())
    assert out[:10] == bytes.fromhex("1f8b08000000000000ff")  # no name, mtime 0, OS unknown
    assert gzip.decompress(out) == _payload()
    assert hashlib.sha256(out).hexdigest() == PINNED, GZIP_RECIPE


PINNED = "077ac70c76df686dafbf28eeb3a57babc87e932121211400e9177fda28e7cdf4"


def test_past_the_in_memory_size_zlib_streams_the_same_way_every_time() -> None:
    data = _payload()
    streamed = _gzip(data, limit=100_000)
    assert streamed != _gzip(data)
    assert streamed == _gzip(data, limit=100_000) and gzip.decompress(streamed) == data
    assert streamed[:10] == bytes.fromhex("1f8b08000000000000ff")
    assert _gzip(data, limit=len(data)) == _gzip(data)  # the limit itself is still compressed whole


def test_the_compressor_interface_gives_the_writers_bytes() -> None:
    data = _payload()
    compressor = Compressor("gzip")
    out = b"".join(compressor.compress(data[i:i + 10_000]) for i in range(0, len(data), 10_000))
    assert out + compressor.flush() == _gzip(data)


def _refuse(*_args: object) -> None:
    raise AssertionError("the layer's tar was written again")


def test_an_unchanged_source_is_neither_compressed_nor_read_again(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    binary = tmp_path / "app"
    binary.write_bytes(_payload())
    time.sleep(2.1)  # a source changed in the last two seconds is always read: it may change again unseen
    cache = tmp_path / "cache"
    entries = [Entry("app/server", mode=0o755, source=binary)]
    first = build_layer(entries, tmp_path, "gzip", 0, cache)
    (blob,) = [p for p in (cache / "layers" / GZIP_RECIPE).iterdir() if p.is_file() and p.suffix != ".json"]
    kept = blob.stat()
    with monkeypatch.context() as patch:  # no tar is written (so the source is not read): its stat is enough
        patch.setattr(layer, "write_tar", _refuse)
        again = build_layer(entries, tmp_path, "gzip", 0, cache)
    assert again.descriptor == first.descriptor and again.diff_id == first.diff_id
    assert (blob.stat().st_mtime_ns, blob.stat().st_ino) == (kept.st_mtime_ns, kept.st_ino)
    with again.open_blob() as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == first.descriptor.digest.hex
    binary.write_bytes(_payload() + b"changed")
    changed = build_layer(entries, tmp_path, "gzip", 0, cache)
    assert changed.diff_id != first.diff_id
    with changed.open_blob() as stream:
        assert gzip.decompress(stream.read()).count(b"changed") == 1


def test_a_touched_source_with_the_same_build_id_is_not_read_again(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`go build` touches an up-to-date binary on every run: the caller's content identity replaces the times."""
    binary = tmp_path / "app"
    binary.write_bytes(_payload())
    cache = tmp_path / "cache"
    entries = [Entry("app/server", mode=0o755, source=binary)]
    first = build_layer(entries, tmp_path, "gzip", 0, cache, {binary: "go-build-id:a/b"})
    binary.touch()
    with monkeypatch.context() as patch:
        patch.setattr(layer, "write_tar", _refuse)
        again = build_layer(entries, tmp_path, "gzip", 0, cache, {binary: "go-build-id:a/b"})
    assert again.descriptor == first.descriptor
    binary.write_bytes(_payload()[::-1])  # new content, and (as Go would) a new build ID
    changed = build_layer(entries, tmp_path, "gzip", 0, cache, {binary: "go-build-id:a/c"})
    assert changed.diff_id != first.diff_id


def test_a_layer_past_the_in_memory_size_is_written_through_a_scratch_file_to_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = tmp_path / "app"
    binary.write_bytes(_payload())
    entries = [Entry("app/server", mode=0o755, source=binary)]
    in_memory = build_layer(entries, tmp_path, "gzip", 0, tmp_path / "one")
    monkeypatch.setattr(layer, "_IN_MEMORY", 1000)
    through_file = build_layer(entries, tmp_path, "gzip", 0, tmp_path / "two")
    assert through_file.descriptor == in_memory.descriptor and through_file.diff_id == in_memory.diff_id
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app", "one", "two"]  # no scratch file left behind
