"""Two `slimgo copy` processes writing different tags into one OCI layout at once: both tags are always kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.harness import run_cli
from tests.hostile.registry_double import HostileRegistry

ROUNDS = 20
ROUND_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("layout-source")
    double = HostileRegistry("ok")
    double.start()
    try:
        run = run_cli(["copy", f"docker://{double.host}/x:1", f"oci:{base / 'src'}:1"],
                      env={"SLIMGO_CACHE_DIR": str(base / "cache")})
        assert run.code == 0, run.err
    finally:
        double.stop()
    yield base / "src"


def _copy_all(source: Path, destinations: list[str], cache: Path) -> list[tuple[int, str]]:
    """Start one `slimgo copy` per destination at once; wait (bounded) for all of them."""
    env = {**os.environ, "SLIMGO_CACHE_DIR": str(cache)}
    procs = [subprocess.Popen([sys.executable, "-m", "slimgo", "copy", f"oci:{source}:1", dest], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for dest in destinations]
    deadline = time.monotonic() + ROUND_TIMEOUT
    results = []
    for proc in procs:
        try:
            _, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            raise AssertionError(f"slimgo copy did not finish within {ROUND_TIMEOUT} s") from None
        results.append((proc.returncode, err.decode(errors="replace")))
    return results


def _tags(layout: Path) -> set[str]:
    index = json.loads((layout / "index.json").read_bytes())
    return {m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]
            if "org.opencontainers.image.ref.name" in m.get("annotations", {})}


def test_concurrent_writers_keep_every_tag(source: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"  # created by the first round's two writers at once, then shared by all
    expected: set[str] = set()
    for round_ in range(ROUNDS):
        fresh = tmp_path / f"fresh-{round_}"  # a new layout that two writers create at the same moment
        tags = [f"r{round_}-a", f"r{round_}-b"]
        results = _copy_all(source, [f"oci:{shared}:{tags[0]}", f"oci:{shared}:{tags[1]}",
                                     f"oci:{fresh}:a", f"oci:{fresh}:b"], tmp_path / "cache")
        assert [code for code, _ in results] == [0, 0, 0, 0], results
        expected.update(tags)
        assert _tags(shared) == expected, f"round {round_}: lost {expected - _tags(shared)}"
        assert _tags(fresh) == {"a", "b"}, f"round {round_}: a new layout lost a tag"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no staging directory of a writer that lost the creation race


def _archive_tags(archive: Path) -> set[str]:
    import tarfile

    with tarfile.open(archive) as tar:
        member = tar.extractfile("index.json")
        assert member is not None
        index = json.loads(member.read())
    return {m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]}


def test_concurrent_writers_of_one_oci_archive_keep_every_tag(source: Path, tmp_path: Path) -> None:
    archive = tmp_path / "shared.tar"
    expected: set[str] = set()
    for round_ in range(10):
        tags = [f"r{round_}-a", f"r{round_}-b"]
        results = _copy_all(source, [f"oci-archive:{archive}:{tag}" for tag in tags], tmp_path / "cache")
        assert [code for code, _ in results] == [0, 0], results
        expected.update(tags)
        assert _archive_tags(archive) == expected, f"round {round_}: lost {expected - _archive_tags(archive)}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "shared.tar"]  # no lock or temp file beside it


def test_concurrent_pulls_share_one_download(tmp_path: Path) -> None:
    """Two processes pulling one image into a shared cache at once: each blob crosses the network once."""
    double = HostileRegistry("ok", blob_delay=0.5)
    double.start()
    env = {**os.environ, "SLIMGO_CACHE_DIR": str(tmp_path / "cache")}
    try:
        procs = [subprocess.Popen([sys.executable, "-m", "slimgo", "copy", f"docker://{double.host}/x:1",
                                   f"oci:{tmp_path / f'out{i}'}"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for i in range(2)]
        errors = [proc.communicate(timeout=ROUND_TIMEOUT)[1] for proc in procs]
    finally:
        double.stop()
    assert [proc.returncode for proc in procs] == [0, 0], errors
    blob_gets = [s.path for s in double.seen if s.method == "GET" and "/blobs/" in s.path]
    assert sorted(blob_gets) == sorted({f"/v2/x/blobs/{double.image.layer_digest}",
                                        f"/v2/x/blobs/{double.image.config_digest}"})
    assert _tags(tmp_path / "out0") == _tags(tmp_path / "out1")
    assert not list((tmp_path / "cache" / "registry" / "blobs" / "sha256").glob(".*.part"))
