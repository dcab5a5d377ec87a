"""docker-archive layers read in place: no unpacking, and no byte used or written before its layer is checked."""

from __future__ import annotations

import gc
import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from slimgo.compression import open_tar
from slimgo.errors import ImageFormatError
from slimgo.stores.archive import open_docker_archive
from slimgo.stores.inplace import ArchivedLayer
from slimgo.stores.layout import Layout, write_layout


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _layer_tar(size: int = 3 << 20) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        _add(tar, "app/x", b"#!/bin/true\n")
        _add(tar, "data/blob", os.urandom(size))  # large enough that the hash is still running when a read stops
    return out.getvalue()


def write_archive(path: Path, layer: bytes, diff_id: str | None = None, compress: bool = False) -> None:
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/app/x"]},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id or _sha(layer)]}}).encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        _add(tar, "manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["t:1"],
                                                 "Layers": ["0/layer.tar"]}]).encode())
        _add(tar, "config.json", config)
        _add(tar, "0/layer.tar", layer)
    path.write_bytes(gzip.compress(raw.getvalue()) if compress else raw.getvalue())


def _only_layer(path: Path) -> ArchivedLayer:
    layer = open_docker_archive(path).layers[0]
    assert isinstance(layer, ArchivedLayer)
    return layer


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SLIMGO_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_an_archive_is_read_in_place_without_unpacking(tmp_path: Path, cache: Path) -> None:
    layer_bytes = _layer_tar()
    write_archive(tmp_path / "a.tar", layer_bytes)
    image = open_docker_archive(tmp_path / "a.tar")
    scratch = cache / "tmp"
    assert not scratch.exists() or list(scratch.iterdir()) == []
    (layer,) = image.layers
    assert layer.descriptor.digest == layer.diff_id and str(layer.diff_id) == _sha(layer_bytes)
    with layer.open_blob() as blob:
        assert blob.read() == layer_bytes


def test_reading_to_the_end_checks_the_layer(tmp_path: Path) -> None:
    write_archive(tmp_path / "a.tar", _layer_tar())
    layer = _only_layer(tmp_path / "a.tar")
    assert not layer.verified
    with open_tar(layer) as stream:
        while stream.read(1 << 16):
            pass
        assert layer.verified  # before the consumer has even closed it


def test_a_tampered_layer_raises_before_the_reader_sees_eof(tmp_path: Path) -> None:
    layer_bytes = _layer_tar()
    write_archive(tmp_path / "a.tar", layer_bytes, diff_id=_sha(layer_bytes + b"x"))
    layer = _only_layer(tmp_path / "a.tar")
    got = b""
    with pytest.raises(ImageFormatError) as err, layer.open_blob() as blob:
        while chunk := blob.read(1 << 16):
            got += chunk
    assert got == layer_bytes  # every byte was handed over, but the end of the stream never was
    with layer.open_blob() as again:
        again.seek(0, os.SEEK_END)
        for _ in range(2):  # a reader that swallows the error does not get EOF on the next try either
            with pytest.raises(ImageFormatError):
                again.read(1)
    assert "layer '0/layer.tar'" in err.value.subject and str(tmp_path / "a.tar") in err.value.subject
    assert "not the diff_id" in err.value.cause
    assert not layer.verified


def test_a_reader_that_stops_early_is_checked_when_it_closes(tmp_path: Path) -> None:
    """inspect stops at the entrypoint's entry: its close waits for the whole layer's hash and refuses a bad one."""
    layer_bytes = _layer_tar()
    write_archive(tmp_path / "bad.tar", layer_bytes, diff_id=_sha(layer_bytes + b"x"))
    bad = _only_layer(tmp_path / "bad.tar")
    blob = bad.open_blob()
    assert blob.read(512)
    with pytest.raises(ImageFormatError, match="not the diff_id"):
        blob.close()
    assert not bad.verified
    write_archive(tmp_path / "good.tar", layer_bytes)
    good = _only_layer(tmp_path / "good.tar")
    with tarfile.open(fileobj=good.open_blob(), mode="r|") as tar:
        assert next(iter(tar)).name == "app/x"
    assert not good.verified  # tarfile does not close a stream it was given: nothing checked the rest
    with good.open_blob() as blob:
        blob.read(512)
    assert good.verified


def test_a_reader_dropped_unclosed_leaves_the_layer_unchecked(tmp_path: Path) -> None:
    layer_bytes = _layer_tar()
    write_archive(tmp_path / "a.tar", layer_bytes, diff_id=_sha(layer_bytes + b"x"))
    layer = _only_layer(tmp_path / "a.tar")
    blob = layer.open_blob()
    blob.read(512)
    del blob
    gc.collect()
    assert not layer.verified
    with pytest.raises(ImageFormatError, match="not the diff_id"):
        layer.verify()


def test_a_tampered_layer_is_never_written_to_a_layout(tmp_path: Path) -> None:
    layer_bytes = _layer_tar()
    write_archive(tmp_path / "a.tar", layer_bytes, diff_id=_sha(layer_bytes + b"x"))
    image = open_docker_archive(tmp_path / "a.tar")  # nothing has read the layer: the write must check it
    with pytest.raises(ImageFormatError, match="not the diff_id"):
        write_layout(tmp_path / "out", image, "1")
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.*"))


def test_a_checked_layer_is_written_as_read(tmp_path: Path) -> None:
    layer_bytes = _layer_tar()
    write_archive(tmp_path / "a.tar", layer_bytes)
    image = open_docker_archive(tmp_path / "a.tar")
    write_layout(tmp_path / "out", image, "1")
    again = Layout(tmp_path / "out").open_image("1", image.config.platform)
    assert again.digest == image.digest
    with again.layers[0].open_blob() as blob:
        assert blob.read() == layer_bytes


def test_an_archive_rewritten_after_opening_is_refused(tmp_path: Path) -> None:
    layer_bytes = _layer_tar(1 << 16)
    path = tmp_path / "a.tar"
    write_archive(path, layer_bytes)
    layer = _only_layer(path)
    layer.verify()
    data = bytearray(path.read_bytes())
    start = data.index(b"#!/bin/true")
    data[start:start + 4] = b"#!/x"
    with open(path, "r+b") as f:  # in place: the same inode, other bytes under a checked layer
        f.write(data)
    with pytest.raises(ImageFormatError, match="changed while slimgo was reading it"):
        layer.open_blob()


def test_a_gzipped_archive_is_unpacked_once_and_read(tmp_path: Path) -> None:
    layer_bytes = _layer_tar(1 << 16)
    write_archive(tmp_path / "a.tar.gz", layer_bytes, compress=True)
    layer = _only_layer(tmp_path / "a.tar.gz")
    with layer.open_blob() as blob:
        assert blob.read() == layer_bytes
    assert layer.verified


def test_a_compressed_layer_is_checked_when_the_archive_opens(tmp_path: Path) -> None:
    layer_bytes = _layer_tar(1 << 16)
    write_archive(tmp_path / "ok.tar", gzip.compress(layer_bytes), diff_id=_sha(layer_bytes))
    layer = _only_layer(tmp_path / "ok.tar")
    assert layer.verified and layer.descriptor.media_type.endswith("+gzip")
    assert str(layer.descriptor.digest) == _sha(gzip.compress(layer_bytes))
    write_archive(tmp_path / "bad.tar", gzip.compress(layer_bytes), diff_id=_sha(b"other"))
    with pytest.raises(ImageFormatError, match="not the diff_id"):
        open_docker_archive(tmp_path / "bad.tar")
