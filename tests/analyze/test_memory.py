"""Layers are streamed: analyzing a gzip layer that inflates to hundreds of MB (a gzip bomb, or just a big file)
writes nothing and keeps peak memory flat as the layer grows."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


class _Hashing(io.RawIOBase):
    def __init__(self, sink: io.BufferedWriter | gzip.GzipFile) -> None:
        self.sink, self.hash = sink, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.hash.update(data)
        return self.sink.write(data)


def bomb_archive(path: Path, size: int) -> Path:
    """A docker-archive whose one gzip layer holds a ``size``-byte file of zeros (compresses ~1000:1)."""
    layer = path.with_suffix(".layer.gz")
    with gzip.open(layer, "wb", compresslevel=1) as gz:
        hashing = _Hashing(gz)
        with tarfile.open(fileobj=hashing, mode="w|") as tar:  # type: ignore[call-overload]
            info = tarfile.TarInfo("zeros.bin")
            info.size = size
            tar.addfile(info, io.BufferedReader(_Zeros(size)))
            tar.addfile(tarfile.TarInfo("small.txt"), io.BytesIO(b""))
    diff_id = "sha256:" + hashing.hash.hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"User": "1000"},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    manifest = json.dumps([{"Config": "config.json", "RepoTags": ["bomb:latest"], "Layers": ["layer.tar.gz"]}])
    with tarfile.open(path, "w") as out:
        out.add(layer, "layer.tar.gz")
        for name, data in (("config.json", config), ("manifest.json", manifest.encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    layer.unlink()
    return path


def _peak_rss_kib(archive: Path) -> tuple[int, dict[str, object]]:
    code = ("import json, resource, sys\nfrom slimgo.cli.main import main\n"
            f"rc = main(['analyze', '--json', 'docker-archive:{archive}'])\n"
            "sys.stderr.write(json.dumps({'rc': rc, 'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=False)
    status = json.loads(done.stderr.strip().splitlines()[-1])
    assert status["rc"] == 0, done.stderr
    return int(status["rss"]), json.loads(done.stdout)


def test_memory_does_not_grow_with_layer_size(tmp_path: Path) -> None:
    small_rss, _ = _peak_rss_kib(bomb_archive(tmp_path / "small.tar", 32 << 20))
    big_rss, big = _peak_rss_kib(bomb_archive(tmp_path / "big.tar", 512 << 20))
    assert big["totals"]["uncompressed_size"] > 512 << 20  # type: ignore[index]
    assert big["layers"][0]["size"] < 8 << 20  # type: ignore[index]
    assert [f["rule"] for f in big["findings"]] == ["SG317"]  # type: ignore[index]
    assert big_rss < small_rss + 16 * 1024, (small_rss, big_rss)  # 16x the data, under 16 MiB more memory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.tar", "small.tar"]


def test_a_corrupt_gzip_layer_is_refused_with_exit_1(tmp_path: Path) -> None:
    archive = bomb_archive(tmp_path / "bomb.tar", 4 << 20)
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
    layer = bytearray(members["layer.tar.gz"])
    layer[len(layer) // 2: len(layer) // 2 + 64] = bytes(range(64))  # damage the deflate stream mid-way
    members["layer.tar.gz"] = bytes(layer)
    broken = tmp_path / "broken.tar"
    with tarfile.open(broken, "w") as out:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    done = subprocess.run([sys.executable, "-m", "slimgo", "analyze", f"docker-archive:{broken}"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert "is not a readable tar" in done.stderr and "Traceback" not in done.stderr
