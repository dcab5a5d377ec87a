"""Smaller limits of the stores: oversized manifests in a layout, a full disk, scratch left by a killed slimgo."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import require_root, require_tool
from tests.hostile.copying import big_archive, scratch_dirs, start_copy
from tests.hostile.harness import run_cli
from tests.hostile.registry_double import HUGE_INDEX, HostileRegistry, tiny_image

RSS_LIMIT_MB = 200


def _layout(root: Path, index: bytes, blobs: dict[str, Path | bytes]) -> None:
    (root / "blobs" / "sha256").mkdir(parents=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_bytes(index)
    for hex_, data in blobs.items():
        target = root / "blobs" / "sha256" / hex_
        if isinstance(data, Path):
            data.rename(target)
        else:
            target.write_bytes(data)


def _index(digest: str, size: int) -> bytes:
    return json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": size,
         "annotations": {"org.opencontainers.image.ref.name": "1"}}]}).encode()


def test_a_100_mb_manifest_in_a_layout_is_refused(tmp_path: Path) -> None:
    size = 100 << 20
    big = tmp_path / "big"
    with open(big, "wb") as out:  # a sparse file: 100 MB of zeros, hashed without holding them
        out.truncate(size)
    sha = hashlib.sha256()
    with open(big, "rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    layout = tmp_path / "layout"
    _layout(layout, _index(f"sha256:{sha.hexdigest()}", size), {sha.hexdigest(): big})
    for verb in (["copy", f"oci:{layout}:1", f"oci:{tmp_path / 'out'}"], ["inspect", f"oci:{layout}:1"]):
        run = run_cli(verb, env={"SLIMGO_CACHE_DIR": str(tmp_path / "cache")})
        assert run.code == 1, run.err
        assert sha.hexdigest() in run.err and "larger than 4194304 bytes" in run.err and "\n  fix: " in run.err
        assert run.max_rss_mb < RSS_LIMIT_MB
    assert not (tmp_path / "out").exists()


def test_an_index_of_too_many_large_manifests_in_a_layout_is_refused(tmp_path: Path) -> None:
    index_hex = hashlib.sha256(HUGE_INDEX).hexdigest()
    top = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": f"sha256:{index_hex}",
         "size": len(HUGE_INDEX), "annotations": {"org.opencontainers.image.ref.name": "1"}}]}).encode()
    layout = tmp_path / "layout"
    _layout(layout, top, {index_hex: HUGE_INDEX})
    run = run_cli(["copy", f"oci:{layout}:1", f"oci:{tmp_path / 'out'}"],
                  env={"SLIMGO_CACHE_DIR": str(tmp_path / "cache")})
    assert run.code == 1, run.err
    assert f"{layout} index sha256:{index_hex}" in run.err and "lists 100 manifests" in run.err
    assert "\n  fix: " in run.err and run.max_rss_mb < RSS_LIMIT_MB
    assert not (tmp_path / "out").exists()


def test_an_oversized_index_json_is_refused(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    _layout(layout, b"{" + b" " * (5 << 20) + b"}", {})
    run = run_cli(["copy", f"oci:{layout}", f"oci:{tmp_path / 'out'}"],
                  env={"SLIMGO_CACHE_DIR": str(tmp_path / "cache")})
    assert run.code == 1, run.err
    assert f"{layout}/index.json" in run.err and "larger than" in run.err
    assert not (tmp_path / "out").exists()


def test_a_full_disk_says_so(tmp_path: Path) -> None:
    require_root()
    require_tool("unshare")
    archive = tmp_path / "big.tar"
    big_archive(archive, 2 << 20)
    disk = tmp_path / "disk"
    disk.mkdir()
    # A private 1 MiB tmpfs mounted over `disk` for this run only: too small for the 2 MB layer.
    wrapper = ["unshare", "-m", "sh", "-c", f'mount -t tmpfs -o size=1m none "{disk}" && exec "$@"', "sh"]
    run = run_cli(["copy", f"docker-archive:{archive}", f"oci:{disk}/out"], wrapper=wrapper,
                  env={"SLIMGO_CACHE_DIR": str(tmp_path / "cache")})
    assert run.code == 1, run.err
    assert f"{disk}/out" in run.err and "No space left on device" in run.err, run.err
    assert "fix: the disk (or your quota) is full" in run.err
    assert "Traceback" not in run.err
    assert list(disk.iterdir()) == []  # the mount vanished with the run, and nothing was written beneath it


def test_a_full_cache_disk_says_so(tmp_path: Path) -> None:
    require_root()
    require_tool("unshare")
    double = HostileRegistry("ok", image=tiny_image(os.urandom(2 << 20)))
    double.start()
    cache = tmp_path / "cache"
    cache.mkdir()
    wrapper = ["unshare", "-m", "sh", "-c", f'mount -t tmpfs -o size=1m none "{cache}" && exec "$@"', "sh"]
    try:
        run = run_cli(["copy", f"docker://{double.host}/x:1", f"oci:{tmp_path / 'out'}"], wrapper=wrapper,
                      env={"SLIMGO_CACHE_DIR": str(cache)})
    finally:
        double.stop()
    assert run.code == 1, run.err
    assert f"{cache}/registry/blobs/sha256/{double.image.layer_digest.split(':')[1]}" in run.err, run.err
    assert "No space left on device" in run.err and "fix: the disk (or your quota) is full" in run.err
    assert "Traceback" not in run.err and run.max_rss_mb < RSS_LIMIT_MB
    assert not (tmp_path / "out").exists()


def test_killed_copy_leaves_no_scratch_for_ever(tmp_path: Path) -> None:
    archive = tmp_path / "big.tar"
    big_archive(archive, 64 << 10)
    cache = tmp_path / "cache"
    double = HostileRegistry("stall")
    double.start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        def stalled_copy() -> tuple[subprocess.Popen[bytes], Path]:
            before = set(scratch_dirs(cache, "slimgo-push-"))
            proc = start_copy(archive, double.host, cache, stderr=subprocess.DEVNULL)
            procs.append(proc)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:  # until it sits in the stalled request with its scratch made
                new = set(scratch_dirs(cache, "slimgo-push-")) - before
                if new and any(f"-{proc.pid}-" in p.name for p in new):
                    return proc, new.pop()
                assert proc.poll() is None, "slimgo copy ended before stalling"
                time.sleep(0.05)
            raise AssertionError("no slimgo-push-* scratch directory appeared")

        killed, killed_dir = stalled_copy()
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        assert killed_dir.exists()  # kill -9 runs no cleanup: this is what used to stay for ever
        _, alive_dir = stalled_copy()  # its start cleans the dead one's scratch, never its own
        assert not killed_dir.exists()
        assert not Path(f"{killed_dir}.lock").exists()
        assert alive_dir.exists()
        # A third slimgo starting while the second still runs leaves the live scratch alone. (A docker-archive is
        # read in place, without scratch: writing an oci-archive is what needs some here.)
        run = run_cli(["copy", f"docker-archive:{archive}", f"oci-archive:{tmp_path / 'out.tar'}"],
                      env={"SLIMGO_CACHE_DIR": str(cache)})
        assert run.code == 0, run.err
        assert alive_dir.exists()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        double.stop()
    # What is left belongs to the killed processes only, and the next start removes it.
    assert all(any(f"-{q.pid}-" in p.name for q in procs) for p in scratch_dirs(cache, "slimgo-"))
    assert run_cli(["copy", f"docker-archive:{archive}", f"oci-archive:{tmp_path / 'out2.tar'}"],
                   env={"SLIMGO_CACHE_DIR": str(cache)}).code == 0
    assert scratch_dirs(cache, "slimgo-") == []


def test_interrupted_copy_removes_its_scratch(tmp_path: Path) -> None:
    archive = tmp_path / "big.tar"
    big_archive(archive, 64 << 10)
    cache = tmp_path / "cache"
    double = HostileRegistry("stall")
    double.start()
    try:
        proc = start_copy(archive, double.host, cache)
        deadline = time.monotonic() + 20
        while not scratch_dirs(cache, "slimgo-push-") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert scratch_dirs(cache, "slimgo-push-")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=40)
        assert proc.returncode == 130, err
    finally:
        double.stop()
    assert scratch_dirs(cache, "slimgo-") == []
    assert list((cache / "tmp").glob("*.lock")) == []
